//! The catalog at national scale (not a test): load time and memory, then p50 of the figures it
//! answers, straight from the snapshot and through the router, and the time to apply a change
//! and a reload.
//!
//! ```sh
//! BENCH_DATABASE_URL=sqlite:///tmp/national.db?mode=rwc cargo bench --bench catalog
//! BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench cargo bench --bench catalog
//! ```
//!
//! An empty database gets the full demo first (about 30 s on SQLite).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use inventory::catalog::{self, Catalog, Selection};
use inventory::domain::datasets::{DatasetQuery, Facet, Filter, Order, PageRequest, Search};
use serde_json::json;
use tower::ServiceExt;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn p50(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "p50 {:>8.3} ms  p95 {:>8.3} ms",
        ms(v[v.len() / 2]),
        ms(v[(v.len() * 95 / 100).min(v.len() - 1)])
    )
}

fn time<T>(label: &str, runs: usize, mut f: impl FnMut() -> T) {
    let _ = f();
    let samples = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    println!("{label:<60} {}", p50(samples));
}

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

async fn http(app: &axum::Router, label: &str, query: &str, vars: serde_json::Value, runs: usize) {
    post(app, query, vars.clone()).await;
    let mut samples = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        post(app, query, vars.clone()).await;
        samples.push(t.elapsed());
    }
    println!("{label:<60} {}", p50(samples));
}

const FACETS: &str = "facets { status { value count } ground { value count } category { value count } type { value count } institutionKind { value count } }";

