//! Moving a snapshot from one outbox position to the next: which datasets and institutions a
//! batch of committed events touched, read again in the same read transaction as the events.

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::load;
use super::snapshot::Snapshot;

/// More pending events than this and the catalog reloads everything instead.
pub const MAX_INCREMENTAL: i64 = 5_000;

/// What a batch of events touched.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Touched {
    pub datasets: BTreeSet<i64>,
    pub institutions: bool,
    /// Something the catalog cannot apply piecemeal (an import): reload everything.
    pub everything: bool,
}

impl Touched {
    /// Notes one outbox event.
    pub fn add(&mut self, topic: &str, payload: &serde_json::Value) {
        let id = |key: &str| payload.get(key).and_then(serde_json::Value::as_i64);
        match topic {
            // A disclosure change or a new dataset; a request moving between states.
            "disclosure" | "request" => {
                if let Some(d) = id("dataset_id") {
                    self.datasets.insert(d);
                }
            }
            "audit" => match payload.get("entity").and_then(|e| e.as_str()) {
                Some("dataset") => {
                    if let Some(d) = id("id") {
                        self.datasets.insert(d);
                    }
                }
                Some("institution") => self.institutions = true,
                // Accounts, tokens, bundles, plans: nothing the lists show.
                _ => {}
            },
            "milestone" => {}
            // "import", and any topic this version does not know.
            _ => self.everything = true,
        }
    }
}

/// Reads the events after `snap.position` up to `to` and returns the next snapshot, or `None`
/// when they are better applied by reloading everything.
pub async fn catch_up<C: ConnectionTrait>(
    db: &C,
    snap: &Snapshot,
    to: i64,
) -> Result<Option<Snapshot>, DbErr> {
    if to - snap.position > MAX_INCREMENTAL {
        return Ok(None);
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT topic, payload FROM outbox WHERE id > $1 AND id <= $2 ORDER BY id",
            [snap.position.into(), to.into()],
        ))
        .await?;
    let mut touched = Touched::default();
    for r in rows {
        let topic: String = r.try_get_by_index(0)?;
        let payload: serde_json::Value = r.try_get_by_index(1)?;
        touched.add(&topic, &payload);
        if touched.everything {
            return Ok(None);
        }
    }
    let mut next = snap.clone();
    if touched.institutions {
        let insts = load::institutions(db, &next.vocab, &next.insts).await?;
        next.set_institutions(insts);
    }
    let ids: Vec<i64> = touched.datasets.into_iter().collect();
    for (id, row) in load::datasets(db, &next, &ids).await? {
        match row {
            Some(row) => {
                if !next.set_row(row) {
                    // A dataset id below the largest held (a late commit): rebuild.
                    return Ok(None);
                }
            }
            None => next.remove(id),
        }
    }
    next.position = to;
    Ok(Some(next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_name_what_they_touch() {
        let mut t = Touched::default();
        t.add("disclosure", &json!({ "dataset_id": 4, "to": "OPEN" }));
        t.add("request", &json!({ "dataset_id": null, "request_id": 2 }));
        t.add("request", &json!({ "dataset_id": 9 }));
        t.add("audit", &json!({ "entity": "dataset", "id": 7 }));
        t.add("audit", &json!({ "entity": "api_token", "id": 1 }));
        t.add("milestone", &json!({}));
        assert_eq!(t.datasets.iter().copied().collect::<Vec<_>>(), [4, 7, 9]);
        assert!(!t.institutions && !t.everything);
        t.add("audit", &json!({ "entity": "institution", "id": 3 }));
        assert!(t.institutions);
        t.add("import", &json!({ "file": "x.csv" }));
        assert!(t.everything);
    }
}
