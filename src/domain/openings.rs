//! What counts as an **opening**: the one definition behind `stats.openingsPerMonth` (in SQL
//! and in the catalog) and the progress of `WITHHELD_OPENED` targets, so their figures add up.
//!
//! An opening is one event of an entry's disclosure history that changes its status **to OPEN
//! from another status** (WITHHELD, PARTIALLY_OPEN, SCHEDULED_TO_OPEN, UNDER_REVIEW …). An
//! entry's first event (its registration or import, which has no previous status) is never an
//! opening, even when it enters OPEN; nor is a change to PARTIALLY_OPEN. Each such event counts
//! once, at its instant: an entry withheld again and reopened counts twice. Days and months are
//! Asia/Seoul's, like every calendar day of the product ([`crate::clock::seoul_date`]).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::DbBackend;

use crate::clock::{seoul_date, seoul_start};

/// The SQL condition that makes the disclosure event aliased `e` an opening.
pub fn condition(e: &str) -> String {
    format!("{e}.to_status = 'OPEN' AND {e}.from_status IS NOT NULL AND {e}.from_status <> 'OPEN'")
}

/// The bounds of the days `from` to `to` (both inclusive, Asia/Seoul): openings at or after the
/// first and before the second count; `None` leaves that side open.
pub fn window(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (
        from.map(seoul_start),
        to.map(|t| seoul_start(t + chrono::Days::new(1))),
    )
}

/// The Asia/Seoul month (`YYYY-MM`) of the timestamp column `col`, in SQL.
pub fn month_sql(backend: DbBackend, col: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({col} AT TIME ZONE 'Asia/Seoul', 'YYYY-MM')"),
        _ => format!("strftime('%Y-%m', {col}, '+9 hours')"),
    }
}

/// The Asia/Seoul day (`YYYY-MM-DD`) of the timestamp column `col`, in SQL.
pub fn day_sql(backend: DbBackend, col: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("to_char({col} AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD')"),
        _ => format!("date({col}, '+9 hours')"),
    }
}

/// The Asia/Seoul month (year, month) of an instant in Unix seconds (the catalog's openings).
pub fn month_of(at: i64) -> Option<(i32, u32)> {
    DateTime::from_timestamp(at, 0).map(|t| {
        let d = seoul_date(t);
        (d.year(), d.month())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seoul_day_starts_at_fifteen_hundred_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        let (lo, hi) = window(Some(d), Some(d));
        assert_eq!(lo.unwrap().to_rfc3339(), "2025-12-30T15:00:00+00:00");
        assert_eq!(hi.unwrap().to_rfc3339(), "2025-12-31T15:00:00+00:00");
        // 2025-12-31 16:00 UTC is 2026-01-01 01:00 in Seoul: January's opening.
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(month_of(t.timestamp()), Some((2026, 1)));
        assert_eq!(month_of(t.timestamp() - 3601), Some((2025, 12)));
    }
}
