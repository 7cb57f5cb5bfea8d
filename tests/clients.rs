//! Real clients against a real server on a free port, from Node.js: the GraphQL-over-HTTP audit
//! (`graphql-http`'s `auditServer`: every MUST and SHOULD), and a page on another origin in a
//! real browser (Debian's `chromium`, headless, through `playwright-core`) that queries,
//! revalidates a GET query to a `304` from its own cache, subscribes and mutates with a token,
//! and the client libraries a civic-tech developer would
//! pick (`graphql-request`, `graphql-ws`): a paged read, a mutation with a token, a subscription
//! resumed from its cursor, a refused token seen as the protocol's close code. The Node packages come from
//! `tests/clients/package-lock.json` through the npm registry (`npm ci`, run here on first use);
//! the browser test needs `/usr/bin/chromium` (or `CHROMIUM`), which `.ci/run` installs.
//!
//! From Python, the same scenario with `gql` (`tests/clients/libraries.py`: aiohttp over HTTP,
//! `websockets` with `graphql-transport-ws`), checked against what the database and the change
//! feed hold. Its packages, pinned in `tests/clients/requirements.txt`, come from PyPI into the
//! virtualenv `tests/clients/.venv` (`python3 -m venv`, then `pip install -r`, run here on first
//! use and again when the pins change); it needs `python3` with `venv` and `pip` on the PATH.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::api::gid;
use common::{backends, with_demo, with_fixture};
use serde_json::{Value, json};

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

/// Installs the Python client packages (`requirements.txt`) into `tests/clients/.venv` once per
/// test run, and again whenever the pins change; returns the virtualenv's interpreter.
fn python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let dir = clients_dir();
        let venv = dir.join(".venv");
        let python = venv.join("bin/python");
        let requirements = dir.join("requirements.txt");
        let wanted = std::fs::read_to_string(&requirements).unwrap();
        // What the last successful install installed; anything else installs again.
        let stamp = venv.join("installed-requirements.txt");
        if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
            return python;
        }
        if !python.exists() {
            let status = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .unwrap_or_else(|e| {
                    panic!(
                        "the Python client test needs python3 (with venv and pip) on the PATH: {e}"
                    )
                });
            assert!(
                status.success(),
                "python3 -m venv {} failed (on Debian, install python3-venv)",
                venv.display()
            );
        }
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements)
            .status()
            .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        assert!(
            status.success(),
            "pip install -r {} into {} failed",
            requirements.display(),
            venv.display()
        );
        std::fs::write(&stamp, wanted).unwrap();
        python
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
        // A GET query asked twice with `cache: 'no-cache'`: the browser revalidates with the
        // ETag it kept, the server answers 304, and the page gets the same JSON.
        assert_eq!(got["cached"][0]["status"], 200, "{got}");
        assert_eq!(got["cached"][1]["status"], 200, "{got}");
        assert_eq!(got["cached"][0]["body"], got["cached"][1]["body"], "{got}");
        let wire = got["wire"].as_array().unwrap();
        assert_eq!(wire.len(), 2, "{b:?}: {got}");
        assert_eq!(wire[0]["status"], 200, "{got}");
        assert!(wire[0]["ifNoneMatch"].is_null(), "{got}");
        assert_eq!(wire[1]["status"], 304, "{b:?}: {got}");
        assert_eq!(wire[1]["ifNoneMatch"], wire[0]["etag"], "{got}");
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

/// GraphiQL in a real browser titles its tabs as the README titles the examples, keeps them when
/// the user switches tabs (GraphiQL computes a tab's title again on every switch) and runs the
/// first example from its tab.
#[tokio::test]
async fn graphiql_tabs_carry_the_example_titles_in_a_real_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        eprintln!("SKIPPED: no browser at {chromium} (install Debian's chromium, as .ci/run does)");
        return;
    }
    let dir = installed();
    let titles: Vec<&str> = inventory::graphql::examples::EXAMPLES
        .iter()
        .map(|e| e.title)
        .collect();
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let (addr, stop) = common::serve_db(&t.db).await;
        let out = tokio::process::Command::new("node")
            .arg("graphiql.mjs")
            .arg(format!("http://{addr}"))
            .env("CHROMIUM", &chromium)
            .current_dir(dir)
            .output()
            .await
            .expect("node");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{b:?}: the GraphiQL run failed:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_str(stdout.trim()).unwrap();
        for when in ["first", "afterSwitching", "afterRunning"] {
            assert_eq!(got[when], json!(titles), "{b:?} {when}: {got}");
        }
        assert!(got["response"]["errors"].is_null(), "{b:?}: {got}");
        assert!(
            got["response"]["data"]["institutions"]["nodes"][0]["code"].is_string(),
            "{b:?}: {got}"
        );
        assert_eq!(got["consoleErrors"], json!([]), "{got}");
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

