//! `commitment`: an OGP commitment (e.g. KR0067, SEO0002) under a plan.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commitment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plan_id: Option<i64>,
    #[sea_orm(unique)]
    pub code: String,
    pub title: String,
    pub lead_institution_id: Option<i64>,
    /// Lead body as written when it is not an institution of the inventory.
    pub lead_name: Option<String>,
    pub description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
