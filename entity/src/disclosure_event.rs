//! `disclosure_event`: append-only history of disclosure changes.
//! The first event of a dataset (no `from_status`) records how it entered the inventory. Each
//! event also says whether the dataset was listed before (`from_listed`) and after (`listed`)
//! it: a delisting or relisting is an event whose status stays the same.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosure_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub dataset_id: i64,
    pub from_status: Option<DisclosureStatus>,
    pub to_status: DisclosureStatus,
    pub ground: Option<WithholdingGround>,
    pub explanation: Option<String>,
    /// Who made the change: `import:<file>`, `demo`, `account:<id>`.
    pub actor: String,
    pub actor_account_id: Option<i64>,
    pub occurred_at: DateTimeUtc,
    /// Listed before the event; null for the first event.
    pub from_listed: Option<bool>,
    /// Listed after the event.
    pub listed: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
