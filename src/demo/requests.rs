//! Fictional citizens and their requests in every state, with the events that brought them
//! there and their supporters; demand concentrates on a few closed entries.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::enums::{RequestState, Role, WithholdingGround};
use entity::{account, data_request, request_event, request_supporter};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DbErr, EntityTrait, Iterable,
};

use super::{date, date_between, day, names};

/// Inserts the citizens and their requests, in every state, for the closed entries `closed`
/// (dataset, institution); account and request ids start after `(account_base, request_base)`.
/// Returns the number of requests.
pub(super) async fn insert(
    txn: &impl ConnectionTrait,
    rng: &mut ChaCha8Rng,
    closed: &[(i64, i64)],
    (account_base, request_base): (i64, i64),
    scale: f64,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
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
        return Ok(0);
    }
    let mut reqs = Vec::new();
    let mut events = Vec::new();
    let mut supporters = Vec::new();
    for k in 0..n {
        let id = request_base + k as i64 + 1;
        let state = states[k % states.len()];
        // Demand concentrates on a few entries: the first closed entries get many requests.
        let pick = if rng.random_bool(0.3) {
            rng.random_range(0..closed.len().min(20))
        } else {
            rng.random_range(0..closed.len())
        };
        let (ds, inst) = closed[pick];
        let unlisted = k % 10 == 9;
        let filed = date_between(rng, date("2024-01-01"), date("2026-10-20"));
        let due = filed + chrono::Days::new(10);
        let acted = filed + chrono::Days::new(7);
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
            provided_dataset_id: Set(None),
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
                occurred_at: Set(day(filed + chrono::Days::new(7))),
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
    Ok(n)
}
