//! `Stats`: dashboard figures over a dataset list, each computed in the database when asked for.

use super::date::{Date, day};
use async_graphql::{Context, Object, Result, SimpleObject};
use sea_orm::DatabaseConnection;

use super::dataset::Dataset;
use super::facet::FacetCount;
use super::institution::Institution;
use super::label::Label;
use crate::clock::SharedClock;
use std::sync::Arc;

use super::dataset_list::facet_list;
use crate::catalog::{self, Selection, Snapshot};
use crate::domain::datasets::{DatasetQuery, Facet};
use crate::domain::stats::Scope;
use crate::domain::{labels, stats};
use crate::error::ApiError;
use crate::graphql::loaders::{DatasetId, InstitutionId, Loaders};

/// The datasets a `stats` query is about: the catalog snapshot and the list's rows in it.
pub struct Stats {
    pub query: DatasetQuery,
    pub snapshot: Arc<Snapshot>,
    pub selection: Arc<Selection>,
    /// See [`Stats::requested`].
    pub requested: std::sync::OnceLock<Vec<i64>>,
}

/// Entries withheld (or partially open) with and without a legal basis.
#[derive(SimpleObject, Clone, Debug)]
pub struct LegalVsPractical {
    /// Grounds in a statute (OIDA Art. 9(1), PDA Art. 17, another statute).
    pub legal: u64,
    /// Practical reasons with no legal basis (data quality, not digitized, no system).
    pub practical: u64,
}

/// An institution's datasets in the list.
#[derive(SimpleObject, Clone, Debug)]
pub struct InstitutionTotal {
    /// The institution.
    pub institution: Option<Institution>,
    /// Datasets in the list.
    pub total: u64,
    /// Of which open.
    pub open: u64,
    /// Of which withheld.
    pub withheld: u64,
    /// Of which national core data (국가중점데이터), open or not.
    pub national_core: u64,
    /// Of which standard data (표준데이터), open or not.
    pub standard: u64,
}

/// Openings in one month.
#[derive(SimpleObject, Clone, Debug)]
pub struct MonthCount {
    /// The month, `YYYY-MM` (Asia/Seoul).
    pub month: String,
    /// Openings that month: changes of an entry's disclosure to OPEN from another status (an
    /// entry's first event is never one; a reopened entry counts again). A `WITHHELD_OPENED`
    /// target counts the same.
    pub count: u64,
}

/// A dataset that is not open and the demand for it.
#[derive(SimpleObject, Clone, Debug)]
pub struct DemandedDataset {
    /// The dataset.
    pub dataset: Option<Dataset>,
    /// Requests filed for it.
    pub requests: u64,
    /// Citizens supporting those requests.
    pub supporters: u64,
}

/// Requests in one state.
#[derive(SimpleObject, Clone, Debug)]
pub struct RequestStateCount {
    /// The state, as the `RequestState` enum name.
    pub state: String,
    /// Its labels.
    pub state_label: Label,
    /// Requests in it.
    pub count: u64,
}

/// How fast institutions decide requests.
#[derive(SimpleObject, Clone, Debug)]
pub struct Turnaround {
    /// Requests decided.
    pub decided: u64,
    /// Mean days from filing to decision.
    pub average_days: Option<f64>,
    /// Decided on or before the decision deadline.
    pub decided_within_deadline: u64,
    /// Awaiting the institution past the decision deadline today.
    pub overdue: u64,
    /// Of those, more than 30 days past it.
    pub long_overdue: u64,
}

impl Stats {
    fn totals(&self, facet: Facet) -> Vec<FacetCount> {
        facet_list(facet, self.selection.totals_by(&self.snapshot, facet))
    }

    /// The list's datasets that requests name, for the figures over requests (in SQL).
    fn requested(&self) -> &[i64] {
        self.requested
            .get_or_init(|| catalog::stats::requested_ids(&self.snapshot, &self.selection.all))
    }
}

/// Figures for dashboards over the datasets chosen by `filter` and `search`.
#[Object]
impl Stats {
    /// Datasets in the list.
    async fn total(&self) -> u64 {
        self.selection.count()
    }

    /// Datasets per disclosure status.
    async fn by_status(&self) -> Vec<FacetCount> {
        self.totals(Facet::Status)
    }

    /// Withheld and partially open datasets per ground.
    async fn by_ground(&self) -> Vec<FacetCount> {
        self.totals(Facet::Ground)
    }

    /// Grounds with a legal basis against practical reasons without one.
    async fn legal_vs_practical(&self) -> LegalVsPractical {
        let mut out = LegalVsPractical {
            legal: 0,
            practical: 0,
        };
        for (g, n) in self.selection.totals_by(&self.snapshot, Facet::Ground) {
            let ground =
                <entity::enums::WithholdingGround as sea_orm::ActiveEnum>::try_from_value(&g);
            match ground.map(|g| labels::ground(g).legal_basis.is_some()) {
                Ok(true) => out.legal += n,
                Ok(false) => out.practical += n,
                Err(_) => {}
            }
        }
        out
    }

