//! Paging of every list field in one place: Relay arguments and page sizes, cursors checked for
//! the list they belong to, keyset pages, and the per-page prefetch of what the query selects
//! under the items ([`super::prefetch`]), so a list resolver is a few lines.
//!
//! Lists ordered by id (institutions, bundles, plans, commitments, milestones, requests) use the
//! item's global id as its cursor: a cursor of another list (another kind of id) is
//! `BAD_USER_INPUT`. The dataset list has its own positions (ordering, key, id) from
//! [`crate::catalog::page`] (the SQL reference is [`crate::domain::datasets::page`]). Nested lists (`Dataset.history`, `Dataset.requests`) take
//! `first` and the id of the item to start `after`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use async_graphql::Context;
use entity::{commitment, core_bundle, data_request, disclosure, institution, milestone, plan};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::MAX_PAGE_SIZE;
use super::ids::{self, NodeKind};
use super::prefetch::{self, Sel};
use super::types::dataset::Dataset;
use super::types::disclosure::Disclosure;
use super::types::page::{Page, PageInfo};
use crate::catalog::{self, Catalog, Selection, Snapshot};
use crate::domain::datasets::{DatasetQuery, Order, PageRequest};
use crate::error::ApiError;

/// A page of a dataset list ordered by anything but id is chosen by heavy work (under the
/// catalog's gate) when the list has more rows than this.
const HEAVY_ORDERED_ROWS: u64 = 10_000;

/// Relay paging arguments of one list field.
pub struct PageArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
}

impl PageArgs {
    pub fn new(
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Self {
        PageArgs {
            after,
            before,
            first,
            last,
        }
    }

    /// Paging from the end (`last`).
    fn backward(&self) -> bool {
        self.last.is_some()
    }
}

/// Page size of a list: `first` or `last` (not both), at most [`MAX_PAGE_SIZE`], 20 by default.
pub fn page_size(first: Option<i32>, last: Option<i32>) -> Result<usize, ApiError> {
    let n = match (first, last) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_input(
                "pass either `first` or `last`, not both",
            ));
        }
        (Some(n), None) | (None, Some(n)) => n,
        (None, None) => 20,
    };
    if n < 0 {
        return Err(ApiError::bad_input(format!(
            "page size must not be negative, got {n}"
        )));
    }
    if n as usize > MAX_PAGE_SIZE {
        return Err(ApiError::bad_input(format!(
            "page size {n} is over the maximum of {MAX_PAGE_SIZE}; page with `after`/`before` instead"
        )));
    }
    Ok(n as usize)
}

/// Cost of a page for the complexity limit: its size times the cost of one item.
pub fn complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    counted_page_size(first, last) * child + 1
}

/// The page size a list counts for toward the complexity limit: `first` or `last`, 20 by
/// default, clamped to 1–[`MAX_PAGE_SIZE`] (also read by [`super::cost`]).
pub fn counted_page_size(first: Option<i32>, last: Option<i32>) -> usize {
    first.or(last).unwrap_or(20).clamp(1, MAX_PAGE_SIZE as i32) as usize
}

/// The id in a cursor of a list of `want`: a global id of that kind. Anything else (garbage, or
/// a cursor of another list) is `BAD_USER_INPUT`.
pub fn id_cursor(c: Option<String>, want: NodeKind) -> Result<Option<i64>, ApiError> {
    c.map(|c| {
        let (kind, n) = ids::decode(&c)
            .map_err(|_| ApiError::bad_input(format!("'{c}' is not a cursor of this list")))?;
        if kind != want {
            return Err(ApiError::bad_input(format!(
                "'{c}' is a cursor of a list of {}, not of this list of {}: pass an `endCursor` or `startCursor` of this list",
                kind.as_str(),
                want.as_str()
            )));
        }
        Ok(n)
    })
    .transpose()
}

/// A table listed by id in keyset pages: the kind of its global ids, its id column, and what
/// is prefetched for a page of it.
pub trait Listed: EntityTrait<Model: Sync> {
    const KIND: NodeKind;
    fn id_column() -> Self::Column;
    fn id(m: &Self::Model) -> i64;
    /// Loads what the query selects under a page of items (nothing by default).
    fn prefetch(
        _ctx: &Context<'_>,
        _sel: &Sel<'_>,
        _rows: &[Self::Model],
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        async { Ok(()) }
    }
}

