//! Configuration, read once at start from flags and the environment ([`ServeArgs`], shown by
//! `inventory serve --help` with each setting's environment variable) into one [`Config`] that
//! is passed in ([`crate::AppState`]). Nothing reads the environment after start-up (except the
//! import's test-only abort hook, [`crate::import::ABORT_AFTER_BATCHES_VAR`]).
//!
//! Tests build a [`Config`] directly: `Config { outbox_poll: …, ..Config::default() }`.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;

use crate::domain::deadlines::Deadlines;

/// The SQLite file used when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_PATH: &str = "data/inventory.db";

/// The database URL to use: `DATABASE_URL` if given, otherwise the SQLite file under `./data/`.
pub fn database_url(explicit: Option<&str>) -> String {
    match explicit {
        Some(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => sqlite_url(&PathBuf::from(DEFAULT_SQLITE_PATH)),
    }
}

/// `sqlite://` URL for a file, created if missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Whether a URL points at PostgreSQL.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Everything a server is configured with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database URL, when known: PostgreSQL instances `LISTEN` on it for changes. None in
    /// tests that hand over a connection only (their hub then polls).
    pub database_url: Option<String>,
    /// Where `serve` listens.
    pub bind: String,
    /// Scale of the demo built into an empty inventory; None starts empty.
    pub demo_scale: Option<f64>,
    /// Take the client address for rate limits from the first `X-Forwarded-For` hop (behind a
    /// load balancer that sets it) instead of the socket peer.
    pub trust_forwarded_for: bool,
    /// How often the hub looks at the outbox unwoken; None: 2 s on PostgreSQL (a safety net
    /// behind `LISTEN`), 200 ms on SQLite.
    pub outbox_poll: Option<Duration>,
    /// Periods and holidays of the request workflow.
    pub deadlines: Deadlines,
    /// The bound on heavy work (figures over large selections).
    pub heavy: crate::catalog::Limits,
    /// Origins whose pages may call the API from a browser (CORS); None: any origin.
    pub cors_origins: Option<Vec<String>>,
    /// How `graphql-transport-ws` connections behave.
    pub ws: WsSettings,
    /// The longest one GraphQL request (HTTP, or a query or mutation over WebSocket) may run;
    /// past it the answer is `TIMEOUT`. `serve` bounds its database work by the same figure
    /// ([`crate::db::connect_serving`]).
    pub request_timeout: Duration,
    /// The rate limit: on or off, and the budgets ([`crate::rate_limit`]).
    pub rate_limit: crate::rate_limit::Settings,
    /// Distinct operation names labelled in the metrics; later new names count as `other`.
    pub metrics_max_operations: usize,
    /// How the server stops.
    pub shutdown: ShutdownSettings,
}

/// How the server stops on SIGTERM or Ctrl-C (see [`crate::lifecycle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownSettings {
    /// Longest wait, from the signal, for in-flight requests, streamed exports and WebSockets
    /// to finish; what is still running then is cut.
    pub grace: Duration,
    /// How long the server keeps accepting connections after the signal (with `/readyz` at 503
    /// and WebSocket upgrades refused), so a load balancer notices before connections are
    /// refused.
    pub accept_for: Duration,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        ShutdownSettings {
            grace: Duration::from_secs(20),
            accept_for: Duration::ZERO,
        }
    }
}

/// How long a request may run by default (`INVENTORY_REQUEST_TIMEOUT_SECS`).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How a `graphql-transport-ws` connection behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WsSettings {
    /// How long the server waits for `connection_init` before closing with 4408.
    pub init_wait: Duration,
    /// How often the server pings the client.
    pub keep_alive: Duration,
    /// Operations one connection may run at once.
    pub max_operations: usize,
    /// Connections open at once from one client address (over it, the upgrade is `429`).
    pub max_per_address: usize,
    /// Connections open at once with one account's token (over it, close 1013).
    pub max_per_token: usize,
}

