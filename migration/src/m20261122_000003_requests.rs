//! Accounts, API tokens, data requests, their events, supporters and followers.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261122_000001_inventory::{Dataset, Institution};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Account {
    Table,
    Id,
    DisplayName,
    Contact,
    Role,
    InstitutionId,
    Synthetic,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiToken {
    Table,
    Id,
    AccountId,
    TokenHash,
    Prefix,
    Label,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DataRequest {
    Table,
    Id,
    RequesterId,
    DatasetId,
    InstitutionId,
    UnlistedDescription,
    Purpose,
    State,
    FiledAt,
    DueOn,
    DecisionDueOn,
    Extended,
    DecidedAt,
    Decision,
    Ground,
    InstitutionWording,
    ProvidedDatasetId,
    Synthetic,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RequestEvent {
    Table,
    Id,
    RequestId,
    FromState,
    ToState,
    ActorRole,
    ActorAccountId,
    Note,
    DueOn,
    OccurredAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RequestSupporter {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum RequestFollower {
    Table,
}

#[derive(DeriveIden, Clone, Copy)]
enum Link {
    RequestId,
    AccountId,
    CreatedAt,
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

fn link_table(table: impl IntoIden + Copy + 'static) -> TableCreateStatement {
    Table::create()
        .table(table)
        .col(big_integer(Link::RequestId))
        .col(big_integer(Link::AccountId))
        .col(timestamp_with_time_zone(Link::CreatedAt))
        .primary_key(Index::create().col(Link::RequestId).col(Link::AccountId))
        .foreign_key(
            fk(
                (table, Link::RequestId),
                (DataRequest::Table, DataRequest::Id),
            )
            .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            fk((table, Link::AccountId), (Account::Table, Account::Id))
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Account::Table)
                .col(big_pk_auto(Account::Id))
                .col(string(Account::DisplayName))
                .col(string_null(Account::Contact))
                .col(string(Account::Role))
                .col(big_integer_null(Account::InstitutionId))
                .col(boolean(Account::Synthetic).default(false))
                .col(timestamp_with_time_zone(Account::CreatedAt))
                .foreign_key(
                    fk(
                        (Account::Table, Account::InstitutionId),
                        (Institution::Table, Institution::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiToken::Table)
                .col(big_pk_auto(ApiToken::Id))
                .col(big_integer(ApiToken::AccountId))
                .col(string_uniq(ApiToken::TokenHash))
                .col(string(ApiToken::Prefix))
                .col(string(ApiToken::Label))
                .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                .foreign_key(
                    fk(
                        (ApiToken::Table, ApiToken::AccountId),
                        (Account::Table, Account::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DataRequest::Table)
                .col(big_pk_auto(DataRequest::Id))
                .col(big_integer(DataRequest::RequesterId))
                .col(big_integer_null(DataRequest::DatasetId))
                .col(big_integer(DataRequest::InstitutionId))
                .col(text_null(DataRequest::UnlistedDescription))
                .col(text(DataRequest::Purpose))
                .col(string(DataRequest::State))
                .col(timestamp_with_time_zone(DataRequest::FiledAt))
                .col(date_null(DataRequest::DueOn))
                .col(date(DataRequest::DecisionDueOn))
                .col(boolean(DataRequest::Extended).default(false))
                .col(timestamp_with_time_zone_null(DataRequest::DecidedAt))
                .col(string_null(DataRequest::Decision))
                .col(string_null(DataRequest::Ground))
                .col(text_null(DataRequest::InstitutionWording))
                .col(big_integer_null(DataRequest::ProvidedDatasetId))
                .col(boolean(DataRequest::Synthetic).default(false))
                .col(integer(DataRequest::Version).default(1))
                .col(timestamp_with_time_zone(DataRequest::UpdatedAt))
                .foreign_key(
                    fk(
                        (DataRequest::Table, DataRequest::RequesterId),
                        (Account::Table, Account::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    fk(
                        (DataRequest::Table, DataRequest::DatasetId),
                        (Dataset::Table, Dataset::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    fk(
                        (DataRequest::Table, DataRequest::InstitutionId),
                        (Institution::Table, Institution::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    fk(
                        (DataRequest::Table, DataRequest::ProvidedDatasetId),
                        (Dataset::Table, Dataset::Id),
                    )
                    .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "data_request_dataset",
            DataRequest::Table,
            &[DataRequest::DatasetId],
        ))
        .await?;
        m.create_index(index(
            "data_request_institution",
            DataRequest::Table,
            &[DataRequest::InstitutionId, DataRequest::State],
        ))
        .await?;
        m.create_index(index(
            "data_request_requester",
            DataRequest::Table,
            &[DataRequest::RequesterId],
        ))
        .await?;
        m.create_index(index(
            "data_request_state",
            DataRequest::Table,
            &[DataRequest::State],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(RequestEvent::Table)
                .col(big_pk_auto(RequestEvent::Id))
                .col(big_integer(RequestEvent::RequestId))
                .col(string_null(RequestEvent::FromState))
                .col(string(RequestEvent::ToState))
                .col(string(RequestEvent::ActorRole))
                .col(big_integer_null(RequestEvent::ActorAccountId))
                .col(text_null(RequestEvent::Note))
                .col(date_null(RequestEvent::DueOn))
                .col(timestamp_with_time_zone(RequestEvent::OccurredAt))
                .foreign_key(
                    fk(
                        (RequestEvent::Table, RequestEvent::RequestId),
                        (DataRequest::Table, DataRequest::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "request_event_request",
            RequestEvent::Table,
            &[RequestEvent::RequestId],
        ))
        .await?;
        m.create_table(link_table(RequestSupporter::Table)).await?;
        m.create_table(link_table(RequestFollower::Table)).await?;
        m.create_index(index(
            "request_supporter_account",
            RequestSupporter::Table,
            &[Link::AccountId],
        ))
        .await?;
        m.create_index(index(
            "request_follower_account",
            RequestFollower::Table,
            &[Link::AccountId],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            RequestFollower::Table.into_iden(),
            RequestSupporter::Table.into_iden(),
            RequestEvent::Table.into_iden(),
            DataRequest::Table.into_iden(),
            ApiToken::Table.into_iden(),
            Account::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
