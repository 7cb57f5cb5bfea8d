//! Keyset pages over a selection: the ids of one page in any ordering, chosen with a bounded
//! heap (no full sort), with the same cursors ([`Position`]) as the SQL paging; then the page's
//! rows read from the database by id in one statement.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use chrono::{Datelike, NaiveDate};
use entity::dataset;
use roaring::RoaringBitmap;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IdenStatic, Iterable, QueryFilter, QuerySelect,
};
use serde_json::json;

use super::snapshot::{NO_DATE, Row, Snapshot};
use crate::domain::Error;
use crate::domain::datasets::{
    DatasetQuery, FetchedPage, Order, PageRequest, Position, Search, cursor_mismatch,
    effective_order,
};

/// An order key in list order (descending orderings are negated).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key<'a> {
    Int(i128),
    Str(&'a str),
}

/// Days from CE of 0001-01-01, where unknown dates sort.
fn floor_days() -> i32 {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .expect("a date")
        .num_days_from_ce()
}

fn day_or_floor(d: i32) -> i32 {
    if d == NO_DATE { floor_days() } else { d }
}

fn key<'a>(order: Order, search: Option<&Search>, row: &'a Row) -> Key<'a> {
    match order {
        Order::Id => Key::Int(0),
        Order::Relevance => {
            Key::Int(search.map(|s| s.rank(&row.search_title)).unwrap_or(0) as i128)
        }
        Order::Title => Key::Str(&row.title),
        Order::RegisteredNewest => Key::Int(-(day_or_floor(row.registered) as i128)),
        Order::ModifiedNewest => Key::Int(-(day_or_floor(row.modified) as i128)),
        Order::MostViewed => Key::Int(-(row.views.unwrap_or(-1) as i128)),
    }
}

/// The key a cursor stands at, as [`key`] gives it.
fn cursor_key(order: Order, pos: &Position) -> Result<Key<'_>, Error> {
    if order == Order::Id {
        return Ok(Key::Int(0));
    }
    let k = pos.k.as_ref().ok_or_else(cursor_mismatch)?;
    let date = || {
        k.as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(|d| Key::Int(-(d.num_days_from_ce() as i128)))
    };
    match order {
        Order::Relevance => k.as_i64().map(|v| Key::Int(v as i128)),
        Order::MostViewed => k.as_i64().map(|v| Key::Int(-(v as i128))),
        Order::Title => k.as_str().map(Key::Str),
        Order::RegisteredNewest | Order::ModifiedNewest => date(),
        Order::Id => None,
    }
    .ok_or_else(cursor_mismatch)
}

/// The key stored in a row's cursor (as the SQL paging's `key_of`).
fn key_json(order: Order, search: Option<&Search>, row: &Row) -> Option<serde_json::Value> {
    let date = |d: i32| {
        NaiveDate::from_num_days_from_ce_opt(day_or_floor(d))
            .map(|d| d.to_string())
            .unwrap_or_else(|| "0001-01-01".into())
    };
    match order {
        Order::Id => None,
        Order::Relevance => search.map(|s| json!(s.rank(&row.search_title))),
        Order::Title => Some(json!(row.title)),
        Order::RegisteredNewest => Some(json!(date(row.registered))),
        Order::ModifiedNewest => Some(json!(date(row.modified))),
        Order::MostViewed => Some(json!(row.views.unwrap_or(-1))),
    }
}

