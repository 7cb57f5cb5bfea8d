//! The demo inventory: deterministic, national proportions, clearly synthetic.

mod common;

use common::{backends, count, with_demo};
use sea_orm::{ConnectionTrait, Statement};

/// A digest of the demo's rows, to compare two builds.
async fn digest(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    let sql = "SELECT d.id, d.title, d.category, i.code, s.status, COALESCE(s.ground, '-'), \
               (SELECT COUNT(*) FROM disclosure_event e WHERE e.dataset_id = d.id) \
               FROM dataset d JOIN institution i ON i.id = d.institution_id JOIN disclosure s ON s.dataset_id = d.id \
               ORDER BY d.id";
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_string(),
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        format!(
            "{}|{}|{}|{}|{}|{}|{}",
            r.try_get_by_index::<i64>(0).unwrap(),
            r.try_get_by_index::<String>(1).unwrap(),
            r.try_get_by_index::<String>(2).unwrap(),
            r.try_get_by_index::<String>(3).unwrap(),
            r.try_get_by_index::<String>(4).unwrap(),
            r.try_get_by_index::<String>(5).unwrap(),
            r.try_get_by_index::<i64>(6).unwrap(),
        )
    })
    .collect()
}

#[tokio::test]
async fn the_demo_is_deterministic_across_builds_and_backends() {
    let mut digests = Vec::new();
    for b in backends().await {
        for _ in 0..2 {
            let t = with_demo(b, 0.005).await;
            digests.push((b, digest(&t.db).await));
            t.cleanup().await;
        }
    }
    let (_, first) = &digests[0];
    assert!(first.len() > 1_500, "{}", first.len());
    for (b, d) in &digests[1..] {
        assert_eq!(d.len(), first.len(), "{b:?}");
        assert!(d == first, "{b:?}: the demo differs between builds");
    }
}

