//! A GraphQL API over a country's whole public data inventory: every dataset that
//! administrative and public institutions hold, **including the ones they withhold**, with the
//! reason and its legal basis, the history of every disclosure change, national core-data
//! bundles, plans, commitments, milestones and targets, and citizens' requests for data.
//!
//! # Layout
//!
//! Data flows one way: HTTP → GraphQL → domain → database. Each concern lives in one place:
//!
//! - [`auth`]: bearer tokens (stored as SHA-256), roles, the viewer.
//! - [`catalog`]: the in-memory snapshot of the dataset list (bitmaps per facet value and
//!   search bigram) that answers totals, facets, dataset statistics, page ids, institutions
//!   and the review queue ([`catalog::review`]), restated as of a past day when asked
//!   ([`catalog::Snapshot::restated`], [`catalog::changes`]); it follows the outbox, and bounds
//!   heavy work ([`catalog::gate`]).
//! - [`check`]: `inventory check`, the invariants any database must hold (the current
//!   disclosure and listing are the history's last event, versions count events, provided
//!   requests opened their data, a gapless outbox, search text and catalog figures that match
//!   the data), as plain async functions returning a report.
//! - [`config`]: one `Config` from flags and the environment, read once at start: the database
//!   URL (SQLite under `./data/` unless `DATABASE_URL` says otherwise), the address, the demo,
//!   the outbox poll, the workflow's deadlines.
//! - [`db`]: connecting, SQLite pragmas (WAL, `synchronous=FULL`, foreign keys), pools,
//!   migrations on start, `BEGIN IMMEDIATE` write transactions; [`db::bulk`]: many rows per
//!   statement, as typed arrays on PostgreSQL and one JSON parameter on SQLite (imports, the
//!   demo).
//! - [`clock`]: the one injectable source of time.
//! - [`error`]: the API's error (`ApiError`) and its `extensions.code`; the domain's one error
//!   ([`domain::Error`]) maps into it in one place.
//! - [`domain`]: plain functions over a connection, no GraphQL types:
//!   - [`domain::datasets`]: dataset lists: filter, search (parsing, resolving, conditions,
//!     relevance), `FROM … WHERE`, keyset pages, facets; [`domain::sql`] is the SQL builder
//!     every hand-written query uses;
//!   - [`domain::workflow`]: the request workflow as one transition table (state × step → who,
//!     next state) read by the actions and by `allowedSteps`, one function per action, filing,
//!     lapsed proposals; [`domain::requests`]: open states, "overdue", request lists;
//!     [`domain::deadlines`]: periods and holidays;
//!   - [`domain::disclosure`], [`domain::registry`], [`domain::institutions`],
//!     [`domain::bundles`], [`domain::plans`], [`domain::stats`], [`domain::labels`],
//!     [`domain::text`], [`domain::signup`]; [`domain::openings`]: what counts as an opening
//!     (openings per month and targets' progress); [`domain::edits`]: editing and deleting
//!     plans, commitments, milestones, targets and bundles; [`domain::as_of`]: each entry's
//!     state at the end of a past day from the history, and the one bucket a change between two
//!     days falls in (`datasets(asOf:)`, `catalogChanges`).
//! - [`events`]: the outbox of committed changes, in commit order, as one typed `Event` (topic
//!   from the variant); the audit trail; the PostgreSQL notification channel. [`hub`] follows it
//!   for subscribers.
//! - [`import`]: the portal inventory CSV reader and upsert.
//! - [`demo`]: the deterministic demo inventory, one file per phase of its build.
//! - [`graphql`]: `schema()` without data; `graphql/context.rs`: the per-request data (built
//!   once for HTTP and WebSocket), the caller, and `write`, the one way mutations write; the root
//!   query (`query.rs`, objects by id in `node.rs`), mutation and subscription; every list's
//!   paging in `pagination.rs` (page sizes, cursors checked for their list, keyset pages, the
//!   per-page prefetch of `prefetch.rs`); batching `loaders.rs` (their SQL is the domain's);
//!   view types one per file under `graphql/types/`; `codes.rs`: an executor around the schema
//!   that codes async-graphql's own errors; the GraphiQL examples.
//! - [`export`]: CSV and DCAT-AP renderings of a dataset list, read in keyset pages.
//! - [`rate_limit`]: the budget of cost points per token and per client address, per minute,
//!   shared by instances on PostgreSQL.
//! - [`http`]: the axum router: `/graphql` (and `/graphql/ws`), GraphiQL on `/`, `/healthz`,
//!   `/readyz`, `/metrics`, `/export/…`; validators and `304`s on GET queries and exports, and
//!   automatic persisted queries, in the HTTP handler (no schema extension).
//! - [`lifecycle`]: starting, serving, stopping; graceful shutdown (WebSockets tracked and
//!   closed with 1001, the bound); [`logging`]: JSON lines or text.
//! - [`telemetry`]: Prometheus metrics per operation, SQL statement and wait for a pooled
//!   connection, and OTLP traces when configured, measured in the executor wrapper, SeaORM's
//!   statement callback and a `tracing` layer (`telemetry/pool.rs`).
//!
//! The binary (`src/main.rs`) has the subcommands `serve`, `import`, `demo`, `check`, `token`
//! and `export-schema`.

