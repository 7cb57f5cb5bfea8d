//! The snapshot: every dataset's list-relevant facts at one outbox position, in rows sorted by
//! dataset id, with a bitmap per facet value and per search bigram.
//!
//! A snapshot is immutable once published. Changing it ([`Snapshot::set_row`],
//! [`Snapshot::set_institution`]) works on a clone whose parts are shared with the original
//! through `Arc`s and copied only where they change (rows in chunks of [`CHUNK`], one bitmap per
//! value, grams in [`SHARDS`] shards of `Arc`ed postings), so applying one event costs little
//! however large the inventory.

use std::collections::HashMap;
use std::sync::Arc;

use entity::enums::{
    Category, DatasetType, DisclosureStatus, InstitutionKind, Provenance, WithholdingGround,
};
use roaring::RoaringBitmap;
use sea_orm::{ActiveEnum, Iterable};

use crate::domain::as_of::State;
use crate::domain::text;

/// Rows per copy-on-write chunk.
pub const CHUNK: usize = 1024;
/// Shards of the gram postings.
pub const SHARDS: usize = 256;

/// The stored values of a vocabulary, in declaration order (a value's index is its code).
pub fn vocab<E: ActiveEnum<Value = String> + Iterable>() -> Vec<String> {
    E::iter().map(|e| e.to_value()).collect()
}

/// The code of a stored vocabulary value.
pub fn code_of(values: &[String], v: &str) -> Option<u8> {
    values.iter().position(|x| x == v).map(|i| i as u8)
}

/// The stored values of every vocabulary the snapshot codes.
#[derive(Debug)]
pub struct Vocabularies {
    pub status: Vec<String>,
    pub ground: Vec<String>,
    pub category: Vec<String>,
    pub dataset_type: Vec<String>,
    pub kind: Vec<String>,
    /// `provenance = 'SYNTHETIC'`.
    pub synthetic: String,
}

impl Vocabularies {
    pub fn new() -> Self {
        Vocabularies {
            status: vocab::<DisclosureStatus>(),
            ground: vocab::<WithholdingGround>(),
            category: vocab::<Category>(),
            dataset_type: vocab::<DatasetType>(),
            kind: vocab::<InstitutionKind>(),
            synthetic: Provenance::Synthetic.to_value(),
        }
    }
}

impl Default for Vocabularies {
    fn default() -> Self {
        Self::new()
    }
}

/// Days since 0001-01-01 standing for a missing date (dates order as if 0001-01-01).
pub const NO_DATE: i32 = i32::MIN;

/// One dataset as the lists see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: i64,
    /// Whether the dataset exists (a row stays in place when its dataset is deleted).
    pub alive: bool,
    /// Dense index of the institution.
    pub inst: u32,
    pub status: u8,
    pub ground: Option<u8>,
    pub category: u8,
    pub dataset_type: u8,
    pub national_core: bool,
    pub standard: bool,
    pub listed: bool,
    pub synthetic: bool,
    /// Days from CE ([`chrono::Datelike::num_days_from_ce`]), [`NO_DATE`] when unknown.
    pub registered: i32,
    pub modified: i32,
    /// The disclosure's review date (`next_review_on`), [`NO_DATE`] when none. Kept as a date,
    /// not as "overdue", so nothing here changes at midnight: the review queue compares it
    /// with today when it is asked ([`super::review`]).
    pub review_on: i32,
    /// The day (Asia/Seoul) it last became withheld or partially open
    /// ([`super::load`] says how), [`NO_DATE`] when it is neither.
    pub withheld_since: i32,
    pub views: Option<i64>,
    pub open_requests: bool,
    /// Whether any request names it (request figures are scoped by these rows).
    pub requested: bool,
    pub title: Box<str>,
    pub search_title: Box<str>,
    pub search_body: Box<str>,
    /// When it was changed to OPEN from another status (Unix seconds, ascending).
    pub openings: Box<[i64]>,
}

impl Row {
    /// The distinct packed bigrams of its search text.
    pub fn grams(&self) -> Vec<u64> {
        grams_of(&self.search_title, &self.search_body)
    }
}

/// A bigram packed into an integer (its UTF-8 bytes, big-endian, zero-padded).
pub fn pack(gram: &str) -> u64 {
    let bytes = gram.as_bytes();
    let mut key = [0u8; 8];
    key[..bytes.len()].copy_from_slice(bytes);
    u64::from_be_bytes(key)
}

