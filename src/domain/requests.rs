//! Data requests: which states are open, who is awaited, and when a request is overdue.
//!
//! This is the one place that says what "overdue" means; the GraphQL view, the institution
//! record and the dashboard statistics all go through [`overdue`], [`long_overdue`] or
//! [`overdue_condition`].
//!
//! A request is overdue when the party it awaits lets the deadline of the **current step**
//! (`due_on`) pass: the institution for a decision (`RECEIVED`, `EXTENDED`), an answer to
//! reconsideration (`RECONSIDERATION`) or the provision after an accepted mediation proposal
//! (`MEDIATION_ACCEPTED`); the mediation committee for its proposal (`MEDIATION_APPLIED`). A
//! proposal left unanswered past its deadline is not overdue but lapsed ([`effective_state`]).
//!
//! Also: request lists ([`select`]), the same list for many institutions at once
//! ([`pages_by_institution`]) and supporter counts ([`supporter_counts`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::data_request;
use entity::enums::RequestState;
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select,
};

use crate::domain::deadlines::Deadlines;
use crate::domain::sql::Sql;

/// States in which a request still awaits someone: the institution, the requester or the
/// mediation committee.
pub const OPEN_STATES: &[RequestState] = &[
    RequestState::Received,
    RequestState::Extended,
    RequestState::Reconsideration,
    RequestState::MediationApplied,
    RequestState::MediationProposed,
    RequestState::MediationAccepted,
];

/// Whether a request in `state` is still open.
pub fn is_open(state: RequestState) -> bool {
    OPEN_STATES.contains(&state)
}

/// States that await the institution: a decision, an answer to reconsideration, or provision
/// after an accepted mediation proposal.
pub const AWAITING_INSTITUTION: &[RequestState] = &[
    RequestState::Received,
    RequestState::Extended,
    RequestState::Reconsideration,
    RequestState::MediationAccepted,
];

/// States that await the mediation committee's proposal.
pub const AWAITING_COMMITTEE: &[RequestState] = &[RequestState::MediationApplied];

/// States that can become overdue: everything that awaits the institution or the committee.
pub const CAN_BE_OVERDUE: &[RequestState] = &[
    RequestState::Received,
    RequestState::Extended,
    RequestState::Reconsideration,
    RequestState::MediationAccepted,
    RequestState::MediationApplied,
];

/// Days past the deadline after which an overdue request is "long overdue".
pub const LONG_OVERDUE_DAYS: u64 = 30;

/// States in which the mediation committee handles (or handled) a request.
pub const MEDIATION_STATES: &[RequestState] = &[
    RequestState::MediationApplied,
    RequestState::MediationProposed,
    RequestState::MediationAccepted,
    RequestState::MediationSettled,
    RequestState::MediationRejected,
    RequestState::MediationLapsed,
    RequestState::MediationDismissed,
    RequestState::MediationWithdrawn,
];

/// The deadline of the step a request awaits: the decision deadline (after any extension)
/// while undecided, else `due_on`.
pub fn current_due(r: &data_request::Model) -> Option<NaiveDate> {
    if matches!(r.state, RequestState::Received | RequestState::Extended) {
        Some(r.decision_due_on)
    } else {
        r.due_on
    }
}

/// Whether the current step's deadline has passed for a request awaiting the institution or
/// the committee.
pub fn overdue(r: &data_request::Model, today: NaiveDate) -> bool {
    CAN_BE_OVERDUE.contains(&r.state) && current_due(r).is_some_and(|d| Deadlines::passed(d, today))
}

/// Overdue by more than [`LONG_OVERDUE_DAYS`].
pub fn long_overdue(r: &data_request::Model, today: NaiveDate) -> bool {
    overdue(r, today)
        && current_due(r).is_some_and(|d| d + chrono::Days::new(LONG_OVERDUE_DAYS) < today)
}

