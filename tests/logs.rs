//! The real binary's log: JSON lines when standard error is a file, no colour codes, no
//! backtraces for expected errors, and no requester's personal data even at `debug`.

mod common;

use std::time::Duration;

use common::backends;
use common::process::{self, graphql};
use serde_json::{Value, json};

/// Personal data a citizen gives; none may reach the log.
const NAME: &str = "홍길동Xq7v";
const EMAIL: &str = "gildong.hong.q7v@example.org";
const PHONE: &str = "010-9876-5432";
const NAME2: &str = "Kim Cheolsu Zr4w";
const PURPOSE: &str = "for my thesis Zr4w-purpose";

#[tokio::test]
async fn the_request_workflow_logs_no_personal_data_and_expected_errors_no_backtraces() {
    for b in backends().await {
        let t = common::fresh(b).await;
        let url = t.url.clone();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let token_url = url.clone();
        let (text, tokens) = tokio::task::spawn_blocking(move || {
            let server = process::start(
                &url,
                &log,
                &["--demo-scale", "0.002"],
                &[("RUST_LOG", "debug"), ("RUST_BACKTRACE", "1")],
            );
            server.wait_ready();
            let tokens = workflow(server.addr, &token_url);
            // Let asynchronous work (the outbox, the catalog) log what it logs.
            std::thread::sleep(Duration::from_millis(500));
            (server.log_text(), tokens)
        })
        .await
        .unwrap();

        assert!(text.lines().count() > 20, "debug logging is on: {text}");
        for line in text.lines() {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert!(
                v["level"].is_string() && v["timestamp"].is_string(),
                "{line}"
            );
            assert!(!line.contains('\u{1b}'), "a colour code: {line}");
            assert!(
                !line.to_lowercase().contains("backtrace"),
                "a backtrace ({b:?}): {line}"
            );
            // Expected errors are answered, not logged as errors.
            assert_ne!(v["level"], "ERROR", "{b:?}: {line}");
        }
        for secret in [NAME, EMAIL, PHONE, NAME2, PURPOSE]
            .iter()
            .copied()
            .chain(tokens.iter().map(String::as_str))
        {
            assert!(
                !text.contains(secret),
                "{b:?}: '{secret}' is in the log:\n{}",
                text.lines()
                    .filter(|l| l.contains(secret))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        t.cleanup().await;
    }
}

/// A citizen signs up (name and e-mail as variables, another with name and phone inline in the
/// document), files a request, an officer decides it, the requester reads it back; then
/// expected errors: bad input, not found, forbidden. Returns the tokens used.
fn workflow(addr: std::net::SocketAddr, url: &str) -> Vec<String> {
    let v = graphql(
        addr,
        None,
        "mutation($n: String!, $c: String) { signUp(displayName: $n, contact: $c) { token } }",
        json!({ "n": NAME, "c": EMAIL }),
    );
    let citizen = v["data"]["signUp"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string();
    let v = graphql(
        addr,
        None,
        &format!(
            "mutation {{ signUp(displayName: \"{NAME2}\", contact: \"{PHONE}\") {{ token }} }}"
        ),
        json!({}),
    );
    let citizen2 = v["data"]["signUp"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string();

    let v = graphql(
        addr,
        None,
        "{ datasets(filter: {status: [WITHHELD]}, first: 1) { nodes { id institution { code } } } }",
        json!({}),
    );
    let ds = &v["data"]["datasets"]["nodes"][0];
    let dataset = ds["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string();
    let code = ds["institution"]["code"].as_str().unwrap().to_string();
    let officer = process::cli(
        url,
        &[
            "token",
            "--role",
            "officer",
            "--name",
            "officer",
            "--institution",
            &code,
        ],
    );

    let v = graphql(
        addr,
        Some(&citizen),
        "mutation($id: ID!, $p: String!) { fileRequest(input: { datasetId: $id, purpose: $p }) { id state requester { displayName contact } } }",
        json!({ "id": dataset, "p": PURPOSE }),
    );
    let request = v["data"]["fileRequest"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string();
    assert_eq!(
        v["data"]["fileRequest"]["requester"]["contact"], EMAIL,
        "{v}"
    );
    let v = graphql(
        addr,
        Some(&officer),
        "mutation($id: ID!) { decideRequest(id: $id, decision: PROVIDED) { state requester { displayName contact purpose } } }",
        json!({ "id": request }),
    );
    assert_eq!(v["data"]["decideRequest"]["state"], "PROVIDED", "{v}");
    assert_eq!(
        v["data"]["decideRequest"]["requester"]["displayName"], NAME,
        "{v}"
    );

    // Expected errors: bad input, not found, forbidden.
    let v = graphql(
        addr,
        None,
        "{ dataset(id: \"not-an-id\") { title } }",
        json!({}),
    );
    assert_eq!(
        v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{v}"
    );
    let v = graphql(
        addr,
        None,
        "query($id: ID!) { dataset(id: $id) { title } }",
        json!({ "id": common::api::gid("Dataset", 987_654_321) }),
    );
    assert_eq!(v["errors"][0]["extensions"]["code"], "NOT_FOUND", "{v}");
    let v = graphql(
        addr,
        Some(&citizen2),
        "mutation($id: ID!) { decideRequest(id: $id, decision: REFUSED) { state } }",
        json!({ "id": request }),
    );
    assert_eq!(v["errors"][0]["extensions"]["code"], "FORBIDDEN", "{v}");
    let (status, _, _) =
        process::try_http(addr, "GET", "/export/datasets.csv?nope=1", None, None).unwrap();
    assert_eq!(status, 400);
    vec![citizen, citizen2, officer]
}
