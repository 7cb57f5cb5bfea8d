//! Reading the catalog's facts from the database: everything at once, or the datasets and
//! institutions that a batch of events touched. Callers run these inside one read transaction
//! together with reading the outbox position, so data and position agree.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{institution, institution_name};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryOrder, QueryResult, Statement,
    Value,
};

use super::snapshot::{Inst, NO_DATE, Row, Snapshot, Vocabularies, code_of};
use crate::clock::seoul_date;
use crate::domain::text::{FIELD_SEPARATOR, normalize};

/// Datasets read per statement of a full load.
const PAGE: i64 = 50_000;
/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// The last outbox id (0 when empty).
pub async fn position<C: ConnectionTrait>(db: &C) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT MAX(id) FROM outbox",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get_by_index::<Option<i64>>(0))
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

fn bad(what: &str, v: &str) -> DbErr {
    DbErr::Custom(format!("catalog: unknown {what} '{v}'"))
}

/// Every institution (with its former names), in the order of `keep` first (their dense indexes stay), then new ones by id.
pub async fn institutions<C: ConnectionTrait>(
    db: &C,
    vocab: &Vocabularies,
    keep: &[Inst],
) -> Result<Vec<Inst>, DbErr> {
    let rows = institution::Entity::find()
        .order_by_asc(institution::Column::Id)
        .all(db)
        .await?;
    let mut former: HashMap<i64, String> = HashMap::new();
    for n in institution_name::Entity::find()
        .order_by_asc(institution_name::Column::Id)
        .all(db)
        .await?
    {
        let names = former.entry(n.institution_id).or_default();
        if !names.is_empty() {
            names.push(FIELD_SEPARATOR);
        }
        names.push_str(&normalize(&n.name));
    }
    let mut fresh: HashMap<i64, Inst> = HashMap::with_capacity(rows.len());
    let mut order = Vec::with_capacity(rows.len());
    for m in rows {
        let kind = m.kind.to_value();
        let id = m.id;
        fresh.insert(
            id,
            Inst {
                id,
                code: m.code.clone(),
                kind: code_of(&vocab.kind, &kind).ok_or_else(|| bad("kind", &kind))?,
                parent_id: m.parent_id,
                names: format!(
                    "{}{FIELD_SEPARATOR}{}",
                    normalize(&m.name),
                    normalize(m.name_en.as_deref().unwrap_or(""))
                ),
                former_names: former.remove(&id).unwrap_or_default(),
                model: Some(Arc::new(m)),
            },
        );
        order.push(id);
    }
    let mut out = Vec::with_capacity(order.len());
    let mut placed = HashSet::new();
    for old in keep {
        // An institution that vanished keeps its place (nothing points at it any more).
        out.push(fresh.get(&old.id).cloned().unwrap_or_else(|| Inst {
            model: None,
            ..old.clone()
        }));
        placed.insert(old.id);
    }
    for id in order {
        if !placed.contains(&id) {
            out.push(fresh.remove(&id).expect("read above"));
        }
    }
    Ok(out)
}

const DATASET_COLUMNS: &str = "SELECT d.id, d.institution_id, d.category, d.dataset_type, \
     d.national_core, d.standard, d.listed, d.provenance, d.registered_on, d.modified_on, \
     d.views, d.title, d.search_title, d.search_body, s.status, s.ground, s.next_review_on, \
     s.updated_at FROM dataset d JOIN disclosure s ON s.dataset_id = d.id";

fn days(d: Option<NaiveDate>) -> i32 {
    d.map(|d| d.num_days_from_ce()).unwrap_or(NO_DATE)
}

