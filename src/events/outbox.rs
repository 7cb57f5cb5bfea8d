//! Writing and reading the outbox table.
//!
//! A writer appends its events with [`append`] as the **last** statement of its transaction.
//! On PostgreSQL [`append`] first takes a transaction-scoped advisory lock, held until commit, so
//! outbox ids are handed out in commit order: when a reader sees id N committed, every id below N
//! is committed or rolled back for good, and a cursor "after N" never skips a late commit. On
//! SQLite writers are serialized by `BEGIN IMMEDIATE`, which gives the same guarantee.

use std::cell::Cell;
use std::future::Future;

use chrono::{DateTime, Utc};
use entity::outbox;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{Event, Topic};

/// The PostgreSQL notification channel: [`append`] notifies it, hubs listen on it.
pub const PG_CHANNEL: &str = "inventory_outbox";

/// Key of the advisory lock that orders outbox commits on PostgreSQL.
const OUTBOX_LOCK: i64 = 0x6f7574626f78; // "outbox"

tokio::task_local! {
    /// The last outbox id [`append`]ed inside [`recording`].
    static APPENDED: Cell<Option<i64>>;
}

/// Runs `work` (a write transaction's body) and tells the last outbox id it appended, if any:
/// the position a reader must reach to see this write.
pub async fn recording<F: Future>(work: F) -> (F::Output, Option<i64>) {
    APPENDED
        .scope(Cell::new(None), async {
            let out = work.await;
            (out, APPENDED.with(Cell::get))
        })
        .await
}

/// More events than this are written in bulk ([`crate::db::bulk`]).
const CHUNK: usize = 1_000;

/// Appends events to the outbox inside the caller's transaction; call it last before commit.
/// Returns the outbox id of the last event appended (None for no events): once the transaction
/// commits, a reader that has seen this id has seen these events. [`recording`] notes it too.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    events: Vec<Event>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    if events.is_empty() {
        return Ok(None);
    }
    let postgres = txn.get_database_backend() == DbBackend::Postgres;
    if postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({OUTBOX_LOCK})"))
            .await?;
    }
    let rows = events
        .iter()
        .map(|e| {
            Ok(outbox::ActiveModel {
                id: NotSet,
                topic: Set(e.topic().as_str().to_string()),
                entity_id: Set(e.entity_id()),
                payload: Set(e.payload().map_err(|e| DbErr::Json(e.to_string()))?),
                created_at: Set(now),
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    let last = if rows.len() <= CHUNK {
        // A mutation's few events: the statement reports its last id (RETURNING on
        // PostgreSQL, the last rowid on SQLite).
        outbox::Entity::insert_many(rows)
            .exec(txn)
            .await?
            .last_insert_id
    } else {
        // An import's: in bulk, then the largest id, which is ours (writers of the outbox are
        // serialized, see the module doc).
        crate::db::bulk::insert(txn, &rows).await?;
        outbox::Entity::find()
            .select_only()
            .column_as(outbox::Column::Id.max(), "id")
            .into_tuple::<Option<i64>>()
            .one(txn)
            .await?
            .flatten()
    };
    // Outside `recording` (the import, the sweeper, tests) nobody asks.
    let _ = APPENDED.try_with(|a| a.set(last));
    if postgres {
        // Delivered when (and only if) the transaction commits: wakes the hubs of all instances.
        txn.execute_unprepared(&format!("NOTIFY {PG_CHANNEL}"))
            .await?;
    }
    Ok(last)
}

/// Committed outbox rows after `cursor` (an outbox id), oldest first. Read them with
/// [`super::Stored::decode`].
pub async fn after<C: ConnectionTrait>(
    db: &C,
    topic: Option<Topic>,
    cursor: i64,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut q = outbox::Entity::find().filter(outbox::Column::Id.gt(cursor));
    if let Some(t) = topic {
        q = q.filter(outbox::Column::Topic.eq(t.as_str()));
    }
    q.order_by_asc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The last outbox id, 0 when empty.
pub async fn last_id<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    Ok(outbox::Entity::find()
        .order_by_desc(outbox::Column::Id)
        .one(db)
        .await?
        .map(|m| m.id)
        .unwrap_or(0))
}
