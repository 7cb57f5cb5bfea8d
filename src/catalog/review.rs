//! The review queue of open by default: the withheld and partially open entries whose ground
//! has no legal basis (the practical grounds, [`crate::domain::labels::ground`]) or whose review
//! date has passed, the longest-waiting first.
//!
//! An entry **waits since** the earliest day one of its reasons applies: for no legal basis,
//! the day it last became withheld or partially open (`withheld_since`, from the history, see
//! [`super::load`]); for an overdue review, its review date. The queue is ordered by that day,
//! then by dataset id (a total order, so keyset cursors stay stable).
//!
//! # Why the review date is compared at query time
//!
//! The snapshot holds nothing that depends on today (nothing to recompute at midnight). So each
//! row keeps its review date as a date, and membership is decided when the queue is asked, with
//! the request's today (Asia/Seoul, from the injectable clock): the day a review date passes,
//! the entry is in the queue without any event or reload. Waiting since never depends on
//! today: an entry's review date only counts once it is before today, and then it is before
//! any later today too.
//!
//! A queue is one pass over the withheld and partially open rows of its scope (263,000 for the
//! whole national demo; an institution's own rows under `Institution.reviewQueue`), with a
//! bounded heap for the page: no sort of the whole queue.

use std::collections::BinaryHeap;

use chrono::{Datelike, NaiveDate};
use entity::enums::WithholdingGround;
use roaring::RoaringBitmap;
use sea_orm::{ActiveEnum, Iterable};
use serde::{Deserialize, Serialize};

use super::snapshot::{NO_DATE, Snapshot, code_of};
use crate::domain::labels;

/// The stored statuses the queue looks at.
pub const STATUSES: [&str; 2] = ["WITHHELD", "PARTIALLY_OPEN"];

/// A scope this large or larger is heavy work (run under the catalog's gate).
pub const HEAVY_ROWS: u64 = 10_000;

/// Why an entry is in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reasons {
    /// Its ground has no legal basis.
    pub no_legal_basis: bool,
    /// Its review date is before today.
    pub review_overdue: bool,
}

/// One entry of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub reasons: Reasons,
    /// The day it waits since.
    pub waiting_since: NaiveDate,
    /// The day it last became withheld or partially open.
    pub withheld_since: Option<NaiveDate>,
    /// Its review date, if any.
    pub review_on: Option<NaiveDate>,
}

/// Where an entry stands in the queue: the day it waits since (days from CE) and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    /// Always `"review"`: a cursor of another list does not read as one of this.
    pub q: ReviewTag,
    pub w: i32,
    pub id: i64,
}

/// The tag of a review-queue cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReviewTag {
    #[serde(rename = "review")]
    Review,
}

/// A page of the queue and its length.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub rows: Vec<(Position, Entry)>,
    pub has_next: bool,
    pub total: u64,
}

fn date(days: i32) -> Option<NaiveDate> {
    (days != NO_DATE)
        .then(|| NaiveDate::from_num_days_from_ce_opt(days))
        .flatten()
}

/// What the queue needs of a snapshot: the rows it looks at and the grounds without legal basis.
struct Parts {
    rows: RoaringBitmap,
    practical: RoaringBitmap,
}

fn parts(snap: &Snapshot, scope: Option<&RoaringBitmap>) -> Parts {
    let mut rows = RoaringBitmap::new();
    for s in STATUSES {
        if let Some(c) = code_of(&snap.vocab.status, s) {
            let b = snap.status[c as usize].as_ref();
            match scope {
                Some(scope) => rows |= b & scope,
                None => rows |= b,
            }
        }
    }
    let mut practical = RoaringBitmap::new();
    for g in WithholdingGround::iter().filter(|g| labels::ground(*g).legal_basis.is_none()) {
        if let Some(c) = code_of(&snap.vocab.ground, &g.to_value()) {
            practical |= snap.ground[c as usize].as_ref() & &rows;
        }
    }
    Parts { rows, practical }
}

/// The day row `r` waits since if it is in the queue on `today` (days from CE), given whether
/// its ground has no legal basis: cheap, for every row of a pass.
fn waiting(snap: &Snapshot, r: u32, no_legal_basis: bool, today: i32) -> Option<i32> {
    let row = snap.row(r);
    let overdue = row.review_on != NO_DATE && row.review_on < today;
    match (no_legal_basis, overdue) {
        (false, false) => None,
        (true, false) => Some(row.withheld_since),
        (false, true) => Some(row.review_on),
        (true, true) => Some(row.withheld_since.min(row.review_on)),
    }
}

