//! The inventory as of a past day, rebuilt from the append-only history, and what changed
//! between two days.
//!
//! A dataset's state at an instant is its last `disclosure_event` before that instant (status,
//! ground, listing); a dataset without one did not exist yet. "The end of a day" is the start
//! of the next Asia/Seoul day ([`end_of`]): an event at 23:30 Seoul time belongs to its day, one
//! at 00:30 to the next.
//!
//! Only datasets with an event at or after the instant can differ from today's state, so the
//! statements here find those and look up each one's last event before the instant (one seek on
//! the `(dataset_id, occurred_at)` index each; not a window over the whole history: that took
//! over 10 s), and the caller takes everything else from today's catalog. The rows come
//! back as one JSON value (a row at a time, hundreds of thousands of rows cost more to carry
//! than to find).
//!
//! [`bucket`] puts a change between two states in at most one of the buckets of
//! `catalogChanges`, in this precedence:
//!
//! 1. [`Bucket::Opened`]: OPEN after, another status before (an opening as
//!    [`super::openings`] counts them; a new entry that starts OPEN is not an opening);
//! 2. [`Bucket::NewlyWithheld`]: WITHHELD or PARTIALLY_OPEN after, neither before (a new
//!    entry that starts withheld or partially open counts here);
//! 3. [`Bucket::GroundChanged`]: withheld or partially open on both days, on another ground;
//! 4. [`Bucket::Listed`]: listed after, not before (a new entry that is listed and not
//!    withheld, e.g. one that starts OPEN, counts here);
//! 5. [`Bucket::Delisted`]: listed before, not after.
//!
//! Anything else (moves between WITHHELD and PARTIALLY_OPEN on the same ground, to or from
//! UNDER_REVIEW or SCHEDULED_TO_OPEN, changes that came back to where they started) is in none.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{DisclosureStatus, WithholdingGround};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use crate::clock::seoul_start;
use crate::domain::sql::Sql;

/// A dataset's disclosure and listing at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub status: DisclosureStatus,
    pub ground: Option<WithholdingGround>,
    pub listed: bool,
}

/// The end of Asia/Seoul day `d`: the instant the next day starts (events before it count).
pub fn end_of(d: NaiveDate) -> DateTime<Utc> {
    seoul_start(d + chrono::Days::new(1))
}

/// Withheld or partially open.
pub fn closed(s: DisclosureStatus) -> bool {
    matches!(
        s,
        DisclosureStatus::Withheld | DisclosureStatus::PartiallyOpen
    )
}

/// The buckets of `catalogChanges`, in precedence order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    Opened,
    NewlyWithheld,
    GroundChanged,
    Listed,
    Delisted,
}

impl Bucket {
    pub const ALL: [Bucket; 5] = [
        Bucket::Opened,
        Bucket::NewlyWithheld,
        Bucket::GroundChanged,
        Bucket::Listed,
        Bucket::Delisted,
    ];
}

/// The one bucket a dataset falls in between its state `before` and `after` (`None`: it did
/// not exist then), as the module docs say.
pub fn bucket(before: Option<State>, after: Option<State>) -> Option<Bucket> {
    let a = after?;
    let was_closed = before.is_some_and(|b| closed(b.status));
    if let Some(b) = before
        && b.status != DisclosureStatus::Open
        && a.status == DisclosureStatus::Open
    {
        return Some(Bucket::Opened);
    }
    if closed(a.status) && !was_closed {
        return Some(Bucket::NewlyWithheld);
    }
    if let Some(b) = before
        && closed(b.status)
        && closed(a.status)
        && b.ground != a.ground
    {
        return Some(Bucket::GroundChanged);
    }
    let was_listed = before.is_some_and(|b| b.listed);
    match (was_listed, a.listed) {
        (false, true) => Some(Bucket::Listed),
        (true, false) => Some(Bucket::Delisted),
        _ => None,
    }
}

fn parse_state(
    status: Option<String>,
    ground: Option<String>,
    listed: &serde_json::Value,
) -> Result<Option<State>, DbErr> {
    use sea_orm::ActiveEnum;
    let Some(status) = status else {
        return Ok(None);
    };
    let bad = |what: &str, v: &str| DbErr::Custom(format!("unknown {what} '{v}' in the history"));
    Ok(Some(State {
        status: DisclosureStatus::try_from_value(&status).map_err(|_| bad("status", &status))?,
        ground: ground
            .map(|g| WithholdingGround::try_from_value(&g).map_err(|_| bad("ground", &g)))
            .transpose()?,
        listed: flag(listed),
    }))
}

/// A boolean as the JSON of either database gives it (PostgreSQL `true`, SQLite `1`).
fn flag(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_i64().is_some_and(|n| n != 0),
        _ => false,
    }
}

