//! No N+1: one request for a page of datasets with institution (and parent), disclosure, ground,
//! history, requests and bundles runs the same number of SQL statements for 10 and for 100
//! datasets, every time; so do nested lists, `nodes(ids)`, and a page of institutions with their
//! datasets, requests, bundles and review queues; so does a page of the review queue, and a
//! page of the list as of a past day with `catalogChanges`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{backends, gql, with_demo};
use serde_json::json;

const QUERY: &str = r#"query($n: Int, $s: String) {
  datasets(first: $n, search: $s) {
    totalCount
    nodes {
      title
      institution { name parent { name } }
      disclosure { status ground { label legalProvision } }
      history { toStatus }
      requests { state }
      coreDataBundles { name }
    }
  }
}"#;

#[tokio::test]
async fn statement_count_does_not_grow_with_the_page() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        // A separate connection whose every statement is counted.
        let db = inventory::db::connect(&t.url).await.unwrap();
        let counter = Arc::new(AtomicUsize::new(0));
        // As a server runs: the catalog loaded before serving and following the outbox over
        // a connection of its own (not counted), so reads take its published snapshot.
        let app = inventory::app(serving_state(&t.url, &db, counter.clone()).await);
        let mut seen = Vec::new();
        for search in [None, Some("정보")] {
            for n in [10, 100, 10, 100, 100] {
                counter.store(0, Ordering::SeqCst);
                let v = gql(&app, QUERY, json!({ "n": n, "s": search })).await;
                assert!(v["errors"].is_null(), "{}", v["errors"]);
                assert_eq!(v["data"]["datasets"]["nodes"].as_array().unwrap().len(), n);
                seen.push((search, n, counter.load(Ordering::SeqCst)));
            }
        }
        let counts: Vec<usize> = seen.iter().filter(|s| s.0.is_none()).map(|s| s.2).collect();
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{b:?}: statements per request vary: {seen:?}"
        );
        let with_search: Vec<usize> = seen.iter().filter(|s| s.0.is_some()).map(|s| s.2).collect();
        assert!(
            with_search.iter().all(|c| *c == with_search[0]),
            "{b:?}: {seen:?}"
        );
        // the page with its disclosures, history, requests, bundle links + bundles (institutions
        // and parents come from the catalog)
        assert!(
            counts[0] <= 5,
            "{b:?}: {} statements for one page",
            counts[0]
        );
        println!(
            "{b:?}: {} statements per request without search, {} with",
            counts[0], with_search[0]
        );
        db.close().await.unwrap();
        t.cleanup().await;
    }
}