#[tokio::main]
async fn main() {
    let url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "sqlite:///tmp/national.db?mode=rwc".into());
    let db = inventory::db::connect_and_migrate(&url).await.unwrap();
    if inventory::demo::is_empty(&db).await.unwrap() {
        let t = Instant::now();
        let opts = inventory::demo::DemoOptions {
            scale: 1.0,
            seed: 2023,
        };
        inventory::demo::build(&db, &opts).await.unwrap();
        println!("demo built in {:.1} s", t.elapsed().as_secs_f64());
    }
    println!("backend: {}", inventory::db::backend_name(&db));
    let runs = 20;

    let before = rss_kib();
    let cat = Catalog::new(db.clone());
    let t = Instant::now();
    let snap = cat.load().await.unwrap();
    let load = t.elapsed();
    let after = rss_kib();
    println!(
        "load: {:.2} s, {} datasets, {} grams, RSS +{} MiB (now {} MiB)",
        load.as_secs_f64(),
        snap.alive.len(),
        snap.gram_count(),
        (after.saturating_sub(before)) / 1024,
        after / 1024
    );
    let mut loads = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        cat.load().await.unwrap();
        loads.push(t.elapsed());
    }
    println!(
        "reload (3 runs)                                              {}",
        p50(loads)
    );
    println!("RSS after reloads: {} MiB", rss_kib() / 1024);
    let snap = cat.read().await.unwrap();

    let withheld = Filter {
        statuses: Some(vec![entity::enums::DisclosureStatus::Withheld]),
        ..Default::default()
    };
    let queries: Vec<(&str, Filter, Option<&str>)> = vec![
        ("everything", Filter::default(), None),
        ("WITHHELD", withheld.clone(), None),
        ("search 정보", Filter::default(), Some("정보")),
        ("search 버스", Filter::default(), Some("버스")),
        ("search 미세먼지", Filter::default(), Some("미세먼지")),
        ("search 버스 among WITHHELD", withheld.clone(), Some("버스")),
        ("search transport", Filter::default(), Some("transport")),
    ];
    for (label, f, s) in &queries {
        let search = s.map(|s| Search::parse(s).unwrap().unwrap());
        let resolved = Catalog::resolve(&snap, search.as_ref());
        let sel = Selection::new(&snap, f, resolved.as_ref());
        println!("{label}: {} hits", sel.count());
        time(&format!("  {label}: count"), runs, || {
            Selection::new(&snap, f, resolved.as_ref()).count()
        });
        time(&format!("  {label}: count + 5 facets"), runs, || {
            let sel = Selection::new(&snap, f, resolved.as_ref());
            let facets: Vec<_> = [
                Facet::Status,
                Facet::Ground,
                Facet::Category,
                Facet::Type,
                Facet::InstitutionKind,
            ]
            .iter()
            .map(|x| sel.facet_counts(&snap, *x))
            .collect();
            (sel.count(), facets)
        });
        let q = DatasetQuery {
            filter: f.clone(),
            search: search.clone(),
            order: Order::Relevance,
        };
        for order in [
            Order::Relevance,
            Order::Id,
            Order::Title,
            Order::RegisteredNewest,
            Order::ModifiedNewest,
            Order::MostViewed,
        ] {
            let q = DatasetQuery { order, ..q.clone() };
            let req = PageRequest {
                size: 20,
                ..Default::default()
            };
            let first = catalog::page::page(&snap, &q, &sel.all, &req).unwrap();
            let after = PageRequest {
                after: first.rows.last().map(|(p, _)| p.clone()),
                ..req.clone()
            };
            time(
                &format!("  {label}: page ids, {order:?}, second page"),
                runs,
                || catalog::page::page(&snap, &q, &sel.all, &after).unwrap(),
            );
        }
    }
    time(
        "stats figures (total, 4 totals, top 10, openings)",
        runs,
        || {
            let sel = Selection::new(&snap, &Filter::default(), None);
            let t: Vec<_> = [
                Facet::Status,
                Facet::Ground,
                Facet::Category,
                Facet::InstitutionKind,
            ]
            .iter()
            .map(|x| sel.totals_by(&snap, *x))
            .collect();
            (
                t,
                catalog::stats::top_institutions(&snap, &sel.all, 10),
                catalog::stats::openings_per_month(&snap, &sel.all, None, None),
            )
        },
    );

    // Through the router (GraphQL and the page's rows from the database).
    let clock = std::sync::Arc::new(inventory::clock::SystemClock);
    let mut state = inventory::AppState::new(db.clone(), clock);
    state.start_hub().await.unwrap();
    state
        .catalog
        .follow(state.hub.as_ref().unwrap())
        .await
        .unwrap();
    let app = inventory::app(state.clone());
    let list = "query($s: String, $f: DatasetFilter, $o: DatasetOrder) { datasets(search: $s, filter: $f, first: 20, orderBy: $o) { totalCount nodes { title } } }";
    let faceted = format!(
        "query($s: String, $f: DatasetFilter) {{ datasets(search: $s, filter: $f, first: 20) {{ totalCount {FACETS} nodes {{ title institution {{ name }} disclosure {{ status ground {{ label }} }} }} }} }}"
    );
    for s in ["버스", "정보", "미세먼지"] {
        http(
            &app,
            &format!("http: search {s:?} + total"),
            list,
            json!({ "s": s }),
            runs,
        )
        .await;
        http(
            &app,
            &format!("http: search {s:?} + total + facets"),
            &faceted,
            json!({ "s": s }),
            runs,
        )
        .await;
    }
    http(
        &app,
        "http: everything + total + facets",
        &faceted,
        json!({}),
        runs,
    )
    .await;
    http(
        &app,
        "http: WITHHELD + total + facets",
        &faceted,
        json!({ "f": { "status": ["WITHHELD"] } }),
        runs,
    )
    .await;
    for o in [
        "ID",
        "TITLE",
        "REGISTERED_NEWEST",
        "MODIFIED_NEWEST",
        "MOST_VIEWED",
    ] {
        http(
            &app,
            &format!("http: WITHHELD page of 20 by {o} + total"),
            list,
            json!({ "f": { "status": ["WITHHELD"] }, "o": o }),
            runs,
        )
        .await;
    }
    let stats_q = "{ stats { total byStatus { value count } byGround { value count } legalVsPractical { legal practical } byCategory { value count } byInstitutionKind { value count } topInstitutions(first: 10) { total open withheld institution { name } } openingsPerMonth { month count } } }";
    http(
        &app,
        "http: stats, dataset figures",
        stats_q,
        json!({}),
        runs,
    )
    .await;
    let stats_all = "{ stats { total byStatus { value count } legalVsPractical { legal practical } byCategory { value count } topInstitutions(first: 10) { total } openingsPerMonth { month count } mostDemanded(first: 10) { requests } requestOutcomes { state count } turnaround { decided } } }";
    http(
        &app,
        "http: stats, every figure (request figures in SQL)",
        stats_all,
        json!({}),
        runs,
    )
    .await;
    let stats_filtered = stats_all.replace(
        "{ stats {",
        "query($f: DatasetFilter, $s: String) { stats(filter: $f, search: $s) {",
    );
    for (label, vars) in [
        ("WITHHELD", json!({ "f": { "status": ["WITHHELD"] } })),
        ("search 정보", json!({ "s": "정보" })),
        ("search 버스", json!({ "s": "버스" })),
    ] {
        http(
            &app,
            &format!("http: stats, every figure, {label}"),
            &stats_filtered,
            vars,
            runs,
        )
        .await;
    }

    // A change applied: one disclosure change, then catching up.
    let id = snap.row(snap.alive.min().unwrap()).id;
    let version: i32 = {
        use sea_orm::{ConnectionTrait, Statement};
        db.query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT version FROM disclosure WHERE dataset_id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
    };
    let txn = inventory::db::begin_write(&db).await.unwrap();
    let c = inventory::domain::disclosure::Change {
        status: entity::enums::DisclosureStatus::UnderReview,
        ground: None,
        explanation: Some("bench".into()),
        mitigation: vec![],
        planned_open_on: None,
        next_review_on: None,
    };
    inventory::domain::disclosure::apply(&txn, id, version, &c, "bench", None, chrono::Utc::now())
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let t = Instant::now();
    state.catalog.sync().await.unwrap();
    println!(
        "one disclosure change applied in {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("RSS at the end: {} MiB", rss_kib() / 1024);

    // An import: the real inventory into a fresh database whose catalog is loaded (empty), then
    // the catalog catching up with the import's events (61,000 rows changed).
    let real = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/data-go-kr-open-inventory-2022-06-30.csv.gz");
    if real.exists() && !inventory::config::is_postgres(&url) {
        let dir = tempfile::tempdir().unwrap();
        let url = inventory::config::sqlite_url(&dir.path().join("import.db"));
        let db = inventory::db::connect_and_migrate(&url).await.unwrap();
        let cat = Catalog::new(db.clone());
        cat.load().await.unwrap();
        let r = inventory::import::import_file(&db, &real, &Default::default(), chrono::Utc::now())
            .await
            .unwrap();
        let t = Instant::now();
        let snap = cat.sync().await.unwrap();
        println!(
            "real import ({} rows inserted) applied to the catalog in {:.2} s ({} datasets)",
            r.inserted,
            t.elapsed().as_secs_f64(),
            snap.alive.len()
        );
    }
}
