//! `institution_name`: former names of an institution (its code stays, its name changes).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "institution_name")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub institution_id: i64,
    /// The name that was replaced.
    pub name: String,
    /// When it stopped being the current name.
    pub replaced_at: DateTimeUtc,
    /// What recorded the change (an import file, an account).
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
