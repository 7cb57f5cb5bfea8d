//! The root query.

use async_graphql::{Context, ID, Interface, Object, Result};
use entity::{
    commitment, core_bundle, data_request, dataset, institution, milestone, plan, target,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use super::MAX_PAGE_SIZE;
use super::ids::{self, NodeKind};
use super::loaders::{
    BundleId, CommitmentId, DatasetId, EventId, InstitutionId, Loaders, MilestoneId, PlanId,
    RequestId, TargetId,
};
use super::prefetch::{self, Sel};
use super::types::bundle::CoreDataBundle;
use super::types::dataset::Dataset;
use super::types::dataset_list::{
    DatasetConnection, DatasetEdge, DatasetFilter, DatasetOrder, parse_search,
};
use super::types::disclosure::DisclosureEvent;
use super::types::enums::InstitutionKind;
use super::types::feed::{DisclosureChange, DisclosureChangePage, FeedPosition};
use super::types::institution::Institution;
use super::types::page::{Page, PageInfo, connection};
use super::types::plan::{Commitment, Milestone, Plan, Target};
use super::types::request::{DataRequest, DataRequestFilter};
use super::types::stats::Stats;
use std::sync::Arc;

use crate::catalog::{self, Catalog, Selection};
use crate::domain::datasets::{DatasetQuery, PageRequest};
use crate::domain::requests;
use crate::error::ApiError;
use entity::enums::Role;

connection!(
    InstitutionConnection,
    InstitutionEdge,
    Institution,
    "A page of institutions.",
    "An institution in a page."
);
connection!(
    CoreDataBundleConnection,
    CoreDataBundleEdge,
    CoreDataBundle,
    "A page of core-data bundles.",
    "A core-data bundle in a page."
);
connection!(
    PlanConnection,
    PlanEdge,
    Plan,
    "A page of plans.",
    "A plan in a page."
);
connection!(
    CommitmentConnection,
    CommitmentEdge,
    Commitment,
    "A page of commitments.",
    "A commitment in a page."
);
connection!(
    MilestoneConnection,
    MilestoneEdge,
    Milestone,
    "A page of milestones.",
    "A milestone in a page."
);
connection!(
    DataRequestConnection,
    DataRequestEdge,
    DataRequest,
    "A page of data requests.",
    "A data request in a page."
);

/// The root of every read.
#[derive(Default)]
pub struct QueryRoot;

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "&ID", desc = "Global id."))]
pub enum Node {
    Dataset(Dataset),
    Institution(Institution),
    CoreDataBundle(CoreDataBundle),
    Plan(Plan),
    Commitment(Commitment),
    Milestone(Milestone),
    Target(Target),
    DataRequest(DataRequest),
    DisclosureEvent(DisclosureEvent),
}

/// Page of a list: Relay arguments checked against the page-size limit.
fn page_size(first: Option<i32>, last: Option<i32>) -> Result<usize, ApiError> {
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

fn decode_cursor(c: Option<String>) -> Result<Option<i64>, ApiError> {
    c.map(|c| {
        let (kind, n) = ids::decode(&c)
            .map_err(|_| ApiError::bad_input(format!("'{c}' is not a cursor of this list")))?;
        let _ = kind;
        Ok(n)
    })
    .transpose()
}

/// Cost of a page for the complexity limit: its size times the cost of one item.
fn page_complexity(first: Option<i32>, last: Option<i32>, child: usize) -> usize {
    let n = first.or(last).unwrap_or(20).clamp(1, MAX_PAGE_SIZE as i32) as usize;
    n * child + 1
}

/// Relay paging arguments of one list field.
pub struct PageArgs {
    pub after: Option<String>,
    pub before: Option<String>,
    pub first: Option<i32>,
    pub last: Option<i32>,
}

/// Keyset pagination over an id column, ascending.
async fn keyset<E, C>(
    db: &DatabaseConnection,
    query: Select<E>,
    id_col: C,
    kind: NodeKind,
    args: PageArgs,
    id_of: impl Fn(&E::Model) -> i64,
) -> Result<Page<E::Model>, ApiError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let PageArgs {
        after,
        before,
        first,
        last,
    } = args;
    let size = page_size(first, last)?;
    let after = decode_cursor(after)?;
    let before = decode_cursor(before)?;
    let total = query.clone().count(db).await?;
    let mut q = query;
    if let Some(a) = after {
        q = q.filter(id_col.gt(a));
    }
    if let Some(b) = before {
        q = q.filter(id_col.lt(b));
    }
    let backward = last.is_some();
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
    let rows = rows
        .into_iter()
        .map(|m| (ids::encode(kind, id_of(&m)).0, m))
        .collect();
    let (has_previous, has_next) = if backward {
        (more, before.is_some())
    } else {
        (after.is_some(), more)
    };
    Ok(Page {
        rows,
        has_previous,
        has_next,
        total,
    })
}

