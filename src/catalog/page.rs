//! Keyset pages over a selection: the ids of one page in any ordering, chosen with a bounded
//! heap (no full sort), with the same cursors ([`Position`]) as the SQL paging; then the page's
//! rows read from the database by id in one statement.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};

use chrono::{Datelike, NaiveDate};
use entity::dataset;
use entity::disclosure;
use roaring::RoaringBitmap;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, IdenStatic, Iterable, QueryResult};
use serde_json::json;

use super::snapshot::{NO_DATE, Row, Snapshot};
use crate::domain::Error;
use crate::domain::datasets::{
    DatasetQuery, FetchedPage, Order, PageRequest, Position, Search, cursor_mismatch,
    effective_order,
};
use crate::domain::sql::Sql;

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

/// What a page reads besides its ids: `columns`, the dataset columns asked for (the id and the
/// institution are always read; `None` reads every column), and the disclosure columns to join
/// into the same statement (its dataset id and status are always read; `None` joins nothing).
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    pub columns: Option<&'a [dataset::Column]>,
    pub disclosure: Option<&'a [disclosure::Column]>,
}

/// A page's rows, and their disclosures when [`Reading::disclosure`] asked for them.
pub struct Fetched {
    pub page: FetchedPage,
    pub disclosures: Vec<disclosure::Model>,
}

/// A model whose columns are placeholders but for the id and the institution: the columns a
/// page did not read (never shown, since the query did not ask for them).
fn placeholder_model(id: i64, institution_id: i64) -> dataset::Model {
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    dataset::Model {
        id,
        portal_key: None,
        title: String::new(),
        description: String::new(),
        institution_id,
        category: entity::enums::Category::PublicAdministration,
        dataset_type: entity::enums::DatasetType::File,
        keywords: String::new(),
        format: None,
        national_core: false,
        standard: false,
        licence: None,
        update_frequency: None,
        registered_on: None,
        modified_on: None,
        views: None,
        downloads: None,
        portal_url: None,
        listed: false,
        provenance: entity::enums::Provenance::Synthetic,
        source_file: None,
        import_run_id: None,
        search_title: String::new(),
        search_body: String::new(),
        created_at: epoch,
        updated_at: epoch,
    }
}

/// Reads column `c` of `m` from index `i` of `r`.
fn read_column(
    r: &QueryResult,
    i: usize,
    c: dataset::Column,
    m: &mut dataset::Model,
) -> Result<(), DbErr> {
    use dataset::Column as C;
    match c {
        C::Id | C::InstitutionId => {}
        C::PortalKey => m.portal_key = r.try_get_by_index(i)?,
        C::Title => m.title = r.try_get_by_index(i)?,
        C::Description => m.description = r.try_get_by_index(i)?,
        C::Category => m.category = r.try_get_by_index(i)?,
        C::DatasetType => m.dataset_type = r.try_get_by_index(i)?,
        C::Keywords => m.keywords = r.try_get_by_index(i)?,
        C::Format => m.format = r.try_get_by_index(i)?,
        C::NationalCore => m.national_core = r.try_get_by_index(i)?,
        C::Standard => m.standard = r.try_get_by_index(i)?,
        C::Licence => m.licence = r.try_get_by_index(i)?,
        C::UpdateFrequency => m.update_frequency = r.try_get_by_index(i)?,
        C::RegisteredOn => m.registered_on = r.try_get_by_index(i)?,
        C::ModifiedOn => m.modified_on = r.try_get_by_index(i)?,
        C::Views => m.views = r.try_get_by_index(i)?,
        C::Downloads => m.downloads = r.try_get_by_index(i)?,
        C::PortalUrl => m.portal_url = r.try_get_by_index(i)?,
        C::Listed => m.listed = r.try_get_by_index(i)?,
        C::Provenance => m.provenance = r.try_get_by_index(i)?,
        C::SourceFile => m.source_file = r.try_get_by_index(i)?,
        C::ImportRunId => m.import_run_id = r.try_get_by_index(i)?,
        C::SearchTitle => m.search_title = r.try_get_by_index(i)?,
        C::SearchBody => m.search_body = r.try_get_by_index(i)?,
        C::CreatedAt => m.created_at = r.try_get_by_index(i)?,
        C::UpdatedAt => m.updated_at = r.try_get_by_index(i)?,
    }
    Ok(())
}

/// The disclosure columns a page joins: the dataset id and status, then `asked` but for those
/// two, in the order [`read_disclosure`] reads them.
fn disclosure_columns(asked: &[disclosure::Column]) -> Vec<disclosure::Column> {
    use disclosure::Column as C;
    [C::DatasetId, C::Status]
        .into_iter()
        .chain(
            asked
                .iter()
                .copied()
                .filter(|c| !matches!(c, C::DatasetId | C::Status)),
        )
        .collect()
}