/// The entry of row `r` if it is in the queue on `today` (days from CE).
fn entry(snap: &Snapshot, parts: &Parts, r: u32, today: i32) -> Option<(i32, Entry)> {
    let row = snap.row(r);
    let no_legal_basis = parts.practical.contains(r);
    let w = waiting(snap, r, no_legal_basis, today)?;
    Some((
        w,
        Entry {
            id: row.id,
            reasons: Reasons {
                no_legal_basis,
                review_overdue: row.review_on != NO_DATE && row.review_on < today,
            },
            waiting_since: date(w).unwrap_or(NaiveDate::MIN),
            withheld_since: date(row.withheld_since),
            review_on: date(row.review_on),
        },
    ))
}

/// How many rows of `scope` (all rows when `None`) are in the queue on `today`.
pub fn count(snap: &Snapshot, scope: Option<&RoaringBitmap>, today: NaiveDate) -> u64 {
    let parts = parts(snap, scope);
    let today = today.num_days_from_ce();
    // No legal basis is a bitmap; only the others need their review date looked at.
    let others = &parts.rows - &parts.practical;
    let overdue = others
        .iter()
        .filter(|r| {
            let d = snap.row(*r).review_on;
            d != NO_DATE && d < today
        })
        .count() as u64;
    parts.practical.len() + overdue
}

/// The rows a scope looks at (for deciding whether the work is heavy).
pub fn scope_len(snap: &Snapshot, scope: Option<&RoaringBitmap>) -> u64 {
    parts(snap, scope).rows.len()
}

