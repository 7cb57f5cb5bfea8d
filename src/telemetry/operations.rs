//! Each GraphQL operation measured: counted by transport, operation name and outcome, its
//! latency and SQL statements recorded, a trace span around it when traces are on
//! ([`super::traces`]). [`Operations`] is held by the executor ([`crate::graphql::codes::Coded`]),
//! so HTTP and both WebSocket protocols go through it alike.
//!
//! Clients choose operation names, so the names get labels of their own only up to a cap
//! (`INVENTORY_METRICS_MAX_OPERATIONS`, 100 by default): later new names are all counted as
//! `other`. Unnamed operations are `anonymous`. Each name's metric handles are made once and
//! kept, so a request for a known operation allocates no label.
//!
//! The name comes from the request's `operationName`, or else from a scan of the document's
//! top-level definitions (no parse: the executor parses it later anyway); a name the document
//! does not define is `other`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use async_graphql::{Request, Response};
use futures::Stream;
use futures::stream::BoxStream;
use metrics::{Counter, Gauge, Histogram, SharedString};

use super::metrics::{DURATION, REQUESTS, SQL_PER_REQUEST, SUBSCRIPTIONS, handle};
use super::{sql, traces};

/// The label of unnamed operations.
pub const ANONYMOUS: &str = "anonymous";
/// The label of names past the cap, and of names the document does not define.
pub const OTHER: &str = "other";
/// Distinct operation names labelled by default.
pub const DEFAULT_MAX_OPERATIONS: usize = 100;

/// How an operation arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `/graphql`, GET or POST.
    Http = 0,
    /// `/graphql/ws`, either protocol.
    Ws = 1,
}

impl Transport {
    fn label(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Ws => "ws",
        }
    }
}

/// The outcomes labelled: `OK`, and every `extensions.code` the API sends; any other code is
/// `OTHER`.
const OUTCOMES: [&str; 21] = [
    "OK",
    "BAD_USER_INPUT",
    "NOT_FOUND",
    "FORBIDDEN",
    "UNAUTHENTICATED",
    "CONFLICT",
    "QUERY_TOO_COMPLEX",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSISTED_QUERY_HASH_MISMATCH",
    "SERVICE_UNAVAILABLE",
    "TOO_MANY_REQUESTS",
    "INTERNAL_SERVER_ERROR",
    "SUBSCRIBER_TOO_SLOW",
    "BAD_REQUEST",
    "METHOD_NOT_ALLOWED",
    "NOT_ACCEPTABLE",
    "PAYLOAD_TOO_LARGE",
    "UNSUPPORTED_MEDIA_TYPE",
    "OTHER",
];

/// The index in [`OUTCOMES`] of a response's outcome: `OK` without errors, else its first
/// error's code.
fn outcome(resp: &Response) -> usize {
    let Some(e) = resp.errors.first() else {
        return 0;
    };
    let code = match e.extensions.as_ref().and_then(|x| x.get("code")) {
        Some(async_graphql::Value::String(s)) => s.as_str(),
        Some(async_graphql::Value::Enum(s)) => s.as_str(),
        _ => "",
    };
    OUTCOMES
        .iter()
        .position(|c| *c == code)
        .unwrap_or(OUTCOMES.len() - 1)
}

/// The metric handles of one operation label.
struct Series {
    name: SharedString,
    duration: [Histogram; 2],
    sql: [Histogram; 2],
    /// By transport and outcome, made on first use.
    outcomes: [[OnceLock<Counter>; OUTCOMES.len()]; 2],
}

impl Series {
    fn new(name: SharedString) -> Series {
        let _ = handle();
        let by = |metric: &'static str| {
            [Transport::Http, Transport::Ws].map(|t| {
                metrics::histogram!(metric, "transport" => t.label(), "operation" => name.clone())
            })
        };
        Series {
            duration: by(DURATION),
            sql: by(SQL_PER_REQUEST),
            outcomes: Default::default(),
            name,
        }
    }

    fn count(&self, transport: Transport, outcome: usize) {
        self.outcomes[transport as usize][outcome]
            .get_or_init(|| {
                metrics::counter!(
                    REQUESTS,
                    "transport" => transport.label(),
                    "operation" => self.name.clone(),
                    "outcome" => OUTCOMES[outcome]
                )
            })
            .increment(1);
    }
}

/// The operations measured by one executor, each name's handles kept up to the cap.
pub struct Operations {
    max: usize,
    named: RwLock<HashMap<Box<str>, Arc<Series>>>,
    anonymous: Arc<Series>,
    other: Arc<Series>,
    subscriptions: Gauge,
}

impl Default for Operations {
    fn default() -> Self {
        Operations::new(DEFAULT_MAX_OPERATIONS)
    }
}

impl std::fmt::Debug for Operations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operations")
            .field("max", &self.max)
            .finish()
    }
}

