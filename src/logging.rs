//! Log output: JSON lines whenever standard error is not a terminal (a file, a pipe, a container
//! runtime's collector), human-readable text on a terminal; `INVENTORY_LOG_FORMAT` (or
//! `--log-format`) `json`, `text` or `auto` forces either. Colour codes only ever go to a
//! terminal. The filter is `RUST_LOG` (default `info,sqlx=warn,sea_orm_migration=warn`).
//!
//! What is logged is chosen so that operators can keep the logs: requests are logged by method,
//! path and status (never bodies, variables or tokens), so a requester's name and contact never
//! reach them (`tests/logs.rs` checks this at `debug`); expected errors (bad input, not found,
//! forbidden, overload) are answered to the client and not logged as errors; an internal error
//! is one `ERROR` event with its cause chain.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The default filter when `RUST_LOG` is unset.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm_migration=warn";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// JSON lines unless standard error is a terminal.
    #[default]
    Auto,
    /// One JSON object per line.
    Json,
    /// Human-readable lines (coloured on a terminal only).
    Text,
}

impl LogFormat {
    /// JSON or not, for output to a terminal or not.
    pub fn json(self, terminal: bool) -> bool {
        match self {
            LogFormat::Auto => !terminal,
            LogFormat::Json => true,
            LogFormat::Text => false,
        }
    }
}

/// The log filter: `RUST_LOG`, or [`DEFAULT_FILTER`].
fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER))
}

/// Installs the global subscriber writing to standard error, with the OTLP trace layer when the
/// environment configures one ([`crate::telemetry::traces::from_env`]) and the layer measuring
/// waits for a pooled connection ([`crate::telemetry::pool`]); returns what must be kept until
/// exit for the last spans to be sent. Each layer has its own filter: the log lines and the
/// exported spans obey `RUST_LOG`, the pool layer sees only what it measures.
pub fn init(format: LogFormat) -> Option<crate::telemetry::traces::Traces> {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let terminal = std::io::stderr().is_terminal();
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = if format.json(terminal) {
        // Span fields stay out of the lines: a request's span carries its URI, and the event
        // itself says what happened.
        fmt.json()
            .with_current_span(false)
            .with_span_list(false)
            .with_filter(filter())
            .boxed()
    } else {
        fmt.with_ansi(terminal).with_filter(filter()).boxed()
    };
    let (traces, guard) = crate::telemetry::traces::from_env().unzip();
    tracing_subscriber::registry()
        .with(fmt)
        .with(traces.with_filter(filter()))
        .with(crate::telemetry::pool::layer())
        .init();
    // The pool layer wants TRACE spans and events, which raised the `log` crate's level along
    // (`init` sets it from the subscriber's): back to the log filter's, so dependencies logging
    // through `log` (e.g. tungstenite per frame) stay one comparison per call when filtered out.
    let log_level = filter()
        .max_level_hint()
        .map_or(log::LevelFilter::Trace, |l| match l.into_level() {
            None => log::LevelFilter::Off,
            Some(tracing::Level::ERROR) => log::LevelFilter::Error,
            Some(tracing::Level::WARN) => log::LevelFilter::Warn,
            Some(tracing::Level::INFO) => log::LevelFilter::Info,
            Some(tracing::Level::DEBUG) => log::LevelFilter::Debug,
            Some(tracing::Level::TRACE) => log::LevelFilter::Trace,
        });
    log::set_max_level(log_level);
    guard
}

#[cfg(test)]
mod tests {
    use super::LogFormat;

    #[test]
    fn auto_is_json_off_a_terminal() {
        assert!(LogFormat::Auto.json(false));
        assert!(!LogFormat::Auto.json(true));
        assert!(LogFormat::Json.json(true));
        assert!(!LogFormat::Text.json(false));
    }
}
