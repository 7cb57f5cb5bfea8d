//! Per-page batch loads: when a list resolver has its page, it loads the relations the query
//! asks for (by look-ahead) for the whole page at once and primes the request's loaders, so
//! the field resolvers find them cached. The number of statements per request then depends on
//! the shape of the query, never on the page size or on timing. Nested lists (a page of plans,
//! their commitments, their milestones; bundles and their datasets) are primed level by level.

use std::collections::{HashMap, HashSet};

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Lookahead, SelectionField};
use entity::{
    commitment, core_bundle, dataset, disclosure_event, institution, milestone, plan, target,
};

use super::loaders::{
    BundleDatasets, BundlesOf, BundlesOfInstitution, ChildrenOf, CommitmentId, CommitmentsOf,
    DatasetId, DbLoader, DisclosureOf, HistoryOf, InstitutionId, InstitutionRequests, Loaders,
    MilestonesOf, NamesOf, PlanId, PrimedDatasets, ProgressOf, RecordOf, RequestsOf,
};
use super::pagination::PageArgs;
use super::types::dataset_list::{self, DatasetFilter, DatasetOrder};
use super::types::request::DataRequestFilter;
use crate::error::ApiError;

/// The selection of the items of a list: every place in the query where they are selected.
pub struct Sel<'a>(Vec<Lookahead<'a>>);

impl<'a> Sel<'a> {
    /// Items of a connection field: `nodes { … }` and `edges { node { … } }`.
    pub fn page(ctx: &'a Context<'_>) -> Self {
        let la = ctx.look_ahead();
        Sel(vec![la.field("nodes"), la.field("edges").field("node")])
    }

    /// Items of a plain list field (or of the field itself): its own selection.
    pub fn list(ctx: &'a Context<'_>) -> Self {
        Sel(vec![ctx.look_ahead()])
    }

    /// The items of a connection selected at every place: `nodes` and `edges { node }`.
    pub fn items(&self) -> Self {
        Sel(self
            .0
            .iter()
            .flat_map(|l| [l.field("nodes"), l.field("edges").field("node")])
            .collect())
    }

    /// The selection of a field of the items.
    pub fn field(&self, name: &str) -> Self {
        Sel(self.0.iter().map(|l| l.field(name)).collect())
    }

    /// Whether any place selects it.
    pub fn exists(&self) -> bool {
        self.0.iter().any(|l| l.exists())
    }

    /// The selected fields (one per place and alias), with their arguments.
    fn selection_fields(&self) -> Vec<SelectionField<'a>> {
        self.0.iter().flat_map(|l| l.selection_fields()).collect()
    }
}

/// Loads `keys` through the loader, feeds the results to the cache and returns them.
async fn prime<K>(
    loaders: &Loaders,
    keys: Vec<K>,
) -> Result<HashMap<K, <DbLoader as Loader<K>>::Value>, ApiError>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = std::sync::Arc<sea_orm::DbErr>>,
    <DbLoader as Loader<K>>::Value: Clone,
{
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let found: HashMap<K, _> = loaders.loader().load(&keys).await?;
    loaders.feed_many(found.clone()).await;
    Ok(found)
}

fn distinct<T: std::hash::Hash + Eq + Copy>(it: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    it.into_iter().filter(|x| seen.insert(*x)).collect()
}

/// Primes the relations of a page of datasets that `sel` selects. With `attached`, the items
/// carry their institution and disclosure already (a dataset list page reads them with its
/// rows): only the institutions' parents are primed of those.
pub async fn datasets(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[dataset::Model],
    attached: bool,
) -> Result<(), ApiError> {
    if page.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids: Vec<i64> = page.iter().map(|d| d.id).collect();
    let parents = sel.field("institution").field("parent").exists();
    if sel.field("institution").exists() && (parents || !attached) {
        let keys = distinct(page.iter().map(|d| InstitutionId(d.institution_id)));
        let found = loaders.loader().load(&keys).await?;
        if parents {
            let pkeys: Vec<InstitutionId> = distinct(found.values().filter_map(|i| i.parent_id))
                .into_iter()
                .filter(|p| attached || !found.contains_key(&InstitutionId(*p)))
                .map(InstitutionId)
                .collect();
            prime(loaders, pkeys).await?;
        }
        if !attached {
            loaders.feed_many(found).await;
        }
    }
    if !attached && sel.field("disclosure").exists() {
        prime(loaders, ids.iter().copied().map(DisclosureOf).collect()).await?;
    }
    let history = sel.field("history");
    if history.exists() {
        let mut keys = Vec::new();
        for (first, after) in history_pages(&history) {
            keys.extend(ids.iter().map(|d| HistoryOf {
                dataset: *d,
                first,
                after,
            }));
        }
        prime(loaders, keys).await?;
    }
    if sel.field("requests").exists() {
        prime(loaders, ids.iter().copied().map(RequestsOf).collect()).await?;
    }
    if sel.field("coreDataBundles").exists() {
        prime(loaders, ids.iter().copied().map(BundlesOf).collect()).await?;
    }
    Ok(())
}

