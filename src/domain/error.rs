//! The one error of the domain: why a domain function refused or failed. The API maps it to its
//! codes in one place (`impl From<domain::Error> for ApiError` in [`crate::error`]).

use sea_orm::DbErr;

/// Why a domain operation did not happen. The message of every variant but `Db` is meant for the
/// caller; a database failure is logged, not shown.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is malformed or out of range; the message says what and why.
    #[error("{0}")]
    Invalid(String),
    /// The thing named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this to this thing.
    #[error("{0}")]
    Forbidden(String),
    /// Someone else changed it first (a stale version), or it would duplicate something.
    #[error("{0}")]
    Conflict(String),
    /// The request workflow does not allow this step from the request's current state.
    #[error(
        "cannot {action}: the request is {current}; allowed next steps: {}",
        allowed.join(", ")
    )]
    Transition {
        /// The step tried, as `allowedSteps` names it ("answer reconsideration").
        action: &'static str,
        /// The request's state (`REFUSED`).
        current: String,
        /// The steps allowed now, in words.
        allowed: Vec<&'static str>,
    },
    /// Too many attempts (the sign-up rate limit).
    #[error("{0}")]
    TooManyRequests(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Result of a domain function.
pub type Result<T, E = Error> = std::result::Result<T, E>;