/// A server's state over `db`, whose every statement adds one to `counter` (set after the
/// state's own metrics callback, which it replaces): the catalog and the outbox hub on a
/// connection of their own, the catalog loaded and following, as `inventory::run` sets up.
async fn serving_state(
    url: &str,
    db: &sea_orm::DatabaseConnection,
    counter: Arc<AtomicUsize>,
) -> inventory::AppState {
    let background = inventory::db::connect(url).await.unwrap();
    let mut state = common::state(db);
    state.db.set_metric_callback(move |m| {
        if std::env::var("SHOW_SQL").is_ok() {
            eprintln!("SQL: {}", m.statement.sql);
        }
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let hub = inventory::hub::Hub::start(background.clone(), None, None)
        .await
        .unwrap();
    state.catalog = inventory::catalog::Catalog::new(background);
    state.catalog.follow(&hub).await.unwrap();
    state.hub = Some(hub);
    state
}

/// Runs `query` with each of `variables` on a counted connection and returns the statements of
/// each request.
async fn count_statements(
    t: &common::TestDb,
    query: &str,
    variables: &[serde_json::Value],
    check: impl Fn(&serde_json::Value),
) -> Vec<usize> {
    let db = inventory::db::connect(&t.url).await.unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let app = inventory::app(serving_state(&t.url, &db, counter.clone()).await);
    let mut counts = Vec::new();
    for vars in variables {
        counter.store(0, Ordering::SeqCst);
        let v = gql(&app, query, vars.clone()).await;
        assert!(v["errors"].is_null(), "{}", v["errors"]);
        check(&v);
        counts.push(counter.load(Ordering::SeqCst));
    }
    db.close().await.unwrap();
    counts
}

const NESTED: &str = r#"query($n: Int, $b: Int, $d: Int) {
  plans(first: $n) {
    nodes {
      name
      commitments {
        code
        plan { name }
        leadInstitution { name }
        milestoneCompletion { total completed }
        milestones { title completion commitment { code } }
      }
    }
  }
  coreDataBundles(first: $b) {
    nodes {
      name
      leadInstitution { name }
      datasets(first: $d) {
        title
        institution { name }
        disclosure { status }
        history(first: 2) { toStatus }
        coreDataBundles { name }
      }
    }
  }
  targets { title progress { achieved } endOf2024: progress(asOf: "2024-12-31") { achieved status } plan { name } commitment { code milestones { title } } }
}"#;

/// Plans → commitments → milestones and bundles → datasets (with their relations): one statement
/// per relation and level, whether the pages hold one item or many.
#[tokio::test]
async fn nested_lists_do_not_multiply_statements() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let plans = common::count(&t.db, "SELECT COUNT(*) FROM plan").await;
        let commitments = common::count(
            &t.db,
            "SELECT COUNT(*) FROM commitment WHERE plan_id IS NOT NULL",
        )
        .await;
        assert!(plans >= 2 && commitments >= 2, "{b:?}: {plans} plans");
        // The smallest pages that reach every level: up to the first plan with commitments
        // and the first bundle with datasets.
        let app = inventory::app(common::state(&t.db));
        let v = gql(
            &app,
            "{ plans(first: 100) { nodes { commitments { code } } } coreDataBundles(first: 100) { nodes { datasets(first: 1) { title } } } }",
            json!({}),
        )
        .await;
        let first_with = |list: &serde_json::Value, field: &str| {
            list.as_array()
                .unwrap()
                .iter()
                .position(|n| !n[field].as_array().unwrap().is_empty())
                .unwrap()
                + 1
        };
        let n = first_with(&v["data"]["plans"]["nodes"], "commitments");
        let nb = first_with(&v["data"]["coreDataBundles"]["nodes"], "datasets");
        let vars = [
            json!({ "n": n, "b": nb, "d": 1 }),
            json!({ "n": 100, "b": 30, "d": 20 }),
            json!({ "n": n, "b": nb, "d": 1 }),
            json!({ "n": 100, "b": 30, "d": 20 }),
        ];
        let counts = count_statements(&t, NESTED, &vars, |_| {}).await;
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{b:?}: statements per request vary with the page sizes: {counts:?}"
        );
        println!(
            "{b:?}: {} statements for nested plans and bundles",
            counts[0]
        );
        // The larger request does return many items at every level.
        let v = gql(&app, NESTED, vars[1].clone()).await;
        let nodes = v["data"]["plans"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len() as i64, plans);
        let seen: usize = nodes
            .iter()
            .map(|p| p["commitments"].as_array().unwrap().len())
            .sum();
        assert_eq!(seen as i64, commitments);
        let datasets: usize = v["data"]["coreDataBundles"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["datasets"].as_array().unwrap().len())
            .sum();
        assert!(datasets >= 30, "{b:?}: only {datasets} bundle datasets");
        t.cleanup().await;
    }
}

const NODES: &str = r#"query($ids: [ID!]!) {
  nodes(ids: $ids) {
    id
    ... on Dataset { title institution { name } disclosure { status } history { toStatus } }
    ... on Institution { name }
    ... on CoreDataBundle { name datasets(first: 3) { title } }
    ... on Plan { name commitments { code milestones { title } } }
    ... on Commitment { code }
    ... on Milestone { title }
    ... on Target { title progress { achieved } endOf2024: progress(asOf: "2024-12-31") { achieved status metOn } }
    ... on DataRequest { state }
    ... on DisclosureEvent { toStatus dataset { title } }
  }
}"#;