/// One page of `query` in id order, with its total, its items' relations prefetched.
pub async fn by_id<E: Listed>(
    ctx: &Context<'_>,
    query: Select<E>,
    args: PageArgs,
) -> Result<Page<E::Model>, ApiError> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let size = page_size(args.first, args.last)?;
    let backward = args.backward();
    let after = id_cursor(args.after, E::KIND)?;
    let before = id_cursor(args.before, E::KIND)?;
    let id_col = E::id_column();
    let total = query.clone().count(db).await?;
    let mut q = query;
    if let Some(a) = after {
        q = q.filter(id_col.gt(a));
    }
    if let Some(b) = before {
        q = q.filter(id_col.lt(b));
    }
    q = if backward {
        q.order_by_desc(id_col)
    } else {
        q.order_by_asc(id_col)
    };
    let mut rows = q.limit(size as u64 + 1).all(db).await?;
    let more = rows.len() > size;
    rows.truncate(size);
    if backward {
        rows.reverse();
    }
    E::prefetch(ctx, &Sel::page(ctx), &rows).await?;
    let (has_previous, has_next) = if backward {
        (more, before.is_some())
    } else {
        (after.is_some(), more)
    };
    Ok(Page {
        rows: rows
            .into_iter()
            .map(|m| (ids::encode(E::KIND, E::id(&m)).0, m))
            .collect(),
        has_previous,
        has_next,
        total,
    })
}

/// The ids (with positions) of one page of a dataset list, chosen by the catalog: heavy work
/// when a large list is ordered by anything but id.
pub async fn dataset_ids(
    ctx: &Context<'_>,
    query: &DatasetQuery,
    snapshot: &Arc<Snapshot>,
    selection: &Arc<Selection>,
    args: &PageArgs,
) -> Result<catalog::page::IdPage, ApiError> {
    let req = PageRequest {
        size: page_size(args.first, args.last)?,
        backward: args.backward(),
        after: args.after.as_deref().map(ids::decode_cursor).transpose()?,
        before: args.before.as_deref().map(ids::decode_cursor).transpose()?,
    };
    let ordered = crate::domain::datasets::effective_order(query) != Order::Id;
    Ok(if ordered && selection.all.len() > HEAVY_ORDERED_ROWS {
        let (snap, q, sel) = (snapshot.clone(), query.clone(), selection.clone());
        ctx.data_unchecked::<Catalog>()
            .compute(move || catalog::page::page(&snap, &q, &sel.all, &req))
            .await??
    } else {
        catalog::page::page(snapshot, query, &selection.all, &req)?
    })
}

