//! The request workflow: filing, support, decisions, reconsideration and mediation, with
//! deadlines from [`Deadlines`] and time from the caller's clock. Every function works inside the
//! caller's write transaction and leaves a request event (and an outbox event) behind.
//!
//! ```text
//! RECEIVED ─extend→ EXTENDED
//! RECEIVED|EXTENDED ─decide→ PROVIDED | PARTIALLY_PROVIDED | REFUSED | NOT_HELD
//!   (a missed decision deadline counts as a refusal for what follows)
//! REFUSED|PARTIALLY_PROVIDED|NOT_HELD|missed ─ask→ RECONSIDERATION ─answer→ PROVIDED | REFUSED_AGAIN
//! REFUSED|REFUSED_AGAIN|PARTIALLY_PROVIDED|NOT_HELD|missed ─apply→ MEDIATION_APPLIED
//! MEDIATION_APPLIED ─propose→ MEDIATION_PROPOSED | ─settle→ MEDIATION_SETTLED | ─dismiss→ MEDIATION_DISMISSED
//! MEDIATION_PROPOSED ─both accept→ MEDIATION_ACCEPTED ─provide→ PROVIDED
//!                    ─either rejects→ MEDIATION_REJECTED   (silence past the deadline: MEDIATION_LAPSED)
//! MEDIATION_APPLIED|MEDIATION_PROPOSED ─withdraw mediation→ MEDIATION_WITHDRAWN
//! any open state ─withdraw→ WITHDRAWN
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{DatasetType, DisclosureStatus, RequestState, Role, WithholdingGround};
use entity::{
    data_request, dataset, disclosure, request_event, request_follower, request_supporter,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
};

use crate::clock::seoul_date;
use crate::domain::Error;
use crate::domain::deadlines::Deadlines;
use crate::domain::disclosure::{self as disclosure_change, Change};

use crate::domain::registry;
use crate::domain::requests::{self, OPEN_STATES};
use crate::events::{self, Event, RequestChanged};

/// Who acts.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account_id: i64,
    pub role: Role,
    /// Institutions an officer acts for (its own and confirmed sub-institutions).
    pub scope: Vec<i64>,
    /// For history: `citizen:12`.
    pub label: String,
}

fn state_name(s: RequestState) -> String {
    s.to_value()
}

/// A decision an institution can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Provided,
    PartiallyProvided,
    Refused,
    NotHeld,
}

/// Actions on a request.
#[derive(Debug, Clone)]
pub enum Action {
    Extend {
        days: u32,
        reason: String,
    },
    Decide {
        decision: Decision,
        ground: Option<WithholdingGround>,
        wording: Option<String>,
    },
    AskReconsideration {
        reason: String,
    },
    AnswerReconsideration {
        provide: bool,
        ground: Option<WithholdingGround>,
        wording: Option<String>,
    },
    ApplyMediation {
        reason: String,
    },
    Propose {
        terms: String,
    },
    Settle,
    Dismiss {
        reason: String,
    },
    WithdrawMediation,
    AnswerProposal {
        accept: bool,
    },
    ProvideAfterMediation,
    Withdraw,
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Extend { .. } => "extend",
            Action::Decide { .. } => "decide",
            Action::AskReconsideration { .. } => "ask for reconsideration of",
            Action::AnswerReconsideration { .. } => "answer reconsideration of",
            Action::ApplyMediation { .. } => "apply for mediation on",
            Action::Propose { .. } => "propose on",
            Action::Settle => "settle",
            Action::Dismiss { .. } => "dismiss",
            Action::WithdrawMediation => "withdraw mediation of",
            Action::AnswerProposal { .. } => "answer the proposal on",
            Action::ProvideAfterMediation => "provide after mediation on",
            Action::Withdraw => "withdraw",
        }
    }
}

/// Whether the institution missed its decision deadline (which counts as a refusal).
pub fn decision_missed(r: &data_request::Model, today: NaiveDate) -> bool {
    matches!(r.state, RequestState::Received | RequestState::Extended)
        && Deadlines::passed(r.decision_due_on, today)
}

