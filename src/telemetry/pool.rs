//! Waiting for a pooled database connection: how many wait now, how long each waited, and those
//! that gave up — which sqlx's pool does not tell (its waiters sit in a private semaphore).
//!
//! Two things sqlx and SeaORM already emit are put together by a `tracing` layer ([`layer`],
//! installed by [`crate::logging::init`]) that looks at nothing else:
//! - every SeaORM call that takes a connection from a pool (`execute`, `query_one`, `query_all`,
//!   `stream`, `begin`, `transaction`, … of `sea_orm::driver::sqlx_*`) runs in a TRACE span of
//!   its own, opened before it asks the pool: its opening is the start of a wait;
//! - sqlx's pool, asked to (`acquire_time_level`, set on every pool [`crate::db`] opens), emits
//!   a TRACE event (target `sqlx::pool::acquire`, field `acquired_after_secs`) in the caller's
//!   task when it hands a connection out, timed by the pool itself from the call to `acquire`
//!   to a live connection (a pooled one checked by `before_acquire`, or a new one opened).
//!
//! A span that opens starts a wait (`waiting + 1`); the pool's event inside it ends the wait
//! (`- 1`, its time recorded with `outcome="acquired"`); a span that closes without that event
//! gave up, after the acquire time-out (sqlx's `PoolTimedOut`: `outcome="timeout"`) or sooner
//! (`abandoned`: its caller was cancelled, e.g. by the request time limit, or the connection
//! could not be opened), its time from the span's opening recorded likewise. So the gauge
//! ([`waiting`]) is exact at any instant, the histogram holds every wait, and the sum of its
//! `_sum` series is the total time spent waiting: its `rate()` is the mean number of tasks
//! waiting (Little's law), which a gauge sampled at scrapes misses between them.
//!
//! Pools are told apart by which of sqlx's two events they send: the background readers' small
//! pool sends its "slow acquire" one every time (a threshold of zero), the pools requests are
//! served from (and the plain ones of [`crate::db::connect`]) never; only the latter's acquires
//! are recorded. Both are TRACE, so no log shows them unless `RUST_LOG` asks for sqlx's TRACE. The gauge and the give-ups
//! cannot tell the pool when the wait starts, so they count every pool's; the background
//! pool's readers practically never wait. A SeaORM pool that emits no event (one not opened by
//! [`crate::db`]) would count each of its calls as a wait lasting the whole call: every pool
//! the server opens goes through [`crate::db`].
//!
//! Cost per pooled SeaORM call: a span in the subscriber's registry (a lock-free slab that
//! reuses its slots), one small allocation for the start time in the span's extensions, a few
//! atomic operations and a histogram record: about 1 µs in a release build, against tens of
//! microseconds for the cheapest statement. Statements inside a transaction take no connection
//! and open no such span.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use metrics::Histogram;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

use super::metrics::{POOL_ACQUIRE, handle};

/// sqlx's event after an acquire.
const ACQUIRE_TARGET: &str = "sqlx::pool::acquire";
/// Its field: seconds from the call to the connection.
const ACQUIRED_AFTER: &str = "acquired_after_secs";
/// A field of its "slow" variant only, the one the background pool sends.
const SLOW_THRESHOLD: &str = "slow_acquire_threshold_secs";
/// The modules of SeaORM's sqlx drivers.
const DRIVERS: [&str; 2] = [
    "sea_orm::driver::sqlx_postgres",
    "sea_orm::driver::sqlx_sqlite",
];
/// Their calls that take a connection from the pool (each an instrumented span of that name).
const ACQUIRING: [&str; 7] = [
    "execute",
    "execute_unprepared",
    "query_one",
    "query_all",
    "stream",
    "begin",
    "transaction",
];

/// Tasks waiting for a pooled connection now.
static WAITING: AtomicI64 = AtomicI64::new(0);

/// Tasks waiting for a pooled connection now (every pool of the process).
pub fn waiting() -> i64 {
    WAITING.load(Ordering::Relaxed).max(0)
}

/// The layer that measures the waits, with its own filter: it sees only the spans and events
/// named above, whatever the log filter (`RUST_LOG`) says, and nothing else.
pub fn layer<S>() -> impl Layer<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    Waits.with_filter(Only)
}

fn is_acquiring_span(meta: &Metadata<'_>) -> bool {
    meta.is_span()
        && *meta.level() == Level::TRACE
        && meta.target().starts_with("sea_orm::driver::sqlx_")
        && DRIVERS.contains(&meta.target())
        && ACQUIRING.contains(&meta.name())
}

fn is_acquire_event(meta: &Metadata<'_>) -> bool {
    meta.is_event() && meta.target() == ACQUIRE_TARGET
}

/// The per-layer filter: the acquiring spans and the acquire events.
struct Only;

impl<S> Filter<S> for Only {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        is_acquiring_span(meta) || is_acquire_event(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_acquiring_span(meta) || is_acquire_event(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
}

/// A wait in progress, in its span's extensions.
struct Wait {
    since: Instant,
    /// The pool has handed the connection out.
    done: bool,
}

/// The histogram's series, by outcome, taken once.
struct Handles {
    acquired: Histogram,
    timeout: Histogram,
    abandoned: Histogram,
}

fn handles() -> &'static Handles {
    static H: OnceLock<Handles> = OnceLock::new();
    H.get_or_init(|| {
        let _ = handle();
        Handles {
            acquired: metrics::histogram!(POOL_ACQUIRE, "outcome" => "acquired"),
            timeout: metrics::histogram!(POOL_ACQUIRE, "outcome" => "timeout"),
            abandoned: metrics::histogram!(POOL_ACQUIRE, "outcome" => "abandoned"),
        }
    })
}

struct Waits;

impl<S> Layer<S> for Waits
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        _: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Wait {
                since: Instant::now(),
                done: false,
            });
            WAITING.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut secs = AcquiredAfter(None);
        event.record(&mut secs);
        let Some(secs) = secs.0.filter(|s| s.is_finite() && *s >= 0.0) else {
            return;
        };
        if let Some(span) = ctx.event_span(event)
            && let Some(wait) = span.extensions_mut().get_mut::<Wait>()
            && !wait.done
        {
            wait.done = true;
            WAITING.fetch_sub(1, Ordering::Relaxed);
        }
        if event.metadata().fields().field(SLOW_THRESHOLD).is_none() {
            handles().acquired.record(secs);
        }
    }

    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(wait) = span.extensions_mut().remove::<Wait>() else {
            return;
        };
        if wait.done {
            return;
        }
        WAITING.fetch_sub(1, Ordering::Relaxed);
        let waited = wait.since.elapsed();
        let h = handles();
        if waited >= crate::db::ACQUIRE_TIMEOUT {
            h.timeout.record(waited.as_secs_f64());
        } else {
            h.abandoned.record(waited.as_secs_f64());
        }
    }
}

/// Reads `acquired_after_secs` off sqlx's event.
struct AcquiredAfter(Option<f64>);

impl Visit for AcquiredAfter {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == ACQUIRED_AFTER {
            self.0 = Some(value);
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}