/// One page of ids, with cursors.
#[derive(Debug, Clone)]
pub struct IdPage {
    pub rows: Vec<(Position, i64)>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// The page of `rows` (a selection's matching rows) that `req` asks for, in `q`'s order.
pub fn page(
    snap: &Snapshot,
    q: &DatasetQuery,
    rows: &RoaringBitmap,
    req: &PageRequest,
) -> Result<IdPage, Error> {
    let order = effective_order(q);
    let tag = order.tag();
    for pos in [&req.after, &req.before].into_iter().flatten() {
        if pos.o != tag {
            return Err(cursor_mismatch());
        }
    }
    let after = req
        .after
        .as_ref()
        .map(|p| cursor_key(order, p).map(|k| (k, p.id)))
        .transpose()?;
    let before = req
        .before
        .as_ref()
        .map(|p| cursor_key(order, p).map(|k| (k, p.id)))
        .transpose()?;
    let want = req.size + 1;
    let search = q.search.as_ref();
    let mut picked: Vec<u32> = if order == Order::Id {
        // Rows are in id order: walk the bitmap from the cursor.
        let start = after
            .as_ref()
            .map(|(_, id)| snap.lower_bound(id.saturating_add(1)))
            .unwrap_or(0);
        let end = before
            .as_ref()
            .map(|(_, id)| snap.lower_bound(*id))
            .unwrap_or(snap.len() as u32);
        if start >= end {
            Vec::new()
        } else if req.backward {
            let mut v: Vec<u32> = rows.range(start..end).rev().take(want).collect();
            v.reverse();
            v
        } else {
            rows.range(start..end).take(want).collect()
        }
    } else {
        let inside = |k: &Key, id: i64| {
            after
                .as_ref()
                .is_none_or(|(ak, aid)| (k, id).cmp(&(ak, *aid)) == Ordering::Greater)
                && before
                    .as_ref()
                    .is_none_or(|(bk, bid)| (k, id).cmp(&(bk, *bid)) == Ordering::Less)
        };
        let candidates = rows.iter().filter_map(|r| {
            let row = snap.row(r);
            let k = key(order, search, row);
            inside(&k, row.id).then_some((k, row.id, r))
        });
        if req.backward {
            // The `want` largest, ascending.
            let mut heap = BinaryHeap::with_capacity(want + 1);
            for c in candidates {
                if heap.len() < want {
                    heap.push(Reverse(c));
                } else if let Some(Reverse(top)) = heap.peek()
                    && c > *top
                {
                    heap.pop();
                    heap.push(Reverse(c));
                }
            }
            let mut v: Vec<_> = heap.into_iter().map(|Reverse(c)| c).collect();
            v.sort();
            v.into_iter().map(|(_, _, r)| r).collect()
        } else {
            // Rows come in id order: once the heap is full and its largest key is the smallest
            // key any remaining row can have (relevance rank 0, or the cursor's), no later row
            // can enter it.
            let floor = match (&after, order) {
                (_, o) if o != Order::Relevance => None,
                (Some((k, _)), _) => Some(k.clone()),
                (None, _) => Some(Key::Int(0)),
            };
            let mut heap: BinaryHeap<(Key, i64, u32)> = BinaryHeap::with_capacity(want + 1);
            for c in candidates {
                if heap.len() < want {
                    heap.push(c);
                } else if let Some(top) = heap.peek()
                    && c < *top
                {
                    heap.pop();
                    heap.push(c);
                }
                if heap.len() == want
                    && let (Some(f), Some(top)) = (&floor, heap.peek())
                    && top.0 == *f
                {
                    break;
                }
            }
            heap.into_sorted_vec()
                .into_iter()
                .map(|(_, _, r)| r)
                .collect()
        }
    };
    let more = picked.len() > req.size;
    if more {
        if req.backward {
            picked.remove(0);
        } else {
            picked.truncate(req.size);
        }
    }
    let rows = picked
        .into_iter()
        .map(|r| {
            let row = snap.row(r);
            (
                Position {
                    o: tag.to_string(),
                    k: key_json(order, search, row),
                    id: row.id,
                },
                row.id,
            )
        })
        .collect();
    let (has_previous, has_next) = if req.backward {
        (more, req.before.is_some())
    } else {
        (req.after.is_some(), more)
    };
    Ok(IdPage {
        rows,
        has_previous,
        has_next,
    })
}

/// The columns of a dataset that a page may leave unread: each reads as a cheap placeholder
/// (empty text or NULL) unless asked for. The id, institution, enums, flags and timestamps are
/// always read (small, and needed to build any item).
fn placeholder(c: dataset::Column) -> Option<&'static str> {
    use dataset::Column as C;
    Some(match c {
        C::Title | C::Description | C::Keywords | C::SearchTitle | C::SearchBody => "''",
        C::PortalKey
        | C::Format
        | C::Licence
        | C::UpdateFrequency
        | C::PortalUrl
        | C::SourceFile => "CAST(NULL AS TEXT)",
        C::RegisteredOn | C::ModifiedOn => "CAST(NULL AS DATE)",
        C::Views | C::Downloads | C::ImportRunId => "CAST(NULL AS BIGINT)",
        _ => return None,
    })
}

/// The datasets of a page, read by id in one statement and returned in page order (a dataset
/// deleted meanwhile is left out). Only the columns in `wanted` (and those every item needs,
/// see [`placeholder`]) are read; the others hold placeholders, so the models are only good for
/// the fields asked for. `None` reads every column.
pub async fn fetch<C: ConnectionTrait>(
    db: &C,
    ids: IdPage,
    wanted: Option<&[dataset::Column]>,
) -> Result<FetchedPage, Error> {
    let mut models: HashMap<i64, dataset::Model> = if ids.rows.is_empty() {
        HashMap::new()
    } else {
        let mut q = dataset::Entity::find();
        if let Some(wanted) = wanted {
            q = q.select_only();
            for c in dataset::Column::iter() {
                q = match placeholder(c) {
                    Some(p) if !wanted.iter().any(|w| w.as_str() == c.as_str()) => {
                        q.column_as(sea_orm::sea_query::Expr::cust(p), c.as_str())
                    }
                    _ => q.column(c),
                };
            }
        }
        q.filter(dataset::Column::Id.is_in(ids.rows.iter().map(|(_, id)| *id)))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect()
    };
    let rows = ids
        .rows
        .into_iter()
        .filter_map(|(p, id)| models.remove(&id).map(|m| (p, m)))
        .collect();
    Ok(FetchedPage {
        rows,
        has_previous: ids.has_previous,
        has_next: ids.has_next,
    })
}
