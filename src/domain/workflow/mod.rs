//! The request workflow: filing, support, decisions, reconsideration and mediation, with
//! deadlines from [`Deadlines`] and time from the caller's clock. Every function works inside the
//! caller's write transaction and leaves a request event (and an outbox event) behind.
//!
//! ```text
//! RECEIVED ─extend→ EXTENDED   (while the decision deadline has not passed)
//! RECEIVED|EXTENDED ─decide→ PROVIDED | PARTIALLY_PROVIDED | REFUSED | NOT_HELD
//!   (a missed decision deadline counts as a refusal for what follows)
//! REFUSED|PARTIALLY_PROVIDED|NOT_HELD|missed ─ask→ RECONSIDERATION ─answer→ PROVIDED | REFUSED_AGAIN
//! REFUSED|REFUSED_AGAIN|PARTIALLY_PROVIDED|NOT_HELD|missed ─apply→ MEDIATION_APPLIED
//! MEDIATION_APPLIED ─propose→ MEDIATION_PROPOSED | ─settle→ MEDIATION_SETTLED
//! MEDIATION_APPLIED|MEDIATION_PROPOSED ─dismiss→ MEDIATION_DISMISSED
//! MEDIATION_PROPOSED ─both accept→ MEDIATION_ACCEPTED ─provide→ PROVIDED
//!                    ─either rejects→ MEDIATION_REJECTED   (silence past the deadline: MEDIATION_LAPSED)
//! MEDIATION_APPLIED|MEDIATION_PROPOSED ─withdraw mediation→ MEDIATION_WITHDRAWN
//! any open state ─withdraw→ WITHDRAWN
//! ```
//!
//! The diagram is the table in `table.rs` ([`table::TRANSITIONS`]), which says who may take each
//! step; [`act`] checks every step against it and [`allowed_steps`] lists what it allows. The
//! actions are one function each in `actions.rs`, filing and support in `filing.rs`, lapsed
//! proposals in `lapses.rs`.

mod actions;
mod filing;
mod lapses;
pub mod table;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{RequestState, Role, WithholdingGround};
use entity::{data_request, request_event};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::clock::seoul_date;
use crate::domain::Error;
use crate::domain::deadlines::Deadlines;
use crate::events::{self, Event, RequestChanged};
use actions::Draft;
use table::{Situation, Step};

pub use filing::{file, follow, support, unfollow};
pub use lapses::lapse_expired;
pub use table::{decision_missed, reconsideration_missed};

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
    /// The workflow step this action takes.
    pub fn step(&self) -> Step {
        match self {
            Action::Extend { .. } => Step::Extend,
            Action::Decide { .. } => Step::Decide,
            Action::AskReconsideration { .. } => Step::AskReconsideration,
            Action::AnswerReconsideration { .. } => Step::AnswerReconsideration,
            Action::ApplyMediation { .. } => Step::ApplyForMediation,
            Action::Propose { .. } => Step::Propose,
            Action::Settle => Step::Settle,
            Action::Dismiss { .. } => Step::Dismiss,
            Action::WithdrawMediation => Step::WithdrawMediation,
            Action::AnswerProposal { .. } => Step::AnswerProposal,
            Action::ProvideAfterMediation => Step::ProvideAfterMediation,
            Action::Withdraw => Step::Withdraw,
        }
    }
}

/// The next steps open to someone from the current state (for error messages and clients).
pub fn allowed_steps(
    r: &data_request::Model,
    today: NaiveDate,
    cal: &Deadlines,
) -> Vec<&'static str> {
    Situation::of(r, today, cal).allowed_names()
}

/// A request by id.
pub async fn load<C: ConnectionTrait>(txn: &C, id: i64) -> Result<data_request::Model, Error> {
    data_request::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no data request {id}")))
}

/// Applies an action: checks who may take it and whether the state allows it (the table), runs
/// it, and writes the request with its history under a version check.
pub async fn act<C: ConnectionTrait>(
    txn: &C,
    caller: &Caller,
    request_id: i64,
    action: Action,
    cal: &Deadlines,
    now: DateTime<Utc>,
) -> Result<data_request::Model, Error> {
    let r = load(txn, request_id).await?;
    let today = seoul_date(now);
    let step = action.step();
    let situation = Situation::of(&r, today, cal);
    let by = table::TRANSITIONS
        .iter()
        .find(|t| t.step == step)
        .expect("every step has a row")
        .by;
    by.admits(&r, caller.role, caller.account_id, &caller.scope)?;
    if step == Step::AnswerProposal
        && r.state == RequestState::MediationProposed
        && situation.state == RequestState::MediationLapsed
    {
        // Silence counted as rejection: the proposal lapsed before this answer came.
        return lapses::lapse(txn, r, now).await;
    }
    let transition = situation.check(step)?;
    let mut d = Draft::new(&r, cal, today, now);
    let to = match action {
        Action::Extend { days, reason } => actions::extend(&mut d, days, &reason)?,
        Action::Decide {
            decision,
            ground,
            wording,
        } => actions::decide(&mut d, decision, ground, wording)?,
        Action::AskReconsideration { reason } => actions::ask_reconsideration(&mut d, reason)?,
        Action::AnswerReconsideration {
            provide,
            ground,
            wording,
        } => actions::answer_reconsideration(&mut d, provide, ground, wording)?,
        Action::ApplyMediation { reason } => actions::apply_for_mediation(&mut d, reason)?,
        Action::Propose { terms } => actions::propose(&mut d, terms)?,
        Action::Settle => actions::settle(&mut d)?,
        Action::Dismiss { reason } => actions::dismiss(&mut d, reason)?,
        Action::WithdrawMediation => actions::withdraw_mediation(&mut d)?,
        Action::AnswerProposal { accept } => {
            actions::answer_proposal(txn, &mut d, caller, accept).await?
        }
        Action::ProvideAfterMediation => actions::provide_after_mediation(&mut d)?,
        Action::Withdraw => actions::withdraw(&mut d)?,
    };
    debug_assert!(transition.to.contains(&to), "{step:?} led to {to:?}");
    let Draft { mut m, note, .. } = d;
    claim_version(txn, &r).await?;
    m.state = Set(to);
    m.version = Set(r.version + 1);
    m.updated_at = Set(now);
    let mut updated = m.update(txn).await?;
    if to == RequestState::Provided {
        updated = actions::provide(txn, caller, updated, now).await?;
    }
    record(txn, &updated, Some(r.state), Some(caller), note, now).await?;
    Ok(updated)
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
