//! Self-service sign-ups, recorded per (hashed) client address so the rate limit holds across
//! server instances.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum SignupAttempt {
    Table,
    Id,
    AddressHash,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SignupAttempt::Table)
                .col(big_pk_auto(SignupAttempt::Id))
                .col(string(SignupAttempt::AddressHash))
                .col(timestamp_with_time_zone(SignupAttempt::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(crate::index(
            "signup_attempt_address",
            SignupAttempt::Table,
            &[SignupAttempt::AddressHash, SignupAttempt::CreatedAt],
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SignupAttempt::Table).to_owned())
            .await
    }
}
