//! `RateLimit`: the caller's budget as the `rateLimit` query field shows it (the same figures
//! as every answer's `extensions.rateLimit`; [`crate::rate_limit`]).

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};

/// The caller's rate limit: a budget of cost points per minute, per token's account (or per
/// client address without a token). A request costs 1 per field it selects, a list its page
/// size times the cost of one item, `stats` 500 and `facets` 200 besides their fields.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct RateLimit {
    /// What this request costs.
    pub cost: i32,
    /// The budget of the current minute.
    pub limit: i32,
    /// What is left of it after this request.
    pub remaining: i32,
    /// When the budget comes back whole (the next minute).
    pub reset_at: DateTime<Utc>,
}

impl From<crate::rate_limit::Status> for RateLimit {
    fn from(s: crate::rate_limit::Status) -> Self {
        let int = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
        RateLimit {
            cost: int(s.cost),
            limit: int(s.limit),
            remaining: int(s.remaining),
            reset_at: s.reset_at,
        }
    }
}
