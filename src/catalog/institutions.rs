//! Institution lists from the snapshot: each institution's dataset figures (from its bitmap, as
//! `datasetsHeld` counts: every dataset it holds itself, listed or not), a search by current and
//! former names with the normalization of the dataset search, and keyset pages in orderings by
//! name or by those figures.

use std::cmp::Ordering;

use entity::enums::InstitutionKind;
use sea_orm::ActiveEnum;
use serde::{Deserialize, Serialize};

use super::snapshot::{Snapshot, code_of};
use crate::domain::datasets::Search;

/// The datasets an institution holds itself, by status and flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub held: u64,
    pub open: u64,
    pub withheld: u64,
    pub partially_open: u64,
    pub national_core: u64,
    pub standard: u64,
}

impl Figures {
    /// Open datasets over datasets held; `None` for an institution holding none.
    pub fn open_share(&self) -> Option<f64> {
        (self.held > 0).then(|| self.open as f64 / self.held as f64)
    }
}

/// Figures of the institution at dense index `i`.
pub fn figures(snap: &Snapshot, i: u32) -> Figures {
    let Some(rows) = snap.inst_rows.get(i as usize) else {
        return Figures::default();
    };
    let status = |v: &str| {
        code_of(&snap.vocab.status, v)
            .map(|c| rows.intersection_len(&snap.status[c as usize]))
            .unwrap_or(0)
    };
    Figures {
        held: rows.len(),
        open: status("OPEN"),
        withheld: status("WITHHELD"),
        partially_open: status("PARTIALLY_OPEN"),
        national_core: rows.intersection_len(&snap.national_core),
        standard: rows.intersection_len(&snap.standard),
    }
}

/// Figures of the institution with id `id` (all zero when unknown).
pub fn figures_of(snap: &Snapshot, id: i64) -> Figures {
    snap.inst_index
        .get(&id)
        .map(|i| figures(snap, *i))
        .unwrap_or_default()
}

/// Orderings of an institution list; each ends with the institution id as tie-break.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// By id.
    #[default]
    Id,
    /// By current name, in code-point order.
    Name,
    /// Most datasets held first.
    DatasetsHeld,
    /// Most withheld datasets first.
    Withheld,
    /// Highest open share first; institutions holding no dataset last.
    OpenShare,
    /// Lowest open share first; institutions holding no dataset last.
    OpenShareLowest,
}

impl Order {
    /// The tag a cursor of this ordering carries.
    pub fn tag(self) -> &'static str {
        match self {
            Order::Id => "id",
            Order::Name => "name",
            Order::DatasetsHeld => "held",
            Order::Withheld => "withheld",
            Order::OpenShare => "share",
            Order::OpenShareLowest => "share_low",
        }
    }
}

/// An order key in list order (descending orderings are negated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Key {
    Int(i64),
    Str(String),
}

/// Where an item stands in an ordered list: the ordering's tag, its key and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub o: String,
    pub k: Key,
    pub id: i64,
}

/// Open shares are compared as integers in units of 10⁻¹⁵: equal fractions get equal keys,
/// different ones (of lists below a billion datasets) different keys.
const SHARE_UNIT: i128 = 1_000_000_000_000_000;

fn key(order: Order, name: &str, f: &Figures) -> Key {
    let share = || (f.held > 0).then(|| (f.open as i128 * SHARE_UNIT / f.held as i128) as i64);
    match order {
        Order::Id => Key::Int(0),
        Order::Name => Key::Str(name.to_string()),
        Order::DatasetsHeld => Key::Int(-(f.held as i64)),
        Order::Withheld => Key::Int(-(f.withheld as i64)),
        Order::OpenShare => Key::Int(share().map(|s| -s).unwrap_or(i64::MAX)),
        Order::OpenShareLowest => Key::Int(share().unwrap_or(i64::MAX)),
    }
}

/// Which institutions, in which order.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Only these kinds.
    pub kinds: Option<Vec<InstitutionKind>>,
    /// Every term in the current Korean or English name or in a former name.
    pub search: Option<Search>,
    pub order: Order,
}

/// A page request: its size, direction and the positions it starts after or ends before.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub size: usize,
    pub backward: bool,
    pub after: Option<(Key, i64)>,
    pub before: Option<(Key, i64)>,
}

/// A page of institution ids with their positions, and the list's total.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub rows: Vec<(Position, i64)>,
    pub has_previous: bool,
    pub has_next: bool,
    pub total: u64,
}

/// Whether the institution at dense index `i` matches every term of `search`.
fn matches(snap: &Snapshot, i: usize, search: &Search) -> bool {
    let inst = &snap.insts[i];
    search
        .terms
        .iter()
        .all(|t| inst.names.contains(t.as_str()) || inst.former_names.contains(t.as_str()))
}

/// The page of the institutions `q` chooses that `req` asks for.
pub fn page(snap: &Snapshot, q: &Query, req: &PageRequest) -> Page {
    let kinds: Option<Vec<u8>> = q.kinds.as_ref().map(|ks| {
        ks.iter()
            .filter_map(|k| code_of(&snap.vocab.kind, &k.to_value()))
            .collect()
    });
    let mut list: Vec<(Key, i64)> = snap
        .insts
        .iter()
        .enumerate()
        .filter_map(|(i, inst)| {
            let m = inst.model.as_ref()?;
            if kinds.as_ref().is_some_and(|ks| !ks.contains(&inst.kind)) {
                return None;
            }
            if q.search.as_ref().is_some_and(|s| !matches(snap, i, s)) {
                return None;
            }
            let f = match q.order {
                Order::Id | Order::Name => Figures::default(),
                _ => figures(snap, i as u32),
            };
            Some((key(q.order, &m.name, &f), inst.id))
        })
        .collect();
    let total = list.len() as u64;
    list.sort_unstable();
    let start = req.after.as_ref().map_or(0, |a| {
        list.partition_point(|item| item.cmp(a) != Ordering::Greater)
    });
    let end = req.before.as_ref().map_or(list.len(), |b| {
        list.partition_point(|item| item.cmp(b) == Ordering::Less)
    });
    let window: &[(Key, i64)] = if start < end { &list[start..end] } else { &[] };
    let (chosen, more) = if req.backward {
        let from = window.len().saturating_sub(req.size);
        (&window[from..], from > 0)
    } else {
        let to = window.len().min(req.size);
        (&window[..to], window.len() > to)
    };
    let (has_previous, has_next) = if req.backward {
        (more, req.before.is_some())
    } else {
        (req.after.is_some(), more)
    };
    let tag = q.order.tag();
    Page {
        rows: chosen
            .iter()
            .map(|(k, id)| {
                (
                    Position {
                        o: tag.to_string(),
                        k: k.clone(),
                        id: *id,
                    },
                    *id,
                )
            })
            .collect(),
        has_previous,
        has_next,
        total,
    }
}
