//! The catalog as of a day (`datasets(asOf:)`, `Dataset.stateAsOf`) and what changed between
//! two days (`catalogChanges`), on every backend: a history made with real mutations across the
//! Seoul day boundary (23:30 and 00:30 Seoul time fall on different days), and the demo, both
//! held to a recount done here from the `disclosure_event` table (each dataset's last event
//! before the end of the day); and the errors bad days give.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::api::{call, code, gid};
use common::{backends, with_demo};
use inventory::clock::ManualClock;
use inventory::domain::as_of::{State, bucket, end_of};
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Every dataset's state at the end of `d`, by folding the whole history in order.
async fn reference(db: &DatabaseConnection, d: NaiveDate) -> BTreeMap<i64, State> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT dataset_id, to_status, ground, listed, occurred_at FROM disclosure_event ORDER BY occurred_at, id",
        ))
        .await
        .unwrap();
    let end = end_of(d);
    let mut out = BTreeMap::new();
    for r in rows {
        let at: DateTime<Utc> = r.try_get_by_index(4).unwrap();
        if at >= end {
            continue;
        }
        let id: i64 = r.try_get_by_index(0).unwrap();
        let status: String = r.try_get_by_index(1).unwrap();
        let ground: Option<String> = r.try_get_by_index(2).unwrap();
        let listed: bool = r.try_get_by_index(3).unwrap();
        out.insert(
            id,
            State {
                status: ActiveEnum::try_from_value(&status).unwrap(),
                ground: ground.map(|g| ActiveEnum::try_from_value(&g).unwrap()),
                listed,
            },
        );
    }
    out
}

/// The API name of a stored value (`PARTIALLY_OPEN`, `BUSINESS_SECRET`).
fn api_status(s: entity::enums::DisclosureStatus) -> String {
    s.to_value()
}

fn api_ground(g: entity::enums::WithholdingGround) -> String {
    inventory::graphql::types::enums::api_name(
        inventory::graphql::types::enums::WithholdingGround::from(g),
    )
}

/// Counts per value, most first then by value, as facets list them.
fn facet(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<_> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// A facet's counts, in the order [`facet`] gives (ties in the API are by stored value).
fn got_facet(v: &Value) -> Vec<(String, u64)> {
    facet(
        v.as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["value"].as_str().unwrap().to_string(),
                    f["count"].as_u64().unwrap(),
                )
            })
            .collect(),
    )
}

const LIST: &str = r#"query($d: Date, $f: DatasetFilter, $q: String, $after: String) {
  datasets(asOf: $d, filter: $f, search: $q, first: 100, after: $after, orderBy: ID) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id stateAsOf { day status ground listed } }
  }
  facets: datasets(asOf: $d, filter: $f, search: $q, first: 1) {
    facets { status { value count } ground { value count } }
  }
}"#;

/// The whole list as of `d` (every page): total, status and ground facets, and each item's
/// state, by dataset id.
async fn whole_list(
    app: &axum::Router,
    d: NaiveDate,
    filter: Value,
) -> (
    u64,
    Vec<(String, u64)>,
    Vec<(String, u64)>,
    BTreeMap<i64, Value>,
) {
    let mut after: Option<String> = None;
    let mut items = BTreeMap::new();
    loop {
        let v = call(
            app,
            None,
            LIST,
            json!({ "d": d.to_string(), "f": filter, "after": after }),
        )
        .await;
        assert!(v["errors"].is_null(), "{d}: {v}");
        let l = &v["data"]["datasets"];
        for n in l["nodes"].as_array().unwrap() {
            let (_, id) = inventory::graphql::ids::decode(n["id"].as_str().unwrap()).unwrap();
            assert_eq!(n["stateAsOf"]["day"], d.to_string());
            items.insert(id, n["stateAsOf"].clone());
        }
        if !l["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return (
                l["totalCount"].as_u64().unwrap(),
                got_facet(&v["data"]["facets"]["facets"]["status"]),
                got_facet(&v["data"]["facets"]["facets"]["ground"]),
                items,
            );
        }
        after = Some(l["pageInfo"]["endCursor"].as_str().unwrap().to_string());
    }
}

