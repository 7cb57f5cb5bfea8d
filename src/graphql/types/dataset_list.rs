//! `datasets(...)`: its filter, ordering, connection with `totalCount` and facets.

use super::date::{Date, day};
use async_graphql::{ComplexObject, Context, Enum, InputObject, Result, SimpleObject};
use std::sync::Arc;

use super::dataset::Dataset;
use super::enums::{Category, DatasetType, DisclosureStatus, InstitutionKind, WithholdingGround};
use super::facet::FacetCount;
use super::page::PageInfo;
use crate::catalog::{Catalog, Selection, Snapshot};
use crate::domain::datasets::{self as list, DatasetQuery, Facet, Filter};
use crate::error::ApiError;
use crate::graphql::pagination::{self, PageArgs};

/// Which datasets to list. Every field narrows the list; lists inside a field mean "any of".
#[derive(InputObject, Default, Clone, Debug)]
pub struct DatasetFilter {
    /// Held by these institutions (portal codes, e.g. `["1741000"]`).
    pub institution_code: Option<Vec<String>>,
    /// With `institutionCode`: also datasets of their sub-institutions (by parent links, confirmed or guessed).
    #[graphql(default)]
    pub include_sub_institutions: bool,
    /// Held by institutions of these kinds.
    pub institution_kind: Option<Vec<InstitutionKind>>,
    /// In these portal categories.
    pub category: Option<Vec<Category>>,
    /// Of these types.
    #[graphql(name = "type")]
    pub dataset_type: Option<Vec<DatasetType>>,
    /// With these disclosure statuses.
    pub status: Option<Vec<DisclosureStatus>>,
    /// Withheld or partially open on these grounds.
    pub ground: Option<Vec<WithholdingGround>>,
    /// National core data (true) or not (false).
    pub national_core: Option<bool>,
    /// Standard data (true) or not (false).
    pub standard: Option<bool>,
    /// Only fictional demo rows (true) or only real ones (false).
    pub synthetic: Option<bool>,
    /// Only listed (true) or delisted (false) datasets.
    pub listed: Option<bool>,
    /// Registered on or after this date.
    pub registered_from: Option<Date>,
    /// Registered on or before this date.
    pub registered_to: Option<Date>,
    /// Modified on or after this date.
    pub modified_from: Option<Date>,
    /// Modified on or before this date.
    pub modified_to: Option<Date>,
    /// With (true) or without (false) requests still awaiting an answer.
    pub has_open_requests: Option<bool>,
}

fn conv<A: Copy + Into<B>, B>(v: &Option<Vec<A>>) -> Option<Vec<B>> {
    v.as_ref().map(|v| v.iter().map(|x| (*x).into()).collect())
}

impl DatasetFilter {
    /// The domain filter, after checking the ranges.
    pub fn to_domain(&self) -> Result<list::Filter, ApiError> {
        for (from, to, what) in [
            (self.registered_from, self.registered_to, "registered"),
            (self.modified_from, self.modified_to, "modified"),
        ] {
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                return Err(ApiError::bad_input(format!(
                    "{what}From ({f}) is after {what}To ({t})"
                )));
            }
        }
        if let Some(codes) = &self.institution_code
            && codes.len() > 500
        {
            return Err(ApiError::bad_input(
                "institutionCode takes at most 500 codes",
            ));
        }
        Ok(list::Filter {
            institution_codes: self.institution_code.clone(),
            include_sub_institutions: self.include_sub_institutions,
            institution_kinds: conv(&self.institution_kind),
            categories: conv(&self.category),
            types: conv(&self.dataset_type),
            statuses: conv(&self.status),
            grounds: conv(&self.ground),
            national_core: self.national_core,
            standard: self.standard,
            synthetic: self.synthetic,
            listed: self.listed,
            registered_from: day(self.registered_from),
            registered_to: day(self.registered_to),
            modified_from: day(self.modified_from),
            modified_to: day(self.modified_to),
            has_open_requests: self.has_open_requests,
        })
    }
}

