//! The `inventory` binary: serve the API, import a portal inventory, build the demo, check a database, export the schema.

/// mimalloc instead of the system allocator: a served page allocates on sqlx's SQLite threads
/// and frees on Tokio's, which glibc's allocator answers with arena locks and consolidation
/// (a fifth of the CPU of a 100-dataset page in a profile). With the `override` feature it also
/// serves C's `malloc`, so the bundled SQLite's allocations (sqlx copies every column value of
/// every row) go through it too instead of glibc's arenas (about 8 % of a page's CPU).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use inventory::{AppState, clock, config, demo, graphql, import};

#[derive(Parser, Debug)]
#[command(
    name = "inventory",
    version,
    about = "GraphQL API over the national public data inventory, open and withheld",
    after_help = "Logging: RUST_LOG (e.g. info, or debug,sqlx=warn). `inventory serve --help` lists the server's settings with their environment variables."
)]
struct Cli {
    /// Database URL: sqlite://… or postgres://…; unset, an SQLite file under ./data/.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Log lines as JSON, as text, or auto: JSON unless standard error is a terminal.
    #[arg(long, env = "INVENTORY_LOG_FORMAT", global = true, value_enum, default_value_t = inventory::logging::LogFormat::Auto)]
    log_format: inventory::logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve GraphQL at /graphql, GraphiQL at /, health at /healthz. An empty inventory is first
    /// filled with the demo.
    Serve {
        #[command(flatten)]
        settings: Box<config::ServeArgs>,
    },
    /// Import a portal inventory CSV (plain or gzipped, UTF-8 or CP949).
    Import {
        /// The file.
        file: PathBuf,
        /// Delete the synthetic demo inventory first (required when the database holds it).
        #[arg(long)]
        drop_demo: bool,
        /// No progress output.
        #[arg(long)]
        quiet: bool,
    },
    /// Build the deterministic demo inventory into an empty database.
    Demo {
        /// 1.0 is national scale (about 350,000 entries).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Seed of the generator.
        #[arg(long, default_value_t = 2023)]
        seed: u64,
    },
    /// Check the invariants every inventory database must hold; prints each violation and
    /// exits with status 1 when any is found.
    Check,
    /// Create an account with an API token (printed once; only its hash is stored).
    Token {
        /// citizen, officer, mediator or admin.
        #[arg(long, value_parser = ["citizen", "officer", "mediator", "admin"])]
        role: String,
        /// Display name of the account.
        #[arg(long)]
        name: String,
        /// For officers: the institution's portal code.
        #[arg(long)]
        institution: Option<String>,
    },
    /// Print the GraphQL schema (SDL), or write it to a file.
    ExportSchema {
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set: kept until exit, then flushed.
    let _traces = inventory::logging::init(cli.log_format);
    let url = config::database_url(cli.database_url.as_deref());
    match cli.command {
        Command::ExportSchema { out } => {
            let sdl = graphql::sdl();
            match out {
                Some(p) => {
                    std::fs::write(&p, sdl).with_context(|| format!("writing {}", p.display()))?
                }
                None => print!("{sdl}"),
            }
        }
        Command::Serve { settings } => {
            let config = config::Config::of_serve(&url, &settings);
            // One signal watcher from the start, so a SIGTERM at any moment is seen.
            let (stop_tx, stop) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                signal().await;
                let _ = stop_tx.send(true);
            });
            let stopped = move || {
                let mut stop = stop.clone();
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                }
            };
            // Listen first: while the database is prepared (and the demo built), /healthz
            // answers and /readyz says what start-up is doing.
            let bind = &config.bind;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            let addr = listener.local_addr()?;
            tracing::info!(%addr, "listening; /healthz answers, /readyz is 503 until the API is up");
            let (listener, early) = inventory::http::starting::clone_listener(listener)?;
            let lifecycle = inventory::lifecycle::Lifecycle::default();
            let backend = if config::is_postgres(&url) {
                "postgres"
            } else {
                "sqlite"
            };
            tokio::spawn(inventory::http::starting::serve(
                early,
                lifecycle.clone(),
                backend,
            ));
            lifecycle
                .starting("preparing the database (migrations, the demo inventory when empty)");
            tracing::info!(database = %redact(&url), "opening the database");
            let (db, built) = tokio::select! {
                prepared = inventory::prepare(&url, config.demo_scale) => prepared?,
                _ = stopped() => {
                    tracing::info!("shutdown requested during start-up; nothing was served (an unfinished demo build is rolled back)");
                    return Ok(());
                }
            };
            if let Some(s) = built {
                tracing::info!(
                    institutions = s.institutions,
                    open = s.open_datasets,
                    not_open = s.not_open_datasets,
                    seconds = s.elapsed.as_secs_f64(),
                    "built the demo inventory"
                );
            }
            // Every WebSocket subscriber holds a file descriptor: take all the system allows.
            match rlimit::increase_nofile_limit(u64::MAX) {
                Ok(n) => tracing::info!(open_files = n, "open-file limit"),
                Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
            }
            // Requests are served from a pool whose database work stops at the request time
            // limit; setup (migrations, the demo) ran without it.
            db.close().await?;
            let db = inventory::db::connect_serving(&url, config.request_timeout).await?;
            lifecycle.starting("loading the catalog");
            let mut state = AppState::with_config(db, Arc::new(clock::SystemClock), config);
            state.lifecycle = lifecycle;
            inventory::run(listener, state, stopped()).await?;
            tracing::info!("stopped");
        }
        Command::Import {
            file,
            drop_demo,
            quiet,
        } => {
            let db = inventory::db::connect_and_migrate(&url).await?;
            let opts = import::ImportOptions {
                drop_demo,
                progress: !quiet,
            };
            let report = import::import_file(&db, &file, &opts, chrono::Utc::now()).await?;
            for r in &report.rejected {
                eprintln!("rejected line {}: {}", r.line, r.reason);
            }
            for w in &report.warnings {
                eprintln!("warning line {}: {}", w.line, w.message);
            }
            if report.demo_dropped {
                eprintln!("dropped the synthetic demo inventory first");
            }
            println!("{report}");
        }
        Command::Check => {
            let db = inventory::db::connect_and_migrate(&url).await?;
            let report = inventory::check::check(&db).await?;
            println!("{report}");
            db.close().await?;
            if !report.ok() {
                std::process::exit(1);
            }
        }
        Command::Token {
            role,
            name,
            institution,
        } => {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let db = inventory::db::connect_and_migrate(&url).await?;
            let role = match role.as_str() {
                "citizen" => entity::enums::Role::Citizen,
                "officer" => entity::enums::Role::Officer,
                "mediator" => entity::enums::Role::Mediator,
                _ => entity::enums::Role::Admin,
            };
            let inst = match institution {
                Some(code) => Some(
                    entity::institution::Entity::find()
                        .filter(entity::institution::Column::Code.eq(code.trim()))
                        .one(&db)
                        .await?
                        .with_context(|| format!("no institution with code '{code}'"))?
                        .id,
                ),
                None => None,
            };
            let (acct, token) = inventory::auth::create_account(
                &db,
                &name,
                None,
                role,
                inst,
                "cli",
                chrono::Utc::now(),
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.message()))?;
            eprintln!(
                "created {} account {} — the token is shown once:",
                inventory::auth::role_name(&acct.role),
                acct.id
            );
            println!("{token}");
        }
        Command::Demo { scale, seed } => {
            let db = inventory::db::connect_and_migrate(&url).await?;
            let s = demo::build(&db, &demo::DemoOptions { scale, seed }).await?;
            println!(
                "demo built in {:.1} s (datasets {:.1} s, statistics and commit {:.1} s): {} institutions, {} open and {} not open datasets, {} disclosure events, {} requests, {} bundles",
                s.elapsed.as_secs_f64(),
                s.datasets_elapsed.as_secs_f64(),
                s.finish_elapsed.as_secs_f64(),
                s.institutions,
                s.open_datasets,
                s.not_open_datasets,
                s.disclosure_events,
                s.requests,
                s.bundles
            );
        }
    }
    Ok(())
}

/// Completes on SIGTERM (what orchestrators and `systemctl stop` send) or Ctrl-C.
async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received"),
                }
                return;
            }
            Err(e) => tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C only"),
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// A URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact("sqlite://data/inventory.db?mode=rwc"),
            "sqlite://data/inventory.db?mode=rwc"
        );
    }
}
