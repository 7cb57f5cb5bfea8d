//! Plans, commitments, milestones, targets and national core-data bundles.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;
use crate::m20261122_000001_inventory::{Dataset, Institution};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Plan {
    Table,
    Id,
    Kind,
    Name,
    NameEn,
    StartsOn,
    EndsOn,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Commitment {
    Table,
    Id,
    PlanId,
    Code,
    Title,
    LeadInstitutionId,
    LeadName,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum Milestone {
    Table,
    Id,
    CommitmentId,
    Title,
    StartsOn,
    EndsOn,
    ContinuesYearly,
    Completion,
    EvidenceUrl,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Target {
    Table,
    Id,
    CommitmentId,
    PlanId,
    Title,
    Metric,
    BaselineOn,
    BaselineValue,
    TargetValue,
    DueOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum CoreBundle {
    Table,
    Id,
    Name,
    NameEn,
    Round,
    ReleaseYear,
    LeadInstitutionId,
    Description,
    Synthetic,
}

#[derive(DeriveIden, Clone, Copy)]
enum CoreBundleDataset {
    Table,
    BundleId,
    DatasetId,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Plan::Table)
                .col(big_pk_auto(Plan::Id))
                .col(string(Plan::Kind))
                .col(string(Plan::Name))
                .col(string_null(Plan::NameEn))
                .col(date(Plan::StartsOn))
                .col(date(Plan::EndsOn))
                .col(text(Plan::Description))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Commitment::Table)
                .col(big_pk_auto(Commitment::Id))
                .col(big_integer_null(Commitment::PlanId))
                .col(string_uniq(Commitment::Code))
                .col(string(Commitment::Title))
                .col(big_integer_null(Commitment::LeadInstitutionId))
                .col(string_null(Commitment::LeadName))
                .col(text(Commitment::Description))
                .foreign_key(
                    fk(
                        (Commitment::Table, Commitment::PlanId),
                        (Plan::Table, Plan::Id),
                    )
                    .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    fk(
                        (Commitment::Table, Commitment::LeadInstitutionId),
                        (Institution::Table, Institution::Id),
                    )
                    .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Milestone::Table)
                .col(big_pk_auto(Milestone::Id))
                .col(big_integer(Milestone::CommitmentId))
                .col(string(Milestone::Title))
                .col(date(Milestone::StartsOn))
                .col(date_null(Milestone::EndsOn))
                .col(boolean(Milestone::ContinuesYearly))
                .col(string(Milestone::Completion))
                .col(string_null(Milestone::EvidenceUrl))
                .col(timestamp_with_time_zone(Milestone::UpdatedAt))
                .foreign_key(
                    fk(
                        (Milestone::Table, Milestone::CommitmentId),
                        (Commitment::Table, Commitment::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "milestone_commitment",
            Milestone::Table,
            &[Milestone::CommitmentId],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Target::Table)
                .col(big_pk_auto(Target::Id))
                .col(big_integer_null(Target::CommitmentId))
                .col(big_integer_null(Target::PlanId))
                .col(string(Target::Title))
                .col(string(Target::Metric))
                .col(date(Target::BaselineOn))
                .col(big_integer(Target::BaselineValue))
                .col(big_integer(Target::TargetValue))
                .col(date(Target::DueOn))
                .foreign_key(
                    fk(
                        (Target::Table, Target::CommitmentId),
                        (Commitment::Table, Commitment::Id),
                    )
                    .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    fk((Target::Table, Target::PlanId), (Plan::Table, Plan::Id))
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreBundle::Table)
                .col(big_pk_auto(CoreBundle::Id))
                .col(string(CoreBundle::Name))
                .col(string_null(CoreBundle::NameEn))
                .col(integer(CoreBundle::Round))
                .col(integer_null(CoreBundle::ReleaseYear))
                .col(big_integer_null(CoreBundle::LeadInstitutionId))
                .col(text(CoreBundle::Description))
                .col(boolean(CoreBundle::Synthetic).default(false))
                .foreign_key(
                    fk(
                        (CoreBundle::Table, CoreBundle::LeadInstitutionId),
                        (Institution::Table, Institution::Id),
                    )
                    .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CoreBundleDataset::Table)
                .col(big_integer(CoreBundleDataset::BundleId))
                .col(big_integer(CoreBundleDataset::DatasetId))
                .primary_key(
                    Index::create()
                        .col(CoreBundleDataset::BundleId)
                        .col(CoreBundleDataset::DatasetId),
                )
                .foreign_key(
                    fk(
                        (CoreBundleDataset::Table, CoreBundleDataset::BundleId),
                        (CoreBundle::Table, CoreBundle::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    fk(
                        (CoreBundleDataset::Table, CoreBundleDataset::DatasetId),
                        (Dataset::Table, Dataset::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "core_bundle_dataset_dataset",
            CoreBundleDataset::Table,
            &[CoreBundleDataset::DatasetId],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CoreBundleDataset::Table.into_iden(),
            CoreBundle::Table.into_iden(),
            Target::Table.into_iden(),
            Milestone::Table.into_iden(),
            Commitment::Table.into_iden(),
            Plan::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