/// One page of a dataset list with its items' relations prefetched: (cursor, row) in list order
/// and where the page sits. Its total and facets come from the connection, only when selected.
/// With `primed`, a list above already read the page's rows and their relations into the
/// request's loaders (see [`prefetch::institutions`]): the rows come from there.
pub async fn datasets(
    ctx: &Context<'_>,
    query: &DatasetQuery,
    snapshot: &Arc<Snapshot>,
    selection: &Arc<Selection>,
    args: PageArgs,
    primed: bool,
) -> Result<(Vec<(String, Dataset)>, PageInfo), ApiError> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    // The catalog chooses the page's ids; the rows are read by id in one statement.
    let ids = dataset_ids(ctx, query, snapshot, selection, &args).await?;
    let sel = Sel::page(ctx);
    let institutions = sel.field("institution").exists();
    let page_info = |rows: &[(String, Dataset)], has_previous, has_next| PageInfo {
        has_previous_page: has_previous,
        has_next_page: has_next,
        start_cursor: rows.first().map(|(c, _)| c.clone()),
        end_cursor: rows.last().map(|(c, _)| c.clone()),
    };
    if !sel.exists() {
        // Only totals, facets or the page's place: no rows to read.
        let cursor = |r: Option<&(crate::domain::datasets::Position, i64)>| {
            r.map(|(p, _)| ids::encode_cursor(p))
        };
        let info = PageInfo {
            has_previous_page: ids.has_previous,
            has_next_page: ids.has_next,
            start_cursor: cursor(ids.rows.first()),
            end_cursor: cursor(ids.rows.last()),
        };
        return Ok((Vec::new(), info));
    }
    if primed {
        let loaders = ctx.data_unchecked::<super::loaders::Loaders>();
        let mut found = loaders
            .load_many(
                ids.rows
                    .iter()
                    .map(|(_, id)| super::loaders::DatasetId(*id)),
            )
            .await?;
        let rows: Vec<(String, Dataset)> = ids
            .rows
            .iter()
            .filter_map(|(p, id)| {
                let mut d = Dataset::from(found.remove(&super::loaders::DatasetId(*id))?);
                if institutions {
                    d.attached.institution = snapshot.institution(d.institution_id).cloned();
                }
                Some((ids::encode_cursor(p), d))
            })
            .collect();
        let mut rows = rows;
        attach_as_of(snapshot, &mut rows);
        let info = page_info(&rows, ids.has_previous, ids.has_next);
        return Ok((rows, info));
    }
    let columns = Dataset::columns(&sel);
    let disclosure = sel.field("disclosure");
    let disclosure_columns = Disclosure::columns(&disclosure);
    let reading = catalog::page::Reading {
        columns: Some(&columns),
        disclosure: disclosure.exists().then_some(&disclosure_columns[..]),
    };
    let fetched = catalog::page::fetch(db, ids, reading).await?;
    let page = fetched.page;
    let (positions, models): (Vec<_>, Vec<_>) = page.rows.into_iter().unzip();
    // The page's institutions (from the catalog) and disclosures (read with the rows) go on the
    // items; the loaders prime the rest.
    prefetch::datasets(ctx, &sel, &models, true).await?;
    let mut disclosures: HashMap<i64, Arc<disclosure::Model>> = fetched
        .disclosures
        .into_iter()
        .map(|d| (d.dataset_id, Arc::new(d)))
        .collect();
    let rows: Vec<(String, Dataset)> = positions
        .into_iter()
        .zip(models)
        .map(|(p, m)| {
            let mut d = Dataset::from(m);
            if institutions {
                d.attached.institution = snapshot.institution(d.institution_id).cloned();
            }
            if reading.disclosure.is_some() {
                d.attached.disclosure = Some(disclosures.remove(&d.row_id));
            }
            (ids::encode_cursor(&p), d)
        })
        .collect();
    let mut rows = rows;
    attach_as_of(snapshot, &mut rows);
    let info = page_info(&rows, page.has_previous, page.has_next);
    Ok((rows, info))
}

/// On a snapshot restated as of a day (`datasets(asOf:)`), each item's state then.
fn attach_as_of(snapshot: &Snapshot, rows: &mut [(String, Dataset)]) {
    let Some(a) = &snapshot.as_of else {
        return;
    };
    for (_, d) in rows {
        if let Some(r) = snapshot.row_of(d.row_id) {
            d.state_as_of = Some(super::types::as_of::DatasetStateAsOf::new(
                a.day,
                snapshot.state(r),
            ));
        }
    }
}

/// The filter and page of an `Institution.requests` field: the list of `dataRequests` without
/// `institutionCode` (the institution is fixed), paged by id.
pub async fn institution_requests(
    ctx: &Context<'_>,
    filter: Option<super::types::request::DataRequestFilter>,
    args: PageArgs,
) -> Result<
    (
        Arc<crate::domain::requests::RequestFilter>,
        crate::domain::requests::IdPage,
    ),
    ApiError,
> {
    let filter = filter.unwrap_or_default();
    if filter.institution_code.is_some() {
        return Err(ApiError::bad_input(
            "Institution.requests lists the requests to that institution: leave out `institutionCode` (use the top-level `dataRequests` for others)",
        ));
    }
    let size = page_size(args.first, args.last)?;
    let backward = args.backward();
    let page = crate::domain::requests::IdPage {
        size: size as u64,
        backward,
        after: id_cursor(args.after, NodeKind::DataRequest)?,
        before: id_cursor(args.before, NodeKind::DataRequest)?,
    };
    let f = super::query::request_filter(ctx, filter, "Institution.requests").await?;
    Ok((Arc::new(f), page))
}

/// One institution's page of requests as a [`Page`] (see
/// [`crate::domain::requests::pages_by_institution`]).
pub fn request_page(
    found: crate::domain::requests::InstitutionPage,
    page: &crate::domain::requests::IdPage,
) -> Page<data_request::Model> {
    let mut rows = found.rows;
    let more = rows.len() as u64 > page.size;
    rows.truncate(page.size as usize);
    if page.backward {
        rows.reverse();
    }
    let (has_previous, has_next) = if page.backward {
        (more, page.before.is_some())
    } else {
        (page.after.is_some(), more)
    };
    Page {
        rows: rows
            .into_iter()
            .map(|m| (ids::encode(NodeKind::DataRequest, m.id).0, m))
            .collect(),
        has_previous,
        has_next,
        total: found.total,
    }
}