#[tokio::test]
async fn the_demo_follows_the_reported_shares_and_is_marked_synthetic() {
    for b in backends().await {
        let t = with_demo(b, 0.05).await;
        let db = &t.db;
        // The published list's shares, before requests opened a few entries (and registered
        // the unlisted data some of them asked for).
        let opened_on_request = count(
            db,
            "SELECT COUNT(*) FROM disclosure_event WHERE explanation LIKE 'provided on request %'",
        )
        .await;
        let registered = count(
            db,
            "SELECT COUNT(*) FROM data_request WHERE state = 'PROVIDED' AND dataset_id IS NULL",
        )
        .await;
        assert!(opened_on_request > 0 && registered > 0, "{b:?}");
        let not_open = opened_on_request
            + count(db, "SELECT COUNT(*) FROM disclosure WHERE status <> 'OPEN'").await;
        let open = count(db, "SELECT COUNT(*) FROM disclosure WHERE status = 'OPEN'").await
            - opened_on_request
            - registered;
        assert!(
            (not_open as f64 - 263_342.0 * 0.05).abs() < 5.0,
            "{not_open}"
        );
        assert!((open as f64 - 87_000.0 * 0.05).abs() < 5.0, "{open}");

        // Grounds of entries that carry one, against the reported shares.
        let with_ground = count(
            db,
            "SELECT COUNT(*) FROM disclosure WHERE ground IS NOT NULL",
        )
        .await as f64;
        for (ground, pct) in [
            ("OIDA_9_1_7_BUSINESS_SECRET", 29.5),
            ("OIDA_9_1_6_PERSONAL_INFORMATION", 11.8),
            ("OIDA_9_1_1_OTHER_LAW_SECRET", 8.6),
        ] {
            let n = count(
                db,
                &format!("SELECT COUNT(*) FROM disclosure WHERE ground = '{ground}'"),
            )
            .await as f64;
            let share = 100.0 * n / with_ground;
            assert!(
                (share - pct).abs() < 1.0,
                "{b:?} {ground}: {share:.2}% vs {pct}%"
            );
        }
        // Practical reasons exist and carry no legal basis.
        assert!(
            count(
                db,
                "SELECT COUNT(*) FROM disclosure WHERE ground LIKE 'PRACTICAL%'"
            )
            .await
                > 0
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM disclosure WHERE ground LIKE 'PRACTICAL%' AND legal_basis IS NOT NULL").await,
            0
        );
        // Withheld entries say why.
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM disclosure WHERE status IN ('WITHHELD', 'PARTIALLY_OPEN') AND (ground IS NULL OR explanation IS NULL)").await,
            0
        );

        // Synthetic everywhere, and never a real-looking portal key.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM dataset WHERE provenance <> 'SYNTHETIC'"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM dataset WHERE portal_key IS NOT NULL"
            )
            .await,
            0
        );
        let fictional = count(
            db,
            "SELECT COUNT(*) FROM institution WHERE name LIKE '%(가상)%'",
        )
        .await;
        let institutions = count(db, "SELECT COUNT(*) FROM institution").await;
        assert_eq!(fictional, institutions);

        // Every entry has its initial history event; some have been opened over the years.
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM dataset d WHERE NOT EXISTS (SELECT 1 FROM disclosure_event e WHERE e.dataset_id = d.id AND e.from_status IS NULL)").await,
            0
        );
        assert!(count(db, "SELECT COUNT(*) FROM disclosure_event WHERE from_status = 'WITHHELD' AND to_status = 'OPEN'").await > 0);

        // Requests in every state.
        let states = count(db, "SELECT COUNT(DISTINCT state) FROM data_request").await;
        assert_eq!(
            states as usize,
            <entity::enums::RequestState as sea_orm::Iterable>::iter().count()
        );

        // The real plans, commitments and bundles.
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM commitment WHERE code IN ('KR0067', 'SEO0002')"
            )
            .await,
            2
        );
        assert!(
            count(
                db,
                "SELECT COUNT(*) FROM target WHERE target_value = 106930"
            )
            .await
                >= 1
        );
        assert_eq!(count(db, "SELECT COUNT(*) FROM core_bundle").await, 200);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn the_demo_refuses_a_non_empty_database() {
    let t = with_demo(common::Backend::Sqlite, 0.002).await;
    let err = inventory::demo::build(
        &t.db,
        &inventory::demo::DemoOptions {
            scale: 0.002,
            seed: 1,
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    t.cleanup().await;
}

/// `inventory token --role admin` before the first `serve` creates account 1; the demo then
/// numbers its own accounts, requests and datasets after the existing rows, and later accounts,
/// requests and datasets made the normal way get fresh ids too.
#[tokio::test]
async fn accounts_made_before_the_demo_survive_it_and_ids_keep_flowing() {
    use entity::enums::Role;
    use inventory::domain::{registry, workflow};
    for b in backends().await {
        let t = common::fresh(b).await;
        let now = inventory::demo::demo_now();
        let (admin, token) =
            inventory::auth::create_account(&t.db, "운영자", None, Role::Admin, None, "cli", now)
                .await
                .unwrap();

        // What `serve` does on its first start.
        let (db, built) = inventory::prepare(&t.url, Some(0.002)).await.unwrap();
        let built = built.expect("the inventory had no dataset, so the demo is built");
        assert!(built.requests > 0);

        // The admin is untouched, its token works, and no demo row points at it.
        let viewer = inventory::auth::by_token(&db, &token)
            .await
            .unwrap()
            .expect("the admin's token still authenticates");
        assert_eq!(
            viewer.actor().map(|a| a.account_id),
            Some(admin.id),
            "{b:?}"
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM account WHERE synthetic = FALSE").await,
            1,
            "{b:?}"
        );
        let q = format!(
            "SELECT (SELECT COUNT(*) FROM data_request WHERE requester_id = {0}) + \
                    (SELECT COUNT(*) FROM request_supporter WHERE account_id = {0})",
            admin.id
        );
        assert_eq!(count(&db, &q).await, 0, "{b:?}");

        // New rows through the normal paths: an account, a request, a registered dataset.
        let (citizen, _) =
            inventory::auth::create_account(&db, "시민", None, Role::Citizen, None, "test", now)
                .await
                .unwrap();
        assert!(
            citizen.id > count(&db, "SELECT MAX(id) FROM account WHERE synthetic = TRUE").await,
            "{b:?}"
        );
        let withheld = count(
            &db,
            "SELECT MIN(dataset_id) FROM disclosure WHERE status = 'WITHHELD'",
        )
        .await;
        let req = workflow::file(
            &db,
            &workflow::Caller {
                account_id: citizen.id,
                role: Role::Citizen,
                scope: vec![],
                label: format!("citizen:{}", citizen.id),
            },
            Some(withheld),
            None,
            "연구 목적",
            &inventory::domain::deadlines::Deadlines::default(),
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            count(&db, "SELECT MAX(id) FROM data_request").await,
            req.id,
            "{b:?}"
        );
        let inst = count(&db, "SELECT MIN(id) FROM institution").await;
        let ds = registry::register_dataset(
            &db,
            common::withheld_dataset(inst, "새로 등록한 데이터"),
            &format!("admin:{}", admin.id),
            admin.id,
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            count(&db, "SELECT MAX(id) FROM dataset").await,
            ds.id,
            "{b:?}"
        );
        db.close().await.unwrap();
        t.cleanup().await;
    }
}

/// Two instances starting at once on one fresh PostgreSQL database: both start, the schema is
/// migrated once and the demo built once (the other instance waits for the setup lock, then
/// finds the work done).
#[tokio::test]
async fn instances_starting_together_on_postgres_set_up_once() {
    if !backends().await.contains(&common::Backend::Postgres) {
        return;
    }
    let t = common::fresh_empty(common::Backend::Postgres).await;
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let url = t.url.clone();
            tokio::spawn(async move { inventory::prepare(&url, Some(0.002)).await })
        })
        .collect();
    let mut built = Vec::new();
    for s in starts {
        let (db, summary) = s.await.unwrap().expect("every instance starts");
        built.extend(summary);
        db.close().await.unwrap();
    }
    assert_eq!(built.len(), 1, "the demo is built exactly once");
    let s = &built[0];
    assert_eq!(
        count(&t.db, "SELECT COUNT(*) FROM dataset").await,
        (s.open_datasets + s.not_open_datasets) as i64
    );
    assert_eq!(
        count(&t.db, "SELECT COUNT(*) FROM data_request").await,
        s.requests as i64
    );
    assert_eq!(
        count(
            &t.db,
            "SELECT COUNT(*) - COUNT(DISTINCT version) FROM seaql_migrations"
        )
        .await,
        0
    );
    t.cleanup().await;
}