/// The state as it stands today: a mediation proposal whose answer period has passed without
/// both parties accepting has lapsed (silence counts as rejection), even before the workflow's
/// sweep ([`crate::domain::workflow::lapse_expired`]) records it.
pub fn effective_state(
    state: RequestState,
    due_on: Option<NaiveDate>,
    today: NaiveDate,
) -> RequestState {
    if state == RequestState::MediationProposed
        && due_on.is_some_and(|d| Deadlines::passed(d, today))
    {
        RequestState::MediationLapsed
    } else {
        state
    }
}

/// The SQL condition "overdue as of `today`" for a request row aliased `alias`, limited to
/// `states` (e.g. [`AWAITING_INSTITUTION`] for an institution's record), appended to `sql`.
/// With `long`, "more than [`LONG_OVERDUE_DAYS`] past the deadline".
pub fn overdue_condition(
    sql: &mut Sql,
    alias: &str,
    states: &[RequestState],
    today: NaiveDate,
    long: bool,
) -> String {
    let list = sql.params(states.iter().map(|s| s.to_value()));
    let limit = if long {
        today - chrono::Days::new(LONG_OVERDUE_DAYS)
    } else {
        today
    };
    let p = sql.param(limit);
    let undecided = sql.params(
        [RequestState::Received, RequestState::Extended]
            .iter()
            .map(|s| s.to_value()),
    );
    format!(
        "({alias}.state IN ({list}) AND CASE WHEN {alias}.state IN ({undecided}) \
         THEN {alias}.decision_due_on ELSE {alias}.due_on END < {p})"
    )
}

/// Which requests a list shows; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RequestFilter {
    /// Effective states (a lapsed proposal counts as `MEDIATION_LAPSED` before it is recorded).
    pub states: Option<Vec<RequestState>>,
    /// Requests to these institutions.
    pub institution_ids: Option<Vec<i64>>,
    /// Requests for this dataset.
    pub dataset_id: Option<i64>,
    /// Requests by this account (the caller's own, never someone else's).
    pub requester_id: Option<i64>,
    /// Requests this account follows (the caller's own follows, never someone else's).
    pub followed_by: Option<i64>,
    /// Only requests that are (or are not) overdue today.
    pub overdue: Option<bool>,
    /// Only requests that went to mediation (the committee's docket).
    pub in_mediation: bool,
}

/// The query of a filtered request list, as of `today`.
pub fn select(f: &RequestFilter, today: NaiveDate) -> Select<data_request::Entity> {
    use data_request::Column as C;
    let mut q = data_request::Entity::find();
    if let Some(states) = &f.states {
        // A stored MEDIATION_PROPOSED past its deadline is effectively lapsed.
        let proposed_live = Condition::all()
            .add(C::State.eq(RequestState::MediationProposed))
            .add(C::DueOn.gte(today));
        let proposed_lapsed = Condition::all()
            .add(C::State.eq(RequestState::MediationProposed))
            .add(C::DueOn.lt(today));
        let mut any = Condition::any();
        for s in states {
            any = match s {
                RequestState::MediationProposed => any.add(proposed_live.clone()),
                RequestState::MediationLapsed => any
                    .add(C::State.eq(RequestState::MediationLapsed))
                    .add(proposed_lapsed.clone()),
                s => any.add(C::State.eq(*s)),
            };
        }
        q = q.filter(any);
    }
    if let Some(ids) = &f.institution_ids {
        q = q.filter(C::InstitutionId.is_in(ids.iter().copied()));
    }
    if let Some(d) = f.dataset_id {
        q = q.filter(C::DatasetId.eq(d));
    }
    if let Some(r) = f.requester_id {
        q = q.filter(C::RequesterId.eq(r));
    }
    if let Some(a) = f.followed_by {
        q = q.filter(
            C::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::request_follower::Column::RequestId)
                    .from(entity::request_follower::Entity)
                    .and_where(entity::request_follower::Column::AccountId.eq(a))
                    .to_owned(),
            ),
        );
    }
    if f.in_mediation {
        q = q.filter(C::State.is_in(MEDIATION_STATES.iter().copied()));
    }
    if let Some(o) = f.overdue {
        let undecided = [RequestState::Received, RequestState::Extended];
        let later: Vec<_> = CAN_BE_OVERDUE
            .iter()
            .copied()
            .filter(|s| !undecided.contains(s))
            .collect();
        let cond = Condition::any()
            .add(
                Condition::all()
                    .add(C::State.is_in(undecided))
                    .add(C::DecisionDueOn.lt(today)),
            )
            .add(
                Condition::all()
                    .add(C::State.is_in(later))
                    .add(C::DueOn.is_not_null())
                    .add(C::DueOn.lt(today)),
            );
        q = q.filter(if o { cond } else { cond.not() });
    }
    q
}

