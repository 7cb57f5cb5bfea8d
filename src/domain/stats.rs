//! Dashboard statistics, computed in the database over a dataset list (filter and search).

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use crate::domain::datasets::{DatasetQuery, ResolvedSearch, from_where};
use crate::domain::openings;
use crate::domain::requests::{AWAITING_INSTITUTION, overdue_condition};
use crate::domain::sql::Sql;

/// How a figure over requests learns which datasets the list holds.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The list's filter and search, as a subquery.
    Sql(Option<&'a ResolvedSearch>),
    /// The ids of the list's datasets (at least those with requests), e.g. from the catalog.
    Ids(&'a [i64]),
}

/// `col IN (<the list>)` as a condition, appended to `sql`.
fn in_list(sql: &mut Sql, q: &DatasetQuery, scope: Scope<'_>, col: &str) -> String {
    let search = match scope {
        Scope::Sql(search) => search,
        Scope::Ids(ids) => {
            let json = serde_json::to_string(ids).expect("ids serialize");
            let p = sql.param(json);
            return match sql.backend {
                DbBackend::Postgres => format!(
                    "{col} IN (SELECT value::bigint FROM json_array_elements_text({p}::json))"
                ),
                _ => format!("{col} IN (SELECT value FROM json_each({p}))"),
            };
        }
    };
    let mut inner = Sql::new(sql.backend);
    // Placeholders continue the outer numbering.
    inner.values = std::mem::take(&mut sql.values);
    inner.push("SELECT d.id");
    from_where(&mut inner, q, search, &[]);
    sql.values = inner.values;
    format!("{col} IN ({})", inner.text)
}

/// Whether the query narrows nothing (then request statistics cover every request, including
/// those for unlisted data).
fn is_everything(q: &DatasetQuery) -> bool {
    let f = &q.filter;
    q.search.is_none()
        && f.institution_codes.is_none()
        && f.institution_kinds.is_none()
        && f.categories.is_none()
        && f.types.is_none()
        && f.statuses.is_none()
        && f.grounds.is_none()
        && f.national_core.is_none()
        && f.standard.is_none()
        && f.synthetic.is_none()
        && f.listed.is_none()
        && f.registered_from.is_none()
        && f.registered_to.is_none()
        && f.modified_from.is_none()
        && f.modified_to.is_none()
        && f.has_open_requests.is_none()
}

/// Datasets per institution, largest first.
#[derive(Debug, Clone)]
pub struct InstitutionTotals {
    pub institution_id: i64,
    pub total: u64,
    pub open: u64,
    pub withheld: u64,
    /// Of which flagged national core data.
    pub national_core: u64,
    /// Of which flagged standard data.
    pub standard: u64,
}

pub async fn top_institutions<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    limit: u64,
) -> Result<Vec<InstitutionTotals>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT d.institution_id, COUNT(*) AS n, \
         SUM(CASE WHEN s.status = 'OPEN' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN s.status = 'WITHHELD' THEN 1 ELSE 0 END), \
         SUM(CASE WHEN d.national_core THEN 1 ELSE 0 END), \
         SUM(CASE WHEN d.standard THEN 1 ELSE 0 END)",
    );
    from_where(&mut sql, q, search, &[]);
    sql.push(&format!(
        " GROUP BY d.institution_id ORDER BY n DESC, d.institution_id LIMIT {limit}"
    ));
    db.query_all_raw(sql.statement())
        .await?
        .into_iter()
        .map(|r| {
            Ok(InstitutionTotals {
                institution_id: r.try_get_by_index(0)?,
                total: r.try_get_by_index::<i64>(1)? as u64,
                open: r.try_get_by_index::<i64>(2)? as u64,
                withheld: r.try_get_by_index::<i64>(3)? as u64,
                national_core: r.try_get_by_index::<i64>(4)? as u64,
                standard: r.try_get_by_index::<i64>(5)? as u64,
            })
        })
        .collect()
}

/// Openings ([`openings`]) per Asia/Seoul month, `YYYY-MM`, oldest first, between the days
/// `from` and `to` (inclusive, Asia/Seoul).
pub async fn openings_per_month<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<(String, u64)>, DbErr> {
    let backend = db.get_database_backend();
    let month = openings::month_sql(backend, "e.occurred_at");
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT {month} AS m, COUNT(*) FROM disclosure_event e WHERE {}",
        openings::condition("e")
    ));
    let (lo, hi) = openings::window(from, to);
    if let Some(lo) = lo {
        let p = sql.param(lo);
        sql.push(&format!(" AND e.occurred_at >= {p}"));
    }
    if let Some(hi) = hi {
        let p = sql.param(hi);
        sql.push(&format!(" AND e.occurred_at < {p}"));
    }
    if !is_everything(q) {
        let cond = in_list(&mut sql, q, Scope::Sql(search), "e.dataset_id");
        sql.push(&format!(" AND {cond}"));
    }
    sql.push(" GROUP BY m ORDER BY m");
    db.query_all_raw(sql.statement())
        .await?
        .into_iter()
        .map(|r| {
            Ok((
                r.try_get_by_index::<String>(0)?,
                r.try_get_by_index::<i64>(1)? as u64,
            ))
        })
        .collect()
}

/// A not-open dataset and the demand for it.
#[derive(Debug, Clone)]
pub struct Demand {
    pub dataset_id: i64,
    pub requests: u64,
    pub supporters: u64,
}

