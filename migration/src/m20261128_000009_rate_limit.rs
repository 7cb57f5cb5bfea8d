//! The rate limit's count shared by server instances on one PostgreSQL database: cost points
//! spent per key (an account or a client address) and window (a minute). Applied on SQLite too,
//! where one instance serves a file and the table stays empty.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum RateLimitSpend {
    Table,
    Key,
    WindowStart,
    Spent,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RateLimitSpend::Table)
                .col(string(RateLimitSpend::Key))
                .col(big_integer(RateLimitSpend::WindowStart))
                .col(big_integer(RateLimitSpend::Spent))
                .primary_key(
                    Index::create()
                        .col(RateLimitSpend::Key)
                        .col(RateLimitSpend::WindowStart),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RateLimitSpend::Table).to_owned())
            .await
    }
}
