//! Deadlines of the request workflow, in calendar days in Asia/Seoul.
//!
//! The starting day is not counted; a period that ends on a Saturday, Sunday or configured public
//! holiday ends on the next working day; a deadline passes at the end of its day (so a request is
//! overdue from the day after). Periods are configuration with the defaults of the Official
//! Information Disclosure Act and the Public Data Act.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};

/// The periods and the holiday calendar.
#[derive(Debug, Clone)]
pub struct Deadlines {
    /// Days the institution has to decide.
    pub decision_days: u32,
    /// Longest single extension.
    pub extension_max_days: u32,
    /// Days to ask for reconsideration after a refusal.
    pub reconsideration_apply_days: u32,
    /// Days the institution has to answer a reconsideration.
    pub reconsideration_answer_days: u32,
    /// Days to apply for mediation after a refusal or a missed decision deadline.
    pub mediation_apply_days: u32,
    /// Days the committee has to propose.
    pub mediation_propose_days: u32,
    /// Days the parties have to answer a proposal (silence counts as rejection).
    pub proposal_answer_days: u32,
    /// Days to provide after an accepted proposal.
    pub provision_days: u32,
    /// Whether an institution's silence past a deadline (no decision, no answer to
    /// reconsideration) counts as a refusal, opening reconsideration and mediation.
    pub silence_counts_as_refusal: bool,
    /// Public holidays.
    pub holidays: BTreeSet<NaiveDate>,
}

/// Korean public holidays 2025–2027 (including substitute holidays and the 2026-06-03 local
/// elections), the default calendar.
const KOREAN_HOLIDAYS: &[&str] = &[
    "2025-01-01",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-03-01",
    "2025-03-03",
    "2025-05-05",
    "2025-05-06",
    "2025-06-06",
    "2025-08-15",
    "2025-10-03",
    "2025-10-05",
    "2025-10-06",
    "2025-10-07",
    "2025-10-08",
    "2025-10-09",
    "2025-12-25",
    "2026-01-01",
    "2026-02-16",
    "2026-02-17",
    "2026-02-18",
    "2026-03-01",
    "2026-03-02",
    "2026-05-05",
    "2026-05-24",
    "2026-05-25",
    "2026-06-03",
    "2026-06-06",
    "2026-08-15",
    "2026-08-17",
    "2026-09-24",
    "2026-09-25",
    "2026-09-26",
    "2026-10-03",
    "2026-10-05",
    "2026-10-09",
    "2026-12-25",
    "2027-01-01",
    "2027-02-05",
    "2027-02-06",
    "2027-02-07",
    "2027-02-08",
    "2027-03-01",
    "2027-05-05",
    "2027-05-13",
    "2027-06-06",
    "2027-08-15",
    "2027-08-16",
    "2027-09-14",
    "2027-09-15",
    "2027-09-16",
    "2027-10-03",
    "2027-10-04",
    "2027-10-09",
    "2027-10-11",
    "2027-12-25",
    "2027-12-27",
];

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            decision_days: 10,
            extension_max_days: 10,
            reconsideration_apply_days: 30,
            reconsideration_answer_days: 7,
            mediation_apply_days: 60,
            mediation_propose_days: 30,
            proposal_answer_days: 15,
            provision_days: 10,
            silence_counts_as_refusal: true,
            holidays: KOREAN_HOLIDAYS
                .iter()
                .map(|d| d.parse().expect("valid date"))
                .collect(),
        }
    }
}