/// The demo keeps the product's rules: `inventory check` passes on it (every PROVIDED request
/// opened its dataset, with a history event, or registered the provided data; versions count the
/// history), decisions take varying times, and every explanation of a ground "under another
/// statute" names the statute.
#[tokio::test]
async fn the_demo_keeps_the_products_rules() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let db = &t.db;
        common::assert_consistent(db, &format!("{b:?}: the demo")).await;
        // PROVIDED requests: the entries asked for are open, each opened by its request on the
        // day of the decision; unlisted data was registered open.
        let provided = count(
            db,
            "SELECT COUNT(*) FROM data_request WHERE state = 'PROVIDED'",
        )
        .await;
        assert!(provided >= 3, "{b:?}: {provided}");
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM data_request r JOIN disclosure s ON s.dataset_id = r.provided_dataset_id \
                 JOIN disclosure_event e ON e.dataset_id = r.provided_dataset_id AND e.to_status = 'OPEN' \
                  AND e.occurred_at = r.decided_at \
                  AND e.explanation IN ('provided on request ' || r.id, 'registered when request ' || r.id || ' was provided') \
                 WHERE r.state = 'PROVIDED' AND s.status = 'OPEN' \
                   AND (r.dataset_id IS NULL OR r.dataset_id = r.provided_dataset_id)"
            )
            .await,
            provided,
            "{b:?}"
        );
        // Decisions take varying times, within the period.
        let spans = count(
            db,
            "SELECT COUNT(DISTINCT e.occurred_at) FROM request_event e \
             WHERE e.from_state = 'RECEIVED'",
        )
        .await;
        assert!(spans > 20, "{b:?}: {spans}");
        let turnaround = format!(
            "SELECT COUNT(DISTINCT {}) FROM data_request WHERE decided_at IS NOT NULL",
            match b {
                common::Backend::Postgres =>
                    "CAST(EXTRACT(EPOCH FROM decided_at - filed_at) AS BIGINT)",
                common::Backend::Sqlite =>
                    "CAST(julianday(decided_at) - julianday(filed_at) AS INTEGER)",
            }
        );
        assert!(
            count(db, &turnaround).await >= 5,
            "{b:?}: decision times vary"
        );
        assert_eq!(
            count(
                db,
                "SELECT COUNT(*) FROM data_request WHERE decided_at IS NOT NULL \
                 AND (decided_at <= filed_at OR decision_due_on < CAST(decided_at AS DATE))"
            )
            .await,
            0,
            "{b:?}: decided after filing, by the deadline"
        );
        // Grounds resting on another law name it, in the disclosure and in the history.
        for table in ["disclosure", "disclosure_event"] {
            assert!(
                count(
                    db,
                    &format!("SELECT COUNT(*) FROM {table} WHERE ground = 'OTHER_STATUTE'")
                )
                .await
                    > 0,
                "{b:?}"
            );
            assert_eq!(
                count(
                    db,
                    &format!(
                        "SELECT COUNT(*) FROM {table} \
                         WHERE ground IN ('OTHER_STATUTE', 'OIDA_9_1_1_OTHER_LAW_SECRET') \
                           AND explanation NOT LIKE '%「%」%'"
                    )
                )
                .await,
                0,
                "{b:?}: {table}"
            );
        }
        t.cleanup().await;
    }
}

