//! The demo rows already in a database: whether there are any, which real rows depend on them,
//! the shares of their grounds, and removing them (`import` replaces the demo with real data).

use entity::dataset;
use entity::disclosure;
use entity::enums::{Provenance, WithholdingGround};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

/// Whether the inventory holds no dataset at all.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(dataset::Entity::find().count(db).await? == 0)
}

/// Number of synthetic datasets.
pub async fn synthetic_datasets(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    dataset::Entity::find()
        .filter(dataset::Column::Provenance.eq(Provenance::Synthetic))
        .count(db)
        .await
}

/// Real (non-synthetic) rows that point at demo rows, which dropping the demo would delete
/// through `ON DELETE CASCADE`, silently unlink, or trip over with a foreign-key error.
/// Each entry is a description and how many rows it covers; only non-zero entries are listed.
pub async fn demo_dependents(db: &impl ConnectionTrait) -> Result<Vec<(&'static str, i64)>, DbErr> {
    const DEMO_INST: &str = "(SELECT id FROM institution WHERE synthetic = TRUE)";
    const DEMO_DS: &str = "(SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')";
    let checks: [(&'static str, String); 7] = [
        (
            "accounts scoped to demo institutions",
            format!(
                "SELECT COUNT(*) FROM account WHERE synthetic = FALSE AND institution_id IN {DEMO_INST}"
            ),
        ),
        (
            "datasets (imported or registered) under demo institutions",
            format!(
                "SELECT COUNT(*) FROM dataset WHERE provenance <> 'SYNTHETIC' AND institution_id IN {DEMO_INST}"
            ),
        ),
        (
            "real institutions whose parent is a demo institution",
            format!(
                "SELECT COUNT(*) FROM institution WHERE synthetic = FALSE AND parent_id IN {DEMO_INST}"
            ),
        ),
        (
            "real requests for demo datasets",
            format!(
                "SELECT COUNT(*) FROM data_request WHERE synthetic = FALSE AND (dataset_id IN {DEMO_DS} OR provided_dataset_id IN {DEMO_DS})"
            ),
        ),
        (
            "real requests addressed to demo institutions",
            format!(
                "SELECT COUNT(*) FROM data_request WHERE synthetic = FALSE AND institution_id IN {DEMO_INST}"
            ),
        ),
        (
            "real requests filed by demo accounts",
            "SELECT COUNT(*) FROM data_request WHERE synthetic = FALSE AND requester_id IN (SELECT id FROM account WHERE synthetic = TRUE)".to_string(),
        ),
        (
            "commitments led by demo institutions",
            format!("SELECT COUNT(*) FROM commitment WHERE lead_institution_id IN {DEMO_INST}"),
        ),
    ];
    let mut found = Vec::new();
    for (what, sql) in checks {
        let n = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        if n > 0 {
            found.push((what, n));
        }
    }
    Ok(found)
}

/// Deletes every synthetic row (the real plans, commitments and milestones stay).
pub async fn drop_demo(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    // Children first, so this works whether or not cascades fire.
    for sql in [
        "DELETE FROM request_supporter WHERE request_id IN (SELECT id FROM data_request WHERE synthetic = TRUE)",
        "DELETE FROM request_follower WHERE request_id IN (SELECT id FROM data_request WHERE synthetic = TRUE)",
        "DELETE FROM request_event WHERE request_id IN (SELECT id FROM data_request WHERE synthetic = TRUE)",
        "DELETE FROM data_request WHERE synthetic = TRUE",
        "DELETE FROM api_token WHERE account_id IN (SELECT id FROM account WHERE synthetic = TRUE)",
        "DELETE FROM account WHERE synthetic = TRUE",
        "DELETE FROM core_bundle_dataset WHERE dataset_id IN (SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')",
        "DELETE FROM core_bundle WHERE synthetic = TRUE",
        "DELETE FROM disclosure_event WHERE dataset_id IN (SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')",
        "DELETE FROM disclosure WHERE dataset_id IN (SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')",
        "DELETE FROM dataset WHERE provenance = 'SYNTHETIC'",
        "UPDATE core_bundle SET lead_institution_id = NULL WHERE lead_institution_id IN (SELECT id FROM institution WHERE synthetic = TRUE)",
        "UPDATE institution SET parent_id = NULL WHERE parent_id IN (SELECT id FROM institution WHERE synthetic = TRUE)",
        "DELETE FROM institution_name WHERE institution_id IN (SELECT id FROM institution WHERE synthetic = TRUE)",
        "DELETE FROM institution WHERE synthetic = TRUE",
    ] {
        txn.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Shares of the grounds among entries that carry one (withheld and partially open), in percent.
pub async fn ground_shares(
    db: &impl ConnectionTrait,
) -> Result<Vec<(WithholdingGround, f64)>, DbErr> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Row {
        ground: WithholdingGround,
        n: i64,
    }
    let rows = disclosure::Entity::find()
        .select_only()
        .column(disclosure::Column::Ground)
        .column_as(disclosure::Column::DatasetId.count(), "n")
        .filter(disclosure::Column::Ground.is_not_null())
        .group_by(disclosure::Column::Ground)
        .into_model::<Row>()
        .all(db)
        .await?;
    let total: i64 = rows.iter().map(|r| r.n).sum();
    Ok(rows
        .into_iter()
        .map(|r| (r.ground, 100.0 * r.n as f64 / total.max(1) as f64))
        .collect())
}
