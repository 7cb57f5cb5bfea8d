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
    /// The server cannot serve this now: every database connection stayed busy for the pool's
    /// wait, the database is down, full or read-only ([`DbUnavailable`]), or too much heavy work
    /// is queued ([`crate::catalog::gate`]); the HTTP answer is `503` with `Retry-After`.
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
        match unavailable(&e) {
            Some(why) => ApiError::Unavailable(why.message().into()),
            None => ApiError::Internal(e.into()),
        }
    }
}

impl From<std::sync::Arc<sea_orm::DbErr>> for ApiError {
    fn from(e: std::sync::Arc<sea_orm::DbErr>) -> Self {
        // A batch loader's error: an exhausted pool or a database that is down is `503`, not an
        // internal error logged with a backtrace.
        match unavailable(&e) {
            Some(why) => ApiError::Unavailable(why.message().into()),
            None => ApiError::Internal(anyhow::anyhow!("{e}")),
        }
    }
}

/// Why the database cannot serve a request right now: an answer `503` (`SERVICE_UNAVAILABLE`,
/// with `Retry-After`) rather than an internal error, because nothing is wrong with the request
/// or the service, and nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbUnavailable {
    /// No connection within the pool's wait: every one is busy, or the database cannot be
    /// reached (a refused connection is retried until the wait ends).
    NoConnection,
    /// The connection failed or the server went away (refused, reset, shut down, restarting).
    Unreachable,
    /// SQLite: the file or the disk is full (`SQLITE_FULL`, or `PRAGMA max_page_count`).
    Full,
    /// SQLite: the database is read-only (`mode=ro`, `PRAGMA query_only`, a read-only mount).
    ReadOnly,
}

impl DbUnavailable {
    /// The message the client gets.
    pub fn message(self) -> &'static str {
        match self {
            DbUnavailable::NoConnection => {
                "the database did not answer in time (every connection is busy, or the database is unreachable); nothing was written; retry in a moment"
            }
            DbUnavailable::Unreachable => {
                "the database is unreachable; nothing was written; retry in a moment"
            }
            DbUnavailable::Full => {
                "the database is full (no space left for it); the change was not written; nothing written before is lost"
            }
            DbUnavailable::ReadOnly => {
                "the database is read-only; the change was not written (reads still work)"
            }
        }
    }
}

/// Whether `e` means the database cannot serve now (see [`DbUnavailable`]); None for anything
/// else (a bug, bad SQL, a constraint), which stays an internal error.
pub fn unavailable(e: &sea_orm::DbErr) -> Option<DbUnavailable> {
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match e {
        DbErr::ConnectionAcquire(_) => return Some(DbUnavailable::NoConnection),
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
        _ => return None,
    };
    use sea_orm::sqlx::Error;
    match &**sqlx {
        Error::PoolTimedOut | Error::PoolClosed => Some(DbUnavailable::NoConnection),
        Error::Io(_) | Error::Tls(_) | Error::WorkerCrashed | Error::Protocol(_) => {
            Some(DbUnavailable::Unreachable)
        }
        Error::Database(d) => {
            let code = d.code()?;
            // PostgreSQL (SQLSTATE, always five characters): class 08 (connection exception),
            // 57P01–57P03 (shutting down, crashed, cannot connect now), 53300 (too many
            // connections).
            if code.len() == 5 {
                return (code.starts_with("08")
                    || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300"))
                .then_some(DbUnavailable::Unreachable);
            }
            // SQLite: the (extended) result code; its low byte is the primary code.
            match code.parse::<i32>().ok()? & 0xff {
                13 => Some(DbUnavailable::Full),
                8 => Some(DbUnavailable::ReadOnly),
                _ => None,
            }
        }
        _ => None,
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