/// The value of argument `name` of a selected field, if given (variables resolved).
fn argument(f: &SelectionField<'_>, name: &str) -> Option<async_graphql::Value> {
    f.arguments()
        .ok()?
        .into_iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, v)| v)
}

/// Argument `name` of a selected field as its input type (absent or null: `None` for an
/// optional type); `None` when it does not parse (the field itself reports that).
fn typed<T: async_graphql::InputType>(f: &SelectionField<'_>, name: &str) -> Option<T> {
    T::parse(argument(f, name)).ok()
}

/// The paging arguments of a selected list field, if they parse.
fn page_args(f: &SelectionField<'_>) -> Option<PageArgs> {
    Some(PageArgs::new(
        typed(f, "after")?,
        typed(f, "before")?,
        typed(f, "first")?,
        typed(f, "last")?,
    ))
}

/// Primes the relations of a page of institutions that `sel` selects: records, former names,
/// sub-institutions and bundles; for `requests`, every institution's page (two statements per
/// alias); for `datasets`, every institution's page chosen by the catalog, their rows read in
/// one statement and their relations primed once, for all aliases. A field whose arguments are
/// wrong is left alone: it reports the error itself.
pub async fn institutions(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[institution::Model],
) -> Result<(), ApiError> {
    if page.is_empty() || !sel.exists() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids: Vec<i64> = distinct(page.iter().map(|i| i.id));
    if sel.field("record").exists() {
        prime(loaders, ids.iter().copied().map(RecordOf).collect()).await?;
    }
    if sel.field("formerNames").exists() {
        prime(loaders, ids.iter().copied().map(NamesOf).collect()).await?;
    }
    if sel.field("subInstitutions").exists() {
        prime(loaders, ids.iter().copied().map(ChildrenOf).collect()).await?;
    }
    let b = sel.field("coreDataBundles");
    if b.exists() {
        let found = prime(
            loaders,
            ids.iter().copied().map(BundlesOfInstitution).collect(),
        )
        .await?;
        let mut list: Vec<core_bundle::Model> = found.into_values().flatten().collect();
        list.sort_by_key(|b| b.id);
        list.dedup_by_key(|b| b.id);
        bundles(ctx, &b, &list).await?;
    }
    let mut keys = Vec::new();
    for f in sel.field("requests").selection_fields() {
        let (Some(filter), Some(args)) = (
            typed::<Option<DataRequestFilter>>(&f, "filter"),
            page_args(&f),
        ) else {
            continue;
        };
        let Ok((filter, page)) = super::pagination::institution_requests(ctx, filter, args).await
        else {
            continue;
        };
        keys.extend(ids.iter().map(|i| InstitutionRequests {
            institution: *i,
            filter: filter.clone(),
            page,
        }));
    }
    prime(loaders, keys).await?;
    institution_datasets(ctx, sel, page).await
}

