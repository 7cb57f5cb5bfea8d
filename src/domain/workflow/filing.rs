//! Filing a request, supporting and following one: what citizens do besides the workflow's
//! steps.

use chrono::{DateTime, Utc};
use entity::enums::{DisclosureStatus, RequestState};
use entity::{data_request, dataset, disclosure, request_follower, request_supporter};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};

use super::{Caller, load, record};
use crate::clock::seoul_date;
use crate::domain::Error;
use crate::domain::deadlines::Deadlines;
use crate::domain::requests::OPEN_STATES;
use crate::events;

/// Files a request for a listed, not-open dataset or for unlisted data of an institution.
#[allow(clippy::too_many_arguments)]
pub async fn file<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    dataset_id: Option<i64>,
    unlisted: Option<(i64, String)>,
    purpose: &str,
    cal: &Deadlines,
    now: DateTime<Utc>,
) -> Result<data_request::Model, Error> {
    let purpose = purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 2000 {
        return Err(Error::Invalid(
            "purpose must be 1 to 2000 characters".into(),
        ));
    }
    let (dataset_id, institution_id, description) = match (dataset_id, unlisted) {
        (Some(d), None) => {
            let ds = dataset::Entity::find_by_id(d)
                .one(txn)
                .await?
                .ok_or_else(|| Error::NotFound("no such dataset".into()))?;
            let disc = disclosure::Entity::find_by_id(d).one(txn).await?;
            if disc.is_some_and(|s| s.status == DisclosureStatus::Open) {
                return Err(Error::Invalid(
                    "this dataset is already open: download it from its portal page".into(),
                ));
            }
            // One open request per citizen per dataset; others support it. The lock makes two
            // concurrent filings by the same citizen check one after the other.
            crate::db::lock_for_check(txn, "file-request", &caller.account_id.to_string()).await?;
            let mine = data_request::Entity::find()
                .filter(data_request::Column::DatasetId.eq(d))
                .filter(data_request::Column::RequesterId.eq(caller.account_id))
                .filter(data_request::Column::State.is_in(OPEN_STATES.iter().copied()))
                .one(txn)
                .await?;
            if let Some(m) = mine {
                return Err(Error::Conflict(format!(
                    "you already have an open request for this dataset (DataRequest {}); support or follow requests instead of filing twice",
                    m.id
                )));
            }
            (Some(d), ds.institution_id, None)
        }
        (None, Some((inst, desc))) => {
            let desc = desc.trim().to_string();
            if desc.chars().count() < 5 || desc.chars().count() > 2000 {
                return Err(Error::Invalid(
                    "describe the unlisted data in 5 to 2000 characters".into(),
                ));
            }
            (None, inst, Some(desc))
        }
        _ => {
            return Err(Error::Invalid(
                "give either a dataset or a description of unlisted data with its institution"
                    .into(),
            ));
        }
    };
    let filed = seoul_date(now);
    let due = cal.due(filed, cal.decision_days);
    let r = data_request::ActiveModel {
        id: NotSet,
        requester_id: Set(caller.account_id),
        dataset_id: Set(dataset_id),
        institution_id: Set(institution_id),
        unlisted_description: Set(description),
        purpose: Set(purpose.to_string()),
        state: Set(RequestState::Received),
        filed_at: Set(now),
        due_on: Set(Some(due)),
        decision_due_on: Set(due),
        extended: Set(false),
        decided_at: Set(None),
        decision: Set(None),
        ground: Set(None),
        institution_wording: Set(None),
        provided_dataset_id: Set(None),
        synthetic: Set(false),
        version: Set(1),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    record(
        txn,
        &r,
        None,
        Some(caller),
        Some(format!("filed; decision due {due}")),
        now,
    )
    .await?;
    Ok(r)
}

/// Adds the caller's support to a request (idempotent); returns the number of supporters.
pub async fn support<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    request_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let r = load(txn, request_id).await?;
    if r.requester_id == caller.account_id {
        return Err(Error::Invalid(
            "you filed this request; support is for other citizens".into(),
        ));
    }
    if !OPEN_STATES.contains(&r.state) {
        return Err(Error::Invalid(format!(
            "the request is {}; only open requests take support",
            r.state.to_value()
        )));
    }
    let exists = request_supporter::Entity::find_by_id((request_id, caller.account_id))
        .one(txn)
        .await?
        .is_some();
    if !exists {
        request_supporter::ActiveModel {
            request_id: Set(request_id),
            account_id: Set(caller.account_id),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
        events::audit(
            txn,
            &caller.label,
            "supportRequest",
            "data_request",
            request_id,
            now,
        )
        .await?;
    }
    Ok(request_supporter::Entity::find()
        .filter(request_supporter::Column::RequestId.eq(request_id))
        .count(txn)
        .await?)
}

/// Follows a request (idempotent).
pub async fn follow<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    request_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    load(txn, request_id).await?;
    if request_follower::Entity::find_by_id((request_id, caller.account_id))
        .one(txn)
        .await?
        .is_none()
    {
        request_follower::ActiveModel {
            request_id: Set(request_id),
            account_id: Set(caller.account_id),
            created_at: Set(now),
        }
        .insert(txn)
        .await?;
        events::audit(
            txn,
            &caller.label,
            "followRequest",
            "data_request",
            request_id,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Stops following a request; not following it is no error (the end state is the same).
pub async fn unfollow<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    request_id: i64,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    load(txn, request_id).await?;
    let gone = request_follower::Entity::delete_by_id((request_id, caller.account_id))
        .exec(txn)
        .await?;
    if gone.rows_affected > 0 {
        events::audit(
            txn,
            &caller.label,
            "unfollowRequest",
            "data_request",
            request_id,
            now,
        )
        .await?;
    }
    Ok(())
}
