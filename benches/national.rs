//! National-scale benchmark (not a test): builds the full demo inventory (or uses
//! `BENCH_DATABASE_URL`), then prints latency figures for searches, lists with facets, stats and
//! exports, sent through the real router. Also times the real inventory import.
//!
//! ```sh
//! cargo bench --bench national                       # SQLite in a temporary directory
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench cargo bench --bench national
//! ```

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

async fn post(app: &axum::Router, query: &str, vars: serde_json::Value) -> serde_json::Value {
    let body = json!({ "query": query, "variables": vars }).to_string();
    let req = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert!(v["errors"].is_null(), "{query}: {}", v["errors"]);
    v
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p50 = ms(samples[samples.len() / 2]);
    let p95 = ms(samples[(samples.len() * 95 / 100).min(samples.len() - 1)]);
    (p50, p95, ms(*samples.last().unwrap()))
}

async fn bench(app: &axum::Router, label: &str, query: &str, vars: serde_json::Value, runs: usize) {
    let first = post(app, query, vars.clone()).await; // warm the caches
    let total = first["data"]["datasets"]["totalCount"].as_u64();
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        post(app, query, vars.clone()).await;
        samples.push(t.elapsed());
    }
    let (p50, p95, max) = stats(samples);
    let hits = total
        .map(|n| format!("{n:>7} hits"))
        .unwrap_or_else(|| "           ".into());
    println!("{label:<58} {hits}  p50 {p50:>7.1} ms  p95 {p95:>7.1} ms  max {max:>7.1} ms");
}

const FACETS: &str = "facets { status { value count } ground { value count } category { value count } type { value count } institutionKind { value count } }";

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| inventory::config::sqlite_url(&dir.path().join("bench.db")));
    let db = inventory::db::connect_and_migrate(&url).await.unwrap();
    if inventory::demo::is_empty(&db).await.unwrap() {
        let t = Instant::now();
        let s = inventory::demo::build(
            &db,
            &inventory::demo::DemoOptions {
                scale: 1.0,
                seed: 2023,
            },
        )
        .await
        .unwrap();
        println!(
            "demo built in {:.1} s (datasets {:.1} s, statistics and commit {:.1} s): {} datasets",
            t.elapsed().as_secs_f64(),
            s.datasets_elapsed.as_secs_f64(),
            s.finish_elapsed.as_secs_f64(),
            s.open_datasets + s.not_open_datasets
        );
    }
    println!("backend: {}", inventory::db::backend_name(&db));
    let clock = std::sync::Arc::new(inventory::clock::SystemClock);
    let app = inventory::app(inventory::AppState::new(db.clone(), clock));
    let runs = 20;

    let list = "query($s: String, $f: DatasetFilter) { datasets(search: $s, filter: $f, first: 20) { totalCount nodes { title institution { name } disclosure { status ground { label } } } } }";
    let faceted = format!(
        "query($s: String, $f: DatasetFilter) {{ datasets(search: $s, filter: $f, first: 20) {{ totalCount {FACETS} nodes {{ title institution {{ name }} disclosure {{ status ground {{ label }} }} }} }} }}"
    );
    for s in [
        "버스",
        "교통",
        "정보",
        "미세먼지",
        "미세 먼지",
        "미세먼지측정",
        "COVID-19",
        "transport",
    ] {
        bench(
            &app,
            &format!("search {s:?}, page of 20 + total"),
            list,
            json!({ "s": s }),
            runs,
        )
        .await;
        bench(
            &app,
            &format!("search {s:?}, page of 20 + total + 5 facets"),
            &faceted,
            json!({ "s": s }),
            runs,
        )
        .await;
    }
    bench(
        &app,
        "search \"버스\" among WITHHELD + facets",
        &faceted,
        json!({ "s": "버스", "f": { "status": ["WITHHELD"] } }),
        runs,
    )
    .await;
    bench(
        &app,
        "no search: whole inventory + total + facets",
        &faceted,
        json!({}),
        runs,
    )
    .await;
    bench(
        &app,
        "no search: WITHHELD + total + facets",
        &faceted,
        json!({ "f": { "status": ["WITHHELD"] } }),
        runs,
    )
    .await;
    bench(
        &app,
        "no search: one institution + total + facets",
        &faceted,
        json!({ "f": { "institutionCode": ["6DEMO0164"] } }),
        runs,
    )
    .await;
    let page100 = "{ datasets(first: 100) { nodes { title institution { name parent { name } } disclosure { status ground { label } } history { toStatus } coreDataBundles { name } } } }";
    bench(
        &app,
        "page of 100 with institution, disclosure, history, bundles",
        page100,
        json!({}),
        runs,
    )
    .await;
    let stats_q = "{ stats { total byStatus { value count } legalVsPractical { legal practical } byCategory { value count } topInstitutions(first: 10) { total } openingsPerMonth { month count } mostDemanded(first: 10) { requests } requestOutcomes { state count } turnaround { decided } } }";
    bench(&app, "stats: whole dashboard", stats_q, json!({}), 5).await;

    // CSV export of everything withheld, streamed.
    let t = Instant::now();
    let req = Request::get("/export/datasets.csv?filter=%7B%22status%22%3A%5B%22WITHHELD%22%5D%7D")
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let rows = bytes.iter().filter(|b| **b == b'\n').count() - 1;
    println!(
        "CSV export of WITHHELD: {rows} rows, {:.1} MB in {:.2} s ({:.0} rows/s)",
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        rows as f64 / t.elapsed().as_secs_f64()
    );
    db.close().await.unwrap();

    // The real inventory import into a fresh SQLite file.
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/data-go-kr-open-inventory-2022-06-30.csv.gz");
    if real.exists() {
        let url = inventory::config::sqlite_url(&dir.path().join("import.db"));
        let db = inventory::db::connect_and_migrate(&url).await.unwrap();
        let t = Instant::now();
        let opts = inventory::import::ImportOptions {
            drop_demo: false,
            progress: false,
        };
        let r = inventory::import::import_file(&db, &real, &opts, chrono::Utc::now())
            .await
            .unwrap();
        println!(
            "real inventory import (SQLite): {} rows in {:.1} s",
            r.inserted,
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let r = inventory::import::import_file(&db, &real, &opts, chrono::Utc::now())
            .await
            .unwrap();
        println!(
            "re-import of the same file: {} unchanged in {:.1} s",
            r.unchanged,
            t.elapsed().as_secs_f64()
        );
    }
}
