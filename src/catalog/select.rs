//! Which rows a dataset list holds: the filter and the resolved search as bitmap operations, and
//! the counts per facet value that follow from them.
//!
//! Exactly the semantics of the SQL in [`crate::domain::datasets`]: the facet conditions
//! (status, ground, category, type, institution kind) are kept apart from the rest, so each
//! facet can be counted without its own condition, as [`crate::domain::datasets::facet_counts`]
//! does from its groups.

use roaring::{MultiOps, RoaringBitmap};
use sea_orm::ActiveEnum;

use super::snapshot::{Snapshot, code_of, pack};
use crate::domain::datasets::{Facet, Filter, ResolvedSearch};

/// The rows of a list: those passing every non-facet condition, and each facet's condition.
#[derive(Debug, Clone)]
pub struct Selection {
    /// Rows passing the conditions other than the five facets'.
    pub base: RoaringBitmap,
    /// Per facet (in [`FACETS`] order), the rows its condition allows; `None` when open.
    pub conds: [Option<RoaringBitmap>; 5],
    /// Rows passing everything.
    pub all: RoaringBitmap,
}

/// The facets in the order of [`Selection::conds`].
pub const FACETS: [Facet; 5] = [
    Facet::Status,
    Facet::Ground,
    Facet::Category,
    Facet::Type,
    Facet::InstitutionKind,
];

fn slot(f: Facet) -> usize {
    FACETS.iter().position(|x| *x == f).expect("every facet")
}

/// The union of the bitmaps of the listed values.
fn union_of<E: ActiveEnum<Value = String>>(
    values: &[String],
    bitmaps: &[std::sync::Arc<RoaringBitmap>],
    chosen: &[E],
) -> RoaringBitmap {
    chosen
        .iter()
        .filter_map(|e| code_of(values, &e.to_value()))
        .map(|c| bitmaps[c as usize].as_ref())
        .union()
}

fn keep_if(rows: &mut RoaringBitmap, on: Option<bool>, set: &RoaringBitmap) {
    match on {
        Some(true) => *rows &= set,
        Some(false) => *rows -= set,
        None => {}
    }
}

/// Rows of `rows` whose row passes `test`.
fn scan(
    snap: &Snapshot,
    rows: &RoaringBitmap,
    test: impl Fn(&super::snapshot::Row) -> bool,
) -> RoaringBitmap {
    RoaringBitmap::from_sorted_iter(rows.iter().filter(|r| test(snap.row(*r))))
        .expect("ascending rows")
}

impl Selection {
    /// Evaluates a filter and a resolved search on a snapshot.
    pub fn new(snap: &Snapshot, f: &Filter, search: Option<&ResolvedSearch>) -> Selection {
        let v = &snap.vocab;
        let mut base = snap.alive.as_ref().clone();
        if let Some(codes) = &f.institution_codes {
            base &= institutions_rows(snap, codes, f.include_sub_institutions);
        }
        keep_if(&mut base, f.national_core, &snap.national_core);
        keep_if(&mut base, f.standard, &snap.standard);
        keep_if(&mut base, f.listed, &snap.listed);
        keep_if(&mut base, f.synthetic, &snap.synthetic);
        keep_if(&mut base, f.has_open_requests, &snap.open_requests);
        let dated = [
            f.registered_from,
            f.registered_to,
            f.modified_from,
            f.modified_to,
        ];
        if dated.iter().any(Option::is_some) {
            use chrono::Datelike;
            let [rf, rt, mf, mt] = dated.map(|d| d.map(|d| d.num_days_from_ce()));
            let within = |d: i32, from: Option<i32>, to: Option<i32>| {
                (from.is_none() && to.is_none())
                    || (d != super::snapshot::NO_DATE
                        && from.is_none_or(|f| d >= f)
                        && to.is_none_or(|t| d <= t))
            };
            base = scan(snap, &base, |r| {
                within(r.registered, rf, rt) && within(r.modified, mf, mt)
            });
        }
        if let Some(search) = search {
            base = search_rows(snap, base, search);
        }
        let conds = [
            f.statuses
                .as_ref()
                .map(|l| union_of(&v.status, &snap.status, l)),
            f.grounds
                .as_ref()
                .map(|l| union_of(&v.ground, &snap.ground, l)),
            f.categories
                .as_ref()
                .map(|l| union_of(&v.category, &snap.category, l)),
            f.types
                .as_ref()
                .map(|l| union_of(&v.dataset_type, &snap.dataset_type, l)),
            f.institution_kinds
                .as_ref()
                .map(|l| union_of(&v.kind, &snap.kind, l)),
        ];
        let mut all = base.clone();
        for c in conds.iter().flatten() {
            all &= c;
        }
        Selection { base, conds, all }
    }

    /// How many datasets match.
    pub fn count(&self) -> u64 {
        self.all.len()
    }

