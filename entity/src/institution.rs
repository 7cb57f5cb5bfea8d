//! `institution`: a provider institution (제공기관), keyed by its portal code.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "institution")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    pub kind: InstitutionKind,
    /// True when `kind` was set by hand instead of derived from the code.
    pub kind_overridden: bool,
    pub parent_id: Option<i64>,
    /// A parent guessed from the name stays unconfirmed until an admin confirms it.
    pub parent_confirmed: bool,
    pub synthetic: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
