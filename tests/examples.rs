//! Every GraphiQL example runs without errors against the demo and against a real import, on
//! every backend, and shows something on both — or says in its comment why it cannot on open
//! data alone.

mod common;

use common::{Backend, backends, gql, state, with_demo, with_real_sample};
use inventory::graphql::examples::{EXAMPLES, Example};
use serde_json::Value;

/// Subscriptions run over WebSocket (tests/subscriptions.rs); token-needing mutations are shown
/// for the user to fill in. Both are only parsed.
fn runs_here(e: &Example) -> bool {
    !(e.query.starts_with("subscription") || e.query.contains("Headers tab"))
}

/// Whether an answer holds anything: a non-empty list, a count above zero or a text somewhere.
fn shows_something(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => o.values().any(shows_something),
        Value::Number(n) => n.as_f64().is_some_and(|n| n > 0.0),
        Value::String(s) => !s.is_empty(),
        _ => false,
    }
}

/// An example's comment lines as one text.
fn comment(e: &Example) -> String {
    e.query
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs every example that runs here; fails on any error; returns each answer's data.
async fn run_examples(app: &axum::Router, b: Backend, on: &str) -> Vec<(&'static Example, Value)> {
    let mut answers = Vec::new();
    for e in EXAMPLES {
        if !runs_here(e) {
            let parsed = async_graphql::parser::parse_query(e.query);
            assert!(parsed.is_ok(), "example {:?} does not parse", e.title);
            continue;
        }
        let vars: Value = e
            .variables
            .map(|v| serde_json::from_str(v).expect("example variables are JSON"))
            .unwrap_or_default();
        let v = gql(app, e.query, vars).await;
        assert!(
            v["errors"].is_null(),
            "{b:?} {on}: example {:?}: {}",
            e.title,
            v["errors"]
        );
        assert!(
            !v["data"].is_null(),
            "{b:?} {on}: example {:?} has no data",
            e.title
        );
        answers.push((e, v["data"].clone()));
    }
    answers
}

/// Every example is one named operation, and no two share a name: the page titles a tab by the
/// operation name GraphiQL shows, so a shared name would give two tabs one title.
#[test]
fn every_example_is_one_operation_with_its_own_name() {
    let mut names = std::collections::HashSet::new();
    for e in EXAMPLES {
        let doc = async_graphql::parser::parse_query(e.query)
            .unwrap_or_else(|err| panic!("example {:?} does not parse: {err}", e.title));
        let ops: Vec<_> = doc.operations.iter().collect();
        assert_eq!(ops.len(), 1, "example {:?}", e.title);
        let name = ops[0]
            .0
            .unwrap_or_else(|| panic!("example {:?} has no operation name", e.title))
            .to_string();
        assert!(names.insert(name.clone()), "two examples named {name}");
        assert!(
            !e.query.contains("DEMO") && !e.variables.unwrap_or("").contains("DEMO"),
            "example {:?} depends on a demo code",
            e.title
        );
    }
}

#[tokio::test]
async fn every_example_runs_cleanly_and_shows_something_on_the_demo() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let app = inventory::app(state(&t.db));
        let answers = run_examples(&app, b, "demo").await;
        for (e, data) in &answers {
            assert!(
                shows_something(data) || comment(e).contains("On the demo"),
                "{b:?} demo: example {:?} shows nothing and its comment does not say why: {data}",
                e.title
            );
        }
        // The first picks the institutions that withhold the most, with their withheld data.
        let first = &answers[0].1["institutions"]["nodes"][0];
        assert!(first["record"]["withheld"].as_u64().unwrap() > 0, "{first}");
        assert!(
            first["withheldData"]["totalCount"].as_u64().unwrap() > 0,
            "{first}"
        );
        assert!(
            first["withheldData"]["nodes"][0]["disclosure"]["explanation"].is_string(),
            "{first}"
        );
        // The institutions example lists institutions that hold data, national core included.
        let (_, v) = answers
            .iter()
            .find(|(e, _)| e.title.starts_with("The top 10 institutions"))
            .unwrap();
        let nodes = v["institutions"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 10, "{v}");
        assert!(
            nodes[0]["record"]["datasetsHeld"].as_u64().unwrap() > 0,
            "{v}"
        );
        assert!(
            nodes
                .iter()
                .any(|n| n["record"]["nationalCore"].as_u64().unwrap() > 0
                    && n["coreData"]["totalCount"] == n["record"]["nationalCore"]
                    && !n["coreData"]["nodes"].as_array().unwrap().is_empty()),
            "{v}"
        );
        // The review-queue example shows entries, each with a reason, counted alike everywhere,
        // and institutions with their own queues.
        let (_, v) = answers
            .iter()
            .find(|(e, _)| e.title == "The review queue of open by default")
            .unwrap();
        let q = &v["reviewQueue"];
        assert!(q["totalCount"].as_u64().unwrap() > 0, "{v}");
        assert_eq!(q["totalCount"], v["stats"]["reviewDue"], "{v}");
        assert!(
            q["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| !n["reasons"].as_array().unwrap().is_empty()),
            "{v}"
        );
        assert!(
            v["institutions"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| !i["reviewQueue"]["nodes"].as_array().unwrap().is_empty()),
            "{v}"
        );
        // The catalog as of the end of 2024: withheld entries then, each with its state that
        // day; and what changed in 2025, by institution and category.
        let (_, v) = answers
            .iter()
            .find(|(e, _)| e.title.starts_with("The catalog as of a day"))
            .unwrap();
        let then = &v["withheldThen"];
        assert!(then["totalCount"].as_u64().unwrap() > 0, "{v}");
        assert!(
            then["nodes"].as_array().unwrap().iter().all(|n| {
                n["stateAsOf"]["day"] == "2024-12-31"
                    && ["WITHHELD", "PARTIALLY_OPEN"]
                        .contains(&n["stateAsOf"]["status"].as_str().unwrap())
            }),
            "{v}"
        );
        let totals = &v["catalogChanges"]["totals"];
        assert!(totals["opened"].as_u64().unwrap() > 0, "{v}");
        assert!(
            !v["catalogChanges"]["byInstitution"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{v}"
        );
        t.cleanup().await;
    }
}

/// On a real import (open data only: no withheld entry, request, plan, target or bundle), every
/// example answers without errors; one that shows nothing says why in its comment.
#[tokio::test]
async fn every_example_runs_cleanly_on_a_real_import_or_says_why_it_is_empty() {
    for b in backends().await {
        let t = with_real_sample(b).await;
        let app = inventory::app(state(&t.db));
        let answers = run_examples(&app, b, "real import").await;
        for (e, data) in &answers {
            assert!(
                shows_something(data) || comment(e).contains("On a real import"),
                "{b:?} real import: example {:?} shows nothing and its comment does not say why: {data}",
                e.title
            );
        }
        let answer = |prefix: &str| {
            &answers
                .iter()
                .find(|(e, _)| e.title.starts_with(prefix))
                .unwrap()
                .1
        };
        // The first still picks institutions from the data, with their records (nothing
        // withheld: the file lists open data only, as its comment says).
        let v = answer("What does an institution withhold");
        let nodes = v["institutions"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 3, "{v}");
        assert!(
            nodes[0]["record"]["datasetsHeld"].as_u64().unwrap() > 0,
            "{v}"
        );
        assert_eq!(nodes[0]["record"]["withheld"], 0, "{v}");
        assert!(
            comment(answers[0].0).contains("On a real import the withheld lists are empty"),
            "the first example says why nothing is withheld on a real import"
        );
        // Search, the dashboard, the feed and the top 10 answer from the file's own entries.
        let v = answer("Search 미세먼지");
        assert!(v["datasets"]["totalCount"].as_u64().unwrap() > 0, "{v}");
        let v = answer("Dashboard");
        assert_eq!(v["stats"]["total"], 1227, "{v}");
        let v = answer("Sync");
        assert!(
            !v["disclosureChanges"]["changes"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{v}"
        );
        let v = answer("The top 10 institutions");
        let nodes = v["institutions"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 10, "{v}");
        assert_eq!(nodes[0]["name"], "서울특별시", "{v}");
        // The review queue is empty, as its comment says, and still lists institutions.
        let e = EXAMPLES
            .iter()
            .find(|e| e.title == "The review queue of open by default")
            .unwrap();
        assert!(comment(e).contains("On a real import"), "{}", comment(e));
        // Nothing existed before the import, nor changed then, as the as-of example says.
        let v = answer("The catalog as of a day");
        assert_eq!(v["withheldThen"]["totalCount"], 0, "{v}");
        assert_eq!(v["catalogChanges"]["totals"]["total"], 0, "{v}");
        let v = answer("The review queue of open by default");
        assert_eq!(v["reviewQueue"]["totalCount"], 0, "{v}");
        assert_eq!(v["stats"]["reviewDue"], 0, "{v}");
        assert_eq!(
            v["institutions"]["nodes"].as_array().unwrap().len(),
            5,
            "{v}"
        );
        t.cleanup().await;
    }
}
