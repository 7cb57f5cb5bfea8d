//! `milestone`: a milestone of a commitment, with its IRM completion.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "milestone")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub commitment_id: i64,
    pub title: String,
    pub starts_on: Date,
    /// None when the milestone continues yearly.
    pub ends_on: Option<Date>,
    pub continues_yearly: bool,
    pub completion: Completion,
    pub evidence_url: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
