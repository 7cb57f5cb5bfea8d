//! The root query: one resolver per list or lookup, each a few lines over the domain, the
//! paging in [`super::pagination`] and objects by id in [`super::node`].

use async_graphql::{Context, ID, Object, Result};
use entity::enums::Role;
use entity::{commitment, core_bundle, dataset, institution, milestone, plan, target};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::ids::{self, NodeKind};
use super::loaders::{DatasetId, InstitutionId, Loaders};
use super::node::{self, Node};
use super::pagination::{self, PageArgs};
use super::prefetch::{self, Sel};
use super::types::bundle::CoreDataBundle;
use super::types::dataset::Dataset;
use super::types::dataset_list::{
    self, DatasetConnection, DatasetFilter, DatasetOrder, parse_search,
};
use super::types::enums::InstitutionKind;
use super::types::feed::{DisclosureChange, DisclosureChangePage, FeedPosition};
use super::types::institution::Institution;
use super::types::institution_list::InstitutionOrder;
use super::types::page::connection;
use super::types::plan::{Commitment, Milestone, Plan, Target};
use super::types::rate_limit::RateLimit;
use super::types::request::{DataRequest, DataRequestFilter};
use super::types::review::ReviewQueueConnection;
use super::types::stats::Stats;

use super::types::as_of::CatalogChanges;
use super::types::date::Date;
use crate::catalog::Catalog;
use crate::domain::as_of;
use crate::domain::datasets::DatasetQuery;
use crate::domain::requests;
use crate::error::ApiError;

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
        node::load_node(ctx, kind, n).await?.ok_or_else(|| {
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
        node::load_nodes(ctx, &keys).await
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
    ///
    /// With `asOf`, the list is the inventory as it stood at the end of that day (Asia/Seoul),
    /// rebuilt from the history: each entry has the status, ground and listing of its last
    /// change before the next day began (`Dataset.stateAsOf`), and the `status`, `ground` and
    /// `listed` filters, the search's status and ground labels, `totalCount` and `facets` refer
    /// to those. Entries registered later are left out, so a day before the first recorded
    /// change gives an empty list. Title, description, institution, category and every other
    /// field are today's values, not that day's. A day after today is `BAD_USER_INPUT`. Costs
    /// 500 toward the complexity limit besides the page, like `stats`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(
        complexity = "pagination::complexity(first, last, child_complexity) + if as_of.is_some() { super::AS_OF_COST } else { 0 }"
    )]
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
        #[graphql(
            desc = "The inventory as it stood at the end of this day (Asia/Seoul), not after today; today's when omitted."
        )]
        as_of: Option<Date>,
    ) -> Result<DatasetConnection> {
        let query = dataset_list::query(filter, search.as_deref(), order_by)?;
        if let Some(day) = as_of {
            dataset_list::check_past_day(ctx, "asOf", day)?;
        }
        let args = PageArgs::new(after, before, first, last);
        Ok(dataset_list::connection_as_of(ctx, query, args, false, as_of.map(|d| d.0)).await?)
    }

    /// What changed in the inventory between the end of `from` and the end of `to` (Asia/Seoul),
    /// comparing each entry's state on the two days as the history tells it. Each entry counts
    /// in at most one kind of change, the first that applies of: `opened` (OPEN on `to`,
    /// another status on `from`), `newlyWithheld` (WITHHELD or PARTIALLY_OPEN on `to`, neither
    /// on `from`; entries registered in between that start so count here), `groundChanged`
    /// (withheld or partially open on both days, on another ground), `listed` (listed on `to`,
    /// not on `from`; entries registered in between and listed count here, e.g. one that starts
    /// OPEN, which is not an opening), `delisted` (listed on `from`, not on `to`). Other moves
    /// (to or from UNDER_REVIEW or SCHEDULED_TO_OPEN, between WITHHELD and PARTIALLY_OPEN on
    /// the same ground, changes undone by the second day) count in none. Institutions and
    /// categories are today's. `from` after `to`, or a day after today, is `BAD_USER_INPUT`.
    /// Costs 500 toward the complexity limit besides its fields.
    #[graphql(complexity = "super::AS_OF_COST + child_complexity")]
    async fn catalog_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first day (its end, Asia/Seoul).")] from: Date,
        #[graphql(desc = "The second day (its end, Asia/Seoul), not before `from`.")] to: Date,
    ) -> Result<CatalogChanges> {
        if from > to {
            return Err(ApiError::bad_input(format!(
                "from ({from}) is after to ({to}): compare an earlier day with a later one"
            ))
            .into());
        }
        dataset_list::check_past_day(ctx, "to", to)?;
        let catalog = ctx.data_unchecked::<Catalog>();
        let snapshot = catalog.read().await.map_err(ApiError::from)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        // Datasets without an event after `to` are at `to` as they are today: the catalog says.
        let now = snapshot.clone();
        let today = move |id| {
            now.row_of(id)
                .filter(|r| now.row(*r).alive)
                .map(|r| now.state(r))
        };
        let changes = as_of::states_between(db, as_of::end_of(from.0), as_of::end_of(to.0), today)
            .await
            .map_err(ApiError::from)?;
        let tally = catalog
            .compute(move || crate::catalog::changes::tally(&snapshot, &changes))
            .await
            .map_err(ApiError::from)?;
        Ok(CatalogChanges {
            from,
            to,
            totals: tally.totals.into(),
            tally,
        })
    }

    /// Dashboard statistics over the datasets chosen by `filter` and `search` (all when omitted).
    /// Costs 500 toward the complexity limit besides its fields.
    #[graphql(complexity = "super::STATS_COST + child_complexity")]
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
        let (snapshot, selection) = dataset_list::select(ctx, &query).await?;
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

    /// Institutions, found by name and ordered by name or by what they hold. Page size is at
    /// most 100.
    ///
    /// `search` matches the current Korean or English name and former names, with the
    /// normalization of the dataset search (spacing, case and Unicode normalization do not
    /// matter; every whitespace-separated term must match; terms of two or more characters).
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn institutions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words of the name, e.g. `행정안전부`, `교육 청`, `Ministry`.")]
        search: Option<String>,
        #[graphql(desc = "Only institutions of this kind.")] kind: Option<InstitutionKind>,
        #[graphql(desc = "Ordering; by id when omitted.")] order_by: Option<InstitutionOrder>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<InstitutionConnection> {
        let query = crate::catalog::institutions::Query {
            kinds: kind.map(|k| vec![k.into()]),
            search: parse_search(search.as_deref())?,
            order: order_by.unwrap_or_default().into(),
        };
        let args = PageArgs::new(after, before, first, last);
        let page = pagination::institutions(ctx, &query, args).await?;
        Ok(page.map(Institution::from).into())
    }

    /// The review queue of open by default: the withheld and partially open entries whose ground
    /// has no legal basis (`Ground.hasLegalBasis` false: data quality, not digitized, no system)
    /// or whose review date (`Disclosure.nextReviewOn`) is before today (Asia/Seoul), each with
    /// its reasons. Listed or not, like `InstitutionRecord.withheld`; open, scheduled and
    /// under-review entries are never in it.
    ///
    /// The longest-waiting first: by `waitingSince` (the earliest day one of its reasons applies:
    /// for NO_LEGAL_BASIS the day it last became withheld or partially open, for REVIEW_OVERDUE
    /// its review date), then by dataset id. An entry joins the day after its review date passes.
    /// `stats.reviewDue` and `InstitutionRecord.reviewDue` count the same entries. Page size is
    /// at most 100; costs 200 toward the complexity limit besides its page.
    #[graphql(
        complexity = "pagination::complexity(first, None, child_complexity) + super::REVIEW_QUEUE_COST"
    )]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only this institution's own datasets (its portal code, e.g. `1741000`)."
        )]
        institution_code: Option<String>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor (an `endCursor` of this list).")] after: Option<
            String,
        >,
    ) -> Result<ReviewQueueConnection> {
        let scope = match institution_code {
            None => pagination::ReviewScope::All,
            Some(code) => {
                let snap = ctx
                    .data_unchecked::<crate::catalog::Catalog>()
                    .read()
                    .await
                    .map_err(ApiError::from)?;
                let code = code.trim();
                match snap
                    .inst_by_code
                    .get(code)
                    .map(|i| snap.insts[*i as usize].id)
                {
                    Some(id) => pagination::ReviewScope::Institution(id),
                    None => {
                        return Err(ApiError::bad_input(format!(
                            "no institution has the code '{code}'"
                        ))
                        .into());
                    }
                }
            }
        };
        Ok(pagination::review_queue(ctx, scope, first, after, false)
            .await?
            .into())
    }

    /// National core-data bundles, by round.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
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
        let page = pagination::by_id(ctx, q, PageArgs::new(after, before, first, last)).await?;
        Ok(page.map(CoreDataBundle::from).into())
    }

    /// Plans (master plans, core-data release plans, OGP action plans).
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn plans(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<PlanConnection> {
        let args = PageArgs::new(after, before, first, last);
        let page = pagination::by_id(ctx, plan::Entity::find(), args).await?;
        Ok(page.map(Plan::from).into())
    }

    /// OGP commitments.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn commitments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<CommitmentConnection> {
        let args = PageArgs::new(after, before, first, last);
        let page = pagination::by_id(ctx, commitment::Entity::find(), args).await?;
        Ok(page.map(Commitment::from).into())
    }

    /// Milestones of all commitments.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn milestones(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<MilestoneConnection> {
        let args = PageArgs::new(after, before, first, last);
        let page = pagination::by_id(ctx, milestone::Entity::find(), args).await?;
        Ok(page.map(Milestone::from).into())
    }

    /// The caller's rate limit: what this request costs, the budget of the current minute,
    /// what remains of it and when it comes back whole; null when the server runs without a
    /// rate limit. Every answer carries the same figures in `extensions.rateLimit`.
    async fn rate_limit(&self, ctx: &Context<'_>) -> Option<RateLimit> {
        ctx.data_opt::<crate::rate_limit::Status>()
            .map(|s| RateLimit::from(*s))
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
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
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
        let today = ctx
            .data_unchecked::<crate::clock::SharedClock>()
            .today_seoul();
        let f = request_filter(ctx, filter.unwrap_or_default(), "dataRequests").await?;
        let args = PageArgs::new(after, before, first, last);
        let page = pagination::by_id(ctx, requests::select(&f, today), args).await?;
        Ok(page.map(DataRequest::from).into())
    }
}

