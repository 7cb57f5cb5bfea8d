//! Mutations on every backend: who may do what, the request lifecycle with deadlines across
//! weekends and holidays, optimistic concurrency, and requester privacy.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use common::{Backend, backends, with_fixture};
use http_body_util::BodyExt;
use inventory::clock::{Clock, ManualClock};
use serde_json::{Value, json};
use tower::ServiceExt;

struct World {
    t: common::TestDb,
    app: axum::Router,
    clock: Arc<ManualClock>,
    tokens: std::collections::HashMap<&'static str, String>,
}

async fn call(app: &axum::Router, token: Option<&str>, query: &str, vars: Value) -> Value {
    let mut req = Request::post("/graphql").header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app
        .clone()
        .oneshot(
            req.body(Body::from(
                json!({ "query": query, "variables": vars }).to_string(),
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

fn code(v: &Value) -> Option<&str> {
    v["errors"][0]["extensions"]["code"].as_str()
}

async fn world(b: Backend, now: chrono::DateTime<chrono::Utc>) -> World {
    let t = with_fixture(b).await;
    let clock = Arc::new(ManualClock::new(now));
    let app = inventory::app(inventory::AppState::new(t.db.clone(), clock.clone()));
    let mut tokens = std::collections::HashMap::new();
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
                common::count(
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

fn gid(kind: &str, id: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

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
        ];
        // Who may pass the permission check of each mutation (state errors count as passing).
        let allowed = |m: &str, who: &str| -> bool {
            match m {
                "changeDisclosure"
                | "extendDeadline"
                | "decideRequest"
                | "answerReconsideration"
                | "provideAfterMediation" => who == "officer" || who == "parent_officer",
                "fileRequest" | "supportRequest" | "followRequest" => {
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
                | "updateMilestone" => who == "admin",
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
        w.t.cleanup().await;
    }
}

const FILE: &str = "mutation($id: ID, $code: String, $desc: String) { fileRequest(input: { datasetId: $id, institutionCode: $code, unlistedDescription: $desc, purpose: \"대중교통 앱 개발\" }) { id state decisionDueOn overdue requester { displayName } } }";
const STATE: &str = "query($id: ID!) { node(id: $id) { ... on DataRequest { state decisionDueOn dueOn overdue longOverdue allowedSteps } } }";

#[tokio::test]
async fn the_whole_lifecycle_with_deadlines_across_weekends_and_holidays() {
    for b in backends().await {
        // Monday 2026-09-14, 10:00 in Seoul: ten days later is Thursday 09-24, the first day of
        // Chuseok (24–26), then a Sunday: the decision is due Monday 09-28.
        let w = world(
            b,
            chrono::DateTime::parse_from_rfc3339("2026-09-14T01:00:00Z")
                .unwrap()
                .into(),
        )
        .await;
        let citizen = Some(w.tokens["citizen"].as_str());
        let officer = Some(w.tokens["officer"].as_str());
        let mediator = Some(w.tokens["mediator"].as_str());
        let v = call(&w.app, citizen, FILE, json!({ "id": gid("Dataset", 4) })).await;
        let r = &v["data"]["fileRequest"];
        assert_eq!(r["state"], "RECEIVED", "{v}");
        assert_eq!(r["decisionDueOn"], "2026-09-28");
        assert_eq!(
            r["requester"]["displayName"], "citizen",
            "the requester sees themself"
        );
        let id = r["id"].as_str().unwrap().to_string();
        // Filing twice is refused; another citizen supports instead.
        let v = call(&w.app, citizen, FILE, json!({ "id": gid("Dataset", 4) })).await;
        assert_eq!(code(&v), Some("CONFLICT"), "{v}");
        let v = call(
            &w.app,
            Some(&w.tokens["other_citizen"]),
            "mutation($id: ID!) { supportRequest(id: $id) }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(v["data"]["supportRequest"], 1, "{v}");

        // Not overdue on the due day itself (it passes at the end of the day), overdue after.
        w.clock.set(
            chrono::DateTime::parse_from_rfc3339("2026-09-28T14:00:00Z")
                .unwrap()
                .into(),
        ); // 23:00 in Seoul
        let v = call(&w.app, None, STATE, json!({ "id": id })).await;
        assert_eq!(v["data"]["node"]["overdue"], false, "{v}");
        w.clock.set(
            chrono::DateTime::parse_from_rfc3339("2026-09-28T15:30:00Z")
                .unwrap()
                .into(),
        ); // 00:30 on the 29th
        let v = call(&w.app, None, STATE, json!({ "id": id })).await;
        assert_eq!(v["data"]["node"]["overdue"], true, "{v}");
        let v = call(
            &w.app,
            None,
            "{ stats { turnaround { overdue } } }",
            json!({}),
        )
        .await;
        assert!(
            v["data"]["stats"]["turnaround"]["overdue"]
                .as_u64()
                .unwrap()
                >= 1
        );

        // The missed deadline counts as a refusal: the citizen asks for reconsideration.
        let v = call(&w.app, citizen, "mutation($id: ID!) { askReconsideration(id: $id, reason: \"기한 경과\") { state dueOn } }", json!({ "id": id })).await;
        assert_eq!(
            v["data"]["askReconsideration"]["state"], "RECONSIDERATION",
            "{v}"
        );
        // Asked on Tue 09-29: the answer is due in 7 days, Tue 10-06. Not overdue meanwhile,
        // although the decision deadline lies behind.
        let recon_due = v["data"]["askReconsideration"]["dueOn"].as_str().unwrap();
        assert_eq!(recon_due, "2026-10-06", "{v}");
        let v = call(&w.app, None, STATE, json!({ "id": id })).await;
        assert_eq!(v["data"]["node"]["overdue"], false, "{v}");
        let v = call(
            &w.app,
            None,
            "{ institution(code: \"3010000\") { record { requestsOverdue } } }",
            json!({}),
        )
        .await;
        let overdue_before = v["data"]["institution"]["record"]["requestsOverdue"].clone();
        // Unanswered past its deadline it is overdue, counts as a refusal, and mediation opens.
        w.clock.set(
            chrono::DateTime::parse_from_rfc3339("2026-10-07T01:00:00Z")
                .unwrap()
                .into(),
        );
        let v = call(&w.app, None, STATE, json!({ "id": id })).await;
        assert_eq!(v["data"]["node"]["overdue"], true, "{v}");
        assert!(
            v["data"]["node"]["allowedSteps"]
                .as_array()
                .unwrap()
                .contains(&json!("apply for mediation")),
            "{v}"
        );
        let v = call(
            &w.app,
            None,
            "{ institution(code: \"3010000\") { record { requestsOverdue } } }",
            json!({}),
        )
        .await;
        assert_eq!(
            v["data"]["institution"]["record"]["requestsOverdue"]
                .as_u64()
                .unwrap(),
            overdue_before.as_u64().unwrap_or(0) + 1,
            "{v}"
        );
        // An invalid step names the state and what is allowed.
        let v = call(
            &w.app,
            mediator,
            "mutation($id: ID!) { proposeMediation(id: $id, terms: \"x\") { state } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"));
        let msg = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            msg.contains("RECONSIDERATION") && msg.contains("answer reconsideration"),
            "{msg}"
        );
        // Refused again, with a ground and the institution's wording.
        let v = call(
            &w.app,
            officer,
            "mutation($id: ID!) { answerReconsideration(id: $id, provide: false) { state } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            code(&v),
            Some("BAD_USER_INPUT"),
            "a refusal needs its reason: {v}"
        );
        let v = call(&w.app, officer, "mutation($id: ID!) { answerReconsideration(id: $id, provide: false, ground: BUSINESS_SECRET, wording: \"운송사업자 영업비밀\") { state ground { label } institutionWording } }", json!({ "id": id })).await;
        assert_eq!(
            v["data"]["answerReconsideration"]["state"], "REFUSED_AGAIN",
            "{v}"
        );

        // Mediation: applied, proposed, accepted by both, then provided.
        let v = call(
            &w.app,
            citizen,
            "mutation($id: ID!) { applyForMediation(id: $id, reason: \"공익\") { state dueOn } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            v["data"]["applyForMediation"]["state"], "MEDIATION_APPLIED",
            "{v}"
        );
        let v = call(&w.app, mediator, "mutation($id: ID!) { proposeMediation(id: $id, terms: \"노선별 집계만 제공\") { state dueOn requester { displayName } } }", json!({ "id": id })).await;
        assert_eq!(
            v["data"]["proposeMediation"]["state"], "MEDIATION_PROPOSED",
            "{v}"
        );
        assert_eq!(
            v["data"]["proposeMediation"]["requester"]["displayName"], "citizen",
            "the mediator sees the requester"
        );
        let v = call(
            &w.app,
            citizen,
            "mutation($id: ID!) { answerProposal(id: $id, accept: true) { state } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            v["data"]["answerProposal"]["state"], "MEDIATION_PROPOSED",
            "one party is not enough: {v}"
        );
        let v = call(
            &w.app,
            officer,
            "mutation($id: ID!) { answerProposal(id: $id, accept: true) { state dueOn } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            v["data"]["answerProposal"]["state"], "MEDIATION_ACCEPTED",
            "{v}"
        );
        let v = call(&w.app, officer, "mutation($id: ID!) { provideAfterMediation(id: $id) { state dataset { disclosure { status } history { fromStatus toStatus actor } } } }", json!({ "id": id })).await;
        let p = &v["data"]["provideAfterMediation"];
        assert_eq!(p["state"], "PROVIDED", "{v}");
        // The dataset opened in the same transaction, with a history event by the officer.
        assert_eq!(p["dataset"]["disclosure"]["status"], "OPEN");
        let last = p["dataset"]["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(
            (last["fromStatus"].as_str(), last["toStatus"].as_str()),
            (Some("WITHHELD"), Some("OPEN"))
        );
        assert!(last["actor"].as_str().unwrap().starts_with("officer:"));
        let v = call(
            &w.app,
            citizen,
            "mutation($id: ID!) { withdrawRequest(id: $id) { state } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            code(&v),
            Some("BAD_USER_INPUT"),
            "a closed request cannot be withdrawn: {v}"
        );

        // A proposal nobody answers lapses after 15 days.
        let v = call(&w.app, citizen, FILE, json!({ "id": gid("Dataset", 11) })).await;
        let id2 = v["data"]["fileRequest"]["id"].as_str().unwrap().to_string();
        let v = call(&w.app, officer, "mutation($id: ID!) { decideRequest(id: $id, decision: REFUSED, ground: PERSONAL_INFORMATION, wording: \"운전자 개인정보\") { state } }", json!({ "id": id2 })).await;
        assert_eq!(v["data"]["decideRequest"]["state"], "REFUSED", "{v}");
        call(
            &w.app,
            citizen,
            "mutation($id: ID!) { applyForMediation(id: $id, reason: \"r\") { state } }",
            json!({ "id": id2 }),
        )
        .await;
        let v = call(&w.app, mediator, "mutation($id: ID!) { proposeMediation(id: $id, terms: \"가명처리 후 제공\") { dueOn } }", json!({ "id": id2 })).await;
        let due: chrono::NaiveDate = v["data"]["proposeMediation"]["dueOn"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        w.clock.set(
            (due + chrono::Days::new(1))
                .and_hms_opt(1, 0, 0)
                .unwrap()
                .and_utc(),
        );
        let v = call(
            &w.app,
            citizen,
            "mutation($id: ID!) { answerProposal(id: $id, accept: true) { state } }",
            json!({ "id": id2 }),
        )
        .await;
        assert_eq!(
            v["data"]["answerProposal"]["state"], "MEDIATION_LAPSED",
            "{v}"
        );

        // Unlisted data, provided: a new dataset is registered and linked, and searchable.
        let v = call(
            &w.app,
            citizen,
            FILE,
            json!({ "code": "1741000", "desc": "지자체별 전자민원 처리시간 원자료" }),
        )
        .await;
        let id3 = v["data"]["fileRequest"]["id"].as_str().unwrap().to_string();
        let v = call(&w.app, Some(&w.tokens["other_officer"]), "mutation($id: ID!) { decideRequest(id: $id, decision: PROVIDED) { state dataset { title provenance disclosure { status } } } }", json!({ "id": id3 })).await;
        assert_eq!(v["data"]["decideRequest"]["state"], "PROVIDED", "{v}");
        let v = call(&w.app, None, "{ datasets(search: \"전자민원 처리시간\") { nodes { provenance disclosure { status } } } }", json!({})).await;
        assert_eq!(
            v["data"]["datasets"]["nodes"][0]["provenance"], "REGISTERED",
            "{v}"
        );
        w.t.cleanup().await;
    }
}

#[tokio::test]
async fn two_concurrent_disclosure_changes_with_the_same_version_one_wins() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let officer = w.tokens["officer"].clone();
        let q = "mutation($id: ID!, $v: Int!, $e: String!) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: WITHHELD, ground: PRACTICAL_DATA_QUALITY, explanation: $e }) { disclosure { version ground { hasLegalBasis } } } }";
        let mut handles = Vec::new();
        for n in 0..4 {
            let app = w.app.clone();
            let officer = officer.clone();
            handles.push(tokio::spawn(async move {
                call(
                    &app,
                    Some(&officer),
                    q,
                    json!({ "id": gid("Dataset", 4), "v": 1, "e": format!("writer {n}") }),
                )
                .await
            }));
        }
        let mut won = 0;
        let mut conflicts = 0;
        for h in handles {
            let v = h.await.unwrap();
            match code(&v) {
                None => {
                    won += 1;
                    assert_eq!(v["data"]["changeDisclosure"]["disclosure"]["version"], 2);
                    assert_eq!(
                        v["data"]["changeDisclosure"]["disclosure"]["ground"]["hasLegalBasis"],
                        false
                    );
                }
                Some("CONFLICT") => conflicts += 1,
                other => panic!("{b:?}: unexpected {other:?}: {v}"),
            }
        }
        assert_eq!((won, conflicts), (1, 3), "{b:?}");
        // Exactly one history event was added.
        assert_eq!(
            common::count(
                &w.t.db,
                "SELECT COUNT(*) FROM disclosure_event WHERE dataset_id = 4"
            )
            .await,
            2
        );
        // Validation: withholding needs a ground and an explanation; nothing is written.
        let v = call(&w.app, Some(&officer), "mutation($id: ID!) { changeDisclosure(input: { datasetId: $id, expectedVersion: 2, status: WITHHELD }) { id } }", json!({ "id": gid("Dataset", 4) })).await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("ground")
        );
        assert_eq!(
            common::count(
                &w.t.db,
                "SELECT CAST(version AS BIGINT) FROM disclosure WHERE dataset_id = 4"
            )
            .await,
            2
        );
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
async fn a_proposal_left_unanswered_lapses_by_itself() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let citizen = Some(w.tokens["citizen"].as_str());
        let officer = Some(w.tokens["officer"].as_str());
        let v = call(&w.app, citizen, FILE, json!({ "id": gid("Dataset", 4) })).await;
        let id = v["data"]["fileRequest"]["id"].as_str().unwrap().to_string();
        call(&w.app, officer, "mutation($id: ID!) { decideRequest(id: $id, decision: REFUSED, ground: PERSONAL_INFORMATION, wording: \"개인정보\") { state } }", json!({ "id": id })).await;
        let v = call(
            &w.app,
            citizen,
            "mutation($id: ID!) { applyForMediation(id: $id, reason: \"r\") { state } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            v["data"]["applyForMediation"]["state"], "MEDIATION_APPLIED",
            "{v}"
        );
        let v = call(&w.app, Some(&w.tokens["mediator"]), "mutation($id: ID!) { proposeMediation(id: $id, terms: \"가명처리 후 제공\") { dueOn } }", json!({ "id": id })).await;
        let due: chrono::NaiveDate = v["data"]["proposeMediation"]["dueOn"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        // Nothing lapses before the end of the due day.
        w.clock.set(due.and_hms_opt(14, 0, 0).unwrap().and_utc());
        assert_eq!(
            inventory::domain::workflow::lapse_expired(&w.t.db, w.clock.now())
                .await
                .unwrap(),
            0
        );
        let v = call(&w.app, None, STATE, json!({ "id": id })).await;
        assert_eq!(v["data"]["node"]["state"], "MEDIATION_PROPOSED", "{v}");
        // The day after, queries show it lapsed at once, before anything is recorded.
        w.clock.set(
            (due + chrono::Days::new(1))
                .and_hms_opt(1, 0, 0)
                .unwrap()
                .and_utc(),
        );
        let v = call(&w.app, None, STATE, json!({ "id": id })).await;
        assert_eq!(v["data"]["node"]["state"], "MEDIATION_LAPSED", "{v}");
        assert_eq!(
            v["data"]["node"]["overdue"], false,
            "lapsed, not overdue: {v}"
        );
        assert_eq!(
            v["data"]["node"]["allowedSteps"],
            json!(["none (the request is closed)"]),
            "{v}"
        );
        // The sweep records the lapse once, by the system, with an outbox event.
        let events_before = common::count(
            &w.t.db,
            "SELECT COUNT(*) FROM outbox WHERE topic = 'request'",
        )
        .await;
        let db = w.t.db.clone();
        let now = w.clock.now();
        let (a, b2) = tokio::join!(
            inventory::domain::workflow::lapse_expired(&db, now),
            inventory::domain::workflow::lapse_expired(&db, now)
        );
        assert_eq!(a.unwrap() + b2.unwrap(), 1, "two sweepers record one lapse");
        assert_eq!(
            inventory::domain::workflow::lapse_expired(&w.t.db, now)
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            common::count(
                &w.t.db,
                "SELECT COUNT(*) FROM request_event WHERE to_state = 'MEDIATION_LAPSED' AND actor_role = 'system' AND actor_account_id IS NULL",
            )
            .await,
            1
        );
        assert_eq!(
            common::count(
                &w.t.db,
                "SELECT COUNT(*) FROM outbox WHERE topic = 'request'",
            )
            .await,
            events_before + 1
        );
        let v = call(
            &w.app,
            citizen,
            "mutation($id: ID!) { answerProposal(id: $id, accept: true) { state } }",
            json!({ "id": id }),
        )
        .await;
        let msg = v["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("MEDIATION_LAPSED"), "{v}");
        w.t.cleanup().await;
    }
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
async fn registry_upkeep_validates_audits_and_scopes() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let officer = Some(w.tokens["officer"].as_str());
        let admin = Some(w.tokens["admin"].as_str());
        // An officer registers a withheld dataset of its institution; it is searchable at once.
        let q = "mutation($s: DisclosureStatus, $g: WithholdingGround, $e: String) { registerDataset(input: { institutionCode: \"3010000\", title: \"불법주정차 단속 원자료\", description: \"차량번호 포함\", category: TRANSPORT_LOGISTICS, type: FILE, keywords: [\"주정차\"], status: $s, ground: $g, explanation: $e }) { id provenance disclosure { status ground { hasLegalBasis } } history { fromStatus toStatus actor } } }";
        let v = call(&w.app, officer, q, json!({ "s": "WITHHELD" })).await;
        assert_eq!(
            code(&v),
            Some("BAD_USER_INPUT"),
            "withholding needs a ground: {v}"
        );
        let v = call(
            &w.app,
            officer,
            q,
            json!({ "s": "WITHHELD", "g": "PERSONAL_INFORMATION", "e": "차량번호는 개인정보" }),
        )
        .await;
        let d = &v["data"]["registerDataset"];
        assert_eq!(d["provenance"], "REGISTERED", "{v}");
        assert_eq!(d["disclosure"]["status"], "WITHHELD");
        assert!(d["history"][0]["fromStatus"].is_null());
        let v = call(
            &w.app,
            None,
            "{ datasets(search: \"주정차\") { totalCount } }",
            json!({}),
        )
        .await;
        assert_eq!(v["data"]["datasets"]["totalCount"], 1, "{v}");
        // Another institution's officer may not touch it.
        let v = call(
            &w.app,
            Some(&w.tokens["other_officer"]),
            "mutation($id: ID!) { updateDataset(input: { datasetId: $id, title: \"x\" }) { id } }",
            json!({ "id": d["id"] }),
        )
        .await;
        assert_eq!(code(&v), Some("FORBIDDEN"));

        // Admins rename an institution under its code: the former name is kept.
        let v = call(&w.app, admin, "mutation { upsertInstitution(input: { code: \"3010000\", name: \"종로구청\", parentCode: \"6110000\", parentConfirmed: true }) { name formerNames { name } parentConfirmed } }", json!({})).await;
        assert_eq!(
            v["data"]["upsertInstitution"]["formerNames"][0]["name"], "서울특별시 종로구",
            "{v}"
        );
        // A parent below the institution would make a cycle.
        let v = call(&w.app, admin, "mutation { upsertInstitution(input: { code: \"6110000\", name: \"서울특별시\", parentCode: \"3010000\" }) { name } }", json!({})).await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("cycle")
        );
        // An unconfirmed parent link takes the parent's officers' scope away.
        call(&w.app, admin, "mutation { upsertInstitution(input: { code: \"3010000\", name: \"종로구청\", parentCode: \"6110000\", parentConfirmed: false }) { name } }", json!({})).await;
        let v = call(
            &w.app,
            Some(&w.tokens["parent_officer"]),
            "mutation($id: ID!) { updateDataset(input: { datasetId: $id, title: \"x\" }) { id } }",
            json!({ "id": d["id"] }),
        )
        .await;
        assert_eq!(code(&v), Some("FORBIDDEN"), "{v}");

        // Plans, bundles, milestones and targets validate their input.
        let v = call(&w.app, admin, "mutation { createPlan(kind: OGP_ACTION_PLAN, name: \"x\", startsOn: \"2028-01-01\", endsOn: \"2027-01-01\") { id } }", json!({})).await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"));
        let v = call(
            &w.app,
            admin,
            "mutation { createCoreDataBundle(input: { name: \"x\", round: 7 }) { id } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"));
        let v = call(&w.app, admin, "mutation { createCommitment(code: \"KR0068\", title: \"공공데이터 개방 확대\") { id code } }", json!({})).await;
        let c = v["data"]["createCommitment"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let v = call(
            &w.app,
            admin,
            "mutation { createCommitment(code: \"KR0068\", title: \"again\") { id } }",
            json!({}),
        )
        .await;
        assert_eq!(code(&v), Some("CONFLICT"));
        let v = call(&w.app, admin, "mutation($c: ID!) { createMilestone(commitmentId: $c, title: \"목록 공개\", startsOn: \"2027-01-01\", endsOn: \"2027-12-31\") { id completion } }", json!({ "c": c })).await;
        assert_eq!(
            v["data"]["createMilestone"]["completion"], "NOT_STARTED",
            "{v}"
        );
        // Every change left an audit event without personal data.
        let audits =
            common::count(&w.t.db, "SELECT COUNT(*) FROM outbox WHERE topic = 'audit'").await;
        assert!(audits >= 4, "{audits}");
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

#[tokio::test]
async fn an_institutions_grounds_count_each_ground_once() {
    let w = world(Backend::Sqlite, common::fixture::at(2026, 11, 2)).await;
    let v = call(&w.app, None, "{ datasets(filter: { institutionCode: [\"3010000\"] }, first: 100) { nodes { id disclosure { status version ground { ground } } } } }", json!({})).await;
    let nodes = v["data"]["datasets"]["nodes"].as_array().unwrap().clone();
    let withheld = nodes
        .iter()
        .find(|n| n["disclosure"]["status"] == "WITHHELD")
        .expect("a withheld entry in the fixture");
    let ground = withheld["disclosure"]["ground"]["ground"].clone();
    let other = nodes
        .iter()
        .find(|n| n["id"] != withheld["id"] && n["disclosure"]["ground"]["ground"] != ground)
        .expect("another entry");
    // The same ground now also stands behind a partially open entry.
    let v = call(&w.app, Some(&w.tokens["officer"]), "mutation($id: ID!, $v: Int!, $g: WithholdingGround) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: PARTIALLY_OPEN, ground: $g, explanation: \"일부 항목 비공개\" }) { disclosure { status } } }", json!({ "id": other["id"], "v": other["disclosure"]["version"], "g": ground })).await;
    assert!(v["errors"].is_null(), "{v}");
    let v = call(&w.app, None, "{ institution(code: \"3010000\") { record { withheld partiallyOpen grounds { value count } } } }", json!({})).await;
    let grounds = v["data"]["institution"]["record"]["grounds"]
        .as_array()
        .unwrap();
    let mut values: Vec<_> = grounds.iter().map(|g| g["value"].to_string()).collect();
    values.sort();
    let n = values.len();
    values.dedup();
    assert_eq!(values.len(), n, "a ground listed twice: {v}");
    let total: u64 = grounds.iter().map(|g| g["count"].as_u64().unwrap()).sum();
    let rec = &v["data"]["institution"]["record"];
    assert_eq!(
        total,
        rec["withheld"].as_u64().unwrap() + rec["partiallyOpen"].as_u64().unwrap(),
        "{v}"
    );
    w.t.cleanup().await;
}

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
async fn silence_counts_as_refusal_only_when_configured() {
    let w = world(Backend::Sqlite, common::fixture::at(2026, 11, 2)).await;
    let v = call(
        &w.app,
        Some(&w.tokens["citizen"]),
        FILE,
        json!({ "id": gid("Dataset", 4) }),
    )
    .await;
    let id = v["data"]["fileRequest"]["id"].as_str().unwrap().to_string();
    // A month later the decision deadline lies far behind.
    w.clock.set(common::fixture::at(2026, 12, 2));
    let mut state = inventory::AppState::new(w.t.db.clone(), w.clock.clone());
    state.deadlines = Arc::new(inventory::domain::deadlines::Deadlines {
        silence_counts_as_refusal: false,
        ..Default::default()
    });
    let strict = inventory::app(state);
    for (app, counts) in [(&w.app, true), (&strict, false)] {
        let v = call(app, None, STATE, json!({ "id": id })).await;
        let steps = v["data"]["node"]["allowedSteps"].as_array().unwrap();
        assert_eq!(steps.contains(&json!("apply for mediation")), counts, "{v}");
    }
    let v = call(
        &strict,
        Some(&w.tokens["citizen"]),
        "mutation($id: ID!) { askReconsideration(id: $id, reason: \"r\") { state } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
    let v = call(
        &w.app,
        Some(&w.tokens["citizen"]),
        "mutation($id: ID!) { askReconsideration(id: $id, reason: \"r\") { state } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        v["data"]["askReconsideration"]["state"], "RECONSIDERATION",
        "{v}"
    );
    w.t.cleanup().await;
}
