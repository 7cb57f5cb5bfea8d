//! The search index: distinct character bigrams of each dataset's normalized text.
//! (Writing it lives here; reading it, in searches, lives in `domain::datasets::search`.)
//!
//! Korean titles are unspaced compounds and most nouns have two syllables, so the index is made
//! of bigrams: every query of two or more characters can be answered from it. The grams are cut
//! **in Rust** by [`text::bigrams`], the same function that cuts a query into grams, from the
//! normalized `search_title` / `search_body` columns; both databases therefore hold exactly the
//! same index: one row per distinct (gram, dataset).
//!
//! Rows are written in primary-key order (gram, then dataset), which appends to the B-tree
//! instead of inserting at random places: the whole national demo (11 million rows) is indexed
//! in a few seconds, where the same work done by SQL (`substr` over a positions table and a
//! `UNION` to de-duplicate) took over half a minute.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement};

use crate::db;
use crate::domain::text;

/// Rows per `INSERT` statement (about 10 bytes of JSON each).
const BATCH_ROWS: usize = 200_000;
/// From this many datasets on, [`reindex`] rebuilds the secondary index instead of updating it.
const BULK_REINDEX: usize = 10_000;
/// Datasets read per page while indexing.
const READ_PAGE: usize = 10_000;

/// A bigram packed into an integer: its UTF-8 bytes, big-endian, zero-padded. Two characters
/// take at most 8 bytes, and integer order is byte order, which is the order of the primary key
/// on both databases (SQLite's `BINARY` collation, PostgreSQL's `"C"` collation).
fn pack(gram: &str) -> u64 {
    let bytes = gram.as_bytes();
    let mut key = [0u8; 8];
    key[..bytes.len()].copy_from_slice(bytes);
    u64::from_be_bytes(key)
}

/// The bigram a [`pack`]ed key holds.
fn unpack(key: u64) -> String {
    let bytes = key.to_be_bytes();
    let len = bytes.iter().position(|b| *b == 0).unwrap_or(8);
    // `pack` only ever receives whole `&str` slices without NUL, so this is valid UTF-8.
    String::from_utf8_lossy(&bytes[..len]).into_owned()
}

/// The distinct packed grams of one dataset's title and body text, sorted.
fn grams_of(title: &str, body: &str) -> Vec<u64> {
    let mut keys: Vec<u64> = text::bigrams(title)
        .chain(text::bigrams(body))
        .map(pack)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

#[derive(FromQueryResult)]
struct Texts {
    id: i64,
    search_title: String,
    search_body: String,
}

/// Grams collected per gram: the datasets holding each, in the order they were added.
#[derive(Default)]
struct Postings(HashMap<u64, Vec<i64>>);

impl Postings {
    fn add(&mut self, t: &Texts) {
        for key in grams_of(&t.search_title, &t.search_body) {
            self.0.entry(key).or_default().push(t.id);
        }
    }

    /// Writes every (gram, dataset) row in primary-key order; dataset ids must have been added
    /// in ascending order. Returns the number of rows.
    ///
    /// Rows travel as one JSON parameter per statement, `{"gram":[id,…],…}`, unpacked by the
    /// database (`json_each`): binding two values per row from Rust costs several allocations
    /// each, which at millions of rows was most of the time. (The gram is the object's key so
    /// that it is read once per gram, not extracted again for every row.)
    async fn write<C: ConnectionTrait>(self, db: &C) -> Result<u64, DbErr> {
        let backend = db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "INSERT INTO search_gram (gram, dataset_id) \
                 SELECT g.key, i.value::bigint \
                   FROM json_each($1::json) AS g, json_array_elements_text(g.value) AS i(value)"
            }
            _ => {
                "INSERT INTO search_gram (gram, dataset_id) \
                 SELECT g.key, i.value FROM json_each(?) AS g, json_each(g.value) AS i"
            }
        };
        let mut postings: Vec<(u64, Vec<i64>)> = self.0.into_iter().collect();
        postings.sort_unstable_by_key(|(key, _)| *key);
        let mut batch = String::new();
        let (mut in_batch, mut written) = (0usize, 0u64);
        for (key, ids) in postings {
            batch.push(if batch.is_empty() { '{' } else { ',' });
            batch.push_str(&serde_json::Value::from(unpack(key)).to_string());
            batch.push_str(":[");
            batch.push_str(&id_list(&ids));
            batch.push(']');
            in_batch += ids.len();
            if in_batch >= BATCH_ROWS {
                written += flush(db, sql, &mut batch, &mut in_batch).await?;
            }
        }
        written += flush(db, sql, &mut batch, &mut in_batch).await?;
        Ok(written)
    }
}

/// Sends one batch of [`Postings::write`].
async fn flush<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    batch: &mut String,
    in_batch: &mut usize,
) -> Result<u64, DbErr> {
    if batch.is_empty() {
        return Ok(0);
    }
    batch.push('}');
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [std::mem::take(batch).into()],
    ))
    .await?;
    Ok(std::mem::take(in_batch) as u64)
}

/// `1,2,3`: ids for an `IN (…)` list or a JSON array, written without a string per id.
fn id_list(ids: &[i64]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(ids.len() * 8);
    for (k, id) in ids.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let _ = write!(out, "{id}");
    }
    out
}