/// A page of institutions chosen by the catalog, their relations prefetched. In id order the
/// cursors are the institutions' global ids (as always); in other orderings they hold the
/// ordering, the key and the id, and a cursor of another ordering is `BAD_USER_INPUT`.
pub async fn institutions(
    ctx: &Context<'_>,
    query: &catalog::institutions::Query,
    args: PageArgs,
) -> Result<Page<institution::Model>, ApiError> {
    use catalog::institutions::{self as list, Key, Order};
    let size = page_size(args.first, args.last)?;
    let backward = args.backward();
    let tag = query.order.tag();
    let position = |c: Option<String>| -> Result<Option<(Key, i64)>, ApiError> {
        if query.order == Order::Id {
            return Ok(id_cursor(c, NodeKind::Institution)?.map(|id| (Key::Int(0), id)));
        }
        c.map(|c| {
            let p: list::Position = ids::decode_cursor(&c)?;
            if p.o != tag {
                return Err(ApiError::bad_input(format!(
                    "'{c}' is a cursor of this list in another order: pass the `orderBy` it was made with, or start again"
                )));
            }
            Ok((p.k, p.id))
        })
        .transpose()
    };
    let req = list::PageRequest {
        size,
        backward,
        after: position(args.after)?,
        before: position(args.before)?,
    };
    let snap = ctx.data_unchecked::<Catalog>().read().await?;
    let page = list::page(&snap, query, &req);
    let rows: Vec<(list::Position, institution::Model)> = page
        .rows
        .into_iter()
        .filter_map(|(p, id)| Some((p, snap.institution(id)?.as_ref().clone())))
        .collect();
    let models: Vec<institution::Model> = rows.iter().map(|(_, m)| m.clone()).collect();
    prefetch::institutions(ctx, &Sel::page(ctx), &models).await?;
    Ok(Page {
        rows: rows
            .into_iter()
            .map(|(p, m)| {
                let cursor = if query.order == Order::Id {
                    ids::encode(NodeKind::Institution, m.id).0
                } else {
                    ids::encode_cursor(&p)
                };
                (cursor, m)
            })
            .collect(),
        has_previous: page.has_previous,
        has_next: page.has_next,
        total: page.total,
    })
}

/// At most `first` rows of a nested list after the row whose id is `after` (from the start
/// without it); an `after` that is not in the list is `BAD_USER_INPUT`.
pub fn slice_after<T>(
    rows: Vec<T>,
    id_of: impl Fn(&T) -> i64,
    after: Option<i64>,
    first: u64,
) -> Result<Vec<T>, ApiError> {
    let skip = match after {
        None => 0,
        Some(a) => {
            rows.iter().position(|r| id_of(r) == a).ok_or_else(|| {
                ApiError::bad_input("`after` is not the id of an item of this list")
            })? + 1
        }
    };
    Ok(rows.into_iter().skip(skip).take(first as usize).collect())
}

impl Listed for institution::Entity {
    const KIND: NodeKind = NodeKind::Institution;
    fn id_column() -> Self::Column {
        institution::Column::Id
    }
    fn id(m: &Self::Model) -> i64 {
        m.id
    }
}

impl Listed for core_bundle::Entity {
    const KIND: NodeKind = NodeKind::CoreDataBundle;
    fn id_column() -> Self::Column {
        core_bundle::Column::Id
    }
    fn id(m: &Self::Model) -> i64 {
        m.id
    }
    fn prefetch(
        ctx: &Context<'_>,
        sel: &Sel<'_>,
        rows: &[Self::Model],
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        prefetch::bundles(ctx, sel, rows)
    }
}

impl Listed for plan::Entity {
    const KIND: NodeKind = NodeKind::Plan;
    fn id_column() -> Self::Column {
        plan::Column::Id
    }
    fn id(m: &Self::Model) -> i64 {
        m.id
    }
    fn prefetch(
        ctx: &Context<'_>,
        sel: &Sel<'_>,
        rows: &[Self::Model],
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        prefetch::plans(ctx, sel, rows)
    }
}

impl Listed for commitment::Entity {
    const KIND: NodeKind = NodeKind::Commitment;
    fn id_column() -> Self::Column {
        commitment::Column::Id
    }
    fn id(m: &Self::Model) -> i64 {
        m.id
    }
    fn prefetch(
        ctx: &Context<'_>,
        sel: &Sel<'_>,
        rows: &[Self::Model],
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        prefetch::commitments(ctx, sel, rows)
    }
}

