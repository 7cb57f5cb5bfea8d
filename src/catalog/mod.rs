//! The catalog: a per-instance, in-memory, read-only snapshot of the dataset list that answers
//! counts, facets, dataset-only statistics and the ids of keyset pages in milliseconds.
//!
//! - [`snapshot`]: the [`Snapshot`] (rows sorted by dataset id, bitmaps per facet value and per
//!   search bigram, copy-on-write parts);
//! - [`load`]: reading it from the database, whole or the touched parts;
//! - [`apply`]: which rows a batch of outbox events touched, and the next snapshot;
//! - [`changes`]: what changed between two days, per bucket, institution and category (a
//!   snapshot restated as of a past day is [`Snapshot::restated`]);
//! - [`select`]: a filter and a resolved search as a [`Selection`] (bitmap operations), totals
//!   and facet counts;
//! - [`page`]: keyset pages (bounded heap), then the rows read by id in one statement;
//! - [`stats`]: top institutions and openings per month;
//! - [`institutions`]: each institution's figures, institution search and ordered pages;
//! - [`review`]: the review queue of open by default (its pages and its count);
//! - [`gate`]: the concurrency bound heavy figures run under ([`Catalog::compute`]).
//!
//! # Consistency
//!
//! A snapshot reflects the database at one outbox position: it is read, or moved forward, inside
//! one read transaction together with that position (SQLite's WAL snapshot, PostgreSQL's
//! `REPEATABLE READ`), and published whole by swapping an `Arc` ([`arc_swap`]), so no reader
//! sees part of a transaction. The database stays the only source of truth: a new instance loads
//! fresh, and each instance follows the outbox on its own ([`Catalog::follow`]).
//!
//! When the catalog follows the outbox (a server, see [`crate::run`]), readers take the latest
//! published snapshot without touching the database, and a writer waits for its own change with
//! [`Catalog::sync`] or [`Catalog::wait_for`] (read your writes). When nothing follows (tests,
//! tools), every read first catches up with what is committed ([`Catalog::read`]).
//!
//! Nothing in a snapshot depends on today's date (request figures stay in SQL), so nothing needs
//! recomputing at midnight: dates are kept as dates (a review date, the day an entry was
//! withheld) and compared with the request's today when asked ([`review`]).

pub mod apply;
pub mod changes;
pub mod gate;
pub mod institutions;
pub mod load;
pub mod page;
pub mod review;
pub mod select;
pub mod snapshot;
pub mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use chrono::{DateTime, Utc};
use sea_orm::{AccessMode, DatabaseConnection, DbBackend, DbErr, IsolationLevel, TransactionTrait};

pub use gate::{Busy, Gate, Limits};
pub use select::Selection;
pub use snapshot::Snapshot;

use crate::domain::datasets::{ResolvedSearch, Search, resolve_terms};

/// The catalog of one instance: the current snapshot and how to move it forward.
#[derive(Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

struct Inner {
    db: DatabaseConnection,
    current: ArcSwapOption<Snapshot>,
    /// One catch-up at a time.
    moving: tokio::sync::Mutex<()>,
    /// The published position, for [`Catalog::wait_for`].
    position: tokio::sync::watch::Sender<i64>,
    following: AtomicBool,
    gate: Gate,
    /// Since when following the outbox has failed because the database does not answer (None
    /// while it answers): reads answered from the snapshot meanwhile are [`Stale`].
    unreachable: std::sync::Mutex<Option<DateTime<Utc>>>,
}

/// A read answered from a snapshot while the database could not be reached: the outbox
/// position it reflects and since when the catalog could not follow. The GraphQL executor puts
/// it in the response's `extensions.stale` ([`noting_stale`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    pub position: i64,
    pub since: DateTime<Utc>,
}

impl Stale {
    /// `{"position": …, "since": "…"}`.
    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "position": self.position,
            "since": self.since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
    }
}

tokio::task_local! {
    /// Set by [`Catalog::read`] when the request running on this task read a stale snapshot.
    static STALE_READ: std::cell::Cell<Option<Stale>>;
}

