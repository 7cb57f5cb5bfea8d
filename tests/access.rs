//! Who may do what and who sees what: the permission check of every mutation for every kind
//! of caller, requesters' personal data reaching only those allowed, and revoking tokens.

mod common;

use common::api::{call, code, gid};
use common::world::{FILE, world};
use common::{Backend, backends};
use serde_json::{Value, json};

const CHANGE: &str = "mutation($id: ID!, $v: Int!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: OPEN }) { disclosure { status version } } }";

#[tokio::test]
async fn authorization_matrix() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        // Dataset 4 (시내버스 노선) and request 1 belong to 종로구 (3010000), a confirmed child of 서울특별시.
        let ds = gid("Dataset", 4);
        let req = gid("DataRequest", 1);
        let cases: Vec<(&str, String, Value)> = vec![
            ("changeDisclosure", CHANGE.into(), json!({ "id": ds, "v": 99 })),
            ("fileRequest", "mutation($id: ID!) { fileRequest(input: { datasetId: $id, purpose: \"연구\" }) { state } }".into(), json!({ "id": gid("Dataset", 2) })),
            ("supportRequest", "mutation($id: ID!) { supportRequest(id: $id) }".into(), json!({ "id": req })),
            ("followRequest", "mutation($id: ID!) { followRequest(id: $id) }".into(), json!({ "id": req })),
            // After followRequest: each citizen follows, so unfollowing is a change (an audit event).
            ("unfollowRequest", "mutation($id: ID!) { unfollowRequest(id: $id) }".into(), json!({ "id": req })),
            ("withdrawRequest", "mutation($id: ID!) { withdrawRequest(id: $id) { state } }".into(), json!({ "id": req })),
            ("extendDeadline", "mutation($id: ID!) { extendDeadline(id: $id, days: 5, reason: \"r\") { state } }".into(), json!({ "id": req })),
            ("decideRequest", "mutation($id: ID!) { decideRequest(id: $id, decision: NOT_HELD) { state } }".into(), json!({ "id": req })),
            ("askReconsideration", "mutation($id: ID!) { askReconsideration(id: $id, reason: \"r\") { state } }".into(), json!({ "id": req })),
            ("answerReconsideration", "mutation($id: ID!) { answerReconsideration(id: $id, provide: true) { state } }".into(), json!({ "id": req })),
            ("applyForMediation", "mutation($id: ID!) { applyForMediation(id: $id, reason: \"r\") { state } }".into(), json!({ "id": req })),
            ("proposeMediation", "mutation($id: ID!) { proposeMediation(id: $id, terms: \"t\") { state } }".into(), json!({ "id": req })),
            ("settleMediation", "mutation($id: ID!) { settleMediation(id: $id) { state } }".into(), json!({ "id": req })),
            ("dismissMediation", "mutation($id: ID!) { dismissMediation(id: $id, reason: \"r\") { state } }".into(), json!({ "id": req })),
            ("withdrawMediation", "mutation($id: ID!) { withdrawMediation(id: $id) { state } }".into(), json!({ "id": req })),
            ("answerProposal", "mutation($id: ID!) { answerProposal(id: $id, accept: true) { state } }".into(), json!({ "id": req })),
            ("provideAfterMediation", "mutation($id: ID!) { provideAfterMediation(id: $id) { state } }".into(), json!({ "id": req })),
            ("createToken", "mutation { createToken(input: { role: MEDIATOR, displayName: \"m\" }) { prefix } }".into(), json!({})),
            ("registerDataset", "mutation { registerDataset(input: { institutionCode: \"3010000\", title: \"주차장 현황\", category: TRANSPORT_LOGISTICS, type: FILE }) { id } }".into(), json!({})),
            ("updateDataset", "mutation($id: ID!) { updateDataset(input: { datasetId: $id, keywords: [\"버스\"] }) { id } }".into(), json!({ "id": ds })),
            ("upsertInstitution", "mutation { upsertInstitution(input: { code: \"3020000\", name: \"서울특별시 중구\", parentCode: \"6110000\" }) { id } }".into(), json!({})),
            ("createCoreDataBundle", "mutation { createCoreDataBundle(input: { name: \"교통\", round: 5 }) { id } }".into(), json!({})),
            ("setBundleDatasets", "mutation($b: ID!, $d: ID!) { setBundleDatasets(bundleId: $b, add: [$d]) { id } }".into(), json!({ "b": gid("CoreDataBundle", 1), "d": ds })),
            ("createPlan", "mutation { createPlan(kind: OGP_ACTION_PLAN, name: \"제7차\", startsOn: \"2027-01-01\", endsOn: \"2028-12-31\") { id } }".into(), json!({})),
            ("createCommitment", "mutation { createCommitment(code: \"KR9999\", title: \"t\") { id } }".into(), json!({})),
            ("createMilestone", "mutation($c: ID!) { createMilestone(commitmentId: $c, title: \"t\", startsOn: \"2027-01-01\", continuesYearly: true) { id } }".into(), json!({ "c": gid("Commitment", 1) })),
            ("createTarget", "mutation { createTarget(title: \"t\", metric: WITHHELD_OPENED, baselineOn: \"2027-01-01\", baselineValue: 0, targetValue: 10, dueOn: \"2028-01-01\") { id } }".into(), json!({})),
            ("updateMilestone", "mutation($m: ID!) { updateMilestone(id: $m, completion: LIMITED) { id } }".into(), json!({ "m": gid("Milestone", 1) })),
            // Edits and deletes of what the cases above created (plan 1, commitment 1 with milestone 1,
            // target 1, bundle 2 without datasets) and of the fixture's bundle 1.
            ("updatePlan", "mutation($p: ID!) { updatePlan(input: { id: $p, name: \"제7차 계획\" }) { id } }".into(), json!({ "p": gid("Plan", 1) })),
            ("updateCommitment", "mutation($c: ID!) { updateCommitment(input: { id: $c, title: \"t2\" }) { id } }".into(), json!({ "c": gid("Commitment", 1) })),
            ("updateTarget", "mutation($t: ID!) { updateTarget(input: { id: $t, targetValue: 20 }) { id } }".into(), json!({ "t": gid("Target", 1) })),
            ("updateCoreDataBundle", "mutation($b: ID!) { updateCoreDataBundle(input: { id: $b, round: 4 }) { id } }".into(), json!({ "b": gid("CoreDataBundle", 1) })),
            ("deleteTarget", "mutation($t: ID!) { deleteTarget(id: $t) }".into(), json!({ "t": gid("Target", 1) })),
            ("deleteMilestone", "mutation($m: ID!) { deleteMilestone(id: $m) }".into(), json!({ "m": gid("Milestone", 1) })),
            ("deleteCommitment", "mutation($c: ID!) { deleteCommitment(id: $c) }".into(), json!({ "c": gid("Commitment", 1) })),
            ("deletePlan", "mutation($p: ID!) { deletePlan(id: $p) }".into(), json!({ "p": gid("Plan", 1) })),
            ("deleteCoreDataBundle", "mutation($b: ID!) { deleteCoreDataBundle(id: $b) }".into(), json!({ "b": gid("CoreDataBundle", 2) })),
        ];
        // Who may pass the permission check of each mutation (state errors count as passing).
        let allowed = |m: &str, who: &str| -> bool {
            match m {
                "changeDisclosure"
                | "extendDeadline"
                | "decideRequest"
                | "answerReconsideration"
                | "provideAfterMediation" => who == "officer" || who == "parent_officer",
                "fileRequest" | "supportRequest" | "followRequest" | "unfollowRequest" => {
                    who == "citizen" || who == "other_citizen"
                }
                // Request 1 was filed by the fixture's first citizen: neither test citizen owns it.
                "withdrawRequest" | "askReconsideration" | "applyForMediation"
                | "withdrawMediation" => false,
                "proposeMediation" | "settleMediation" | "dismissMediation" => who == "mediator",
                "answerProposal" => who == "officer" || who == "parent_officer",
                "createToken"
                | "upsertInstitution"
                | "createCoreDataBundle"
                | "setBundleDatasets"
                | "createPlan"
                | "createCommitment"
                | "createMilestone"
                | "createTarget"
                | "updateMilestone"
                | "updatePlan"
                | "updateCommitment"
                | "updateTarget"
                | "updateCoreDataBundle"
                | "deleteTarget"
                | "deleteMilestone"
                | "deleteCommitment"
                | "deletePlan"
                | "deleteCoreDataBundle" => who == "admin",
                "registerDataset" | "updateDataset" => who == "officer" || who == "parent_officer",
                _ => unreachable!(),
            }
        };
        let whos = [
            "anonymous",
            "revoked",
            "citizen",
            "other_citizen",
            "other_officer",
            "mediator",
            "admin",
            "officer",
            "parent_officer",
        ];
        let mut table = Vec::new();
        for (m, q, vars) in &cases {
            for who in whos {
                let tok = if who == "anonymous" {
                    None
                } else {
                    Some(w.tokens[who].as_str())
                };
                let outbox = "SELECT COUNT(*) FROM outbox";
                let before = common::count(&w.t.db, outbox).await;
                let v = call(&w.app, tok, q, vars.clone()).await;
                let c = code(&v).unwrap_or("OK");
                // Every change leaves an audit or domain event; a refused one writes nothing.
                let after = common::count(&w.t.db, outbox).await;
                if c == "OK" {
                    assert!(after > before, "{b:?}: {m} as {who} left no event: {v}");
                } else {
                    assert_eq!(after, before, "{b:?}: {m} as {who} failed but wrote: {v}");
                }
                let expected = if who == "anonymous" || who == "revoked" {
                    "UNAUTHENTICATED"
                } else if allowed(m, who) {
                    "allowed"
                } else {
                    "FORBIDDEN"
                };
                let ok = match expected {
                    "allowed" => !matches!(
                        c,
                        "FORBIDDEN" | "UNAUTHENTICATED" | "INTERNAL_SERVER_ERROR" | "NOT_FOUND"
                    ),
                    e => c == e,
                };
                assert!(ok, "{b:?}: {m} as {who}: expected {expected}, got {c}: {v}");
                table.push(format!("{m}/{who}={c}"));
            }
        }
        // The edits and deletes really ran for the admin (not refused for the data's state).
        for m in [
            "updatePlan",
            "updateCommitment",
            "updateTarget",
            "updateCoreDataBundle",
            "deleteTarget",
            "deleteMilestone",
            "deleteCommitment",
            "deletePlan",
            "deleteCoreDataBundle",
        ] {
            let ok = format!("{m}/admin=OK");
            assert!(table.contains(&ok), "{b:?}: {ok} not in {table:?}");
        }
        w.t.cleanup().await;
    }
}

