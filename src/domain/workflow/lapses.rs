//! Mediation proposals that lapse: silence past the answer period counts as rejection. Queries
//! show a proposal lapsed at once ([`crate::domain::requests::effective_state`]); this records
//! the lapse as an event, by the system, when the sweep runs or when a late answer comes.

use chrono::{DateTime, Utc};
use entity::data_request;
use entity::enums::RequestState;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::{claim_version, record};
use crate::clock::seoul_date;
use crate::domain::Error;

/// Records that a proposal lapsed unanswered (silence counts as rejection).
pub(super) async fn lapse<C: ConnectionTrait>(
    txn: &C,
    r: data_request::Model,
    now: DateTime<Utc>,
) -> Result<data_request::Model, Error> {
    claim_version(txn, &r).await?;
    let from = r.state;
    let version = r.version;
    let mut m: data_request::ActiveModel = r.into();
    m.state = Set(RequestState::MediationLapsed);
    m.due_on = Set(None);
    m.version = Set(version + 1);
    m.updated_at = Set(now);
    let lapsed = m.update(txn).await?;
    record(
        txn,
        &lapsed,
        Some(from),
        None,
        Some("the proposal lapsed unanswered".into()),
        now,
    )
    .await?;
    Ok(lapsed)
}

/// Records every mediation proposal whose answer period has passed as lapsed, each in its own
/// write transaction (with an event for subscribers). Safe to run on several instances at once:
/// the version check lets exactly one of them record each lapse. Returns how many lapsed.
pub async fn lapse_expired(
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let today = seoul_date(now);
    let due: Vec<data_request::Model> = data_request::Entity::find()
        .filter(data_request::Column::State.eq(RequestState::MediationProposed))
        .filter(data_request::Column::DueOn.lt(today))
        .all(db)
        .await?;
    let mut n = 0;
    for r in due {
        let txn = crate::db::begin_write(db).await?;
        match lapse(&txn, r, now).await {
            Ok(_) => {
                txn.commit().await?;
                n += 1;
            }
            Err(Error::Db(e)) => return Err(e),
            // Someone answered or lapsed it meanwhile.
            Err(_) => txn.rollback().await?,
        }
    }
    Ok(n)
}