/// The total of the list as of `d` with `filter`.
async fn total(app: &axum::Router, d: NaiveDate, filter: Value) -> u64 {
    let v = call(
        app,
        None,
        "query($d: Date, $f: DatasetFilter) { datasets(asOf: $d, filter: $f) { totalCount } }",
        json!({ "d": d.to_string(), "f": filter }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    v["data"]["datasets"]["totalCount"].as_u64().unwrap()
}

fn state_json(s: &State, d: NaiveDate) -> Value {
    json!({
        "day": d.to_string(),
        "status": api_status(s.status),
        "ground": s.ground.map(api_ground),
        "listed": s.listed,
    })
}

/// The list as of `d` (all, and listed only) agrees with the reference: every item and its
/// state, the total and the status and ground facets.
async fn check_day(app: &axum::Router, db: &DatabaseConnection, d: NaiveDate) -> usize {
    let want = reference(db, d).await;
    let (all, status, ground, items) = whole_list(app, d, json!(null)).await;
    assert_eq!(all as usize, want.len(), "{d}");
    let want_items: BTreeMap<i64, Value> =
        want.iter().map(|(id, s)| (*id, state_json(s, d))).collect();
    assert_eq!(items, want_items, "{d}");
    let mut by_status = HashMap::new();
    let mut by_ground = HashMap::new();
    for s in want.values() {
        *by_status.entry(api_status(s.status)).or_insert(0) += 1;
        if let Some(g) = s.ground {
            *by_ground.entry(api_ground(g)).or_insert(0) += 1;
        }
    }
    assert_eq!(status, facet(by_status), "{d}");
    assert_eq!(ground, facet(by_ground), "{d}");
    // The listed filter refers to that day's listing; the status filter to that day's status.
    let (listed, withheld) = (
        total(app, d, json!({ "listed": true })).await,
        total(app, d, json!({ "status": ["WITHHELD"] })).await,
    );
    assert_eq!(
        listed as usize,
        want.values().filter(|s| s.listed).count(),
        "{d}"
    );
    assert_eq!(
        withheld as usize,
        want.values()
            .filter(|s| s.status == entity::enums::DisclosureStatus::Withheld)
            .count(),
        "{d}"
    );
    want.len()
}

const CHANGES: &str = r#"query($from: Date!, $to: Date!) {
  catalogChanges(from: $from, to: $to) {
    from to
    totals { opened newlyWithheld groundChanged listed delisted total }
    byInstitution(first: 100) { institution { id code } changes { opened newlyWithheld groundChanged listed delisted total } }
    byCategory { category changes { total } }
  }
}"#;

fn counts_json(c: &[u64; 5]) -> Value {
    json!({
        "opened": c[0], "newlyWithheld": c[1], "groundChanged": c[2], "listed": c[3],
        "delisted": c[4], "total": c.iter().sum::<u64>(),
    })
}

/// `catalogChanges(from, to)` agrees with the buckets of the reference states, in total and
/// per institution; returns the totals.
async fn check_changes(
    app: &axum::Router,
    db: &DatabaseConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Value {
    let (before, after) = (reference(db, from).await, reference(db, to).await);
    let inst_of: HashMap<i64, i64> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, institution_id FROM dataset",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.try_get_by_index(0).unwrap(),
                r.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    let mut totals = [0u64; 5];
    let mut per_inst: HashMap<i64, [u64; 5]> = HashMap::new();
    for (id, a) in &after {
        if let Some(b) = bucket(before.get(id).copied(), Some(*a)) {
            totals[b as usize] += 1;
            per_inst.entry(inst_of[id]).or_default()[b as usize] += 1;
        }
    }
    let v = call(
        app,
        None,
        CHANGES,
        json!({ "from": from.to_string(), "to": to.to_string() }),
    )
    .await;
    assert!(v["errors"].is_null(), "{v}");
    let c = &v["data"]["catalogChanges"];
    assert_eq!(c["totals"], counts_json(&totals), "{from}..{to}");
    let mut got = HashMap::new();
    let mut last = u64::MAX;
    for n in c["byInstitution"].as_array().unwrap() {
        let (_, inst) =
            inventory::graphql::ids::decode(n["institution"]["id"].as_str().unwrap()).unwrap();
        let t = n["changes"]["total"].as_u64().unwrap();
        assert!(t <= last, "most changes first: {c}");
        last = t;
        got.insert(inst, n["changes"].clone());
    }
    if per_inst.len() <= 100 {
        let want: HashMap<i64, Value> =
            per_inst.iter().map(|(i, c)| (*i, counts_json(c))).collect();
        assert_eq!(got, want, "{from}..{to}");
    }
    let by_category: u64 = c["byCategory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["changes"]["total"].as_u64().unwrap())
        .sum();
    assert_eq!(by_category, totals.iter().sum::<u64>());
    c["totals"].clone()
}

/// An entry's state in the whole list as of `d`; none when it is not in it.
async fn at(app: &axum::Router, d: &str, id: i64) -> Option<Value> {
    let (_, _, _, items) = whole_list(app, day(d), json!(null)).await;
    items.get(&id).cloned()
}

fn seoul(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

const CHANGE: &str = r#"mutation($id: ID!, $v: Int!, $s: DisclosureStatus!, $g: WithholdingGround) {
  changeDisclosure(input: { datasetId: $id, expectedVersion: $v, status: $s, ground: $g, explanation: "검토" }) {
    disclosure { version }
  }
}"#;

/// One entry changed at 23:30 and again at 00:30 Seoul time, then delisted, and a new entry
/// registered: each day's list shows the state that day had, the recount agrees, and
/// `catalogChanges` puts each entry in its bucket. A search works with `asOf`; bad days are
/// BAD_USER_INPUT.
#[tokio::test]
async fn the_list_as_of_a_day_follows_the_history_across_midnight_in_seoul() {
    for b in backends().await {
        let w = common::world::world(b, seoul(2026, 12, 1, 9, 0)).await;
        let (app, db) = (&w.app, &w.t.db);
        let officer = Some(w.tokens["officer"].as_str());
        let id = common::count(
            db,
            "SELECT MIN(d.id) FROM dataset d JOIN disclosure s ON s.dataset_id = d.id JOIN institution i ON i.id = d.institution_id WHERE i.code = '3010000' AND s.status = 'OPEN'",
        )
        .await;
        let g = gid("Dataset", id);
        let version0 = common::count(
            db,
            &format!("SELECT CAST(version AS BIGINT) FROM disclosure WHERE dataset_id = {id}"),
        )
        .await;
        let ver = |v: &Value| v["data"]["changeDisclosure"]["disclosure"]["version"].clone();

        // 23:30 on 12-01 in Seoul: withheld.
        w.clock.set(seoul(2026, 12, 1, 23, 30));
        let v = call(
            app,
            officer,
            CHANGE,
            json!({ "id": g, "v": version0, "s": "WITHHELD", "g": "PERSONAL_INFORMATION" }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        // 00:30 on 12-02: partially open on another ground.
        w.clock.set(seoul(2026, 12, 2, 0, 30));
        let v = call(
            app,
            officer,
            CHANGE,
            json!({ "id": g, "v": ver(&v), "s": "PARTIALLY_OPEN", "g": "BUSINESS_SECRET" }),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        // 12-03: delisted, and a new entry registered (open).
        w.clock.set(seoul(2026, 12, 3, 10, 0));
        let v = call(
            app,
            officer,
            "mutation($id: ID!) { updateDataset(input: { datasetId: $id, listed: false }) { listed } }",
            json!({ "id": g }),
        )
        .await;
        assert_eq!(v["data"]["updateDataset"]["listed"], false, "{v}");
        let v = call(
            app,
            officer,
            "mutation { registerDataset(input: { institutionCode: \"3010000\", title: \"종로구 공영주차장 현황\", category: TRANSPORT_LOGISTICS, type: FILE }) { id } }",
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        let new_gid = v["data"]["registerDataset"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, new_id) = inventory::graphql::ids::decode(&new_gid).unwrap();
        w.clock.set(seoul(2026, 12, 5, 12, 0));

        // Each day, and a day before any history: the whole list against the recount.
        assert_eq!(check_day(app, db, day("2019-12-31")).await, 0);
        for d in [
            "2026-11-30",
            "2026-12-01",
            "2026-12-02",
            "2026-12-03",
            "2026-12-05",
        ] {
            assert!(check_day(app, db, day(d)).await > 0);
        }
        let s = |d: &str, status: &str, ground: Value, listed: bool| {
            Some(json!({ "day": d, "status": status, "ground": ground, "listed": listed }))
        };
        assert_eq!(
            at(app, "2026-11-30", id).await,
            s("2026-11-30", "OPEN", Value::Null, true)
        );
        assert_eq!(
            at(app, "2026-12-01", id).await,
            s(
                "2026-12-01",
                "WITHHELD",
                json!("PERSONAL_INFORMATION"),
                true
            )
        );
        assert_eq!(
            at(app, "2026-12-02", id).await,
            s(
                "2026-12-02",
                "PARTIALLY_OPEN",
                json!("BUSINESS_SECRET"),
                true
            )
        );
        assert_eq!(
            at(app, "2026-12-03", id).await,
            s(
                "2026-12-03",
                "PARTIALLY_OPEN",
                json!("BUSINESS_SECRET"),
                false
            )
        );
        assert_eq!(at(app, "2026-12-02", new_id).await, None);
        assert_eq!(
            at(app, "2026-12-03", new_id).await,
            s("2026-12-03", "OPEN", Value::Null, true)
        );

        // Today's fields stay today's; the state is that day's. A search works on the past
        // list, status filters and all.
        let v = call(
            app,
            None,
            "{ datasets(asOf: \"2026-12-01\", search: \"종로구\", filter: { status: [WITHHELD] }) { totalCount nodes { id listed disclosure { status } stateAsOf { status } } } plain: datasets(search: \"종로구\", filter: { status: [WITHHELD] }) { totalCount nodes { id stateAsOf { status } } } }",
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        let nodes = v["data"]["datasets"]["nodes"].as_array().unwrap();
        let mine = nodes
            .iter()
            .find(|n| n["id"] == g)
            .expect("found by search");
        assert_eq!(mine["stateAsOf"]["status"], "WITHHELD");
        assert_eq!(mine["disclosure"]["status"], "PARTIALLY_OPEN");
        assert_eq!(mine["listed"], false);
        assert!(
            !v["data"]["plain"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["id"] == g),
            "today it is partially open: {v}"
        );
        assert!(
            v["data"]["plain"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["stateAsOf"].is_null())
        );

        // What changed: each entry in one bucket.
        let t = check_changes(app, db, day("2026-11-30"), day("2026-12-03")).await;
        assert_eq!(
            t,
            json!({ "opened": 0, "newlyWithheld": 1, "groundChanged": 0, "listed": 1, "delisted": 0, "total": 2 })
        );
        let t = check_changes(app, db, day("2026-12-01"), day("2026-12-02")).await;
        assert_eq!(
            t,
            json!({ "opened": 0, "newlyWithheld": 0, "groundChanged": 1, "listed": 0, "delisted": 0, "total": 1 })
        );
        let t = check_changes(app, db, day("2026-12-02"), day("2026-12-05")).await;
        assert_eq!(
            t,
            json!({ "opened": 0, "newlyWithheld": 0, "groundChanged": 0, "listed": 1, "delisted": 1, "total": 2 })
        );
        let t = check_changes(app, db, day("2026-12-02"), day("2026-12-02")).await;
        assert_eq!(t["total"], 0);
        // The fixture's openings of 2025.
        let t = check_changes(app, db, day("2024-12-31"), day("2025-12-31")).await;
        assert!(t["opened"].as_u64().unwrap() > 0, "{t}");

        // Bad days.
        for (q, why) in [
            (
                "{ datasets(asOf: \"2026-12-06\") { totalCount } }",
                "future asOf",
            ),
            (
                "{ catalogChanges(from: \"2026-12-02\", to: \"2026-12-01\") { totals { total } } }",
                "from after to",
            ),
            (
                "{ catalogChanges(from: \"2026-12-01\", to: \"2026-12-06\") { totals { total } } }",
                "future to",
            ),
            (
                "{ datasets(asOf: \"2026-13-01\") { totalCount } }",
                "not a date",
            ),
        ] {
            let v = call(app, None, q, json!({})).await;
            assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{why}: {v}");
        }
        let v = call(
            app,
            None,
            "{ datasets(asOf: \"2026-12-06\") { totalCount } }",
            json!({}),
        )
        .await;
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("after today"),
            "{v}"
        );
        // Today is fine: today's states.
        let v = call(
            app,
            None,
            "{ a: datasets(asOf: \"2026-12-05\") { totalCount } b: datasets { totalCount } }",
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{v}");
        assert_eq!(v["data"]["a"]["totalCount"], v["data"]["b"]["totalCount"]);
        w.t.cleanup().await;
    }
}

/// On the demo (years of history), the list as of several days and the changes between them
/// agree with the recount.
#[tokio::test]
async fn the_demo_as_of_past_days_is_the_recount() {
    for b in backends().await {
        let t = with_demo(b, 0.01).await;
        let clock = Arc::new(ManualClock::new(inventory::demo::demo_now()));
        let app = common::app_without_rate_limit(&t.db, clock);
        let mut sizes = Vec::new();
        for d in ["2020-01-01", "2023-01-01", "2025-06-30"] {
            sizes.push(check_day(&app, &t.db, day(d)).await);
        }
        assert!(sizes[0] < sizes[2], "the inventory grew: {sizes:?}");
        let t1 = check_changes(&app, &t.db, day("2023-01-01"), day("2025-06-30")).await;
        assert!(t1["opened"].as_u64().unwrap() > 0, "{t1}");
        check_changes(&app, &t.db, day("2015-01-01"), day("2026-10-31")).await;
        t.cleanup().await;
    }
}