/// The `datasets` pages of a page of institutions (see [`institutions`]).
async fn institution_datasets(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[institution::Model],
) -> Result<(), ApiError> {
    let ds = sel.field("datasets");
    let mut chosen: Vec<(crate::domain::datasets::Position, i64)> = Vec::new();
    let mut marks = Vec::new();
    for f in ds.selection_fields() {
        if !f
            .selection_set()
            .any(|c| matches!(c.name(), "nodes" | "edges"))
        {
            continue; // totals and facets only: nothing to read
        }
        let (Some(filter), Some(search), Some(order), Some(args)) = (
            typed::<Option<DatasetFilter>>(&f, "filter"),
            typed::<Option<String>>(&f, "search"),
            typed::<Option<DatasetOrder>>(&f, "orderBy"),
            page_args(&f),
        ) else {
            continue;
        };
        let field: std::sync::Arc<str> = f.alias().unwrap_or(f.name()).into();
        let mut pages = Vec::with_capacity(page.len());
        for inst in page {
            let Ok(query) = dataset_list::institution_query(
                &inst.code,
                filter.clone(),
                search.as_deref(),
                order,
            ) else {
                break;
            };
            let Ok((snapshot, selection)) = dataset_list::select(ctx, &query).await else {
                break;
            };
            let Ok(ids) =
                super::pagination::dataset_ids(ctx, &query, &snapshot, &selection, &args).await
            else {
                break;
            };
            pages.push((inst.id, ids));
        }
        if pages.len() < page.len() {
            continue; // wrong arguments: the fields say so
        }
        for (institution, ids) in pages {
            chosen.extend(ids.rows);
            marks.push((
                PrimedDatasets {
                    institution,
                    field: field.clone(),
                },
                (),
            ));
        }
    }
    if marks.is_empty() {
        return Ok(());
    }
    let mut seen = HashSet::new();
    chosen.retain(|(_, id)| seen.insert(*id));
    let db = ctx.data_unchecked::<sea_orm::DatabaseConnection>();
    let ids = crate::catalog::page::IdPage {
        rows: chosen,
        has_previous: false,
        has_next: false,
    };
    // Every column: other fields of the request may load these datasets too.
    let reading = crate::catalog::page::Reading {
        columns: None,
        disclosure: None,
    };
    let fetched = crate::catalog::page::fetch(db, ids, reading).await?;
    let models: Vec<dataset::Model> = fetched.page.rows.into_iter().map(|(_, m)| m).collect();
    let loaders = ctx.data_unchecked::<Loaders>();
    loaders
        .feed_many(models.iter().map(|m| (DatasetId(m.id), m.clone())))
        .await;
    datasets(ctx, &ds.items(), &models, false).await?;
    loaders.feed_many(marks).await;
    Ok(())
}

/// The page size every selection of a bundle's `datasets` asks for (20 when omitted).
fn dataset_page_sizes(sel: &Sel<'_>) -> Vec<u64> {
    let sizes = sel
        .selection_fields()
        .into_iter()
        .map(|f| match argument(&f, "first") {
            Some(async_graphql::Value::Number(n)) => n.as_u64().unwrap_or(20),
            _ => 20,
        });
    distinct(sizes)
}

/// The pages (`first`, default 20, and the change `after`) every selection of `history` asks
/// for; a malformed `after` is left to the field, which reports it.
fn history_pages(sel: &Sel<'_>) -> Vec<(u64, Option<i64>)> {
    let pages = sel.selection_fields().into_iter().filter_map(|f| {
        let first = match argument(&f, "first") {
            Some(async_graphql::Value::Number(n)) => n.as_u64()?,
            _ => 20,
        };
        let after = match argument(&f, "after") {
            None | Some(async_graphql::Value::Null) => None,
            Some(async_graphql::Value::String(s)) => {
                Some(super::ids::decode_as(&s, super::ids::NodeKind::DisclosureEvent).ok()?)
            }
            Some(_) => return None,
        };
        Some((first, after))
    });
    distinct(pages)
}

/// The days every selection of a target's `progress` asks for (`None`: the due date); a
/// malformed one is left to the field, which reports it.
fn as_of_days(sel: &Sel<'_>) -> Vec<Option<chrono::NaiveDate>> {
    let days = sel
        .selection_fields()
        .into_iter()
        .filter_map(|f| match argument(&f, "asOf") {
            None | Some(async_graphql::Value::Null) => Some(None),
            Some(async_graphql::Value::String(s)) => Some(Some(
                chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()?,
            )),
            Some(_) => None,
        });
    distinct(days)
}