fn row_of(
    r: &QueryResult,
    vocab: &Vocabularies,
    inst_index: &HashMap<i64, u32>,
) -> Result<Row, DbErr> {
    let id: i64 = r.try_get_by_index(0)?;
    let inst_id: i64 = r.try_get_by_index(1)?;
    let category: String = r.try_get_by_index(2)?;
    let dataset_type: String = r.try_get_by_index(3)?;
    let provenance: String = r.try_get_by_index(7)?;
    let status: String = r.try_get_by_index(14)?;
    let ground: Option<String> = r.try_get_by_index(15)?;
    Ok(Row {
        id,
        alive: true,
        inst: *inst_index
            .get(&inst_id)
            .ok_or_else(|| bad("institution", &inst_id.to_string()))?,
        status: code_of(&vocab.status, &status).ok_or_else(|| bad("status", &status))?,
        ground: match ground {
            Some(g) => Some(code_of(&vocab.ground, &g).ok_or_else(|| bad("ground", &g))?),
            None => None,
        },
        category: code_of(&vocab.category, &category).ok_or_else(|| bad("category", &category))?,
        dataset_type: code_of(&vocab.dataset_type, &dataset_type)
            .ok_or_else(|| bad("type", &dataset_type))?,
        national_core: r.try_get_by_index(4)?,
        standard: r.try_get_by_index(5)?,
        listed: r.try_get_by_index(6)?,
        synthetic: provenance == vocab.synthetic,
        registered: days(r.try_get_by_index(8)?),
        modified: days(r.try_get_by_index(9)?),
        review_on: days(r.try_get_by_index(16)?),
        // Set from the history by the caller ([`withheld_since`]); until then the day of the
        // disclosure's last change.
        withheld_since: if withheld(&status) {
            days(Some(seoul_date(r.try_get_by_index::<DateTime<Utc>>(17)?)))
        } else {
            NO_DATE
        },
        views: r.try_get_by_index(10)?,
        open_requests: false,
        requested: false,
        title: r.try_get_by_index::<String>(11)?.into(),
        search_title: r.try_get_by_index::<String>(12)?.into(),
        search_body: r.try_get_by_index::<String>(13)?.into(),
        openings: Box::new([]),
    })
}

/// Whether a stored status is one the review queue looks at (withheld or partially open).
fn withheld(status: &str) -> bool {
    crate::catalog::review::STATUSES.contains(&status)
}

fn id_list(ids: &[i64]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn open_states(backend: DbBackend) -> (String, Vec<Value>) {
    let mut sql = crate::domain::sql::Sql::new(backend);
    let list = sql.params(
        crate::domain::requests::OPEN_STATES
            .iter()
            .map(|s| s.to_value()),
    );
    (list, sql.values)
}

/// Datasets (of `ids`, or all) with any request, and whether one of them is unanswered.
async fn requested<C: ConnectionTrait>(
    db: &C,
    ids: Option<&[i64]>,
) -> Result<HashMap<i64, bool>, DbErr> {
    let backend = db.get_database_backend();
    let (states, values) = open_states(backend);
    let scope = ids
        .map(|ids| format!(" AND dataset_id IN ({})", id_list(ids)))
        .unwrap_or_default();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT dataset_id, MAX(CASE WHEN state IN ({states}) THEN 1 ELSE 0 END) \
                 FROM data_request WHERE dataset_id IS NOT NULL{scope} GROUP BY dataset_id"
            ),
            values,
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index::<i32>(1)? == 1)))
        .collect()
}

/// The instants of the openings ([`crate::domain::openings`]) of datasets (of `ids`, or all).
async fn openings<C: ConnectionTrait>(
    db: &C,
    ids: Option<&[i64]>,
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let scope = ids
        .map(|ids| format!(" AND e.dataset_id IN ({})", id_list(ids)))
        .unwrap_or_default();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT e.dataset_id, e.occurred_at FROM disclosure_event e WHERE {}{scope}",
                crate::domain::openings::condition("e")
            ),
        ))
        .await?;
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in rows {
        let id: i64 = r.try_get_by_index(0)?;
        let at: DateTime<Utc> = r.try_get_by_index(1)?;
        out.entry(id).or_default().push(at.timestamp());
    }
    for v in out.values_mut() {
        v.sort_unstable();
    }
    Ok(out)
}

