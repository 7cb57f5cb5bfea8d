//! The review queue of open by default (`reviewQueue`, `Institution.reviewQueue`, `reviewDue`):
//! on the demo, held to a reference computed here from the tables (members by both reasons,
//! not-yet-due and open entries left out, the order, every page, the counts, each institution's
//! queue) on several days; and on the fixture, one entry followed through changes and the clock
//! (an entry joins the day after its review date). On every backend, with the errors bad
//! arguments give.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use common::api::{call, code};
use common::{backends, with_demo};
use entity::enums::WithholdingGround;
use inventory::clock::{ManualClock, seoul_date};
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// (dataset id, reasons, waiting since, institution id) as the reference computes them.
type Expected = (i64, Vec<&'static str>, NaiveDate, i64);

/// The queue on `today` computed from the tables, in queue order.
async fn reference(db: &DatabaseConnection, today: NaiveDate) -> Vec<Expected> {
    let backend = db.get_database_backend();
    // The day each dataset last became withheld or partially open, from its whole history.
    let events = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT dataset_id, from_status, to_status, occurred_at FROM disclosure_event ORDER BY occurred_at, id",
        ))
        .await
        .unwrap();
    let closed = |s: &Option<String>| {
        s.as_deref()
            .is_some_and(|s| s == "WITHHELD" || s == "PARTIALLY_OPEN")
    };
    let mut since: HashMap<i64, NaiveDate> = HashMap::new();
    for e in events {
        let id: i64 = e.try_get_by_index(0).unwrap();
        let from: Option<String> = e.try_get_by_index(1).unwrap();
        let to: Option<String> = e.try_get_by_index(2).unwrap();
        let at: DateTime<Utc> = e.try_get_by_index(3).unwrap();
        if closed(&to) && !closed(&from) {
            since.insert(id, seoul_date(at));
        }
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT d.id, d.institution_id, s.status, s.ground, s.next_review_on FROM dataset d JOIN disclosure s ON s.dataset_id = d.id",
        ))
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in rows {
        let id: i64 = r.try_get_by_index(0).unwrap();
        let inst: i64 = r.try_get_by_index(1).unwrap();
        let status: Option<String> = r.try_get_by_index(2).unwrap();
        let ground: Option<String> = r.try_get_by_index(3).unwrap();
        let review: Option<NaiveDate> = r.try_get_by_index(4).unwrap();
        if !closed(&status) {
            continue;
        }
        let no_basis = ground
            .and_then(|g| WithholdingGround::try_from_value(&g).ok())
            .is_some_and(|g| inventory::domain::labels::ground(g).legal_basis.is_none());
        let overdue = review.is_some_and(|d| d < today);
        let mut reasons = Vec::new();
        let mut waiting = NaiveDate::MAX;
        if no_basis {
            reasons.push("NO_LEGAL_BASIS");
            waiting = waiting.min(since[&id]);
        }
        if overdue {
            reasons.push("REVIEW_OVERDUE");
            waiting = waiting.min(review.unwrap());
        }
        if !reasons.is_empty() {
            out.push((id, reasons, waiting, inst));
        }
    }
    out.sort_by_key(|e| (e.2, e.0));
    out
}

fn item(n: &Value) -> (i64, Vec<String>, String) {
    let id = n["dataset"]["id"].as_str().unwrap();
    let (_, id) = inventory::graphql::ids::decode(id).unwrap();
    let reasons = n["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    (id, reasons, n["waitingSince"].as_str().unwrap().to_string())
}

fn expected(list: &[Expected]) -> Vec<(i64, Vec<String>, String)> {
    list.iter()
        .map(|(id, r, w, _)| {
            (
                *id,
                r.iter().map(|s| s.to_string()).collect(),
                w.to_string(),
            )
        })
        .collect()
}

const QUEUE: &str = r#"query($after: String, $code: String) {
  reviewQueue(first: 100, after: $after, institutionCode: $code) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    nodes { dataset { id disclosure { status } } reasons waitingSince withheldSince nextReviewOn }
  }
  stats { reviewDue }
}"#;