    /// Datasets of the list due for review under open by default today: the entries of
    /// `reviewQueue` among them (withheld or partially open, with no legal basis or a review
    /// date before today, Asia/Seoul).
    async fn review_due(&self, ctx: &Context<'_>) -> Result<u64> {
        let (snap, sel) = (self.snapshot.clone(), self.selection.clone());
        let today = ctx.data_unchecked::<SharedClock>().today_seoul();
        let n = ctx
            .data_unchecked::<catalog::Catalog>()
            .compute(move || catalog::review::count(&snap, Some(&sel.all), today))
            .await
            .map_err(ApiError::from)?;
        Ok(n)
    }

    /// Datasets per portal category.
    async fn by_category(&self) -> Vec<FacetCount> {
        self.totals(Facet::Category)
    }

    /// Datasets per kind of institution.
    async fn by_institution_kind(&self) -> Vec<FacetCount> {
        self.totals(Facet::InstitutionKind)
    }

    /// The institutions holding most datasets of the list.
    async fn top_institutions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many, at most 100.",
            default = 10,
            validator(minimum = 1, maximum = 100)
        )]
        first: u64,
    ) -> Result<Vec<InstitutionTotal>> {
        let (snap, sel) = (self.snapshot.clone(), self.selection.clone());
        let catalog = ctx.data_unchecked::<catalog::Catalog>();
        let rows = catalog
            .compute(move || catalog::stats::top_institutions(&snap, &sel.all, first))
            .await
            .map_err(ApiError::from)?;
        let loaders = ctx.data_unchecked::<Loaders>();
        let insts = loaders
            .load_many(rows.iter().map(|r| InstitutionId(r.institution_id)))
            .await
            .map_err(ApiError::from)?;
        // What the query asks of these institutions, for all of them at once.
        let mut models: Vec<_> = insts.values().cloned().collect();
        models.sort_by_key(|m| m.id);
        let sel = crate::graphql::prefetch::Sel::list(ctx).field("institution");
        crate::graphql::prefetch::institutions(ctx, &sel, &models).await?;
        Ok(rows
            .into_iter()
            .map(|r| InstitutionTotal {
                institution: insts
                    .get(&InstitutionId(r.institution_id))
                    .cloned()
                    .map(Institution::from),
                total: r.total,
                open: r.open,
                withheld: r.withheld,
                national_core: r.national_core,
                standard: r.standard,
            })
            .collect())
    }

    /// Openings per month (Asia/Seoul), from the disclosure history.
    async fn openings_per_month(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "From the start of this day (inclusive, Asia/Seoul).")] from: Option<Date>,
        #[graphql(desc = "To the end of this day (inclusive, Asia/Seoul).")] to: Option<Date>,
    ) -> Result<Vec<MonthCount>> {
        let (snap, sel) = (self.snapshot.clone(), self.selection.clone());
        let (from, to) = (day(from), day(to));
        let months = ctx
            .data_unchecked::<catalog::Catalog>()
            .compute(move || catalog::stats::openings_per_month(&snap, &sel.all, from, to))
            .await
            .map_err(ApiError::from)?;
        Ok(months
            .into_iter()
            .map(|(month, count)| MonthCount { month, count })
            .collect())
    }

    /// The not-open datasets most asked for (requests plus supporters).
    async fn most_demanded(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many, at most 100.",
            default = 10,
            validator(minimum = 1, maximum = 100)
        )]
        first: u64,
    ) -> Result<Vec<DemandedDataset>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = stats::most_demanded_in(db, &self.query, Scope::Ids(self.requested()), first)
            .await
            .map_err(ApiError::from)?;
        let loaders = ctx.data_unchecked::<Loaders>();
        let ds = loaders
            .load_many(rows.iter().map(|r| DatasetId(r.dataset_id)))
            .await
            .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(|r| DemandedDataset {
                dataset: ds.get(&DatasetId(r.dataset_id)).cloned().map(Dataset::from),
                requests: r.requests,
                supporters: r.supporters,
            })
            .collect())
    }

    /// Requests per state (all requests when the list is the whole inventory).
    async fn request_outcomes(&self, ctx: &Context<'_>) -> Result<Vec<RequestStateCount>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = stats::request_states_in(db, &self.query, Scope::Ids(self.requested()))
            .await
            .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(|(state, count)| {
                let l =
                    <entity::enums::RequestState as sea_orm::ActiveEnum>::try_from_value(&state)
                        .map(labels::request_state)
                        .unwrap_or(labels::Label {
                            ko: "알 수 없음",
                            en: "Unknown",
                        });
                RequestStateCount {
                    state,
                    state_label: l.into(),
                    count,
                }
            })
            .collect())
    }

    /// How fast institutions decide, and how many requests are overdue today.
    async fn turnaround(&self, ctx: &Context<'_>) -> Result<Turnaround> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let today = ctx.data_unchecked::<SharedClock>().today_seoul();
        let t = stats::turnaround_in(db, &self.query, Scope::Ids(self.requested()), today)
            .await
            .map_err(ApiError::from)?;
        Ok(Turnaround {
            decided: t.decided,
            average_days: t.average_days.map(|d| (d * 10.0).round() / 10.0),
            decided_within_deadline: t.within_deadline,
            overdue: t.overdue,
            long_overdue: t.long_overdue,
        })
    }
}
