//! Targets measured as of a day (reconciled with `openingsPerMonth` and the history), and admins
//! editing and deleting plans, commitments, milestones, targets and bundles, on every backend.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::api::{call, code, gid};
use common::backends;
use common::world::{World, world};
use serde_json::{Value, json};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// Changes dataset `id`'s status at `at` through the API, as the officer of 서울특별시 (whose
/// confirmed child 종로구 holds the rest of the fixture's withheld data).
async fn change(w: &World, at: DateTime<Utc>, id: i64, status: &str) {
    w.clock.set(at);
    let tok = Some(w.tokens["parent_officer"].as_str());
    let v = call(
        &w.app,
        tok,
        "query($id: ID!) { dataset(id: $id) { disclosure { version } } }",
        json!({ "id": gid("Dataset", id) }),
    )
    .await;
    let version = v["data"]["dataset"]["disclosure"]["version"].clone();
    let withheld = status != "OPEN";
    let v = call(
        &w.app,
        tok,
        "mutation($id: ID!, $v: Int!, $s: DisclosureStatus!, $g: WithholdingGround, $e: String) { changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: $s, ground: $g, explanation: $e }) { disclosure { status } } }",
        json!({
            "id": gid("Dataset", id), "v": version, "s": status,
            "g": if withheld { json!("PERSONAL_INFORMATION") } else { Value::Null },
            "e": if withheld { json!("개인정보 포함") } else { Value::Null },
        }),
    )
    .await;
    assert_eq!(
        v["data"]["changeDisclosure"]["disclosure"]["status"], status,
        "{v}"
    );
}

const PROGRESS: &str = "query($id: ID!, $asOf: Date) { node(id: $id) { ... on Target { dueOn progress(asOf: $asOf) { asOf achieved ratio status metOn synthetic } } } }";

