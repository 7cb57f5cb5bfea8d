//! No N+1: one request for a page of datasets with institution (and parent), disclosure, ground,
//! history, requests and bundles runs the same number of SQL statements for 10 and for 100
//! datasets, every time.

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
        let mut db = inventory::db::connect(&t.url).await.unwrap();
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        db.set_metric_callback(move |_| {
            c.fetch_add(1, Ordering::SeqCst);
        });
        let app = inventory::app(common::state(&db));
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
        // page, count, institutions, parents, disclosures, history, requests, bundle links + bundles
        assert!(
            counts[0] <= 10,
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
