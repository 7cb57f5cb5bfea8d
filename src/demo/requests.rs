//! Fictional citizens and their requests, in every state, with the events that brought them
//! there and their supporters; demand concentrates on a few closed entries. Decisions take from
//! one to ten days. A PROVIDED request did what providing does: it opened the entry asked for
//! (filed after the entry's last change, a history event on the day of the decision) or
//! registered the unlisted data as a new open entry; all written in bulk.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{
    Category, DatasetType, DisclosureStatus, Provenance, RequestState, Role, WithholdingGround,
};
use entity::{
    account, data_request, dataset, disclosure, disclosure_event, request_event, request_supporter,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DbBackend, DbErr, EntityTrait, Iterable, Statement,
};

use super::datasets::Standing;
use super::{date, date_between, day, names};
use crate::db;
use crate::domain::text;

/// What the requests phase wrote.
pub(super) struct Written {
    pub requests: usize,
    /// Entries opened by a PROVIDED request.
    pub opened: usize,
    /// Open entries registered for unlisted data provided.
    pub registered: usize,
}

/// Inserts the citizens and their requests, in every state, for the closed entries `closed`
/// (dataset, institution) standing as `standing` says; account and request ids start after
/// `(account_base, request_base)`, registered entries after the largest dataset id.
pub(super) async fn insert(
    txn: &impl ConnectionTrait,
    rng: &mut ChaCha8Rng,
    closed: &[(i64, i64)],
    standing: &[Standing],
    (account_base, request_base): (i64, i64),
    scale: f64,
    now: DateTime<Utc>,
) -> Result<Written, DbErr> {
    let states: Vec<RequestState> = RequestState::iter().collect();
    let n = ((3000.0 * scale).round() as usize).max(states.len() * 3);
    let n_citizens = (n / 3).max(5);
    let accounts: Vec<_> = (0..n_citizens)
        .map(|k| account::ActiveModel {
            id: Set(account_base + k as i64 + 1),
            display_name: Set(format!("{} 시민 {:05}", names::SYNTHETIC_MARK, k + 1)),
            contact: Set(Some(format!("citizen{:05}@demo.invalid", k + 1))),
            role: Set(Role::Citizen),
            institution_id: Set(None),
            synthetic: Set(true),
            created_at: Set(now),
        })
        .collect();
    for chunk in accounts.chunks(2000) {
        account::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    if closed.is_empty() {
        return Ok(Written {
            requests: 0,
            opened: 0,
            registered: 0,
        });
    }
    let dataset_base = db::bulk::max_id(txn, "dataset").await?;
    // (dataset, request, status before, day of the decision)
    let mut openings: Vec<(i64, i64, DisclosureStatus, NaiveDate)> = Vec::new();
    let mut provided_entries: HashSet<i64> = HashSet::new();
    // (new dataset, institution, request, day of the decision)
    let mut registrations: Vec<(i64, i64, i64, NaiveDate)> = Vec::new();
    let mut reqs = Vec::new();
    let mut events = Vec::new();
    let mut supporters = Vec::new();
    for k in 0..n {
        let id = request_base + k as i64 + 1;
        let state = states[k % states.len()];
        // Demand concentrates on a few entries: the first closed entries get many requests.
        let mut pick = if rng.random_bool(0.3) {
            rng.random_range(0..closed.len().min(20))
        } else {
            rng.random_range(0..closed.len())
        };
        let unlisted = k % 10 == 9;
        let mut filed = date_between(rng, date("2024-01-01"), date("2026-10-20"));
        if state == RequestState::Provided && !unlisted {
            // Providing opens the entry: one not opened on request yet, filed after its last
            // change, so the opening is its latest event.
            let mut tries = 0;
            while provided_entries.contains(&closed[pick].0) || standing[pick].last_change >= filed
            {
                tries += 1;
                pick = rng.random_range(0..closed.len());
                if tries > 1_000 {
                    filed = date_between(rng, date("2024-01-01"), date("2026-10-20"));
                    tries = 0;
                }
            }
            provided_entries.insert(closed[pick].0);
        }
        let (ds, inst) = closed[pick];
        let due = filed + chrono::Days::new(10);
        // Decisions take one to ten days, most about five.
        let acted = filed + chrono::Days::new(1 + rng.random_range(0..5) + rng.random_range(0..6));
        let provided_dataset = match (state, unlisted) {
            (RequestState::Provided, false) => {
                openings.push((ds, id, standing[pick].status, acted));
                Some(ds)
            }
            (RequestState::Provided, true) => {
                let new = dataset_base + registrations.len() as i64 + 1;
                registrations.push((new, inst, id, acted));
                Some(new)
            }
            _ => None,
        };
        let decision_due = if state == RequestState::Extended {
            due + chrono::Days::new(10)
        } else {
            due
        };
        // The deadline of the step each state awaits (closed requests await nobody).
        let step_due = match state {
            RequestState::Received | RequestState::Extended => Some(decision_due),
            RequestState::Reconsideration => Some(acted + chrono::Days::new(7)),
            RequestState::MediationApplied => Some(acted + chrono::Days::new(30)),
            RequestState::MediationProposed => Some(acted + chrono::Days::new(15)),
            RequestState::MediationAccepted => Some(acted + chrono::Days::new(10)),
            _ => None,
        };
        let decided = !matches!(
            state,
            RequestState::Received | RequestState::Extended | RequestState::Withdrawn
        );
        let decision = match state {
            RequestState::Provided | RequestState::MediationAccepted => {
                Some(RequestState::Provided)
            }
            RequestState::PartiallyProvided => Some(RequestState::PartiallyProvided),
            RequestState::NotHeld => Some(RequestState::NotHeld),
            _ if decided => Some(RequestState::Refused),
            _ => None,
        };
        let requester = account_base + rng.random_range(1..=n_citizens as i64);
        reqs.push(data_request::ActiveModel {
            id: Set(id),
            requester_id: Set(requester),
            dataset_id: Set((!unlisted).then_some(ds)),
            institution_id: Set(inst),
            unlisted_description: Set(
                unlisted.then(|| "목록에 없는 원자료 (가상 요청)".to_string())
            ),
            purpose: Set("연구 및 서비스 개발 (가상 데모 요청)".into()),
            state: Set(state),
            filed_at: Set(day(filed)),
            due_on: Set(step_due),
            decision_due_on: Set(decision_due),
            extended: Set(state == RequestState::Extended),
            decided_at: Set(decided.then(|| day(acted))),
            decision: Set(decision),
            ground: Set((decision == Some(RequestState::Refused))
                .then_some(WithholdingGround::BusinessSecret)),
            institution_wording: Set(
                decision.map(|_| "검토 결과를 알려드립니다 (가상 예시)".into())
            ),
            provided_dataset_id: Set(provided_dataset),
            synthetic: Set(true),
            version: Set(1),
            updated_at: Set(now),
        });
        events.push(request_event::ActiveModel {
            id: NotSet,
            request_id: Set(id),
            from_state: Set(None),
            to_state: Set(RequestState::Received),
            actor_role: Set("CITIZEN".into()),
            actor_account_id: Set(Some(requester)),
            note: Set(None),
            due_on: Set(Some(due)),
            occurred_at: Set(day(filed)),
        });
        if state != RequestState::Received {
            events.push(request_event::ActiveModel {
                id: NotSet,
                request_id: Set(id),
                from_state: Set(Some(RequestState::Received)),
                to_state: Set(state),
                actor_role: Set("OFFICER".into()),
                actor_account_id: Set(None),
                note: Set(None),
                due_on: Set(None),
                occurred_at: Set(day(acted)),
            });
        }
        let n_support = if pick < 20 {
            rng.random_range(0..12)
        } else {
            rng.random_range(0..3)
        };
        let mut seen = HashSet::new();
        for _ in 0..n_support {
            let acc = account_base + rng.random_range(1..=n_citizens as i64);
            if acc != requester && seen.insert(acc) {
                supporters.push(request_supporter::ActiveModel {
                    request_id: Set(id),
                    account_id: Set(acc),
                    created_at: Set(day(filed + chrono::Days::new(1))),
                });
            }
        }
    }
    register(txn, &registrations, now).await?;
    open(txn, &openings).await?;
    for chunk in reqs.chunks(1000) {
        data_request::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in events.chunks(3000) {
        request_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in supporters.chunks(5000) {
        request_supporter::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(Written {
        requests: n,
        opened: openings.len(),
        registered: registrations.len(),
    })
}

/// The unlisted data of PROVIDED requests, registered open under the institution asked, each
/// with its disclosure and the history event that entered it on the day of the decision.
async fn register(
    txn: &impl ConnectionTrait,
    registrations: &[(i64, i64, i64, NaiveDate)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let title = "목록에 없는 원자료 (가상 요청으로 제공)";
    let description = "목록에 없는 원자료 (가상 요청)";
    let mut ds = Vec::with_capacity(registrations.len());
    let mut disc = Vec::with_capacity(registrations.len());
    let mut ev = Vec::with_capacity(registrations.len());
    for &(id, inst, request, acted) in registrations {
        let why = format!("registered when request {request} was provided");
        ds.push(dataset::ActiveModel {
            id: Set(id),
            portal_key: Set(None),
            title: Set(title.into()),
            description: Set(description.into()),
            institution_id: Set(inst),
            category: Set(Category::PublicAdministration),
            dataset_type: Set(DatasetType::File),
            keywords: Set(String::new()),
            format: Set(None),
            national_core: Set(false),
            standard: Set(false),
            licence: Set(None),
            update_frequency: Set(None),
            registered_on: Set(Some(acted)),
            modified_on: Set(Some(acted)),
            views: Set(None),
            downloads: Set(None),
            portal_url: Set(None),
            listed: Set(true),
            provenance: Set(Provenance::Synthetic),
            source_file: Set(None),
            import_run_id: Set(None),
            search_title: Set(text::search_title(title, "")),
            search_body: Set(text::normalize(description)),
            created_at: Set(now),
            updated_at: Set(now),
        });
        disc.push(disclosure::ActiveModel {
            dataset_id: Set(id),
            status: Set(DisclosureStatus::Open),
            ground: Set(None),
            legal_basis: Set(None),
            explanation: Set(Some(why.clone())),
            mitigation: Set(String::new()),
            planned_open_on: Set(None),
            next_review_on: Set(None),
            version: Set(1),
            updated_at: Set(now),
        });
        ev.push(opening(id, None, acted, why));
    }
    db::bulk::insert(txn, &ds).await?;
    db::bulk::insert(txn, &disc).await?;
    db::bulk::insert(txn, &ev).await?;
    Ok(())
}

/// The entries PROVIDED requests asked for, opened on the day of the decision: a history event
/// each and the disclosure updated, in two statements.
async fn open(
    txn: &impl ConnectionTrait,
    openings: &[(i64, i64, DisclosureStatus, NaiveDate)],
) -> Result<(), DbErr> {
    if openings.is_empty() {
        return Ok(());
    }
    let why = |request: i64| format!("provided on request {request}");
    let ev: Vec<_> = openings
        .iter()
        .map(|&(ds, request, before, acted)| opening(ds, Some(before), acted, why(request)))
        .collect();
    db::bulk::insert(txn, &ev).await?;
    let rows: Vec<_> = openings
        .iter()
        .map(|&(ds, request, _, _)| serde_json::json!([ds, why(request)]))
        .collect();
    let backend = txn.get_database_backend();
    let source = match backend {
        DbBackend::Postgres => {
            "SELECT (value->>0)::bigint AS id, value->>1 AS why FROM json_array_elements($1::json)"
        }
        _ => "SELECT value->>0 AS id, value->>1 AS why FROM json_each($1)",
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE disclosure SET status = 'OPEN', ground = NULL, legal_basis = NULL, \
             explanation = j.why, mitigation = '', planned_open_on = NULL, next_review_on = NULL, \
             version = disclosure.version + 1 \
             FROM ({source}) j WHERE disclosure.dataset_id = j.id"
        ),
        [serde_json::Value::Array(rows).to_string().into()],
    ))
    .await?;
    Ok(())
}

/// A history event by the demo opening entry `dataset` (entering it when `from` is None).
fn opening(
    dataset: i64,
    from: Option<DisclosureStatus>,
    on: NaiveDate,
    why: String,
) -> disclosure_event::ActiveModel {
    disclosure_event::ActiveModel {
        id: NotSet,
        dataset_id: Set(dataset),
        from_status: Set(from),
        to_status: Set(DisclosureStatus::Open),
        ground: Set(None),
        explanation: Set(Some(why)),
        actor: Set("demo".into()),
        actor_account_id: Set(None),
        occurred_at: Set(day(on)),
        from_listed: Set(from.map(|_| true)),
        listed: Set(true),
    }
}