/// Primes the relations of a page of core-data bundles: lead institutions, and the datasets
/// (with their own relations) for every page size asked.
pub async fn bundles(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[core_bundle::Model],
) -> Result<(), ApiError> {
    if page.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    if sel.field("leadInstitution").exists() {
        let keys = distinct(page.iter().filter_map(|b| b.lead_institution_id));
        prime(loaders, keys.into_iter().map(InstitutionId).collect()).await?;
    }
    let ds = sel.field("datasets");
    if ds.exists() {
        let mut keys = Vec::new();
        for first in dataset_page_sizes(&ds) {
            keys.extend(page.iter().map(|b| BundleDatasets {
                bundle: b.id,
                first,
            }));
        }
        let links = prime(loaders, keys).await?;
        let ids = distinct(links.values().flatten().copied());
        let found = prime(loaders, ids.into_iter().map(DatasetId).collect()).await?;
        let mut models: Vec<dataset::Model> = found.into_values().collect();
        models.sort_by_key(|d| d.id);
        datasets(ctx, &ds, &models, false).await?;
    }
    Ok(())
}

/// Primes the commitments of a page of plans (and theirs, level by level).
pub async fn plans(ctx: &Context<'_>, sel: &Sel<'_>, page: &[plan::Model]) -> Result<(), ApiError> {
    let c = sel.field("commitments");
    if page.is_empty() || !c.exists() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let found = prime(loaders, page.iter().map(|p| CommitmentsOf(p.id)).collect()).await?;
    let mut list: Vec<commitment::Model> = found.into_values().flatten().collect();
    list.sort_by_key(|c| c.id);
    commitments(ctx, &c, &list).await
}

/// Primes the relations of a page of commitments: plan, lead institution, milestones.
pub async fn commitments(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[commitment::Model],
) -> Result<(), ApiError> {
    if page.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    if sel.field("plan").exists() {
        let keys = distinct(page.iter().filter_map(|c| c.plan_id));
        prime(loaders, keys.into_iter().map(PlanId).collect()).await?;
    }
    if sel.field("leadInstitution").exists() {
        let keys = distinct(page.iter().filter_map(|c| c.lead_institution_id));
        prime(loaders, keys.into_iter().map(InstitutionId).collect()).await?;
    }
    let m = sel.field("milestones");
    if m.exists() || sel.field("milestoneCompletion").exists() {
        let found = prime(loaders, page.iter().map(|c| MilestonesOf(c.id)).collect()).await?;
        let mut list: Vec<milestone::Model> = found.into_values().flatten().collect();
        list.sort_by_key(|m| m.id);
        milestones(ctx, &m, &list).await?;
    }
    Ok(())
}

/// Primes the relations of a page of milestones: their commitments.
pub async fn milestones(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[milestone::Model],
) -> Result<(), ApiError> {
    let c = sel.field("commitment");
    if page.is_empty() || !c.exists() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let keys = distinct(page.iter().map(|m| CommitmentId(m.commitment_id)));
    let found = prime(loaders, keys).await?;
    let mut list: Vec<commitment::Model> = found.into_values().collect();
    list.sort_by_key(|c| c.id);
    Box::pin(commitments(ctx, &c, &list)).await
}

/// Primes the relations of targets: progress (one statement for all), plan and commitment.
pub async fn targets(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[target::Model],
) -> Result<(), ApiError> {
    if page.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let progress = sel.field("progress");
    if progress.exists() {
        let mut keys = Vec::new();
        for as_of in as_of_days(&progress) {
            keys.extend(page.iter().map(|t| ProgressOf::of(t, as_of)));
        }
        prime(loaders, distinct(keys)).await?;
    }
    if sel.field("plan").exists() {
        let keys = distinct(page.iter().filter_map(|t| t.plan_id));
        prime(loaders, keys.into_iter().map(PlanId).collect()).await?;
    }
    let c = sel.field("commitment");
    if c.exists() {
        let keys = distinct(page.iter().filter_map(|t| t.commitment_id));
        let found = prime(loaders, keys.into_iter().map(CommitmentId).collect()).await?;
        let list: Vec<commitment::Model> = found.into_values().collect();
        commitments(ctx, &c, &list).await?;
    }
    Ok(())
}

/// Primes the datasets of disclosure events (and what is selected under them).
pub async fn events(
    ctx: &Context<'_>,
    sel: &Sel<'_>,
    page: &[disclosure_event::Model],
) -> Result<(), ApiError> {
    let d = sel.field("dataset");
    if page.is_empty() || !d.exists() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let keys = distinct(page.iter().map(|e| DatasetId(e.dataset_id)));
    let found = prime(loaders, keys).await?;
    let mut models: Vec<dataset::Model> = found.into_values().collect();
    models.sort_by_key(|m| m.id);
    datasets(ctx, &d, &models, false).await
}