impl Default for WsSettings {
    fn default() -> Self {
        WsSettings {
            init_wait: Duration::from_secs(10),
            keep_alive: Duration::from_secs(15),
            max_operations: 100,
            max_per_address: 1_000,
            max_per_token: 100,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: None,
            bind: DEFAULT_BIND.into(),
            demo_scale: Some(1.0),
            trust_forwarded_for: false,
            outbox_poll: None,
            deadlines: Deadlines::default(),
            heavy: Default::default(),
            cors_origins: None,
            ws: WsSettings::default(),
            shutdown: ShutdownSettings::default(),
            metrics_max_operations: crate::telemetry::operations::DEFAULT_MAX_OPERATIONS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            rate_limit: Default::default(),
        }
    }
}

/// Default listening address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// The settings of `serve`, as flags or environment variables.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// Scale of the demo built into an empty inventory (1.0 = national scale).
    #[arg(long, default_value_t = 1.0)]
    pub demo_scale: f64,
    /// Start with an empty inventory instead of building the demo.
    #[arg(long)]
    pub no_demo: bool,
    /// Take the client address for the sign-up limit from the first X-Forwarded-For hop (only
    /// behind a load balancer that sets it).
    #[arg(
        long,
        env = "TRUST_FORWARDED_FOR",
        action = clap::ArgAction::Set,
        value_parser = BoolishValueParser::new(),
        default_value_t = false,
        num_args = 0..=1,
        default_missing_value = "true"
    )]
    pub trust_forwarded_for: bool,
    /// Milliseconds between looks at the outbox when not woken (default 2000 on PostgreSQL,
    /// 200 on SQLite; at least 10).
    #[arg(long, env = "INVENTORY_OUTBOX_POLL_MS")]
    pub outbox_poll_ms: Option<u64>,
    /// Public holidays replacing the built-in calendar: comma-separated YYYY-MM-DD dates.
    #[arg(long, env = "INVENTORY_HOLIDAYS")]
    pub holidays: Option<String>,
    /// Workflow periods in days: comma-separated name=days (decision, extension,
    /// reconsideration_apply, reconsideration_answer, mediation_apply, mediation_propose,
    /// proposal_answer, provision).
    #[arg(long, env = "INVENTORY_DEADLINE_DAYS")]
    pub deadline_days: Option<String>,
    /// Whether an institution's silence past a deadline counts as a refusal: true (default) or
    /// false.
    #[arg(long, env = "INVENTORY_SILENCE_IS_REFUSAL")]
    pub silence_is_refusal: Option<String>,
    /// Heavy computations (statistics, facets, broad searches, large ordered pages) run at once;
    /// default: one fewer than the cores, at least 1.
    #[arg(long, env = "INVENTORY_HEAVY_WORKERS", value_parser = clap::value_parser!(u16).range(1..))]
    pub heavy_workers: Option<u16>,
    /// Heavy requests that may wait for a worker; more are answered 503 at once (default 64).
    #[arg(long, env = "INVENTORY_HEAVY_QUEUE")]
    pub heavy_queue: Option<usize>,
    /// Origins whose web pages may call the API (CORS), comma-separated, e.g.
    /// `https://dashboard.example.org,http://localhost:5173`; default: any origin (`*`). Tokens
    /// travel in the `Authorization` header, never in cookies, so a page cannot borrow a
    /// visitor's rights.
    #[arg(long, env = "INVENTORY_CORS_ORIGINS")]
    pub cors_origins: Option<String>,
    /// Seconds a WebSocket client has to send `connection_init` before the server closes the
    /// connection with 4408 (default 10).
    #[arg(long, env = "INVENTORY_WS_INIT_WAIT_SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub ws_init_wait_secs: Option<u64>,
    /// Subscriptions (and other operations) one WebSocket connection may run at once; one more
    /// is refused with an `error` message coded TOO_MANY_REQUESTS (default 100).
    #[arg(long, env = "INVENTORY_WS_MAX_OPERATIONS", value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_max_operations: Option<u64>,
    /// WebSocket connections open at once from one client address; one more is refused with
    /// 429 and Retry-After (default 1000).
    #[arg(long, env = "INVENTORY_WS_MAX_PER_ADDRESS", value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_max_per_address: Option<u64>,
    /// WebSocket connections open at once with one account's token; one more is closed with
    /// 1013, try again later (default 100).
    #[arg(long, env = "INVENTORY_WS_MAX_PER_TOKEN", value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_max_per_token: Option<u64>,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for in-flight requests, exports and
    /// WebSockets before cutting them (default 20).
    #[arg(long, env = "INVENTORY_SHUTDOWN_GRACE_SECS", value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_secs: Option<u64>,
    /// Milliseconds the server keeps accepting connections after SIGTERM, with /readyz at 503,
    /// so a load balancer takes it out first (default 0; set it to the balancer's check
    /// interval times its failure threshold).
    #[arg(long, env = "INVENTORY_SHUTDOWN_ACCEPT_MS")]
    pub shutdown_accept_ms: Option<u64>,
    /// Distinct GraphQL operation names given labels of their own in /metrics; operations of
    /// later new names are counted as `other` (default 100).
    #[arg(long, env = "INVENTORY_METRICS_MAX_OPERATIONS")]
    pub metrics_max_operations: Option<usize>,
    /// Seconds one GraphQL request (a query or mutation, over HTTP or WebSocket) may run before
    /// it is answered TIMEOUT (HTTP 504); its database statements are stopped by the same bound
    /// (default 10).
    #[arg(long, env = "INVENTORY_REQUEST_TIMEOUT_SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_secs: Option<u64>,
    /// The rate limit on the cost of requests per client address and per token: on (default)
    /// or off (for load tests and benchmarks).
    #[arg(
        long,
        env = "INVENTORY_RATE_LIMIT",
        action = clap::ArgAction::Set,
        value_parser = BoolishValueParser::new(),
        default_value_t = true,
        num_args = 0..=1,
        default_missing_value = "on"
    )]
    pub rate_limit: bool,
    /// Cost points a minute one client address may spend without a token (default 100000; at
    /// least 10000, the most one request may cost).
    #[arg(long, env = "INVENTORY_RATE_LIMIT_ANONYMOUS", value_parser = clap::value_parser!(u64).range(10_000..))]
    pub rate_limit_anonymous: Option<u64>,
    /// Cost points a minute one account may spend with its tokens (default 1000000; at least
    /// 10000).
    #[arg(long, env = "INVENTORY_RATE_LIMIT_TOKEN", value_parser = clap::value_parser!(u64).range(10_000..))]
    pub rate_limit_token: Option<u64>,
}

