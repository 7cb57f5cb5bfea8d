//! `disclosure`: the current disclosure of a dataset (one row per dataset).

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: i64,
    pub status: DisclosureStatus,
    pub ground: Option<WithholdingGround>,
    /// The statute text the institution relies on; none for practical reasons.
    pub legal_basis: Option<String>,
    pub explanation: Option<String>,
    /// Mitigations offered, comma separated: DE_IDENTIFIED, STATISTICS_ONLY, VERIFICATION_API.
    pub mitigation: String,
    pub planned_open_on: Option<Date>,
    pub next_review_on: Option<Date>,
    /// Optimistic-concurrency version, incremented on every change.
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