/// The day (Asia/Seoul, days from CE) each dataset (of `ids`, or all) last became withheld or
/// partially open: its latest disclosure event that changed the status to `WITHHELD` or
/// `PARTIALLY_OPEN` from another status, or its first event when it entered the inventory so.
/// (Moving between those two, or a new ground, does not restart the wait.)
async fn withheld_since<C: ConnectionTrait>(
    db: &C,
    ids: Option<&[i64]>,
) -> Result<HashMap<i64, i32>, DbErr> {
    let backend = db.get_database_backend();
    let scope = ids
        .map(|ids| format!(" AND e.dataset_id IN ({})", id_list(ids)))
        .unwrap_or_default();
    let statuses = crate::catalog::review::STATUSES
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(",");
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            format!(
                "SELECT e.dataset_id, MAX({}) FROM disclosure_event e \
                 WHERE e.to_status IN ({statuses}) \
                 AND (e.from_status IS NULL OR e.from_status NOT IN ({statuses})){scope} \
                 GROUP BY e.dataset_id",
                crate::domain::openings::day_sql(backend, "e.occurred_at")
            ),
        ))
        .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get_by_index(0)?;
        let day: Option<String> = r.try_get_by_index(1)?;
        if let Some(d) = day.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()) {
            out.insert(id, d.num_days_from_ce());
        }
    }
    Ok(out)
}

/// Puts the history's day ([`withheld_since`]) on a withheld or partially open row.
fn set_withheld_since(row: &mut Row, since: &HashMap<i64, i32>) {
    if row.withheld_since != NO_DATE
        && let Some(d) = since.get(&row.id)
    {
        row.withheld_since = *d;
    }
}

/// The whole catalog at the outbox position `position`.
pub async fn everything<C: ConnectionTrait>(db: &C, position: i64) -> Result<Snapshot, DbErr> {
    let started = std::time::Instant::now();
    let vocab = Vocabularies::new();
    let insts = institutions(db, &vocab, &[]).await?;
    let index: HashMap<i64, u32> = insts
        .iter()
        .enumerate()
        .map(|(k, i)| (i.id, k as u32))
        .collect();
    let backend = db.get_database_backend();
    let mut rows = Vec::new();
    let mut after = i64::MIN;
    loop {
        let page = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                format!("{DATASET_COLUMNS} WHERE d.id > $1 ORDER BY d.id LIMIT {PAGE}"),
                [after.into()],
            ))
            .await?;
        for r in &page {
            rows.push(row_of(r, &vocab, &index)?);
        }
        match rows.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.id,
            _ => break,
        }
    }
    let read = started.elapsed();
    let asked = requested(db, None).await?;
    let mut opened = openings(db, None).await?;
    let since = withheld_since(db, None).await?;
    let related = started.elapsed();
    for row in &mut rows {
        set_withheld_since(row, &since);
        row.requested = asked.contains_key(&row.id);
        row.open_requests = asked.get(&row.id).copied().unwrap_or(false);
        if let Some(v) = opened.remove(&row.id) {
            row.openings = v.into();
        }
    }
    let snap = Snapshot::build(position, insts, rows);
    tracing::info!(
        "catalog load phases: datasets read {:.0} ms, requests, openings and withholdings {:.0} ms, bitmaps {:.0} ms",
        read.as_secs_f64() * 1e3,
        (related - read).as_secs_f64() * 1e3,
        (started.elapsed() - related).as_secs_f64() * 1e3
    );
    Ok(snap)
}

/// The current rows of datasets `ids` (`None` for a dataset that no longer exists), for a
/// snapshot whose institutions are already current.
pub async fn datasets<C: ConnectionTrait>(
    db: &C,
    snap: &Snapshot,
    ids: &[i64],
) -> Result<Vec<(i64, Option<Row>)>, DbErr> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!("{DATASET_COLUMNS} WHERE d.id IN ({})", id_list(chunk)),
            ))
            .await?;
        let mut found: HashMap<i64, Row> = HashMap::with_capacity(rows.len());
        for r in &rows {
            let row = row_of(r, &snap.vocab, &snap.inst_index)?;
            found.insert(row.id, row);
        }
        let asked = requested(db, Some(chunk)).await?;
        let mut opened = openings(db, Some(chunk)).await?;
        let since = withheld_since(db, Some(chunk)).await?;
        for id in chunk {
            let row = found.remove(id).map(|mut row| {
                set_withheld_since(&mut row, &since);
                row.requested = asked.contains_key(id);
                row.open_requests = asked.get(id).copied().unwrap_or(false);
                if let Some(v) = opened.remove(id) {
                    row.openings = v.into();
                }
                row
            });
            out.push((*id, row));
        }
    }
    Ok(out)
}
