//! Listing has a history: every `disclosure_event` says whether the dataset was listed before
//! it (`from_listed`, null for the event that entered the dataset) and after it (`listed`). A
//! delisting or relisting is an event of its own whose status stays what it was.
//!
//! Existing rows: every event so far left the dataset listed, except that a dataset delisted
//! before this version has no event saying so. Each such dataset gets one, dated when the
//! dataset last changed, by `import:(before the listing history)` for imported datasets (the
//! import is what delisted them) and `unknown` otherwise; its disclosure's version counts it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum DisclosureEvent {
    Table,
    FromListed,
    Listed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(DisclosureEvent::Table)
                .add_column(ColumnDef::new(DisclosureEvent::FromListed).boolean().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(DisclosureEvent::Table)
                .add_column(
                    ColumnDef::new(DisclosureEvent::Listed)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE disclosure_event SET from_listed = TRUE WHERE from_status IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "INSERT INTO disclosure_event \
               (dataset_id, from_status, to_status, ground, explanation, actor, actor_account_id, \
                occurred_at, from_listed, listed) \
             SELECT d.id, s.status, s.status, s.ground, NULL, \
                    CASE WHEN d.provenance = 'IMPORTED' \
                         THEN 'import:(before the listing history)' ELSE 'unknown' END, \
                    NULL, d.updated_at, TRUE, FALSE \
               FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
              WHERE d.listed = FALSE ORDER BY d.id",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE disclosure SET version = version + 1 \
              WHERE dataset_id IN (SELECT id FROM dataset WHERE listed = FALSE)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE disclosure SET version = version - (SELECT COUNT(*) FROM disclosure_event e \
              WHERE e.dataset_id = disclosure.dataset_id AND e.from_status = e.to_status \
                AND e.from_listed IS NOT NULL AND e.from_listed <> e.listed)",
        )
        .await?;
        db.execute_unprepared(
            "DELETE FROM disclosure_event WHERE from_status = to_status \
              AND from_listed IS NOT NULL AND from_listed <> listed",
        )
        .await?;
        for c in [DisclosureEvent::Listed, DisclosureEvent::FromListed] {
            m.alter_table(
                Table::alter()
                    .table(DisclosureEvent::Table)
                    .drop_column(c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
