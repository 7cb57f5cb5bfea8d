//! Every GraphiQL example runs without errors against the demo, on every backend.

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
        t.cleanup().await;
    }
}
