//! `account`: a person or body using the API. `display_name` and `contact` are personal data.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub display_name: String,
    pub contact: Option<String>,
    pub role: Role,
    /// Scope of an officer: this institution and its confirmed sub-institutions.
    pub institution_id: Option<i64>,
    pub synthetic: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