impl Operations {
    /// Labels at most `max` distinct operation names.
    pub fn new(max: usize) -> Operations {
        let _ = handle();
        Operations {
            max,
            named: Default::default(),
            anonymous: Arc::new(Series::new(SharedString::const_str(ANONYMOUS))),
            other: Arc::new(Series::new(SharedString::const_str(OTHER))),
            subscriptions: metrics::gauge!(SUBSCRIPTIONS),
        }
    }

    /// The series of a name: its own while under the cap, else `other`.
    fn series(&self, name: Option<&str>) -> Arc<Series> {
        let Some(name) = name else {
            return self.anonymous.clone();
        };
        let read = self.named.read().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = read.get(name) {
            return s.clone();
        }
        if read.len() >= self.max {
            return self.other.clone();
        }
        drop(read);
        let mut write = self.named.write().unwrap_or_else(|e| e.into_inner());
        if write.len() >= self.max && !write.contains_key(name) {
            return self.other.clone();
        }
        write
            .entry(name.into())
            .or_insert_with(|| Arc::new(Series::new(SharedString::from(name.to_string()))))
            .clone()
    }

    /// Starts measuring `request`.
    pub fn begin(&self, transport: Transport, request: &Request) -> Measure {
        let found = operation_of(&request.query, request.operation_name.as_deref());
        let (kind, series) = match found {
            Some(Found { kind, name }) => (kind, self.series(name)),
            None => (Kind::Query, self.other.clone()),
        };
        let span = traces::operation_span(
            transport.label(),
            kind.label(),
            found.and_then(|f| f.name).unwrap_or(&series.name),
        );
        Measure {
            series,
            transport,
            kind,
            start: Instant::now(),
            statements: Arc::new(AtomicU32::new(0)),
            span,
            done: false,
        }
    }

    /// Measures a response stream (a WebSocket operation): counted at its first response, or
    /// when it ends without one (a subscription ended before any event); a subscription counts
    /// among the running ones while the stream lives.
    pub fn stream(
        self: &Arc<Self>,
        measure: Measure,
        inner: BoxStream<'static, Response>,
    ) -> BoxStream<'static, Response> {
        let running = (measure.kind == Kind::Subscription).then(|| {
            self.subscriptions.increment(1.0);
            Running(self.subscriptions.clone())
        });
        Box::pin(Measured {
            inner,
            measure,
            _running: running,
        })
    }
}

/// A subscription counted as running until dropped.
struct Running(Gauge);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

/// One operation being measured.
pub struct Measure {
    series: Arc<Series>,
    transport: Transport,
    kind: Kind,
    start: Instant,
    statements: sql::Statements,
    span: tracing::Span,
    done: bool,
}

impl Measure {
    /// Runs `f` (the execution) with its statements counted and its span entered, and records
    /// the response.
    pub async fn run<F>(mut self, f: F) -> Response
    where
        F: std::future::Future<Output = Response>,
    {
        use tracing::Instrument;
        let resp = sql::scope(self.statements.clone(), f)
            .instrument(self.span.clone())
            .await;
        self.record(&resp);
        resp
    }

    /// Records a response that was answered without running (a refusal).
    pub fn refused(mut self, resp: Response) -> Response {
        self.record(&resp);
        resp
    }

    /// Counts the operation with the outcome of `resp` (once).
    fn record(&mut self, resp: &Response) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        let outcome = outcome(resp);
        self.series.count(self.transport, outcome);
        let statements = self.statements.load(Ordering::Relaxed);
        let t = self.transport as usize;
        let elapsed = self.start.elapsed();
        if self.kind != Kind::Subscription {
            self.series.duration[t].record(elapsed.as_secs_f64());
            self.series.sql[t].record(f64::from(statements));
        }
        traces::finish(&self.span, OUTCOMES[outcome], statements, elapsed);
    }
}

/// A response stream measured (see [`Operations::stream`]).
struct Measured {
    inner: BoxStream<'static, Response>,
    measure: Measure,
    _running: Option<Running>,
}

impl Stream for Measured {
    type Item = Response;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Response>> {
        let this = &mut *self;
        let statements = &this.measure.statements;
        let inner = &mut this.inner;
        let polled = this
            .measure
            .span
            .in_scope(|| sql::sync_scope(statements, || inner.as_mut().poll_next(cx)));
        match &polled {
            Poll::Ready(Some(resp)) => this.measure.record(resp),
            Poll::Ready(None) => this.measure.record(&Response::default()),
            Poll::Pending => {}
        }
        polled
    }
}

impl Drop for Measured {
    fn drop(&mut self) {
        // Ended before any response (the client completed a quiet subscription): it ran.
        self.measure.record(&Response::default());
    }
}

/// What kind of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Mutation,
    Subscription,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Query => "query",
            Kind::Mutation => "mutation",
            Kind::Subscription => "subscription",
        }
    }
}

/// The operation a request runs, as far as a scan of its document tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    pub kind: Kind,
    /// None for an unnamed operation.
    pub name: Option<&'a str>,
}

