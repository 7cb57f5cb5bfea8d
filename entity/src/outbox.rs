//! `outbox`: committed change events, in commit order.
//!
//! Writers append their events as the last step of a transaction while holding the outbox
//! commit lock (see `inventory::events`), so `id` order is commit order on both databases and a
//! reader resuming after id N never misses an event that committed late.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `disclosure`, `request`, `milestone`, …
    pub topic: String,
    pub entity_id: i64,
    pub payload: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