pub mod auth;
pub mod catalog;
pub mod check;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod export;
pub mod graphql;
pub mod http;
pub mod hub;
pub mod import;
pub mod lifecycle;
pub mod logging;
pub mod rate_limit;
pub mod telemetry;

use std::future::Future;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use clock::SharedClock;
use graphql::Api;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: Api,
    pub clock: SharedClock,
    /// The configuration read at start.
    pub config: std::sync::Arc<config::Config>,
    /// Periods and holidays of the request workflow in force (`config.deadlines` at start; a
    /// test may put others here).
    pub deadlines: std::sync::Arc<domain::deadlines::Deadlines>,
    /// Follows the outbox for subscriptions (started by [`run`] or [`AppState::start_hub`]).
    pub hub: Option<hub::Hub>,
    /// The in-memory dataset list (loaded on first use, or at start by [`run`]).
    pub catalog: catalog::Catalog,
    /// Live WebSocket connections per client address and per account (their caps).
    pub live: std::sync::Arc<http::Live>,
    /// Documents of automatic persisted queries, by hash (this instance's, bounded).
    pub persisted: http::Persisted,
    /// Starting, serving or stopping; open WebSockets (see [`lifecycle`]).
    pub lifecycle: lifecycle::Lifecycle,
    /// The rate limit's budgets (synced with other instances by [`run`] on PostgreSQL).
    pub rate_limit: std::sync::Arc<rate_limit::RateLimiter>,
}

impl AppState {
    /// State with the default configuration (what tests use).
    pub fn new(db: DatabaseConnection, clock: SharedClock) -> Self {
        Self::with_config(db, clock, config::Config::default())
    }

    /// State with a configuration.
    pub fn with_config(db: DatabaseConnection, clock: SharedClock, config: config::Config) -> Self {
        let mut db = db;
        telemetry::sql::observe(&mut db);
        AppState {
            live: Default::default(),
            persisted: Default::default(),
            lifecycle: Default::default(),
            rate_limit: std::sync::Arc::new(rate_limit::RateLimiter::new(config.rate_limit)),
            catalog: catalog::Catalog::with_limits(db.clone(), config.heavy),
            db,
            schema: graphql::api().max_operations(config.metrics_max_operations),
            clock,
            deadlines: std::sync::Arc::new(config.deadlines.clone()),
            config: std::sync::Arc::new(config),
            hub: None,
        }
    }

    /// Starts following the outbox, if not yet.
    pub async fn start_hub(&mut self) -> Result<(), sea_orm::DbErr> {
        if self.hub.is_none() {
            let url = self.config.database_url.clone();
            let poll = self.config.outbox_poll;
            self.hub = Some(hub::Hub::start(self.db.clone(), url, poll).await?);
        }
        Ok(())
    }
}