/// The operation of a document that runs under `wanted` (the request's `operationName`): the
/// one of that name, or the document's only operation when no name is wanted. None when there
/// is no such operation (the request will fail; it is labelled `other`).
///
/// A scan of top-level tokens, not a parse: it skips comments, strings (block strings too) and
/// everything between braces, parentheses and brackets.
pub fn operation_of<'a>(document: &'a str, wanted: Option<&str>) -> Option<Found<'a>> {
    /// Where the scan is among the top-level definitions.
    enum At {
        /// Between definitions.
        Between,
        /// After an operation keyword: a name or the body comes next.
        Keyword(Kind),
        /// In a named operation's or a fragment's head: its body comes next.
        Head,
    }
    let b = document.as_bytes();
    let (mut i, mut depth, mut at) = (0, 0usize, At::Between);
    let mut found: Option<Found<'a>> = None;
    let mut operations = 0usize;
    let mut conclude = |kind: Kind, name: Option<&'a str>| {
        operations += 1;
        if found.is_none() && (wanted.is_none() || name == wanted) {
            found = Some(Found { kind, name });
        }
    };
    while i < b.len() {
        let c = b[i];
        match c {
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                if b[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 3;
                } else {
                    i += 1;
                    while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                continue;
            }
            b'{' | b'(' | b'[' => {
                if depth == 0 && c == b'{' {
                    match std::mem::replace(&mut at, At::Between) {
                        // The query shorthand `{ … }`.
                        At::Between => conclude(Kind::Query, None),
                        At::Keyword(kind) => conclude(kind, None),
                        At::Head => {}
                    }
                }
                depth += 1;
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            c if depth == 0 && (c.is_ascii_alphabetic() || c == b'_') => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                let word = &document[start..i];
                at = match at {
                    At::Keyword(kind) => {
                        conclude(kind, Some(word));
                        At::Head
                    }
                    At::Between => match word {
                        "query" => At::Keyword(Kind::Query),
                        "mutation" => At::Keyword(Kind::Mutation),
                        "subscription" => At::Keyword(Kind::Subscription),
                        _ => At::Head,
                    },
                    At::Head => At::Head,
                };
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Several operations without a name wanted: the request fails.
    if wanted.is_none() && operations > 1 {
        return None;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(doc: &str, wanted: Option<&str>) -> Option<(Kind, Option<&'static str>)> {
        let doc: &'static str = Box::leak(doc.to_string().into_boxed_str());
        operation_of(doc, wanted).map(|f| (f.kind, f.name))
    }

    #[test]
    fn the_operation_is_found_by_a_scan() {
        assert_eq!(of("{ __typename }", None), Some((Kind::Query, None)));
        assert_eq!(
            of("query Lookup { a }", None),
            Some((Kind::Query, Some("Lookup")))
        );
        assert_eq!(
            of(
                "# query Nope\n  mutation Change($x: Int = 1) @d { a(s: \"query X {\") }",
                None
            ),
            Some((Kind::Mutation, Some("Change")))
        );
        assert_eq!(
            of("subscription { milestoneUpdated { cursor } }", None),
            Some((Kind::Subscription, None))
        );
        assert_eq!(
            of("query { a }", None),
            Some((Kind::Query, None)),
            "an unnamed query"
        );
        let two = "query A { a } \"\"\"doc { \"\"\" subscription B { b }";
        assert_eq!(of(two, Some("B")), Some((Kind::Subscription, Some("B"))));
        assert_eq!(of(two, Some("A")), Some((Kind::Query, Some("A"))));
        assert_eq!(of(two, None), None, "several operations, none chosen");
        assert_eq!(of(two, Some("C")), None, "a name the document lacks");
        let fragments = "fragment F on Dataset { title } query Q { datasets { nodes { ...F } } }";
        assert_eq!(of(fragments, None), Some((Kind::Query, Some("Q"))));
        assert_eq!(
            of("fragment F on T { a } { ...F }", None),
            Some((Kind::Query, None))
        );
        assert_eq!(of("", None), None);
    }

    #[test]
    fn names_past_the_cap_are_other() {
        let ops = Operations::new(2);
        let a = ops.series(Some("CapUnitA"));
        assert_eq!(&*a.name, "CapUnitA");
        assert_eq!(&*ops.series(Some("CapUnitB")).name, "CapUnitB");
        assert_eq!(&*ops.series(Some("CapUnitC")).name, OTHER);
        assert!(Arc::ptr_eq(&a, &ops.series(Some("CapUnitA"))), "kept");
        assert_eq!(&*ops.series(None).name, ANONYMOUS);
    }

    #[test]
    fn the_outcome_is_the_first_code() {
        assert_eq!(OUTCOMES[outcome(&Response::default())], "OK");
        let coded = |code: &str| {
            let mut e = async_graphql::ServerError::new("x", None);
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
            Response::from_errors(vec![e])
        };
        assert_eq!(OUTCOMES[outcome(&coded("NOT_FOUND"))], "NOT_FOUND");
        assert_eq!(OUTCOMES[outcome(&coded("SOMETHING_NEW"))], "OTHER");
    }
}
