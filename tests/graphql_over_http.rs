//! GraphQL over HTTP as its specification asks, through the router: media types negotiated from
//! `Accept`, `400` without `data` for requests that cannot run under
//! `application/graphql-response+json`, `415` for bodies that are not JSON requests, `413` over
//! the body cap, and every error a JSON GraphQL error with a code.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{backends, state, with_demo};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const GQL_RESPONSE: &str = "application/graphql-response+json";

/// Sends `req`: status, content type (without parameters), body as JSON.
async fn send(app: &axum::Router, req: Request<Body>) -> (StatusCode, String, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, ctype, v)
}

fn post(accept: Option<&str>, ctype: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut r = Request::post("/graphql");
    if let Some(a) = accept {
        r = r.header(header::ACCEPT, a);
    }
    if let Some(c) = ctype {
        r = r.header(header::CONTENT_TYPE, c);
    }
    r.body(body.into()).unwrap()
}

fn query(q: &str) -> String {
    json!({ "query": q }).to_string()
}

#[tokio::test]
async fn media_types_follow_accept() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let app = inventory::app(state(&t.db));
        let ok = query("{ __typename }");
        for (accept, want) in [
            (None, "application/json"),
            (Some("*/*"), "application/json"),
            (Some("application/json"), "application/json"),
            (Some(GQL_RESPONSE), GQL_RESPONSE),
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                GQL_RESPONSE,
            ),
        ] {
            let (s, c, v) = send(&app, post(accept, Some("application/json"), ok.clone())).await;
            assert_eq!(
                (s, c.as_str()),
                (StatusCode::OK, want),
                "{b:?} {accept:?}: {v}"
            );
            assert_eq!(v["data"]["__typename"], "Query");
        }
        let (s, c, v) = send(
            &app,
            post(Some("text/html"), Some("application/json"), ok.clone()),
        )
        .await;
        assert_eq!(
            (s, c.as_str()),
            (StatusCode::NOT_ACCEPTABLE, "application/json"),
            "{v}"
        );
        assert_eq!(v["errors"][0]["extensions"]["code"], "NOT_ACCEPTABLE");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn requests_that_cannot_run_are_400_without_data_under_graphql_response_json() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let app = inventory::app(state(&t.db));
        let cases = [
            (query("{ datasets("), "GRAPHQL_PARSE_FAILED"),
            (query("{ noSuchField }"), "GRAPHQL_VALIDATION_FAILED"),
            (
                json!({ "query": "query($n: Int) { datasets(first: $n) { totalCount } }", "variables": { "n": "ten" } }).to_string(),
                "BAD_USER_INPUT",
            ),
        ];
        for (body, code) in cases {
            let (s, c, v) = send(
                &app,
                post(Some(GQL_RESPONSE), Some("application/json"), body.clone()),
            )
            .await;
            assert_eq!(
                (s, c.as_str()),
                (StatusCode::BAD_REQUEST, GQL_RESPONSE),
                "{b:?} {body}: {v}"
            );
            assert!(v.get("data").is_none(), "{b:?} {body}: {v}");
            assert_eq!(v["errors"][0]["extensions"]["code"], code, "{body}: {v}");
            // Legacy clients asking for application/json get 200, still without data.
            let (s, c, v) = send(
                &app,
                post(
                    Some("application/json"),
                    Some("application/json"),
                    body.clone(),
                ),
            )
            .await;
            assert_eq!(
                (s, c.as_str()),
                (StatusCode::OK, "application/json"),
                "{body}: {v}"
            );
            assert!(v.get("data").is_none(), "{body}: {v}");
        }
        // A field's error is an executed request: 200 with its data entry, under either type.
        let (s, _, v) = send(
            &app,
            post(
                Some(GQL_RESPONSE),
                Some("application/json"),
                query("{ __typename node(id: \"bm9wZTox\") { id } }"),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(v.get("data").is_some(), "{v}");
        assert!(v["errors"][0]["path"].is_array(), "{v}");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn bodies_that_are_not_json_requests_get_coded_json_errors() {
    for b in backends().await {
        let t = with_demo(b, 0.001).await;
        let app = inventory::app(state(&t.db));
        let ok = query("{ __typename }");
        // No content type, form-encoded, plain text: 415.
        for ctype in [
            None,
            Some("application/x-www-form-urlencoded"),
            Some("text/plain"),
        ] {
            let (s, c, v) = send(&app, post(None, ctype, ok.clone())).await;
            assert_eq!(
                (s, c.as_str()),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json"),
                "{ctype:?}: {v}"
            );
            assert_eq!(
                v["errors"][0]["extensions"]["code"], "UNSUPPORTED_MEDIA_TYPE",
                "{v}"
            );
        }
        // Not JSON, or JSON that is not a request: 400 with a code, whatever Accept says.
        for body in ["{ __typename }", "[1, 2]", "{\"variables\": {}}", ""] {
            for accept in [GQL_RESPONSE, "application/json"] {
                let (s, _, v) = send(
                    &app,
                    post(Some(accept), Some("application/json; charset=utf-8"), body),
                )
                .await;
                assert_eq!(s, StatusCode::BAD_REQUEST, "{body:?}: {v}");
                assert_eq!(
                    v["errors"][0]["extensions"]["code"], "BAD_REQUEST",
                    "{body:?}: {v}"
                );
                assert!(v.get("data").is_none());
            }
        }
        // Over the body cap: 413, named.
        let big = json!({ "query": format!("{{ __typename }} #{}", "x".repeat(inventory::http::MAX_BODY_BYTES)) }).to_string();
        let (s, _, v) = send(&app, post(None, Some("application/json"), big)).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE",
            "{v}"
        );
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(&inventory::http::MAX_BODY_BYTES.to_string())
        );

        // GET: queries only; a malformed query string is a coded 400 too.
        let (s, c, v) = send(
            &app,
            Request::get("/graphql?query=%7B__typename%7D")
                .header(header::ACCEPT, GQL_RESPONSE)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!((s, c.as_str()), (StatusCode::OK, GQL_RESPONSE), "{v}");
        let (s, _, v) = send(
            &app,
            Request::get("/graphql?variables=%7B")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{v}");
        t.cleanup().await;
    }
}
