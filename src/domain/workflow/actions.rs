//! One function per action of the request workflow. Each runs after [`super::act`] has checked
//! the caller and the state against the table ([`super::table`]): it validates its own input,
//! writes its changes into the draft and returns the state it leads to. Writing the draft, the
//! version check and the history are [`super::act`]'s.

use chrono::{DateTime, NaiveDate, Utc};
use entity::data_request;
use entity::enums::{DatasetType, DisclosureStatus, RequestState, WithholdingGround};
use entity::{disclosure, request_event};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::{Caller, Decision};
use crate::clock::seoul_date;
use crate::domain::Error;
use crate::domain::deadlines::Deadlines;
use crate::domain::disclosure::{self as disclosure_change, Change};
use crate::domain::registry;

use RequestState::*;

/// A step being taken: the request as read, its changes so far, and the step's note for the
/// history.
pub(super) struct Draft<'a> {
    pub r: &'a data_request::Model,
    pub m: data_request::ActiveModel,
    pub note: Option<String>,
    pub cal: &'a Deadlines,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

impl<'a> Draft<'a> {
    pub fn new(
        r: &'a data_request::Model,
        cal: &'a Deadlines,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Self {
        Draft {
            r,
            m: r.clone().into(),
            note: None,
            cal,
            today,
            now,
        }
    }
}

/// The institution extends its decision deadline by `days`.
pub(super) fn extend(d: &mut Draft<'_>, days: u32, reason: &str) -> Result<RequestState, Error> {
    let cal = d.cal;
    if days == 0 || days > cal.extension_max_days {
        return Err(Error::Invalid(format!(
            "an extension is 1 to {} days",
            cal.extension_max_days
        )));
    }
    let due = cal.due(d.r.decision_due_on, days);
    d.m.decision_due_on = Set(due);
    d.m.due_on = Set(Some(due));
    d.m.extended = Set(true);
    d.note = Some(format!("extended to {due}: {reason}"));
    Ok(Extended)
}

/// The institution decides; a refusal or partial provision needs a ground and its wording.
pub(super) fn decide(
    d: &mut Draft<'_>,
    decision: Decision,
    ground: Option<WithholdingGround>,
    wording: Option<String>,
) -> Result<RequestState, Error> {
    let to = match decision {
        Decision::Provided => Provided,
        Decision::PartiallyProvided => PartiallyProvided,
        Decision::Refused => Refused,
        Decision::NotHeld => NotHeld,
    };
    if matches!(decision, Decision::Refused | Decision::PartiallyProvided) {
        needs_reason(ground, &wording)?;
    }
    d.m.decided_at = Set(Some(d.now));
    d.m.decision = Set(Some(to));
    d.m.ground = Set(ground);
    d.m.institution_wording = Set(wording);
    d.m.due_on = Set(None);
    Ok(to)
}

/// The requester asks for reconsideration, within its period after the refusal.
pub(super) fn ask_reconsideration(
    d: &mut Draft<'_>,
    reason: String,
) -> Result<RequestState, Error> {
    let (r, cal, today) = (d.r, d.cal, d.today);
    let since = r.decided_at.map(seoul_date).unwrap_or(r.decision_due_on);
    if Deadlines::passed(cal.due(since, cal.reconsideration_apply_days), today) {
        return Err(Error::Invalid(format!(
            "reconsideration must be asked within {} days of the refusal ({since})",
            cal.reconsideration_apply_days
        )));
    }
    let due = cal.due(today, cal.reconsideration_answer_days);
    d.m.due_on = Set(Some(due));
    d.note = Some(reason);
    Ok(Reconsideration)
}

/// The institution answers reconsideration: provides, or refuses again with a ground and wording.
pub(super) fn answer_reconsideration(
    d: &mut Draft<'_>,
    provide: bool,
    ground: Option<WithholdingGround>,
    wording: Option<String>,
) -> Result<RequestState, Error> {
    if !provide {
        needs_reason(ground, &wording)?;
    }
    d.m.decided_at = Set(Some(d.now));
    d.m.ground = Set(ground);
    d.m.institution_wording = Set(wording);
    d.m.due_on = Set(None);
    let to = if provide { Provided } else { RefusedAgain };
    d.m.decision = Set(Some(to));
    Ok(to)
}

/// The requester applies for mediation, within its period after the refusal (or the silence
/// counted as one).
pub(super) fn apply_for_mediation(
    d: &mut Draft<'_>,
    reason: String,
) -> Result<RequestState, Error> {
    let (cal, today) = (d.cal, d.today);
    let since = refusal_day(d.r, today);
    if Deadlines::passed(cal.due(since, cal.mediation_apply_days), today) {
        return Err(Error::Invalid(format!(
            "mediation must be applied for within {} days of the refusal or missed deadline ({since})",
            cal.mediation_apply_days
        )));
    }
    d.m.due_on = Set(Some(cal.due(today, cal.mediation_propose_days)));
    d.note = Some(reason);
    Ok(MediationApplied)
}

/// The committee proposes terms; the parties then have their answer period.
pub(super) fn propose(d: &mut Draft<'_>, terms: String) -> Result<RequestState, Error> {
    if terms.trim().is_empty() {
        return Err(Error::Invalid("a proposal needs its terms".into()));
    }
    d.m.due_on = Set(Some(d.cal.due(d.today, d.cal.proposal_answer_days)));
    d.note = Some(terms);
    Ok(MediationProposed)
}

/// The committee records a settlement.
pub(super) fn settle(d: &mut Draft<'_>) -> Result<RequestState, Error> {
    d.m.due_on = Set(None);
    Ok(MediationSettled)
}

