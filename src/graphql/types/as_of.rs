//! The catalog as of a past day: a dataset's state then (`Dataset.stateAsOf`), and
//! `catalogChanges` (what changed between two days, per bucket, institution and category).

use async_graphql::{ComplexObject, Context, Result, SimpleObject};
use chrono::NaiveDate;

use super::date::Date;
use super::enums::{Category, DisclosureStatus, WithholdingGround};
use super::institution::Institution;
use super::label::Label;
use crate::catalog::changes::{Counts, Tally};
use crate::domain::as_of::{Bucket, State};
use crate::domain::labels;
use crate::error::ApiError;
use crate::graphql::loaders::{InstitutionId, Loaders};

/// A dataset's disclosure and listing as they stood at the end of a day (Asia/Seoul), rebuilt
/// from its history: the last change before the next day began.
#[derive(SimpleObject, Clone, Debug)]
pub struct DatasetStateAsOf {
    /// The day (the list's `asOf`).
    pub day: Date,
    /// The status at the end of that day.
    pub status: DisclosureStatus,
    /// The withholding ground then (withheld and partially open entries).
    pub ground: Option<WithholdingGround>,
    /// Whether it was listed then.
    pub listed: bool,
}

impl DatasetStateAsOf {
    pub fn new(day: NaiveDate, s: State) -> Self {
        DatasetStateAsOf {
            day: Date(day),
            status: s.status.into(),
            ground: s.ground.map(Into::into),
            listed: s.listed,
        }
    }
}

/// Datasets per kind of change; each dataset is counted in at most one (see `catalogChanges`).
#[derive(SimpleObject, Clone, Copy, Debug, Default)]
pub struct ChangeCounts {
    /// Became OPEN from another status.
    pub opened: u64,
    /// Became WITHHELD or PARTIALLY_OPEN from neither (new entries that start so included).
    pub newly_withheld: u64,
    /// Withheld or partially open on both days, on another ground.
    pub ground_changed: u64,
    /// Became listed (new listed entries that are not withheld included).
    pub listed: u64,
    /// Became delisted.
    pub delisted: u64,
    /// All of the above.
    pub total: u64,
}

impl From<Counts> for ChangeCounts {
    fn from(c: Counts) -> Self {
        ChangeCounts {
            opened: c.get(Bucket::Opened),
            newly_withheld: c.get(Bucket::NewlyWithheld),
            ground_changed: c.get(Bucket::GroundChanged),
            listed: c.get(Bucket::Listed),
            delisted: c.get(Bucket::Delisted),
            total: c.total(),
        }
    }
}

/// One institution's changes (the institution that holds the datasets today).
#[derive(SimpleObject, Clone, Debug)]
pub struct InstitutionChanges {
    /// The institution.
    pub institution: Option<Institution>,
    /// Its datasets' changes.
    pub changes: ChangeCounts,
}

/// One category's changes (the datasets' category today).
#[derive(SimpleObject, Clone, Debug)]
pub struct CategoryChanges {
    /// The category.
    pub category: Category,
    /// Its labels.
    pub label: Label,
    /// Its datasets' changes.
    pub changes: ChangeCounts,
}

/// What changed between the end of `from` and the end of `to` (Asia/Seoul).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CatalogChanges {
    /// The first day compared.
    pub from: Date,
    /// The second day compared.
    pub to: Date,
    /// Counts over the whole inventory.
    pub totals: ChangeCounts,
    #[graphql(skip)]
    pub tally: Tally,
}

#[ComplexObject]
impl CatalogChanges {
    /// Per institution (as of today), most changes first, then by institution code;
    /// institutions without changes left out.
    async fn by_institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many, at most 100.",
            default = 10,
            validator(minimum = 1, maximum = 100)
        )]
        first: u64,
    ) -> Result<Vec<InstitutionChanges>> {
        let rows: Vec<(i64, Counts)> = self
            .tally
            .by_institution
            .iter()
            .take(first as usize)
            .copied()
            .collect();
        let insts = ctx
            .data_unchecked::<Loaders>()
            .load_many(rows.iter().map(|(id, _)| InstitutionId(*id)))
            .await
            .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .map(|(id, c)| InstitutionChanges {
                institution: insts
                    .get(&InstitutionId(id))
                    .cloned()
                    .map(Institution::from),
                changes: c.into(),
            })
            .collect())
    }

    /// Per category (as of today), most changes first; categories without changes left out.
    async fn by_category(&self) -> Vec<CategoryChanges> {
        self.tally
            .by_category
            .iter()
            .map(|(cat, c)| CategoryChanges {
                category: (*cat).into(),
                label: labels::category(*cat).into(),
                changes: (*c).into(),
            })
            .collect()
    }
}
