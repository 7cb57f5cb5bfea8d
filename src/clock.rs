//! The one source of time. Nothing reads the database's notion of now; everything asks a [`Clock`].

use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in Asia/Seoul (UTC+9, no daylight saving), the calendar deadlines use.
    fn today_seoul(&self) -> chrono::NaiveDate {
        seoul_date(self.now())
    }
}

/// The Asia/Seoul calendar date of an instant (Korea has kept UTC+9 without DST since 1988).
pub fn seoul_date(t: DateTime<Utc>) -> chrono::NaiveDate {
    (t + chrono::Duration::hours(9)).date_naive()
}

/// The instant an Asia/Seoul calendar day starts (its midnight, 15:00 UTC the day before). A day
/// `d` runs from `seoul_start(d)` up to, not including, `seoul_start(d + 1)`; "the end of `d`"
/// is that second bound.
pub fn seoul_start(d: chrono::NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::hours(9)
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; for tests and the deterministic demo.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().expect("clock lock");
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;