/// The distinct packed bigrams of a title and body, sorted.
pub fn grams_of(title: &str, body: &str) -> Vec<u64> {
    let mut keys: Vec<u64> = text::bigrams(title)
        .chain(text::bigrams(body))
        .map(pack)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// An institution as the lists see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Inst {
    pub id: i64,
    pub code: String,
    pub kind: u8,
    pub parent_id: Option<i64>,
    /// Normalized Korean and English names, joined by the field separator.
    pub names: String,
    /// Normalized former names, joined by the field separator (institution search only; a
    /// dataset search matches the current names).
    pub former_names: String,
    /// The whole row, for institution lookups; `None` once the institution is gone.
    pub model: Option<Arc<entity::institution::Model>>,
}

/// Rows of one bitmap per value of a vocabulary.
pub type ValueBitmaps = Vec<Arc<RoaringBitmap>>;

/// The published state of the catalog.
#[derive(Clone)]
pub struct Snapshot {
    /// The outbox position this snapshot reflects: every change up to it, none after.
    pub position: i64,
    pub vocab: Arc<Vocabularies>,
    chunks: Vec<Arc<Vec<Row>>>,
    pub insts: Arc<Vec<Inst>>,
    pub inst_index: Arc<HashMap<i64, u32>>,
    pub inst_by_code: Arc<HashMap<String, u32>>,
    pub children: Arc<Vec<Vec<u32>>>,
    pub inst_rows: Vec<Arc<RoaringBitmap>>,
    pub alive: Arc<RoaringBitmap>,
    pub status: ValueBitmaps,
    pub ground: ValueBitmaps,
    pub category: ValueBitmaps,
    pub dataset_type: ValueBitmaps,
    pub kind: ValueBitmaps,
    pub national_core: Arc<RoaringBitmap>,
    pub standard: Arc<RoaringBitmap>,
    pub listed: Arc<RoaringBitmap>,
    pub synthetic: Arc<RoaringBitmap>,
    pub open_requests: Arc<RoaringBitmap>,
    pub requested: Arc<RoaringBitmap>,
    /// Rows with at least one opening (the openings figure walks only these).
    pub opened: Arc<RoaringBitmap>,
    grams: Vec<Arc<HashMap<u64, Arc<RoaringBitmap>>>>,
    /// Set on a copy restated as of a past day ([`Snapshot::restated`]).
    pub as_of: Option<Arc<AsOf>>,
}

/// What a snapshot restated as of a past day changed: the day, and the state then of every
/// dataset whose state differs from today's (`None`: it did not exist yet).
#[derive(Debug, Clone, Default)]
pub struct AsOf {
    pub day: chrono::NaiveDate,
    pub changes: HashMap<i64, Option<State>>,
}

fn bitmaps(n: usize) -> ValueBitmaps {
    (0..n).map(|_| Arc::new(RoaringBitmap::new())).collect()
}