/// Every read of the inventory: datasets open and withheld, institutions, bundles, plans and requests.
#[Object(name = "Query")]
impl QueryRoot {
    /// Any object by its global id. An id that does not exist gives `NOT_FOUND`.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as returned in any `id` field.")] id: ID,
    ) -> Result<Node> {
        let (kind, n) = ids::decode(&id)?;
        load_node(ctx, kind, n).await?.ok_or_else(|| {
            ApiError::NotFound(format!("no {} with id '{}'", kind.as_str(), id.0)).into()
        })
    }

    /// Several objects by global id, in the order asked; null where an id does not exist.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Up to 100 global ids.", validator(max_items = 100))] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        let keys = ids
            .iter()
            .map(|id| ids::decode(id))
            .collect::<Result<Vec<_>, _>>()?;
        load_nodes(ctx, &keys).await
    }

    /// One dataset, by global id or by portal key (목록키).
    async fn dataset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the dataset.")] id: Option<ID>,
        #[graphql(desc = "The portal's key (목록키), e.g. `15000001`.")] portal_key: Option<String>,
    ) -> Result<Dataset> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let found = match (id, portal_key) {
            (Some(id), None) => {
                let n = ids::decode_as(&id, NodeKind::Dataset)?;
                ctx.data_unchecked::<Loaders>()
                    .load_one(DatasetId(n))
                    .await?
            }
            (None, Some(k)) => {
                dataset::Entity::find()
                    .filter(dataset::Column::PortalKey.eq(k.trim()))
                    .one(db)
                    .await?
            }
            _ => return Err(ApiError::bad_input("pass exactly one of `id` or `portalKey`").into()),
        };
        found
            .map(Dataset::from)
            .ok_or_else(|| ApiError::NotFound("no such dataset".into()).into())
    }

    /// Datasets, open and withheld, filtered, searched and ordered. Page size is at most 100.
    ///
    /// `search` matches Korean substrings of two or more characters anywhere in the title,
    /// keywords, description, institution name (Korean or English) and the labels of category,
    /// type, status and ground; spacing and Unicode normalization do not matter, and every
    /// whitespace-separated term must match. See `DatasetOrder.RELEVANCE` for the ranking.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn datasets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which datasets; all when omitted.")] filter: Option<DatasetFilter>,
        #[graphql(desc = "Words to find, e.g. `미세먼지`, `버스 정류장`, `COVID-19`.")]
        search: Option<String>,
        #[graphql(desc = "Ordering; RELEVANCE (the default) is id order without a search.")]
        order_by: Option<DatasetOrder>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<DatasetConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let query = DatasetQuery {
            filter: filter.unwrap_or_default().to_domain()?,
            search: parse_search(search.as_deref())?,
            order: order_by.unwrap_or_default().into(),
        };
        let req = PageRequest {
            size: page_size(first, last)?,
            backward: last.is_some(),
            after: after.as_deref().map(ids::decode_cursor).transpose()?,
            before: before.as_deref().map(ids::decode_cursor).transpose()?,
        };
        let snapshot = ctx
            .data_unchecked::<Catalog>()
            .read()
            .await
            .map_err(ApiError::from)?;
        let resolved = Catalog::resolve(&snapshot, query.search.as_ref());
        let selection = Selection::new(&snapshot, &query.filter, resolved.as_ref());
        let ids =
            catalog::page::page(&snapshot, &query, &selection.all, &req).map_err(ApiError::from)?;
        let page = catalog::page::fetch(db, ids)
            .await
            .map_err(ApiError::from)?;
        let models: Vec<_> = page.rows.iter().map(|(_, m)| m.clone()).collect();
        prefetch::datasets(ctx, &Sel::page(ctx), &models).await?;
        let page_info = PageInfo {
            has_previous_page: page.has_previous,
            has_next_page: page.has_next,
            start_cursor: page.rows.first().map(|(p, _)| ids::encode_cursor(p)),
            end_cursor: page.rows.last().map(|(p, _)| ids::encode_cursor(p)),
        };
        let edges: Vec<DatasetEdge> = page
            .rows
            .into_iter()
            .map(|(p, m)| DatasetEdge {
                cursor: ids::encode_cursor(&p),
                node: Dataset::from(m),
            })
            .collect();
        Ok(DatasetConnection {
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            page_info,
            query,
            snapshot,
            selection: Arc::new(selection),
        })
    }

    /// Dashboard statistics over the datasets chosen by `filter` and `search` (all when omitted).
    async fn stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which datasets; all when omitted.")] filter: Option<DatasetFilter>,
        #[graphql(desc = "Words to find, as in `datasets`.")] search: Option<String>,
    ) -> Result<Stats> {
        let query = DatasetQuery {
            filter: filter.unwrap_or_default().to_domain()?,
            search: parse_search(search.as_deref())?,
            order: Default::default(),
        };
        let snapshot = ctx
            .data_unchecked::<Catalog>()
            .read()
            .await
            .map_err(ApiError::from)?;
        let resolved = Catalog::resolve(&snapshot, query.search.as_ref());
        let selection = Selection::new(&snapshot, &query.filter, resolved.as_ref());
        Ok(Stats {
            query,
            snapshot,
            selection,
            requested: Default::default(),
        })
    }

    /// Disclosure changes in commit order after `after` (from the beginning without it). A change
    /// that committed late is never skipped: keep the `endCursor` and ask again to sync.
    async fn disclosure_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this cursor (an `endCursor` or a change's `cursor`).")]
        after: Option<String>,
        #[graphql(
            desc = "How many, at most 1000.",
            default = 100,
            validator(minimum = 1, maximum = 1000)
        )]
        first: u64,
    ) -> Result<DisclosureChangePage> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let from = match &after {
            Some(c) => ids::decode_cursor::<FeedPosition>(c)?.f,
            None => 0,
        };
        let mut rows = crate::events::after(db, Some(crate::events::DISCLOSURE), from, first + 1)
            .await
            .map_err(ApiError::from)?;
        let has_more = rows.len() as u64 > first;
        rows.truncate(first as usize);
        let changes: Vec<DisclosureChange> = rows
            .iter()
            .filter_map(DisclosureChange::from_outbox)
            .collect();
        let end_cursor = rows
            .last()
            .map(|m| ids::encode_cursor(&FeedPosition { f: m.id }))
            .or(after);
        Ok(DisclosureChangePage {
            changes,
            end_cursor,
            has_more,
        })
    }

    /// One institution, by global id or by portal code.
    async fn institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the institution.")] id: Option<ID>,
        #[graphql(desc = "The portal's institution code, e.g. `1741000`.")] code: Option<String>,
    ) -> Result<Institution> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let found = match (id, code) {
            (Some(id), None) => {
                let n = ids::decode_as(&id, NodeKind::Institution)?;
                ctx.data_unchecked::<Loaders>()
                    .load_one(InstitutionId(n))
                    .await?
            }
            (None, Some(c)) => {
                institution::Entity::find()
                    .filter(institution::Column::Code.eq(c.trim()))
                    .one(db)
                    .await?
            }
            _ => return Err(ApiError::bad_input("pass exactly one of `id` or `code`").into()),
        };
        found
            .map(Institution::from)
            .ok_or_else(|| ApiError::NotFound("no such institution".into()).into())
    }

    /// Institutions, by id. Page size is at most 100.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn institutions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only institutions of this kind.")] kind: Option<InstitutionKind>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<InstitutionConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let mut q = institution::Entity::find();
        if let Some(k) = kind {
            q = q.filter(institution::Column::Kind.eq(entity::enums::InstitutionKind::from(k)));
        }
        Ok(keyset(
            db,
            q,
            institution::Column::Id,
            NodeKind::Institution,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            |m| m.id,
        )
        .await?
        .map(Institution::from)
        .into())
    }

    /// National core-data bundles, by round.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn core_data_bundles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only bundles of this release-plan round (1–5).")] round: Option<i32>,
        #[graphql(desc = "Only bundles released in this year.")] release_year: Option<i32>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<CoreDataBundleConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let mut q = core_bundle::Entity::find();
        if let Some(r) = round {
            if !(1..=5).contains(&r) {
                return Err(ApiError::bad_input(format!("round must be 1 to 5, got {r}")).into());
            }
            q = q.filter(core_bundle::Column::Round.eq(r));
        }
        if let Some(y) = release_year {
            q = q.filter(core_bundle::Column::ReleaseYear.eq(y));
        }
        let page = keyset(
            db,
            q,
            core_bundle::Column::Id,
            NodeKind::CoreDataBundle,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            |m| m.id,
        )
        .await?;
        let models: Vec<_> = page.rows.iter().map(|(_, m)| m.clone()).collect();
        prefetch::bundles(ctx, &Sel::page(ctx), &models).await?;
        Ok(page.map(CoreDataBundle::from).into())
    }

    /// Plans (master plans, core-data release plans, OGP action plans).
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<PlanConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let page = keyset(
            db,
            plan::Entity::find(),
            plan::Column::Id,
            NodeKind::Plan,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            |m| m.id,
        )
        .await?;
        let models: Vec<_> = page.rows.iter().map(|(_, m)| m.clone()).collect();
        prefetch::plans(ctx, &Sel::page(ctx), &models).await?;
        Ok(page.map(Plan::from).into())
    }

    /// OGP commitments.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<CommitmentConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let page = keyset(
            db,
            commitment::Entity::find(),
            commitment::Column::Id,
            NodeKind::Commitment,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            |m| m.id,
        )
        .await?;
        let models: Vec<_> = page.rows.iter().map(|(_, m)| m.clone()).collect();
        prefetch::commitments(ctx, &Sel::page(ctx), &models).await?;
        Ok(page.map(Commitment::from).into())
    }

    /// Milestones of all commitments.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn milestones(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<MilestoneConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let page = keyset(
            db,
            milestone::Entity::find(),
            milestone::Column::Id,
            NodeKind::Milestone,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            |m| m.id,
        )
        .await?;
        let models: Vec<_> = page.rows.iter().map(|(_, m)| m.clone()).collect();
        prefetch::milestones(ctx, &Sel::page(ctx), &models).await?;
        Ok(page.map(Milestone::from).into())
    }

    /// Numeric targets with progress computed from the history.
    async fn targets(&self, ctx: &Context<'_>) -> Result<Vec<Target>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = target::Entity::find()
            .order_by_asc(target::Column::Id)
            .all(db)
            .await?;
        prefetch::targets(ctx, &Sel::list(ctx), &rows).await?;
        Ok(rows.into_iter().map(Target::from).collect())
    }

    /// Data requests, anonymized: the requester is never shown.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    async fn data_requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which requests; `mine: true` gives the caller's worklist.")]
        filter: Option<DataRequestFilter>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<DataRequestConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let today = ctx
            .data_unchecked::<crate::clock::SharedClock>()
            .today_seoul();
        let f = request_filter(ctx, filter.unwrap_or_default()).await?;
        Ok(keyset(
            db,
            requests::select(&f, today),
            data_request::Column::Id,
            NodeKind::DataRequest,
            PageArgs {
                after,
                before,
                first,
                last,
            },
            |m| m.id,
        )
        .await?
        .map(DataRequest::from)
        .into())
    }
}

