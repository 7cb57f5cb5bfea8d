//! Which datasets a list holds: the filter, the facet dimensions a sidebar can leave out, and
//! the SQL conditions of the filter.

use chrono::NaiveDate;
use entity::enums::{Category, DatasetType, DisclosureStatus, InstitutionKind, WithholdingGround};
use sea_orm::ActiveEnum;

use crate::domain::requests::OPEN_STATES;
use crate::domain::sql::{Sql, enum_values};

/// Which datasets: every field narrows the list; `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub institution_codes: Option<Vec<String>>,
    pub include_sub_institutions: bool,
    pub institution_kinds: Option<Vec<InstitutionKind>>,
    pub categories: Option<Vec<Category>>,
    pub types: Option<Vec<DatasetType>>,
    pub statuses: Option<Vec<DisclosureStatus>>,
    pub grounds: Option<Vec<WithholdingGround>>,
    pub national_core: Option<bool>,
    pub standard: Option<bool>,
    pub synthetic: Option<bool>,
    pub listed: Option<bool>,
    pub registered_from: Option<NaiveDate>,
    pub registered_to: Option<NaiveDate>,
    pub modified_from: Option<NaiveDate>,
    pub modified_to: Option<NaiveDate>,
    pub has_open_requests: Option<bool>,
}

/// One dimension of the facets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Status,
    Ground,
    Category,
    Type,
    InstitutionKind,
}

/// Every facet dimension.
pub const ALL_FACETS: &[Facet] = &[
    Facet::Status,
    Facet::Ground,
    Facet::Category,
    Facet::Type,
    Facet::InstitutionKind,
];

/// The WHERE conditions of `filter`, leaving out the facets in `skip`; their parameters are
/// bound into `sql`.
pub fn conditions(sql: &mut Sql, filter: &Filter, skip: &[Facet]) -> Vec<String> {
    let mut c = Vec::new();
    if let Some(codes) = &filter.institution_codes {
        let list = sql.params(codes.iter().map(|s| s.trim().to_string()));
        if filter.include_sub_institutions {
            c.push(format!(
                "d.institution_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM institution WHERE code IN ({list}) \
                 UNION SELECT i.id FROM institution i JOIN sub ON i.parent_id = sub.id) SELECT id FROM sub)"
            ));
        } else {
            c.push(format!(
                "d.institution_id IN (SELECT id FROM institution WHERE code IN ({list}))"
            ));
        }
    }
    if let Some(kinds) = &filter.institution_kinds
        && !skip.contains(&Facet::InstitutionKind)
    {
        let list = sql.params(enum_values(kinds));
        c.push(format!(
            "d.institution_id IN (SELECT id FROM institution WHERE kind IN ({list}))"
        ));
    }
    if let Some(v) = &filter.categories
        && !skip.contains(&Facet::Category)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("d.category IN ({list})"));
    }
    if let Some(v) = &filter.types
        && !skip.contains(&Facet::Type)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("d.dataset_type IN ({list})"));
    }
    if let Some(v) = &filter.statuses
        && !skip.contains(&Facet::Status)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("s.status IN ({list})"));
    }
    if let Some(v) = &filter.grounds
        && !skip.contains(&Facet::Ground)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("s.ground IN ({list})"));
    }
    for (col, v) in [
        ("d.national_core", filter.national_core),
        ("d.standard", filter.standard),
        ("d.listed", filter.listed),
    ] {
        if let Some(b) = v {
            let p = sql.param(b);
            c.push(format!("{col} = {p}"));
        }
    }
    if let Some(s) = filter.synthetic {
        let p = sql.param("SYNTHETIC");
        c.push(format!("d.provenance {} {p}", if s { "=" } else { "<>" }));
    }
    for (col, op, v) in [
        ("d.registered_on", ">=", filter.registered_from),
        ("d.registered_on", "<=", filter.registered_to),
        ("d.modified_on", ">=", filter.modified_from),
        ("d.modified_on", "<=", filter.modified_to),
    ] {
        if let Some(date) = v {
            let p = sql.param(date);
            c.push(format!("{col} {op} {p}"));
        }
    }
    if let Some(open) = filter.has_open_requests {
        let states = sql.params(OPEN_STATES.iter().map(|s| s.to_value()));
        c.push(format!(
            "{} EXISTS (SELECT 1 FROM data_request r WHERE r.dataset_id = d.id AND r.state IN ({states}))",
            if open { "" } else { "NOT" }
        ));
    }
    c
}