/// Every page of the queue (of an institution code, or all): the items, the total, and
/// `stats.reviewDue`.
async fn whole_queue(
    app: &axum::Router,
    code: Option<&str>,
) -> (Vec<(i64, Vec<String>, String)>, u64, u64) {
    let mut after: Option<String> = None;
    let mut items = Vec::new();
    loop {
        let v = call(app, None, QUEUE, json!({ "after": after, "code": code })).await;
        assert!(v["errors"].is_null(), "{v}");
        let q = &v["data"]["reviewQueue"];
        let total = q["totalCount"].as_u64().unwrap();
        let due = v["data"]["stats"]["reviewDue"].as_u64().unwrap();
        assert_eq!(q["pageInfo"]["hasPreviousPage"], after.is_some());
        for n in q["nodes"].as_array().unwrap() {
            let status = n["dataset"]["disclosure"]["status"].as_str().unwrap();
            assert!(
                status == "WITHHELD" || status == "PARTIALLY_OPEN",
                "{status} in the queue: {n}"
            );
            items.push(item(n));
        }
        if !q["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return (items, total, due);
        }
        after = Some(q["pageInfo"]["endCursor"].as_str().unwrap().to_string());
    }
}

/// On the demo, on a day when about half the review dates have passed and on later days: the
/// whole queue, paged, is the reference; the counts are its length; each institution's queue
/// and `reviewDue` are its part of it.
#[tokio::test]
async fn the_queue_is_the_reference_on_every_day() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let clock = Arc::new(ManualClock::new(inventory::demo::demo_now()));
        let app = common::app_without_rate_limit(&t.db, clock.clone());
        for day in ["2026-11-01", "2027-06-01", "2027-06-02", "2028-01-01"] {
            let today: NaiveDate = day.parse().unwrap();
            clock.set(inventory::clock::seoul_start(today) + chrono::Duration::hours(12));
            let want = reference(&t.db, today).await;
            let reasons = |r: &str| want.iter().filter(|e| e.1.contains(&r)).count();
            assert!(reasons("NO_LEGAL_BASIS") > 0, "{b:?} {day}");
            if day != "2026-11-01" {
                assert!(reasons("REVIEW_OVERDUE") > 0, "{b:?} {day}");
                // Entries with a legal basis whose review date is still ahead stay out.
                let ahead = common::count(
                    &t.db,
                    &format!(
                        "SELECT COUNT(*) FROM disclosure WHERE status IN ('WITHHELD', 'PARTIALLY_OPEN') AND next_review_on >= '{day}'"
                    ),
                )
                .await;
                assert!(ahead > 0 || day == "2028-01-01", "{b:?} {day}");
            }
            let (items, total, due) = whole_queue(&app, None).await;
            assert_eq!(items, expected(&want), "{b:?} {day}");
            assert_eq!(total as usize, want.len(), "{b:?} {day}");
            assert_eq!(due as usize, want.len(), "{b:?} {day}: stats.reviewDue");

            // Each institution's queue, and its record's count, for a page of institutions.
            let v = call(
                &app,
                None,
                "{ institutions(first: 100, orderBy: WITHHELD) { nodes { id code record { reviewDue } reviewQueue(first: 5) { totalCount nodes { dataset { id } reasons waitingSince } } } } }",
                json!({}),
            )
            .await;
            assert!(v["errors"].is_null(), "{v}");
            let mut seen = 0;
            for inst in v["data"]["institutions"]["nodes"].as_array().unwrap() {
                let (_, inst_id) =
                    inventory::graphql::ids::decode(inst["id"].as_str().unwrap()).unwrap();
                let mine: Vec<Expected> = want.iter().filter(|e| e.3 == inst_id).cloned().collect();
                let q = &inst["reviewQueue"];
                assert_eq!(q["totalCount"].as_u64().unwrap() as usize, mine.len());
                assert_eq!(
                    inst["record"]["reviewDue"].as_u64().unwrap() as usize,
                    mine.len()
                );
                let got: Vec<_> = q["nodes"].as_array().unwrap().iter().map(item).collect();
                let first5: Vec<Expected> = mine.iter().take(5).cloned().collect();
                assert_eq!(got, expected(&first5), "{b:?} {day} {}", inst["code"]);
                seen += mine.len();
            }
            assert!(seen > 0);
        }
        // An institution's code gives its queue at the top level too.
        let code = common::count(
            &t.db,
            "SELECT MIN(institution_id) FROM dataset d JOIN disclosure s ON s.dataset_id = d.id WHERE s.ground = 'PRACTICAL_NO_SYSTEM'",
        )
        .await;
        let code: String = {
            let r =
                t.db.query_one_raw(Statement::from_string(
                    t.db.get_database_backend(),
                    format!("SELECT code FROM institution WHERE id = {code}"),
                ))
                .await
                .unwrap()
                .unwrap();
            r.try_get_by_index(0).unwrap()
        };
        let inst_id = common::count(
            &t.db,
            &format!("SELECT id FROM institution WHERE code = '{code}'"),
        )
        .await;
        let today: NaiveDate = "2028-01-01".parse().unwrap();
        let want: Vec<Expected> = reference(&t.db, today)
            .await
            .into_iter()
            .filter(|e| e.3 == inst_id)
            .collect();
        let (items, total, _) = whole_queue(&app, Some(&code)).await;
        assert!(!want.is_empty());
        assert_eq!(items, expected(&want), "{b:?} {code}");
        assert_eq!(total as usize, want.len());
        t.cleanup().await;
    }
}

