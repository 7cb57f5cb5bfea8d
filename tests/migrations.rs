//! Migrations run up, down and up again on every backend.

mod common;

use common::{backends, count};
use migration::{Migrator, MigratorTrait};

const TABLES: &[&str] = &[
    "institution",
    "institution_name",
    "dataset",
    "disclosure",
    "disclosure_event",
    "core_bundle",
    "core_bundle_dataset",
    "plan",
    "commitment",
    "milestone",
    "target",
    "account",
    "api_token",
    "data_request",
    "request_event",
    "request_supporter",
    "request_follower",
    "outbox",
    "import_run",
    "signup_attempt",
];

async fn table_count(db: &sea_orm::DatabaseConnection) -> i64 {
    let list = TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ({list})")
        }
        _ => format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ({list})"
        ),
    };
    count(db, &sql).await
}

use sea_orm::ConnectionTrait;

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    for b in backends().await {
        let (url, _dir, pg_name) = common::fresh_unmigrated(b).await;
        let db = inventory::db::connect(&url).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        assert_eq!(table_count(&db).await, TABLES.len() as i64, "{b:?}");
        assert!(
            Migrator::get_pending_migrations(&db)
                .await
                .unwrap()
                .is_empty()
        );
        Migrator::down(&db, None).await.unwrap();
        assert_eq!(table_count(&db).await, 0, "{b:?}: tables left after down");
        Migrator::up(&db, None).await.unwrap();
        assert_eq!(table_count(&db).await, TABLES.len() as i64, "{b:?}");
        db.close().await.unwrap();
        if let Some(name) = pg_name {
            let admin = sea_orm::Database::connect(common::pg_admin_url().await.unwrap())
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_full_sync_and_foreign_keys() {
    let t = common::fresh(common::Backend::Sqlite).await;
    use sea_orm::Statement;
    for (pragma, want) in [
        ("journal_mode", "wal"),
        ("synchronous", "2"),
        ("foreign_keys", "1"),
    ] {
        let row =
            t.db.query_one_raw(Statement::from_string(
                sea_orm::DbBackend::Sqlite,
                format!("PRAGMA {pragma}"),
            ))
            .await
            .unwrap()
            .unwrap();
        let v: String = row
            .try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
            .unwrap();
        assert_eq!(v.to_lowercase(), want, "PRAGMA {pragma}");
    }
    t.cleanup().await;
}

/// The SQLite engine is built without its global allocation mutex (`.cargo/config.toml`): with
/// it, every row value sqlx copies took one lock shared by all connections' threads.
#[tokio::test]
async fn sqlite_is_built_without_the_allocation_statistics_mutex() {
    let t = common::fresh(common::Backend::Sqlite).await;
    let rows =
        t.db.query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA compile_options",
        ))
        .await
        .unwrap();
    let options: Vec<String> = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "SQLite was built without SQLITE_DEFAULT_MEMSTATUS=0 (LIBSQLITE3_FLAGS in .cargo/config.toml): {options:?}"
    );
    t.cleanup().await;
}

/// A database from before listing had a history: the migration gives each delisted dataset the
/// delisting event it lacked (by the import for imported data), counts it in the version, and
/// leaves listed datasets alone; `inventory check` then holds.
#[tokio::test]
async fn delistings_from_before_the_listing_history_get_their_event() {
    for b in backends().await {
        let (url, _dir, pg_name) = common::fresh_unmigrated(b).await;
        let db = inventory::db::connect(&url).await.unwrap();
        let before = Migrator::migrations().len() as u32 - 1;
        Migrator::up(&db, Some(before)).await.unwrap();
        let at = "'2024-05-01T00:00:00+00:00'";
        for sql in [
            format!(
                "INSERT INTO institution (id, code, name, kind, kind_overridden, parent_confirmed, \
                 synthetic, created_at, updated_at) VALUES (1, '1741000', '행정안전부', 'CENTRAL_GOVERNMENT', \
                 FALSE, FALSE, FALSE, {at}, {at})"
            ),
            format!(
                "INSERT INTO dataset (id, portal_key, title, description, institution_id, category, \
                 dataset_type, keywords, national_core, standard, listed, provenance, search_title, \
                 search_body, created_at, updated_at) VALUES \
                 (1, '15000001', '가', '', 1, 'LAW', 'FILE', '', FALSE, FALSE, FALSE, 'IMPORTED', '가', '', {at}, {at}), \
                 (2, NULL, '나', '', 1, 'LAW', 'FILE', '', FALSE, FALSE, FALSE, 'REGISTERED', '나', '', {at}, {at}), \
                 (3, '15000003', '다', '', 1, 'LAW', 'FILE', '', FALSE, FALSE, TRUE, 'IMPORTED', '다', '', {at}, {at})"
            ),
            format!(
                "INSERT INTO disclosure (dataset_id, status, mitigation, version, updated_at) VALUES \
                 (1, 'OPEN', '', 1, {at}), (2, 'OPEN', '', 2, {at}), (3, 'OPEN', '', 1, {at})"
            ),
            "INSERT INTO disclosure_event (dataset_id, from_status, to_status, actor, occurred_at) VALUES \
             (1, NULL, 'OPEN', 'import:a.csv', '2020-01-01T00:00:00+00:00'), \
             (2, NULL, 'UNDER_REVIEW', 'officer:1', '2020-01-01T00:00:00+00:00'), \
             (2, 'UNDER_REVIEW', 'OPEN', 'officer:1', '2021-01-01T00:00:00+00:00'), \
             (3, NULL, 'OPEN', 'import:a.csv', '2020-01-01T00:00:00+00:00')"
                .to_string(),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        Migrator::up(&db, None).await.unwrap();
        let rows = |sql: &str| {
            let db = db.clone();
            let sql = sql.to_string();
            async move {
                db.query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql,
                ))
                .await
                .unwrap()
                .into_iter()
                .map(|r| {
                    format!(
                        "{}|{}|{:?}|{}",
                        r.try_get_by_index::<i64>(0).unwrap(),
                        r.try_get_by_index::<String>(1).unwrap(),
                        r.try_get_by_index::<Option<bool>>(2).unwrap(),
                        r.try_get_by_index::<bool>(3).unwrap()
                    )
                })
                .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            rows("SELECT dataset_id, actor, from_listed, listed FROM disclosure_event ORDER BY id")
                .await,
            [
                "1|import:a.csv|None|true",
                "2|officer:1|None|true",
                "2|officer:1|Some(true)|true",
                "3|import:a.csv|None|true",
                "1|import:(before the listing history)|Some(true)|false",
                "2|unknown|Some(true)|false",
            ],
            "{b:?}"
        );
        assert_eq!(
            count(&db, "SELECT CAST(SUM(version) AS BIGINT) FROM disclosure").await,
            2 + 3 + 1,
            "{b:?}"
        );
        let report = inventory::check::check(&db).await.unwrap();
        assert!(report.ok(), "{b:?}: {report}");
        // And back down: the events it added go, the versions return.
        Migrator::down(&db, Some(1)).await.unwrap();
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM disclosure_event").await,
            4,
            "{b:?}"
        );
        assert_eq!(
            count(&db, "SELECT CAST(SUM(version) AS BIGINT) FROM disclosure").await,
            4,
            "{b:?}"
        );
        db.close().await.unwrap();
        if let Some(name) = pg_name {
            let admin = sea_orm::Database::connect(common::pg_admin_url().await.unwrap())
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await
                .unwrap();
        }
    }
}
