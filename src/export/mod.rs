//! Exports of a dataset list for journalists: CSV that opens in Excel, and DCAT-AP JSON-LD.
//!
//! Both read the list in keyset pages ([`next_page`]), chosen from the catalog and read by id:
//! each page is a few short queries, so a long export never holds a database connection while
//! the client reads slowly.

pub mod csv;
pub mod dcat;

use std::collections::HashMap;

use entity::{dataset, disclosure, institution};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::catalog::{Catalog, Selection};
use crate::domain::datasets::{DatasetQuery, PageRequest, Position};

/// Rows read per page.
pub const PAGE_ROWS: usize = 1_000;

/// One exported dataset with what the export shows of its relations.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub dataset: dataset::Model,
    pub institution: Option<institution::Model>,
    pub disclosure: Option<disclosure::Model>,
    /// Requests for it still awaiting an answer (counts only: requesters are never exported).
    pub open_requests: i64,
}

/// How many datasets the list holds now.
pub async fn count(catalog: &Catalog, q: &DatasetQuery) -> Result<u64, DbErr> {
    let snap = catalog.read().await?;
    let resolved = Catalog::resolve(&snap, q.search.as_ref());
    Ok(Selection::new(&snap, &q.filter, resolved.as_ref()).count())
}

/// The next page of rows after `after`, and the position to continue from (None at the end).
/// Each page is chosen from the catalog's latest snapshot, and its rows read by id.
pub async fn next_page<C: ConnectionTrait>(
    db: &C,
    catalog: &Catalog,
    q: &DatasetQuery,
    after: Option<Position>,
    size: usize,
) -> Result<(Vec<ExportRow>, Option<Position>), crate::domain::Error> {
    let req = PageRequest {
        after,
        before: None,
        size,
        backward: false,
    };
    let snap = catalog.read().await?;
    let resolved = Catalog::resolve(&snap, q.search.as_ref());
    let selection = Selection::new(&snap, &q.filter, resolved.as_ref());
    let ids = crate::catalog::page::page(&snap, q, &selection.all, &req)?;
    let page = crate::catalog::page::fetch(
        db,
        ids,
        crate::catalog::page::Reading {
            columns: None,
            disclosure: None,
        },
    )
    .await?
    .page;
    let next = if page.has_next {
        page.rows.last().map(|(p, _)| p.clone())
    } else {
        None
    };
    let models: Vec<dataset::Model> = page.rows.into_iter().map(|(_, m)| m).collect();
    let rows = with_relations(db, models).await?;
    Ok((rows, next))
}

async fn with_relations<C: ConnectionTrait>(
    db: &C,
    models: Vec<dataset::Model>,
) -> Result<Vec<ExportRow>, DbErr> {
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = models.iter().map(|d| d.id).collect();
    let inst_ids: Vec<i64> = models.iter().map(|d| d.institution_id).collect();
    let insts: HashMap<i64, institution::Model> = institution::Entity::find()
        .filter(institution::Column::Id.is_in(inst_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut discs: HashMap<i64, disclosure::Model> = disclosure::Entity::find()
        .filter(disclosure::Column::DatasetId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.dataset_id, d))
        .collect();
    let mut sql = crate::domain::sql::Sql::new(db.get_database_backend());
    let states = sql.params(
        crate::domain::requests::OPEN_STATES
            .iter()
            .map(sea_orm::ActiveEnum::to_value),
    );
    let list = sql.params(ids.iter().copied());
    sql.push(&format!(
        "SELECT dataset_id, COUNT(*) FROM data_request WHERE state IN ({states}) AND dataset_id IN ({list}) GROUP BY dataset_id"
    ));
    let counts: HashMap<i64, i64> = db
        .query_all_raw(sql.statement())
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get_by_index::<i64>(0)?, r.try_get_by_index::<i64>(1)?)))
        .collect::<Result<_, DbErr>>()?;
    Ok(models
        .into_iter()
        .map(|d| ExportRow {
            institution: insts.get(&d.institution_id).cloned(),
            disclosure: discs.remove(&d.id),
            open_requests: counts.get(&d.id).copied().unwrap_or(0),
            dataset: d,
        })
        .collect())
}