async fn progress(w: &World, target: &str, as_of: Option<&str>) -> Value {
    let v = call(
        &w.app,
        None,
        PROGRESS,
        json!({ "id": target, "asOf": as_of }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    v["data"]["node"]["progress"].clone()
}

/// The openings of the whole history, read through the API: (instant, dataset id).
async fn openings_in_history(w: &World) -> Vec<(DateTime<Utc>, String)> {
    let v = call(
        &w.app,
        None,
        "{ datasets(first: 50) { totalCount nodes { id history(first: 20) { fromStatus toStatus occurredAt } } } }",
        json!({}),
    )
    .await;
    assert!(
        v["data"]["datasets"]["totalCount"].as_i64().unwrap() <= 50,
        "{v}"
    );
    let mut out = Vec::new();
    for d in v["data"]["datasets"]["nodes"].as_array().unwrap() {
        for e in d["history"].as_array().unwrap() {
            // The definition: a change to OPEN from another status (never an entry's first event).
            if e["toStatus"] == "OPEN" && !e["fromStatus"].is_null() && e["fromStatus"] != "OPEN" {
                let at = DateTime::parse_from_rfc3339(e["occurredAt"].as_str().unwrap()).unwrap();
                out.push((
                    at.with_timezone(&Utc),
                    d["id"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// The Asia/Seoul day of an instant.
fn seoul_day(t: DateTime<Utc>) -> String {
    inventory::clock::seoul_date(t).to_string()
}

#[tokio::test]
async fn a_target_counts_openings_up_to_its_due_date_as_openings_per_month_and_the_history_do() {
    for b in backends().await {
        let w = world(b, utc(2025, 1, 20, 0, 0)).await;
        // The fixture opened six entries in 2025 (on the 15th of January twice, March, May, July,
        // December). On top, through the API at controlled times:
        change(&w, utc(2025, 2, 1, 0, 0), 4, "OPEN").await;
        change(&w, utc(2025, 3, 1, 0, 0), 4, "WITHHELD").await;
        // Reopened: a second opening of the same entry.
        change(&w, utc(2025, 4, 1, 0, 0), 4, "OPEN").await;
        // Registered open: an entry's first event is not an opening.
        w.clock.set(utc(2025, 5, 5, 0, 0));
        let v = call(&w.app, Some(&w.tokens["officer"]), "mutation { registerDataset(input: { institutionCode: \"3010000\", title: \"공영주차장 현황\", category: TRANSPORT_LOGISTICS, type: FILE }) { id } }", json!({})).await;
        assert!(v["errors"].is_null(), "{v}");
        change(&w, utc(2025, 6, 10, 3, 0), 2, "OPEN").await;
        // To PARTIALLY_OPEN is not an opening; from it to OPEN is.
        change(&w, utc(2025, 8, 1, 0, 0), 8, "PARTIALLY_OPEN").await;
        // 23:00 on 31 December in Seoul: the last day of the target counts.
        change(&w, utc(2025, 12, 31, 14, 0), 8, "OPEN").await;
        // 01:00 on 1 January 2026 in Seoul (still 31 December in UTC): not the 2025 target's.
        change(&w, utc(2025, 12, 31, 16, 0), 9, "OPEN").await;
        change(&w, utc(2026, 2, 3, 0, 0), 11, "OPEN").await;
        w.clock.set(utc(2026, 11, 2, 0, 0));

        let admin = Some(w.tokens["admin"].as_str());
        let create = "mutation($v: Int!) { createTarget(title: \"2025년 개방\", metric: WITHHELD_OPENED, baselineOn: \"2025-01-01\", baselineValue: 13, targetValue: $v, dueOn: \"2025-12-31\") { id } }";
        let v = call(&w.app, admin, create, json!({ "v": 10 })).await;
        let met = v["data"]["createTarget"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let v = call(&w.app, admin, create, json!({ "v": 11 })).await;
        let missed = v["data"]["createTarget"]["id"]
            .as_str()
            .unwrap()
            .to_string();

        // By default, as of the due date: ten openings in 2025 (Asia/Seoul).
        let p = progress(&w, &met, None).await;
        assert_eq!(p["asOf"], "2025-12-31", "{b:?}: {p}");
        assert_eq!(p["achieved"], 10, "{b:?}: {p}");
        assert_eq!(p["status"], "MET", "{b:?}: {p}");
        assert_eq!(p["metOn"], "2025-12-31", "{b:?}: {p}");
        assert_eq!(p["synthetic"], false);

        // The same figure is the sum of openingsPerMonth over the same days …
        let v = call(
            &w.app,
            None,
            "{ stats { openingsPerMonth(from: \"2025-01-01\", to: \"2025-12-31\") { month count } } }",
            json!({}),
        )
        .await;
        let months = v["data"]["stats"]["openingsPerMonth"]
            .as_array()
            .unwrap_or_else(|| panic!("{b:?}: {v}"));
        let sum: i64 = months.iter().map(|m| m["count"].as_i64().unwrap()).sum();
        assert_eq!(sum, 10, "{b:?}: {v}");
        assert!(
            months
                .iter()
                .all(|m| m["month"].as_str().unwrap().starts_with("2025-")),
            "{v}"
        );
        // … and of the whole history's months (Asia/Seoul months: the opening at 16:00 UTC on
        // 31 December is January's).
        let v = call(
            &w.app,
            None,
            "{ stats { openingsPerMonth { month count } } }",
            json!({}),
        )
        .await;
        let all = v["data"]["stats"]["openingsPerMonth"].as_array().unwrap();
        let in_2025: i64 = all
            .iter()
            .filter(|m| m["month"].as_str().unwrap().starts_with("2025-"))
            .map(|m| m["count"].as_i64().unwrap())
            .sum();
        assert_eq!(in_2025, 10, "{b:?}: {v}");
        assert!(
            all.contains(&json!({ "month": "2026-01", "count": 1 })),
            "{b:?}: {v}"
        );

        // The history tells the same: count its openings in the target's days, and the day the
        // tenth came.
        let history = openings_in_history(&w).await;
        let days: Vec<String> = history.iter().map(|(t, _)| seoul_day(*t)).collect();
        let within: Vec<&String> = days
            .iter()
            .filter(|d| d.as_str() >= "2025-01-01" && d.as_str() <= "2025-12-31")
            .collect();
        assert_eq!(within.len() as i64, p["achieved"].as_i64().unwrap());
        assert_eq!(within[9], p["metOn"].as_str().unwrap());
        // The reopened entry counts twice.
        let reopened = history.iter().filter(|(_, id)| *id == gid("Dataset", 4));
        assert_eq!(reopened.count(), 2);

        // Eleven were not reached by the end of 2025: missed, and when asked later, reached late.
        let p = progress(&w, &missed, None).await;
        assert_eq!(
            (&p["achieved"], &p["status"], &p["metOn"]),
            (&json!(10), &json!("MISSED"), &Value::Null),
            "{b:?}: {p}"
        );
        let p = progress(&w, &missed, Some("2026-02-03")).await;
        assert_eq!(
            (&p["achieved"], &p["status"], &p["metOn"]),
            (&json!(12), &json!("MISSED"), &json!("2026-01-01")),
            "{b:?}: {p}"
        );
        // The opening at 09:00 on 3 February in Seoul is not counted as of the 2nd.
        let p = progress(&w, &missed, Some("2026-02-02")).await;
        assert_eq!(p["achieved"], 11, "{b:?}: {p}");
        // As of the middle of 2025: in progress, and the history agrees.
        let p = progress(&w, &met, Some("2025-06-30")).await;
        let by_june = days
            .iter()
            .filter(|d| d.as_str() >= "2025-01-01" && d.as_str() <= "2025-06-30")
            .count();
        assert_eq!(by_june, 7);
        assert_eq!(
            (&p["achieved"], &p["status"], &p["metOn"]),
            (&json!(by_june), &json!("IN_PROGRESS"), &Value::Null),
            "{b:?}: {p}"
        );
        assert_eq!(p["ratio"], 0.7);

        // A target not yet due is in progress whatever the day asked.
        let v = call(&w.app, admin, "mutation { createTarget(title: \"2027년 개방\", metric: WITHHELD_OPENED, baselineOn: \"2026-01-01\", baselineValue: 3, targetValue: 5, dueOn: \"2027-12-31\") { id } }", json!({})).await;
        let ahead = v["data"]["createTarget"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p = progress(&w, &ahead, None).await;
        assert_eq!(
            (&p["achieved"], &p["status"]),
            (&json!(2), &json!("IN_PROGRESS")),
            "{b:?}: {p}"
        );

        // Bundles count from the end of their release year: the fixture's 2024 bundle.
        let v = call(&w.app, admin, "mutation { createTarget(title: \"묶음\", metric: CORE_BUNDLES_RELEASED, baselineOn: \"2023-01-01\", baselineValue: 0, targetValue: 1, dueOn: \"2025-12-31\") { id } }", json!({})).await;
        let bundles = v["data"]["createTarget"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p = progress(&w, &bundles, None).await;
        assert_eq!(
            (&p["achieved"], &p["status"], &p["metOn"]),
            (&json!(1), &json!("MET"), &json!("2024-12-31")),
            "{b:?}: {p}"
        );
        let p = progress(&w, &bundles, Some("2024-12-30")).await;
        assert_eq!(p["achieved"], 0, "{b:?}: {p}");

        // The list of targets answers the same figures, in one statement for all.
        let v = call(
            &w.app,
            None,
            "{ targets { id progress(asOf: \"2026-02-03\") { achieved } due: progress { achieved status } } }",
            json!({}),
        )
        .await;
        let list = v["data"]["targets"].as_array().unwrap();
        let of = |id: &str| list.iter().find(|t| t["id"] == id).unwrap().clone();
        assert_eq!(of(&met)["due"]["achieved"], 10, "{v}");
        assert_eq!(of(&met)["progress"]["achieved"], 12, "{v}");
        assert_eq!(of(&missed)["due"]["status"], "MISSED", "{v}");
        w.t.cleanup().await;
    }
}

/// The rows of the audit trail recording `action`.
async fn audited(w: &World, action: &str) -> i64 {
    common::count(
        &w.t.db,
        &format!(
            "SELECT COUNT(*) FROM outbox WHERE topic = 'audit' AND CAST(payload AS TEXT) LIKE '%\"{action}\"%'"
        ),
    )
    .await
}

#[tokio::test]
async fn admins_edit_and_delete_plans_commitments_targets_and_bundles() {
    for b in backends().await {
        let w = world(b, utc(2026, 11, 2, 0, 0)).await;
        let admin = Some(w.tokens["admin"].as_str());
        let run = async |q: &str, vars: Value| call(&w.app, admin, q, vars).await;
        let v = run("mutation { createPlan(kind: OGP_ACTION_PLAN, name: \"제6차 국가실행계획\", startsOn: \"2023-01-01\", endsOn: \"2025-12-31\") { id } }", json!({})).await;
        let plan = v["data"]["createPlan"]["id"].as_str().unwrap().to_string();
        let v = run("mutation($p: ID!) { createCommitment(planId: $p, code: \"KR0070\", title: \"비공개 데이터 개방\") { id } }", json!({ "p": plan })).await;
        let commitment = v["data"]["createCommitment"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        run(
            "mutation { createCommitment(code: \"KR0071\", title: \"다른 약속\") { id } }",
            json!({}),
        )
        .await;
        let v = run("mutation($c: ID!) { createMilestone(commitmentId: $c, title: \"목록 공개\", startsOn: \"2023-06-01\", continuesYearly: true) { id } }", json!({ "c": commitment })).await;
        let milestone = v["data"]["createMilestone"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let v = run("mutation($c: ID!) { createTarget(title: \"개방 목표\", metric: WITHHELD_OPENED, baselineOn: \"2025-01-01\", baselineValue: 13, targetValue: 4, dueOn: \"2025-12-31\", commitmentId: $c) { id } }", json!({ "c": commitment })).await;
        let target = v["data"]["createTarget"]["id"]
            .as_str()
            .unwrap()
            .to_string();

        // Plans: a bad edit changes nothing; a good one changes only what it names.
        let plan_q = "query($id: ID!) { node(id: $id) { ... on Plan { name nameEn startsOn endsOn kind } } }";
        let before = run(plan_q, json!({ "id": plan })).await;
        let v = run("mutation($id: ID!) { updatePlan(input: { id: $id, name: \"바뀐 이름\", endsOn: \"2022-12-31\" }) { name } }", json!({ "id": plan })).await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{b:?}: {v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("endsOn"),
            "{v}"
        );
        assert_eq!(
            run(plan_q, json!({ "id": plan })).await["data"],
            before["data"]
        );
        assert_eq!(audited(&w, "updatePlan").await, 0);
        let v = run("mutation($id: ID!) { updatePlan(input: { id: $id, name: \" 제6차 OGP 국가실행계획 \", nameEn: \"6th National Action Plan\", endsOn: \"2026-06-30\" }) { name nameEn startsOn endsOn kind } }", json!({ "id": plan })).await;
        assert_eq!(
            v["data"]["updatePlan"],
            json!({ "name": "제6차 OGP 국가실행계획", "nameEn": "6th National Action Plan", "startsOn": "2023-01-01", "endsOn": "2026-06-30", "kind": "OGP_ACTION_PLAN" }),
            "{b:?}: {v}"
        );
        assert_eq!(audited(&w, "updatePlan").await, 1);
        let v = run(
            "mutation($id: ID!) { updatePlan(input: { id: $id, nameEn: null }) { nameEn } }",
            json!({ "id": plan }),
        )
        .await;
        assert_eq!(v["data"]["updatePlan"]["nameEn"], Value::Null, "{v}");
        let v = run(
            "mutation($id: ID!) { updatePlan(input: { id: $id, name: \"x\" }) { name } }",
            json!({ "id": gid("Plan", 999) }),
        )
        .await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        // A plan with a commitment is not deleted.
        let v = run(
            "mutation($id: ID!) { deletePlan(id: $id) }",
            json!({ "id": plan }),
        )
        .await;
        assert_eq!(code(&v), Some("CONFLICT"), "{b:?}: {v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("1 commitment"),
            "{v}"
        );

        // Commitments: a taken code is a conflict and changes nothing; detaching from the plan.
        let c_q = "query($id: ID!) { node(id: $id) { ... on Commitment { code title plan { id } leadInstitution { code } } } }";
        let v = run("mutation($id: ID!) { updateCommitment(input: { id: $id, code: \"KR0071\", title: \"새 제목\" }) { code } }", json!({ "id": commitment })).await;
        assert_eq!(code(&v), Some("CONFLICT"), "{v}");
        let v = run(c_q, json!({ "id": commitment })).await;
        assert_eq!(v["data"]["node"]["title"], "비공개 데이터 개방", "{v}");
        let v = run("mutation($id: ID!) { updateCommitment(input: { id: $id, leadInstitutionCode: \"0000000\" }) { code } }", json!({ "id": commitment })).await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        let v = run("mutation($id: ID!) { updateCommitment(input: { id: $id, planId: null, leadInstitutionCode: \"1741000\", title: \"새 제목\" }) { code title plan { id } leadInstitution { code } } }", json!({ "id": commitment })).await;
        assert_eq!(
            v["data"]["updateCommitment"],
            json!({ "code": "KR0070", "title": "새 제목", "plan": null, "leadInstitution": { "code": "1741000" } }),
            "{b:?}: {v}"
        );
        // Now nothing hangs on the plan.
        let v = run(
            "mutation($id: ID!) { deletePlan(id: $id) }",
            json!({ "id": plan }),
        )
        .await;
        assert_eq!(v["data"]["deletePlan"], plan, "{b:?}: {v}");
        let v = run(plan_q, json!({ "id": plan })).await;
        assert_eq!(v["data"]["node"], Value::Null, "{v}");
        assert_eq!(audited(&w, "deletePlan").await, 1);
        let v = run(
            "mutation($id: ID!) { deletePlan(id: $id) }",
            json!({ "id": plan }),
        )
        .await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        // A commitment with a milestone and a target is not deleted, and says why.
        let v = run(
            "mutation($id: ID!) { deleteCommitment(id: $id) }",
            json!({ "id": commitment }),
        )
        .await;
        assert_eq!(code(&v), Some("CONFLICT"), "{v}");
        let msg = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            msg.contains("1 milestone") && msg.contains("1 target"),
            "{msg}"
        );

        // Targets: a bad edit changes nothing; the progress follows a good one.
        let t_q = "query($id: ID!) { node(id: $id) { ... on Target { title targetValue dueOn commitment { code } progress { achieved ratio status } } } }";
        let before = run(t_q, json!({ "id": target })).await;
        assert_eq!(
            before["data"]["node"]["progress"]["achieved"], 6,
            "{before}"
        );
        let v = run("mutation($id: ID!) { updateTarget(input: { id: $id, targetValue: 8, dueOn: \"2024-12-31\" }) { title } }", json!({ "id": target })).await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        let v = run(
            "mutation($id: ID!) { updateTarget(input: { id: $id, targetValue: 0 }) { title } }",
            json!({ "id": target }),
        )
        .await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        let v = run("mutation($id: ID!) { updateTarget(input: { id: $id, planId: \"UGxhbjo5OTk\" }) { title } }", json!({ "id": target })).await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        assert_eq!(
            run(t_q, json!({ "id": target })).await["data"],
            before["data"]
        );
        let v = run("mutation($id: ID!) { updateTarget(input: { id: $id, targetValue: 12, commitmentId: null }) { title targetValue dueOn commitment { code } progress { achieved ratio status } } }", json!({ "id": target })).await;
        assert_eq!(
            v["data"]["updateTarget"],
            json!({ "title": "개방 목표", "targetValue": 12, "dueOn": "2025-12-31", "commitment": null, "progress": { "achieved": 6, "ratio": 0.5, "status": "MISSED" } }),
            "{b:?}: {v}"
        );
        // Milestone and target gone, the commitment goes.
        let v = run(
            "mutation($id: ID!) { deleteMilestone(id: $id) }",
            json!({ "id": milestone }),
        )
        .await;
        assert_eq!(v["data"]["deleteMilestone"], milestone, "{v}");
        let v = run(
            "mutation($id: ID!) { deleteCommitment(id: $id) }",
            json!({ "id": commitment }),
        )
        .await;
        assert_eq!(v["data"]["deleteCommitment"], commitment, "{b:?}: {v}");
        let v = run(
            "mutation($id: ID!) { deleteTarget(id: $id) }",
            json!({ "id": target }),
        )
        .await;
        assert_eq!(v["data"]["deleteTarget"], target, "{v}");
        let v = run("{ targets { id } }", json!({})).await;
        assert_eq!(v["data"]["targets"], json!([]), "{v}");
        let v = run(
            "mutation($id: ID!) { deleteTarget(id: $id) }",
            json!({ "id": target }),
        )
        .await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        // A wrong kind of id is bad input, not a lookup.
        let v = run(
            "mutation($id: ID!) { deleteTarget(id: $id) }",
            json!({ "id": gid("Plan", 1) }),
        )
        .await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");

        // Bundles: the fixture's holds two datasets.
        let bundle = gid("CoreDataBundle", 1);
        let b_q = "query($id: ID!) { node(id: $id) { ... on CoreDataBundle { name nameEn round releaseYear leadInstitution { code } } } }";
        let before = run(b_q, json!({ "id": bundle })).await;
        let v = run("mutation($id: ID!) { updateCoreDataBundle(input: { id: $id, name: \"새 이름\", round: 9 }) { name } }", json!({ "id": bundle })).await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        let v = run("mutation($id: ID!) { updateCoreDataBundle(input: { id: $id, name: \"새 이름\", leadInstitutionCode: \"0000000\" }) { name } }", json!({ "id": bundle })).await;
        assert_eq!(code(&v), Some("NOT_FOUND"), "{v}");
        assert_eq!(
            run(b_q, json!({ "id": bundle })).await["data"],
            before["data"]
        );
        let v = run("mutation($id: ID!) { updateCoreDataBundle(input: { id: $id, name: \"대기질\", releaseYear: null, leadInstitutionCode: null }) { name nameEn round releaseYear leadInstitution { code } } }", json!({ "id": bundle })).await;
        assert_eq!(
            v["data"]["updateCoreDataBundle"],
            json!({ "name": "대기질", "nameEn": "Air quality", "round": 4, "releaseYear": null, "leadInstitution": null }),
            "{b:?}: {v}"
        );
        let v = run(
            "mutation($id: ID!) { deleteCoreDataBundle(id: $id) }",
            json!({ "id": bundle }),
        )
        .await;
        assert_eq!(code(&v), Some("CONFLICT"), "{v}");
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("2 dataset"),
            "{v}"
        );
        let v = run("mutation($id: ID!, $a: ID!, $b: ID!) { setBundleDatasets(bundleId: $id, remove: [$a, $b]) { id } }", json!({ "id": bundle, "a": gid("Dataset", 1), "b": gid("Dataset", 2) })).await;
        assert!(v["errors"].is_null(), "{v}");
        let v = run(
            "mutation($id: ID!) { deleteCoreDataBundle(id: $id) }",
            json!({ "id": bundle }),
        )
        .await;
        assert_eq!(v["data"]["deleteCoreDataBundle"], bundle, "{b:?}: {v}");
        let v = run("{ coreDataBundles(first: 10) { totalCount } }", json!({})).await;
        assert_eq!(v["data"]["coreDataBundles"]["totalCount"], 0, "{v}");

        // Every change is in the audit trail, with the admin as actor and no more.
        for action in [
            "updateCommitment",
            "deleteCommitment",
            "deleteMilestone",
            "updateTarget",
            "deleteTarget",
            "updateCoreDataBundle",
            "deleteCoreDataBundle",
        ] {
            assert_eq!(audited(&w, action).await, 1, "{b:?}: {action}");
        }
        w.t.cleanup().await;
    }
}