/// The domain filter of a `DataRequestFilter`, resolving codes, ids and the caller's worklist.
async fn request_filter(
    ctx: &Context<'_>,
    f: DataRequestFilter,
) -> Result<requests::RequestFilter, ApiError> {
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let mut out = requests::RequestFilter {
        states: f
            .state
            .map(|v| v.into_iter().map(Into::into).collect::<Vec<_>>()),
        overdue: f.overdue,
        ..Default::default()
    };
    if let Some(codes) = f.institution_code {
        let ids: Vec<i64> = institution::Entity::find()
            .select_only()
            .column(institution::Column::Id)
            .filter(institution::Column::Code.is_in(codes.iter().map(|c| c.trim().to_string())))
            .into_tuple()
            .all(db)
            .await?;
        out.institution_ids = Some(ids);
    }
    if let Some(id) = f.dataset_id {
        out.dataset_id = Some(ids::decode_as(&id, NodeKind::Dataset)?);
    }
    if f.mine == Some(true) {
        let viewer = ctx
            .data_opt::<crate::auth::Viewer>()
            .cloned()
            .unwrap_or_default();
        let a = viewer.require(
            &[Role::Citizen, Role::Officer, Role::Mediator],
            "dataRequests(filter: { mine: true })",
        )?;
        match a.role {
            Role::Citizen => out.requester_id = Some(a.account_id),
            Role::Officer => {
                let scope = match a.institution_id {
                    Some(home) => crate::auth::officer_scope(db, home).await?,
                    None => Vec::new(),
                };
                out.institution_ids = Some(match out.institution_ids {
                    Some(asked) => asked.into_iter().filter(|i| scope.contains(i)).collect(),
                    None => scope,
                });
            }
            _ => out.in_mediation = true,
        }
    }
    Ok(out)
}

