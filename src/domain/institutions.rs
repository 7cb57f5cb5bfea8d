//! Institutions: the kind a portal code implies, parents guessed from names, the hierarchy
//! below an institution (an officer's scope), and each institution's record (datasets per
//! status and ground, national-core and standard datasets, requests pending and overdue).

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::enums::InstitutionKind;
use entity::institution;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use crate::domain::requests::{AWAITING_INSTITUTION, OPEN_STATES, overdue_condition};
use crate::domain::sql::Sql;

/// The kind the first character of a portal code implies (DOMAIN.md): `1` central government,
/// `6` metropolitan governments, `3`–`5` local governments, `7` national universities, `8`/`9`
/// offices of education, `A`–`D` public institutions; anything else is `Other`.
pub fn kind_from_code(code: &str) -> InstitutionKind {
    match code.trim().chars().next().map(|c| c.to_ascii_uppercase()) {
        Some('1') => InstitutionKind::CentralGovernment,
        Some('6') => InstitutionKind::MetropolitanGovernment,
        Some('3' | '4' | '5') => InstitutionKind::LocalGovernment,
        Some('7') => InstitutionKind::NationalUniversity,
        Some('8' | '9') => InstitutionKind::OfficeOfEducation,
        Some('A' | 'B' | 'C' | 'D') => InstitutionKind::PublicInstitution,
        _ => InstitutionKind::Other,
    }
}

/// The likely parent's name of a local body named "`<parent> <child>`" (e.g. "경기도 성남시" → "경기도").
/// Only a guess: it is stored unconfirmed until an admin confirms it.
pub fn guessed_parent_name(name: &str) -> Option<&str> {
    let (head, tail) = name.trim().split_once(' ')?;
    (!tail.trim().is_empty()).then_some(head)
}

/// The institutions an officer of `institution_id` acts for: it and its **confirmed**
/// sub-institutions, recursively.
pub async fn officer_scope<C: ConnectionTrait>(
    db: &C,
    institution_id: i64,
) -> Result<Vec<i64>, DbErr> {
    below(db, institution_id, true).await
}

/// The institution and every institution below it, confirmed or not (for cycle checks).
pub async fn with_all_below<C: ConnectionTrait>(
    db: &C,
    institution_id: i64,
) -> Result<Vec<i64>, DbErr> {
    below(db, institution_id, false).await
}

async fn below<C: ConnectionTrait>(
    db: &C,
    institution_id: i64,
    confirmed_only: bool,
) -> Result<Vec<i64>, DbErr> {
    let mut all = vec![institution_id];
    let mut frontier = vec![institution_id];
    while !frontier.is_empty() {
        let mut q = institution::Entity::find()
            .select_only()
            .column(institution::Column::Id)
            .filter(institution::Column::ParentId.is_in(frontier.clone()));
        if confirmed_only {
            q = q.filter(institution::Column::ParentConfirmed.eq(true));
        }
        let children: Vec<i64> = q.into_tuple().all(db).await?;
        frontier = children.into_iter().filter(|c| !all.contains(c)).collect();
        all.extend(&frontier);
    }
    Ok(all)
}

/// Counts that make an institution's record.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// Datasets per disclosure status (stored value).
    pub by_status: Vec<(String, u64)>,
    /// Withheld or partially open datasets per ground (stored value).
    pub by_ground: Vec<(String, u64)>,
    /// Datasets flagged national core data, whatever their status.
    pub national_core: u64,
    /// Datasets flagged standard data, whatever their status.
    pub standard: u64,
    /// Requests still open.
    pub requests_pending: u64,
    /// Requests awaiting the institution past the deadline of their current step.
    pub requests_overdue: u64,
    /// Datasets due for review under open by default (counted by the catalog,
    /// [`crate::catalog::review::count`]; [`records`] leaves it 0).
    pub review_due: u64,
}

/// The records of the institutions `ids` as of `today`, in two grouped statements whatever
/// their number; every id gets a record (empty when it holds nothing).
pub async fn records<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    today: NaiveDate,
) -> Result<HashMap<i64, Record>, DbErr> {
    let backend = db.get_database_backend();
    let mut out: HashMap<i64, Record> = ids.iter().map(|id| (*id, Record::default())).collect();
    let mut sql = Sql::new(backend);
    let list = sql.params(ids.iter().copied());
    sql.push(&format!(
        "SELECT d.institution_id, s.status, s.ground, COUNT(*), \
         SUM(CASE WHEN d.national_core THEN 1 ELSE 0 END), SUM(CASE WHEN d.standard THEN 1 ELSE 0 END) \
         FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
         WHERE d.institution_id IN ({list}) GROUP BY d.institution_id, s.status, s.ground"
    ));
    for r in db.query_all_raw(sql.statement()).await? {
        let id: i64 = r.try_get_by_index(0)?;
        let status: String = r.try_get_by_index(1)?;
        let ground: Option<String> = r.try_get_by_index(2)?;
        let n = r.try_get_by_index::<i64>(3)? as u64;
        let rec = out.entry(id).or_default();
        rec.national_core += r.try_get_by_index::<i64>(4)? as u64;
        rec.standard += r.try_get_by_index::<i64>(5)? as u64;
        match rec.by_status.iter_mut().find(|(s, _)| *s == status) {
            Some((_, c)) => *c += n,
            None => rec.by_status.push((status, n)),
        }
        // A ground can stand behind both withheld and partially open entries: one row each.
        if let Some(g) = ground {
            match rec.by_ground.iter_mut().find(|(x, _)| *x == g) {
                Some((_, c)) => *c += n,
                None => rec.by_ground.push((g, n)),
            }
        }
    }
    let mut sql = Sql::new(backend);
    let list = sql.params(ids.iter().copied());
    let open = sql.params(OPEN_STATES.iter().map(|s| s.to_value()));
    let overdue = overdue_condition(&mut sql, "r", AWAITING_INSTITUTION, today, false);
    sql.push(&format!(
        "SELECT r.institution_id, SUM(CASE WHEN r.state IN ({open}) THEN 1 ELSE 0 END), \
                SUM(CASE WHEN {overdue} THEN 1 ELSE 0 END) \
         FROM data_request r WHERE r.institution_id IN ({list}) GROUP BY r.institution_id"
    ));
    for r in db.query_all_raw(sql.statement()).await? {
        let id: i64 = r.try_get_by_index(0)?;
        let rec = out.entry(id).or_default();
        rec.requests_pending = r.try_get_by_index::<Option<i64>>(1)?.unwrap_or(0) as u64;
        rec.requests_overdue = r.try_get_by_index::<Option<i64>>(2)?.unwrap_or(0) as u64;
    }
    for rec in out.values_mut() {
        rec.by_status
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rec.by_ground
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_first_character() {
        assert_eq!(
            kind_from_code("1741000"),
            InstitutionKind::CentralGovernment
        );
        assert_eq!(
            kind_from_code("6110000"),
            InstitutionKind::MetropolitanGovernment
        );
        assert_eq!(kind_from_code("3000000"), InstitutionKind::LocalGovernment);
        assert_eq!(
            kind_from_code("B552895"),
            InstitutionKind::PublicInstitution
        );
        assert_eq!(
            kind_from_code("7010000"),
            InstitutionKind::NationalUniversity
        );
        assert_eq!(kind_from_code("9999"), InstitutionKind::OfficeOfEducation);
        assert_eq!(kind_from_code("Z1"), InstitutionKind::Other);
        assert_eq!(guessed_parent_name("경기도 성남시"), Some("경기도"));
        assert_eq!(guessed_parent_name("행정안전부"), None);
    }
}