impl Config {
    /// The configuration of `serve`. A bad deadline setting is logged and the defaults apply.
    pub fn of_serve(database_url: &str, args: &ServeArgs) -> Config {
        let deadlines = Deadlines::from_vars(|name| match name {
            "INVENTORY_HOLIDAYS" => args.holidays.clone(),
            "INVENTORY_DEADLINE_DAYS" => args.deadline_days.clone(),
            "INVENTORY_SILENCE_IS_REFUSAL" => args.silence_is_refusal.clone(),
            _ => None,
        })
        .unwrap_or_else(|e| {
            tracing::warn!("{e}; using the default deadlines and holiday calendar");
            Deadlines::default()
        });
        Config {
            database_url: Some(database_url.to_string()),
            bind: args.bind.clone(),
            demo_scale: (!args.no_demo).then_some(args.demo_scale),
            trust_forwarded_for: args.trust_forwarded_for,
            outbox_poll: args
                .outbox_poll_ms
                .map(|ms| Duration::from_millis(ms.max(10))),
            deadlines,
            heavy: {
                let d = crate::catalog::Limits::default();
                crate::catalog::Limits {
                    workers: args.heavy_workers.map_or(d.workers, usize::from),
                    queue: args.heavy_queue.unwrap_or(d.queue),
                    wait: d.wait,
                }
            },
            cors_origins: args.cors_origins.as_deref().and_then(cors_origins),
            ws: {
                let d = WsSettings::default();
                WsSettings {
                    init_wait: args
                        .ws_init_wait_secs
                        .map_or(d.init_wait, Duration::from_secs),
                    keep_alive: d.keep_alive,
                    max_operations: args
                        .ws_max_operations
                        .map_or(d.max_operations, |n| n as usize),
                    max_per_address: args
                        .ws_max_per_address
                        .map_or(d.max_per_address, |n| n as usize),
                    max_per_token: args
                        .ws_max_per_token
                        .map_or(d.max_per_token, |n| n as usize),
                }
            },
            shutdown: {
                let d = ShutdownSettings::default();
                ShutdownSettings {
                    grace: args
                        .shutdown_grace_secs
                        .map_or(d.grace, Duration::from_secs),
                    accept_for: args
                        .shutdown_accept_ms
                        .map_or(d.accept_for, Duration::from_millis),
                }
            },
            metrics_max_operations: args
                .metrics_max_operations
                .unwrap_or(crate::telemetry::operations::DEFAULT_MAX_OPERATIONS),
            request_timeout: args
                .request_timeout_secs
                .map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_secs),
            rate_limit: crate::rate_limit::Settings {
                enabled: args.rate_limit,
                anonymous: args
                    .rate_limit_anonymous
                    .unwrap_or(crate::rate_limit::DEFAULT_ANONYMOUS),
                token: args
                    .rate_limit_token
                    .unwrap_or(crate::rate_limit::DEFAULT_TOKEN),
            },
        }
    }
}

