//! The change feed: disclosure changes in commit order, resumable, never skipping a late commit.

mod common;

use common::{Backend, backends, fresh, gql, real_inventory, state};
use serde_json::json;

#[tokio::test]
async fn imported_entries_reach_the_feed_and_paging_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.csv");
    {
        use std::io::Read;
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(real_inventory()).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        let small: String = text.lines().take(51).map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, small).unwrap();
    }
    for b in backends().await {
        let t = fresh(b).await;
        let opts = inventory::import::ImportOptions {
            drop_demo: false,
            progress: false,
        };
        inventory::import::import_file(&t.db, &path, &opts, chrono::Utc::now())
            .await
            .unwrap();
        let app = inventory::app(state(&t.db));
        let q = "query($a: String) { disclosureChanges(after: $a, first: 20) { endCursor hasMore changes { cursor fromStatus toStatus dataset { portalKey } } } }";
        let mut after = serde_json::Value::Null;
        let mut keys = Vec::new();
        loop {
            let v = gql(&app, q, json!({ "a": after })).await;
            let page = &v["data"]["disclosureChanges"];
            for c in page["changes"].as_array().unwrap() {
                assert!(c["fromStatus"].is_null());
                assert_eq!(c["toStatus"], "OPEN");
                keys.push(c["dataset"]["portalKey"].as_str().unwrap().to_string());
            }
            after = page["endCursor"].clone();
            if page["hasMore"] != true {
                break;
            }
        }
        assert_eq!(keys.len(), 50, "{b:?}");
        // Nothing new: the same cursor comes back, so a client can poll with it.
        let v = gql(&app, q, json!({ "a": after })).await;
        assert_eq!(
            v["data"]["disclosureChanges"]["changes"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        assert_eq!(v["data"]["disclosureChanges"]["endCursor"], after);
        let v = gql(&app, q, json!({ "a": "nope" })).await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        t.cleanup().await;
    }
}

/// On PostgreSQL a second writer cannot take an outbox position until the first commits, so a
/// reader that has seen position N has seen everything below it.
#[tokio::test]
async fn outbox_positions_follow_commit_order() {
    use sea_orm::TransactionTrait;
    for b in backends().await {
        if b == Backend::Sqlite {
            // SQLite writers are serialized by BEGIN IMMEDIATE; the property holds trivially.
            continue;
        }
        let t = fresh(b).await;
        let ev = |n: i64| {
            inventory::events::Event::Audit(inventory::events::Audited {
                actor: "test".into(),
                action: "test".into(),
                entity: "test".into(),
                id: n,
            })
        };
        let first = t.db.begin().await.unwrap();
        inventory::events::append(&first, vec![ev(1)], chrono::Utc::now())
            .await
            .unwrap();
        let db2 = t.db.clone();
        let second = tokio::spawn(async move {
            let txn = db2.begin().await.unwrap();
            inventory::events::append(&txn, vec![ev(2)], chrono::Utc::now())
                .await
                .unwrap();
            txn.commit().await.unwrap();
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !second.is_finished(),
            "the second writer got a position while the first was uncommitted"
        );
        let seen = inventory::events::after(&t.db, Some(inventory::events::Topic::Audit), 0, 10)
            .await
            .unwrap();
        assert!(
            seen.is_empty(),
            "nothing is visible before the first commit"
        );
        first.commit().await.unwrap();
        second.await.unwrap();
        let seen = inventory::events::after(&t.db, Some(inventory::events::Topic::Audit), 0, 10)
            .await
            .unwrap();
        let order: Vec<i64> = seen.iter().map(|e| e.entity_id).collect();
        assert_eq!(order, vec![1, 2]);
        assert!(seen[0].id < seen[1].id);
        t.cleanup().await;
    }
}

/// A subscriber that does not keep up is cut off with a bounded buffer, never slowing writers.
#[tokio::test]
async fn a_slow_subscriber_is_told_and_dropped_not_buffered() {
    let t = fresh(Backend::Sqlite).await;
    let hub = inventory::hub::Hub::start(t.db.clone(), None, None)
        .await
        .unwrap();
    let mut rx = hub.subscribe();
    let total = inventory::hub::CHANNEL_CAPACITY + 200;
    let events: Vec<_> = (0..total as i64)
        .map(|n| {
            inventory::events::Event::Audit(inventory::events::Audited {
                actor: "test".into(),
                action: "test".into(),
                entity: "test".into(),
                id: n,
            })
        })
        .collect();
    let txn = inventory::db::begin_write(&t.db).await.unwrap();
    inventory::events::append(&txn, events, chrono::Utc::now())
        .await
        .unwrap();
    txn.commit().await.unwrap();
    // Let the hub catch up with the outbox.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    match rx.recv().await {
        Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
            assert!(n >= 200, "lagged by {n}")
        }
        other => panic!("expected the slow receiver to lag, got {other:?}"),
    }
    // The writer committed without waiting for the receiver (a broadcast send never blocks),
    // and the receiver is told how much it missed rather than buffering without bound.
    t.cleanup().await;
}
