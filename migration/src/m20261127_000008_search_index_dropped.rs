//! The database's search index (`search_gram`, one row per distinct bigram and dataset) goes.
//!
//! Every search is answered by each server's own in-memory index (the catalog's bigram
//! postings, cut from the stored normalized text when the server starts and kept in step by the
//! change feed), so the table was written on every text change and every import (4 million rows
//! for the real inventory, 11 million for the national demo) and read by nothing that serves
//! users. The normalized text it was cut from (`dataset.search_title`, `search_body`) stays.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP TABLE search_gram")
            .await?;
        Ok(())
    }

    /// The table comes back empty: the version before this one filled it when it built the
    /// demo or imported a file, not on start.
    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let create = match m.get_database_backend() {
            DbBackend::Postgres => {
                "CREATE TABLE search_gram (\
                   gram TEXT COLLATE \"C\" NOT NULL, \
                   dataset_id BIGINT NOT NULL, \
                   CONSTRAINT search_gram_pkey PRIMARY KEY (gram, dataset_id))"
            }
            _ => {
                "CREATE TABLE search_gram (\
                   gram TEXT NOT NULL, \
                   dataset_id INTEGER NOT NULL, \
                   PRIMARY KEY (gram, dataset_id)) WITHOUT ROWID"
            }
        };
        db.execute_unprepared(create).await?;
        db.execute_unprepared("CREATE INDEX search_gram_dataset ON search_gram (dataset_id)")
            .await?;
        Ok(())
    }
}
