//! Every GraphiQL example runs without errors against the demo, on every backend; the review
//! queue's also on an import of the real inventory.

mod common;

use common::{backends, gql, state, with_demo};

#[tokio::test]
async fn every_example_query_runs_cleanly() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let app = inventory::app(state(&t.db));
        for e in inventory::graphql::examples::EXAMPLES {
            // Subscriptions run over WebSocket (tests/subscriptions.rs); token-needing mutations
            // are shown for the user to fill in.
            if e.query.starts_with("subscription") || e.query.contains("Headers tab") {
                let parsed = async_graphql::parser::parse_query(e.query);
                assert!(parsed.is_ok(), "example {:?} does not parse", e.title);
                continue;
            }
            let vars: serde_json::Value = e
                .variables
                .map(|v| serde_json::from_str(v).expect("example variables are JSON"))
                .unwrap_or_default();
            let v = gql(&app, e.query, vars).await;
            assert!(
                v["errors"].is_null(),
                "{b:?} example {:?}: {}",
                e.title,
                v["errors"]
            );
            assert!(
                !v["data"].is_null(),
                "{b:?} example {:?} has no data",
                e.title
            );
        }
        // The examples show something: the first finds institutions that withhold, their
        // records, and withheld datasets, with no institution code written into it.
        let e = &inventory::graphql::examples::EXAMPLES[0];
        assert!(
            !e.query.contains("DEMO") && !e.variables.unwrap_or("").contains("DEMO"),
            "the first example must not depend on demo codes"
        );
        let v = gql(
            &app,
            e.query,
            serde_json::from_str(e.variables.unwrap()).unwrap(),
        )
        .await;
        let top = &v["data"]["stats"]["topInstitutions"][0];
        assert!(top["total"].as_u64().unwrap() > 0, "{v}");
        assert!(
            top["institution"]["record"]["datasetsHeld"]
                .as_u64()
                .unwrap()
                > 0,
            "{v}"
        );
        assert!(
            v["data"]["datasets"]["totalCount"].as_u64().unwrap() > 0,
            "{v}"
        );
        // The institutions example lists institutions that hold data, national core included.
        let e = inventory::graphql::examples::EXAMPLES
            .iter()
            .find(|e| e.title.starts_with("The top 10 institutions"))
            .unwrap();
        let v = gql(&app, e.query, serde_json::json!({})).await;
        let nodes = v["data"]["institutions"]["nodes"].as_array().unwrap();
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
        // The review-queue example shows entries, each with a reason, counted alike everywhere.
        let v = gql(&app, review_example().query, serde_json::json!({})).await;
        let q = &v["data"]["reviewQueue"];
        assert!(q["totalCount"].as_u64().unwrap() > 0, "{v}");
        assert_eq!(q["totalCount"], v["data"]["stats"]["reviewDue"], "{v}");
        assert!(
            q["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| !n["reasons"].as_array().unwrap().is_empty()),
            "{v}"
        );
        let insts = v["data"]["institutions"]["nodes"].as_array().unwrap();
        assert!(
            insts
                .iter()
                .any(|i| !i["reviewQueue"]["nodes"].as_array().unwrap().is_empty()),
            "{v}"
        );
        t.cleanup().await;
    }
}

fn review_example() -> &'static inventory::graphql::examples::Example {
    inventory::graphql::examples::EXAMPLES
        .iter()
        .find(|e| e.title == "The review queue of open by default")
        .unwrap()
}

/// On an import of the real inventory file (its first 3,000 rows, open data only), the review
/// queue example answers too, with an empty queue, as its comment says.
#[tokio::test]
async fn the_review_queue_example_answers_on_a_real_import() {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(common::real_inventory()).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.csv");
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(r.headers().unwrap()).unwrap();
    for rec in r.records().take(3_000) {
        w.write_record(&rec.unwrap()).unwrap();
    }
    w.flush().unwrap();
    for b in backends().await {
        let t = common::fresh(b).await;
        let quiet = inventory::import::ImportOptions {
            drop_demo: false,
            progress: false,
        };
        inventory::import::import_file(&t.db, &path, &quiet, chrono::Utc::now())
            .await
            .unwrap();
        let app = inventory::app(state(&t.db));
        let v = gql(&app, review_example().query, serde_json::json!({})).await;
        assert!(v["errors"].is_null(), "{b:?}: {v}");
        assert_eq!(v["data"]["reviewQueue"]["totalCount"], 0, "{v}");
        assert_eq!(v["data"]["stats"]["reviewDue"], 0, "{v}");
        assert_eq!(
            v["data"]["institutions"]["nodes"].as_array().unwrap().len(),
            5,
            "{v}"
        );
        t.cleanup().await;
    }
}