/// The not-open datasets most asked for: requests plus supporters, then requests, then id.
pub async fn most_demanded<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    limit: u64,
) -> Result<Vec<Demand>, DbErr> {
    most_demanded_in(db, q, Scope::Sql(search), limit).await
}

/// [`most_demanded`] with the list given as a [`Scope`].
pub async fn most_demanded_in<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    scope: Scope<'_>,
    limit: u64,
) -> Result<Vec<Demand>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT r.dataset_id, COUNT(DISTINCT r.id) AS requests, COUNT(rs.account_id) AS supporters \
         FROM data_request r JOIN disclosure s ON s.dataset_id = r.dataset_id \
         LEFT JOIN request_supporter rs ON rs.request_id = r.id \
         WHERE s.status <> 'OPEN'",
    );
    if !is_everything(q) {
        let cond = in_list(&mut sql, q, scope, "r.dataset_id");
        sql.push(&format!(" AND {cond}"));
    }
    sql.push(&format!(
        " GROUP BY r.dataset_id ORDER BY COUNT(DISTINCT r.id) + COUNT(rs.account_id) DESC, requests DESC, r.dataset_id LIMIT {limit}"
    ));
    db.query_all_raw(sql.statement())
        .await?
        .into_iter()
        .map(|r| {
            Ok(Demand {
                dataset_id: r.try_get_by_index(0)?,
                requests: r.try_get_by_index::<i64>(1)? as u64,
                supporters: r.try_get_by_index::<i64>(2)? as u64,
            })
        })
        .collect()
}

/// Requests of the list (all requests, including unlisted data, when the list is everything).
fn request_scope(sql: &mut Sql, q: &DatasetQuery, scope: Scope<'_>) -> String {
    if is_everything(q) {
        "1 = 1".to_string()
    } else {
        in_list(sql, q, scope, "r.dataset_id")
    }
}

/// Requests per state.
pub async fn request_states<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
) -> Result<Vec<(String, u64)>, DbErr> {
    request_states_in(db, q, Scope::Sql(search)).await
}

/// [`request_states`] with the list given as a [`Scope`].
pub async fn request_states_in<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    scope: Scope<'_>,
) -> Result<Vec<(String, u64)>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    let scope = request_scope(&mut sql, q, scope);
    sql.push(&format!(
        "SELECT r.state, COUNT(*) AS n FROM data_request r WHERE {scope} GROUP BY r.state ORDER BY n DESC, r.state"
    ));
    db.query_all_raw(sql.statement())
        .await?
        .into_iter()
        .map(|r| {
            Ok((
                r.try_get_by_index::<String>(0)?,
                r.try_get_by_index::<i64>(1)? as u64,
            ))
        })
        .collect()
}

/// How fast institutions decide.
#[derive(Debug, Clone, Default)]
pub struct Turnaround {
    /// Requests decided.
    pub decided: u64,
    /// Mean days from filing to decision.
    pub average_days: Option<f64>,
    /// Decided on or before the decision deadline.
    pub within_deadline: u64,
    /// Awaiting the institution (a decision, an answer to reconsideration, provision after
    /// mediation) past the deadline of that step, as of `today`.
    pub overdue: u64,
    /// Of those, more than 30 days past the deadline.
    pub long_overdue: u64,
}

pub async fn turnaround<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    today: NaiveDate,
) -> Result<Turnaround, DbErr> {
    turnaround_in(db, q, Scope::Sql(search), today).await
}

/// [`turnaround`] with the list given as a [`Scope`].
pub async fn turnaround_in<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    scope: Scope<'_>,
    today: NaiveDate,
) -> Result<Turnaround, DbErr> {
    let backend = db.get_database_backend();
    let days = match backend {
        DbBackend::Postgres => "EXTRACT(EPOCH FROM (r.decided_at - r.filed_at)) / 86400.0",
        _ => "julianday(r.decided_at) - julianday(r.filed_at)",
    };
    let decided_day = match backend {
        DbBackend::Postgres => "CAST(r.decided_at AT TIME ZONE 'Asia/Seoul' AS DATE)",
        _ => "date(r.decided_at, '+9 hours')",
    };
    let mut sql = Sql::new(backend);
    let scope = request_scope(&mut sql, q, scope);
    let overdue = overdue_condition(&mut sql, "r", AWAITING_INSTITUTION, today, false);
    let long_overdue = overdue_condition(&mut sql, "r", AWAITING_INSTITUTION, today, true);
    sql.push(&format!(
        "SELECT SUM(CASE WHEN r.decided_at IS NOT NULL THEN 1 ELSE 0 END), \
                CAST(AVG(CASE WHEN r.decided_at IS NOT NULL THEN {days} END) AS DOUBLE PRECISION), \
                SUM(CASE WHEN r.decided_at IS NOT NULL AND {decided_day} <= r.decision_due_on THEN 1 ELSE 0 END), \
                SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END), \
                SUM(CASE WHEN {long_overdue} THEN 1 ELSE 0 END) \
         FROM data_request r WHERE {scope}"
    ));
    let Some(r) = db.query_one_raw(sql.statement()).await? else {
        return Ok(Turnaround::default());
    };
    Ok(Turnaround {
        decided: r.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0) as u64,
        average_days: r.try_get_by_index::<Option<f64>>(1)?,
        within_deadline: r.try_get_by_index::<Option<i64>>(2)?.unwrap_or(0) as u64,
        overdue: r.try_get_by_index::<Option<i64>>(3)?.unwrap_or(0) as u64,
        long_overdue: r.try_get_by_index::<Option<i64>>(4)?.unwrap_or(0) as u64,
    })
}
