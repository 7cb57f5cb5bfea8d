//! Traces exported over OTLP/HTTP to a collector stand-in: a plain HTTP server on port 0 that
//! accepts protobuf POSTs to `/v1/traces` and keeps them. Each backend's GraphQL operation must
//! arrive as a span named after it, with its outcome, transport and SQL statement count.
//!
//! The tracing subscriber is process-wide, so this binary holds only this test.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Backend, backends, gql, with_fixture};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::json;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// What the stand-in received: (path, content type, body) per POST.
type Received = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// Starts the collector stand-in; its base URL and what it receives.
fn collector() -> (String, Received) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let got: Received = Default::default();
    let keep = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let keep = keep.clone();
            std::thread::spawn(move || serve(conn, keep));
        }
    });
    (url, got)
}

/// Answers the HTTP/1.1 requests of one connection with `200` and an empty protobuf body.
fn serve(conn: std::net::TcpStream, keep: Received) {
    let mut out = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("")
            .to_string();
        let (mut length, mut ctype) = (0usize, String::new());
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap(),
                    "content-type" => ctype = v.trim().to_string(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        keep.lock().unwrap().push((path, ctype, body));
        let answer =
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if out.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// Every span received so far.
fn spans(got: &Received) -> Vec<Span> {
    let got = got.lock().unwrap();
    let mut out = Vec::new();
    for (path, ctype, body) in got.iter() {
        assert_eq!(path, "/v1/traces");
        assert_eq!(ctype, "application/x-protobuf");
        let req = ExportTraceServiceRequest::decode(body.as_slice()).expect("OTLP protobuf");
        for rs in req.resource_spans {
            let service = rs
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| a.value.as_ref()?.value.clone());
            assert_eq!(service, Some(Any::StringValue("inventory-test".into())));
            for ss in rs.scope_spans {
                out.extend(ss.spans);
            }
        }
    }
    out
}

/// A span's attribute.
fn attr(span: &Span, key: &str) -> Option<Any> {
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref()?.value.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_arrive_at_an_otlp_collector_as_spans() {
    let (url, got) = collector();
    let (layer, traces) = inventory::telemetry::traces::layer(Some(&url), "inventory-test")
        .expect("the exporter builds");
    tracing_subscriber::registry().with(layer).init();
    assert!(inventory::telemetry::traces::enabled());
    for backend in backends().await {
        let t = with_fixture(backend).await;
        let app = inventory::app(common::state(&t.db));
        let b = match backend {
            Backend::Sqlite => "Sqlite",
            Backend::Postgres => "Postgres",
        };
        let name = format!("TracedPage{b}");
        let r = gql(
            &app,
            &format!("query {name} {{ datasets(first: 2) {{ nodes {{ title }} }} }}"),
            json!({}),
        )
        .await;
        assert!(r["errors"].is_null(), "{r}");
        let failing = format!("TracedBroken{b}");
        gql(&app, &format!("query {failing} {{ nope }}"), json!({})).await;
        // The batch exporter sends on its own thread; flushing waits for the collector's answer.
        tokio::task::block_in_place(|| traces.flush());
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let (page, broken) = loop {
            let all = spans(&got);
            let find = |n: &str| {
                all.iter()
                    .find(|s| attr(s, "graphql.operation.name") == Some(Any::StringValue(n.into())))
                    .cloned()
            };
            if let (Some(p), Some(f)) = (find(&name), find(&failing)) {
                break (p, f);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no span of {name} and {failing} among {} received",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(page.name, format!("query {name}"));
        assert_eq!(
            attr(&page, "graphql.operation.type"),
            Some(Any::StringValue("query".into()))
        );
        assert_eq!(
            attr(&page, "transport"),
            Some(Any::StringValue("http".into()))
        );
        assert_eq!(attr(&page, "outcome"), Some(Any::StringValue("OK".into())));
        match attr(&page, "db.statements") {
            Some(Any::IntValue(n)) => assert!(n >= 1, "the page reads the database: {n}"),
            other => panic!("db.statements: {other:?}"),
        }
        assert!(matches!(attr(&page, "duration_ms"), Some(Any::DoubleValue(ms)) if ms > 0.0));
        assert!(page.end_time_unix_nano > page.start_time_unix_nano);
        assert_eq!(
            attr(&broken, "outcome"),
            Some(Any::StringValue("GRAPHQL_VALIDATION_FAILED".into()))
        );
        assert_eq!(
            broken.status.as_ref().map(|s| s.code),
            Some(2),
            "an error status"
        );
        t.cleanup().await;
    }
}
