//! Institutions, their former names, import runs, datasets, current disclosures and their history.

use sea_orm_migration::{prelude::*, schema::*};

use crate::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Institution {
    Table,
    Id,
    Code,
    Name,
    NameEn,
    Kind,
    KindOverridden,
    ParentId,
    ParentConfirmed,
    Synthetic,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum InstitutionName {
    Table,
    Id,
    InstitutionId,
    Name,
    ReplacedAt,
    Source,
}

#[derive(DeriveIden, Clone, Copy)]
enum ImportRun {
    Table,
    Id,
    FileName,
    Sha256,
    StartedAt,
    FinishedAt,
    Inserted,
    Updated,
    Unchanged,
    Delisted,
    Rejected,
    Warnings,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum Dataset {
    Table,
    Id,
    PortalKey,
    Title,
    Description,
    InstitutionId,
    Category,
    DatasetType,
    Keywords,
    Format,
    NationalCore,
    Standard,
    Licence,
    UpdateFrequency,
    RegisteredOn,
    ModifiedOn,
    Views,
    Downloads,
    PortalUrl,
    Listed,
    Provenance,
    SourceFile,
    ImportRunId,
    SearchTitle,
    SearchBody,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Disclosure {
    Table,
    DatasetId,
    Status,
    Ground,
    LegalBasis,
    Explanation,
    Mitigation,
    PlannedOpenOn,
    NextReviewOn,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DisclosureEvent {
    Table,
    Id,
    DatasetId,
    FromStatus,
    ToStatus,
    Ground,
    Explanation,
    Actor,
    ActorAccountId,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Institution::Table)
                .col(big_pk_auto(Institution::Id))
                .col(string_uniq(Institution::Code))
                .col(string(Institution::Name))
                .col(string_null(Institution::NameEn))
                .col(string(Institution::Kind))
                .col(boolean(Institution::KindOverridden).default(false))
                .col(big_integer_null(Institution::ParentId))
                .col(boolean(Institution::ParentConfirmed).default(false))
                .col(boolean(Institution::Synthetic).default(false))
                .col(timestamp_with_time_zone(Institution::CreatedAt))
                .col(timestamp_with_time_zone(Institution::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Institution::Table, Institution::ParentId)
                        .to(Institution::Table, Institution::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "institution_parent",
            Institution::Table,
            &[Institution::ParentId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(InstitutionName::Table)
                .col(big_pk_auto(InstitutionName::Id))
                .col(big_integer(InstitutionName::InstitutionId))
                .col(string(InstitutionName::Name))
                .col(timestamp_with_time_zone(InstitutionName::ReplacedAt))
                .col(string(InstitutionName::Source))
                .foreign_key(
                    ForeignKey::create()
                        .from(InstitutionName::Table, InstitutionName::InstitutionId)
                        .to(Institution::Table, Institution::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "institution_name_institution",
            InstitutionName::Table,
            &[InstitutionName::InstitutionId],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(ImportRun::Table)
                .col(big_pk_auto(ImportRun::Id))
                .col(string(ImportRun::FileName))
                .col(string(ImportRun::Sha256))
                .col(timestamp_with_time_zone(ImportRun::StartedAt))
                .col(timestamp_with_time_zone(ImportRun::FinishedAt))
                .col(big_integer(ImportRun::Inserted))
                .col(big_integer(ImportRun::Updated))
                .col(big_integer(ImportRun::Unchanged))
                .col(big_integer(ImportRun::Delisted))
                .col(big_integer(ImportRun::Rejected))
                .col(big_integer(ImportRun::Warnings))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Dataset::Table)
                .col(big_pk_auto(Dataset::Id))
                .col(string_null(Dataset::PortalKey).unique_key())
                .col(text(Dataset::Title))
                .col(text(Dataset::Description))
                .col(big_integer(Dataset::InstitutionId))
                .col(string(Dataset::Category))
                .col(string(Dataset::DatasetType))
                .col(text(Dataset::Keywords))
                .col(string_null(Dataset::Format))
                .col(boolean(Dataset::NationalCore))
                .col(boolean(Dataset::Standard))
                .col(string_null(Dataset::Licence))
                .col(string_null(Dataset::UpdateFrequency))
                .col(date_null(Dataset::RegisteredOn))
                .col(date_null(Dataset::ModifiedOn))
                .col(big_integer_null(Dataset::Views))
                .col(big_integer_null(Dataset::Downloads))
                .col(string_null(Dataset::PortalUrl))
                .col(boolean(Dataset::Listed))
                .col(string(Dataset::Provenance))
                .col(string_null(Dataset::SourceFile))
                .col(big_integer_null(Dataset::ImportRunId))
                .col(text(Dataset::SearchTitle))
                .col(text(Dataset::SearchBody))
                .col(timestamp_with_time_zone(Dataset::CreatedAt))
                .col(timestamp_with_time_zone(Dataset::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Dataset::Table, Dataset::InstitutionId)
                        .to(Institution::Table, Institution::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Dataset::Table, Dataset::ImportRunId)
                        .to(ImportRun::Table, ImportRun::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            // Covers the facet scan (institution kind, category, type) without reading rows.
            "dataset_institution",
            Dataset::Table,
            &[
                Dataset::InstitutionId,
                Dataset::Category,
                Dataset::DatasetType,
            ],
        ))
        .await?;
        m.create_index(index(
            "dataset_category",
            Dataset::Table,
            &[Dataset::Category],
        ))
        .await?;
        m.create_index(index(
            "dataset_provenance",
            Dataset::Table,
            &[Dataset::Provenance],
        ))
        .await?;
        m.create_index(index(
            "dataset_registered",
            Dataset::Table,
            &[Dataset::RegisteredOn],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(Disclosure::Table)
                .col(big_integer(Disclosure::DatasetId).primary_key())
                .col(string(Disclosure::Status))
                .col(string_null(Disclosure::Ground))
                .col(text_null(Disclosure::LegalBasis))
                .col(text_null(Disclosure::Explanation))
                .col(string(Disclosure::Mitigation).default(""))
                .col(date_null(Disclosure::PlannedOpenOn))
                .col(date_null(Disclosure::NextReviewOn))
                .col(integer(Disclosure::Version).default(1))
                .col(timestamp_with_time_zone(Disclosure::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Disclosure::Table, Disclosure::DatasetId)
                        .to(Dataset::Table, Dataset::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "disclosure_status",
            Disclosure::Table,
            &[Disclosure::Status],
        ))
        .await?;
        m.create_index(index(
            "disclosure_ground",
            Disclosure::Table,
            &[Disclosure::Ground],
        ))
        .await?;
        // Covers the facet and statistics joins (status and ground by dataset) without reading
        // the rows, whose explanations make them wide.
        m.create_index(index(
            "disclosure_cover",
            Disclosure::Table,
            &[
                Disclosure::DatasetId,
                Disclosure::Status,
                Disclosure::Ground,
            ],
        ))
        .await?;

        m.create_table(
            Table::create()
                .table(DisclosureEvent::Table)
                .col(big_pk_auto(DisclosureEvent::Id))
                .col(big_integer(DisclosureEvent::DatasetId))
                .col(string_null(DisclosureEvent::FromStatus))
                .col(string(DisclosureEvent::ToStatus))
                .col(string_null(DisclosureEvent::Ground))
                .col(text_null(DisclosureEvent::Explanation))
                .col(string(DisclosureEvent::Actor))
                .col(big_integer_null(DisclosureEvent::ActorAccountId))
                .col(timestamp_with_time_zone(DisclosureEvent::OccurredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DisclosureEvent::Table, DisclosureEvent::DatasetId)
                        .to(Dataset::Table, Dataset::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "disclosure_event_dataset",
            DisclosureEvent::Table,
            &[DisclosureEvent::DatasetId, DisclosureEvent::OccurredAt],
        ))
        .await?;
        m.create_index(index(
            "disclosure_event_occurred",
            DisclosureEvent::Table,
            &[DisclosureEvent::OccurredAt],
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            DisclosureEvent::Table.into_iden(),
            Disclosure::Table.into_iden(),
            Dataset::Table.into_iden(),
            ImportRun::Table.into_iden(),
            InstitutionName::Table.into_iden(),
            Institution::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