impl Listed for milestone::Entity {
    const KIND: NodeKind = NodeKind::Milestone;
    fn id_column() -> Self::Column {
        milestone::Column::Id
    }
    fn id(m: &Self::Model) -> i64 {
        m.id
    }
    fn prefetch(
        ctx: &Context<'_>,
        sel: &Sel<'_>,
        rows: &[Self::Model],
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        prefetch::milestones(ctx, sel, rows)
    }
}

impl Listed for data_request::Entity {
    const KIND: NodeKind = NodeKind::DataRequest;
    fn id_column() -> Self::Column {
        data_request::Column::Id
    }
    fn id(m: &Self::Model) -> i64 {
        m.id
    }
}

/// Whose review queue: the whole inventory's or one institution's (its own datasets, as its
/// record counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewScope {
    All,
    Institution(i64),
}

/// The rows of a review scope in the snapshot (`None`: all); an unknown institution has none.
pub fn review_rows(snap: &Snapshot, scope: ReviewScope) -> Option<Arc<roaring::RoaringBitmap>> {
    match scope {
        ReviewScope::All => None,
        ReviewScope::Institution(id) => Some(
            snap.inst_index
                .get(&id)
                .and_then(|i| snap.inst_rows.get(*i as usize).cloned())
                .unwrap_or_default(),
        ),
    }
}

/// The review-queue cursor `after`, if given; anything else than a cursor of this list is
/// `BAD_USER_INPUT`.
pub fn review_cursor(after: Option<&str>) -> Result<Option<catalog::review::Position>, ApiError> {
    after
        .map(|c| {
            ids::decode_cursor::<catalog::review::Position>(c).map_err(|_| {
                ApiError::bad_input(format!(
                    "'{c}' is not a cursor of the review queue: pass an `endCursor` of this list"
                ))
            })
        })
        .transpose()
}

/// A page of a review queue chosen by the catalog as of the request's today (Asia/Seoul):
/// heavy work (under the gate) when the scope has many withheld rows.
pub async fn review_entries(
    ctx: &Context<'_>,
    scope: ReviewScope,
    first: Option<i32>,
    after: Option<&str>,
) -> Result<catalog::review::Page, ApiError> {
    let size = page_size(first, None)?;
    let after = review_cursor(after)?;
    let today = ctx
        .data_unchecked::<crate::clock::SharedClock>()
        .today_seoul();
    let catalog = ctx.data_unchecked::<Catalog>();
    let snap = catalog.read().await?;
    let rows = review_rows(&snap, scope);
    if catalog::review::scope_len(&snap, rows.as_deref()) < catalog::review::HEAVY_ROWS {
        return Ok(catalog::review::page(
            &snap,
            rows.as_deref(),
            today,
            after,
            size,
        ));
    }
    Ok(catalog
        .compute(move || catalog::review::page(&snap, rows.as_deref(), today, after, size))
        .await?)
}

/// A page of a review queue with its datasets (and what the query selects under them). With
/// `primed`, a list of institutions already read them for this field ([`prefetch::institutions`]).
pub async fn review_queue(
    ctx: &Context<'_>,
    scope: ReviewScope,
    first: Option<i32>,
    after: Option<String>,
    primed: bool,
) -> Result<Page<super::types::review::ReviewItem>, ApiError> {
    use super::loaders::{DatasetId, Loaders};
    let found = review_entries(ctx, scope, first, after.as_deref()).await?;
    let ids: Vec<i64> = found.rows.iter().map(|(_, e)| e.id).collect();
    if !primed {
        prefetch::review_datasets(ctx, &Sel::page(ctx).field("dataset"), &ids).await?;
    }
    let models = ctx
        .data_unchecked::<Loaders>()
        .load_many(ids.iter().copied().map(DatasetId))
        .await?;
    Ok(Page {
        rows: found
            .rows
            .iter()
            .filter_map(|(p, e)| {
                let m = models.get(&DatasetId(e.id))?.clone();
                Some((
                    ids::encode_cursor(p),
                    super::types::review::ReviewItem::new(e, Dataset::from(m)),
                ))
            })
            .collect(),
        has_previous: after.is_some(),
        has_next: found.has_next,
        total: found.total,
    })
}