/// `nodes(ids)` loads each kind with one statement, however many ids of it are asked.
#[tokio::test]
async fn nodes_load_each_kind_at_once() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let app = inventory::app(common::state(&t.db));
        let v = gql(
            &app,
            r#"{
              datasets(first: 30) { nodes { id history { id } requests { id } } }
              institutions(first: 30) { nodes { id } }
              coreDataBundles(first: 30) { nodes { id } }
              plans(first: 30) { nodes { id commitments { code } } }
              commitments(first: 30) { nodes { id } }
              milestones(first: 30) { nodes { id } }
              targets { id }
              dataRequests(first: 30) { nodes { id } }
            }"#,
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{}", v["errors"]);
        let d = &v["data"];
        let ids_of = |list: &serde_json::Value| -> Vec<String> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_string())
                .collect()
        };
        let mut groups: Vec<Vec<String>> = vec![
            ids_of(&d["datasets"]["nodes"]),
            ids_of(&d["institutions"]["nodes"]),
            ids_of(&d["coreDataBundles"]["nodes"]),
            // Plans with commitments, so that one plan already needs the milestone level.
            d["plans"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| !p["commitments"].as_array().unwrap().is_empty())
                .map(|p| p["id"].as_str().unwrap().to_string())
                .collect(),
            ids_of(&d["commitments"]["nodes"]),
            ids_of(&d["milestones"]["nodes"]),
            ids_of(&d["targets"]),
            ids_of(&d["dataRequests"]["nodes"]),
        ];
        let events: Vec<String> = d["datasets"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| ids_of(&n["history"]))
            .collect();
        groups.push(events);
        for g in &groups {
            assert!(!g.is_empty(), "{b:?}: a kind has no ids: {groups:?}");
        }
        // One of each kind, then up to 11 of each (100 ids in all at most).
        let few: Vec<String> = groups.iter().map(|g| g[0].clone()).collect();
        let many: Vec<String> = groups
            .iter()
            .flat_map(|g| g.iter().take(11).cloned())
            .collect();
        assert!(many.len() > 3 * few.len(), "{b:?}: {}", many.len());
        let vars = [
            json!({ "ids": few }),
            json!({ "ids": many }),
            json!({ "ids": few }),
            json!({ "ids": many }),
        ];
        let counts = count_statements(&t, NODES, &vars, |v| {
            assert!(
                v["data"]["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|n| n["id"].is_string()),
                "{v}"
            );
        })
        .await;
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{b:?}: statements per request vary with the number of ids: {counts:?}"
        );
        println!(
            "{b:?}: {} statements for nodes(ids) of {} and of {} ids",
            counts[0],
            few.len(),
            many.len()
        );
        t.cleanup().await;
    }
}

const INSTITUTIONS: &str = r#"query($n: Int) {
  institutions(first: $n, orderBy: DATASETS_HELD) {
    nodes {
      name
      record { datasetsHeld nationalCore reviewDue }
      formerNames { name }
      reviewQueue(first: 3) {
        totalCount
        nodes { reasons waitingSince dataset { title institution { name } disclosure { status } history { toStatus } } }
      }
      due: reviewQueue(first: 0) { totalCount }
      datasets(first: 3, orderBy: TITLE) {
        totalCount
        nodes { title institution { name } disclosure { status } history { toStatus } coreDataBundles { name } }
      }
      withheld: datasets(filter: { status: [WITHHELD] }) { totalCount }
      requests(first: 2) { totalCount nodes { state dataset { title } } }
      coreDataBundles { name leadInstitution { name } }
    }
  }
  stats {
    topInstitutions(first: $n) {
      institution { datasets(first: 2) { nodes { title } } requests { totalCount } }
    }
  }
}"#;

