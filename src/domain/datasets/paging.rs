//! Keyset pages of a dataset list: a cursor holds the ordering's tag, the row's order key and
//! its id, and the next page starts strictly after it, so pages never skip or repeat rows
//! however the list changes in between.

use chrono::NaiveDate;
use entity::dataset;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Value};

use super::query::{DatasetQuery, Order, effective_order, from_where};
use super::search::{ResolvedSearch, Search, relevance};
use crate::domain::Error;
use crate::domain::sql::Sql;

/// The position of a row in an ordering: the order key and the id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// Which ordering the position belongs to.
    pub o: String,
    /// The order key (rank, title, date, views), absent for `Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<serde_json::Value>,
    /// The dataset id.
    pub id: i64,
}

/// A keyset page request.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub after: Option<Position>,
    pub before: Option<Position>,
    pub size: usize,
    /// Page from the end (`last`).
    pub backward: bool,
}

/// A fetched page.
#[derive(Debug)]
pub struct FetchedPage {
    pub rows: Vec<(Position, dataset::Model)>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// The order key expression, its direction and how to read it back from a row.
fn order_key(
    order: Order,
    backend: DbBackend,
    search: Option<&ResolvedSearch>,
    sql: &mut Sql,
) -> Option<(String, bool)> {
    let date_floor = if backend == DbBackend::Postgres {
        "DATE '0001-01-01'"
    } else {
        "'0001-01-01'"
    };
    match order {
        Order::Id => None,
        Order::Relevance => Some((relevance(sql, search?), false)),
        Order::Title => Some((
            if backend == DbBackend::Postgres {
                "d.title COLLATE \"C\"".into()
            } else {
                "d.title".into()
            },
            false,
        )),
        Order::RegisteredNewest => Some((format!("COALESCE(d.registered_on, {date_floor})"), true)),
        Order::ModifiedNewest => Some((format!("COALESCE(d.modified_on, {date_floor})"), true)),
        Order::MostViewed => Some(("COALESCE(d.views, -1)".into(), true)),
    }
}

/// The order key value of a row, as stored in its cursor.
fn key_of(order: Order, search: Option<&Search>, m: &dataset::Model) -> Option<serde_json::Value> {
    use serde_json::json;
    match order {
        Order::Id => None,
        Order::Relevance => search.map(|s| json!(s.rank(&m.search_title))),
        Order::Title => Some(json!(m.title)),
        Order::RegisteredNewest => Some(json!(
            m.registered_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "0001-01-01".into())
        )),
        Order::ModifiedNewest => Some(json!(
            m.modified_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "0001-01-01".into())
        )),
        Order::MostViewed => Some(json!(m.views.unwrap_or(-1))),
    }
}

fn key_value(order: Order, v: &serde_json::Value) -> Option<Value> {
    match order {
        Order::Relevance | Order::MostViewed => v.as_i64().map(Value::from),
        Order::Title => v.as_str().map(|s| Value::from(s.to_string())),
        Order::RegisteredNewest | Order::ModifiedNewest => v
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(Value::from),
        Order::Id => None,
    }
}

/// A cursor of another ordering or search: [`Error::Invalid`].
pub fn cursor_mismatch() -> Error {
    Error::Invalid(
        "this cursor belongs to a different ordering or search; start again without it".into(),
    )
}

/// One keyset page of the list.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    req: &PageRequest,
) -> Result<FetchedPage, Error> {
    let backend = db.get_database_backend();
    let order = effective_order(q);
    let mut sql = Sql::new(backend);
    sql.push("SELECT d.*");
    from_where(&mut sql, q, search, &[]);
    let key = order_key(order, backend, search, &mut sql);
    let mut extra = Vec::new();
    for (pos, is_after) in [(&req.after, true), (&req.before, false)] {
        let Some(pos) = pos else { continue };
        if pos.o != order.tag() {
            return Err(cursor_mismatch());
        }
        let id = sql.param(pos.id);
        // Rows strictly after (or before) the position in list order.
        let id_cmp = if is_after { ">" } else { "<" };
        match &key {
            None => extra.push(format!("d.id {id_cmp} {id}")),
            Some((expr, desc)) => {
                let v = pos
                    .k
                    .as_ref()
                    .and_then(|k| key_value(order, k))
                    .ok_or_else(cursor_mismatch)?;
                let kp = sql.param(v);
                let key_cmp = if is_after ^ desc { ">" } else { "<" };
                extra.push(format!(
                    "({expr} {key_cmp} {kp} OR ({expr} = {kp} AND d.id {id_cmp} {id}))"
                ));
            }
        }
    }
    if !extra.is_empty() {
        sql.push(if sql.text.contains(" WHERE ") {
            " AND "
        } else {
            " WHERE "
        });
        sql.push(&extra.join(" AND "));
    }
    let flip = req.backward;
    let dir = |desc: bool| if desc ^ flip { "DESC" } else { "ASC" };
    sql.push(" ORDER BY ");
    if let Some((expr, desc)) = &key {
        sql.push(&format!("{expr} {}, ", dir(*desc)));
    }
    sql.push(&format!("d.id {} LIMIT {}", dir(false), req.size + 1));
    let mut rows = dataset::Entity::find()
        .from_raw_sql(sql.statement())
        .all(db)
        .await?;
    let more = rows.len() > req.size;
    rows.truncate(req.size);
    if req.backward {
        rows.reverse();
    }
    let plain = q.search.as_ref();
    let rows = rows
        .into_iter()
        .map(|m| {
            (
                Position {
                    o: order.tag().to_string(),
                    k: key_of(order, plain, &m),
                    id: m.id,
                },
                m,
            )
        })
        .collect();
    let (has_previous, has_next) = if req.backward {
        (more, req.before.is_some())
    } else {
        (req.after.is_some(), more)
    };
    Ok(FetchedPage {
        rows,
        has_previous,
        has_next,
    })
}
