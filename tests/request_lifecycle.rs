//! The request workflow through the API on every backend: the whole lifecycle with deadlines
//! across weekends and holidays, mediation proposals that lapse unanswered, and silence that
//! counts as refusal only when configured.

mod common;

use std::sync::Arc;

use common::api::{call, code, gid};
use common::world::{FILE, STATE, world};
use common::{Backend, backends};
use inventory::clock::Clock;
use serde_json::json;

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
