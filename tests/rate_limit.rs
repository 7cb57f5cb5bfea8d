//! The rate limit on real servers, on both databases: requests spend their cost from the
//! caller's budget (a heavy one more than a light one), the figures are in every answer's
//! `extensions.rateLimit` and in the `rateLimit` field, over budget is `429` with `Retry-After`
//! and `RATE_LIMITED`, tokens have a budget of their own, `off` counts nothing, and two
//! instances on one PostgreSQL database share one budget.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Backend, api, backends};
use inventory::rate_limit::Settings;
use serde_json::{Value, json};

/// Waits, when needed, so that at least `need` of the current minute is left: the budget is per
/// minute, and a test must not see it come back half-way.
async fn with_time_left(need: Duration) {
    let now = chrono::Utc::now();
    let into = Duration::from_millis((now.timestamp_millis().rem_euclid(60_000)) as u64);
    if Duration::from_secs(60) - into < need {
        tokio::time::sleep(Duration::from_secs(60) - into + Duration::from_millis(200)).await;
    }
}

fn state(
    db: &sea_orm::DatabaseConnection,
    rate_limit: Settings,
    url: Option<&str>,
) -> inventory::AppState {
    let config = inventory::config::Config {
        rate_limit,
        database_url: url.map(str::to_string),
        ..Default::default()
    };
    inventory::AppState::with_config(db.clone(), Arc::new(inventory::clock::SystemClock), config)
}

/// A request costing `n` (at most 101, or a multiple of 100): pages counting one field per item.
fn costing(n: u32) -> String {
    if n <= 101 {
        return format!("{{ datasets(first: {}) {{ totalCount }} }}", n - 1);
    }
    assert_eq!(n % 100, 0);
    let pages: String = (0..n / 100)
        .map(|k| format!("p{k}: datasets(first: 99) {{ totalCount }} "))
        .collect();
    format!("{{ {pages} }}")
}

fn remaining(v: &Value) -> i64 {
    v["extensions"]["rateLimit"]["remaining"]
        .as_i64()
        .unwrap_or_else(|| panic!("no rateLimit: {v}"))
}

#[tokio::test]
async fn requests_spend_their_cost_and_over_budget_is_429() {
    with_time_left(Duration::from_secs(20)).await;
    for b in backends().await {
        let t = common::fresh(b).await;
        let budget = Settings {
            enabled: true,
            anonymous: 100,
            token: 1_000,
        };
        let (addr, stop) = common::serve(state(&t.db, budget, None)).await;

        let (status, _, v) = api::post_http(addr, &[], "{ __typename }", json!({})).await;
        assert_eq!(status, 200, "{b:?}: {v}");
        let rl = &v["extensions"]["rateLimit"];
        assert_eq!(
            (rl["cost"].as_i64(), rl["limit"].as_i64()),
            (Some(1), Some(100)),
            "{v}"
        );
        assert_eq!(remaining(&v), 99);
        let reset = chrono::DateTime::parse_from_rfc3339(rl["resetAt"].as_str().unwrap()).unwrap();
        let left = reset.with_timezone(&chrono::Utc) - chrono::Utc::now();
        assert!(
            left > chrono::Duration::zero() && left <= chrono::Duration::seconds(60),
            "{v}"
        );

        // The field gives the same figures as the extension: 1 + its four fields.
        let (_, _, v) = api::post_http(
            addr,
            &[],
            "{ rateLimit { cost limit remaining resetAt } }",
            json!({}),
        )
        .await;
        assert_eq!(v["data"]["rateLimit"], v["extensions"]["rateLimit"], "{v}");
        assert_eq!(v["data"]["rateLimit"]["cost"], 5);
        assert_eq!(remaining(&v), 94);

        // A heavy request spends more than a light one.
        let (_, _, v) = api::post_http(addr, &[], &costing(50), json!({})).await;
        assert_eq!(v["extensions"]["rateLimit"]["cost"], 50, "{v}");
        assert_eq!(remaining(&v), 44);
        let (status, headers, v) = api::post_http(addr, &[], &costing(50), json!({})).await;
        assert_eq!(status, 429, "{b:?}: {v}");
        assert_eq!(api::code(&v), Some("RATE_LIMITED"), "{v}");
        assert!(v.get("data").is_none(), "nothing ran: {v}");
        let m = v["errors"][0]["message"].as_str().unwrap();
        assert!(
            m.starts_with(
                "over the rate limit of 100 points a minute: this request costs 50 and 44 remain until "
            ),
            "{m}"
        );
        assert_eq!(remaining(&v), 44, "a refusal costs nothing");
        let retry: u64 = api::header(&headers, "retry-after")
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        // The same refusal under the GraphQL-over-HTTP media type.
        let (status, _, _) = api::post_http(
            addr,
            &[("accept", "application/graphql-response+json")],
            &costing(50),
            json!({}),
        )
        .await;
        assert_eq!(status, 429);
        // What still fits goes through.
        let (status, _, v) = api::post_http(addr, &[], &costing(44), json!({})).await;
        assert_eq!((status, remaining(&v)), (200, 0), "{v}");
        let (status, _, _) = api::post_http(addr, &[], "{ __typename }", json!({})).await;
        assert_eq!(status, 429);

        // A token's account has a budget of its own, a larger one.
        let token = signed_up(&t.db).await;
        let bearer = format!("Bearer {token}");
        let (status, _, v) = api::post_http(
            addr,
            &[("authorization", &bearer)],
            &costing(500),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            (
                v["extensions"]["rateLimit"]["limit"].as_i64(),
                remaining(&v)
            ),
            (Some(1_000), 500)
        );
        let _ = stop.send(());
        t.cleanup().await;
    }
}