#[tokio::test]
async fn requester_data_reaches_only_those_allowed() {
    let w = world(Backend::Sqlite, common::fixture::at(2026, 11, 2)).await;
    // Which fields can reach the requester's personal data? Walk the schema by introspection.
    let v = call(&w.app, None, "{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name kind ofType { name } } } } } } } }", json!({})).await;
    let mut reaching = Vec::new();
    for t in v["data"]["__schema"]["types"].as_array().unwrap() {
        for f in t["fields"].as_array().into_iter().flatten() {
            let mut ty = &f["type"];
            let mut names = Vec::new();
            while !ty.is_null() {
                if let Some(n) = ty["name"].as_str() {
                    names.push(n.to_string());
                }
                ty = &ty["ofType"];
            }
            if names.iter().any(|n| n == "RequestParty" || n == "Account") {
                reaching.push(format!(
                    "{}.{}",
                    t["name"].as_str().unwrap(),
                    f["name"].as_str().unwrap()
                ));
            }
        }
    }
    assert_eq!(
        reaching,
        vec!["DataRequest.requester"],
        "only one door to requester data"
    );
    // Every way to a DataRequest, as each kind of caller.
    let v = call(
        &w.app,
        Some(&w.tokens["citizen"]),
        FILE,
        json!({ "id": gid("Dataset", 4) }),
    )
    .await;
    let id = v["data"]["fileRequest"]["id"].as_str().unwrap().to_string();
    let paths = [
        "query($id: ID!) { node(id: $id) { ... on DataRequest { requester { displayName contact purpose } } } }",
        "query($id: ID!) { nodes(ids: [$id]) { ... on DataRequest { requester { displayName contact purpose } } } }",
        "{ dataRequests(first: 100) { nodes { requester { displayName contact purpose } } } }",
        "{ datasets(first: 100) { nodes { requests { requester { displayName contact purpose } } } } }",
        "{ stats { mostDemanded(first: 5) { dataset { requests { requester { displayName contact purpose } } } } } }",
    ];
    for (who, sees) in [
        ("anonymous", false),
        ("other_citizen", false),
        ("other_officer", false),
        ("admin", false),
        ("citizen", true),
        ("officer", true),
        ("parent_officer", true),
        // The committee handles a request only once it goes to mediation.
        ("mediator", false),
    ] {
        let tok = if who == "anonymous" {
            None
        } else {
            Some(w.tokens[who].as_str())
        };
        for p in paths {
            let v = call(&w.app, tok, p, json!({ "id": id })).await;
            assert!(v["errors"].is_null(), "{who} {p}: {v}");
            let text = v.to_string();
            assert_eq!(
                text.contains("x@example.org"),
                sees,
                "{who} via {p}: {text}"
            );
            if !sees {
                assert!(
                    !text.contains("대중교통 앱 개발") && !text.contains("x@example.org"),
                    "{who} via {p}"
                );
            }
        }
    }
    // Refused, then taken to mediation: now the committee sees who asked.
    let v = call(&w.app, Some(&w.tokens["officer"]), "mutation($id: ID!) { decideRequest(id: $id, decision: REFUSED, ground: BUSINESS_SECRET, wording: \"영업비밀\") { state } }", json!({ "id": id })).await;
    assert_eq!(v["data"]["decideRequest"]["state"], "REFUSED", "{v}");
    let v = call(
        &w.app,
        Some(&w.tokens["citizen"]),
        "mutation($id: ID!) { applyForMediation(id: $id, reason: \"공익\") { state } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        v["data"]["applyForMediation"]["state"], "MEDIATION_APPLIED",
        "{v}"
    );
    for p in paths {
        let v = call(&w.app, Some(&w.tokens["mediator"]), p, json!({ "id": id })).await;
        assert!(
            v.to_string().contains("x@example.org"),
            "mediator via {p}: {v}"
        );
        let v = call(&w.app, Some(&w.tokens["admin"]), p, json!({ "id": id })).await;
        assert!(
            !v.to_string().contains("x@example.org"),
            "admin via {p}: {v}"
        );
    }
    w.t.cleanup().await;
}