    /// Rows passing everything but the condition of `facet`.
    fn except(&self, facet: Facet) -> RoaringBitmap {
        let skip = slot(facet);
        let mut rows = self.base.clone();
        for (k, c) in self.conds.iter().enumerate() {
            if k != skip
                && let Some(c) = c
            {
                rows &= c;
            }
        }
        rows
    }

    /// Counts per value of `facet` for the list without its own condition on that facet, most
    /// frequent first, then by stored value; values with no dataset left out (as
    /// [`crate::domain::datasets::facet_counts`]).
    pub fn facet_counts(&self, snap: &Snapshot, facet: Facet) -> Vec<(String, u64)> {
        counts(snap, &self.except(facet), facet)
    }

    /// Counts per value of `facet` for the whole list (every condition applied).
    pub fn totals_by(&self, snap: &Snapshot, facet: Facet) -> Vec<(String, u64)> {
        counts(snap, &self.all, facet)
    }
}

/// Counts per value of `facet` among `rows`, sorted as the facets are.
pub fn counts(snap: &Snapshot, rows: &RoaringBitmap, facet: Facet) -> Vec<(String, u64)> {
    let v = &snap.vocab;
    let (values, bitmaps) = match facet {
        Facet::Status => (&v.status, &snap.status),
        Facet::Ground => (&v.ground, &snap.ground),
        Facet::Category => (&v.category, &snap.category),
        Facet::Type => (&v.dataset_type, &snap.dataset_type),
        Facet::InstitutionKind => (&v.kind, &snap.kind),
    };
    let mut out: Vec<(String, u64)> = values
        .iter()
        .zip(bitmaps)
        .map(|(value, b)| (value.clone(), rows.intersection_len(b)))
        .filter(|(_, n)| *n > 0)
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Rows of the institutions with these codes (and, if asked, of every institution below them).
fn institutions_rows(snap: &Snapshot, codes: &[String], below: bool) -> RoaringBitmap {
    let mut chosen: Vec<u32> = codes
        .iter()
        .filter_map(|c| snap.inst_by_code.get(c.trim()).copied())
        .collect();
    if below {
        let mut seen = vec![false; snap.insts.len()];
        for i in &chosen {
            seen[*i as usize] = true;
        }
        let mut k = 0;
        while k < chosen.len() {
            for child in &snap.children[chosen[k] as usize] {
                if !seen[*child as usize] {
                    seen[*child as usize] = true;
                    chosen.push(*child);
                }
            }
            k += 1;
        }
    }
    chosen
        .iter()
        .map(|i| snap.inst_rows[*i as usize].as_ref())
        .union()
}

/// `rows` narrowed by every term of the search: a term keeps the rows whose title or body
/// contains it, plus those of its institution and label matches.
fn search_rows(snap: &Snapshot, mut rows: RoaringBitmap, search: &ResolvedSearch) -> RoaringBitmap {
    // Terms with grams first: their postings narrow the rows that a term without grams (one
    // character) must be verified on.
    let mut terms: Vec<_> = search.terms.iter().collect();
    terms.sort_by_key(|t| t.grams.is_empty());
    let v = &snap.vocab;
    for t in terms {
        let mut others: Vec<&RoaringBitmap> = Vec::new();
        for id in &t.institutions {
            if let Some(i) = snap.inst_index.get(id) {
                others.push(&snap.inst_rows[*i as usize]);
            }
        }
        let mut alts = [
            union_of(&v.category, &snap.category, &t.categories),
            union_of(&v.dataset_type, &snap.dataset_type, &t.types),
            union_of(&v.status, &snap.status, &t.statuses),
            union_of(&v.ground, &snap.ground, &t.grounds),
        ]
        .to_vec();
        alts.extend(others.into_iter().cloned());
        let mut alt = alts.union();
        alt &= &rows;
        let contains = |r: &super::snapshot::Row| {
            r.search_title.contains(t.term.as_str()) || r.search_body.contains(t.term.as_str())
        };
        let text = if t.grams.is_empty() {
            scan(snap, &rows, contains)
        } else {
            let mut postings: Vec<&RoaringBitmap> = Vec::with_capacity(t.grams.len());
            for g in &t.grams {
                match snap.postings(pack(g)) {
                    Some(p) => postings.push(p),
                    None => {
                        postings.clear();
                        break;
                    }
                }
            }
            if postings.is_empty() {
                RoaringBitmap::new()
            } else {
                postings.sort_by_key(|p| p.len());
                let mut cand = rows.clone();
                for p in postings {
                    cand &= p;
                }
                // A two-character term is its own only gram: the postings are exact.
                if t.grams.len() == 1 && t.grams[0] == t.term {
                    cand
                } else {
                    scan(snap, &cand, contains)
                }
            }
        };
        rows = alt | text;
    }
    rows
}