/// Runs `work` (one GraphQL operation) and says whether anything in it read a stale snapshot.
pub async fn noting_stale<F: std::future::Future>(work: F) -> (F::Output, Option<Stale>) {
    STALE_READ
        .scope(std::cell::Cell::new(None), async {
            let out = work.await;
            (out, STALE_READ.with(|c| c.get()))
        })
        .await
}

impl Catalog {
    /// A catalog over `db`, loaded on first use (or by [`Catalog::load`]), with the default
    /// bound on heavy work.
    pub fn new(db: DatabaseConnection) -> Catalog {
        Catalog::with_limits(db, Limits::default())
    }

    /// A catalog whose heavy work runs under `limits`.
    pub fn with_limits(db: DatabaseConnection, limits: Limits) -> Catalog {
        Catalog {
            inner: Arc::new(Inner {
                db,
                current: ArcSwapOption::empty(),
                moving: tokio::sync::Mutex::new(()),
                position: tokio::sync::watch::channel(0).0,
                following: AtomicBool::new(false),
                gate: Gate::new(limits),
                unreachable: std::sync::Mutex::new(None),
            }),
        }
    }

    /// Runs heavy work (a figure over a large selection) under the gate: on a blocking thread,
    /// at most [`Limits::workers`] at a time; [`Busy`] when too many wait.
    pub async fn compute<T, F>(&self, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.inner.gate.run(work).await
    }

    /// The bound heavy work runs under.
    pub fn limits(&self) -> Limits {
        self.inner.gate.limits()
    }

    /// Heavy computations running and callers waiting for the gate, now.
    pub fn heavy_load(&self) -> (usize, usize) {
        self.inner.gate.load()
    }

