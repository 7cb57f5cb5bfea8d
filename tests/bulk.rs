//! `db::bulk::insert` (one JSON parameter per statement) stores exactly what SeaORM's
//! `insert_many` stores: the same values in the same storage form (SQLite keeps dates and
//! timestamps as text, so a different spelling would break comparisons and ordering), on both
//! databases, for every kind of value the tables hold.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::{backends, fresh};
use entity::enums::{Category, DatasetType, Provenance};
use entity::{dataset, institution, outbox};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Iterable, QueryFilter,
    Statement,
};

/// A dataset row with awkward values: quotes, backslashes, control characters, emoji, NULLs,
/// sub-second timestamps.
fn awkward(institution_id: i64, key: &str, variant: usize) -> dataset::ActiveModel {
    let at = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap()
        + chrono::Duration::nanoseconds(123_456_789 * variant as i64);
    dataset::ActiveModel {
        id: NotSet,
        portal_key: Set(Some(key.to_string())),
        title: Set(format!("\"따옴표\" \\ 역슬래시\n줄바꿈\t탭 😀 {variant}")),
        description: Set("설명 \u{1} 제어문자 </script> '홑따옴표'".into()),
        institution_id: Set(institution_id),
        category: Set(Category::iter().nth(variant).unwrap()),
        dataset_type: Set(DatasetType::iter().nth(variant % 2).unwrap()),
        keywords: Set(String::new()),
        format: Set((variant == 0).then(|| "CSV".to_string())),
        national_core: Set(variant == 0),
        standard: Set(variant != 0),
        licence: Set(None),
        update_frequency: Set(Some("수시".into())),
        registered_on: Set(NaiveDate::from_ymd_opt(2012, 1, 9)),
        modified_on: Set(None),
        views: Set(Some(i64::MAX - variant as i64)),
        downloads: Set(Some(0)),
        portal_url: Set(None),
        listed: Set(variant == 0),
        provenance: Set(Provenance::iter().nth(variant % 2).unwrap()),
        source_file: Set(None),
        import_run_id: Set(None),
        search_title: Set("검색제목".into()),
        search_body: Set(String::new()),
        created_at: Set(at),
        updated_at: Set(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
    }
}

/// Every column of the rows of `table` with the given ids, as stored (text, and on SQLite the
/// storage class).
async fn stored(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    ids: [i64; 2],
) -> [Vec<Option<String>>; 2] {
    let backend = db.get_database_backend();
    let exprs: Vec<String> = columns
        .iter()
        .map(|c| match backend {
            DbBackend::Postgres => format!("CAST(\"{c}\" AS TEXT)"),
            _ => format!("typeof(\"{c}\") || ':' || COALESCE(CAST(\"{c}\" AS TEXT), 'NULL')"),
        })
        .collect();
    let mut out = [Vec::new(), Vec::new()];
    for (k, id) in ids.iter().enumerate() {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT {} FROM \"{table}\" WHERE id = {id}",
                    exprs.join(", ")
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        out[k] = (0..columns.len())
            .map(|i| row.try_get_by_index::<Option<String>>(i).unwrap())
            .collect();
    }
    out
}

#[tokio::test]
async fn bulk_rows_are_stored_exactly_as_seaorm_stores_them() {
    for b in backends().await {
        let t = fresh(b).await;
        let inst = institution::ActiveModel {
            id: NotSet,
            code: Set("1234567".into()),
            name: Set("기관".into()),
            name_en: Set(None),
            kind: Set(entity::enums::InstitutionKind::iter().next().unwrap()),
            kind_overridden: Set(false),
            parent_id: Set(None),
            parent_confirmed: Set(false),
            synthetic: Set(false),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
        };
        let inst = institution::Entity::insert(inst)
            .exec(&t.db)
            .await
            .unwrap()
            .last_insert_id;

        for variant in 0..2 {
            let by_orm = format!("orm-{variant}");
            let by_bulk = format!("bulk-{variant}");
            dataset::Entity::insert_many([awkward(inst, &by_orm, variant)])
                .exec_without_returning(&t.db)
                .await
                .unwrap();
            let n = inventory::db::bulk::insert(&t.db, &[awkward(inst, &by_bulk, variant)])
                .await
                .unwrap();
            assert_eq!(n, 1);
            let id = |key: String| {
                let db = &t.db;
                async move {
                    dataset::Entity::find()
                        .filter(dataset::Column::PortalKey.eq(key))
                        .one(db)
                        .await
                        .unwrap()
                        .unwrap()
                }
            };
            let (a, bm) = (id(by_orm).await, id(by_bulk).await);
            // The same model read back, but for the id and key…
            let mut same = bm.clone();
            same.id = a.id;
            same.portal_key = a.portal_key.clone();
            assert_eq!(same, a, "{b:?} variant {variant}");
            // …and the same stored form, column by column.
            let columns: Vec<&str> = dataset::Column::iter()
                .map(|c| c.as_str())
                .filter(|c| !["id", "portal_key"].contains(c))
                .collect();
            let [x, y] = stored(&t.db, "dataset", &columns, [a.id, bm.id]).await;
            for ((c, x), y) in columns.iter().zip(&x).zip(&y) {
                assert_eq!(x, y, "{b:?} variant {variant} column {c}");
            }
        }

        // JSON payloads (the outbox).
        let payload =
            serde_json::json!({ "a": [1, 2.5, null, "텍스트 \"q\""], "b": { "c": true } });
        let row = || outbox::ActiveModel {
            id: NotSet,
            topic: Set("audit".into()),
            entity_id: Set(7),
            payload: Set(payload.clone()),
            created_at: Set(Utc.with_ymd_and_hms(2026, 5, 5, 5, 5, 5).unwrap()),
        };
        outbox::Entity::insert_many([row()])
            .exec_without_returning(&t.db)
            .await
            .unwrap();
        inventory::db::bulk::insert(&t.db, &[row()]).await.unwrap();
        let rows = outbox::Entity::find().all(&t.db).await.unwrap();
        let ours: Vec<_> = rows.iter().filter(|r| r.payload == payload).collect();
        assert_eq!(ours.len(), 2, "{b:?}: {rows:?}");
        let columns = ["topic", "entity_id", "payload", "created_at"];
        let [x, y] = stored(&t.db, "outbox", &columns, [ours[0].id, ours[1].id]).await;
        if b == common::Backend::Postgres {
            // A `json` column keeps the text it was given: the driver's has jsonb's spacing.
            let parsed = |v: &Option<String>| -> serde_json::Value {
                serde_json::from_str(v.as_deref().unwrap()).unwrap()
            };
            assert_eq!(parsed(&x[2]), parsed(&y[2]), "{b:?}");
            assert_eq!((&x[..2], &x[3]), (&y[..2], &y[3]), "{b:?}");
        } else {
            assert_eq!(x, y, "{b:?}");
        }
        t.cleanup().await;
    }
}
