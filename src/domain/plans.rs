//! Plans and targets: a target's progress as of a day, computed from the history, and whether it
//! was met.
//!
//! A target is measured **as of** a day (by default its due date): what happened from the start
//! of its baseline day to the end of that day, Asia/Seoul.
//!
//! - `WITHHELD_OPENED` counts openings, exactly as `stats.openingsPerMonth` does
//!   ([`super::openings`]): its progress as of a day is the sum of the openings per month over
//!   the same days.
//! - `CORE_BUNDLES_RELEASED` counts bundles by their release year (only the year is recorded):
//!   a bundle counts from the last day of its release year, for release years from the
//!   baseline's.
//!
//! A target is *met* on the first day its count reached the target value; *met* when that day is
//! on or before the due date, *missed* once the due date has passed without it (its day, if
//! later, is still told), *in progress* otherwise.

use chrono::{Datelike, NaiveDate};
use entity::enums::TargetMetric;
use entity::target;
use sea_orm::{ConnectionTrait, DbErr};

use super::openings;
use super::sql::Sql;

/// Progress toward a target as of a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub achieved: i64,
    pub achieved_synthetic: i64,
    /// The day (Asia/Seoul) the count first reached the target value, if it did by the day.
    pub met_on: Option<NaiveDate>,
}

/// What a target counts, over which days, and the value it must reach: all its progress
/// depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Measure {
    pub metric: TargetMetric,
    pub baseline_on: NaiveDate,
    /// The last day counted (Asia/Seoul): the target's due date unless another is asked.
    pub as_of: NaiveDate,
    pub target_value: i64,
}

impl Measure {
    /// Target `t` measured as of `as_of`, or of its due date.
    pub fn of(t: &target::Model, as_of: Option<NaiveDate>) -> Self {
        Measure {
            metric: t.metric,
            baseline_on: t.baseline_on,
            as_of: as_of.unwrap_or(t.due_on),
            target_value: t.target_value,
        }
    }
}

impl From<&target::Model> for Measure {
    fn from(t: &target::Model) -> Self {
        Measure::of(t, None)
    }
}

/// Where a target stands as of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Its count reached the target value on or before the due date.
    Met,
    /// The due date has passed (as of the day, and by today) without the count reaching it.
    Missed,
    /// Neither yet: the due date is still ahead (as of the day, or today).
    InProgress,
}

/// The status of a target due on `due_on` with `progress` as of `as_of`, on `today` (Asia/Seoul).
/// A deadline passes at the end of its day.
pub fn status(
    due_on: NaiveDate,
    progress: &Progress,
    as_of: NaiveDate,
    today: NaiveDate,
) -> Status {
    match progress.met_on {
        Some(d) if d <= due_on => Status::Met,
        _ if as_of >= due_on && today > due_on => Status::Missed,
        _ => Status::InProgress,
    }
}

/// The last release year whose bundles count as of `day` (a bundle counts from 31 December of
/// its year).
fn last_release_year(day: NaiveDate) -> i32 {
    if day.month() == 12 && day.day() == 31 {
        day.year()
    } else {
        day.year() - 1
    }
}

/// Counts what a target measures as of its due date.
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
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    for (k, m) in distinct.iter().enumerate() {
        if k > 0 {
            sql.push(" UNION ALL ");
        }
        // The row at which the running count reaches the target value.
        let reached = (m.target_value.max(1) - 1).to_string();
        let branch = match m.metric {
            TargetMetric::WithheldOpened => {
                let (lo, hi) = openings::window(Some(m.baseline_on), Some(m.as_of));
                let lo = sql.param(lo.expect("a baseline"));
                let hi = sql.param(hi.expect("a day"));
                let within = format!(
                    "{} AND e.occurred_at >= {lo} AND e.occurred_at < {hi}",
                    openings::condition("e")
                );
                let day = openings::day_sql(backend, "e.occurred_at");
                format!(
                    "SELECT CAST({k} AS BIGINT) AS k, COUNT(*) AS n, \
                            COALESCE(SUM(CASE WHEN d.provenance = 'SYNTHETIC' THEN 1 ELSE 0 END), 0) AS s, \
                            (SELECT {day} FROM disclosure_event e WHERE {within} \
                              ORDER BY e.occurred_at, e.id LIMIT 1 OFFSET {reached}) AS met \
                       FROM disclosure_event e JOIN dataset d ON d.id = e.dataset_id \
                      WHERE {within}"
                )
            }
            TargetMetric::CoreBundlesReleased => {
                let from = sql.param(m.baseline_on.year());
                let to = sql.param(last_release_year(m.as_of));
                let within = format!("release_year >= {from} AND release_year <= {to}");
                format!(
                    "SELECT CAST({k} AS BIGINT) AS k, COUNT(*) AS n, \
                            COALESCE(SUM(CASE WHEN synthetic THEN 1 ELSE 0 END), 0) AS s, \
                            (SELECT CAST(release_year AS TEXT) || '-12-31' FROM core_bundle WHERE {within} \
                              ORDER BY release_year, id LIMIT 1 OFFSET {reached}) AS met \
                       FROM core_bundle WHERE {within}"
                )
            }
        };
        sql.push(&branch);
    }
    let mut figures = vec![Progress::default(); distinct.len()];
    for r in db.query_all_raw(sql.statement()).await? {
        let k: i64 = r.try_get("", "k")?;
        let met: Option<String> = r.try_get("", "met")?;
        if let Some(p) = figures.get_mut(k as usize) {
            *p = Progress {
                achieved: r.try_get("", "n")?,
                achieved_synthetic: r.try_get("", "s")?,
                met_on: met.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            };
        }
    }
    Ok(measures
        .iter()
        .map(|m| figures[distinct.iter().position(|d| d == m).unwrap_or(0)])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn met_missed_or_in_progress() {
        let due = d(2025, 12, 31);
        let met = |on| Progress {
            met_on: Some(on),
            ..Default::default()
        };
        let none = Progress::default();
        assert_eq!(
            status(due, &met(d(2025, 6, 1)), due, d(2026, 1, 1)),
            Status::Met
        );
        // Reached after the due date: missed, the day still told.
        assert_eq!(
            status(due, &met(d(2026, 2, 1)), d(2026, 3, 1), d(2026, 3, 1)),
            Status::Missed
        );
        assert_eq!(status(due, &none, due, d(2026, 1, 1)), Status::Missed);
        // The due day itself has not passed yet.
        assert_eq!(status(due, &none, due, due), Status::InProgress);
        // As of a day before the due date.
        assert_eq!(
            status(due, &none, d(2024, 12, 31), d(2026, 1, 1)),
            Status::InProgress
        );
        assert_eq!(last_release_year(d(2025, 12, 31)), 2025);
        assert_eq!(last_release_year(d(2025, 12, 30)), 2024);
    }
}
