//! `request_event`: append-only history of a request's state changes.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub from_state: Option<RequestState>,
    pub to_state: RequestState,
    /// The role that acted (never the person).
    pub actor_role: String,
    pub actor_account_id: Option<i64>,
    pub note: Option<String>,
    pub due_on: Option<Date>,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
