//! The search index: distinct character bigrams of each dataset's normalized text.
//!
//! Korean titles are unspaced compounds and most nouns have two syllables, so the index is made
//! of bigrams: every query of two or more characters can be answered from it. The grams are
//! produced **by SQL** from the normalized `search_title` / `search_body` columns, the same
//! statement on SQLite and PostgreSQL (`substr` counts characters on both), so both databases
//! hold exactly the same index: one row per distinct (gram, dataset).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::domain::text::MAX_INDEXED_CHARS;

/// Grams of the rows selected by `filter` (a condition on `d`, with `$n` parameters).
///
/// On PostgreSQL the grams are compared in the "C" collation, so that the de-duplication sorts
/// bytes instead of running the database's linguistic collation over millions of rows.
fn insert_sql(backend: DbBackend, filter: &str) -> String {
    let c = if backend == DbBackend::Postgres {
        " COLLATE \"C\""
    } else {
        ""
    };
    format!(
        "INSERT INTO search_gram (gram, dataset_id) \
         SELECT substr(d.search_title, p.i, 2){c}, d.id \
           FROM dataset d JOIN search_pos p ON p.i < length(d.search_title) WHERE {filter} \
         UNION \
         SELECT substr(d.search_body, p.i, 2){c}, d.id \
           FROM dataset d JOIN search_pos p ON p.i < length(d.search_body) WHERE {filter}"
    )
}

/// Fills `search_pos` (the positions 1..=MAX_INDEXED_CHARS the grams are cut at) once.
pub async fn ensure_positions<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let have = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM search_pos",
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if have as usize >= MAX_INDEXED_CHARS {
        return Ok(());
    }
    db.execute_unprepared("DELETE FROM search_pos").await?;
    db.execute_unprepared(&format!(
        "INSERT INTO search_pos (i) WITH RECURSIVE s(i) AS \
         (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {MAX_INDEXED_CHARS}) SELECT i FROM s"
    ))
    .await?;
    Ok(())
}

/// Indexes the datasets with ids in `from..=to` (which must not be indexed yet).
pub async fn index_range<C: ConnectionTrait>(db: &C, from: i64, to: i64) -> Result<(), DbErr> {
    ensure_positions(db).await?;
    let sql = insert_sql(db.get_database_backend(), "d.id BETWEEN $1 AND $2");
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [from.into(), to.into()],
    ))
    .await?;
    Ok(())
}

/// Re-indexes the given datasets after their text changed.
pub async fn reindex<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    ensure_positions(db).await?;
    unindex(db, ids).await?;
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        db.execute_unprepared(&insert_sql(
            db.get_database_backend(),
            &format!("d.id IN ({list})"),
        ))
        .await?;
    }
    Ok(())
}

/// Rebuilds the whole index (after a bulk load), inside the caller's transaction.
///
/// The secondary index on `dataset_id` is dropped for the bulk insert and built again afterwards
/// (one sort instead of millions of random B-tree inserts); on SQLite the page cache of the
/// connection is raised for the duration so the new table does not spill to disk mid-transaction.
pub async fn rebuild_all<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    ensure_positions(db).await?;
    let backend = db.get_database_backend();
    match backend {
        DbBackend::Sqlite => {
            db.execute_unprepared("PRAGMA cache_size = -1048576")
                .await?;
        }
        _ => {
            db.execute_unprepared("SET LOCAL work_mem = '256MB'")
                .await?;
            db.execute_unprepared("SET LOCAL maintenance_work_mem = '512MB'")
                .await?;
        }
    }
    db.execute_unprepared("DROP INDEX IF EXISTS search_gram_dataset")
        .await?;
    db.execute_unprepared("DELETE FROM search_gram").await?;
    if backend == DbBackend::Postgres {
        // The primary key is built once, by sorting, after the bulk insert.
        db.execute_unprepared("ALTER TABLE search_gram DROP CONSTRAINT search_gram_pkey")
            .await?;
    }
    db.execute_unprepared(&insert_sql(backend, "1 = 1")).await?;
    if backend == DbBackend::Postgres {
        db.execute_unprepared("ALTER TABLE search_gram ADD CONSTRAINT search_gram_pkey PRIMARY KEY (gram, dataset_id)")
            .await?;
    }
    db.execute_unprepared("CREATE INDEX search_gram_dataset ON search_gram (dataset_id)")
        .await?;
    if backend == DbBackend::Sqlite {
        db.execute_unprepared(&format!(
            "PRAGMA cache_size = {}",
            crate::db::SQLITE_CACHE_KIB
        ))
        .await?;
    }
    Ok(())
}

/// Removes the grams of the given datasets (before they are deleted).
pub async fn unindex<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        db.execute_unprepared(&format!(
            "DELETE FROM search_gram WHERE dataset_id IN ({list})"
        ))
        .await?;
    }
    Ok(())
}