/// A page of a request list in id order: at most `size` after the request `after` and before
/// `before` (ids), from the end when `backward`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct IdPage {
    pub size: u64,
    pub backward: bool,
    pub after: Option<i64>,
    pub before: Option<i64>,
}

/// One institution's page of a request list: up to `size + 1` rows in list order (the extra
/// one says there is more), and how many requests the list holds.
#[derive(Debug, Clone, Default)]
pub struct InstitutionPage {
    pub rows: Vec<data_request::Model>,
    pub total: u64,
}

/// The list `f` as of `today`, to each of `institutions`, paged by `page`: two statements
/// whatever the number of institutions (the totals grouped, the pages numbered within each
/// institution). Every institution asked gets a page, empty when it has no request.
pub async fn pages_by_institution<C: ConnectionTrait>(
    db: &C,
    f: &RequestFilter,
    institutions: &[i64],
    page: IdPage,
    today: NaiveDate,
) -> Result<HashMap<i64, InstitutionPage>, DbErr> {
    use data_request::Column as C;
    use sea_orm::{FromQueryResult, QueryTrait, Statement};
    let backend = db.get_database_backend();
    let mut out: HashMap<i64, InstitutionPage> = institutions
        .iter()
        .map(|i| (*i, InstitutionPage::default()))
        .collect();
    if institutions.is_empty() {
        return Ok(out);
    }
    let mut within = f.clone();
    within.institution_ids = Some(match &f.institution_ids {
        Some(allowed) => institutions
            .iter()
            .copied()
            .filter(|i| allowed.contains(i))
            .collect(),
        None => institutions.to_vec(),
    });
    let list = select(&within, today);
    let counted = list.clone().build(backend);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT t.institution_id, COUNT(*) FROM ({}) t GROUP BY t.institution_id",
                counted.sql
            ),
            counted.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await?;
    for r in rows {
        let id: i64 = r.try_get_by_index(0)?;
        out.entry(id).or_default().total = r.try_get_by_index::<i64>(1)? as u64;
    }
    let mut paged = list;
    if let Some(a) = page.after {
        paged = paged.filter(C::Id.gt(a));
    }
    if let Some(b) = page.before {
        paged = paged.filter(C::Id.lt(b));
    }
    let inner = paged.build(backend);
    let direction = if page.backward { "DESC" } else { "ASC" };
    let rows = data_request::Model::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER \
             (PARTITION BY t.institution_id ORDER BY t.id {direction}) AS rn FROM ({}) t) u \
             WHERE u.rn <= {} ORDER BY u.institution_id, u.rn",
            inner.sql,
            page.size + 1
        ),
        inner.values.map(|v| v.0).unwrap_or_default(),
    ))
    .all(db)
    .await?;
    for r in rows {
        out.entry(r.institution_id).or_default().rows.push(r);
    }
    Ok(out)
}

/// How many citizens support each of the requests `ids`, in one statement; requests without
/// support are absent.
pub async fn supporter_counts<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<HashMap<i64, u64>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    let list = sql.params(ids.iter().copied());
    sql.push(&format!(
        "SELECT request_id, COUNT(*) FROM request_supporter WHERE request_id IN ({list}) GROUP BY request_id"
    ));
    let mut out: HashMap<i64, u64> = HashMap::new();
    for r in db.query_all_raw(sql.statement()).await? {
        out.insert(r.try_get_by_index(0)?, r.try_get_by_index::<i64>(1)? as u64);
    }
    Ok(out)
}
