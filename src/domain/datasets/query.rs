//! A dataset list as asked: filter, search and ordering; its `FROM … WHERE …` and its count.

use sea_orm::{ConnectionTrait, DbErr};

use super::filter::{self, Facet, Filter};
use super::search::{self, ResolvedSearch, Search};
use crate::domain::sql::Sql;

/// A dataset list: filter, search and order.
#[derive(Debug, Clone, Default)]
pub struct DatasetQuery {
    pub filter: Filter,
    pub search: Option<Search>,
    pub order: Order,
}

/// Orderings of a dataset list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Search rank, then id (the default with a search; without one, the same as `Id`).
    #[default]
    Relevance,
    Id,
    Title,
    RegisteredNewest,
    ModifiedNewest,
    MostViewed,
}

impl Order {
    /// The ordering's tag in cursors.
    pub fn tag(self) -> &'static str {
        match self {
            Order::Relevance => "r",
            Order::Id => "i",
            Order::Title => "t",
            Order::RegisteredNewest => "g",
            Order::ModifiedNewest => "m",
            Order::MostViewed => "v",
        }
    }
}

/// The effective ordering: relevance without a search is id order.
pub fn effective_order(q: &DatasetQuery) -> Order {
    if q.order == Order::Relevance && q.search.is_none() {
        Order::Id
    } else {
        q.order
    }
}

/// `FROM … WHERE …` of a dataset list.
pub fn from_where(
    sql: &mut Sql,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    skip: &[Facet],
) {
    sql.push(" FROM dataset d JOIN disclosure s ON s.dataset_id = d.id");
    if skip.contains(&Facet::InstitutionKind) {
        sql.push(" JOIN institution i ON i.id = d.institution_id");
    }
    let mut conds = filter::conditions(sql, &q.filter, skip);
    if let Some(search) = search {
        conds.extend(search::conditions(sql, search));
    }
    if !conds.is_empty() {
        sql.push(" WHERE ");
        sql.push(&conds.join(" AND "));
    }
}

/// How many datasets match.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
) -> Result<u64, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT COUNT(*) AS n");
    from_where(&mut sql, q, search, &[]);
    let row = db.query_one_raw(sql.statement()).await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0) as u64)
}