    /// The latest published snapshot, if any was loaded.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.inner.current.load_full()
    }

    /// The snapshot to answer a read from: the latest published one when the catalog follows
    /// the outbox, otherwise one caught up with everything committed.
    pub async fn read(&self) -> Result<Arc<Snapshot>, DbErr> {
        if self.inner.following.load(Ordering::Acquire)
            && let Some(s) = self.current()
        {
            if let Some(stale) = self.stale() {
                let _ = STALE_READ.try_with(|c| c.set(Some(stale)));
            }
            return Ok(s);
        }
        self.sync().await
    }

    /// Whether the catalog follows the outbox but cannot reach the database now: the position
    /// its snapshot reflects and since when.
    pub fn stale(&self) -> Option<Stale> {
        let since = (*self
            .inner
            .unreachable
            .lock()
            .unwrap_or_else(|e| e.into_inner()))?;
        let position = self.current().map_or(0, |s| s.position);
        Some(Stale { position, since })
    }

    fn reached(&self, ok: bool) {
        let mut u = self
            .inner
            .unreachable
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match (ok, u.is_some()) {
            (true, true) => {
                tracing::info!("catalog: the database answers again; following the outbox");
                *u = None;
            }
            (false, false) => *u = Some(Utc::now()),
            _ => {}
        }
    }

    /// Loads everything again now.
    pub async fn load(&self) -> Result<Arc<Snapshot>, DbErr> {
        let _moving = self.inner.moving.lock().await;
        let started = Instant::now();
        let txn = begin_read(&self.inner.db).await?;
        let at = load::position(&txn).await?;
        let snap = load::everything(&txn, at).await?;
        txn.commit().await?;
        tracing::info!(
            position = at,
            datasets = snap.alive.len(),
            grams = snap.gram_count(),
            "catalog loaded in {:.0} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        Ok(self.publish(snap))
    }

    /// Catches up with everything committed now and returns that snapshot (read your writes).
    pub async fn sync(&self) -> Result<Arc<Snapshot>, DbErr> {
        let Some(cur) = self.current() else {
            return self.load().await;
        };
        // One cheap statement when nothing changed.
        if load::position(&self.inner.db).await? <= cur.position {
            return Ok(cur);
        }
        let _moving = self.inner.moving.lock().await;
        let cur = self.current().expect("published before");
        let txn = begin_read(&self.inner.db).await?;
        let to = load::position(&txn).await?;
        if to <= cur.position {
            txn.commit().await?;
            return Ok(cur);
        }
        let started = Instant::now();
        let next = match apply::catch_up(&txn, &cur, to).await {
            Ok(Some(next)) => next,
            other => {
                if let Err(e) = other {
                    tracing::warn!(error = %e, "catalog: applying events failed; reloading");
                }
                let snap = load::everything(&txn, to).await?;
                tracing::info!(
                    position = to,
                    "catalog reloaded in {:.0} ms",
                    started.elapsed().as_secs_f64() * 1e3
                );
                snap
            }
        };
        txn.commit().await?;
        drop(_moving);
        Ok(self.publish(next))
    }

    fn publish(&self, snap: Snapshot) -> Arc<Snapshot> {
        let snap = Arc::new(snap);
        let position = snap.position;
        self.inner.current.store(Some(snap.clone()));
        self.inner.position.send_replace(position);
        snap
    }

    /// Waits until the published snapshot reflects outbox position `position`, at most `bound`;
    /// returns whether it does.
    pub async fn wait_for(&self, position: i64, bound: Duration) -> bool {
        let reached =
            |s: &Option<Arc<Snapshot>>| s.as_ref().is_some_and(|s| s.position >= position);
        if reached(&self.current()) {
            return true;
        }
        if !self.inner.following.load(Ordering::Acquire) {
            return match tokio::time::timeout(bound, self.sync()).await {
                Ok(Ok(s)) => s.position >= position,
                _ => false,
            };
        }
        let mut rx = self.inner.position.subscribe();
        tokio::time::timeout(bound, rx.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Follows the outbox through `hub`: every batch of committed events moves the snapshot
    /// forward. Loads first if nothing is loaded yet.
    pub async fn follow(&self, hub: &crate::hub::Hub) -> Result<(), DbErr> {
        let mut rx = hub.subscribe();
        if self.current().is_none() {
            self.load().await?;
        }
        self.inner.following.store(true, Ordering::Release);
        let me = self.clone();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                // Without events it still looks once a second (one cheap statement), so a
                // database that stops answering marks reads stale within about 3 s.
                let woke = tokio::time::timeout(Duration::from_secs(1), rx.recv()).await;
                if matches!(woke, Ok(Err(RecvError::Closed))) {
                    break;
                }
                // Take the whole batch that arrived meanwhile, then catch up once.
                while !matches!(
                    rx.try_recv(),
                    Err(tokio::sync::broadcast::error::TryRecvError::Empty
                        | tokio::sync::broadcast::error::TryRecvError::Closed)
                ) {}
                match me.sync().await {
                    Ok(_) => me.reached(true),
                    Err(e) if crate::error::unavailable(&e).is_some() => {
                        if me.stale().is_none() {
                            tracing::warn!(error = %e, "catalog: the database does not answer; reads from the snapshot are marked stale; retrying");
                        }
                        me.reached(false);
                    }
                    Err(e) => tracing::warn!(error = %e, "catalog: catching up failed; retrying"),
                }
            }
        });
        Ok(())
    }

    /// Resolves a search's institution-name and label matches from the snapshot (no database).
    pub fn resolve(snap: &Snapshot, search: Option<&Search>) -> Option<ResolvedSearch> {
        let search = search?;
        let insts = search
            .terms
            .iter()
            .map(|t| {
                snap.insts
                    .iter()
                    .filter(|i| i.names.contains(t.as_str()))
                    .map(|i| i.id)
                    .collect()
            })
            .collect();
        Some(resolve_terms(search, insts))
    }
}

/// A read transaction whose reads all see one committed state.
async fn begin_read(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await
    } else {
        // SQLite: a deferred transaction reads one WAL snapshot from its first read on.
        db.begin().await
    }
}
