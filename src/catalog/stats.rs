//! Dashboard figures that depend only on the datasets, from a selection: the institutions
//! holding most of a list, and openings per month. (Figures over requests stay in SQL: they are
//! small tables and depend on the date.)

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate};
use roaring::RoaringBitmap;

use super::snapshot::{Snapshot, code_of};
use crate::domain::stats::InstitutionTotals;

/// The institutions holding most rows of `rows`: most first, then by institution id.
pub fn top_institutions(
    snap: &Snapshot,
    rows: &RoaringBitmap,
    limit: u64,
) -> Vec<InstitutionTotals> {
    let open = code_of(&snap.vocab.status, "OPEN");
    let withheld = code_of(&snap.vocab.status, "WITHHELD");
    // Per dense institution index: total, open, withheld.
    let mut acc = vec![[0u64; 3]; snap.insts.len()];
    for r in rows {
        let row = snap.row(r);
        let a = &mut acc[row.inst as usize];
        a[0] += 1;
        if Some(row.status) == open {
            a[1] += 1;
        } else if Some(row.status) == withheld {
            a[2] += 1;
        }
    }
    let mut out: Vec<InstitutionTotals> = acc
        .into_iter()
        .enumerate()
        .filter(|(_, a)| a[0] > 0)
        .map(|(i, a)| InstitutionTotals {
            institution_id: snap.insts[i].id,
            total: a[0],
            open: a[1],
            withheld: a[2],
        })
        .collect();
    out.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then(a.institution_id.cmp(&b.institution_id))
    });
    out.truncate(limit as usize);
    out
}

/// Openings (changes to OPEN from another status) of `rows` per month (`YYYY-MM`, UTC), oldest
/// first, between `from` and `to` inclusive (UTC days).
pub fn openings_per_month(
    snap: &Snapshot,
    rows: &RoaringBitmap,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Vec<(String, u64)> {
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp()
    };
    let lo = from.map(midnight).unwrap_or(i64::MIN);
    let hi = to
        .map(|t| midnight(t + chrono::Days::new(1)))
        .unwrap_or(i64::MAX);
    let mut by_month: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    for r in rows {
        for at in snap.row(r).openings.iter() {
            if *at >= lo
                && *at < hi
                && let Some(t) = DateTime::from_timestamp(*at, 0)
            {
                *by_month.entry((t.year(), t.month())).or_default() += 1;
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
