//! Data requests: which states are open, and (in the workflow issue) their transitions.

use entity::enums::RequestState;

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

/// States that await the institution's decision (and can become overdue).
pub const AWAITING_INSTITUTION: &[RequestState] = &[
    RequestState::Received,
    RequestState::Extended,
    RequestState::Reconsideration,
];
