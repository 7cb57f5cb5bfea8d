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