/// Orderings of a dataset list; every ordering ends with the dataset id as tie-break.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum DatasetOrder {
    /// With a search: titles containing every term first, then titles containing some term, then
    /// the rest (description, institution or label matches); ties by id. Without a search: by id.
    #[default]
    Relevance,
    /// By id, oldest entry in the inventory first.
    Id,
    /// By title, in code-point order (the same on every database).
    Title,
    /// Most recently registered first; unknown dates last.
    RegisteredNewest,
    /// Most recently modified first; unknown dates last.
    ModifiedNewest,
    /// Most viewed first; unknown counts last.
    MostViewed,
}

impl From<DatasetOrder> for list::Order {
    fn from(o: DatasetOrder) -> Self {
        match o {
            DatasetOrder::Relevance => list::Order::Relevance,
            DatasetOrder::Id => list::Order::Id,
            DatasetOrder::Title => list::Order::Title,
            DatasetOrder::RegisteredNewest => list::Order::RegisteredNewest,
            DatasetOrder::ModifiedNewest => list::Order::ModifiedNewest,
            DatasetOrder::MostViewed => list::Order::MostViewed,
        }
    }
}

/// Parses the `search` argument.
pub fn parse_search(search: Option<&str>) -> Result<Option<list::Search>, ApiError> {
    match search {
        None => Ok(None),
        Some(s) if s.chars().count() > 200 => {
            Err(ApiError::bad_input("search is limited to 200 characters"))
        }
        Some(s) => {
            list::Search::parse(s).map_err(|e| ApiError::from(crate::domain::Error::from(e)))
        }
    }
}

/// A dataset in a page.
#[derive(SimpleObject, Clone)]
pub struct DatasetEdge {
    /// Opaque position of this item; pass it as `after` or `before`.
    pub cursor: String,
    /// The dataset.
    pub node: Dataset,
}

/// A page of datasets, with the total and the facets of the whole filtered list (as of the
/// list's `asOf` day when it has one).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct DatasetConnection {
    /// The datasets of this page with their cursors.
    pub edges: Vec<DatasetEdge>,
    /// The datasets of this page, without cursors.
    pub nodes: Vec<Dataset>,
    /// Cursors and whether more pages exist.
    pub page_info: PageInfo,
    #[graphql(skip)]
    pub query: DatasetQuery,
    /// The catalog snapshot the page was chosen from; totals and facets read the same one.
    #[graphql(skip)]
    pub snapshot: Arc<Snapshot>,
    /// The matching rows of the whole list.
    #[graphql(skip)]
    pub selection: Arc<Selection>,
}

/// Counts per value for the current filter and search. Each facet ignores the filter's own
/// condition on that facet, so a sidebar shows what choosing another value would give.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct DatasetFacets {
    /// Per disclosure status.
    pub status: Vec<FacetCount>,
    /// Per withholding ground (withheld and partially open datasets only).
    pub ground: Vec<FacetCount>,
    /// Per portal category.
    pub category: Vec<FacetCount>,
    /// Per dataset type.
    #[graphql(name = "type")]
    pub dataset_type: Vec<FacetCount>,
    /// Per kind of the holding institution.
    pub institution_kind: Vec<FacetCount>,
}

/// The catalog snapshot a dataset list is answered from, and the list's rows in it. A search or
/// a date range scans many rows: that runs as heavy work, under the catalog's gate.
pub async fn select(
    ctx: &Context<'_>,
    query: &DatasetQuery,
) -> Result<(Arc<Snapshot>, Arc<Selection>), ApiError> {
    let catalog = ctx.data_unchecked::<Catalog>();
    let snapshot = catalog.read().await?;
    let f = &query.filter;
    check_institution_codes(&snapshot, f)?;
    let dated = f.registered_from.is_some()
        || f.registered_to.is_some()
        || f.modified_from.is_some()
        || f.modified_to.is_some();
    if query.search.is_none() && !dated {
        let selection = Selection::new(&snapshot, f, None);
        return Ok((snapshot, Arc::new(selection)));
    }
    let (snap, filter, search) = (snapshot.clone(), f.clone(), query.search.clone());
    let selection = catalog
        .compute(move || {
            let resolved = Catalog::resolve(&snap, search.as_ref());
            Selection::new(&snap, &filter, resolved.as_ref())
        })
        .await?;
    Ok((snapshot, Arc::new(selection)))
}