fn in_queue(v: &Value, id: &str) -> Option<Value> {
    v["data"]["reviewQueue"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .find(|n| n["dataset"]["id"] == id)
        .cloned()
}

const CHANGE: &str = r#"mutation($id: ID!, $v: Int!, $s: DisclosureStatus!, $g: WithholdingGround, $r: Date) {
  changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: $s, ground: $g, explanation: "검토", nextReviewOn: $r }) {
    disclosure { version }
  }
}"#;

/// One entry followed through changes and days: a legal ground with a review date ahead is
/// out; it joins the day after its review date (REVIEW_OVERDUE, waiting since that date); a
/// practical ground puts it in at once (NO_LEGAL_BASIS, waiting since it was withheld); opened,
/// it leaves. Bad cursors and unknown codes are BAD_USER_INPUT.
#[tokio::test]
async fn an_entry_joins_the_day_after_its_review_date() {
    for b in backends().await {
        let w = common::world::world(b, common::fixture::at(2026, 12, 1)).await;
        let app = &w.app;
        let officer = Some(w.tokens["officer"].as_str());
        // A 종로구 dataset that is open in the fixture.
        let id = common::count(
            &w.t.db,
            "SELECT MIN(d.id) FROM dataset d JOIN disclosure s ON s.dataset_id = d.id JOIN institution i ON i.id = d.institution_id WHERE i.code = '3010000' AND s.status = 'OPEN'",
        )
        .await;
        let gid = common::api::gid("Dataset", id);
        let q = "query($code: String) { reviewQueue(first: 100, institutionCode: $code) { totalCount nodes { dataset { id } reasons waitingSince withheldSince nextReviewOn } } institution(code: \"3010000\") { record { reviewDue } reviewQueue(first: 100) { totalCount } } }";
        let look = || async { call(app, None, q, json!({ "code": "3010000" })).await };
        let v = look().await;
        assert!(in_queue(&v, &gid).is_none(), "open: {v}");
        let base = v["data"]["reviewQueue"]["totalCount"].as_u64().unwrap();
        let version = |v: &Value| v["data"]["changeDisclosure"]["disclosure"]["version"].clone();

        // Withheld on 2026-12-01 (Seoul) under a legal ground, to be reviewed on 12-03.
        let version0 = common::count(
            &w.t.db,
            &format!("SELECT CAST(version AS BIGINT) FROM disclosure WHERE dataset_id = {id}"),
        )
        .await;
        let v = call(app, officer, CHANGE, json!({ "id": gid, "v": version0, "s": "WITHHELD", "g": "PERSONAL_INFORMATION", "r": "2026-12-03" })).await;
        assert!(v["errors"].is_null(), "{v}");
        let ver = version(&v);
        for (day, due) in [(1, false), (3, false), (4, true)] {
            w.clock
                .set(common::fixture::at(2026, 12, day) + chrono::Duration::hours(1));
            let v = look().await;
            let found = in_queue(&v, &gid);
            assert_eq!(found.is_some(), due, "{b:?} 12-{day}: {v}");
            let total = v["data"]["reviewQueue"]["totalCount"].as_u64().unwrap();
            assert_eq!(total, base + due as u64);
            assert_eq!(
                v["data"]["institution"]["record"]["reviewDue"].as_u64(),
                Some(total)
            );
            assert_eq!(
                v["data"]["institution"]["reviewQueue"]["totalCount"].as_u64(),
                Some(total)
            );
            if let Some(n) = found {
                assert_eq!(n["reasons"], json!(["REVIEW_OVERDUE"]));
                assert_eq!(n["waitingSince"], "2026-12-03");
                assert_eq!(n["nextReviewOn"], "2026-12-03");
                assert_eq!(n["withheldSince"], "2026-12-01");
            }
        }
        // A practical ground: in the queue for both reasons, waiting since it was withheld
        // (moving to partially open does not restart the wait).
        let v = call(app, officer, CHANGE, json!({ "id": gid, "v": ver, "s": "PARTIALLY_OPEN", "g": "PRACTICAL_NO_SYSTEM", "r": "2026-12-03" })).await;
        assert!(v["errors"].is_null(), "{v}");
        let ver = version(&v);
        let n = in_queue(&look().await, &gid).expect("in the queue");
        assert_eq!(n["reasons"], json!(["NO_LEGAL_BASIS", "REVIEW_OVERDUE"]));
        assert_eq!(n["waitingSince"], "2026-12-01");
        // Without a review date it stays for its ground alone.
        let v = call(
            app,
            officer,
            CHANGE,
            json!({ "id": gid, "v": ver, "s": "WITHHELD", "g": "PRACTICAL_NO_SYSTEM", "r": null }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        let ver = version(&v);
        let n = in_queue(&look().await, &gid).expect("in the queue");
        assert_eq!(n["reasons"], json!(["NO_LEGAL_BASIS"]));
        assert_eq!(n["waitingSince"], "2026-12-01");
        assert_eq!(n["nextReviewOn"], Value::Null);
        // Opened, it leaves; withheld again, it waits since that day.
        let v = call(
            app,
            officer,
            CHANGE,
            json!({ "id": gid, "v": ver, "s": "OPEN", "g": null, "r": null }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        let ver = version(&v);
        let v = look().await;
        assert!(in_queue(&v, &gid).is_none(), "{v}");
        assert_eq!(v["data"]["reviewQueue"]["totalCount"].as_u64(), Some(base));
        w.clock.set(common::fixture::at(2026, 12, 9));
        let v = call(app, officer, CHANGE, json!({ "id": gid, "v": ver, "s": "WITHHELD", "g": "PRACTICAL_DATA_QUALITY", "r": null })).await;
        assert!(v["errors"].is_null(), "{v}");
        let n = in_queue(&look().await, &gid).expect("in the queue");
        assert_eq!(n["waitingSince"], "2026-12-09");

        // Bad arguments.
        for (q, vars) in [
            (
                "query($a: String) { reviewQueue(after: $a) { totalCount } }",
                json!({ "a": "garbage" }),
            ),
            (
                "query($a: String) { reviewQueue(after: $a) { totalCount } }",
                json!({ "a": common::api::gid("Dataset", id) }),
            ),
            (
                "query($a: String) { institution(code: \"3010000\") { reviewQueue(after: $a) { totalCount } } }",
                json!({ "a": "eyJvIjoiaWQiLCJrIjpudWxsLCJpZCI6MX0" }),
            ),
            (
                "{ reviewQueue(institutionCode: \"9999999\") { totalCount } }",
                json!({}),
            ),
            ("{ reviewQueue(first: 101) { totalCount } }", json!({})),
        ] {
            let v = call(app, None, q, vars).await;
            assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{q}: {v}");
        }
        // A dataset list's cursor is not one of the queue.
        let v = call(
            app,
            None,
            "{ datasets(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
        let c = v["data"]["datasets"]["pageInfo"]["endCursor"].clone();
        let v = call(
            app,
            None,
            "query($a: String) { reviewQueue(after: $a) { totalCount } }",
            json!({ "a": c }),
        )
        .await;
        assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{v}");
        w.t.cleanup().await;
    }
}