/// The domain filter of a `DataRequestFilter`, resolving codes, ids and the caller's worklist
/// (an officer's scope through the request's loader, so many lists cost one lookup).
/// `field` names the list in error messages (`dataRequests`, `Institution.requests`).
pub(crate) async fn request_filter(
    ctx: &Context<'_>,
    f: DataRequestFilter,
    field: &str,
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
    if f.followed == Some(true) {
        let viewer = ctx
            .data_opt::<crate::auth::Viewer>()
            .cloned()
            .unwrap_or_default();
        let a = viewer.require(
            &[Role::Citizen],
            &format!("{field}(filter: {{ followed: true }})"),
        )?;
        out.followed_by = Some(a.account_id);
    }
    if f.mine == Some(true) {
        let viewer = ctx
            .data_opt::<crate::auth::Viewer>()
            .cloned()
            .unwrap_or_default();
        let a = viewer.require(
            &[Role::Citizen, Role::Officer, Role::Mediator],
            &format!("{field}(filter: {{ mine: true }})"),
        )?;
        match a.role {
            Role::Citizen => out.requester_id = Some(a.account_id),
            Role::Officer => {
                let scope = match a.institution_id {
                    Some(home) => ctx
                        .data_unchecked::<Loaders>()
                        .load_one(super::loaders::ScopeOf(home))
                        .await?
                        .unwrap_or_default(),
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