/// The listed origins of `--cors-origins`; None for any origin (`*` or nothing listed).
fn cors_origins(list: &str) -> Option<Vec<String>> {
    let origins: Vec<String> = list
        .split(',')
        .map(|o| o.trim().trim_end_matches('/').to_string())
        .filter(|o| !o.is_empty())
        .collect();
    (!origins.is_empty() && !origins.iter().any(|o| o == "*")).then_some(origins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn config(args: &[&str]) -> Config {
        let cli = Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"));
        Config::of_serve("sqlite://x.db", &cli.serve)
    }

    #[test]
    fn flags_become_the_config() {
        let c = config(&[]);
        assert_eq!(c.bind, DEFAULT_BIND);
        assert_eq!(c.demo_scale, Some(1.0));
        assert!(!c.trust_forwarded_for);
        assert_eq!(c.outbox_poll, None);
        assert_eq!(c.database_url.as_deref(), Some("sqlite://x.db"));
        assert_eq!(c.request_timeout, Duration::from_secs(10));
        assert_eq!(c.rate_limit, crate::rate_limit::Settings::default());
        let c = config(&[
            "--rate-limit",
            "off",
            "--rate-limit-anonymous",
            "20000",
            "--rate-limit-token",
            "30000",
        ]);
        assert_eq!(
            c.rate_limit,
            crate::rate_limit::Settings {
                enabled: false,
                anonymous: 20_000,
                token: 30_000
            }
        );
        assert_eq!(
            config(&["--request-timeout-secs", "3"]).request_timeout,
            Duration::from_secs(3)
        );
        let c = config(&[
            "--no-demo",
            "--trust-forwarded-for",
            "--outbox-poll-ms",
            "1",
            "--deadline-days",
            "decision=14",
            "--silence-is-refusal",
            "false",
            "--holidays",
            "2028-01-01",
        ]);
        assert_eq!(c.demo_scale, None);
        assert!(c.trust_forwarded_for);
        assert_eq!(c.outbox_poll, Some(Duration::from_millis(10)));
        assert_eq!(c.deadlines.decision_days, 14);
        assert!(!c.deadlines.silence_counts_as_refusal);
        assert_eq!(c.deadlines.holidays.len(), 1);
        // TRUST_FORWARDED_FOR=1 as documented.
        assert!(config(&["--trust-forwarded-for", "1"]).trust_forwarded_for);
        assert!(!config(&["--trust-forwarded-for", "0"]).trust_forwarded_for);
    }

    #[test]
    fn cors_origins_are_listed_or_any() {
        assert_eq!(config(&[]).cors_origins, None);
        assert_eq!(config(&["--cors-origins", "*"]).cors_origins, None);
        assert_eq!(
            config(&[
                "--cors-origins",
                " https://a.example.org/, http://localhost:5173 ,"
            ])
            .cors_origins,
            Some(vec![
                "https://a.example.org".to_string(),
                "http://localhost:5173".to_string()
            ])
        );
    }

    #[test]
    fn a_bad_deadline_setting_falls_back_to_the_defaults() {
        let c = config(&["--deadline-days", "decision=0", "--holidays", "2028-01-01"]);
        assert_eq!(c.deadlines.decision_days, 10);
        assert!(c.deadlines.holidays.len() > 1, "the default calendar");
    }
}
