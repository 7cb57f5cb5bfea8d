//! National core-data bundles: which datasets each holds, and which bundles concern an
//! institution.

use std::collections::HashMap;

use entity::core_bundle;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::domain::sql::Sql;

/// The first `first` dataset ids (ascending) of each bundle in `bundles`, in one statement
/// whatever their number (the links numbered within each bundle); bundles without datasets are
/// absent.
pub async fn first_datasets<C: ConnectionTrait>(
    db: &C,
    bundles: &[i64],
    first: u64,
) -> Result<HashMap<i64, Vec<i64>>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    let list = sql.params(bundles.iter().copied());
    let limit = sql.param(first as i64);
    sql.push(&format!(
        "SELECT bundle_id, dataset_id FROM (\
           SELECT bundle_id, dataset_id, \
                  ROW_NUMBER() OVER (PARTITION BY bundle_id ORDER BY dataset_id) AS rn \
             FROM core_bundle_dataset WHERE bundle_id IN ({list})) AS l \
         WHERE rn <= {limit} ORDER BY bundle_id, dataset_id"
    ));
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in db.query_all_raw(sql.statement()).await? {
        let bundle: i64 = r.try_get_by_index(0)?;
        out.entry(bundle).or_default().push(r.try_get_by_index(1)?);
    }
    Ok(out)
}

/// The bundles each of `institutions` leads or holds a dataset of (its own datasets, as its
/// record counts them), by bundle id, in one statement; institutions without any are absent.
pub async fn of_institutions<C: ConnectionTrait>(
    db: &C,
    institutions: &[i64],
) -> Result<HashMap<i64, Vec<core_bundle::Model>>, DbErr> {
    let mut out: HashMap<i64, Vec<core_bundle::Model>> = HashMap::new();
    if institutions.is_empty() {
        return Ok(out);
    }
    let mut sql = Sql::new(db.get_database_backend());
    let leads = sql.params(institutions.iter().copied());
    let holders = sql.params(institutions.iter().copied());
    sql.push(&format!(
        "SELECT x.institution_id AS concerned_institution_id, b.* FROM core_bundle b JOIN (\
           SELECT lead_institution_id AS institution_id, id AS bundle_id FROM core_bundle \
            WHERE lead_institution_id IN ({leads}) \
           UNION SELECT d.institution_id, l.bundle_id FROM core_bundle_dataset l \
             JOIN dataset d ON d.id = l.dataset_id WHERE d.institution_id IN ({holders})\
         ) x ON x.bundle_id = b.id ORDER BY x.institution_id, b.id"
    ));
    for r in db.query_all_raw(sql.statement()).await? {
        let institution: i64 = r.try_get("", "concerned_institution_id")?;
        out.entry(institution)
            .or_default()
            .push(core_bundle::Model::from_query_result(&r, "")?);
    }
    Ok(out)
}
