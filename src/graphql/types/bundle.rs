//! `CoreDataBundle`: a national core-data bundle (국가중점데이터).

use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use entity::core_bundle;

use super::dataset::Dataset;
use super::institution::Institution;
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::loaders::{BundleDatasets, DatasetId, InstitutionId, Loaders};

/// A bundle of high-demand data chosen by the Open Data Strategy Council.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct CoreDataBundle {
    /// Global id.
    pub id: ID,
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: Option<String>,
    /// Release-plan round, 1 to 5.
    pub round: i32,
    /// Year of release.
    pub release_year: Option<i32>,
    /// Description.
    pub description: String,
    /// True for fictional fill-in bundles of the demo.
    pub synthetic: bool,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub lead_institution_id: Option<i64>,
}

impl From<core_bundle::Model> for CoreDataBundle {
    fn from(m: core_bundle::Model) -> Self {
        CoreDataBundle {
            id: encode(NodeKind::CoreDataBundle, m.id),
            name: m.name,
            name_en: m.name_en,
            round: m.round,
            release_year: m.release_year,
            description: m.description,
            synthetic: m.synthetic,
            row_id: m.id,
            lead_institution_id: m.lead_institution_id,
        }
    }
}

/// The period of a release-plan round, e.g. "2015–2016".
pub fn round_period(round: i32) -> &'static str {
    match round {
        1 => "2015–2016",
        2 => "2017–2019",
        3 => "2020–2022",
        4 => "2023–2025",
        5 => "2026–2028",
        _ => "unknown",
    }
}

#[ComplexObject]
impl CoreDataBundle {
    /// Period of the round, e.g. "2020–2022".
    async fn round_period(&self) -> &'static str {
        round_period(self.round)
    }

    /// Lead institution.
    async fn lead_institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        let Some(id) = self.lead_institution_id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(InstitutionId(id))
            .await?
            .map(Institution::from))
    }

    /// Datasets in the bundle (at most 100, by id). Counts `first` times the cost of one
    /// dataset toward the complexity limit.
    #[graphql(complexity = "first as usize * child_complexity + 1")]
    async fn datasets(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many, at most 100.",
            default = 20,
            validator(minimum = 0, maximum = 100)
        )]
        first: u64,
    ) -> Result<Vec<Dataset>> {
        let l = ctx.data_unchecked::<Loaders>();
        let ids = l
            .load_one(BundleDatasets {
                bundle: self.row_id,
                first,
            })
            .await?
            .unwrap_or_default();
        let mut rows = l.load_many(ids.iter().copied().map(DatasetId)).await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| rows.remove(&DatasetId(id)))
            .map(Dataset::from)
            .collect())
    }
}
