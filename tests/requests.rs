//! Requests as lists and as concurrent filings: worklists and public filters, and one request
//! when the same citizen files twice at once.

mod common;

use common::api::{call, code, gid};
use common::backends;
use common::world::{FILE, world};
use serde_json::{Value, json};

#[tokio::test]
async fn worklists_and_request_filters() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let v = call(
            &w.app,
            Some(&w.tokens["citizen"]),
            FILE,
            json!({ "id": gid("Dataset", 4) }),
        )
        .await;
        let id = v["data"]["fileRequest"]["id"].as_str().unwrap().to_string();
        const LIST: &str = "query($f: DataRequestFilter) { dataRequests(filter: $f, first: 100) { totalCount nodes { id state overdue institution { code } } } }";
        let list = |who: Option<&'static str>, f: Value| {
            let tok = who.map(|w2| w.tokens[w2].clone());
            let app = w.app.clone();
            async move { call(&app, tok.as_deref(), LIST, json!({ "f": f })).await }
        };
        let ids = |v: &Value| -> Vec<String> {
            v["data"]["dataRequests"]["nodes"]
                .as_array()
                .unwrap_or_else(|| panic!("{v}"))
                .iter()
                .map(|n| n["id"].as_str().unwrap().to_string())
                .collect()
        };
        // A citizen's worklist is their own requests.
        let v = list(Some("citizen"), json!({ "mine": true })).await;
        assert_eq!(ids(&v), vec![id.clone()], "{v}");
        let v = list(Some("other_citizen"), json!({ "mine": true })).await;
        assert!(ids(&v).is_empty(), "{v}");
        // An officer's: every request to the institution (and confirmed sub-institutions).
        for who in ["officer", "parent_officer"] {
            let v = list(Some(who), json!({ "mine": true })).await;
            assert!(ids(&v).contains(&id), "{who}: {v}");
            for n in v["data"]["dataRequests"]["nodes"].as_array().unwrap() {
                assert_ne!(n["institution"]["code"], "1741000", "{who}: {v}");
            }
        }
        let v = list(Some("other_officer"), json!({ "mine": true })).await;
        assert!(!ids(&v).contains(&id), "{v}");
        // The committee's docket: nothing of this one until it goes to mediation.
        let v = list(Some("mediator"), json!({ "mine": true })).await;
        assert!(!ids(&v).contains(&id), "{v}");
        // A worklist needs a token.
        let v = list(None, json!({ "mine": true })).await;
        assert_eq!(code(&v), Some("UNAUTHENTICATED"), "{v}");
        // Public filters: state, institution, dataset, overdue.
        let v = list(
            None,
            json!({ "state": ["RECEIVED"], "institutionCode": ["3010000"] }),
        )
        .await;
        assert!(ids(&v).contains(&id), "{v}");
        for n in v["data"]["dataRequests"]["nodes"].as_array().unwrap() {
            assert_eq!(n["state"], "RECEIVED");
        }
        let v = list(None, json!({ "datasetId": gid("Dataset", 4) })).await;
        assert!(ids(&v).contains(&id), "{v}");
        let v = list(None, json!({ "overdue": true })).await;
        assert!(!ids(&v).contains(&id), "filed today: {v}");
        for n in v["data"]["dataRequests"]["nodes"].as_array().unwrap() {
            assert_eq!(n["overdue"], true, "{v}");
        }
        let not_overdue = list(None, json!({ "overdue": false })).await;
        assert!(ids(&not_overdue).contains(&id), "{not_overdue}");
        let all = list(None, json!({})).await;
        assert_eq!(
            v["data"]["dataRequests"]["totalCount"].as_u64().unwrap()
                + not_overdue["data"]["dataRequests"]["totalCount"]
                    .as_u64()
                    .unwrap(),
            all["data"]["dataRequests"]["totalCount"].as_u64().unwrap(),
            "overdue and not overdue split the list"
        );
        w.clock.set(common::fixture::at(2026, 12, 1));
        let v = list(None, json!({ "overdue": true })).await;
        assert!(ids(&v).contains(&id), "a month later: {v}");
        let v = list(None, json!({ "datasetId": "not-an-id" })).await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        w.t.cleanup().await;
    }
}

#[tokio::test]
async fn the_same_citizen_filing_twice_at_once_gets_one_request() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let citizen = Some(w.tokens["citizen"].as_str());
        let vars = json!({ "id": gid("Dataset", 11) });
        let count = "SELECT COUNT(*) FROM data_request WHERE dataset_id = 11";
        let before = common::count(&w.t.db, count).await;
        let (x, y) = tokio::join!(
            call(&w.app, citizen, FILE, vars.clone()),
            call(&w.app, citizen, FILE, vars.clone())
        );
        let mut codes = vec![code(&x).unwrap_or("OK"), code(&y).unwrap_or("OK")];
        codes.sort();
        assert_eq!(codes, vec!["CONFLICT", "OK"], "{x} {y}");
        assert_eq!(common::count(&w.t.db, count).await, before + 1);
        w.t.cleanup().await;
    }
}
