//! Facet counts of a dataset list: one grouped scan per list (datasets per combination of the
//! five facet values), then each facet's counts computed in memory without its own condition.

use sea_orm::{ActiveEnum, ConnectionTrait, DbErr};

use super::filter::{ALL_FACETS, Facet, Filter};
use super::query::{DatasetQuery, from_where};
use super::search::ResolvedSearch;
use crate::domain::sql::Sql;

/// Datasets counted per combination of the five facet values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub status: String,
    pub ground: Option<String>,
    pub category: String,
    pub dataset_type: String,
    pub kind: String,
    pub n: u64,
}

/// Counts per combination of facet values for the query **without** its facet conditions, in
/// one scan. [`facet_counts`] then applies the facet conditions in memory, leaving out each
/// facet's own, which gives exactly what one query per facet would.
pub async fn facet_groups<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
) -> Result<Vec<Group>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT s.status, s.ground, d.category, d.dataset_type, i.kind, COUNT(*) AS n");
    from_where(&mut sql, q, search, ALL_FACETS);
    sql.push(" GROUP BY s.status, s.ground, d.category, d.dataset_type, i.kind");
    let rows = db.query_all_raw(sql.statement()).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Group {
                status: r.try_get_by_index(0)?,
                ground: r.try_get_by_index(1)?,
                category: r.try_get_by_index(2)?,
                dataset_type: r.try_get_by_index(3)?,
                kind: r.try_get_by_index(4)?,
                n: r.try_get_by_index::<i64>(5)? as u64,
            })
        })
        .collect()
}

fn allowed<E: ActiveEnum<Value = String>>(list: &Option<Vec<E>>, v: Option<&str>) -> bool {
    match list {
        None => true,
        Some(l) => v.is_some_and(|v| l.iter().any(|e| e.to_value() == v)),
    }
}

fn passes(g: &Group, f: &Filter, except: Option<Facet>) -> bool {
    (except == Some(Facet::Status) || allowed(&f.statuses, Some(&g.status)))
        && (except == Some(Facet::Ground) || allowed(&f.grounds, g.ground.as_deref()))
        && (except == Some(Facet::Category) || allowed(&f.categories, Some(&g.category)))
        && (except == Some(Facet::Type) || allowed(&f.types, Some(&g.dataset_type)))
        && (except == Some(Facet::InstitutionKind) || allowed(&f.institution_kinds, Some(&g.kind)))
}

/// Datasets matching the whole query, from its groups.
pub fn total_from_groups(groups: &[Group], f: &Filter) -> u64 {
    groups
        .iter()
        .filter(|g| passes(g, f, None))
        .map(|g| g.n)
        .sum()
}

/// Counts per value of one dimension for the whole query (every condition applied).
pub fn totals_by(groups: &[Group], f: &Filter, facet: Facet) -> Vec<(String, u64)> {
    let all: Vec<Group> = groups
        .iter()
        .filter(|g| passes(g, f, None))
        .cloned()
        .collect();
    facet_counts(&all, &Filter::default(), facet)
}

/// Counts per value of one facet, for the query without its own condition on that facet (so a
/// sidebar shows what choosing another value would give); most frequent first, then by value.
/// Values with no dataset are left out; the ground facet counts only datasets that have one.
pub fn facet_counts(groups: &[Group], f: &Filter, facet: Facet) -> Vec<(String, u64)> {
    let mut acc: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for g in groups.iter().filter(|g| passes(g, f, Some(facet))) {
        let key = match facet {
            Facet::Status => Some(g.status.as_str()),
            Facet::Ground => g.ground.as_deref(),
            Facet::Category => Some(g.category.as_str()),
            Facet::Type => Some(g.dataset_type.as_str()),
            Facet::InstitutionKind => Some(g.kind.as_str()),
        };
        if let Some(k) = key {
            *acc.entry(k).or_default() += g.n;
        }
    }
    let mut v: Vec<(String, u64)> = acc.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}
