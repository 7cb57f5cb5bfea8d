//! Plans and targets: progress computed from the disclosure history.

use entity::enums::TargetMetric;
use entity::target;
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// Progress toward a target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub achieved: i64,
    pub achieved_synthetic: i64,
}

/// Counts what a target measures, from the history.
///
/// `WITHHELD_OPENED`: datasets that were not open on the baseline date (their last event before
/// it was not OPEN) and have an event to OPEN or PARTIALLY_OPEN since.
/// `CORE_BUNDLES_RELEASED`: bundles released in the baseline..due years.
pub async fn progress<C: ConnectionTrait>(db: &C, t: &target::Model) -> Result<Progress, DbErr> {
    let backend = db.get_database_backend();
    let (sql, values): (&str, Vec<sea_orm::Value>) = match t.metric {
        TargetMetric::WithheldOpened => (
            "SELECT COUNT(*) AS n, \
                    COALESCE(SUM(CASE WHEN d.provenance = 'SYNTHETIC' THEN 1 ELSE 0 END), 0) AS s \
               FROM dataset d \
              WHERE EXISTS (SELECT 1 FROM disclosure_event e \
                             WHERE e.dataset_id = d.id AND e.occurred_at >= $1 \
                               AND e.to_status IN ('OPEN', 'PARTIALLY_OPEN') \
                               AND e.from_status IS NOT NULL \
                               AND e.from_status NOT IN ('OPEN', 'PARTIALLY_OPEN')) \
                AND EXISTS (SELECT 1 FROM disclosure_event b \
                             WHERE b.dataset_id = d.id AND b.occurred_at < $1 \
                               AND b.to_status <> 'OPEN' \
                               AND NOT EXISTS (SELECT 1 FROM disclosure_event c \
                                                WHERE c.dataset_id = d.id AND c.occurred_at < $1 \
                                                  AND (c.occurred_at > b.occurred_at \
                                                       OR (c.occurred_at = b.occurred_at AND c.id > b.id))))",
            vec![baseline_ts(t).into()],
        ),
        TargetMetric::CoreBundlesReleased => (
            "SELECT COUNT(*) AS n, COALESCE(SUM(CASE WHEN synthetic THEN 1 ELSE 0 END), 0) AS s \
               FROM core_bundle WHERE release_year >= $1 AND release_year <= $2",
            vec![
                chrono::Datelike::year(&t.baseline_on).into(),
                chrono::Datelike::year(&t.due_on).into(),
            ],
        ),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    Ok(match row {
        Some(r) => Progress {
            achieved: r.try_get("", "n")?,
            achieved_synthetic: r.try_get("", "s")?,
        },
        None => Progress::default(),
    })
}

fn baseline_ts(t: &target::Model) -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::from_utc_datetime(&chrono::Utc, &t.baseline_on.and_hms_opt(0, 0, 0).unwrap())
}