/// `inventory demo` on a terminal (a pseudo-terminal from util-linux's `script`) shows a bar
/// with the current phase, its name and its time, writes each phase's log line above it on a
/// line of its own, and clears it at the end; with standard error not a terminal, the phase
/// lines only, and no bar.
#[tokio::test]
async fn the_demo_command_shows_a_bar_on_a_terminal_and_phase_lines_elsewhere() {
    let exe = env!("CARGO_BIN_EXE_inventory");
    for b in backends().await {
        // Not a terminal: the log's phase lines, no bar.
        let t = common::fresh(b).await;
        let out = std::process::Command::new(exe)
            .args(["demo", "--scale", "0.01"])
            .env("DATABASE_URL", &t.url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{b:?}: {out:?}");
        let log = String::from_utf8_lossy(&out.stderr);
        for n in 1..=6 {
            assert!(log.contains(&format!("demo {n}/6: ")), "{b:?}: {log}");
        }
        assert!(
            !log.contains("=>") && !log.contains("\x1b[2K"),
            "{b:?}: {log}"
        );
        t.cleanup().await;

        if std::process::Command::new("script")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!("SKIPPED the terminal half: no `script` (util-linux) on the PATH");
            continue;
        }
        let t = common::fresh(b).await;
        let out = std::process::Command::new("script")
            .args(["-qec", &format!("{exe} demo --scale 0.01"), "/dev/null"])
            .env("DATABASE_URL", &t.url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{b:?}: {out:?}");
        let screen = String::from_utf8_lossy(&out.stdout);
        for (n, name) in [
            (1, "plans and targets"),
            (3, "datasets and their disclosure history"),
            (6, "statistics and commit"),
        ] {
            // The bar: the phase as a step, its name and its time.
            assert!(
                screen.contains(&format!("demo {n}/6 ["))
                    && screen.contains(&format!("] {name} (")),
                "{b:?}: no bar for phase {n} in {screen:?}"
            );
            // Its log line, on a line of its own: the bar stepped aside while it was written.
            let line = screen
                .split('\n')
                .find(|l| l.contains(&format!("demo {n}/6: {name}")))
                .unwrap_or_else(|| panic!("{b:?}: no log line for phase {n} in {screen:?}"));
            let shown = line.rsplit("\x1b[2K").next().unwrap();
            assert!(
                shown.contains(&format!("demo {n}/6: {name}")) && !shown.contains("/6 ["),
                "{b:?}: the bar garbles the log line {line:?}"
            );
        }
        // Cleared at the end: the summary starts on a clean line.
        let last = screen.trim_end().rsplit("\x1b[2K").next().unwrap();
        assert!(last.starts_with("demo built in"), "{b:?}: {last:?}");
        t.cleanup().await;
    }
}
