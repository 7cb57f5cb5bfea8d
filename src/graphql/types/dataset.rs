//! `Dataset`: one entry of the inventory, open or not, with its disclosure and history.

use super::date::Date;
use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};
use std::sync::Arc;

use entity::{dataset, disclosure, institution};

use super::as_of::DatasetStateAsOf;
use super::bundle::CoreDataBundle;
use super::disclosure::{Disclosure, DisclosureEvent};
use super::enums::{Category, DatasetType, Provenance};
use super::institution::Institution;
use super::label::Label;
use super::request::DataRequest;
use crate::domain::labels;
use crate::error::ApiError;
use crate::graphql::ids::{NodeKind, decode_as, encode};
use crate::graphql::loaders::{
    BundlesOf, DisclosureOf, HistoryOf, InstitutionId, Loaders, RequestsOf,
};
use crate::graphql::pagination;
use crate::graphql::prefetch::Sel;

/// A dataset held by an institution: open, partially open, withheld, under review or scheduled.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Dataset {
    /// Global id.
    pub id: ID,
    /// The portal's key (목록키) when the dataset is on the national portal; never set on synthetic rows.
    pub portal_key: Option<String>,
    /// Title as the institution gives it.
    pub title: String,
    /// Description.
    pub description: String,
    /// One of the portal's 16 categories.
    pub category: Category,
    /// File data, Open API, standard data or linked.
    #[graphql(name = "type")]
    pub dataset_type: DatasetType,
    /// Keywords.
    pub keywords: Vec<String>,
    /// File or API format (e.g. CSV, JSON+XML).
    pub format: Option<String>,
    /// Flagged as national core data (국가중점데이터).
    pub national_core: bool,
    /// Standard data (표준데이터).
    pub standard: bool,
    /// Licence or usage scope.
    pub licence: Option<String>,
    /// How often it is updated.
    pub update_frequency: Option<String>,
    /// Registered on the inventory.
    pub registered_on: Option<Date>,
    /// Last modified.
    pub modified_on: Option<Date>,
    /// View count, if known (the portal reports some as unknown).
    pub views: Option<i64>,
    /// Downloads or API applications, if known.
    pub downloads: Option<i64>,
    /// The dataset's page on the national portal.
    pub portal_url: Option<String>,
    /// False once a newer inventory file no longer lists it (it is never deleted).
    pub listed: bool,
    /// Where this row came from; SYNTHETIC rows are fictional demo data.
    pub provenance: Provenance,
    /// True for fictional demo data.
    pub synthetic: bool,
    /// The inventory file it was imported from, if imported.
    pub source_file: Option<String>,
    /// When this row was last changed here.
    pub updated_at: DateTime<Utc>,
    /// In `datasets(asOf: …)`: its status, ground and listing at the end of that day; null in
    /// any other list or lookup. (Every other field, title, institution and category included,
    /// is today's.)
    pub state_as_of: Option<DatasetStateAsOf>,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub institution_id: i64,
    /// Relations a list page read with its rows (its per-page batch load), so the fields need
    /// no loader round trip.
    #[graphql(skip)]
    pub attached: Attached,
}

/// Relations read with a page's rows; `None` when not read (the loaders answer then).
#[derive(Clone, Debug, Default)]
pub struct Attached {
    pub institution: Option<Arc<institution::Model>>,
    /// `Some(None)`: read, and there is none.
    pub disclosure: Option<Option<Arc<disclosure::Model>>>,
}

impl From<dataset::Model> for Dataset {
    fn from(m: dataset::Model) -> Self {
        Dataset {
            id: encode(NodeKind::Dataset, m.id),
            portal_key: m.portal_key,
            title: m.title,
            description: m.description,
            category: m.category.into(),
            dataset_type: m.dataset_type.into(),
            keywords: m
                .keywords
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect(),
            format: m.format,
            national_core: m.national_core,
            standard: m.standard,
            licence: m.licence,
            update_frequency: m.update_frequency,
            registered_on: m.registered_on.map(Date),
            modified_on: m.modified_on.map(Date),
            views: m.views,
            downloads: m.downloads,
            portal_url: m.portal_url,
            listed: m.listed,
            synthetic: m.provenance == entity::enums::Provenance::Synthetic,
            provenance: m.provenance.into(),
            source_file: m.source_file,
            updated_at: m.updated_at,
            state_as_of: None,
            row_id: m.id,
            institution_id: m.institution_id,
            attached: Attached::default(),
        }
    }
}