/// Whether the institution let a reconsideration go unanswered past its deadline (which, like a
/// missed decision, counts as a refusal: the requester may go to mediation).
pub fn reconsideration_missed(r: &data_request::Model, today: NaiveDate) -> bool {
    r.state == RequestState::Reconsideration
        && r.due_on.is_some_and(|d| Deadlines::passed(d, today))
}

fn refused_like(r: &data_request::Model, today: NaiveDate, cal: &Deadlines) -> bool {
    matches!(
        r.state,
        RequestState::Refused
            | RequestState::PartiallyProvided
            | RequestState::NotHeld
            | RequestState::RefusedAgain
    ) || (cal.silence_counts_as_refusal
        && (decision_missed(r, today) || reconsideration_missed(r, today)))
}

/// The day the refusal (or the silence counted as one) took effect: the mediation window runs
/// from here.
fn refusal_day(r: &data_request::Model, today: NaiveDate) -> NaiveDate {
    if decision_missed(r, today) {
        r.decision_due_on
    } else if reconsideration_missed(r, today) {
        r.due_on.unwrap_or(today)
    } else {
        r.decided_at.map(seoul_date).unwrap_or(today)
    }
}

/// The next steps open to someone from the current state (for error messages and clients).
pub fn allowed_steps(
    r: &data_request::Model,
    today: NaiveDate,
    cal: &Deadlines,
) -> Vec<&'static str> {
    use RequestState::*;
    let mut v = Vec::new();
    match requests::effective_state(r.state, r.due_on, today) {
        Received if !decision_missed(r, today) => v.extend(["extend", "decide", "withdraw"]),
        Received => v.extend(["decide", "withdraw"]),
        Extended => v.extend(["decide", "withdraw"]),
        Reconsideration => v.extend(["answer reconsideration", "withdraw"]),
        MediationApplied => v.extend([
            "propose",
            "settle",
            "dismiss",
            "withdraw mediation",
            "withdraw",
        ]),
        MediationProposed => v.extend(["answer the proposal", "withdraw mediation", "withdraw"]),
        MediationAccepted => v.extend(["provide after mediation"]),
        _ => {}
    }
    if refused_like(r, today, cal) {
        if r.state != RefusedAgain && r.state != Reconsideration {
            v.push("ask for reconsideration");
        }
        v.push("apply for mediation");
    }
    if v.is_empty() {
        v.push("none (the request is closed)");
    }
    v
}

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

