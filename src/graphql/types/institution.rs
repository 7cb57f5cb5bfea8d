//! `Institution`: a provider institution (제공기관).

use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::institution;

use super::bundle::CoreDataBundle;
use super::dataset_list::{self, DatasetConnection, DatasetFilter, DatasetOrder};
use super::enums::InstitutionKind;
use super::facet::FacetCount;
use super::label::Label;
use super::request::DataRequestFilter;
use super::review::ReviewQueueConnection;
use crate::domain::datasets::Facet;
use crate::domain::institutions::Record;
use crate::domain::labels;
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::loaders::{
    BundlesOfInstitution, ChildrenOf, InstitutionId, InstitutionRequests, Loaders, NamesOf,
    PrimedDatasets, PrimedReview, RecordOf,
};
use crate::graphql::pagination::{self, PageArgs};
use crate::graphql::query::DataRequestConnection;

/// An administrative or public institution that holds data.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Institution {
    /// Global id.
    pub id: ID,
    /// Portal institution code (기관코드), e.g. 1741000.
    pub code: String,
    /// Current name.
    pub name: String,
    /// English name, when known.
    pub name_en: Option<String>,
    /// Kind; derived from the code unless `kindOverridden`.
    pub kind: InstitutionKind,
    /// True when the kind was set by hand.
    pub kind_overridden: bool,
    /// True when the parent, or having none, was confirmed by someone with authority (otherwise a parent is a guess from the name, and imports may guess one).
    pub parent_confirmed: bool,
    /// True for fictional demo institutions.
    pub synthetic: bool,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub parent_id: Option<i64>,
}

impl From<institution::Model> for Institution {
    fn from(m: institution::Model) -> Self {
        Institution {
            id: encode(NodeKind::Institution, m.id),
            code: m.code,
            name: m.name,
            name_en: m.name_en,
            kind: m.kind.into(),
            kind_overridden: m.kind_overridden,
            parent_confirmed: m.parent_confirmed,
            synthetic: m.synthetic,
            updated_at: m.updated_at,
            row_id: m.id,
            parent_id: m.parent_id,
        }
    }
}

/// A former name of an institution.
#[derive(SimpleObject, Clone, Debug)]
pub struct FormerName {
    /// The name it had.
    pub name: String,
    /// When that name was replaced.
    pub replaced_at: DateTime<Utc>,
    /// What recorded the change.
    pub source: String,
}

#[ComplexObject]
impl Institution {
    /// Labels of the kind.
    async fn kind_label(&self) -> Label {
        labels::institution_kind(self.kind.into()).into()
    }