/// The service's router.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Serves on `listener` until `shutdown` completes, then shuts down gracefully within
/// `config.shutdown` ([`lifecycle::serve`]): in-flight requests finish, WebSockets are closed
/// with 1001.
pub async fn run(
    listener: TcpListener,
    mut state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The outbox hub and the catalog read through a small pool of their own, so they never
    // wait behind user queries (tests that hand over only a connection share it).
    if let Some(url) = state.config.database_url.clone()
        && state.hub.is_none()
    {
        let background = db::connect_background(&url)
            .await
            .map_err(std::io::Error::other)?;
        state.hub = Some(
            hub::Hub::start(background.clone(), Some(url), state.config.outbox_poll)
                .await
                .map_err(std::io::Error::other)?,
        );
        state.catalog = catalog::Catalog::with_limits(background, state.config.heavy);
    }
    state.start_hub().await.map_err(std::io::Error::other)?;
    if let Some(hub) = &state.hub {
        // Loaded before serving, so the first request is fast.
        state
            .catalog
            .follow(hub)
            .await
            .map_err(std::io::Error::other)?;
    }
    let sweeper = tokio::spawn(sweep_deadlines(
        state.db.clone(),
        state.clock.clone(),
        state.hub.clone(),
    ));
    // Instances on one PostgreSQL database share the rate limit's count.
    let rate_sync = (state.config.rate_limit.enabled
        && state.db.get_database_backend() == sea_orm::DbBackend::Postgres)
        .then(|| tokio::spawn(state.rate_limit.clone().follow(state.db.clone())));
    let life = state.lifecycle.clone();
    let signal = tokio::spawn({
        let life = life.clone();
        async move {
            shutdown.await;
            life.stop();
        }
    });
    life.serving();
    // The start-up server (the binary's) stops accepting first: from here on every answer is
    // the API's.
    life.early_stopped().await;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("serving GraphQL at http://{addr}/graphql and GraphiQL at http://{addr}/");
    }
    let settings = state.config.shutdown;
    let served = lifecycle::serve(listener, app(state), life, settings).await;
    signal.abort();
    sweeper.abort();
    if let Some(sync) = rate_sync {
        sync.abort();
    }
    served
}

/// How often a server records mediation proposals that lapsed unanswered.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Records lapsed mediation proposals now and then (queries show them lapsed at once anyway;
/// this makes the lapse an event that subscribers and the history see). Several instances may
/// sweep together: each lapse is recorded once.
async fn sweep_deadlines(db: DatabaseConnection, clock: SharedClock, hub: Option<hub::Hub>) {
    loop {
        match domain::workflow::lapse_expired(&db, clock.now()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(lapsed = n, "recorded lapsed mediation proposals");
                if let Some(h) = &hub {
                    h.poke();
                }
            }
            Err(e) => tracing::warn!(error = %e, "sweeping lapsed proposals failed"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}

/// Connects, migrates, and fills an empty inventory with the demo at `demo_scale` (if given).
/// Returns the connection and the demo summary when one was built.
///
/// On PostgreSQL, migrations and the demo build run under [`db::SetupLock`], so several
/// instances starting at once on one database migrate once and build the demo once; the others
/// wait, then find the work done.
pub async fn prepare(
    url: &str,
    demo_scale: Option<f64>,
) -> anyhow::Result<(DatabaseConnection, Option<demo::DemoSummary>)> {
    let db = db::connect(url).await?;
    let lock = db::SetupLock::acquire(url).await?;
    let built = set_up(&db, demo_scale).await;
    lock.release().await?;
    Ok((db, built?))
}

/// Migrations, then the demo into an empty inventory.
async fn set_up(
    db: &DatabaseConnection,
    demo_scale: Option<f64>,
) -> anyhow::Result<Option<demo::DemoSummary>> {
    use migration::MigratorTrait;
    migration::Migrator::up(db, None).await?;
    if let Some(scale) = demo_scale
        && demo::is_empty(db).await?
    {
        let opts = demo::DemoOptions {
            scale,
            ..Default::default()
        };
        return Ok(Some(demo::build(db, &opts).await?));
    }
    Ok(None)
}