/// The event of dataset `c.dataset_id` that was its last before `at` (a placeholder), as a
/// join condition: one seek on `(dataset_id, occurred_at)`, only when `when` (if any) holds.
fn last_before(alias: &str, at: &str, when: Option<&str>) -> String {
    let lookup = format!(
        "(SELECT x.id FROM disclosure_event x \
           WHERE x.dataset_id = c.dataset_id AND x.occurred_at < {at} \
           ORDER BY x.occurred_at DESC, x.id DESC LIMIT 1)"
    );
    match when {
        Some(w) => format!(
            "LEFT JOIN disclosure_event {alias} ON {alias}.id = CASE WHEN {w} THEN {lookup} END"
        ),
        None => format!("LEFT JOIN disclosure_event {alias} ON {alias}.id = {lookup}"),
    }
}

/// The rows of `items` (SQL expressions) as one JSON array of arrays, in one text value: a
/// few hundred thousand rows cross from the database as one value rather than row by row.
fn json_rows(backend: DbBackend, items: &[&str]) -> String {
    let items = items.join(", ");
    match backend {
        DbBackend::Postgres => format!("CAST(json_agg(json_build_array({items})) AS TEXT)"),
        _ => format!("json_group_array(json_array({items}))"),
    }
}

/// The JSON rows of a statement built with [`json_rows`] (none when nothing matched).
async fn read_json_rows<C: ConnectionTrait, T: serde::de::DeserializeOwned>(
    db: &C,
    sql: Sql,
) -> Result<Vec<T>, DbErr> {
    let Some(row) = db.query_one_raw(sql.statement()).await? else {
        return Ok(Vec::new());
    };
    let text: Option<String> = row.try_get_by_index(0)?;
    match text {
        None => Ok(Vec::new()),
        Some(t) => serde_json::from_str(&t)
            .map_err(|e| DbErr::Custom(format!("reading the history's states: {e}"))),
    }
}

/// The state at `at` of every dataset whose state may differ from today's: those with an event
/// at or after `at`. `None`: it did not exist yet. One statement.
pub async fn states_at<C: ConnectionTrait>(
    db: &C,
    at: DateTime<Utc>,
) -> Result<HashMap<i64, Option<State>>, DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    let p = sql.param(at);
    // Most of these did not exist yet on a day long past: those travel apart, as bare ids.
    let (absent, states) = match backend {
        DbBackend::Postgres => (
            "CAST(json_agg(c.dataset_id) FILTER (WHERE a.id IS NULL) AS TEXT)",
            "CAST(json_agg(json_build_array(c.dataset_id, a.to_status, a.ground, a.listed)) \
               FILTER (WHERE a.id IS NOT NULL) AS TEXT)",
        ),
        _ => (
            "json_group_array(c.dataset_id) FILTER (WHERE a.id IS NULL)",
            "json_group_array(json_array(c.dataset_id, a.to_status, a.ground, a.listed)) \
               FILTER (WHERE a.id IS NOT NULL)",
        ),
    };
    let a = last_before("a", &p, None);
    sql.push(&format!(
        "SELECT {absent}, {states} FROM \
           (SELECT DISTINCT dataset_id FROM disclosure_event WHERE occurred_at >= {p}) c {a}"
    ));
    let Some(row) = db.query_one_raw(sql.statement()).await? else {
        return Ok(HashMap::new());
    };
    let bad = |e: serde_json::Error| DbErr::Custom(format!("reading the history's states: {e}"));
    let absent: Option<String> = row.try_get_by_index(0)?;
    let states: Option<String> = row.try_get_by_index(1)?;
    let absent: Vec<i64> = match &absent {
        Some(t) => serde_json::from_str(t).map_err(bad)?,
        None => Vec::new(),
    };
    type Found<'a> = (i64, &'a str, Option<&'a str>, serde_json::Value);
    let states: Vec<Found> = match &states {
        Some(t) => serde_json::from_str(t).map_err(bad)?,
        None => Vec::new(),
    };
    let mut out = HashMap::with_capacity(absent.len() + states.len());
    out.extend(absent.into_iter().map(|id| (id, None)));
    for (id, status, ground, listed) in states {
        let state = parse_state(
            Some(status.to_string()),
            ground.map(str::to_string),
            &listed,
        )?;
        out.insert(id, state);
    }
    Ok(out)
}

/// One dataset's states at two instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub dataset_id: i64,
    pub before: Option<State>,
    pub after: Option<State>,
}

