//! Real requests through the router (`oneshot`) and through a real server on port 0.

mod common;

use axum::http::StatusCode;
use common::api::{get, urlencode};
use common::{Backend, backends, gql, state, with_demo};
use serde_json::json;

#[tokio::test]
async fn graphiql_is_served_from_the_binary_with_examples() {
    let t = common::fresh(Backend::Sqlite).await;
    let app = inventory::app(state(&t.db));
    let (status, ctype, body) = get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/html"), "{ctype}");
    let html = String::from_utf8(body).unwrap();
    assert!(
        !html.contains("__EXAMPLES_JSON__"),
        "examples placeholder not replaced"
    );
    for e in inventory::graphql::examples::EXAMPLES {
        assert!(
            html.contains(e.title),
            "example {:?} missing from the page",
            e.title
        );
    }
    assert!(
        !html.contains("https://"),
        "GraphiQL must not load anything from the network"
    );
    // Every asset the page references is served by the binary.
    let mut refs = Vec::new();
    for part in html.split("=\"/assets/graphiql/").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| !matches!(c, '"' | '\'' | '?' | ' '))
            .collect();
        refs.push(name);
    }
    assert!(
        refs.len() >= 3,
        "expected script and style references, got {refs:?}"
    );
    for r in refs {
        let (status, ctype, body) = get(&app, &format!("/assets/graphiql/{r}")).await;
        assert_eq!(status, StatusCode::OK, "asset {r}");
        assert!(!body.is_empty(), "asset {r} is empty");
        assert!(
            ctype.contains("javascript") || ctype.contains("css"),
            "{r}: {ctype}"
        );
    }
    let (status, _, _) = get(&app, "/assets/graphiql/nope.js").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    t.cleanup().await;
}

#[tokio::test]
async fn health_names_the_backend() {
    for b in backends().await {
        let t = common::fresh(b).await;
        let app = inventory::app(state(&t.db));
        let (status, _, body) = get(&app, "/healthz").await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["status"], "ok");
        let expected = if b == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        };
        assert_eq!(v["database"], expected);
        t.cleanup().await;
    }
}