/// The dataset columns a page reads only when asked for, by the GraphQL fields that show each
/// (the id and the institution are always read).
const OPTIONAL_COLUMNS: &[(&[&str], dataset::Column)] = &[
    (&["portalKey"], dataset::Column::PortalKey),
    (&["title"], dataset::Column::Title),
    (&["description"], dataset::Column::Description),
    (&["category", "categoryLabel"], dataset::Column::Category),
    (&["type", "typeLabel"], dataset::Column::DatasetType),
    (&["keywords"], dataset::Column::Keywords),
    (&["format"], dataset::Column::Format),
    (&["nationalCore"], dataset::Column::NationalCore),
    (&["standard"], dataset::Column::Standard),
    (&["licence"], dataset::Column::Licence),
    (&["updateFrequency"], dataset::Column::UpdateFrequency),
    (&["registeredOn"], dataset::Column::RegisteredOn),
    (&["modifiedOn"], dataset::Column::ModifiedOn),
    (&["views"], dataset::Column::Views),
    (&["downloads"], dataset::Column::Downloads),
    (&["portalUrl"], dataset::Column::PortalUrl),
    (&["listed"], dataset::Column::Listed),
    (
        &["provenance", "provenanceLabel", "synthetic"],
        dataset::Column::Provenance,
    ),
    (&["sourceFile"], dataset::Column::SourceFile),
    (&["updatedAt"], dataset::Column::UpdatedAt),
];

impl Dataset {
    /// The columns a page must read for `sel` (the selection of its items, fragments
    /// included): see [`crate::catalog::page::fetch`].
    pub fn columns(sel: &Sel<'_>) -> Vec<dataset::Column> {
        OPTIONAL_COLUMNS
            .iter()
            .filter(|(fields, _)| fields.iter().any(|f| sel.field(f).exists()))
            .map(|(_, c)| *c)
            .collect()
    }
}

#[ComplexObject]
impl Dataset {
    /// The institution that holds it (from the inventory's code column, never from the title).
    async fn institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        if let Some(i) = &self.attached.institution {
            return Ok(Some(Institution::from(i.as_ref().clone())));
        }
        let l = ctx.data_unchecked::<Loaders>();
        Ok(l.load_one(InstitutionId(self.institution_id))
            .await?
            .map(Institution::from))
    }

    /// Labels of the category.
    async fn category_label(&self) -> Label {
        labels::category(self.category.into()).into()
    }

    /// Labels of the type.
    async fn type_label(&self) -> Label {
        labels::dataset_type(self.dataset_type.into()).into()
    }

    /// Labels of the provenance.
    async fn provenance_label(&self) -> Label {
        labels::provenance(self.provenance.into()).into()
    }

    /// The current disclosure: status, ground and its legal basis, explanation, mitigation, dates.
    async fn disclosure(&self, ctx: &Context<'_>) -> Result<Option<Disclosure>> {
        if let Some(d) = &self.attached.disclosure {
            return Ok(d.as_ref().map(|d| Disclosure::from(d.as_ref().clone())));
        }
        let l = ctx.data_unchecked::<Loaders>();
        Ok(l.load_one(DisclosureOf(self.row_id))
            .await?
            .map(Disclosure::from))
    }

    /// Disclosure and listing changes, oldest first, starting with how it entered the inventory
    /// (the last one up to a moment says the status, ground and listing it had then): at most
    /// `first` (default 20, at most 100) after the change `after`. Counts `first` times the cost
    /// of one change toward the complexity limit.
    #[graphql(complexity = "first as usize * child_complexity + 1")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many, at most 100.",
            default = 20,
            validator(minimum = 0, maximum = 100)
        )]
        first: u64,
        #[graphql(desc = "Only changes after this one (the id of a change in this list).")]
        after: Option<ID>,
    ) -> Result<Vec<DisclosureEvent>> {
        let after = after
            .map(|a| decode_as(&a, NodeKind::DisclosureEvent))
            .transpose()?;
        let key = HistoryOf {
            dataset: self.row_id,
            first,
            after,
        };
        let rows = ctx
            .data_unchecked::<Loaders>()
            .load_one(key)
            .await?
            .flatten()
            .ok_or_else(|| ApiError::bad_input("`after` is not the id of an item of this list"))?;
        Ok(rows.into_iter().map(DisclosureEvent::from).collect())
    }

    /// Requests made for it, oldest first (public view: requesters are never shown): at most
    /// `first` (default 20, at most 100) after the request `after`. Counts `first` times the
    /// cost of one request toward the complexity limit.
    #[graphql(complexity = "first as usize * child_complexity + 1")]
    async fn requests(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many, at most 100.",
            default = 20,
            validator(minimum = 0, maximum = 100)
        )]
        first: u64,
        #[graphql(desc = "Only requests after this one (the id of a request in this list).")]
        after: Option<ID>,
    ) -> Result<Vec<DataRequest>> {
        let l = ctx.data_unchecked::<Loaders>();
        let rows = l
            .load_one(RequestsOf(self.row_id))
            .await?
            .unwrap_or_default();
        let after = after
            .map(|a| decode_as(&a, NodeKind::DataRequest))
            .transpose()?;
        Ok(pagination::slice_after(rows, |r| r.id, after, first)?
            .into_iter()
            .map(DataRequest::from)
            .collect())
    }

    /// National core-data bundles it belongs to.
    async fn core_data_bundles(&self, ctx: &Context<'_>) -> Result<Vec<CoreDataBundle>> {
        let l = ctx.data_unchecked::<Loaders>();
        Ok(l.load_one(BundlesOf(self.row_id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(CoreDataBundle::from)
            .collect())
    }
}
