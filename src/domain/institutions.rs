//! Institutions: the kind a portal code implies, parents guessed from names, and the hierarchy
//! below an institution (an officer's scope).

use entity::enums::InstitutionKind;
use entity::institution;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

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

/// The likely parent's name of a local body named "<parent> <child>" (e.g. "경기도 성남시" → "경기도").
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