/// The states at `from` and at `to` (`from <= to`) of every dataset with an event in between
/// (all others are the same at both), in dataset id order. A dataset with no event at or after
/// `to` is at `to` as it is today: `today` gives that state (from the catalog), so only the
/// others are looked up. One statement.
pub async fn states_between<C: ConnectionTrait>(
    db: &C,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    today: impl Fn(i64) -> Option<State>,
) -> Result<Vec<Change>, DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    let f = sql.param(from);
    let t = sql.param(to);
    // Every dataset here has an event before `to`, so `b` is found exactly when the dataset
    // has an event at or after `to` too; otherwise it is at `to` as today.
    let later = format!(
        "EXISTS (SELECT 1 FROM disclosure_event y \
                  WHERE y.dataset_id = c.dataset_id AND y.occurred_at >= {t})"
    );
    let items = json_rows(
        backend,
        &[
            "c.dataset_id",
            "a.to_status",
            "a.ground",
            "a.listed",
            "b.to_status",
            "b.ground",
            "b.listed",
        ],
    );
    let changed = format!(
        "(SELECT DISTINCT dataset_id FROM disclosure_event \
           WHERE occurred_at >= {f} AND occurred_at < {t}) c"
    );
    let (a, b) = (
        last_before("a", &f, None),
        last_before("b", &t, Some(&later)),
    );
    sql.push(&format!("SELECT {items} FROM {changed} {a} {b}"));
    type Row = (
        i64,
        Option<String>,
        Option<String>,
        serde_json::Value,
        Option<String>,
        Option<String>,
        serde_json::Value,
    );
    let rows: Vec<Row> = read_json_rows(db, sql).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, s1, g1, l1, s2, g2, l2) in rows {
        let before = parse_state(s1, g1, &l1)?;
        let after = if s2.is_some() {
            parse_state(s2, g2, &l2)?
        } else {
            today(id)
        };
        out.push(Change {
            dataset_id: id,
            before,
            after,
        });
    }
    out.sort_unstable_by_key(|c| c.dataset_id);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DisclosureStatus::*;
    use WithholdingGround::*;

    fn s(status: DisclosureStatus, ground: Option<WithholdingGround>, listed: bool) -> State {
        State {
            status,
            ground,
            listed,
        }
    }

    #[test]
    fn the_end_of_a_day_is_the_next_seoul_midnight() {
        let d: NaiveDate = "2025-03-01".parse().unwrap();
        assert_eq!(end_of(d).to_rfc3339(), "2025-03-01T15:00:00+00:00");
    }

    #[test]
    fn each_change_falls_in_at_most_one_bucket_by_precedence() {
        let open = s(Open, None, true);
        let withheld = s(Withheld, Some(PersonalInformation), true);
        let partial = s(PartiallyOpen, Some(PersonalInformation), true);
        let cases = [
            // Openings, also when the listing changed too.
            (Some(withheld), Some(open), Some(Bucket::Opened)),
            (
                Some(s(Withheld, Some(BusinessSecret), false)),
                Some(open),
                Some(Bucket::Opened),
            ),
            (
                Some(s(UnderReview, None, true)),
                Some(open),
                Some(Bucket::Opened),
            ),
            // Newly withheld or partially open, also a new entry.
            (Some(open), Some(withheld), Some(Bucket::NewlyWithheld)),
            (
                Some(s(ScheduledToOpen, None, true)),
                Some(partial),
                Some(Bucket::NewlyWithheld),
            ),
            (None, Some(withheld), Some(Bucket::NewlyWithheld)),
            (
                Some(s(Open, None, false)),
                Some(withheld),
                Some(Bucket::NewlyWithheld),
            ),
            // Another ground, closed on both days.
            (
                Some(withheld),
                Some(s(PartiallyOpen, Some(BusinessSecret), true)),
                Some(Bucket::GroundChanged),
            ),
            (
                Some(withheld),
                Some(s(Withheld, Some(BusinessSecret), false)),
                Some(Bucket::GroundChanged),
            ),
            // Same ground, withheld to partially open: nothing.
            (Some(withheld), Some(partial), None),
            // Listing.
            (None, Some(open), Some(Bucket::Listed)),
            (None, Some(s(UnderReview, None, true)), Some(Bucket::Listed)),
            (None, Some(s(Open, None, false)), None),
            (Some(s(Open, None, false)), Some(open), Some(Bucket::Listed)),
            (
                Some(open),
                Some(s(Open, None, false)),
                Some(Bucket::Delisted),
            ),
            (
                Some(withheld),
                Some(s(Withheld, Some(PersonalInformation), false)),
                Some(Bucket::Delisted),
            ),
            // Nothing changed, or nothing that has a bucket.
            (Some(open), Some(open), None),
            (Some(withheld), Some(s(UnderReview, None, true)), None),
            (Some(open), Some(s(ScheduledToOpen, None, true)), None),
            (None, None, None),
        ];
        for (before, after, want) in cases {
            assert_eq!(bucket(before, after), want, "{before:?} → {after:?}");
        }
    }
}
