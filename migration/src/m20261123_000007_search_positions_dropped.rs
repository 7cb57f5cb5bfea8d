//! The search index no longer cuts its grams in SQL, so the positions table it joined against
//! (`search_pos`, 1..=4000) goes. The grams are now cut by the application, by the same function
//! that cuts a query (see `inventory::domain::search`); rows written by the SQL of the earlier
//! version stay valid.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP TABLE search_pos")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Empty: the earlier version fills it on first use.
        m.get_connection()
            .execute_unprepared("CREATE TABLE search_pos (i INTEGER NOT NULL PRIMARY KEY)")
            .await?;
        Ok(())
    }
}
