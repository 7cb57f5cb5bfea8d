//! Plans and targets: progress computed from the disclosure history.

use chrono::NaiveDate;
use entity::enums::TargetMetric;
use entity::target;
use sea_orm::{ConnectionTrait, DbErr};

use super::sql::Sql;

/// Progress toward a target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub achieved: i64,
    pub achieved_synthetic: i64,
}

/// What a target counts, over which period: all its progress depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Measure {
    pub metric: TargetMetric,
    pub baseline_on: NaiveDate,
    pub due_on: NaiveDate,
}

impl From<&target::Model> for Measure {
    fn from(t: &target::Model) -> Self {
        Measure {
            metric: t.metric,
            baseline_on: t.baseline_on,
            due_on: t.due_on,
        }
    }
}

/// Counts what a target measures, from the history.
///
/// `WITHHELD_OPENED`: datasets that were not open on the baseline date (their last event before
/// it was not OPEN) and have an event to OPEN or PARTIALLY_OPEN since.
/// `CORE_BUNDLES_RELEASED`: bundles released in the baseline..due years.
pub async fn progress<C: ConnectionTrait>(db: &C, t: &target::Model) -> Result<Progress, DbErr> {
    Ok(progress_many(db, &[Measure::from(t)]).await?[0])
}

/// The progress of several measures, in their order, with one statement: one `UNION ALL` branch
/// per distinct measure.
pub async fn progress_many<C: ConnectionTrait>(
    db: &C,
    measures: &[Measure],
) -> Result<Vec<Progress>, DbErr> {
    let mut distinct: Vec<Measure> = Vec::new();
    for m in measures {
        if !distinct.contains(m) {
            distinct.push(*m);
        }
    }
    if distinct.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    for (k, m) in distinct.iter().enumerate() {
        if k > 0 {
            sql.push(" UNION ALL ");
        }
        let branch = match m.metric {
            TargetMetric::WithheldOpened => {
                let b = sql.param(baseline_ts(m.baseline_on));
                format!(
                    "SELECT CAST({k} AS BIGINT) AS k, COUNT(*) AS n, \
                            COALESCE(SUM(CASE WHEN d.provenance = 'SYNTHETIC' THEN 1 ELSE 0 END), 0) AS s \
                       FROM dataset d \
                      WHERE EXISTS (SELECT 1 FROM disclosure_event e \
                                     WHERE e.dataset_id = d.id AND e.occurred_at >= {b} \
                                       AND e.to_status IN ('OPEN', 'PARTIALLY_OPEN') \
                                       AND e.from_status IS NOT NULL \
                                       AND e.from_status NOT IN ('OPEN', 'PARTIALLY_OPEN')) \
                        AND EXISTS (SELECT 1 FROM disclosure_event b \
                                     WHERE b.dataset_id = d.id AND b.occurred_at < {b} \
                                       AND b.to_status <> 'OPEN' \
                                       AND NOT EXISTS (SELECT 1 FROM disclosure_event c \
                                                        WHERE c.dataset_id = d.id AND c.occurred_at < {b} \
                                                          AND (c.occurred_at > b.occurred_at \
                                                               OR (c.occurred_at = b.occurred_at AND c.id > b.id))))"
                )
            }
            TargetMetric::CoreBundlesReleased => {
                let from = sql.param(chrono::Datelike::year(&m.baseline_on));
                let to = sql.param(chrono::Datelike::year(&m.due_on));
                format!(
                    "SELECT CAST({k} AS BIGINT) AS k, COUNT(*) AS n, COALESCE(SUM(CASE WHEN synthetic THEN 1 ELSE 0 END), 0) AS s \
                       FROM core_bundle WHERE release_year >= {from} AND release_year <= {to}"
                )
            }
        };
        sql.push(&branch);
    }
    let mut figures = vec![Progress::default(); distinct.len()];
    for r in db.query_all_raw(sql.statement()).await? {
        let k: i64 = r.try_get("", "k")?;
        if let Some(p) = figures.get_mut(k as usize) {
            *p = Progress {
                achieved: r.try_get("", "n")?,
                achieved_synthetic: r.try_get("", "s")?,
            };
        }
    }
    Ok(measures
        .iter()
        .map(|m| figures[distinct.iter().position(|d| d == m).unwrap_or(0)])
        .collect())
}

fn baseline_ts(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::from_utc_datetime(&chrono::Utc, &day.and_hms_opt(0, 0, 0).unwrap())
}