/// The `size` entries of the queue of `scope` on `today` that follow `after` (from the start
/// without it), and the queue's length.
pub fn page(
    snap: &Snapshot,
    scope: Option<&RoaringBitmap>,
    today: NaiveDate,
    after: Option<Position>,
    size: usize,
) -> Page {
    let parts = parts(snap, scope);
    let today = today.num_days_from_ce();
    let after = after.map(|p| (p.w, p.id));
    // A max-heap of the `size + 1` smallest keys after the cursor.
    let mut heap: BinaryHeap<(i32, i64, u32)> = BinaryHeap::with_capacity(size + 2);
    let mut total = 0u64;
    let others = &parts.rows - &parts.practical;
    for (rows, no_legal_basis) in [(&parts.practical, true), (&others, false)] {
        for r in rows {
            let Some(w) = waiting(snap, r, no_legal_basis, today) else {
                continue;
            };
            total += 1;
            let k = (w, snap.row(r).id);
            if after.is_some_and(|a| k <= a) {
                continue;
            }
            if heap.len() <= size {
                heap.push((k.0, k.1, r));
            } else if let Some(top) = heap.peek()
                && k < (top.0, top.1)
            {
                heap.pop();
                heap.push((k.0, k.1, r));
            }
        }
    }
    let mut chosen = heap.into_sorted_vec();
    let has_next = chosen.len() > size;
    chosen.truncate(size);
    Page {
        rows: chosen
            .into_iter()
            .filter_map(|(w, id, r)| {
                let (_, e) = entry(snap, &parts, r, today)?;
                Some((
                    Position {
                        q: ReviewTag::Review,
                        w,
                        id,
                    },
                    e,
                ))
            })
            .collect(),
        has_next,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::snapshot::{Inst, Row};

    fn row(
        id: i64,
        status: &str,
        ground: Option<WithholdingGround>,
        since: i32,
        review: i32,
    ) -> Row {
        let v = crate::catalog::snapshot::Vocabularies::new();
        Row {
            id,
            alive: true,
            inst: 0,
            status: code_of(&v.status, status).unwrap(),
            ground: ground.map(|g| code_of(&v.ground, &g.to_value()).unwrap()),
            category: 0,
            dataset_type: 0,
            national_core: false,
            standard: false,
            listed: true,
            synthetic: false,
            registered: NO_DATE,
            modified: NO_DATE,
            review_on: review,
            withheld_since: since,
            views: None,
            open_requests: false,
            requested: false,
            title: "".into(),
            search_title: "".into(),
            search_body: "".into(),
            openings: Box::new([]),
        }
    }

    #[test]
    fn members_reasons_order_and_paging() {
        use WithholdingGround::*;
        let inst = Inst {
            id: 1,
            code: "C1".into(),
            kind: 0,
            parent_id: None,
            names: String::new(),
            former_names: String::new(),
            model: None,
        };
        let snap = Snapshot::build(
            1,
            vec![inst],
            vec![
                row(1, "WITHHELD", Some(PracticalNoSystem), 100, NO_DATE), // no basis, 100
                row(2, "WITHHELD", Some(PersonalInformation), 50, 120),    // overdue on 121+, 120
                row(3, "PARTIALLY_OPEN", Some(PracticalDataQuality), 130, 90), // both, 90
                row(4, "OPEN", None, NO_DATE, 10),                         // open: never
                row(5, "WITHHELD", Some(BusinessSecret), 10, 200),         // not yet due
                row(6, "WITHHELD", Some(PracticalNotDigitized), 100, NO_DATE), // ties with 1
            ],
        );
        let today = NaiveDate::from_num_days_from_ce_opt(150).unwrap();
        let p = page(&snap, None, today, None, 10);
        let ids: Vec<i64> = p.rows.iter().map(|(_, e)| e.id).collect();
        assert_eq!(ids, [3, 1, 6, 2]);
        assert_eq!(p.total, 4);
        assert_eq!(count(&snap, None, today), 4);
        assert!(p.rows[0].1.reasons.no_legal_basis && p.rows[0].1.reasons.review_overdue);
        let first = page(&snap, None, today, None, 2);
        assert!(first.has_next);
        let rest = page(&snap, None, today, Some(first.rows[1].0), 2);
        let ids: Vec<i64> = rest.rows.iter().map(|(_, e)| e.id).collect();
        assert_eq!(ids, [6, 2]);
        assert!(!rest.has_next);
        // The day the review date 200 has passed, entry 5 joins, after the others.
        let later = NaiveDate::from_num_days_from_ce_opt(201).unwrap();
        assert_eq!(count(&snap, None, later), 5);
        // On its review date itself, entry 2 is not yet due.
        let on = NaiveDate::from_num_days_from_ce_opt(120).unwrap();
        assert_eq!(count(&snap, None, on), 3);
    }
}

#[cfg(test)]
mod national {
    use super::*;
    use crate::catalog::snapshot::{Inst, Row, Vocabularies};

    /// Times the queue over a snapshot of the national demo's size (350,342 rows, 263,342 of
    /// them withheld or partially open, a quarter on practical grounds, review dates over a
    /// year): `cargo test --release --lib national -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn national_scale_timings() {
        let v = Vocabularies::new();
        let grounds: Vec<u8> = (0..v.ground.len() as u8).collect();
        let insts: Vec<Inst> = (0..992)
            .map(|i| Inst {
                id: i + 1,
                code: format!("C{i}"),
                kind: 0,
                parent_id: None,
                names: String::new(),
                former_names: String::new(),
                model: None,
            })
            .collect();
        let start = NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .num_days_from_ce();
        let rows: Vec<Row> = (0..350_342i64)
            .map(|i| {
                let closed = i < 263_342;
                let status = if !closed {
                    "OPEN"
                } else if i % 10 == 0 {
                    "PARTIALLY_OPEN"
                } else {
                    "WITHHELD"
                };
                Row {
                    id: i + 1,
                    alive: true,
                    inst: (i * 7919 % 992) as u32,
                    status: code_of(&v.status, status).unwrap(),
                    ground: closed.then(|| grounds[(i * 31 % grounds.len() as i64) as usize]),
                    category: 0,
                    dataset_type: 0,
                    national_core: false,
                    standard: false,
                    listed: true,
                    synthetic: true,
                    registered: NO_DATE,
                    modified: NO_DATE,
                    review_on: if closed {
                        start + (i * 13 % 396) as i32
                    } else {
                        NO_DATE
                    },
                    withheld_since: if closed {
                        start - 1000 + (i % 900) as i32
                    } else {
                        NO_DATE
                    },
                    views: None,
                    open_requests: false,
                    requested: false,
                    title: "".into(),
                    search_title: "".into(),
                    search_body: "".into(),
                    openings: Box::new([]),
                }
            })
            .collect();
        let snap = Snapshot::build(1, insts, rows);
        let today = NaiveDate::from_ymd_opt(2027, 6, 1).unwrap();
        let t = std::time::Instant::now();
        let n = count(&snap, None, today);
        let counted = t.elapsed();
        let t = std::time::Instant::now();
        let p = page(&snap, None, today, None, 100);
        let paged = t.elapsed();
        let t = std::time::Instant::now();
        let deep = page(&snap, None, today, Some(p.rows[99].0), 100);
        let deeper = t.elapsed();
        let t = std::time::Instant::now();
        let mut per_inst = 0;
        for i in 0..992usize {
            per_inst += count(&snap, Some(&snap.inst_rows[i]), today);
        }
        let insts = t.elapsed();
        assert_eq!(p.total, n);
        assert_eq!(per_inst, n);
        assert_eq!(deep.rows.len(), 100);
        println!(
            "{n} due of 263342: count {:.1} ms, first page {:.1} ms, second page {:.1} ms, all 992 institutions' counts {:.1} ms",
            counted.as_secs_f64() * 1e3,
            paged.as_secs_f64() * 1e3,
            deeper.as_secs_f64() * 1e3,
            insts.as_secs_f64() * 1e3
        );
    }
}