/// A citizen's token, made directly in the database.
async fn signed_up(db: &sea_orm::DatabaseConnection) -> String {
    inventory::auth::create_account(
        db,
        "citizen",
        None,
        entity::enums::Role::Citizen,
        None,
        "t",
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .1
}

#[tokio::test]
async fn off_counts_nothing() {
    let t = common::fresh(Backend::Sqlite).await;
    let off = Settings {
        enabled: false,
        anonymous: 1,
        token: 1,
    };
    let (addr, stop) = common::serve(state(&t.db, off, None)).await;
    for _ in 0..3 {
        let (status, _, v) = api::post_http(
            addr,
            &[],
            "{ rateLimit { cost } datasets(first: 100) { totalCount } }",
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert!(v["data"]["rateLimit"].is_null(), "{v}");
        assert!(v.get("extensions").is_none(), "{v}");
    }
    let _ = stop.send(());
    t.cleanup().await;
}

/// Two instances on one PostgreSQL database spend one budget: what one spent, the other
/// counts (after a sync), and callers hammering both at once get through about one budget,
/// with a bounded overshoot (printed).
#[tokio::test]
async fn two_instances_share_one_budget_on_postgres() {
    if !backends().await.contains(&Backend::Postgres) {
        eprintln!("SKIPPED: no PostgreSQL");
        return;
    }
    with_time_left(Duration::from_secs(30)).await;
    let t = common::fresh(Backend::Postgres).await;
    const BUDGET: u64 = 20_000;
    let budget = Settings {
        enabled: true,
        anonymous: BUDGET,
        token: BUDGET,
    };
    let db_a = inventory::db::connect(&t.url).await.unwrap();
    let db_b = inventory::db::connect(&t.url).await.unwrap();
    let (a, stop_a) = common::serve(state(&db_a, budget, Some(&t.url))).await;
    let (b, stop_b) = common::serve(state(&db_b, budget, Some(&t.url))).await;

    // Spent on A, seen by B once both synced.
    let (_, _, v) = api::post_http(a, &[], &costing(1_000), json!({})).await;
    assert_eq!(remaining(&v), BUDGET as i64 - 1_000, "{v}");
    let (_, _, v) = api::post_http(b, &[], "{ __typename }", json!({})).await;
    assert_eq!(
        remaining(&v),
        BUDGET as i64 - 1,
        "B has not synced yet: {v}"
    );
    tokio::time::sleep(inventory::rate_limit::SYNC_EVERY * 3).await;
    let (_, _, v) = api::post_http(b, &[], "{ __typename }", json!({})).await;
    assert_eq!(
        remaining(&v),
        BUDGET as i64 - 1_002,
        "B counts A's spending: {v}"
    );
    tokio::time::sleep(inventory::rate_limit::SYNC_EVERY * 3).await;

    // Now both at once, four callers on each, 101 points a request, until both refuse.
    let spent_before = 1_002u64;
    let started = std::time::Instant::now();
    let callers = [a, a, a, a, b, b, b, b].map(|addr| {
        tokio::spawn(async move {
            let mut admitted = 0u64;
            loop {
                let (status, _, v) = api::post_http(addr, &[], &costing(101), json!({})).await;
                match status {
                    200 => admitted += 101,
                    429 => return admitted,
                    s => panic!("{s}: {v}"),
                }
            }
        })
    });
    let mut admitted = 0;
    for c in callers {
        admitted += c.await.unwrap();
    }
    let took = started.elapsed();
    let total = spent_before + admitted;
    let overshoot = total.saturating_sub(BUDGET);
    eprintln!(
        "two instances, budget {BUDGET}: admitted {total} in {took:?}, overshoot {overshoot} \
         ({:.1} % of the budget)",
        overshoot as f64 * 100.0 / BUDGET as f64
    );
    assert!(total + 101 > BUDGET, "the budget was spent: {total}");
    // The bound: each instance lets through about a twentieth of the budget unseen by the
    // other, plus what arrives during a sync's round trip; well under the whole second budget
    // two instances would let through without sharing.
    assert!(overshoot <= BUDGET / 2, "overshoot {overshoot} of {BUDGET}");
    // And the shared count agrees once both synced.
    tokio::time::sleep(inventory::rate_limit::SYNC_EVERY * 3).await;
    let counted = common::count(
        &t.db,
        "SELECT coalesce(sum(spent), 0)::bigint FROM rate_limit_spend WHERE key = 'address:127.0.0.1'",
    )
    .await as u64;
    assert_eq!(counted, total, "the table holds what both admitted");
    let _ = stop_a.send(());
    let _ = stop_b.send(());
    let _ = db_a.close().await;
    let _ = db_b.close().await;
    t.cleanup().await;
}

/// Over `graphql-transport-ws` operations spend from the same budget: the figures come with a
/// query's `next`, and one over budget gets an `error` message coded RATE_LIMITED.
#[tokio::test]
async fn websocket_operations_spend_from_the_same_budget() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    with_time_left(Duration::from_secs(20)).await;
    let t = common::fresh(Backend::Sqlite).await;
    let budget = Settings {
        enabled: true,
        anonymous: 100,
        token: 1_000,
    };
    let (addr, stop) = common::serve(state(&t.db, budget, None)).await;
    let mut ws = common::ws::connect(addr, "graphql-transport-ws").await;
    let send = async |ws: &mut _, v: Value| {
        let ws: &mut tokio_tungstenite::WebSocketStream<_> = ws;
        ws.send(Message::text(v.to_string())).await.unwrap();
    };
    async fn next<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> Value
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] != "ping" {
                    return v;
                }
            }
        }
    }
    send(&mut ws, json!({ "type": "connection_init" })).await;
    assert_eq!(next(&mut ws).await["type"], "connection_ack");

    let q = "{ rateLimit { cost remaining } datasets(first: 59) { totalCount } }";
    send(
        &mut ws,
        json!({ "type": "subscribe", "id": "1", "payload": { "query": q } }),
    )
    .await;
    let v = next(&mut ws).await;
    assert_eq!(v["type"], "next", "{v}");
    // 1 + 2 for `rateLimit`, 60 for the page.
    assert_eq!(
        v["payload"]["data"]["rateLimit"],
        json!({ "cost": 63, "remaining": 37 })
    );
    assert_eq!(
        v["payload"]["extensions"]["rateLimit"]["remaining"], 37,
        "{v}"
    );
    assert_eq!(next(&mut ws).await["type"], "complete");

    send(
        &mut ws,
        json!({ "type": "subscribe", "id": "2", "payload": { "query": q } }),
    )
    .await;
    let v = next(&mut ws).await;
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["payload"][0]["extensions"]["code"], "RATE_LIMITED", "{v}");
    // And over HTTP the same address has the same 37 left.
    let (status, _, v) = api::post_http(addr, &[], &costing(38), json!({})).await;
    assert_eq!(status, 429, "{v}");
    let _ = stop.send(());
    t.cleanup().await;
}