impl Deadlines {
    /// Defaults, changed by settings named like their environment variables (read once at start
    /// by [`crate::config`]):
    /// - `INVENTORY_HOLIDAYS`: comma-separated `YYYY-MM-DD` dates replacing the calendar;
    /// - `INVENTORY_DEADLINE_DAYS`: comma-separated `name=days` for any of `decision`,
    ///   `extension`, `reconsideration_apply`, `reconsideration_answer`, `mediation_apply`,
    ///   `mediation_propose`, `proposal_answer`, `provision`;
    /// - `INVENTORY_SILENCE_IS_REFUSAL`: `true` (default) or `false`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut d = Deadlines::default();
        if let Some(list) = var("INVENTORY_HOLIDAYS") {
            d.holidays = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse()
                        .map_err(|_| format!("INVENTORY_HOLIDAYS: '{s}' is not a YYYY-MM-DD date"))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(list) = var("INVENTORY_DEADLINE_DAYS") {
            for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (name, days) = item
                    .split_once('=')
                    .ok_or_else(|| format!("INVENTORY_DEADLINE_DAYS: '{item}' is not name=days"))?;
                let days: u32 = days
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (1..=365).contains(n))
                    .ok_or_else(|| {
                        format!("INVENTORY_DEADLINE_DAYS: '{item}' needs 1 to 365 days")
                    })?;
                let slot = match name.trim() {
                    "decision" => &mut d.decision_days,
                    "extension" => &mut d.extension_max_days,
                    "reconsideration_apply" => &mut d.reconsideration_apply_days,
                    "reconsideration_answer" => &mut d.reconsideration_answer_days,
                    "mediation_apply" => &mut d.mediation_apply_days,
                    "mediation_propose" => &mut d.mediation_propose_days,
                    "proposal_answer" => &mut d.proposal_answer_days,
                    "provision" => &mut d.provision_days,
                    other => {
                        return Err(format!(
                            "INVENTORY_DEADLINE_DAYS: unknown period '{other}' (decision, extension, reconsideration_apply, reconsideration_answer, mediation_apply, mediation_propose, proposal_answer, provision)"
                        ));
                    }
                };
                *slot = days;
            }
        }
        if let Some(v) = var("INVENTORY_SILENCE_IS_REFUSAL") {
            d.silence_counts_as_refusal = match v.trim() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                other => {
                    return Err(format!(
                        "INVENTORY_SILENCE_IS_REFUSAL: '{other}' is not true or false"
                    ));
                }
            };
        }
        Ok(d)
    }

    /// Whether institutions work on `d`.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The last day of a period of `days` starting on `start` (not counted).
    pub fn due(&self, start: NaiveDate, days: u32) -> NaiveDate {
        let mut d = start + chrono::Days::new(days as u64);
        while !self.is_working_day(d) {
            d = d.succ_opt().expect("date in range");
        }
        d
    }

    /// Whether a deadline has passed on `today` (it passes at the end of its day).
    pub fn passed(due: NaiveDate, today: NaiveDate) -> bool {
        today > due
    }
}

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn periods_and_the_silence_rule_are_configurable() {
        let vars = |k: &str| match k {
            "INVENTORY_DEADLINE_DAYS" => Some("decision=14, proposal_answer=20".to_string()),
            "INVENTORY_SILENCE_IS_REFUSAL" => Some("false".to_string()),
            _ => None,
        };
        let d = Deadlines::from_vars(vars).unwrap();
        assert_eq!(d.decision_days, 14);
        assert_eq!(d.proposal_answer_days, 20);
        assert_eq!(d.extension_max_days, 10, "others keep their defaults");
        assert!(!d.silence_counts_as_refusal);
        for bad in ["decision", "decision=0", "decisions=10", "decision=x"] {
            let e =
                Deadlines::from_vars(|k| (k == "INVENTORY_DEADLINE_DAYS").then(|| bad.to_string()))
                    .unwrap_err();
            assert!(e.contains("INVENTORY_DEADLINE_DAYS"), "{bad}: {e}");
        }
        let e = Deadlines::from_vars(|k| {
            (k == "INVENTORY_SILENCE_IS_REFUSAL").then(|| "maybe".to_string())
        })
        .unwrap_err();
        assert!(e.contains("maybe"), "{e}");
    }

    #[test]
    fn seollal_2027_and_the_2026_local_elections_are_holidays() {
        let d = Deadlines::default();
        for day in ["2027-02-05", "2027-02-08", "2026-06-03"] {
            assert!(!d.is_working_day(day.parse().unwrap()), "{day}");
        }
        assert!(d.is_working_day("2027-02-09".parse().unwrap()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_start_day_is_not_counted_and_weekends_roll_forward() {
        let cal = Deadlines {
            holidays: BTreeSet::new(),
            ..Default::default()
        };
        // Monday 2026-11-02 + 10 days = Thursday 2026-11-12.
        assert_eq!(cal.due(d("2026-11-02"), 10), d("2026-11-12"));
        // Wednesday 2026-11-04 + 10 = Saturday 11-14 → Monday 11-16.
        assert_eq!(cal.due(d("2026-11-04"), 10), d("2026-11-16"));
    }

    #[test]
    fn holidays_roll_forward_too() {
        let cal = Deadlines::default();
        // 2026-09-14 + 10 = Thursday 09-24, Chuseok (24–26), then Sunday 27 → Monday 09-28.
        assert_eq!(cal.due(d("2026-09-14"), 10), d("2026-09-28"));
        assert!(!Deadlines::passed(d("2026-09-28"), d("2026-09-28")));
        assert!(Deadlines::passed(d("2026-09-28"), d("2026-09-29")));
    }
}
