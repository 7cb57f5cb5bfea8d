//! `core_bundle`: a national core-data bundle (국가중점데이터).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_bundle")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub name_en: Option<String>,
    /// Release-plan round, 1 to 5.
    pub round: i32,
    pub release_year: Option<i32>,
    pub lead_institution_id: Option<i64>,
    pub description: String,
    pub synthetic: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
