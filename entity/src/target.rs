//! `target`: a numeric target; its progress is computed from the history, never stored.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "target")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub commitment_id: Option<i64>,
    pub plan_id: Option<i64>,
    pub title: String,
    pub metric: TargetMetric,
    pub baseline_on: Date,
    /// Size of the population at the baseline (e.g. 263,342 withheld entries).
    pub baseline_value: i64,
    /// How many must be reached (e.g. 106,930 opened).
    pub target_value: i64,
    pub due_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
