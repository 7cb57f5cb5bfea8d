//! `dataset`: one entry of the inventory, open or not.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dataset")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The portal's key (목록키) when the dataset is on the portal; never set on synthetic rows.
    #[sea_orm(unique)]
    pub portal_key: Option<String>,
    pub title: String,
    pub description: String,
    pub institution_id: i64,
    pub category: Category,
    pub dataset_type: DatasetType,
    /// Keywords, comma separated.
    pub keywords: String,
    pub format: Option<String>,
    pub national_core: bool,
    pub standard: bool,
    pub licence: Option<String>,
    pub update_frequency: Option<String>,
    pub registered_on: Option<Date>,
    pub modified_on: Option<Date>,
    pub views: Option<i64>,
    pub downloads: Option<i64>,
    pub portal_url: Option<String>,
    pub listed: bool,
    pub provenance: Provenance,
    pub source_file: Option<String>,
    pub import_run_id: Option<i64>,
    /// Normalized title and keywords (NFC, lower case, no whitespace) that the search grams come from.
    pub search_title: String,
    /// Normalized description.
    pub search_body: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
