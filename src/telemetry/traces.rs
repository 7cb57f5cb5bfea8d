//! Traces: a span per GraphQL operation (`graphql`, named after the operation, with its
//! transport, type, outcome, SQL statements and duration; [`operation_span`], [`finish`]),
//! exported over OTLP/HTTP in protobuf by OpenTelemetry's batch exporter when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set ([`from_env`]).
//! Off by default: then no span is made at all, so a request costs nothing for traces.
//!
//! The spans are `tracing` spans at INFO level under this crate's target, turned into
//! OpenTelemetry spans by `tracing-opentelemetry`'s layer, which the binary adds beside its log
//! output (one line in `main.rs`). `OTEL_SERVICE_NAME` names the service (`inventory` by
//! default); the exporter reads its other standard variables itself (`OTEL_EXPORTER_OTLP_HEADERS`,
//! `OTEL_EXPORTER_OTLP_TIMEOUT`…).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetryLayer;
use tracing_subscriber::registry::LookupSpan;

/// Whether a layer exports spans (operations make spans only then).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether operations make spans.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// The exporter's provider: flushes and shuts down the export when dropped (keep it for the
/// life of the process).
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Sends every span ended so far (blocks until the collector answered or the exporter's
    /// timeout passed).
    pub fn flush(&self) {
        if let Err(e) = self.provider.force_flush() {
            tracing::warn!(error = %e, "flushing traces failed");
        }
    }
}

impl Drop for Traces {
    fn drop(&mut self) {
        ENABLED.store(false, Ordering::Relaxed);
        let _ = self.provider.shutdown_with_timeout(Duration::from_secs(5));
    }
}

/// The layer exporting to the collector the standard variables name, or None when neither
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` nor `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or the
/// exporter cannot be built, which is logged).
pub fn from_env<S>() -> Option<(OpenTelemetryLayer<S, SdkTracer>, Traces)>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let set = |v: &str| std::env::var(v).is_ok_and(|s| !s.trim().is_empty());
    if !set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") && !set("OTEL_EXPORTER_OTLP_ENDPOINT") {
        return None;
    }
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "inventory".into());
    match layer(None, &service) {
        Ok(l) => Some(l),
        Err(e) => {
            eprintln!("traces are off: cannot build the OTLP exporter: {e}");
            None
        }
    }
}

/// The layer exporting spans to the OTLP/HTTP collector at `base` (`http://host:4318`; spans
/// go to `{base}/v1/traces`), or where the environment says when None, as `service`.
pub fn layer<S>(
    base: Option<&str>,
    service: &str,
) -> Result<(OpenTelemetryLayer<S, SdkTracer>, Traces), opentelemetry_otlp::ExporterBuildError>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary);
    if let Some(base) = base {
        exporter = exporter.with_endpoint(format!("{}/v1/traces", base.trim_end_matches('/')));
    }
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter.build()?)
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_string())
                .build(),
        )
        .build();
    let tracer = provider.tracer("inventory");
    ENABLED.store(true, Ordering::Relaxed);
    Ok((
        tracing_opentelemetry::layer().with_tracer(tracer),
        Traces { provider },
    ))
}

/// The span of one operation (disabled when traces are off).
pub fn operation_span(transport: &'static str, kind: &'static str, name: &str) -> tracing::Span {
    if !enabled() {
        return tracing::Span::none();
    }
    tracing::info_span!(
        "graphql",
        otel.name = %format_args!("{kind} {name}"),
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        graphql.operation.name = %name,
        graphql.operation.type = kind,
        transport = transport,
        outcome = tracing::field::Empty,
        db.statements = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    )
}

/// Records an operation's outcome on its span.
pub fn finish(span: &tracing::Span, outcome: &'static str, statements: u32, elapsed: Duration) {
    if span.is_disabled() {
        return;
    }
    span.record("outcome", outcome);
    span.record("db.statements", i64::from(statements));
    span.record("duration_ms", elapsed.as_secs_f64() * 1e3);
    if outcome != "OK" {
        span.record("otel.status_code", "ERROR");
    }
}