/// The legacy `graphql-ws` protocol charges operations alike: `data` carries the figures, and an
/// operation over budget is answered RATE_LIMITED without running.
#[tokio::test]
async fn legacy_websocket_operations_spend_from_the_same_budget() {
    with_time_left(Duration::from_secs(20)).await;
    let t = common::fresh(Backend::Sqlite).await;
    let budget = Settings {
        enabled: true,
        anonymous: 100,
        token: 1_000,
    };
    let (addr, stop) = common::serve(state(&t.db, budget, None)).await;
    let mut ws = common::ws::connect(addr, "graphql-ws").await;
    let wait = Duration::from_secs(10);
    common::ws::send(&mut ws, json!({ "type": "connection_init" })).await;
    let ack = common::ws::next_json(&mut ws, wait).await.unwrap();
    assert_eq!(ack["type"], "connection_ack", "{ack}");

    let q = "{ rateLimit { cost remaining } datasets(first: 59) { totalCount } }";
    common::ws::send(
        &mut ws,
        json!({ "type": "start", "id": "1", "payload": { "query": q } }),
    )
    .await;
    let v = common::ws::next_json(&mut ws, wait).await.unwrap();
    assert_eq!(v["type"], "data", "{v}");
    assert_eq!(
        v["payload"]["data"]["rateLimit"],
        json!({ "cost": 63, "remaining": 37 })
    );
    assert_eq!(
        v["payload"]["extensions"]["rateLimit"]["remaining"], 37,
        "{v}"
    );
    assert_eq!(
        common::ws::next_json(&mut ws, wait).await.unwrap()["type"],
        "complete"
    );

    common::ws::send(
        &mut ws,
        json!({ "type": "start", "id": "2", "payload": { "query": q } }),
    )
    .await;
    let v = common::ws::next_json(&mut ws, wait).await.unwrap();
    assert_eq!(v["type"], "data", "{v}");
    assert_eq!(v["payload"]["data"], Value::Null, "{v}");
    assert_eq!(
        v["payload"]["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{v}"
    );
    let (status, _, v) = api::post_http(addr, &[], &costing(38), json!({})).await;
    assert_eq!(status, 429, "{v}");
    let _ = stop.send(());
    t.cleanup().await;
}
