//! What changed between two days ([`crate::domain::as_of`] reads the states, one statement):
//! each changed dataset in its one bucket, counted in total, per institution and per category,
//! where the institution and category are today's (the snapshot's).

use std::collections::HashMap;

use entity::enums::Category;
use sea_orm::Iterable;

use super::snapshot::Snapshot;
use crate::domain::as_of::{Bucket, Change, bucket};

/// Datasets per bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// In [`Bucket::ALL`] order.
    pub by: [u64; 5],
}

impl Counts {
    pub fn get(&self, b: Bucket) -> u64 {
        self.by[b as usize]
    }

    /// Datasets in any bucket.
    pub fn total(&self) -> u64 {
        self.by.iter().sum()
    }

    fn add(&mut self, b: Bucket) {
        self.by[b as usize] += 1;
    }
}

/// The counts of a comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub totals: Counts,
    /// Per institution id (today's holder), most changes first, then by institution code.
    pub by_institution: Vec<(i64, Counts)>,
    /// Per category (today's), most changes first, then in declaration order.
    pub by_category: Vec<(Category, Counts)>,
}

/// Counts `changes` (datasets with their states on both days) by bucket, institution and
/// category. A dataset the snapshot does not hold, or holds as gone, is left out.
pub fn tally(snap: &Snapshot, changes: &[Change]) -> Tally {
    let mut totals = Counts::default();
    let mut insts: HashMap<u32, Counts> = HashMap::new();
    let mut cats: HashMap<u8, Counts> = HashMap::new();
    for c in changes {
        let Some(b) = bucket(c.before, c.after) else {
            continue;
        };
        let Some(r) = snap.row_of(c.dataset_id) else {
            continue;
        };
        let row = snap.row(r);
        if !row.alive {
            continue;
        }
        totals.add(b);
        insts.entry(row.inst).or_default().add(b);
        cats.entry(row.category).or_default().add(b);
    }
    let mut by_institution: Vec<(u32, Counts)> = insts.into_iter().collect();
    by_institution.sort_by(|a, b| {
        b.1.total().cmp(&a.1.total()).then_with(|| {
            snap.insts[a.0 as usize]
                .code
                .cmp(&snap.insts[b.0 as usize].code)
        })
    });
    let mut by_category: Vec<(u8, Counts)> = cats.into_iter().collect();
    by_category.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then(a.0.cmp(&b.0)));
    Tally {
        totals,
        by_institution: by_institution
            .into_iter()
            .map(|(i, c)| (snap.insts[i as usize].id, c))
            .collect(),
        by_category: by_category
            .into_iter()
            .filter_map(|(k, c)| Some((Category::iter().nth(k as usize)?, c)))
            .collect(),
    }
}