async fn load_node(ctx: &Context<'_>, kind: NodeKind, n: i64) -> Result<Option<Node>> {
    Ok(load_nodes(ctx, &[(kind, n)]).await?.pop().flatten())
}

/// Loads `keys` with one statement per kind (whatever their number), primes what the query
/// selects under them, and returns them in order, `None` where one does not exist.
async fn load_nodes(ctx: &Context<'_>, keys: &[(NodeKind, i64)]) -> Result<Vec<Option<Node>>> {
    let l = ctx.data_unchecked::<Loaders>();
    let sel = Sel::list(ctx);
    let of = |kind: NodeKind| -> Vec<i64> {
        let mut v: Vec<i64> = keys
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| *n)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let datasets = l
        .load_many(of(NodeKind::Dataset).into_iter().map(DatasetId))
        .await?;
    let institutions = l
        .load_many(of(NodeKind::Institution).into_iter().map(InstitutionId))
        .await?;
    let bundles = l
        .load_many(of(NodeKind::CoreDataBundle).into_iter().map(BundleId))
        .await?;
    let plans = l
        .load_many(of(NodeKind::Plan).into_iter().map(PlanId))
        .await?;
    let commitments = l
        .load_many(of(NodeKind::Commitment).into_iter().map(CommitmentId))
        .await?;
    let milestones = l
        .load_many(of(NodeKind::Milestone).into_iter().map(MilestoneId))
        .await?;
    let targets = l
        .load_many(of(NodeKind::Target).into_iter().map(TargetId))
        .await?;
    let requests = l
        .load_many(of(NodeKind::DataRequest).into_iter().map(RequestId))
        .await?;
    let events = l
        .load_many(of(NodeKind::DisclosureEvent).into_iter().map(EventId))
        .await?;
    fn sorted<K, M: Clone>(m: &std::collections::HashMap<K, M>, id: impl Fn(&M) -> i64) -> Vec<M> {
        let mut v: Vec<M> = m.values().cloned().collect();
        v.sort_by_key(|x| id(x));
        v
    }
    prefetch::datasets(ctx, &sel, &sorted(&datasets, |m| m.id)).await?;
    prefetch::bundles(ctx, &sel, &sorted(&bundles, |m| m.id)).await?;
    prefetch::plans(ctx, &sel, &sorted(&plans, |m| m.id)).await?;
    prefetch::commitments(ctx, &sel, &sorted(&commitments, |m| m.id)).await?;
    prefetch::milestones(ctx, &sel, &sorted(&milestones, |m| m.id)).await?;
    prefetch::targets(ctx, &sel, &sorted(&targets, |m| m.id)).await?;
    prefetch::events(ctx, &sel, &sorted(&events, |m| m.id)).await?;
    Ok(keys
        .iter()
        .map(|&(kind, n)| match kind {
            NodeKind::Dataset => datasets
                .get(&DatasetId(n))
                .map(|m| Node::Dataset(m.clone().into())),
            NodeKind::Institution => institutions
                .get(&InstitutionId(n))
                .map(|m| Node::Institution(m.clone().into())),
            NodeKind::CoreDataBundle => bundles
                .get(&BundleId(n))
                .map(|m| Node::CoreDataBundle(m.clone().into())),
            NodeKind::Plan => plans.get(&PlanId(n)).map(|m| Node::Plan(m.clone().into())),
            NodeKind::Commitment => commitments
                .get(&CommitmentId(n))
                .map(|m| Node::Commitment(m.clone().into())),
            NodeKind::Milestone => milestones
                .get(&MilestoneId(n))
                .map(|m| Node::Milestone(m.clone().into())),
            NodeKind::Target => targets
                .get(&TargetId(n))
                .map(|m| Node::Target(m.clone().into())),
            NodeKind::DataRequest => requests
                .get(&RequestId(n))
                .map(|m| Node::DataRequest(m.clone().into())),
            NodeKind::DisclosureEvent => events
                .get(&EventId(n))
                .map(|m| Node::DisclosureEvent(m.clone().into())),
        })
        .collect())
}