#[tokio::test]
async fn tokens_are_revoked_by_an_unambiguous_prefix_or_whole() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let citizen = w.tokens["citizen"].clone();
        let other = w.tokens["other_citizen"].clone();
        // Too short to name one token.
        let v = call(
            &w.app,
            Some(&citizen),
            "mutation($p: String!) { revokeToken(prefix: $p) }",
            json!({ "p": "inv_" }),
        )
        .await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        // Someone else's token is not yours to revoke.
        let v = call(
            &w.app,
            Some(&citizen),
            "mutation($p: String!) { revokeToken(prefix: $p) }",
            json!({ "p": inventory::auth::prefix_of(&other) }),
        )
        .await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        assert!(!v.to_string().contains(&other), "never echo a token: {v}");
        // The whole token works too, and it stops working at once.
        let v = call(
            &w.app,
            Some(&citizen),
            "mutation($p: String!) { revokeToken(prefix: $p) }",
            json!({ "p": citizen }),
        )
        .await;
        assert_eq!(v["data"]["revokeToken"], true, "{v}");
        assert!(!v.to_string().contains(&citizen[4..]), "{v}");
        let v = call(
            &w.app,
            Some(&citizen),
            "{ dataRequests(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&v), Some("UNAUTHENTICATED"), "{v}");
        // An ambiguous prefix (two tokens stored with the same one) is refused, not guessed.
        let sql = "UPDATE api_token SET prefix = 'inv_SAMEPREF' WHERE id IN (SELECT id FROM api_token ORDER BY id LIMIT 2)";
        sea_orm::ConnectionTrait::execute_unprepared(&w.t.db, sql)
            .await
            .unwrap();
        let v = call(
            &w.app,
            Some(&w.tokens["admin"]),
            "mutation($p: String!) { revokeToken(prefix: $p) }",
            json!({ "p": "inv_SAMEPREF" }),
        )
        .await;
        assert_eq!(code(&v), Some("CONFLICT"), "{v}");
        w.t.cleanup().await;
    }
}