#[tokio::test]
async fn queries_over_get_and_post_mutations_refused_over_get() {
    for b in backends().await {
        let t = with_demo(b, 0.002).await;
        let app = inventory::app(state(&t.db));
        let q = urlencode("{ datasets(first: 2) { totalCount nodes { title } } }");
        let (status, _, body) = get(&app, &format!("/graphql?query={q}")).await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(v["errors"].is_null(), "{v}");
        assert_eq!(v["data"]["datasets"]["nodes"].as_array().unwrap().len(), 2);
        assert!(v["data"]["datasets"]["totalCount"].as_u64().unwrap() > 2);

        let m = urlencode("mutation { __typename }");
        let (status, _, body) = get(&app, &format!("/graphql?query={m}")).await;
        assert_eq!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn bad_ids_and_missing_ids_and_page_limits() {
    for b in backends().await {
        let t = with_demo(b, 0.002).await;
        let app = inventory::app(state(&t.db));
        let v = gql(&app, "{ node(id: \"not-an-id!\") { id } }", json!({})).await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );

        let missing = inventory::graphql::ids::encode(
            inventory::graphql::ids::NodeKind::Dataset,
            987_654_321,
        )
        .0;
        let v = gql(
            &app,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": missing }),
        )
        .await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "NOT_FOUND", "{v}");
        assert!(v["data"].is_null(), "{v}");

        let v = gql(&app, "{ datasets(first: 101) { totalCount } }", json!({})).await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
        assert!(
            v["errors"][0]["message"].as_str().unwrap().contains("100"),
            "{v}"
        );

        // A real id round-trips through node().
        let v = gql(
            &app,
            "{ datasets(first: 1) { nodes { id title } } }",
            json!({}),
        )
        .await;
        let id = v["data"]["datasets"]["nodes"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let v2 = gql(
            &app,
            "query($id: ID!) { node(id: $id) { ... on Dataset { title } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            v2["data"]["node"]["title"],
            v["data"]["datasets"]["nodes"][0]["title"]
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn paging_forward_and_backward_covers_the_list_once() {
    for b in backends().await {
        let t = with_demo(b, 0.002).await;
        let app = inventory::app(state(&t.db));
        let q = "query($after: String) { institutions(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { code } } }";
        let mut seen = Vec::new();
        let mut after = serde_json::Value::Null;
        let total;
        loop {
            let v = gql(&app, q, json!({ "after": after })).await;
            let c = &v["data"]["institutions"];
            for n in c["nodes"].as_array().unwrap() {
                seen.push(n["code"].as_str().unwrap().to_string());
            }
            if !c["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                total = c["totalCount"].as_u64().unwrap();
                break;
            }
            after = c["pageInfo"]["endCursor"].clone();
        }
        let mut dedup = seen.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(seen.len() as u64, total);
        assert_eq!(dedup.len(), seen.len());
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_real_server_on_port_zero_answers_and_shuts_down() {
    let t = common::fresh(Backend::Sqlite).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(inventory::run(listener, state(&t.db), async {
        let _ = rx.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = String::new();
    stream.read_to_string(&mut buf).await.unwrap();
    assert!(buf.starts_with("HTTP/1.1 200"), "{buf}");
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    t.cleanup().await;
}

#[tokio::test]
async fn depth_and_complexity_limits_answer_with_clear_errors() {
    let t = common::fresh(Backend::Sqlite).await;
    let app = inventory::app(state(&t.db));
    // Deeper than the limit: institution → parent → parent → …
    let mut inner = "name".to_string();
    for _ in 0..20 {
        inner = format!("parent {{ {inner} }}");
    }
    let v = gql(
        &app,
        &format!("{{ institution(code: \"x\") {{ {inner} }} }}"),
        json!({}),
    )
    .await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too deep"),
        "{v}"
    );
    assert_eq!(v["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    // Too complex: many aliased pages of 100 with relations.
    let fields: String = (0..60)
        .map(|k| {
            format!("a{k}: datasets(first: 100) {{ nodes {{ title institution {{ name }} }} }} ")
        })
        .collect();
    let v = gql(&app, &format!("{{ {fields} }}"), json!({})).await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex"),
        "{v}"
    );
    assert_eq!(v["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    // Syntax and validation errors carry codes too.
    let v = gql(&app, "{ datasets(first: 1) { nope } }", json!({})).await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{v}"
    );
    let v = gql(&app, "{ datasets(first: \"x\") { totalCount } }", json!({})).await;
    assert!(v["errors"][0]["extensions"]["code"].is_string(), "{v}");
    let v = gql(
        &app,
        "{ coreDataBundles(round: 9) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    t.cleanup().await;
}

/// Heavy aggregates carry their weight: twenty aliased `stats` (or fifty aliased `facets`) are
/// refused before anything runs, while a dashboard's few are fine.
#[tokio::test]
async fn aggregates_count_toward_complexity() {
    let t = common::with_fixture(Backend::Sqlite).await;
    let app = inventory::app(state(&t.db));
    let stats = |n: usize| -> String {
        (0..n)
            .map(|k| format!("s{k}: stats {{ total byStatus {{ value count }} }} "))
            .collect()
    };
    let facets = |n: usize| -> String {
        (0..n)
            .map(|k| format!("f{k}: datasets(first: 1) {{ facets {{ status {{ count }} }} }} "))
            .collect()
    };
    for q in [stats(20), facets(50)] {
        let v = gql(&app, &format!("{{ {q} }}"), json!({})).await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
            "{v}"
        );
        assert!(v["data"].is_null(), "{v}");
    }
    for q in [stats(3), facets(5)] {
        let v = gql(&app, &format!("{{ {q} }}"), json!({})).await;
        assert!(v["errors"].is_null(), "{v}");
    }
    t.cleanup().await;
}

/// Nested lists count their page size too: 100 bundles × 100 datasets is 10,000 rows and is
/// refused, and so is a page of datasets each with a full page of history or requests.
#[tokio::test]
async fn nested_page_sizes_count_toward_complexity() {
    let t = common::with_fixture(Backend::Sqlite).await;
    let app = inventory::app(state(&t.db));
    for q in [
        "{ coreDataBundles(first: 100) { nodes { datasets(first: 100) { title } } } }",
        "{ datasets(first: 100) { nodes { history(first: 100) { toStatus } } } }",
        "{ datasets(first: 100) { nodes { requests(first: 100) { state } } } }",
    ] {
        let v = gql(&app, q, json!({})).await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
            "{q}: {v}"
        );
        assert!(v["data"].is_null(), "{q}: {v}");
    }
    // Smaller nested pages of the same shape are fine.
    for q in [
        "{ coreDataBundles(first: 10) { nodes { datasets(first: 100) { title } } } }",
        "{ coreDataBundles(first: 100) { nodes { datasets(first: 10) { title } } } }",
        "{ datasets(first: 100) { nodes { history { toStatus } requests { state } } } }",
    ] {
        let v = gql(&app, q, json!({})).await;
        assert!(v["errors"].is_null(), "{q}: {v}");
    }
    // The nested lists are bounded: more than 100 is refused.
    let v = gql(
        &app,
        "{ datasets(first: 1) { nodes { history(first: 101) { toStatus } } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{v}"
    );
    t.cleanup().await;
}

/// A JSON value that keeps its keys in the order they were written.
#[derive(Debug)]
enum Ordered {
    Object(Vec<(String, Ordered)>),
    Array(Vec<Ordered>),
    Scalar,
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Ordered>()? {
                    out.push((k, v));
                }
                Ok(Ordered::Object(out))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = s.next_element::<Ordered>()? {
                    out.push(v);
                }
                Ok(Ordered::Array(out))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar)
            }
        }
        d.deserialize_any(V)
    }
}

impl Ordered {
    /// Every object's keys, by path (array items share their array's path), in written order.
    fn keys(&self, path: &str, out: &mut Vec<(String, Vec<String>)>) {
        match self {
            Ordered::Object(fields) => {
                out.push((path.into(), fields.iter().map(|(k, _)| k.clone()).collect()));
                for (k, v) in fields {
                    v.keys(&format!("{path}.{k}"), out);
                }
            }
            Ordered::Array(items) => items.iter().for_each(|v| v.keys(&format!("{path}[]"), out)),
            Ordered::Scalar => {}
        }
    }
}

/// Answers follow the selection set, every time: aliases, nested objects, connections, lists
/// and the root fields that resolve in parallel (GraphQL's serialized map ordering).
#[tokio::test]
async fn answers_follow_the_selection_order_every_time() {
    let query = "{ plans(first: 1) { totalCount } targets { id } milestones(first: 1) { totalCount } \
        second: datasets(first: 3) { totalCount nodes { title id institution { name code } \
          disclosure { status } history(first: 2) { toStatus id } } pageInfo { hasNextPage } } \
        first: stats { total byStatus { count value } } __typename }";
    let expected: Vec<(&str, Vec<&str>)> = vec![
        ("", vec!["data", "extensions"]),
        (
            ".data",
            vec![
                "plans",
                "targets",
                "milestones",
                "second",
                "first",
                "__typename",
            ],
        ),
        (".data.plans", vec!["totalCount"]),
        (".data.targets[]", vec!["id"]),
        (".data.milestones", vec!["totalCount"]),
        (".data.second", vec!["totalCount", "nodes", "pageInfo"]),
        (
            ".data.second.nodes[]",
            vec!["title", "id", "institution", "disclosure", "history"],
        ),
        (".data.second.nodes[].institution", vec!["name", "code"]),
        (".data.second.nodes[].disclosure", vec!["status"]),
        (".data.second.nodes[].history[]", vec!["toStatus", "id"]),
        (".data.second.pageInfo", vec!["hasNextPage"]),
        (".data.first", vec!["total", "byStatus"]),
        (".data.first.byStatus[]", vec!["count", "value"]),
        (".extensions", vec!["rateLimit"]),
        (
            ".extensions.rateLimit",
            vec!["cost", "limit", "remaining", "resetAt"],
        ),
    ];
    for b in backends().await {
        let t = with_demo(b, 0.002).await;
        let app = inventory::app(state(&t.db));
        for round in 0..20 {
            let bytes = common::gql_bytes(&app, query, json!({})).await;
            let body: Ordered = serde_json::from_slice(&bytes).unwrap();
            let mut seen = Vec::new();
            body.keys("", &mut seen);
            let text = String::from_utf8_lossy(&bytes);
            for (path, keys) in &seen {
                let want = expected.iter().find(|(p, _)| p == path).unwrap_or_else(|| {
                    panic!("{b:?} round {round}: unexpected object {path}: {text}")
                });
                assert_eq!(keys, &want.1, "{b:?} round {round} at {path:?}: {text}");
            }
            // Every expected object was there (lists were not empty).
            assert_eq!(
                seen.iter()
                    .map(|(p, _)| p.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
                expected.len(),
                "{b:?}: {text}"
            );
        }
        t.cleanup().await;
    }
}
