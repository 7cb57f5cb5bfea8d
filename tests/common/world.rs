//! The world of the mutation tests: the fixture with a manual clock and a token for everyone
//! who may act (admin, mediator, officers of 종로구, of its parent 서울특별시 and of another
//! institution, two citizens signed up through the API, and a revoked token).

use std::collections::HashMap;
use std::sync::Arc;

use inventory::clock::ManualClock;
use serde_json::json;

use super::api::call;
use super::{Backend, TestDb, with_fixture};

/// Files a request for a dataset (`$id`) or an unlisted one (`$code`, `$desc`).
pub const FILE: &str = "mutation($id: ID, $code: String, $desc: String) { fileRequest(input: { datasetId: $id, institutionCode: $code, unlistedDescription: $desc, purpose: \"대중교통 앱 개발\" }) { id state decisionDueOn overdue requester { displayName } } }";
/// A request's state, deadlines and allowed steps.
pub const STATE: &str = "query($id: ID!) { node(id: $id) { ... on DataRequest { state decisionDueOn dueOn overdue longOverdue allowedSteps } } }";

/// The fixture, its router, its clock and everyone's tokens.
pub struct World {
    pub t: TestDb,
    pub app: axum::Router,
    pub clock: Arc<ManualClock>,
    pub tokens: HashMap<&'static str, String>,
}

/// The world on `b`, its clock at `now`.
pub async fn world(b: Backend, now: chrono::DateTime<chrono::Utc>) -> World {
    let t = with_fixture(b).await;
    let clock = Arc::new(ManualClock::new(now));
    let app = inventory::app(inventory::AppState::new(t.db.clone(), clock.clone()));
    let mut tokens = HashMap::new();
    for (who, role, inst) in [
        ("admin", entity::enums::Role::Admin, None),
        ("mediator", entity::enums::Role::Mediator, None),
        ("officer", entity::enums::Role::Officer, Some("3010000")),
        (
            "parent_officer",
            entity::enums::Role::Officer,
            Some("6110000"),
        ),
        (
            "other_officer",
            entity::enums::Role::Officer,
            Some("1741000"),
        ),
        ("revoked", entity::enums::Role::Citizen, None),
    ] {
        let inst_id = match inst {
            Some(code) => Some(
                super::count(
                    &t.db,
                    &format!("SELECT id FROM institution WHERE code = '{code}'"),
                )
                .await,
            ),
            None => None,
        };
        let (_, token) =
            inventory::auth::create_account(&t.db, who, None, role, inst_id, "test", now)
                .await
                .unwrap();
        tokens.insert(who, token);
    }
    for who in ["citizen", "other_citizen"] {
        let v = call(&app, None, "mutation($n: String!) { signUp(displayName: $n, contact: \"x@example.org\") { token role } }", json!({ "n": who })).await;
        assert_eq!(v["data"]["signUp"]["role"], "CITIZEN", "{v}");
        tokens.insert(
            who,
            v["data"]["signUp"]["token"].as_str().unwrap().to_string(),
        );
    }
    let prefix = inventory::auth::prefix_of(&tokens["revoked"]);
    let v = call(
        &app,
        Some(&tokens["admin"]),
        "mutation($p: String!) { revokeToken(prefix: $p) }",
        json!({ "p": prefix }),
    )
    .await;
    assert_eq!(v["data"]["revokeToken"], true, "{v}");
    World {
        t,
        app,
        clock,
        tokens,
    }
}
