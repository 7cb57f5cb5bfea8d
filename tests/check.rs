//! `inventory check` catches a broken database: each rule is broken in turn with raw SQL and the
//! report names the rule and the row; the command prints it and exits non-zero. On both backends.

mod common;

use std::process::Command;

use common::{backends, count, fresh, real_inventory};
use inventory::check::{check, rules};
use sea_orm::ConnectionTrait;

/// `inventory check` on `url`: success, and what it printed.
fn cli_check(url: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_inventory"))
        .arg("check")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test]
async fn check_names_every_broken_rule_and_the_rows_that_break_it() {
    let (headers, rows) = {
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(real_inventory()).unwrap()),
            &mut text,
        )
        .unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let h = r.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = r.records().take(50).map(Result::unwrap).collect();
        (h, rows)
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&headers).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();

    for b in backends().await {
        let t = fresh(b).await;
        let db = &t.db;
        let now = chrono::Utc::now();
        inventory::import::import_file(db, &path, &Default::default(), now)
            .await
            .unwrap();
        let r = check(db).await.unwrap();
        assert!(r.ok(), "{b:?}: {r}");
        let (ok, out) = cli_check(&t.url);
        assert!(ok, "{b:?}: {out}");
        assert!(out.contains("ok: 10 rules hold"), "{b:?}: {out}");

        let id = |k: i64| async move {
            count(
                db,
                &format!("SELECT id FROM dataset ORDER BY id LIMIT 1 OFFSET {k}"),
            )
            .await
        };
        let (a, v, l, s, p, c, g, h) = (
            id(1).await,
            id(2).await,
            id(3).await,
            id(4).await,
            id(5).await,
            id(6).await,
            id(7).await,
            id(8).await,
        );
        let middle = count(db, "SELECT MIN(id) + 3 FROM outbox").await;
        let ts = match b {
            common::Backend::Postgres => "now()",
            common::Backend::Sqlite => "'2030-01-01T00:00:00+00:00'",
        };
        for sql in [
            format!(
                "UPDATE disclosure SET status = 'WITHHELD', ground = 'OIDA_9_1_6_PERSONAL_INFORMATION' \
                 WHERE dataset_id = {a}"
            ),
            format!("UPDATE disclosure SET version = 5 WHERE dataset_id = {v}"),
            format!("UPDATE dataset SET listed = FALSE WHERE id = {l}"),
            format!("UPDATE dataset SET search_title = '엉뚱한 제목' WHERE id = {s}"),
            format!("DELETE FROM outbox WHERE id = {middle}"),
            "INSERT INTO account (display_name, role, synthetic, created_at) \
             VALUES ('시민', 'CITIZEN', FALSE, '2026-01-01T00:00:00+00:00')"
                .to_string(),
            format!(
                "INSERT INTO data_request (requester_id, dataset_id, institution_id, purpose, state, \
                 filed_at, decision_due_on, extended, synthetic, version, updated_at) \
                 SELECT MAX(a.id), {p}, d.institution_id, '연구', 'PROVIDED', {ts}, '2030-01-10', \
                        FALSE, FALSE, 1, {ts} \
                   FROM account a, dataset d WHERE d.id = {p} GROUP BY d.institution_id"
            ),
            format!(
                "INSERT INTO disclosure_event (dataset_id, from_status, to_status, actor, \
                 occurred_at, from_listed, listed) \
                 VALUES ({c}, 'WITHHELD', 'OPEN', 'raw', {ts}, TRUE, TRUE)"
            ),
            format!("DELETE FROM disclosure WHERE dataset_id = {g}"),
            format!("DELETE FROM disclosure_event WHERE dataset_id = {h}"),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }

        let r = check(db).await.unwrap();
        assert!(!r.ok());
        let names = |rule: &str| {
            let v = r
                .violation(rule)
                .unwrap_or_else(|| panic!("{b:?}: {rule} not reported: {r}"));
            v.examples.join("\n")
        };
        assert!(names(rules::DISCLOSURE_IS_LAST_EVENT).contains(&format!(
            "dataset {a}: disclosure says WITHHELD (OIDA_9_1_6_PERSONAL_INFORMATION), its last event OPEN (null)"
        )), "{b:?}: {r}");
        assert!(
            names(rules::VERSION_COUNTS_EVENTS)
                .contains(&format!("dataset {v}: version 5, 1 history events")),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::LISTING_IS_LAST_EVENT).contains(&format!(
                "dataset {l}: listed is false, its last event says true"
            )),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::SEARCH_TEXT).contains(&format!("dataset {s}:")),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::OUTBOX_GAPLESS)
                .contains(&format!("outbox ids {middle} to {middle} are missing")),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::PROVIDED_REQUESTS).contains(&format!("dataset {p} asked for")),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::HISTORY_CHAIN).contains(&format!("of dataset {c} starts from WITHHELD")),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::DISCLOSURE_PRESENT)
                .contains(&format!("dataset {g} has no disclosure row")),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::HISTORY_PRESENT).contains(&format!("dataset {h} has no history event")),
            "{b:?}: {r}"
        );
        assert!(
            names(rules::CATALOG_FIGURES).contains("datasets: the catalog counts 49, SQL 50"),
            "{b:?}: {r}"
        );
        assert_eq!(
            r.violations.len(),
            10,
            "{b:?}: every rule is broken once: {r}"
        );

        let (ok, out) = cli_check(&t.url);
        assert!(!ok, "{b:?}: {out}");
        assert!(
            out.contains("VIOLATED: the outbox has no gaps (1 rows)"),
            "{b:?}: {out}"
        );
        assert!(out.contains("10 of 10 rules violated"), "{b:?}: {out}");
        t.cleanup().await;
    }
}
