//! The event hub of one server instance: it follows the outbox of committed changes and fans the
//! events out to this instance's subscribers.
//!
//! The outbox is the only source, so only committed changes are ever delivered, in commit order
//! (see [`crate::events`]), and every instance sees every change whichever instance made it. On
//! PostgreSQL writers `NOTIFY inventory_outbox` inside their transaction (delivered at commit)
//! and the hub `LISTEN`s, so delivery across instances is immediate; a slow poll covers a lost
//! listener connection. A commit on this instance wakes its hub directly ([`Hub::poke`], called
//! by the mutations' `write` and the deadline sweeper), so local subscribers get it at once on
//! either database; on SQLite (one instance) a 200 ms poll covers writes from other processes
//! (the `import` command).
//!
//! Fan-out uses a bounded broadcast channel: a subscriber that falls more than
//! [`CHANNEL_CAPACITY`] events behind is told so and closed (it can resume from its last cursor),
//! so a slow subscriber never slows writers or grows memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{Notify, broadcast};

use crate::events::{self, PG_CHANNEL, Stored};

/// Events buffered per instance for subscribers that are behind.
pub const CHANNEL_CAPACITY: usize = 1024;

/// A running hub.
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Stored>>,
    wake: Arc<Notify>,
    /// The last outbox id handed to subscribers (for the lag in `/metrics`).
    applied: Arc<AtomicI64>,
}

impl Hub {
    /// Starts following the outbox from its current end; `url` (PostgreSQL) to `LISTEN`, `poll`
    /// to override [`default_poll`].
    pub async fn start(
        db: DatabaseConnection,
        url: Option<String>,
        poll: Option<Duration>,
    ) -> Result<Hub, sea_orm::DbErr> {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        let wake = Arc::new(Notify::new());
        let start = events::last_id(&db).await?;
        let hub = Hub {
            tx,
            wake,
            applied: Arc::new(AtomicI64::new(start)),
        };
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres
            && let Some(url) = url
        {
            let wake = hub.wake.clone();
            tokio::spawn(async move { listen(url, wake).await });
        }
        let poll = poll.unwrap_or_else(|| default_poll(backend));
        let h = hub.clone();
        tokio::spawn(async move { h.follow(db, start, poll).await });
        Ok(hub)
    }

    /// A receiver of events committed from now on, decoded once for all subscribers.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Stored>> {
        self.tx.subscribe()
    }

    /// The last outbox id this hub has handed to subscribers.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Relaxed)
    }

    /// Asks the hub to look at the outbox now (after a local commit).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    async fn follow(self, db: DatabaseConnection, mut cursor: i64, poll: Duration) {
        // While the database is down: subscribers simply get nothing (they stay connected);
        // the cursor stays where it was, so once it answers again every event committed since
        // is read from the outbox and delivered, none skipped.
        let mut down = false;
        loop {
            let mut wait = poll;
            match events::after(&db, None, cursor, 500).await {
                Ok(rows) => {
                    let full = rows.len() == 500;
                    for r in rows {
                        cursor = r.id;
                        if let Some(ev) = Stored::decode(&r) {
                            // No receivers is fine: nobody is subscribed right now.
                            let _ = self.tx.send(Arc::new(ev));
                        }
                    }
                    self.applied.store(cursor, Ordering::Relaxed);
                    if down {
                        down = false;
                        tracing::info!(
                            position = cursor,
                            "the outbox answers again; subscriptions resume"
                        );
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) => {
                    // Logged once per outage, then retried every second at most (each try is
                    // bounded by the pool's wait), never in a hot loop.
                    if !down {
                        tracing::warn!(error = %e, "reading the outbox failed; subscriptions pause, retrying");
                    }
                    down = true;
                    wait = poll.min(RETRY);
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// How often the hub looks at the outbox without being woken, unless configured
/// (`INVENTORY_OUTBOX_POLL_MS`; the cross-instance test sets it very high to prove that
/// notifications alone deliver): 2 s on PostgreSQL (a safety net behind `LISTEN`), 200 ms on
/// SQLite.
fn default_poll(backend: DbBackend) -> Duration {
    if backend == DbBackend::Postgres {
        Duration::from_secs(2)
    } else {
        Duration::from_millis(200)
    }
}

/// How soon a failed outbox read or notification connection is tried again (at least).
const RETRY: Duration = Duration::from_secs(1);
/// The longest wait between attempts to open the notification connection.
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Wakes the hub on every PostgreSQL notification; reconnects when the connection drops, and
/// wakes the hub after every (re)connection, so events whose notifications were lost meanwhile
/// are read from the outbox at once.
async fn listen(url: String, wake: Arc<Notify>) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut backoff = RETRY;
    let mut failing = false;
    loop {
        // `PgListener::connect` itself retries a refused connection for up to 30 s.
        match PgListener::connect(&url).await {
            Ok(mut l) => {
                if let Err(e) = l.listen(PG_CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed");
                } else {
                    if failing {
                        tracing::info!("LISTEN re-established");
                    }
                    backoff = RETRY;
                    wake.notify_one();
                    loop {
                        // `try_recv` answers `None` when the connection was lost and opened
                        // again (LISTEN renewed): notifications may have been missed, so the
                        // hub looks at the outbox.
                        match l.try_recv().await {
                            Ok(Some(_)) => wake.notify_one(),
                            Ok(None) => {
                                tracing::info!(
                                    "the notification connection dropped; LISTEN re-established"
                                );
                                wake.notify_one();
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "the notification connection dropped");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot open the notification connection; retrying");
                }
            }
        }
        failing = true;
        wake.notify_one();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(RETRY_MAX);
    }
}