/// As [`select`], on the catalog restated as of the end of `day` (Asia/Seoul): the datasets
/// with a change since then take their state of that day, those that did not exist yet are
/// left out ([`crate::domain::as_of`], one statement; [`Snapshot::restated`]). Heavy work: the
/// restating and the selection run under the catalog's gate.
pub async fn select_as_of(
    ctx: &Context<'_>,
    query: &DatasetQuery,
    day: chrono::NaiveDate,
) -> Result<(Arc<Snapshot>, Arc<Selection>), ApiError> {
    let catalog = ctx.data_unchecked::<Catalog>();
    let snapshot = catalog.read().await?;
    check_institution_codes(&snapshot, &query.filter)?;
    let db = ctx.data_unchecked::<sea_orm::DatabaseConnection>();
    let changes = crate::domain::as_of::states_at(db, crate::domain::as_of::end_of(day)).await?;
    let (filter, search) = (query.filter.clone(), query.search.clone());
    let (restated, selection) = catalog
        .compute(move || {
            let restated = snapshot.restated(day, changes);
            let resolved = Catalog::resolve(&restated, search.as_ref());
            let selection = Selection::new(&restated, &filter, resolved.as_ref());
            (restated, selection)
        })
        .await?;
    Ok((Arc::new(restated), Arc::new(selection)))
}

/// A day asked about must not be after today (Asia/Seoul): the future has no history yet.
pub fn check_past_day(ctx: &Context<'_>, what: &str, day: Date) -> Result<(), ApiError> {
    let today = crate::clock::seoul_date(crate::graphql::context::now(ctx));
    if day.0 > today {
        return Err(ApiError::bad_input(format!(
            "{what} ({day}) is after today ({today}, Asia/Seoul): the history does not reach the future"
        )));
    }
    Ok(())
}