    /// The parent institution (see `parentConfirmed`).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        let Some(p) = self.parent_id else {
            return Ok(None);
        };
        let l = ctx.data_unchecked::<Loaders>();
        Ok(l.load_one(InstitutionId(p)).await?.map(Institution::from))
    }

    /// Former names, newest first (the code stays when the name changes).
    async fn former_names(&self, ctx: &Context<'_>) -> Result<Vec<FormerName>> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .load_one(NamesOf(self.row_id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|r| FormerName {
                name: r.name,
                replaced_at: r.replaced_at,
                source: r.source,
            })
            .collect())
    }

    /// Institutions whose parent this is (confirmed or guessed; see `parentConfirmed`).
    async fn sub_institutions(&self, ctx: &Context<'_>) -> Result<Vec<Institution>> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .load_one(ChildrenOf(self.row_id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(Institution::from).collect())
    }

    /// Its datasets, open and withheld: the top-level `datasets` with this institution fixed
    /// (`filter.institutionCode` is refused; `filter.includeSubInstitutions` adds the datasets of
    /// the institutions below it), with the same search, orderings, cursors, `totalCount` and
    /// `facets`. Page size is at most 100.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn datasets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which of its datasets; all when omitted.")] filter: Option<DatasetFilter>,
        #[graphql(desc = "Words to find, as in the top-level `datasets`.")] search: Option<String>,
        #[graphql(desc = "Ordering; RELEVANCE (the default) is id order without a search.")]
        order_by: Option<DatasetOrder>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<DatasetConnection> {
        let query =
            dataset_list::institution_query(&self.code, filter, search.as_deref(), order_by)?;
        let field = ctx.field();
        let mark = PrimedDatasets {
            institution: self.row_id,
            field: field.alias().unwrap_or(field.name()).into(),
        };
        let primed = ctx
            .data_unchecked::<Loaders>()
            .load_one(mark)
            .await?
            .is_some();
        let args = PageArgs::new(after, before, first, last);
        Ok(dataset_list::connection(ctx, query, args, primed).await?)
    }

    /// Requests to it: the top-level `dataRequests` with this institution fixed
    /// (`filter.institutionCode` is refused), anonymized the same way (the requester only to
    /// those allowed to see it). By id; page size is at most 100.
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    async fn requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which of its requests; `mine: true` gives the caller's worklist.")]
        filter: Option<DataRequestFilter>,
        #[graphql(desc = "Items after this cursor (forward paging).")] after: Option<String>,
        #[graphql(desc = "Items before this cursor (backward paging).")] before: Option<String>,
        #[graphql(desc = "Page size from the start, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Page size from the end, at most 100.")] last: Option<i32>,
    ) -> Result<DataRequestConnection> {
        let args = PageArgs::new(after, before, first, last);
        let (filter, page) = pagination::institution_requests(ctx, filter, args).await?;
        let key = InstitutionRequests {
            institution: self.row_id,
            filter,
            page,
        };
        let found = ctx
            .data_unchecked::<Loaders>()
            .load_one(key)
            .await?
            .unwrap_or_default();
        Ok(pagination::request_page(found, &page)
            .map(super::request::DataRequest::from)
            .into())
    }

    /// Its review queue: the top-level `reviewQueue` with this institution fixed (its own
    /// datasets, as its record counts them; `InstitutionRecord.reviewDue` is its length). The
    /// longest-waiting first; page size is at most 100.
    #[graphql(complexity = "pagination::complexity(first, None, child_complexity)")]
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, at most 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "Items after this cursor (an `endCursor` of this list).")] after: Option<
            String,
        >,
    ) -> Result<ReviewQueueConnection> {
        let field = ctx.field();
        let mark = PrimedReview {
            institution: self.row_id,
            field: field.alias().unwrap_or(field.name()).into(),
        };
        let primed = ctx
            .data_unchecked::<Loaders>()
            .load_one(mark)
            .await?
            .is_some();
        let scope = pagination::ReviewScope::Institution(self.row_id);
        Ok(pagination::review_queue(ctx, scope, first, after, primed)
            .await?
            .into())
    }

    /// National core-data bundles it leads or holds datasets of (its own datasets, as its
    /// record counts them), by id.
    async fn core_data_bundles(&self, ctx: &Context<'_>) -> Result<Vec<CoreDataBundle>> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .load_one(BundlesOfInstitution(self.row_id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(CoreDataBundle::from).collect())
    }

    /// Its record: datasets held, open and withheld, grounds, requests pending and overdue.
    async fn record(&self, ctx: &Context<'_>) -> Result<InstitutionRecord> {
        let r = ctx
            .data_unchecked::<Loaders>()
            .load_one(RecordOf(self.row_id))
            .await?
            .unwrap_or_default();
        Ok(InstitutionRecord::from(r))
    }
}

/// What an institution holds and how it answers requests.
#[derive(SimpleObject, Clone, Debug)]
pub struct InstitutionRecord {
    /// Datasets it holds, open or not.
    pub datasets_held: u64,
    /// Of which open.
    pub open: u64,
    /// Of which withheld.
    pub withheld: u64,
    /// Of which partially open.
    pub partially_open: u64,
    /// Open datasets as a share of all held (0 to 1); null when it holds none.
    pub open_share: Option<f64>,
    /// Datasets per status.
    pub by_status: Vec<FacetCount>,
    /// Withheld and partially open datasets per ground.
    pub grounds: Vec<FacetCount>,
    /// Of the datasets held, those flagged national core data (국가중점데이터), open or not.
    pub national_core: u64,
    /// Of the datasets held, those flagged standard data (표준데이터), open or not.
    pub standard: u64,
    /// Requests to it still open.
    pub requests_pending: u64,
    /// Requests awaiting its decision past the deadline.
    pub requests_overdue: u64,
    /// Of the datasets held, those due for review under open by default today: the length of
    /// its `reviewQueue` (withheld or partially open, with no legal basis or a review date
    /// before today, Asia/Seoul).
    pub review_due: u64,
}

impl From<Record> for InstitutionRecord {
    fn from(r: Record) -> Self {
        let get = |s: &str| {
            r.by_status
                .iter()
                .find(|(k, _)| k == s)
                .map(|(_, n)| *n)
                .unwrap_or(0)
        };
        let held: u64 = r.by_status.iter().map(|(_, n)| n).sum();
        let open = get("OPEN");
        let count = |f: Facet, list: &[(String, u64)]| {
            list.iter().map(|(v, n)| FacetCount::of(f, v, *n)).collect()
        };
        InstitutionRecord {
            datasets_held: held,
            open,
            withheld: get("WITHHELD"),
            partially_open: get("PARTIALLY_OPEN"),
            open_share: (held > 0).then(|| open as f64 / held as f64),
            by_status: count(Facet::Status, &r.by_status),
            grounds: count(Facet::Ground, &r.by_ground),
            national_core: r.national_core,
            standard: r.standard,
            requests_pending: r.requests_pending,
            requests_overdue: r.requests_overdue,
            review_due: r.review_due,
        }
    }
}