#[tokio::test]
async fn citizens_list_what_they_follow_and_unfollow_it() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let followed = "{ dataRequests(filter: { followed: true }) { totalCount nodes { id } } }";
        let req = gid("DataRequest", 1);
        let citizen = w.tokens["citizen"].as_str();
        let other = w.tokens["other_citizen"].as_str();
        let v = call(&w.app, Some(citizen), followed, json!({})).await;
        assert_eq!(v["data"]["dataRequests"]["totalCount"], 0, "{b:?}: {v}");
        let v = call(
            &w.app,
            Some(citizen),
            "mutation($id: ID!) { followRequest(id: $id) }",
            json!({ "id": req }),
        )
        .await;
        assert_eq!(v["data"]["followRequest"], true, "{v}");
        let v = call(&w.app, Some(citizen), followed, json!({})).await;
        assert_eq!(v["data"]["dataRequests"]["totalCount"], 1, "{b:?}: {v}");
        assert_eq!(v["data"]["dataRequests"]["nodes"][0]["id"], req);
        // Another citizen's follows are their own.
        let v = call(&w.app, Some(other), followed, json!({})).await;
        assert_eq!(v["data"]["dataRequests"]["totalCount"], 0, "{b:?}: {v}");
        // Only citizens follow; others are told so.
        let v = call(&w.app, Some(&w.tokens["officer"]), followed, json!({})).await;
        assert_eq!(code(&v), Some("FORBIDDEN"), "{v}");
        let v = call(&w.app, None, followed, json!({})).await;
        assert_eq!(code(&v), Some("UNAUTHENTICATED"), "{v}");
        // Unfollowing ends it, and doing it again is no error and writes nothing.
        let unfollow = "mutation($id: ID!) { unfollowRequest(id: $id) }";
        let v = call(&w.app, Some(citizen), unfollow, json!({ "id": req })).await;
        assert_eq!(v["data"]["unfollowRequest"], true, "{v}");
        let v = call(&w.app, Some(citizen), followed, json!({})).await;
        assert_eq!(v["data"]["dataRequests"]["totalCount"], 0, "{b:?}: {v}");
        let outbox = common::count(&w.t.db, "SELECT COUNT(*) FROM outbox").await;
        let v = call(&w.app, Some(citizen), unfollow, json!({ "id": req })).await;
        assert_eq!(v["data"]["unfollowRequest"], true, "{v}");
        assert_eq!(
            common::count(&w.t.db, "SELECT COUNT(*) FROM outbox").await,
            outbox
        );
        let v = call(
            &w.app,
            Some(citizen),
            unfollow,
            json!({ "id": gid("DataRequest", 999_999) }),
        )
        .await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        w.t.cleanup().await;
    }
}