/// A page of institutions with their datasets (a page each, totals, their relations), requests,
/// bundles and records: the same statements for 2 institutions and for 20, from the list and
/// from the top institutions of `stats`.
#[tokio::test]
async fn institution_relations_do_not_multiply_statements() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let institutions = common::count(&t.db, "SELECT COUNT(*) FROM institution").await;
        assert!(institutions >= 20, "{b:?}: {institutions} institutions");
        let vars = [
            json!({ "n": 2 }),
            json!({ "n": 20 }),
            json!({ "n": 2 }),
            json!({ "n": 20 }),
        ];
        let counts = count_statements(&t, INSTITUTIONS, &vars, |v| {
            let nodes = v["data"]["institutions"]["nodes"].as_array().unwrap();
            assert!(nodes.len() == 2 || nodes.len() == 20, "{v}");
        })
        .await;
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{b:?}: statements per request vary with the page size: {counts:?}"
        );
        // The larger page does reach datasets, requests and bundles of many institutions.
        let app = inventory::app(common::state(&t.db));
        let v = gql(&app, INSTITUTIONS, vars[1].clone()).await;
        assert!(v["errors"].is_null(), "{}", v["errors"]);
        let nodes = v["data"]["institutions"]["nodes"].as_array().unwrap();
        let with = |f: &dyn Fn(&serde_json::Value) -> bool| nodes.iter().filter(|n| f(n)).count();
        assert!(
            with(&|n| !n["datasets"]["nodes"].as_array().unwrap().is_empty()) >= 15,
            "{b:?}"
        );
        assert!(
            with(&|n| n["requests"]["totalCount"].as_u64().unwrap() > 0) >= 2,
            "{b:?}"
        );
        assert!(
            with(&|n| !n["coreDataBundles"].as_array().unwrap().is_empty()) >= 2,
            "{b:?}"
        );
        assert!(
            with(&|n| n["reviewQueue"]["nodes"].as_array().unwrap().len() == 3) >= 15,
            "{b:?}"
        );
        println!(
            "{b:?}: {} statements for a page of institutions and their data",
            counts[0]
        );
        t.cleanup().await;
    }
}

const QUEUE: &str = r#"query($n: Int) {
  reviewQueue(first: $n) {
    totalCount
    nodes { reasons dataset { title institution { name parent { name } } disclosure { status ground { label } } history { toStatus } requests { state } coreDataBundles { name } } }
  }
  stats { reviewDue }
}"#;

/// A page of the review queue with its datasets' relations: the same statements for 10 items
/// and for 100 (the queue itself comes from the catalog).
#[tokio::test]
async fn review_queue_pages_do_not_multiply_statements() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let vars = [
            json!({ "n": 10 }),
            json!({ "n": 100 }),
            json!({ "n": 10 }),
            json!({ "n": 100 }),
        ];
        let counts = count_statements(&t, QUEUE, &vars, |v| {
            let nodes = v["data"]["reviewQueue"]["nodes"].as_array().unwrap();
            assert!(nodes.len() == 10 || nodes.len() == 100, "{v}");
        })
        .await;
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{b:?}: statements per request vary with the page size: {counts:?}"
        );
        assert!(
            counts[0] <= 6,
            "{b:?}: {} statements for one page",
            counts[0]
        );
        println!(
            "{b:?}: {} statements for a page of the review queue",
            counts[0]
        );
        t.cleanup().await;
    }
}

const AS_OF: &str = r#"query($n: Int, $d: Date) {
  datasets(asOf: $d, first: $n, filter: { status: [WITHHELD] }) {
    totalCount
    nodes { title stateAsOf { status ground listed } institution { name } disclosure { status } history(first: 3) { toStatus } }
  }
  catalogChanges(from: "2023-01-01", to: $d) { totals { total } byInstitution(first: 20) { institution { name } changes { total } } }
}"#;

/// The catalog as of a day: one statement rebuilds the states (whatever the page size), one
/// compares two days, and a page of the past list with its relations takes as many statements
/// for 10 items as for 100.
#[tokio::test]
async fn as_of_pages_do_not_multiply_statements() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let vars = [
            json!({ "n": 10, "d": "2025-06-30" }),
            json!({ "n": 100, "d": "2025-06-30" }),
            json!({ "n": 10, "d": "2025-06-30" }),
            json!({ "n": 100, "d": "2025-06-30" }),
        ];
        let counts = count_statements(&t, AS_OF, &vars, |v| {
            let nodes = v["data"]["datasets"]["nodes"].as_array().unwrap();
            assert!(nodes.len() == 10 || nodes.len() == 100, "{v}");
            assert!(nodes.iter().all(|n| n["stateAsOf"]["status"] == "WITHHELD"));
        })
        .await;
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{b:?}: statements per request vary with the page size: {counts:?}"
        );
        assert!(
            counts[0] <= 6,
            "{b:?}: {} statements for a past page and the changes",
            counts[0]
        );
        println!(
            "{b:?}: {} statements for a page as of a day and the changes",
            counts[0]
        );
        t.cleanup().await;
    }
}
