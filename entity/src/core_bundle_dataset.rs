//! `core_bundle_dataset`: which datasets make up a bundle (many to many).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "core_bundle_dataset")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub bundle_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub dataset_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
