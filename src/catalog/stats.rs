//! Dashboard figures that depend only on the datasets, from a selection: the institutions
//! holding most of a list, and openings per month. (Figures over requests stay in SQL: they are
//! small tables and depend on the date.)

use std::collections::BTreeMap;

use chrono::NaiveDate;
use roaring::RoaringBitmap;

use super::snapshot::{Snapshot, code_of};
use crate::domain::openings;
use crate::domain::stats::InstitutionTotals;

/// The institutions holding most rows of `rows`: most first, then by institution id. Totals come
/// from each institution's bitmap (no pass over the rows); open, withheld, national-core and
/// standard counts only for the winners.
pub fn top_institutions(
    snap: &Snapshot,
    rows: &RoaringBitmap,
    limit: u64,
) -> Vec<InstitutionTotals> {
    let mut totals: Vec<(u64, i64, usize)> = snap
        .inst_rows
        .iter()
        .enumerate()
        .filter(|(_, b)| !b.is_empty())
        .map(|(i, b)| (rows.intersection_len(b), snap.insts[i].id, i))
        .filter(|(n, _, _)| *n > 0)
        .collect();
    totals.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    totals.truncate(limit as usize);
    let status = |v: &str| code_of(&snap.vocab.status, v).map(|c| snap.status[c as usize].clone());
    let (open, withheld) = (status("OPEN"), status("WITHHELD"));
    totals
        .into_iter()
        .map(|(total, institution_id, i)| {
            let mine = rows & snap.inst_rows[i].as_ref();
            let count = |b: &Option<std::sync::Arc<RoaringBitmap>>| {
                b.as_ref().map(|b| mine.intersection_len(b)).unwrap_or(0)
            };
            InstitutionTotals {
                institution_id,
                total,
                open: count(&open),
                withheld: count(&withheld),
                national_core: mine.intersection_len(&snap.national_core),
                standard: mine.intersection_len(&snap.standard),
            }
        })
        .collect()
}

/// Openings ([`openings`]) of `rows` per Asia/Seoul month (`YYYY-MM`), oldest first, between
/// the days `from` and `to` inclusive (Asia/Seoul): what
/// [`crate::domain::stats::openings_per_month`] counts in SQL.
pub fn openings_per_month(
    snap: &Snapshot,
    rows: &RoaringBitmap,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Vec<(String, u64)> {
    let (lo, hi) = openings::window(from, to);
    let lo = lo.map(|t| t.timestamp()).unwrap_or(i64::MIN);
    let hi = hi.map(|t| t.timestamp()).unwrap_or(i64::MAX);
    let mut by_month: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    for r in &(rows & snap.opened.as_ref()) {
        for at in snap.row(r).openings.iter() {
            if *at >= lo
                && *at < hi
                && let Some(month) = openings::month_of(*at)
            {
                *by_month.entry(month).or_default() += 1;
            }
        }
    }
    by_month
        .into_iter()
        .map(|((y, m), n)| (format!("{y:04}-{m:02}"), n))
        .collect()
}

/// The ids of the datasets of `rows` that any request names: the scope that figures over
/// requests ([`crate::domain::stats::Scope::Ids`]) need, usually far shorter than the list.
pub fn requested_ids(snap: &Snapshot, rows: &RoaringBitmap) -> Vec<i64> {
    (rows & snap.requested.as_ref())
        .iter()
        .map(|r| snap.row(r).id)
        .collect()
}