fn shard_of(gram: u64) -> usize {
    // The last byte holds the second character's end, which spreads well.
    (gram.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize % SHARDS
}

impl Snapshot {
    /// An empty snapshot at `position` with these institutions.
    pub fn empty(position: i64, insts: Vec<Inst>) -> Snapshot {
        let vocab = Arc::new(Vocabularies::new());
        let mut s = Snapshot {
            position,
            status: bitmaps(vocab.status.len()),
            ground: bitmaps(vocab.ground.len()),
            category: bitmaps(vocab.category.len()),
            dataset_type: bitmaps(vocab.dataset_type.len()),
            kind: bitmaps(vocab.kind.len()),
            vocab,
            chunks: Vec::new(),
            insts: Arc::new(Vec::new()),
            inst_index: Default::default(),
            inst_by_code: Default::default(),
            children: Default::default(),
            inst_rows: Vec::new(),
            alive: Default::default(),
            national_core: Default::default(),
            standard: Default::default(),
            listed: Default::default(),
            synthetic: Default::default(),
            open_requests: Default::default(),
            requested: Default::default(),
            opened: Default::default(),
            grams: (0..SHARDS).map(|_| Default::default()).collect(),
            as_of: None,
        };
        s.set_institutions(insts);
        s
    }

    /// Builds a whole snapshot from rows sorted by id (faster than adding them one by one).
    pub fn build(position: i64, insts: Vec<Inst>, rows: Vec<Row>) -> Snapshot {
        let mut s = Snapshot::empty(position, insts);
        let n = rows.len();
        let mut status = vec![RoaringBitmap::new(); s.status.len()];
        let mut ground = vec![RoaringBitmap::new(); s.ground.len()];
        let mut category = vec![RoaringBitmap::new(); s.category.len()];
        let mut dataset_type = vec![RoaringBitmap::new(); s.dataset_type.len()];
        let mut kind = vec![RoaringBitmap::new(); s.kind.len()];
        let mut inst_rows = vec![RoaringBitmap::new(); s.insts.len()];
        let mut flags = vec![RoaringBitmap::new(); 8];
        let mut grams: Vec<HashMap<u64, RoaringBitmap>> = vec![HashMap::new(); SHARDS];
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32;
            if !row.alive {
                continue;
            }
            status[row.status as usize].insert(r);
            if let Some(g) = row.ground {
                ground[g as usize].insert(r);
            }
            category[row.category as usize].insert(r);
            dataset_type[row.dataset_type as usize].insert(r);
            kind[s.insts[row.inst as usize].kind as usize].insert(r);
            inst_rows[row.inst as usize].insert(r);
            for (k, on) in [
                true,
                row.national_core,
                row.standard,
                row.listed,
                row.synthetic,
                row.open_requests,
                row.requested,
                !row.openings.is_empty(),
            ]
            .into_iter()
            .enumerate()
            {
                if on {
                    flags[k].insert(r);
                }
            }
            for g in row.grams() {
                grams[shard_of(g)].entry(g).or_default().insert(r);
            }
        }
        let arc = |v: Vec<RoaringBitmap>| v.into_iter().map(Arc::new).collect::<Vec<_>>();
        s.status = arc(status);
        s.ground = arc(ground);
        s.category = arc(category);
        s.dataset_type = arc(dataset_type);
        s.kind = arc(kind);
        s.inst_rows = arc(inst_rows);
        let mut flags = arc(flags).into_iter();
        s.alive = flags.next().expect("eight flags");
        s.national_core = flags.next().expect("eight flags");
        s.standard = flags.next().expect("eight flags");
        s.listed = flags.next().expect("eight flags");
        s.synthetic = flags.next().expect("eight flags");
        s.open_requests = flags.next().expect("eight flags");
        s.requested = flags.next().expect("eight flags");
        s.opened = flags.next().expect("eight flags");
        s.grams = grams
            .into_iter()
            .map(|m| Arc::new(m.into_iter().map(|(k, b)| (k, Arc::new(b))).collect()))
            .collect();
        let mut chunks = Vec::with_capacity(n.div_ceil(CHUNK));
        let mut it = rows.into_iter();
        loop {
            let chunk: Vec<Row> = it.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            chunks.push(Arc::new(chunk));
        }
        s.chunks = chunks;
        s
    }

    /// Rows, dead ones included.
    pub fn len(&self) -> usize {
        match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * CHUNK + last.len(),
            None => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row at `r`.
    pub fn row(&self, r: u32) -> &Row {
        let r = r as usize;
        &self.chunks[r / CHUNK][r % CHUNK]
    }

    /// The row holding dataset `id`, if any (alive or not).
    pub fn row_of(&self, id: i64) -> Option<u32> {
        let r = self.lower_bound(id);
        (r < self.len() as u32 && self.row(r).id == id).then_some(r)
    }

    /// The first row whose id is `>= id`.
    pub fn lower_bound(&self, id: i64) -> u32 {
        let (mut lo, mut hi) = (0u32, self.len() as u32);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.row(mid).id < id {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The largest dataset id held.
    pub fn last_id(&self) -> Option<i64> {
        (!self.is_empty()).then(|| self.row(self.len() as u32 - 1).id)
    }

    /// The postings of a packed gram.
    pub fn postings(&self, gram: u64) -> Option<&RoaringBitmap> {
        self.grams[shard_of(gram)].get(&gram).map(|b| b.as_ref())
    }

    /// The institution codes of a filter that no institution has (trimmed, as matched).
    pub fn unknown_institution_codes(&self, f: &crate::domain::datasets::Filter) -> Vec<String> {
        f.institution_codes
            .iter()
            .flatten()
            .map(|c| c.trim())
            .filter(|c| !self.inst_by_code.contains_key(*c))
            .map(str::to_string)
            .collect()
    }

    /// Distinct grams indexed (for reports).
    pub fn gram_count(&self) -> usize {
        self.grams.iter().map(|s| s.len()).sum()
    }

    /// The institution of a dataset row.
    /// The institution with this id, as last read.
    pub fn institution(&self, id: i64) -> Option<&Arc<entity::institution::Model>> {
        let i = *self.inst_index.get(&id)?;
        self.insts[i as usize].model.as_ref()
    }

    pub fn inst_of(&self, r: u32) -> &Inst {
        &self.insts[self.row(r).inst as usize]
    }

    /// Replaces every institution (keeps rows; their kind bitmaps follow the new kinds).
    pub fn set_institutions(&mut self, insts: Vec<Inst>) {
        let old_kinds: Vec<u8> = self.insts.iter().map(|i| i.kind).collect();
        let index: HashMap<i64, u32> = insts
            .iter()
            .enumerate()
            .map(|(k, i)| (i.id, k as u32))
            .collect();
        let mut children = vec![Vec::new(); insts.len()];
        for (k, i) in insts.iter().enumerate() {
            if let Some(p) = i.parent_id.and_then(|p| index.get(&p)) {
                children[*p as usize].push(k as u32);
            }
        }
        self.inst_by_code = Arc::new(
            insts
                .iter()
                .enumerate()
                .map(|(k, i)| (i.code.clone(), k as u32))
                .collect(),
        );
        // Institutions keep their dense index: a new one is appended, none is removed while
        // rows point at it (the loader passes the old order first).
        for (k, i) in insts.iter().enumerate() {
            if let Some(old) = old_kinds.get(k)
                && *old != i.kind
                && let Some(rows) = self.inst_rows.get(k)
            {
                let rows = rows.clone();
                *Arc::make_mut(&mut self.kind[*old as usize]) -= rows.as_ref();
                *Arc::make_mut(&mut self.kind[i.kind as usize]) |= rows.as_ref();
            }
        }
        while self.inst_rows.len() < insts.len() {
            self.inst_rows.push(Arc::new(RoaringBitmap::new()));
        }
        self.inst_index = Arc::new(index);
        self.children = Arc::new(children);
        self.insts = Arc::new(insts);
    }

    /// Puts `row` in place of the row of its dataset (or appends it when its id is the largest),
    /// keeping every bitmap in step. Returns false when the row cannot be placed (an id below
    /// the largest that is not yet held): the caller then rebuilds.
    pub fn set_row(&mut self, row: Row) -> bool {
        let r = match self.row_of(row.id) {
            Some(r) => r,
            None => {
                if self.last_id().is_some_and(|last| last > row.id) {
                    return false;
                }
                let dead = Row {
                    alive: false,
                    ..row.clone()
                };
                match self.chunks.last_mut() {
                    Some(c) if c.len() < CHUNK => Arc::make_mut(c).push(dead),
                    _ => self.chunks.push(Arc::new(vec![dead])),
                }
                self.len() as u32 - 1
            }
        };
        let old = self.row(r).clone();
        if old == row {
            return true;
        }
        self.unindex(r, &old);
        self.index(r, &row);
        let r = r as usize;
        Arc::make_mut(&mut self.chunks[r / CHUNK])[r % CHUNK] = row;
        true
    }

    /// A copy restated as of the end of `day`: each dataset of `changes` takes the status,
    /// ground and listing it had then, or is left out (not alive) when it did not exist yet
    /// (`None`); every other dataset is as today. Titles, institutions, categories and the
    /// search index are today's.
    ///
    /// Only the `alive`, status, ground and listed bitmaps are rewritten (in bulk, one set
    /// operation per bitmap touched); the rows themselves stay shared with `self`, so a row's
    /// `status`, `ground` and `listed` fields still say today's state: read the restated state
    /// with [`Snapshot::state`]. Bitmaps of other facets and the search postings may still hold
    /// rows that are not alive in the copy, which no [`super::Selection`] sees (it starts from
    /// `alive`). Rows that are not alive today stay so.
    pub fn restated(
        &self,
        day: chrono::NaiveDate,
        changes: HashMap<i64, Option<State>>,
    ) -> Snapshot {
        let mut s = self.clone();
        let v = &self.vocab;
        let status_code = |st: DisclosureStatus| code_of(&v.status, &st.to_value());
        let ground_code = |g: WithholdingGround| code_of(&v.ground, &g.to_value());
        let mut rows: Vec<(u32, Option<State>)> = changes
            .iter()
            .filter_map(|(id, st)| self.row_of(*id).map(|r| (r, *st)))
            .filter(|(r, _)| self.row(*r).alive)
            .collect();
        rows.sort_unstable_by_key(|(r, _)| *r);
        // Rows to take out of and put into each bitmap, ascending.
        let mut status_out = vec![Vec::new(); v.status.len()];
        let mut status_in = vec![Vec::new(); v.status.len()];
        let mut ground_out = vec![Vec::new(); v.ground.len()];
        let mut ground_in = vec![Vec::new(); v.ground.len()];
        let (mut listed_out, mut listed_in, mut dead) = (Vec::new(), Vec::new(), Vec::new());
        for (r, st) in rows {
            let old = self.row(r);
            let (status, ground, listed) = match st {
                None => {
                    dead.push(r);
                    (None, None, false)
                }
                Some(st) => (
                    status_code(st.status),
                    st.ground.and_then(ground_code),
                    st.listed,
                ),
            };
            if status != Some(old.status) {
                status_out[old.status as usize].push(r);
                if let Some(c) = status {
                    status_in[c as usize].push(r);
                }
            }
            if ground != old.ground {
                if let Some(g) = old.ground {
                    ground_out[g as usize].push(r);
                }
                if let Some(g) = ground {
                    ground_in[g as usize].push(r);
                }
            }
            match (old.listed, listed) {
                (true, false) => listed_out.push(r),
                (false, true) => listed_in.push(r),
                _ => {}
            }
        }
        let bitmap =
            |rows: Vec<u32>| RoaringBitmap::from_sorted_iter(rows).expect("ascending rows");
        let apply = |b: &mut Arc<RoaringBitmap>, out: Vec<u32>, into: Vec<u32>| {
            if !out.is_empty() {
                *Arc::make_mut(b) -= bitmap(out);
            }
            if !into.is_empty() {
                *Arc::make_mut(b) |= bitmap(into);
            }
        };
        for (k, (out, into)) in status_out.into_iter().zip(status_in).enumerate() {
            apply(&mut s.status[k], out, into);
        }
        for (k, (out, into)) in ground_out.into_iter().zip(ground_in).enumerate() {
            apply(&mut s.ground[k], out, into);
        }
        apply(&mut s.listed, listed_out, listed_in);
        apply(&mut s.alive, dead, Vec::new());
        s.as_of = Some(Arc::new(AsOf { day, changes }));
        s
    }

    /// The state of row `r`: as of the restated day on a restated copy, today's otherwise.
    pub fn state(&self, r: u32) -> State {
        let row = self.row(r);
        if let Some(a) = &self.as_of
            && let Some(Some(st)) = a.changes.get(&row.id)
        {
            return *st;
        }
        State {
            status: DisclosureStatus::iter()
                .nth(row.status as usize)
                .expect("a status code"),
            ground: row
                .ground
                .and_then(|g| WithholdingGround::iter().nth(g as usize)),
            listed: row.listed,
        }
    }

    /// Marks the dataset of `id` as gone.
    pub fn remove(&mut self, id: i64) {
        if let Some(r) = self.row_of(id) {
            let old = self.row(r).clone();
            if old.alive {
                self.set_row(Row {
                    alive: false,
                    ..old
                });
            }
        }
    }

    fn flags(&mut self, row: &Row) -> Vec<&mut Arc<RoaringBitmap>> {
        let mut out = vec![&mut self.alive];
        for (on, b) in [
            (row.national_core, &mut self.national_core),
            (row.standard, &mut self.standard),
            (row.listed, &mut self.listed),
            (row.synthetic, &mut self.synthetic),
            (row.open_requests, &mut self.open_requests),
            (row.requested, &mut self.requested),
            (!row.openings.is_empty(), &mut self.opened),
        ] {
            if on {
                out.push(b);
            }
        }
        out
    }

    fn value_bitmaps(&mut self, row: &Row) -> Vec<&mut Arc<RoaringBitmap>> {
        let kind = self.insts[row.inst as usize].kind as usize;
        let mut out = vec![
            &mut self.status[row.status as usize],
            &mut self.category[row.category as usize],
            &mut self.dataset_type[row.dataset_type as usize],
            &mut self.kind[kind],
            &mut self.inst_rows[row.inst as usize],
        ];
        if let Some(g) = row.ground {
            out.push(&mut self.ground[g as usize]);
        }
        out
    }

    fn unindex(&mut self, r: u32, row: &Row) {
        if !row.alive {
            return;
        }
        for b in self.flags(row) {
            Arc::make_mut(b).remove(r);
        }
        for b in self.value_bitmaps(row) {
            Arc::make_mut(b).remove(r);
        }
        for g in row.grams() {
            let shard = Arc::make_mut(&mut self.grams[shard_of(g)]);
            if let Some(b) = shard.get_mut(&g) {
                Arc::make_mut(b).remove(r);
                if b.is_empty() {
                    shard.remove(&g);
                }
            }
        }
    }

    fn index(&mut self, r: u32, row: &Row) {
        if !row.alive {
            return;
        }
        for b in self.flags(row) {
            Arc::make_mut(b).insert(r);
        }
        for b in self.value_bitmaps(row) {
            Arc::make_mut(b).insert(r);
        }
        for g in row.grams() {
            let shard = Arc::make_mut(&mut self.grams[shard_of(g)]);
            Arc::make_mut(shard.entry(g).or_default()).insert(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(id: i64, kind: u8) -> Inst {
        Inst {
            id,
            code: format!("C{id}"),
            kind,
            parent_id: None,
            names: String::new(),
            former_names: String::new(),
            model: None,
        }
    }

    fn row(id: i64, status: u8, title: &str) -> Row {
        Row {
            id,
            alive: true,
            inst: 0,
            status,
            ground: None,
            category: 0,
            dataset_type: 0,
            national_core: false,
            standard: false,
            listed: true,
            synthetic: false,
            registered: NO_DATE,
            modified: NO_DATE,
            review_on: NO_DATE,
            withheld_since: NO_DATE,
            views: None,
            open_requests: false,
            requested: false,
            title: title.into(),
            search_title: text::normalize(title).into(),
            search_body: "".into(),
            openings: Box::new([]),
        }
    }

    #[test]
    fn changes_keep_bitmaps_in_step_and_leave_the_original_alone() {
        let base = Snapshot::build(
            1,
            vec![inst(7, 0)],
            vec![row(1, 0, "버스"), row(5, 1, "지하철")],
        );
        let mut next = base.clone();
        assert!(next.set_row(row(5, 0, "버스노선")));
        assert!(next.set_row(row(9, 2, "택시")));
        assert!(!next.set_row(row(3, 2, "늦게 온 행")));
        next.remove(1);
        assert_eq!(base.status[0].len(), 1);
        assert_eq!(base.postings(pack("버스")).map(|b| b.len()), Some(1));
        assert_eq!(next.status[0].iter().collect::<Vec<_>>(), [1]);
        assert_eq!(next.status[2].iter().collect::<Vec<_>>(), [2]);
        assert_eq!(next.postings(pack("버스")).map(|b| b.len()), Some(1));
        assert!(next.postings(pack("지하")).is_none());
        assert_eq!(next.alive.len(), 2);
        assert_eq!(next.row_of(9), Some(2));
        assert_eq!(next.lower_bound(6), 2);
        let mut moved = next.clone();
        moved.set_institutions(vec![inst(7, 3)]);
        assert_eq!(moved.kind[3].len(), 2);
        assert!(moved.kind[0].is_empty());
        assert_eq!(next.kind[0].len(), 2);
    }

    #[test]
    fn a_restated_copy_rewrites_states_and_leaves_the_original_alone() {
        use crate::domain::as_of::State;
        let base = Snapshot::build(
            1,
            vec![inst(7, 0)],
            vec![row(1, 0, "버스"), row(5, 2, "지하철"), row(9, 0, "택시")],
        );
        let day: chrono::NaiveDate = "2024-01-01".parse().unwrap();
        let withheld = State {
            status: DisclosureStatus::Withheld,
            ground: Some(WithholdingGround::BusinessSecret),
            listed: false,
        };
        let then = base.restated(
            day,
            HashMap::from([(1, Some(withheld)), (9, None), (42, None)]),
        );
        assert_eq!(then.alive.iter().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(then.status[0].iter().collect::<Vec<_>>(), Vec::<u32>::new());
        assert_eq!(then.status[2].iter().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(then.ground[6].iter().collect::<Vec<_>>(), [0]);
        assert_eq!(then.listed.iter().collect::<Vec<_>>(), [1]);
        assert_eq!(then.state(0), withheld);
        assert_eq!(then.state(1).status, DisclosureStatus::Withheld);
        assert_eq!(then.as_of.as_ref().map(|a| a.day), Some(day));
        // The original is today's.
        assert_eq!(base.alive.len(), 3);
        assert_eq!(base.status[0].len(), 2);
        assert_eq!(base.state(0).status, DisclosureStatus::Open);
        assert!(base.ground[6].is_empty());
    }
}
