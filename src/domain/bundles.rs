//! National core-data bundles: which datasets each holds.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

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