/// The committee dismisses the application.
pub(super) fn dismiss(d: &mut Draft<'_>, reason: String) -> Result<RequestState, Error> {
    d.m.due_on = Set(None);
    d.note = Some(reason);
    Ok(MediationDismissed)
}

/// The requester withdraws the mediation application.
pub(super) fn withdraw_mediation(d: &mut Draft<'_>) -> Result<RequestState, Error> {
    d.m.due_on = Set(None);
    Ok(MediationWithdrawn)
}

/// A party answers the proposal: a rejection ends the mediation; an acceptance waits for the
/// other party's, and with both the institution has its provision period.
pub(super) async fn answer_proposal<C: ConnectionTrait>(
    txn: &C,
    d: &mut Draft<'_>,
    caller: &Caller,
    accept: bool,
) -> Result<RequestState, Error> {
    let r = d.r;
    let party = if caller.role == entity::enums::Role::Citizen {
        "citizen"
    } else {
        "officer"
    };
    // Answers since the proposal.
    let proposed_at = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(r.id))
        .filter(request_event::Column::ToState.eq(MediationProposed))
        .filter(request_event::Column::FromState.eq(MediationApplied))
        .order_by_desc(request_event::Column::Id)
        .one(txn)
        .await?
        .map(|e| e.id)
        .unwrap_or(0);
    let answers = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(r.id))
        .filter(request_event::Column::Id.gt(proposed_at))
        .filter(request_event::Column::Note.is_in(["citizen accepts", "officer accepts"]))
        .all(txn)
        .await?;
    if !accept {
        d.note = Some(format!("{party} rejects"));
        d.m.due_on = Set(None);
        return Ok(MediationRejected);
    }
    let other = if party == "citizen" {
        "officer accepts"
    } else {
        "citizen accepts"
    };
    d.note = Some(format!("{party} accepts"));
    if answers.iter().any(|e| e.note.as_deref() == Some(other)) {
        d.m.due_on = Set(Some(d.cal.due(d.today, d.cal.provision_days)));
        Ok(MediationAccepted)
    } else {
        Ok(MediationProposed)
    }
}

/// The institution provides after an accepted proposal.
pub(super) fn provide_after_mediation(d: &mut Draft<'_>) -> Result<RequestState, Error> {
    d.m.decided_at = Set(Some(d.now));
    d.m.decision = Set(Some(Provided));
    d.m.due_on = Set(None);
    Ok(Provided)
}

/// The requester withdraws the request.
pub(super) fn withdraw(d: &mut Draft<'_>) -> Result<RequestState, Error> {
    d.m.due_on = Set(None);
    Ok(Withdrawn)
}

fn needs_reason(ground: Option<WithholdingGround>, wording: &Option<String>) -> Result<(), Error> {
    if ground.is_none() || wording.as_deref().is_none_or(|w| w.trim().is_empty()) {
        return Err(Error::Invalid(
            "a refusal or partial provision needs a ground and the institution's wording".into(),
        ));
    }
    Ok(())
}

/// The day the refusal (or the silence counted as one) took effect: the mediation window runs
/// from here.
fn refusal_day(r: &data_request::Model, today: NaiveDate) -> NaiveDate {
    if super::table::decision_missed(r, today) {
        r.decision_due_on
    } else if super::table::reconsideration_missed(r, today) {
        r.due_on.unwrap_or(today)
    } else {
        r.decided_at.map(seoul_date).unwrap_or(today)
    }
}

/// Providing opens a listed dataset (in the same transaction) or registers the unlisted data.
pub(super) async fn provide<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    r: data_request::Model,
    now: DateTime<Utc>,
) -> Result<data_request::Model, Error> {
    let dataset_id = match r.dataset_id {
        Some(d) => {
            let disc = disclosure::Entity::find_by_id(d).one(txn).await?;
            if let Some(disc) = disc
                && disc.status != DisclosureStatus::Open
            {
                let change = Change {
                    status: DisclosureStatus::Open,
                    ground: None,
                    explanation: Some(format!("provided on request {}", r.id)),
                    mitigation: Vec::new(),
                    planned_open_on: None,
                    next_review_on: None,
                };
                disclosure_change::apply(
                    txn,
                    d,
                    disc.version,
                    &change,
                    &caller.label,
                    Some(caller.account_id),
                    now,
                )
                .await?;
            }
            d
        }
        None => register_unlisted(txn, caller, &r, now).await?,
    };
    let mut m: data_request::ActiveModel = r.into();
    m.provided_dataset_id = Set(Some(dataset_id));
    Ok(m.update(txn).await?)
}

/// Registers the unlisted data a request asked for, open, under the institution asked.
async fn register_unlisted<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    r: &data_request::Model,
    now: DateTime<Utc>,
) -> Result<i64, Error> {
    let desc = r.unlisted_description.clone().unwrap_or_default();
    let d = registry::NewDataset {
        institution_id: r.institution_id,
        title: desc.chars().take(100).collect(),
        description: desc,
        category: entity::enums::Category::PublicAdministration,
        dataset_type: DatasetType::File,
        keywords: Vec::new(),
        format: None,
        disclosure: Change {
            status: DisclosureStatus::Open,
            ground: None,
            explanation: Some(format!("registered when request {} was provided", r.id)),
            mitigation: Vec::new(),
            planned_open_on: None,
            next_review_on: None,
        },
    };
    let ds = registry::register_dataset(txn, d, &caller.label, caller.account_id, now).await?;
    Ok(ds.id)
}
