//! `import_run`: one import of a portal inventory file and its summary.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "import_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub started_at: DateTimeUtc,
    pub finished_at: DateTimeUtc,
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub delisted: i64,
    pub rejected: i64,
    pub warnings: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