/// A disclosure read by index from `at` on, its columns `columns` (as [`disclosure_columns`]
/// lists them; the others hold placeholders); none when the join found none.
fn read_disclosure(
    r: &QueryResult,
    at: usize,
    columns: &[disclosure::Column],
) -> Result<Option<disclosure::Model>, DbErr> {
    use disclosure::Column as C;
    let Some(dataset_id) = r.try_get_by_index::<Option<i64>>(at)? else {
        return Ok(None);
    };
    let mut m = disclosure::Model {
        dataset_id,
        status: r.try_get_by_index(at + 1)?,
        ground: None,
        legal_basis: None,
        explanation: None,
        mitigation: String::new(),
        planned_open_on: None,
        next_review_on: None,
        version: 0,
        updated_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
    };
    for (k, c) in columns.iter().enumerate().skip(2) {
        let i = at + k;
        match c {
            C::DatasetId | C::Status => {}
            C::Ground => m.ground = r.try_get_by_index(i)?,
            C::LegalBasis => m.legal_basis = r.try_get_by_index(i)?,
            C::Explanation => m.explanation = r.try_get_by_index(i)?,
            C::Mitigation => m.mitigation = r.try_get_by_index(i)?,
            C::PlannedOpenOn => m.planned_open_on = r.try_get_by_index(i)?,
            C::NextReviewOn => m.next_review_on = r.try_get_by_index(i)?,
            C::Version => m.version = r.try_get_by_index(i)?,
            C::UpdatedAt => m.updated_at = r.try_get_by_index(i)?,
        }
    }
    Ok(Some(m))
}

/// The datasets of a page, read by id in one statement and returned in page order (a dataset
/// deleted meanwhile is left out), with what `reading` asks for. Unread columns hold
/// placeholders, so the models are only good for the fields the query asked for.
pub async fn fetch<C: ConnectionTrait>(
    db: &C,
    ids: IdPage,
    reading: Reading<'_>,
) -> Result<Fetched, Error> {
    let columns: Vec<dataset::Column> = match reading.columns {
        Some(c) => c.to_vec(),
        None => dataset::Column::iter().collect(),
    }
    .into_iter()
    .filter(|c| !matches!(c, dataset::Column::Id | dataset::Column::InstitutionId))
    .collect();
    let mut models: HashMap<i64, dataset::Model> = HashMap::with_capacity(ids.rows.len());
    let mut disclosures = Vec::new();
    if !ids.rows.is_empty() {
        let backend = db.get_database_backend();
        let mut sql = Sql::new(backend);
        let mut select = String::from("SELECT d.id, d.institution_id");
        for c in &columns {
            select.push_str(", d.");
            select.push_str(c.as_str());
        }
        let disclosure_columns = reading.disclosure.map(disclosure_columns);
        for c in disclosure_columns.iter().flatten() {
            select.push_str(", s.");
            select.push_str(c.as_str());
        }
        // SQLite: one parameter holding the ids, walked by `json_each` and joined by rowid, so
        // the statement text never changes and stays prepared (a list of parameters compared
        // with an indexed column is prepared again whenever the values change, to consult the
        // index statistics), and no temporary index is built for an `IN` list.
        let (mut from, filter) = if backend == DbBackend::Sqlite {
            let list: Vec<String> = ids.rows.iter().map(|(_, id)| id.to_string()).collect();
            let p = sql.param(format!("[{}]", list.join(",")));
            (
                format!(" FROM json_each({p}) w JOIN dataset d ON d.id = w.value"),
                String::new(),
            )
        } else {
            let list = sql.params(ids.rows.iter().map(|(_, id)| *id));
            (
                " FROM dataset d".to_string(),
                format!(" WHERE d.id IN ({list})"),
            )
        };
        if disclosure_columns.is_some() {
            from.push_str(" LEFT JOIN disclosure s ON s.dataset_id = d.id");
        }
        sql.push(&format!("{select}{from}{filter}"));
        let first_disclosure = 2 + columns.len();
        for r in db.query_all_raw(sql.statement()).await? {
            let mut m = placeholder_model(r.try_get_by_index(0)?, r.try_get_by_index(1)?);
            for (i, c) in columns.iter().enumerate() {
                read_column(&r, i + 2, *c, &mut m)?;
            }
            if let Some(dc) = &disclosure_columns
                && let Some(d) = read_disclosure(&r, first_disclosure, dc)?
            {
                disclosures.push(d);
            }
            models.insert(m.id, m);
        }
    }
    let rows = ids
        .rows
        .into_iter()
        .filter_map(|(p, id)| models.remove(&id).map(|m| (p, m)))
        .collect();
    Ok(Fetched {
        page: FetchedPage {
            rows,
            has_previous: ids.has_previous,
            has_next: ids.has_next,
        },
        disclosures,
    })
}
