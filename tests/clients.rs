//! Real clients against a real server on a free port, from Node.js: the GraphQL-over-HTTP audit
//! (`graphql-http`'s `auditServer`: every MUST and SHOULD), and a page on another origin in a
//! real browser (Debian's `chromium`, headless, through `playwright-core`) that queries,
//! subscribes and mutates with a token, and the client libraries a civic-tech developer would
//! pick (`graphql-request`, `graphql-ws`): a paged read, a mutation with a token, a subscription
//! resumed from its cursor, a refused token seen as the protocol's close code. The Node packages come from
//! `tests/clients/package-lock.json` through the npm registry (`npm ci`, run here on first use);
//! the browser test needs `/usr/bin/chromium` (or `CHROMIUM`), which `.ci/run` installs.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::api::gid;
use common::{backends, with_demo, with_fixture};

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Installs the client packages once per test run.
fn installed() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = clients_dir();
        let missing = [
            "graphql-http",
            "graphql-request",
            "graphql-ws",
            "playwright-core",
            "ws",
        ]
        .iter()
        .any(|p| !dir.join("node_modules").join(p).exists());
        if missing {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .status()
                .expect("the client tests need Node.js 20+ and npm on the PATH");
            assert!(status.success(), "npm ci in {} failed", dir.display());
        }
        dir
    })
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_every_must_and_should() {
    let dir = installed();
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let (addr, stop) = common::serve_db(&t.db).await;
        let out = tokio::process::Command::new("node")
            .arg("audit.mjs")
            .arg(format!("http://{addr}/graphql"))
            .current_dir(dir)
            .output()
            .await
            .expect("node");
        let report = String::from_utf8_lossy(&out.stdout);
        println!("{b:?}:\n{report}{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{b:?}: the audit failed:\n{report}");
        assert!(
            report.lines().filter(|l| l.starts_with("ok")).count() >= 30,
            "{report}"
        );
        let _ = stop.send(());
        t.cleanup().await;
    }
}

/// A page served from another port: another origin for the browser.
async fn page_server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::get(|| async {
                axum::response::Html("<!doctype html><title>dashboard</title><p>a dashboard</p>")
            }),
        )
        .route(
            "/favicon.ico",
            axum::routing::get(|| async { axum::http::StatusCode::NO_CONTENT }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test]
async fn a_page_on_another_origin_queries_subscribes_and_mutates_in_a_real_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        eprintln!("SKIPPED: no browser at {chromium} (install Debian's chromium, as .ci/run does)");
        return;
    }
    let dir = installed();
    for b in backends().await {
        let t = with_fixture(b).await;
        let (addr, stop) = common::serve_db(&t.db).await;
        let page = page_server().await;
        // Dataset 4 belongs to 종로구 (3010000), whose officer holds the token.
        let token = common::officer_token(&t.db, "3010000").await;
        let dataset = gid("Dataset", 4);
        let out = tokio::process::Command::new("node")
            .arg("browser.mjs")
            .arg(format!("http://{page}/"))
            .arg(format!("http://{addr}"))
            .arg(&token)
            .arg(&dataset)
            .env("CHROMIUM", &chromium)
            .current_dir(dir)
            .output()
            .await
            .expect("node");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{b:?}: the browser run failed:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_ne!(
            got["origin"],
            format!("http://{addr}"),
            "the page is on another origin"
        );
        assert_eq!(got["query"]["status"], 200, "{b:?}: {got}");
        assert!(
            got["query"]["body"]["data"]["datasets"]["totalCount"]
                .as_u64()
                .unwrap()
                > 0,
            "{got}"
        );
        assert_eq!(got["protocol"], "graphql-transport-ws", "{got}");
        assert_eq!(got["ack"], "connection_ack", "{got}");
        assert_eq!(got["mutation"]["status"], 200, "{got}");
        assert_eq!(
            got["mutation"]["body"]["data"]["changeDisclosure"]["disclosure"]["status"],
            "UNDER_REVIEW",
            "{b:?}: {got}"
        );
        // Without the token the page reads the refusal (a coded error), not a CORS failure.
        assert!(
            got["anonymousMutation"]["body"]["errors"][0]["extensions"]["code"].is_string(),
            "{got}"
        );
        assert_eq!(
            got["event"]["data"]["disclosureChanged"]["toStatus"], "UNDER_REVIEW",
            "{b:?}: {got}"
        );
        assert_eq!(
            got["event"]["data"]["disclosureChanged"]["dataset"]["id"],
            dataset.as_str()
        );
        assert_eq!(got["consoleErrors"], serde_json::json!([]), "{got}");
        let _ = stop.send(());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn real_client_libraries_page_mutate_subscribe_and_resume() {
    let dir = installed();
    for b in backends().await {
        let t = with_fixture(b).await;
        let (addr, stop) = common::serve_db(&t.db).await;
        let token = common::officer_token(&t.db, "3010000").await;
        let dataset = gid("Dataset", 4);
        let out = tokio::process::Command::new("node")
            .arg("libraries.mjs")
            .arg(format!("http://{addr}/graphql"))
            .arg(format!("ws://{addr}/graphql/ws"))
            .arg(&token)
            .arg(&dataset)
            .current_dir(dir)
            .output()
            .await
            .expect("node");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{b:?}: the client run failed:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        let total = got["totalCount"].as_u64().unwrap();
        assert!(total > 7, "{got}");
        assert_eq!(got["paged"], total, "{b:?}: every dataset once: {got}");
        assert_eq!(got["distinct"], total, "{got}");
        assert_eq!(got["mutation"], "UNDER_REVIEW", "{got}");
        assert_eq!(got["first"], "UNDER_REVIEW", "{got}");
        assert_eq!(got["mutation2"], "OPEN", "{got}");
        assert_eq!(
            got["resumed"], "OPEN",
            "{b:?}: the change made while away: {got}"
        );
        assert_eq!(got["badToken"], 4403, "{got}");
        let _ = stop.send(());
        t.cleanup().await;
    }
}