/// A filter's institution codes must exist: an unknown one is a mistake (a typo, a code of
/// another scheme) that would otherwise answer as an empty list.
pub fn check_institution_codes(snap: &Snapshot, f: &Filter) -> Result<(), ApiError> {
    let unknown = snap.unknown_institution_codes(f);
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ApiError::bad_input(format!(
        "institutionCode: no institution has the code{} {} (codes are the 7-digit administrative codes, as in Institution.code)",
        if unknown.len() > 1 { "s" } else { "" },
        unknown
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

/// The query of `datasets(filter, search, orderBy)`.
pub fn query(
    filter: Option<DatasetFilter>,
    search: Option<&str>,
    order_by: Option<DatasetOrder>,
) -> Result<DatasetQuery, ApiError> {
    Ok(DatasetQuery {
        filter: filter.unwrap_or_default().to_domain()?,
        search: parse_search(search)?,
        order: order_by.unwrap_or_default().into(),
    })
}

/// The query of `Institution.datasets`: as [`query`], with the institution fixed (a filter's
/// `institutionCode` there is a mistake; `includeSubInstitutions` still applies).
pub fn institution_query(
    code: &str,
    filter: Option<DatasetFilter>,
    search: Option<&str>,
    order_by: Option<DatasetOrder>,
) -> Result<DatasetQuery, ApiError> {
    if filter
        .as_ref()
        .is_some_and(|f| f.institution_code.is_some())
    {
        return Err(ApiError::bad_input(
            "Institution.datasets lists that institution's datasets: leave out `institutionCode` (use `includeSubInstitutions` for those below it, or the top-level `datasets` for others)",
        ));
    }
    let mut q = query(filter, search, order_by)?;
    q.filter.institution_codes = Some(vec![code.to_string()]);
    Ok(q)
}

/// A dataset list as a connection: the snapshot and selection, one page (see
/// [`pagination::datasets`] for `primed`), items only where `nodes` or `edges` are selected.
pub async fn connection(
    ctx: &Context<'_>,
    query: DatasetQuery,
    args: PageArgs,
    primed: bool,
) -> Result<DatasetConnection, ApiError> {
    connection_as_of(ctx, query, args, primed, None).await
}

/// As [`connection`]; with `as_of`, on the catalog as of the end of that day
/// ([`select_as_of`]): totals, facets and the `status`, `ground` and `listed` filters refer to
/// that day's states, and each item carries its state then.
pub async fn connection_as_of(
    ctx: &Context<'_>,
    query: DatasetQuery,
    args: PageArgs,
    primed: bool,
    as_of: Option<chrono::NaiveDate>,
) -> Result<DatasetConnection, ApiError> {
    let (snapshot, selection) = match as_of {
        Some(day) => select_as_of(ctx, &query, day).await?,
        None => select(ctx, &query).await?,
    };
    let (rows, page_info) =
        pagination::datasets(ctx, &query, &snapshot, &selection, args, primed).await?;
    // Items only where selected: `nodes`, `edges`, or (rarely) both.
    let la = ctx.look_ahead();
    let (want_nodes, want_edges) = (la.field("nodes").exists(), la.field("edges").exists());
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (cursor, node) in rows {
        if want_nodes && want_edges {
            nodes.push(node.clone());
        }
        if want_edges {
            edges.push(DatasetEdge { cursor, node });
        } else if want_nodes {
            nodes.push(node);
        }
    }
    Ok(DatasetConnection {
        nodes,
        edges,
        page_info,
        query,
        snapshot,
        selection,
    })
}

/// Counts per stored value as GraphQL facet counts.
pub fn facet_list(f: Facet, counts: Vec<(String, u64)>) -> Vec<FacetCount> {
    counts
        .into_iter()
        .map(|(stored, count)| FacetCount::of(f, &stored, count))
        .collect()
}

#[ComplexObject]
impl DatasetConnection {
    /// How many datasets match, over all pages.
    async fn total_count(&self) -> u64 {
        self.selection.count()
    }

    /// Counts per status, ground, category, type and institution kind for this filter and search.
    /// Costs 200 toward the complexity limit besides its fields.
    #[graphql(complexity = "crate::graphql::FACETS_COST + child_complexity")]
    async fn facets(&self, ctx: &Context<'_>) -> Result<DatasetFacets> {
        let la = ctx.look_ahead();
        let wanted: Vec<Facet> = [
            ("status", Facet::Status),
            ("ground", Facet::Ground),
            ("category", Facet::Category),
            ("type", Facet::Type),
            ("institutionKind", Facet::InstitutionKind),
        ]
        .into_iter()
        .filter(|(name, _)| la.field(name).exists())
        .map(|(_, f)| f)
        .collect();
        let (snap, sel) = (self.snapshot.clone(), self.selection.clone());
        let counted = ctx
            .data_unchecked::<Catalog>()
            .compute(move || {
                wanted
                    .into_iter()
                    .map(|f| (f, sel.facet_counts(&snap, f)))
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(ApiError::from)?;
        let mut out = DatasetFacets::default();
        for (f, counts) in counted {
            let list = facet_list(f, counts);
            match f {
                Facet::Status => out.status = list,
                Facet::Ground => out.ground = list,
                Facet::Category => out.category = list,
                Facet::Type => out.dataset_type = list,
                Facet::InstitutionKind => out.institution_kind = list,
            }
        }
        Ok(out)
    }
}