/// Every disclosure change of `dataset` in the server's change feed, oldest first.
async fn feed_of(app: &axum::Router, dataset: &str) -> Vec<Value> {
    let q = "query($a: String) { disclosureChanges(after: $a, first: 1000) { endCursor hasMore changes { cursor datasetId toStatus } } }";
    let mut after = Value::Null;
    let mut changes = Vec::new();
    loop {
        let v = common::gql(app, q, json!({ "a": after })).await;
        let page = &v["data"]["disclosureChanges"];
        let list = page["changes"].as_array().unwrap_or_else(|| panic!("{v}"));
        changes.extend(list.iter().filter(|c| c["datasetId"] == dataset).cloned());
        after = page["endCursor"].clone();
        if page["hasMore"] != true {
            return changes;
        }
    }
}

#[tokio::test]
async fn the_python_client_gql_pages_mutates_subscribes_and_resumes() {
    use sea_orm::{ConnectionTrait, Statement};
    let python = python();
    for b in backends().await {
        let t = with_fixture(b).await;
        let (addr, stop) = common::serve_db(&t.db).await;
        // Dataset 4 belongs to 종로구 (3010000), whose officer holds the token.
        let token = common::officer_token(&t.db, "3010000").await;
        let dataset = gid("Dataset", 4);
        let events = "SELECT count(*) FROM disclosure_event WHERE dataset_id = 4";
        let events_before = common::count(&t.db, events).await;
        let out = tokio::process::Command::new(python)
            .arg("libraries.py")
            .arg(format!("http://{addr}/graphql"))
            .arg(format!("ws://{addr}/graphql/ws"))
            .arg(&token)
            .arg(&dataset)
            .current_dir(clients_dir())
            .output()
            .await
            .expect("the virtualenv's python");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{b:?}: the gql run failed:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_str(stdout.trim()).unwrap();

        // The paged read is the database's whole inventory, each dataset once.
        let mut in_db: Vec<String> =
            t.db.query_all_raw(Statement::from_string(
                t.db.get_database_backend(),
                "SELECT id FROM dataset",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| gid("Dataset", r.try_get_by_index::<i64>(0).unwrap()))
            .collect();
        in_db.sort();
        let mut paged: Vec<String> = got["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got["totalCount"], in_db.len(), "{b:?}: {got}");
        assert_eq!(
            got["paged"],
            in_db.len(),
            "{b:?}: every dataset once: {got}"
        );
        assert_eq!(got["distinct"], in_db.len(), "{got}");
        assert!(in_db.len() > 7, "more than one page: {got}");
        paged.sort();
        assert_eq!(
            paged, in_db,
            "{b:?}: the pages hold the database's datasets"
        );

        // The mutations with the token are in the database: two changes, the last one current.
        assert_eq!(got["protocol"], "graphql-transport-ws", "{got}");
        assert_eq!(got["mutation"], "UNDER_REVIEW", "{got}");
        assert_eq!(got["mutation2"], "OPEN", "{got}");
        assert_eq!(
            common::count(&t.db, events).await - events_before,
            2,
            "{b:?}: {got}"
        );
        let app = inventory::app(common::state(&t.db));
        let now = common::gql(
            &app,
            "query($id: ID!) { dataset(id: $id) { disclosure { status } } }",
            json!({ "id": dataset }),
        )
        .await;
        assert_eq!(
            now["data"]["dataset"]["disclosure"]["status"], got["mutation2"],
            "{now}"
        );

        // The subscription saw the first change, and the resumed one the change made while away:
        // the feed's last two changes of the dataset, cursors and all.
        let feed = feed_of(&app, &dataset).await;
        let [.., seen, missed] = feed.as_slice() else {
            panic!("{b:?}: the feed lacks the two changes: {feed:?}")
        };
        assert_eq!(got["first"], seen["toStatus"], "{b:?}: {got}");
        assert_eq!(got["firstCursor"], seen["cursor"], "{b:?}: {got}");
        assert_eq!(got["first"], got["mutation"], "{got}");
        assert_eq!(
            got["resumed"], missed["toStatus"],
            "{b:?}: the change made while away: {got}"
        );
        assert_eq!(got["resumedCursor"], missed["cursor"], "{b:?}: {got}");
        assert_eq!(got["resumedDataset"], dataset.as_str(), "{got}");
        assert_eq!(got["badToken"], 4403, "{got}");
        let _ = stop.send(());
        t.cleanup().await;
    }
}