/// `[1,2,3]`: ids as a JSON array.
pub fn id_list_json(ids: &[i64]) -> String {
    format!("[{}]", id_list(ids))
}

/// The normalized texts of the datasets with ids in `ids` (at most a few hundred).
async fn texts_of<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<Texts>, DbErr> {
    let list = id_list(ids);
    Texts::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        format!(
            "SELECT id, search_title, search_body FROM dataset WHERE id IN ({list}) ORDER BY id"
        ),
    ))
    .all(db)
    .await
}

/// Re-indexes the given datasets (new ones, or ones whose text changed).
pub async fn reindex<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    unindex(db, ids).await?;
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    // A large batch (an import) builds the index on `dataset_id` again afterwards, by one sort,
    // instead of inserting millions of entries into it in random order.
    let bulk = sorted.len() >= BULK_REINDEX;
    let started = std::time::Instant::now();
    let dropped = if bulk {
        drop_indexes(db).await?
    } else {
        Vec::new()
    };
    let mut postings = Postings::default();
    for chunk in sorted.chunks(500) {
        for t in texts_of(db, chunk).await? {
            postings.add(&t);
        }
    }
    let cut = started.elapsed();
    let written = postings.write(db).await?;
    let inserted = started.elapsed();
    if bulk {
        recreate_indexes(db, &dropped).await?;
    }
    tracing::debug!(
        datasets = sorted.len(),
        rows = written,
        "search index updated: texts read and cut in {:.2} s, written in {:.2} s, indexed in {:.2} s",
        cut.as_secs_f64(),
        (inserted - cut).as_secs_f64(),
        (started.elapsed() - inserted).as_secs_f64()
    );
    Ok(())
}

/// Rebuilds the whole index (after a bulk load), inside the caller's transaction; returns the
/// number of rows written.
///
/// The secondary index on `dataset_id` (and on PostgreSQL the primary key) is dropped for the
/// bulk insert and built again afterwards: one sort instead of millions of B-tree inserts.
pub async fn rebuild_all<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let started = std::time::Instant::now();
    let backend = db.get_database_backend();
    let dropped = drop_indexes(db).await?;
    db.execute_unprepared("DELETE FROM search_gram").await?;
    let mut postings = Postings::default();
    let mut after = i64::MIN;
    loop {
        let page = Texts::find_by_statement(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id, search_title, search_body FROM dataset WHERE id > $1 ORDER BY id LIMIT {READ_PAGE}"
            ),
            [after.into()],
        ))
        .all(db)
        .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for t in &page {
            postings.add(t);
        }
    }
    let cut = started.elapsed();
    let written = postings.write(db).await?;
    let inserted = started.elapsed();
    recreate_indexes(db, &dropped).await?;
    tracing::info!(
        rows = written,
        "search index rebuilt: grams cut in {:.1} s, written in {:.1} s, indexed in {:.1} s",
        cut.as_secs_f64(),
        (inserted - cut).as_secs_f64(),
        (started.elapsed() - inserted).as_secs_f64()
    );
    Ok(written)
}

/// Drops the index on `dataset_id` and, on PostgreSQL, the primary key, before a bulk insert
/// (SQLite's primary key is the table itself: rows written in key order append to it).
async fn drop_indexes<C: ConnectionTrait>(db: &C) -> Result<Vec<db::DroppedIndex>, DbErr> {
    let dropped = db::drop_secondary_indexes(db, &["search_gram"]).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ALTER TABLE search_gram DROP CONSTRAINT search_gram_pkey")
            .await?;
    }
    Ok(dropped)
}

/// Builds again what [`drop_indexes`] dropped.
async fn recreate_indexes<C: ConnectionTrait>(
    db: &C,
    dropped: &[db::DroppedIndex],
) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(
            "ALTER TABLE search_gram ADD CONSTRAINT search_gram_pkey PRIMARY KEY (gram, dataset_id)",
        )
        .await?;
    }
    db::recreate_indexes(db, dropped).await
}

/// Removes the grams of the given datasets (before they are deleted, or re-indexed).
pub async fn unindex<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        let list = id_list(chunk);
        db.execute_unprepared(&format!(
            "DELETE FROM search_gram WHERE dataset_id IN ({list})"
        ))
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_order_is_byte_order() {
        let mut grams = vec!["버스", "ab", "a가", "가a", "zz", "가나", "😀x", "x😀", "00"];
        let mut keys: Vec<u64> = grams.iter().map(|g| pack(g)).collect();
        keys.sort_unstable();
        grams.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        let back: Vec<String> = keys.into_iter().map(unpack).collect();
        assert_eq!(back, grams);
    }

    #[test]
    fn grams_are_distinct_and_skip_the_field_separator() {
        let title = text::search_title("버스 버스", "교통");
        let keys = grams_of(&title, "버스정류장");
        let grams: Vec<String> = keys.into_iter().map(unpack).collect();
        // "버스버스" gives 버스 and 스버; the keyword 교통; the body 버스 again, 스정, 정류, 류장.
        assert_eq!(grams, ["교통", "류장", "버스", "스버", "스정", "정류"]);
        assert!(grams.iter().all(|g| !g.contains(text::FIELD_SEPARATOR)));
        assert!(grams.windows(2).all(|w| w[0].as_bytes() < w[1].as_bytes()));
    }
}
