//! The search index: distinct character bigrams of each dataset's normalized text.
//!
//! One row per (gram, dataset): the distinct bigrams of the dataset's normalized title, keywords
//! and description. Which field matched is decided at query time from the text itself. The same table on SQLite and PostgreSQL, filled by the
//! application (see `inventory::domain::search`; `search_pos`, which the first version cut grams
//! against, is dropped by a later migration). On PostgreSQL the gram uses the "C" collation: grams are
//! compared for equality only, and byte order keeps the index small and fast.
//!
//! The index is derived data: it has no foreign key (the application deletes a dataset's grams
//! when it re-indexes or removes it), so bulk builds do not pay a lookup per gram.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
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
        // Character positions the grams are cut at (filled by the application).
        db.execute_unprepared("CREATE TABLE search_pos (i INTEGER NOT NULL PRIMARY KEY)")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP TABLE search_gram")
            .await?;
        m.get_connection()
            .execute_unprepared("DROP TABLE search_pos")
            .await?;
        Ok(())
    }
}
