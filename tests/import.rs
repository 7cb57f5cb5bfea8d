//! Import of the real portal inventory, on every backend: counts, idempotence, updates,
//! delistings, broken rows, and an import killed halfway.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;

use common::{Backend, assert_consistent, backends, count, fresh, real_inventory};
use inventory::import::{ImportOptions, import_file};

const QUIET: ImportOptions = ImportOptions {
    drop_demo: false,
    progress: false,
};

/// The real file's records, read independently of the importer (csv + flate2).
fn real_records() -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(real_inventory()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let rows = r.records().map(Result::unwrap).collect();
    (headers, rows)
}

fn write_csv(path: &Path, headers: &csv::StringRecord, rows: &[csv::StringRecord]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(headers).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

async fn group_counts(db: &sea_orm::DatabaseConnection, sql: &str) -> BTreeMap<String, i64> {
    use sea_orm::{ConnectionTrait, Statement};
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_string(),
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.try_get_by_index::<String>(0).unwrap(),
            r.try_get_by_index::<i64>(1).unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn the_real_inventory_imports_exactly_and_reimports_to_nothing() {
    let (_, records) = real_records();
    let mut by_category: BTreeMap<String, i64> = BTreeMap::new();
    let mut codes: HashMap<String, String> = HashMap::new();
    for r in &records {
        *by_category.entry(r[5].to_string()).or_default() += 1;
        codes.insert(r[6].to_string(), r[7].to_string());
    }
    // The file's institutions per kind, counted from its code column once and written down, so
    // the importer's kind derivation is checked against figures, not against itself.
    let by_kind: BTreeMap<String, i64> = [
        ("Central government", 162),
        ("Metropolitan government", 22),
        ("Local government", 227),
        ("National university", 72),
        ("Office of education", 60),
        ("Public institution", 449),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_string(), n))
    .collect();
    assert_eq!(codes.len(), 992);

    for b in backends().await {
        let t = fresh(b).await;
        let report = import_file(&t.db, &real_inventory(), &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(report.rows, 61_359, "{b:?}");
        assert_eq!(report.inserted, 61_359, "{b:?}");
        assert_eq!(
            report.rejected.len(),
            0,
            "{b:?}: {:?}",
            &report.rejected[..report.rejected.len().min(3)]
        );
        assert_eq!(count(&t.db, "SELECT COUNT(*) FROM dataset").await, 61_359);
        assert_eq!(count(&t.db, "SELECT COUNT(*) FROM institution").await, 992);
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM disclosure WHERE status = 'OPEN'"
            )
            .await,
            61_359
        );
        // One initial history event per dataset.
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM disclosure_event WHERE from_status IS NULL"
            )
            .await,
            61_359
        );
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM dataset WHERE provenance <> 'IMPORTED'"
            )
            .await,
            0
        );

        // Per category, as the file has them (stored by enum, compared through the Korean label).
        let stored = group_counts(
            &t.db,
            "SELECT category, COUNT(*) FROM dataset GROUP BY category",
        )
        .await;
        let stored: BTreeMap<String, i64> = stored
            .into_iter()
            .map(|(c, n)| {
                let cat =
                    <entity::enums::Category as sea_orm::ActiveEnum>::try_from_value(&c).unwrap();
                (inventory::domain::labels::category(cat).ko.to_string(), n)
            })
            .collect();
        assert_eq!(stored, by_category, "{b:?}");
        assert_eq!(by_category["공공행정"], 8_210);
        assert_eq!(by_category["법률"], 417);

        // Per institution kind, derived from the code.
        let stored = group_counts(
            &t.db,
            "SELECT kind, COUNT(*) FROM institution GROUP BY kind",
        )
        .await;
        let stored: BTreeMap<String, i64> = stored
            .into_iter()
            .map(|(k, n)| {
                let kind =
                    <entity::enums::InstitutionKind as sea_orm::ActiveEnum>::try_from_value(&k)
                        .unwrap();
                (
                    inventory::domain::labels::institution_kind(kind)
                        .en
                        .to_string(),
                    n,
                )
            })
            .collect();
        assert_eq!(stored, by_kind, "{b:?}");

        // Institutions come from the code column, not the title.
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM dataset d JOIN institution i ON i.id = d.institution_id WHERE i.code = '1741000'").await,
            records.iter().filter(|r| &r[6] == "1741000").count() as i64
        );

        let events_before = count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await;
        let again = import_file(&t.db, &real_inventory(), &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (again.inserted, again.updated, again.delisted),
            (0, 0, 0),
            "{b:?}"
        );
        assert_eq!(again.unchanged, 61_359);
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await,
            events_before
        );
        assert_consistent(&t.db, &format!("{b:?} after the real import")).await;
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_edited_copy_gives_exactly_its_changes() {
    let (headers, records) = real_records();
    let dir = tempfile::tempdir().unwrap();
    // The first half of the file, so the test stays quick; then an edited version of it.
    let base: Vec<csv::StringRecord> = records[..5_000].to_vec();
    let base_path = dir.path().join("inventory-2022.csv");
    write_csv(&base_path, &headers, &base);

    // Rename one institution (every row of its code), change one title, remove one row.
    let renamed_code = base[100][6].to_string();
    let old_name = base[100][7].to_string();
    let new_name = format!("{old_name}(개칭)");
    let mut edited = Vec::new();
    let mut retitled_key = String::new();
    let mut removed_key = String::new();
    for (i, r) in base.iter().enumerate() {
        let mut f: Vec<String> = r.iter().map(String::from).collect();
        if f[6] == renamed_code {
            f[7] = new_name.clone();
        } else if retitled_key.is_empty() && i > 200 {
            retitled_key = f[0].clone();
            f[2] = format!("{} (개정)", f[2]);
        } else if removed_key.is_empty() && i > 300 {
            removed_key = f[0].clone();
            continue;
        }
        edited.push(csv::StringRecord::from(f));
    }
    let edited_path = dir.path().join("inventory-2023.csv");
    write_csv(&edited_path, &headers, &edited);

    for b in backends().await {
        let t = fresh(b).await;
        let first = import_file(&t.db, &base_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(first.inserted, 5_000);
        let events_before = count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await;

        let r = import_file(&t.db, &edited_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(r.inserted, 0, "{b:?} {r}");
        assert_eq!(r.updated, 1, "{b:?} {r}");
        assert_eq!(r.delisted, 1, "{b:?} {r}");
        assert_eq!(r.institutions_renamed, 1, "{b:?} {r}");
        assert_eq!(r.unchanged, 4_998, "{b:?} {r}");

        // The delisted row is kept, marked delisted; the retitled one has its new title.
        assert_eq!(
            count(&t.db, &format!("SELECT COUNT(*) FROM dataset WHERE portal_key = '{removed_key}' AND listed = FALSE")).await,
            1
        );
        assert_eq!(count(&t.db, "SELECT COUNT(*) FROM dataset").await, 5_000);
        assert_eq!(
            count(&t.db, &format!("SELECT COUNT(*) FROM dataset WHERE portal_key = '{retitled_key}' AND title LIKE '%(개정)'")).await,
            1
        );
        // The institution keeps its code and history: new name, former name recorded.
        assert_eq!(
            count(&t.db, &format!("SELECT COUNT(*) FROM institution WHERE code = '{renamed_code}' AND name = '{new_name}'")).await,
            1
        );
        assert_eq!(
            count(
                &t.db,
                &format!(
                    "SELECT COUNT(*) FROM institution_name n JOIN institution i ON i.id = n.institution_id \
                     WHERE i.code = '{renamed_code}' AND n.name = '{old_name}'"
                )
            )
            .await,
            1
        );
        // No disclosure changed; the delisting is the one history event written.
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await,
            events_before + 1
        );
        assert_eq!(
            count(
                &t.db,
                &format!(
                    "SELECT COUNT(*) FROM disclosure_event e JOIN dataset d ON d.id = e.dataset_id \
                 WHERE d.portal_key = '{removed_key}' AND e.from_status = e.to_status \
                   AND e.from_listed = TRUE AND e.listed = FALSE \
                   AND e.actor = 'import:inventory-2023.csv'"
                )
            )
            .await,
            1,
            "{b:?}"
        );
        assert_consistent(&t.db, &format!("{b:?} after the edited import")).await;

        // The same edited file again changes nothing.
        let again = import_file(&t.db, &edited_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (
                again.inserted,
                again.updated,
                again.delisted,
                again.institutions_renamed
            ),
            (0, 0, 0, 0)
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn broken_rows_are_named_and_skipped() {
    let (headers, records) = real_records();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.csv");
    let mut text = String::new();
    text.push_str(&headers.iter().collect::<Vec<_>>().join(","));
    text.push('\n');
    let line = |r: &csv::StringRecord| {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record(r).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    };
    let good: Vec<_> = records[..4].to_vec();
    text.push_str(&line(&good[0])); // line 2
    text.push_str("15999999,API,too few fields\n"); // line 3
    text.push_str(&line(&good[1])); // line 4
    let mut bad_cat: Vec<String> = records[10].iter().map(String::from).collect();
    bad_cat[5] = "없는분류".into();
    text.push_str(&line(&csv::StringRecord::from(bad_cat))); // line 5
    let mut bad_date: Vec<String> = records[11].iter().map(String::from).collect();
    bad_date[10] = "2022-13-45".into();
    text.push_str(&line(&csv::StringRecord::from(bad_date))); // line 6
    text.push_str(&line(&good[2])); // line 7
    text.push_str(&line(&good[0])); // line 8: repeats line 2's key
    let mut null_views: Vec<String> = records[12].iter().map(String::from).collect();
    null_views[4] = "(NULL)".into();
    null_views[11] = "2001-01-01".into(); // modified before registered: a warning only
    text.push_str(&line(&csv::StringRecord::from(null_views))); // line 9
    text.push_str(&line(&good[3])); // line 10
    std::fs::write(&path, text).unwrap();

    for b in backends().await {
        let t = fresh(b).await;
        let r = import_file(&t.db, &path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        let lines: Vec<u64> = r.rejected.iter().map(|x| x.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 8], "{:?}", r.rejected);
        assert!(
            r.rejected[0].reason.contains("fields"),
            "{:?}",
            r.rejected[0]
        );
        assert!(
            r.rejected[1].reason.contains("없는분류"),
            "{:?}",
            r.rejected[1]
        );
        assert!(
            r.rejected[2].reason.contains("2022-13-45"),
            "{:?}",
            r.rejected[2]
        );
        assert!(
            r.rejected[3].reason.contains("line 2"),
            "{:?}",
            r.rejected[3]
        );
        assert_eq!(r.inserted, 5);
        assert!(
            r.warnings
                .iter()
                .any(|w| w.line == 9 && w.message.contains("before registered")),
            "{:?}",
            r.warnings
        );
        let key = &records[12][0];
        assert_eq!(
            count(
                &t.db,
                &format!(
                    "SELECT COUNT(*) FROM dataset WHERE portal_key = '{key}' AND views IS NULL"
                )
            )
            .await,
            1
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn cp949_files_are_detected() {
    let (headers, records) = real_records();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cp949.csv");
    // Rows whose text CP949 can encode exactly.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    let mut n = 0;
    for r in records.iter().take(200) {
        let mut w2 = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w2.write_record(r).unwrap();
        let s = String::from_utf8(w2.into_inner().unwrap()).unwrap();
        let (_, _, lossy) = encoding_rs::EUC_KR.encode(&s);
        if !lossy {
            w.write_record(r).unwrap();
            n += 1;
        }
    }
    let utf8 = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let (bytes, _, _) = encoding_rs::EUC_KR.encode(&utf8);
    std::fs::write(&path, &bytes).unwrap();
    let t = fresh(Backend::Sqlite).await;
    let r = import_file(&t.db, &path, &QUIET, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(r.encoding, "CP949");
    assert_eq!(r.inserted, n);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let key = &records[0][0];
    let title = &records[0][2];
    assert_eq!(
        count(
            &t.db,
            &format!(
                "SELECT COUNT(*) FROM dataset WHERE portal_key = '{key}' AND title = '{title}'"
            )
        )
        .await,
        1
    );
    t.cleanup().await;
}

#[tokio::test]
async fn importing_over_the_demo_refuses_unless_told_to_drop_it() {
    for b in backends().await {
        let t = common::with_demo(b, 0.002).await;
        let (headers, records) = real_records();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("small.csv");
        write_csv(&path, &headers, &records[..50]);
        let err = import_file(&t.db, &path, &QUIET, chrono::Utc::now())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("--drop-demo"), "{err}");
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM dataset WHERE provenance = 'IMPORTED'"
            )
            .await,
            0
        );
        let opts = ImportOptions {
            drop_demo: true,
            progress: false,
        };
        let r = import_file(&t.db, &path, &opts, chrono::Utc::now())
            .await
            .unwrap();
        assert!(r.demo_dropped);
        assert_eq!(
            count(
                &t.db,
                "SELECT COUNT(*) FROM dataset WHERE provenance = 'SYNTHETIC'"
            )
            .await,
            0
        );
        assert_eq!(count(&t.db, "SELECT COUNT(*) FROM dataset").await, 50);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn an_import_killed_halfway_leaves_the_database_as_it_was() {
    let (headers, records) = real_records();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.csv");
    write_csv(&small, &headers, &records[..300]);
    for b in backends().await {
        let t = fresh(b).await;
        import_file(&t.db, &small, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        let snapshot = fingerprint(&t.db).await;

        // The test hook aborts the process (no unwinding, no rollback) once 3 batches of 10,000 new
        // datasets, with their disclosures and history, were written inside the transaction.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_inventory"))
            .args(["import", "--quiet", real_inventory().to_str().unwrap()])
            .env("DATABASE_URL", &t.url)
            .env("RUST_LOG", "warn")
            .env(inventory::import::ABORT_AFTER_BATCHES_VAR, "3")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{b:?}: {stderr}");
        assert!(
            stderr.contains("aborting after 3 insert batches"),
            "{b:?}: the import did not reach its insert phase: {stderr}"
        );
        // A fresh connection sees exactly what was there before.
        let db = inventory::db::connect(&t.url).await.unwrap();
        assert_eq!(fingerprint(&db).await, snapshot, "{b:?}");
        db.close().await.unwrap();
        t.cleanup().await;
    }
}

/// Keywords, format and the other columns the portal file does not carry are kept by officers:
/// a newer file that changes a dataset's title must not wipe them, and search still finds the
/// dataset by its keyword.
#[tokio::test]
async fn a_newer_file_keeps_what_officers_added() {
    use inventory::domain::registry::{DatasetEdit, update_dataset};
    let (headers, records) = real_records();
    let dir = tempfile::tempdir().unwrap();
    let base: Vec<csv::StringRecord> = records[..200].to_vec();
    let base_path = dir.path().join("inventory-2022.csv");
    write_csv(&base_path, &headers, &base);
    let key = base[10][0].to_string();
    let mut edited = base.clone();
    let mut f: Vec<String> = edited[10].iter().map(String::from).collect();
    f[2] = format!("{} (개정)", f[2]);
    edited[10] = csv::StringRecord::from(f);
    let edited_path = dir.path().join("inventory-2023.csv");
    write_csv(&edited_path, &headers, &edited);
    let keyword = "가나다라마바사키워드";

    for b in backends().await {
        let t = fresh(b).await;
        import_file(&t.db, &base_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        let id = count(
            &t.db,
            &format!("SELECT id FROM dataset WHERE portal_key = '{key}'"),
        )
        .await;
        update_dataset(
            &t.db,
            id,
            DatasetEdit {
                keywords: Some(vec![keyword.into(), "센서".into()]),
                format: Some("CSV+JSON".into()),
                ..Default::default()
            },
            "officer:test",
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        sea_orm::ConnectionTrait::execute_unprepared(
            &t.db,
            &format!(
                "UPDATE dataset SET licence = '공공누리 제1유형', update_frequency = '월간' WHERE id = {id}"
            ),
        )
        .await
        .unwrap();

        let r = import_file(&t.db, &edited_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!((r.updated, r.unchanged), (1, 199), "{b:?} {r}");
        let m = <entity::dataset::Entity as sea_orm::EntityTrait>::find_by_id(id)
            .one(&t.db)
            .await
            .unwrap()
            .unwrap();
        assert!(m.title.ends_with("(개정)"), "{b:?}: {}", m.title);
        assert_eq!(m.keywords, format!("{keyword},센서"), "{b:?}");
        assert_eq!(m.format.as_deref(), Some("CSV+JSON"), "{b:?}");
        assert_eq!(m.licence.as_deref(), Some("공공누리 제1유형"), "{b:?}");
        assert_eq!(m.update_frequency.as_deref(), Some("월간"), "{b:?}");

        // Search finds it by the kept keyword, ranked as a title/keyword match, and by the new title.
        let app = inventory::app(common::state(&t.db));
        let q = "query($s: String) { datasets(search: $s, first: 10) { totalCount nodes { portalKey title } } }";
        for term in [keyword, "개정"] {
            let v = common::gql(&app, q, serde_json::json!({ "s": term })).await;
            let nodes = v["data"]["datasets"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{v}"));
            assert!(
                nodes.iter().any(|n| n["portalKey"] == key.as_str()),
                "{b:?}: search {term:?} misses the dataset: {v}"
            );
        }
        // The same file again changes nothing and still keeps them.
        let again = import_file(&t.db, &edited_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(again.updated, 0, "{b:?}");
        t.cleanup().await;
    }
}

/// Real rows that hang on the demo (an officer of a demo institution, a dataset registered under
/// one, a citizen's request for a demo dataset) block `--drop-demo` with a message naming them,
/// and nothing changes.
#[tokio::test]
async fn dropping_the_demo_refuses_while_real_data_depends_on_it() {
    use entity::enums::Role;
    use inventory::domain::{registry, workflow};
    let (headers, records) = real_records();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.csv");
    write_csv(&path, &headers, &records[..50]);
    let drop = ImportOptions {
        drop_demo: true,
        progress: false,
    };
    for b in backends().await {
        let t = common::with_demo(b, 0.002).await;
        let now = inventory::demo::demo_now();
        let inst = count(
            &t.db,
            "SELECT MIN(id) FROM institution WHERE synthetic = TRUE",
        )
        .await;
        let (officer, _) = inventory::auth::create_account(
            &t.db,
            "실제 담당자",
            None,
            Role::Officer,
            Some(inst),
            "test",
            now,
        )
        .await
        .unwrap();
        registry::register_dataset(
            &t.db,
            common::withheld_dataset(inst, "실제로 등록한 데이터"),
            &format!("officer:{}", officer.id),
            officer.id,
            now,
        )
        .await
        .unwrap();
        let (citizen, _) = inventory::auth::create_account(
            &t.db,
            "실제 시민",
            None,
            Role::Citizen,
            None,
            "test",
            now,
        )
        .await
        .unwrap();
        let demo_ds = count(
            &t.db,
            "SELECT MIN(d.id) FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
             WHERE d.provenance = 'SYNTHETIC' AND s.status = 'WITHHELD'",
        )
        .await;
        workflow::file(
            &t.db,
            &workflow::Caller {
                account_id: citizen.id,
                role: Role::Citizen,
                scope: vec![],
                label: format!("citizen:{}", citizen.id),
            },
            Some(demo_ds),
            None,
            "연구 목적",
            &inventory::domain::deadlines::Deadlines::default(),
            now,
        )
        .await
        .unwrap();
        let before = demo_fingerprint(&t.db).await;

        let err = import_file(&t.db, &path, &drop, chrono::Utc::now())
            .await
            .unwrap_err();
        let msg = err.to_string();
        for part in [
            "cannot be dropped",
            "1 accounts scoped to demo institutions",
            "1 datasets (imported or registered) under demo institutions",
            "1 real requests for demo datasets",
            "Nothing was changed",
        ] {
            assert!(msg.contains(part), "{b:?}: {part:?} not in: {msg}");
        }
        assert_eq!(demo_fingerprint(&t.db).await, before, "{b:?}");
        t.cleanup().await;
    }
}

async fn demo_fingerprint(db: &sea_orm::DatabaseConnection) -> Vec<i64> {
    let mut v = fingerprint(db).await;
    for sql in [
        "SELECT COUNT(*) FROM account",
        "SELECT COUNT(*) FROM api_token",
        "SELECT COUNT(*) FROM data_request",
        "SELECT COUNT(*) FROM request_event",
        "SELECT COUNT(*) FROM core_bundle_dataset",
        "SELECT COUNT(*) FROM dataset WHERE provenance = 'SYNTHETIC'",
    ] {
        v.push(count(db, sql).await);
    }
    v
}

async fn fingerprint(db: &sea_orm::DatabaseConnection) -> Vec<i64> {
    let mut v = Vec::new();
    for sql in [
        "SELECT COUNT(*) FROM dataset",
        "SELECT COUNT(*) FROM institution",
        "SELECT COUNT(*) FROM disclosure_event",
        "SELECT COUNT(*) FROM import_run",
        "SELECT COUNT(*) FROM outbox",
        "SELECT COALESCE(SUM(LENGTH(title)), 0) FROM dataset",
    ] {
        v.push(count(db, sql).await);
    }
    v
}

/// The dataset with portal key `key`, as GraphQL shows it: listed, its disclosure's version and
/// its whole history.
async fn listing_of(app: &axum::Router, key: &str) -> serde_json::Value {
    let q = "query($k: String) { dataset(portalKey: $k) { listed disclosure { status version } \
             history(first: 100) { fromStatus toStatus fromListed listed actor explanation } } }";
    let v = common::gql(app, q, serde_json::json!({ "k": key })).await;
    assert!(v["errors"].is_null(), "{v}");
    v["data"]["dataset"].clone()
}

/// Rows leaving the file are delisted and coming back relisted, each as a history event (status
/// unchanged, listing before and after, the import as actor, why in words), counted by the
/// disclosure's version, in the change feed and in the catalog's figures; `inventory check`
/// holds after each import.
#[tokio::test]
async fn delistings_and_relistings_are_history_feed_and_catalog_events() {
    let (headers, records) = real_records();
    let dir = tempfile::tempdir().unwrap();
    let full: Vec<csv::StringRecord> = records[..300].to_vec();
    let full_path = dir.path().join("a.csv");
    write_csv(&full_path, &headers, &full);
    let gone = [full[5][0].to_string(), full[6][0].to_string()];
    let short: Vec<csv::StringRecord> = full
        .iter()
        .filter(|r| !gone.contains(&r[0].to_string()))
        .cloned()
        .collect();
    let short_path = dir.path().join("b.csv");
    write_csv(&short_path, &headers, &short);
    let unlisted = "{ datasets(filter: { listed: false }) { totalCount } }";
    let feed =
        "{ disclosureChanges(first: 1000) { changes { fromStatus toStatus fromListed listed } } }";

    for b in backends().await {
        let t = fresh(b).await;
        let app = inventory::app(common::state(&t.db));
        import_file(&t.db, &full_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        let r = import_file(&t.db, &short_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (r.delisted, r.relisted, r.unchanged),
            (2, 0, 298),
            "{b:?} {r}"
        );
        for key in &gone {
            let d = listing_of(&app, key).await;
            assert_eq!(d["listed"], false, "{b:?} {d}");
            assert_eq!(d["disclosure"]["version"], 2, "{b:?} {d}");
            let h = d["history"].as_array().unwrap();
            assert_eq!(h.len(), 2, "{b:?} {d}");
            assert_eq!(
                h[1],
                serde_json::json!({
                    "fromStatus": "OPEN", "toStatus": "OPEN", "fromListed": true, "listed": false,
                    "actor": "import:b.csv", "explanation": "no longer in the portal file b.csv"
                }),
                "{b:?}"
            );
            assert_eq!(h[0]["fromListed"], serde_json::Value::Null, "{b:?}");
        }
        let v = common::gql(&app, unlisted, serde_json::json!({})).await;
        assert_eq!(v["data"]["datasets"]["totalCount"], 2, "{b:?} {v}");
        let v = common::gql(&app, feed, serde_json::json!({})).await;
        let changes = v["data"]["disclosureChanges"]["changes"]
            .as_array()
            .unwrap();
        assert_eq!(changes.len(), 302, "{b:?}: 300 entries and 2 delistings");
        let delistings: Vec<_> = changes.iter().filter(|c| c["listed"] == false).collect();
        assert_eq!(delistings.len(), 2, "{b:?}");
        assert_eq!(delistings[0]["fromListed"], true, "{b:?}");
        assert_eq!(
            delistings[0]["fromStatus"], delistings[0]["toStatus"],
            "{b:?}"
        );
        assert_consistent(&t.db, &format!("{b:?} after the delisting import")).await;

        // Back in the file: listed again, recorded the same way.
        let r = import_file(&t.db, &full_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (r.delisted, r.relisted, r.kept_delisted, r.updated),
            (0, 2, 0, 0),
            "{b:?} {r}"
        );
        for key in &gone {
            let d = listing_of(&app, key).await;
            assert_eq!(d["listed"], true, "{b:?} {d}");
            assert_eq!(d["disclosure"]["version"], 3, "{b:?} {d}");
            let last = &d["history"][2];
            assert_eq!(
                (&last["fromListed"], &last["listed"], &last["explanation"]),
                (
                    &serde_json::json!(false),
                    &serde_json::json!(true),
                    &serde_json::json!("back in the portal file a.csv")
                ),
                "{b:?} {d}"
            );
        }
        let v = common::gql(&app, unlisted, serde_json::json!({})).await;
        assert_eq!(v["data"]["datasets"]["totalCount"], 0, "{b:?} {v}");
        let v = common::gql(&app, feed, serde_json::json!({})).await;
        let changes = v["data"]["disclosureChanges"]["changes"]
            .as_array()
            .unwrap();
        assert_eq!(changes.len(), 304, "{b:?}");
        assert_consistent(&t.db, &format!("{b:?} after the relisting import")).await;

        // The same file again writes nothing.
        let events = count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await;
        let r = import_file(&t.db, &full_path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (r.delisted, r.relisted, r.unchanged),
            (0, 0, 300),
            "{b:?} {r}"
        );
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await,
            events
        );
        t.cleanup().await;
    }
}

/// What people decided survives imports: an officer's delisting stays when the row is in the
/// file again (until an officer lists it), and an admin's "no parent" stays though the name
/// suggests one; `inventory check` holds throughout.
#[tokio::test]
async fn an_import_leaves_officers_delistings_and_admins_parents_alone() {
    use inventory::domain::institutions::guessed_parent_name;
    use inventory::domain::registry::{
        DatasetEdit, InstitutionInput, update_dataset, upsert_institution,
    };
    let (headers, records) = real_records();
    // A local body whose parent the import guesses from its name, the parent's rows, and more.
    let names: HashMap<&str, &str> = records.iter().map(|r| (&r[7], &r[6])).collect();
    let (child_name, child_code) = records
        .iter()
        .map(|r| (&r[7], &r[6]))
        .find(|(n, _)| guessed_parent_name(n).is_some_and(|p| names.contains_key(p)))
        .expect("the real file has local bodies under their province");
    let parent_name = guessed_parent_name(child_name).unwrap();
    let mut rows: Vec<csv::StringRecord> = records
        .iter()
        .filter(|r| &r[7] == child_name || &r[7] == parent_name)
        .take(40)
        .cloned()
        .collect();
    rows.extend(records[..100].iter().cloned());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.csv");
    write_csv(&path, &headers, &rows);
    let key = rows[0][0].to_string();
    let parent_of =
        format!("SELECT COALESCE(parent_id, 0) FROM institution WHERE code = '{child_code}'");

    for b in backends().await {
        let t = fresh(b).await;
        import_file(&t.db, &path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_ne!(
            count(&t.db, &parent_of).await,
            0,
            "{b:?}: the parent is guessed"
        );

        // An admin says it has no parent; an officer delists a dataset.
        upsert_institution(
            &t.db,
            InstitutionInput {
                code: child_code.to_string(),
                name: child_name.to_string(),
                name_en: None,
                kind: None,
                parent_code: None,
                parent_confirmed: true,
            },
            "admin:1",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let id = count(
            &t.db,
            &format!("SELECT id FROM dataset WHERE portal_key = '{key}'"),
        )
        .await;
        let delist = |listed| DatasetEdit {
            listed: Some(listed),
            ..Default::default()
        };
        update_dataset(
            &t.db,
            id,
            delist(false),
            "officer:7",
            Some(7),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let events = count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await;

        let r = import_file(&t.db, &path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!((r.relisted, r.kept_delisted), (0, 1), "{b:?} {r}");
        assert_eq!(
            count(&t.db, &parent_of).await,
            0,
            "{b:?}: the admin's no-parent stands"
        );
        assert_eq!(
            count(
                &t.db,
                &format!("SELECT COUNT(*) FROM dataset WHERE id = {id} AND listed = FALSE")
            )
            .await,
            1,
            "{b:?}: the officer's delisting stands"
        );
        assert_eq!(
            count(&t.db, "SELECT COUNT(*) FROM disclosure_event").await,
            events,
            "{b:?}"
        );
        assert_eq!(
            count(&t.db, &format!(
                "SELECT COUNT(*) FROM disclosure_event WHERE dataset_id = {id} AND listed = FALSE \
                 AND actor = 'officer:7' AND actor_account_id = 7"
            )).await,
            1,
            "{b:?}"
        );
        assert_consistent(
            &t.db,
            &format!("{b:?} after an import over people's decisions"),
        )
        .await;

        // The officer lists it again: recorded, and the next import has nothing to do.
        update_dataset(
            &t.db,
            id,
            delist(true),
            "officer:7",
            Some(7),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let r = import_file(&t.db, &path, &QUIET, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(
            (r.relisted, r.kept_delisted, r.delisted),
            (0, 0, 0),
            "{b:?} {r}"
        );
        assert_eq!(
            count(
                &t.db,
                &format!("SELECT CAST(version AS BIGINT) FROM disclosure WHERE dataset_id = {id}")
            )
            .await,
            3,
            "{b:?}: entered, delisted, listed"
        );
        assert_consistent(&t.db, &format!("{b:?} after the officer listed it again")).await;
        t.cleanup().await;
    }
}