/// Appends the request event and its outbox event; `caller` is `None` for what the workflow does
/// by itself (a proposal lapsing).
async fn record<C: ConnectionTrait>(
    txn: &C,
    r: &data_request::Model,
    from: Option<RequestState>,
    caller: Option<&Caller>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    request_event::ActiveModel {
        id: NotSet,
        request_id: Set(r.id),
        from_state: Set(from),
        to_state: Set(r.state),
        actor_role: Set(caller
            .map(|c| crate::auth::role_name(&c.role))
            .unwrap_or("system")
            .to_string()),
        actor_account_id: Set(caller.map(|c| c.account_id)),
        note: Set(note),
        due_on: Set(r.due_on),
        occurred_at: Set(now),
    }
    .insert(txn)
    .await?;
    // No requester in the outbox: subscribers of every kind read it.
    events::append(
        txn,
        vec![Event::Request(RequestChanged {
            request_id: r.id,
            from,
            state: r.state,
            institution_id: r.institution_id,
            dataset_id: r.dataset_id,
        })],
        now,
    )
    .await
    .map(|_| ())
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
            state_name(r.state)
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

pub async fn load<C: ConnectionTrait>(txn: &C, id: i64) -> Result<data_request::Model, Error> {
    data_request::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no data request {id}")))
}

fn require_requester(r: &data_request::Model, c: &Caller) -> Result<(), Error> {
    if c.role != Role::Citizen || r.requester_id != c.account_id {
        return Err(Error::Forbidden(
            "only the citizen who filed this request may do this".into(),
        ));
    }
    Ok(())
}

fn require_institution(r: &data_request::Model, c: &Caller) -> Result<(), Error> {
    if c.role != Role::Officer || !c.scope.contains(&r.institution_id) {
        return Err(Error::Forbidden(
            "only an officer of the institution asked may do this".into(),
        ));
    }
    Ok(())
}

fn require_mediator(c: &Caller) -> Result<(), Error> {
    if c.role != Role::Mediator {
        return Err(Error::Forbidden(
            "only the mediation committee may do this".into(),
        ));
    }
    Ok(())
}

fn needs_reason(ground: Option<WithholdingGround>, wording: &Option<String>) -> Result<(), Error> {
    if ground.is_none() || wording.as_deref().is_none_or(|w| w.trim().is_empty()) {
        return Err(Error::Invalid(
            "a refusal or partial provision needs a ground and the institution's wording".into(),
        ));
    }
    Ok(())
}

/// Applies an action, checking who may take it and whether the state allows it.
pub async fn act<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    request_id: i64,
    action: Action,
    cal: &Deadlines,
    now: DateTime<Utc>,
) -> Result<data_request::Model, Error> {
    use RequestState::*;
    let r = load(txn, request_id).await?;
    let today = seoul_date(now);
    let invalid = || Error::Transition {
        action: action.name(),
        current: state_name(r.state),
        allowed: allowed_steps(&r, today, cal),
    };
    let mut m: data_request::ActiveModel = r.clone().into();
    let mut note: Option<String> = None;
    let to = match &action {
        Action::Extend { days, reason } => {
            require_institution(&r, caller)?;
            if r.state != Received || decision_missed(&r, today) {
                return Err(invalid());
            }
            if *days == 0 || *days > cal.extension_max_days {
                return Err(Error::Invalid(format!(
                    "an extension is 1 to {} days",
                    cal.extension_max_days
                )));
            }
            let due = cal.due(r.decision_due_on, *days);
            m.decision_due_on = Set(due);
            m.due_on = Set(Some(due));
            m.extended = Set(true);
            note = Some(format!("extended to {due}: {reason}"));
            Extended
        }
        Action::Decide {
            decision,
            ground,
            wording,
        } => {
            require_institution(&r, caller)?;
            if !matches!(r.state, Received | Extended) {
                return Err(invalid());
            }
            let to = match decision {
                Decision::Provided => Provided,
                Decision::PartiallyProvided => PartiallyProvided,
                Decision::Refused => Refused,
                Decision::NotHeld => NotHeld,
            };
            if matches!(decision, Decision::Refused | Decision::PartiallyProvided) {
                needs_reason(*ground, wording)?;
            }
            m.decided_at = Set(Some(now));
            m.decision = Set(Some(to));
            m.ground = Set(*ground);
            m.institution_wording = Set(wording.clone());
            m.due_on = Set(None);
            to
        }
        Action::AskReconsideration { reason } => {
            require_requester(&r, caller)?;
            let since = r.decided_at.map(seoul_date).unwrap_or(r.decision_due_on);
            let may_ask = matches!(r.state, Refused | PartiallyProvided | NotHeld)
                || (cal.silence_counts_as_refusal && decision_missed(&r, today));
            if !may_ask {
                return Err(invalid());
            }
            if Deadlines::passed(cal.due(since, cal.reconsideration_apply_days), today) {
                return Err(Error::Invalid(format!(
                    "reconsideration must be asked within {} days of the refusal ({since})",
                    cal.reconsideration_apply_days
                )));
            }
            let due = cal.due(today, cal.reconsideration_answer_days);
            m.due_on = Set(Some(due));
            note = Some(reason.clone());
            Reconsideration
        }
        Action::AnswerReconsideration {
            provide,
            ground,
            wording,
        } => {
            require_institution(&r, caller)?;
            if r.state != Reconsideration {
                return Err(invalid());
            }
            if !provide {
                needs_reason(*ground, wording)?;
            }
            m.decided_at = Set(Some(now));
            m.ground = Set(*ground);
            m.institution_wording = Set(wording.clone());
            m.due_on = Set(None);
            let to = if *provide { Provided } else { RefusedAgain };
            m.decision = Set(Some(to));
            to
        }
        Action::ApplyMediation { reason } => {
            require_requester(&r, caller)?;
            if !refused_like(&r, today, cal) {
                return Err(invalid());
            }
            let since = refusal_day(&r, today);
            if Deadlines::passed(cal.due(since, cal.mediation_apply_days), today) {
                return Err(Error::Invalid(format!(
                    "mediation must be applied for within {} days of the refusal or missed deadline ({since})",
                    cal.mediation_apply_days
                )));
            }
            m.due_on = Set(Some(cal.due(today, cal.mediation_propose_days)));
            note = Some(reason.clone());
            MediationApplied
        }
        Action::Propose { terms } => {
            require_mediator(caller)?;
            if r.state != MediationApplied {
                return Err(invalid());
            }
            if terms.trim().is_empty() {
                return Err(Error::Invalid("a proposal needs its terms".into()));
            }
            m.due_on = Set(Some(cal.due(today, cal.proposal_answer_days)));
            note = Some(terms.clone());
            MediationProposed
        }
        Action::Settle => {
            require_mediator(caller)?;
            if r.state != MediationApplied {
                return Err(invalid());
            }
            m.due_on = Set(None);
            MediationSettled
        }
        Action::Dismiss { reason } => {
            require_mediator(caller)?;
            if !matches!(r.state, MediationApplied | MediationProposed) {
                return Err(invalid());
            }
            m.due_on = Set(None);
            note = Some(reason.clone());
            MediationDismissed
        }
        Action::WithdrawMediation => {
            require_requester(&r, caller)?;
            if !matches!(r.state, MediationApplied | MediationProposed) {
                return Err(invalid());
            }
            m.due_on = Set(None);
            MediationWithdrawn
        }
        Action::AnswerProposal { accept } => {
            let party = if caller.role == Role::Citizen {
                require_requester(&r, caller)?;
                "citizen"
            } else {
                require_institution(&r, caller)?;
                "officer"
            };
            if r.state != MediationProposed {
                return Err(invalid());
            }
            if requests::effective_state(r.state, r.due_on, today) == MediationLapsed {
                // Silence counted as rejection: the proposal lapsed before this answer came.
                return lapse(txn, r, now).await;
            }
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
                note = Some(format!("{party} rejects"));
                m.due_on = Set(None);
                MediationRejected
            } else {
                let other = if party == "citizen" {
                    "officer accepts"
                } else {
                    "citizen accepts"
                };
                note = Some(format!("{party} accepts"));
                if answers.iter().any(|e| e.note.as_deref() == Some(other)) {
                    m.due_on = Set(Some(cal.due(today, cal.provision_days)));
                    MediationAccepted
                } else {
                    MediationProposed
                }
            }
        }
        Action::ProvideAfterMediation => {
            require_institution(&r, caller)?;
            if r.state != MediationAccepted {
                return Err(invalid());
            }
            m.decided_at = Set(Some(now));
            m.decision = Set(Some(Provided));
            m.due_on = Set(None);
            Provided
        }
        Action::Withdraw => {
            require_requester(&r, caller)?;
            if !OPEN_STATES.contains(&r.state) {
                return Err(invalid());
            }
            m.due_on = Set(None);
            Withdrawn
        }
    };
    claim_version(txn, &r).await?;
    m.state = Set(to);
    m.version = Set(r.version + 1);
    m.updated_at = Set(now);
    let mut updated = m.update(txn).await?;
    if to == Provided {
        updated = provide(txn, caller, updated, now).await?;
    }
    record(txn, &updated, Some(r.state), Some(caller), note, now).await?;
    Ok(updated)
}

/// A conditional update on the version read: a concurrent step makes this one fail with
/// `Conflict` instead of overwriting it.
async fn claim_version<C: ConnectionTrait>(txn: &C, r: &data_request::Model) -> Result<(), Error> {
    let res = data_request::Entity::update_many()
        .col_expr(
            data_request::Column::Version,
            sea_orm::sea_query::Expr::value(r.version + 1),
        )
        .filter(data_request::Column::Id.eq(r.id))
        .filter(data_request::Column::Version.eq(r.version))
        .exec(txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(Error::Conflict(
            "the request changed meanwhile; reload and try again".into(),
        ));
    }
    Ok(())
}

/// Records that a proposal lapsed unanswered (silence counts as rejection).
async fn lapse<C: ConnectionTrait>(
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

/// Providing opens a listed dataset (in the same transaction) or registers the unlisted data.
async fn provide<C: ConnectionTrait>(
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
