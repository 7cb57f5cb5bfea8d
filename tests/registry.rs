//! Registry upkeep through the API on every backend: registering and updating datasets,
//! optimistic concurrency of disclosure changes, and an institution's grounds.

mod common;

use common::api::{call, code, gid};
use common::world::world;
use common::{Backend, backends};
use serde_json::json;

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
        // The same change again changes nothing: refused, no event, same version. A new
        // explanation is a change.
        let v = call(
            &w.app,
            None,
            "query($id: ID!) { dataset(id: $id) { disclosure { explanation } } }",
            json!({ "id": gid("Dataset", 4) }),
        )
        .await;
        let winner = v["data"]["dataset"]["disclosure"]["explanation"]
            .as_str()
            .unwrap()
            .to_string();
        let v = call(
            &w.app,
            Some(&officer),
            q,
            json!({ "id": gid("Dataset", 4), "v": 2, "e": winner }),
        )
        .await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{b:?}: {v}");
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("nothing to change") && message.contains("WITHHELD"),
            "{message}"
        );
        assert_eq!(
            common::count(
                &w.t.db,
                "SELECT COUNT(*) FROM disclosure_event WHERE dataset_id = 4"
            )
            .await,
            2
        );
        let v = call(
            &w.app,
            Some(&officer),
            q,
            json!({ "id": gid("Dataset", 4), "v": 2, "e": "reviewed again" }),
        )
        .await;
        assert_eq!(
            v["data"]["changeDisclosure"]["disclosure"]["version"], 3,
            "{v}"
        );
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

/// An officer's delisting and relisting through the API: each is a history event (status kept,
/// the officer as actor) counted by the version, a change in the feed, and in the catalog's
/// figures at once; saying the same listing again records nothing. `inventory check` holds.
#[tokio::test]
async fn an_officers_delisting_is_in_the_history_the_feed_and_the_catalog() {
    for b in backends().await {
        let w = world(b, common::fixture::at(2026, 11, 2)).await;
        let officer = Some(w.tokens["officer"].as_str());
        let v = call(&w.app, officer, "mutation { registerDataset(input: { institutionCode: \"3010000\", title: \"주정차 단속 통계\", description: \"월별\", category: TRANSPORT_LOGISTICS, type: FILE }) { id } }", json!({})).await;
        let id = v["data"]["registerDataset"]["id"].clone();
        assert!(id.is_string(), "{v}");
        let unlisted = "{ datasets(filter: { listed: false }) { totalCount } }";
        let before =
            call(&w.app, None, unlisted, json!({})).await["data"]["datasets"]["totalCount"]
                .as_i64()
                .unwrap();
        let set = "mutation($id: ID!, $l: Boolean) { updateDataset(input: { datasetId: $id, listed: $l }) { listed disclosure { version } history { fromStatus toStatus fromListed listed actor } } }";
        let v = call(&w.app, officer, set, json!({ "id": id, "l": false })).await;
        let d = &v["data"]["updateDataset"];
        assert_eq!(d["listed"], false, "{b:?} {v}");
        assert_eq!(d["disclosure"]["version"], 2, "{b:?} {v}");
        let last = &d["history"][1];
        assert_eq!(
            (
                &last["fromStatus"],
                &last["toStatus"],
                &last["fromListed"],
                &last["listed"]
            ),
            (&json!("OPEN"), &json!("OPEN"), &json!(true), &json!(false)),
            "{b:?} {v}"
        );
        assert!(
            last["actor"].as_str().unwrap().starts_with("officer:"),
            "{b:?} {v}"
        );
        let after = call(&w.app, None, unlisted, json!({})).await["data"]["datasets"]["totalCount"]
            .as_i64()
            .unwrap();
        assert_eq!(after, before + 1, "{b:?}");
        let v = call(&w.app, None, "{ disclosureChanges(first: 1000) { changes { datasetId fromStatus toStatus fromListed listed } } }", json!({})).await;
        let changes = v["data"]["disclosureChanges"]["changes"]
            .as_array()
            .unwrap();
        assert_eq!(
            changes.last().unwrap(),
            &json!({ "datasetId": id, "fromStatus": "OPEN", "toStatus": "OPEN", "fromListed": true, "listed": false }),
            "{b:?}"
        );

        // The same listing again changes nothing; listing it again is recorded.
        let v = call(&w.app, officer, set, json!({ "id": id, "l": false })).await;
        assert_eq!(
            v["data"]["updateDataset"]["disclosure"]["version"], 2,
            "{b:?} {v}"
        );
        let v = call(&w.app, officer, set, json!({ "id": id, "l": true })).await;
        let d = &v["data"]["updateDataset"];
        assert_eq!(
            (&d["listed"], &d["disclosure"]["version"]),
            (&json!(true), &json!(3)),
            "{b:?} {v}"
        );
        assert_eq!(d["history"][2]["fromListed"], false, "{b:?} {v}");
        // The fixture itself breaks two rules (its versions start at 1 whatever its history, and
        // its PROVIDED request left the dataset withheld); the listing's rules hold.
        let r = inventory::check::check(&w.t.db).await.unwrap();
        for rule in [
            inventory::check::rules::LISTING_IS_LAST_EVENT,
            inventory::check::rules::DISCLOSURE_IS_LAST_EVENT,
            inventory::check::rules::HISTORY_CHAIN,
            inventory::check::rules::CATALOG_FIGURES,
        ] {
            assert!(r.violation(rule).is_none(), "{b:?}: {r}");
        }
        let versions = r
            .violation(inventory::check::rules::VERSION_COUNTS_EVENTS)
            .map(|v| v.examples.join("\n"))
            .unwrap_or_default();
        let ours = inventory::graphql::ids::decode_as(
            id.as_str().unwrap(),
            inventory::graphql::ids::NodeKind::Dataset,
        )
        .unwrap();
        assert!(
            !versions.contains(&format!("dataset {ours}:")),
            "{b:?}: {r}"
        );

        // An admin's "no parent" is confirmed, so imports leave it alone.
        let v = call(&w.app, Some(&w.tokens["admin"]), "mutation { upsertInstitution(input: { code: \"3010000\", name: \"서울특별시 종로구\", parentConfirmed: true }) { parentConfirmed parent { code } } }", json!({})).await;
        assert_eq!(
            v["data"]["upsertInstitution"],
            json!({ "parentConfirmed": true, "parent": null }),
            "{b:?} {v}"
        );
        w.t.cleanup().await;
    }
}
