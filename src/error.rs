//! One error type for the API, mapped to GraphQL `extensions.code` and to HTTP statuses.
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql converts any `Display`
//! error into a GraphQL error *without* a code, so the only way from an `ApiError` to a GraphQL
//! error is the `From` below, which always sets `extensions.code`.

use async_graphql::ErrorExtensions;

/// What can go wrong serving a request. Each variant has a stable `extensions.code`.
#[derive(Debug)]
pub enum ApiError {
    /// The input is malformed or out of range; the message says what and why.
    BadUserInput(String),
    /// The thing named does not exist.
    NotFound(String),
    /// A token is needed and none (or a revoked one) was given.
    Unauthenticated(String),
    /// The caller is known but may not do this.
    Forbidden(String),
    /// Someone else changed it first (stale version) or it would duplicate something.
    Conflict(String),
    /// Too many attempts (the sign-up rate limit).
    TooManyRequests(String),
    /// The server is overloaded: every database connection stayed busy for the pool's wait, or
    /// too much heavy work is queued ([`crate::catalog::gate`]); the HTTP answer is `503` with
    /// `Retry-After`.
    Unavailable(String),
    /// The database failed; details go to the log, not to the client.
    Internal(anyhow::Error),
}

/// The code of [`ApiError::Unavailable`]; `/graphql` answers `503` when an error carries it.
pub const UNAVAILABLE: &str = "SERVICE_UNAVAILABLE";

impl ApiError {
    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadUserInput(_) => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::TooManyRequests(_) => "TOO_MANY_REQUESTS",
            ApiError::Unavailable(_) => UNAVAILABLE,
            ApiError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The message shown to the client.
    pub fn message(&self) -> String {
        match self {
            ApiError::BadUserInput(m)
            | ApiError::NotFound(m)
            | ApiError::Unauthenticated(m)
            | ApiError::Forbidden(m)
            | ApiError::Conflict(m)
            | ApiError::TooManyRequests(m)
            | ApiError::Unavailable(m) => m.clone(),
            ApiError::Internal(_) => "internal error; it has been logged".into(),
        }
    }

    pub fn bad_input(msg: impl Into<String>) -> Self {
        ApiError::BadUserInput(msg.into())
    }
}

/// The one mapping of domain errors to API codes.
impl From<crate::domain::Error> for ApiError {
    fn from(e: crate::domain::Error) -> Self {
        use crate::domain::Error;
        match e {
            Error::Invalid(m) => ApiError::BadUserInput(m),
            Error::NotFound(m) => ApiError::NotFound(m),
            Error::Forbidden(m) => ApiError::Forbidden(m),
            Error::Conflict(m) => ApiError::Conflict(m),
            e @ Error::Transition { .. } => ApiError::BadUserInput(e.to_string()),
            Error::TooManyRequests(m) => ApiError::TooManyRequests(m),
            Error::Db(e) => e.into(),
        }
    }
}

impl From<crate::catalog::Busy> for ApiError {
    fn from(e: crate::catalog::Busy) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        match e {
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => {
                ApiError::Unavailable(
                    "the server is busy (no database connection came free in time); retry in a moment"
                        .into(),
                )
            }
            e => ApiError::Internal(e.into()),
        }
    }
}

impl From<std::sync::Arc<sea_orm::DbErr>> for ApiError {
    fn from(e: std::sync::Arc<sea_orm::DbErr>) -> Self {
        // A batch loader's error: an exhausted pool is overload (503), not an internal error
        // logged with a backtrace.
        match &*e {
            sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout) => {
                sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout).into()
            }
            _ => ApiError::Internal(anyhow::anyhow!("{e}")),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        if let ApiError::Internal(inner) = &e {
            tracing::error!(error = ?inner, "internal error");
        }
        let code = e.code();
        async_graphql::Error::new(e.message()).extend_with(|_, ext| ext.set("code", code))
    }
}

/// Result of a resolver.
pub type ApiResult<T> = Result<T, ApiError>;
