//! The outbox of committed changes.
//!
//! A writer appends its events with [`append`] as the **last** statement of its transaction.
//! On PostgreSQL [`append`] first takes a transaction-scoped advisory lock, held until commit, so
//! outbox ids are handed out in commit order: when a reader sees id N committed, every id below N
//! is committed or rolled back for good, and a cursor "after N" never skips a late commit. On
//! SQLite writers are serialized by `BEGIN IMMEDIATE`, which gives the same guarantee.

use chrono::{DateTime, Utc};
use entity::outbox;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Topic of disclosure changes (the change feed and `disclosureChanged`).
pub const DISCLOSURE: &str = "disclosure";

/// The outbox payload of a disclosure change.
pub fn disclosure_payload(
    e: &entity::disclosure_event::Model,
    institution_id: i64,
    category: &str,
) -> serde_json::Value {
    serde_json::json!({
        "event_id": e.id,
        "dataset_id": e.dataset_id,
        "institution_id": institution_id,
        "category": category,
        "from": e.from_status.map(|s| sea_orm::ActiveEnum::to_value(&s)),
        "to": sea_orm::ActiveEnum::to_value(&e.to_status),
        "ground": e.ground.map(|g| sea_orm::ActiveEnum::to_value(&g)),
        "occurred_at": e.occurred_at,
    })
}

/// Key of the advisory lock that orders outbox commits on PostgreSQL.
const OUTBOX_LOCK: i64 = 0x6f7574626f78; // "outbox"

/// An event to publish once its transaction commits.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub topic: &'static str,
    pub entity_id: i64,
    pub payload: serde_json::Value,
}

/// Appends events to the outbox inside the caller's transaction; call it last before commit.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    events: Vec<NewEvent>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if events.is_empty() {
        return Ok(());
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({OUTBOX_LOCK})"))
            .await?;
    }
    for chunk in events.chunks(1_000) {
        let rows = chunk.iter().map(|e| outbox::ActiveModel {
            id: NotSet,
            topic: Set(e.topic.to_string()),
            entity_id: Set(e.entity_id),
            payload: Set(e.payload.clone()),
            created_at: Set(now),
        });
        outbox::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    if txn.get_database_backend() == DbBackend::Postgres {
        // Delivered when (and only if) the transaction commits: wakes the hubs of all instances.
        txn.execute_unprepared(&format!("NOTIFY {}", crate::hub::PG_CHANNEL))
            .await?;
    }
    Ok(())
}

/// Topic of milestone changes.
pub const MILESTONE: &str = "milestone";

/// Committed events after `cursor` (an outbox id), oldest first.
pub async fn after<C: ConnectionTrait>(
    db: &C,
    topic: Option<&str>,
    cursor: i64,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut q = outbox::Entity::find().filter(outbox::Column::Id.gt(cursor));
    if let Some(t) = topic {
        q = q.filter(outbox::Column::Topic.eq(t));
    }
    q.order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
