//! Bulk-load helpers of the demo build: explicit ids after what a table holds, sequences moved
//! past them, and the finish (planner statistics, commit, the SQLite WAL folded in).

use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr};

use crate::db;

pub(super) use crate::db::bulk::max_id;

/// On PostgreSQL, moves the sequences of the tables written with explicit ids past those rows
/// (explicit ids do not advance them).
pub(super) async fn advance_sequences(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        for t in ["dataset", "data_request", "account"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"
            ))
            .await?;
        }
    }
    Ok(())
}

/// Planner statistics, the usual settings back, commit. On SQLite the bulk load is then folded
/// into the main file rather than leaving a WAL as large as the database. On PostgreSQL the
/// tables are vacuumed as well as analyzed once committed (`VACUUM` cannot run in a
/// transaction): until then no page of the fresh rows is marked all-visible, and every index
/// scan visits the table for each row it finds.
pub(super) async fn finish(db: &DatabaseConnection, txn: DatabaseTransaction) -> Result<(), DbErr> {
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    if !postgres {
        db::analyze(&txn).await?;
    }
    db::bulk_load_settings(&txn, false).await?;
    txn.commit().await?;
    if postgres {
        db.execute_unprepared("VACUUM (ANALYZE)").await?;
    } else {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(())
}
