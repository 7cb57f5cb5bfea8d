//! The rate limit: a budget of cost points per caller and per minute, as public GraphQL APIs
//! meter their callers (GitHub's points per hour, Shopify's cost bucket).
//!
//! - **What is counted**: each request's cost ([`crate::graphql::cost`]), the figure the
//!   complexity limit reads, so a page of 100 datasets with their relations counts for
//!   hundreds of points and `{ __typename }` for one. A request is charged before it runs;
//!   one refused before it runs (it does not parse, or is over a limit) is not charged.
//! - **Whose budget**: a token's account ([`Tier::Token`], 1,000,000 points a minute by
//!   default, `INVENTORY_RATE_LIMIT_TOKEN`), or, without a token, the client address
//!   ([`Tier::Anonymous`], 100,000, `INVENTORY_RATE_LIMIT_ANONYMOUS`). A dashboard refreshing
//!   its figures every 2 s spends about a third of the anonymous budget; a person in GraphiQL
//!   a small fraction.
//! - **Windows**: fixed minutes aligned on the clock (the same on every instance): a budget is
//!   spent within the minute and comes back whole when the next begins (`resetAt`). Fixed
//!   windows make the reset time one figure a client can show and wait for, and make the count
//!   across instances one number per key and minute. A caller may spend up to two budgets
//!   within a minute that straddles two windows; a budget is meant to stop floods, not to pace.
//! - **Over budget**: the request is refused before it runs: HTTP `429` with `Retry-After`
//!   (seconds until the window ends) and a GraphQL error coded [`RATE_LIMITED`] naming the
//!   budget, the request's cost and what remains. Every answer otherwise carries
//!   `extensions.rateLimit { cost, limit, remaining, resetAt }`; the `rateLimit` query field
//!   gives the same figures.
//! - **Across instances** (PostgreSQL): each instance decides alone, from its own map (a hash
//!   lookup under a short lock per request, no database round trip), and every
//!   [`SYNC_EVERY`] adds what it spent per key to the table `rate_limit_spend` in one upsert
//!   that returns each key's total over all instances, which it then counts from; a key that
//!   spent a twentieth of its budget on one instance since the last sync makes that instance
//!   sync at once. The overshoot is what the instances let through unseen by each other:
//!   about `n` times (a twentieth of the budget plus what a caller spends on one instance
//!   during a sync's round trip) with `n` instances, never more than `n − 1` budgets. Measured
//!   with eight callers hammering two instances (a budget of 20,000 spent in about 0.15 s):
//!   4–12 % over in five runs (with a tenth instead of a twentieth, 10–24 %). On SQLite one
//!   instance serves a file, and the table stays empty.
//! - `INVENTORY_RATE_LIMIT=off` turns it off (load tests, benchmarks): nothing is counted and
//!   answers carry no `rateLimit`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// The code of a request refused over its budget.
pub const RATE_LIMITED: &str = "RATE_LIMITED";

/// How long a budget lasts: windows are whole minutes.
pub const WINDOW: Duration = Duration::from_secs(60);

/// How often an instance on PostgreSQL adds its spending to the shared count.
pub const SYNC_EVERY: Duration = Duration::from_millis(500);

/// Keys one sync statement carries at most (three parameters each).
const SYNC_BATCH: usize = 1_000;

/// The settings of the rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Whether requests are counted at all (`INVENTORY_RATE_LIMIT=off` for load tests).
    pub enabled: bool,
    /// Points a minute per client address without a token.
    pub anonymous: u64,
    /// Points a minute per account with a token.
    pub token: u64,
}

/// The default budgets: generous for people and dashboards, a stop to floods.
pub const DEFAULT_ANONYMOUS: u64 = 100_000;
/// See [`DEFAULT_ANONYMOUS`].
pub const DEFAULT_TOKEN: u64 = 1_000_000;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enabled: true,
            anonymous: DEFAULT_ANONYMOUS,
            token: DEFAULT_TOKEN,
        }
    }
}

/// Which budget a caller spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Anonymous,
    Token,
}

/// Where a caller stands after a request was charged (or refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// What the request costs.
    pub cost: u64,
    /// The caller's budget for the window.
    pub limit: u64,
    /// What is left of it.
    pub remaining: u64,
    /// When the budget comes back whole.
    pub reset_at: DateTime<Utc>,
}

impl Status {
    /// The figures as `extensions.rateLimit`.
    pub fn to_value(self) -> async_graphql::Value {
        // As the DateTime scalar writes it (`rateLimit { resetAt }`).
        let reset_at = self.reset_at.to_rfc3339();
        async_graphql::Value::from_json(serde_json::json!({
            "cost": self.cost,
            "limit": self.limit,
            "remaining": self.remaining,
            "resetAt": reset_at,
        }))
        .unwrap_or_default()
    }
}

/// A request refused over budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub status: Status,
    /// Whole seconds until the window ends (at least 1).
    pub retry_after: u64,
}

impl Refusal {
    /// The message: the budget, the request's cost, what remains and when it resets.
    pub fn message(&self) -> String {
        let s = self.status;
        format!(
            "over the rate limit of {} points a minute: this request costs {} and {} remain \
             until {} (in {} s)",
            s.limit,
            s.cost,
            s.remaining,
            s.reset_at.to_rfc3339(),
            self.retry_after
        )
    }
}

/// One key's spending in the current window.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The window's start, in seconds since the epoch.
    window: i64,
    /// Spent over all instances as of the last sync (this instance's synced spending included).
    known: u64,
    /// Spent here, being synced.
    syncing: u64,
    /// Spent here since.
    pending: u64,
}

impl Entry {
    fn new(window: i64) -> Self {
        Entry {
            window,
            known: 0,
            syncing: 0,
            pending: 0,
        }
    }

    fn spent(&self) -> u64 {
        self.known
            .saturating_add(self.syncing)
            .saturating_add(self.pending)
    }
}

/// The budgets of one server instance (shared by its handlers).
#[derive(Debug)]
pub struct RateLimiter {
    settings: Settings,
    entries: Mutex<HashMap<String, Entry>>,
    /// Wakes the sync early: a key spent a twentieth of its budget here since the last one.
    spent_much: tokio::sync::Notify,
}

/// The share of a budget one instance spends for a key before it syncs at once rather than at
/// the next tick: it bounds what one instance lets through unseen by the others.
const EARLY_SYNC_SHARE: u64 = 20;

/// The start of the window holding `now`, in seconds since the epoch.
fn window_of(now: DateTime<Utc>) -> i64 {
    let len = WINDOW.as_secs() as i64;
    now.timestamp().div_euclid(len) * len
}

fn reset_of(window: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(window + WINDOW.as_secs() as i64, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

impl RateLimiter {
    pub fn new(settings: Settings) -> Self {
        RateLimiter {
            settings,
            entries: Mutex::new(HashMap::new()),
            spent_much: tokio::sync::Notify::new(),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// Charges `cost` to `key`'s budget of `tier` now: the caller's figures after it, or the
    /// refusal when the request does not fit in what remains. None when the limit is off.
    pub fn charge(&self, key: &str, tier: Tier, cost: u64) -> Option<Result<Status, Refusal>> {
        self.charge_at(key, tier, cost, Utc::now())
    }

    fn charge_at(
        &self,
        key: &str,
        tier: Tier,
        cost: u64,
        now: DateTime<Utc>,
    ) -> Option<Result<Status, Refusal>> {
        if !self.settings.enabled {
            return None;
        }
        let limit = match tier {
            Tier::Anonymous => self.settings.anonymous,
            Tier::Token => self.settings.token,
        };
        let window = window_of(now);
        let reset_at = reset_of(window);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = match entries.get_mut(key) {
            Some(e) => e,
            None => entries
                .entry(key.to_string())
                .or_insert_with(|| Entry::new(window)),
        };
        if entry.window != window {
            *entry = Entry::new(window);
        }
        let spent = entry.spent();
        if spent.saturating_add(cost) > limit {
            let left = (reset_at - now).num_milliseconds().max(0) as u64;
            return Some(Err(Refusal {
                status: Status {
                    cost,
                    limit,
                    remaining: limit.saturating_sub(spent),
                    reset_at,
                },
                retry_after: left.div_ceil(1_000).max(1),
            }));
        }
        entry.pending += cost;
        if entry.pending >= limit / EARLY_SYNC_SHARE {
            self.spent_much.notify_one();
        }
        Some(Ok(Status {
            cost,
            limit,
            remaining: limit - spent - cost,
            reset_at,
        }))
    }

    /// Adds this instance's spending per key to the shared count in `rate_limit_spend` and
    /// takes each key's total back (PostgreSQL); forgets keys of past windows and old rows.
    pub async fn sync(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let window = window_of(Utc::now());
        let batch: Vec<(String, i64, u64)> = {
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries.retain(|_, e| e.window >= window);
            entries
                .iter_mut()
                .map(|(k, e)| {
                    let delta = e.pending;
                    e.syncing += delta;
                    e.pending = 0;
                    (k.clone(), e.window, delta)
                })
                .collect()
        };
        for chunk in batch.chunks(SYNC_BATCH) {
            let totals = upsert(db, chunk).await;
            let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            for (key, win, delta) in chunk {
                let Some(e) = entries.get_mut(key).filter(|e| e.window == *win) else {
                    continue;
                };
                e.syncing -= delta;
                match &totals {
                    Ok(t) => {
                        if let Some(total) = t.get(key.as_str()) {
                            e.known = e.known.max(*total);
                        }
                    }
                    // Counted again at the next sync.
                    Err(_) => e.pending += delta,
                }
            }
            totals?;
        }
        Ok(())
    }

    /// Deletes the shared count of windows before the previous one.
    pub async fn forget_old(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let before = window_of(Utc::now()) - WINDOW.as_secs() as i64;
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM rate_limit_spend WHERE window_start < $1",
            [before.into()],
        ))
        .await?;
        Ok(())
    }

    /// Syncs every [`SYNC_EVERY`], and at once when a key spent a twentieth of its budget here
    /// since the last sync, for as long as the server runs (PostgreSQL).
    pub async fn follow(self: std::sync::Arc<Self>, db: DatabaseConnection) {
        let mut tick = tokio::time::interval(SYNC_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut n = 0u64;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = self.spent_much.notified() => {}
            }
            if let Err(e) = self.sync(&db).await {
                tracing::warn!(error = %e, "syncing the rate limit's count failed");
            }
            n += 1;
            if n.is_multiple_of(120)
                && let Err(e) = self.forget_old(&db).await
            {
                tracing::warn!(error = %e, "deleting old rate-limit windows failed");
            }
        }
    }
}

/// Adds `rows` (key, window, spent here) and returns each key's total.
async fn upsert(
    db: &DatabaseConnection,
    rows: &[(String, i64, u64)],
) -> Result<HashMap<String, u64>, DbErr> {
    let mut sql = String::from("INSERT INTO rate_limit_spend (key, window_start, spent) VALUES ");
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(rows.len() * 3);
    for (i, (key, window, delta)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3));
        values.push(key.clone().into());
        values.push((*window).into());
        values.push((*delta as i64).into());
    }
    sql.push_str(
        " ON CONFLICT (key, window_start) DO UPDATE SET spent = rate_limit_spend.spent + \
         EXCLUDED.spent RETURNING key, spent",
    );
    let found = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    let mut out = HashMap::with_capacity(found.len());
    for row in found {
        let key: String = row.try_get("", "key")?;
        let spent: i64 = row.try_get("", "spent")?;
        out.insert(key, spent.max(0) as u64);
    }
    Ok(out)
}

impl RateLimiter {
    /// Charges a request of `cost` by `viewer` from `address` before it runs: its figures (also
    /// put into `data`, for the `rateLimit` field), None when the limit is off, or the answer
    /// refusing it: one error coded [`RATE_LIMITED`] with the figures in
    /// `extensions.rateLimit` and a `Retry-After` header.
    pub fn admit(
        &self,
        viewer: &crate::auth::Viewer,
        address: &str,
        cost: usize,
        data: &mut async_graphql::Data,
    ) -> Result<Option<Status>, Box<async_graphql::Response>> {
        let (key, tier) = key_of(viewer, address);
        match self.charge(&key, tier, cost as u64) {
            None => Ok(None),
            Some(Ok(status)) => {
                data.insert(status);
                Ok(Some(status))
            }
            Some(Err(refusal)) => {
                let mut e = async_graphql::ServerError::new(refusal.message(), None);
                e.extensions
                    .get_or_insert_with(Default::default)
                    .set("code", RATE_LIMITED);
                let mut resp = annotate(
                    async_graphql::Response::from_errors(vec![e]),
                    Some(refusal.status),
                );
                if let Ok(v) = refusal.retry_after.to_string().parse() {
                    resp.http_headers.insert(axum::http::header::RETRY_AFTER, v);
                }
                Err(Box::new(resp))
            }
        }
    }
}

/// `resp` with the caller's figures in `extensions.rateLimit` (when the limit is on).
pub fn annotate(
    mut resp: async_graphql::Response,
    status: Option<Status>,
) -> async_graphql::Response {
    if let Some(s) = status {
        resp.extensions.insert("rateLimit".into(), s.to_value());
    }
    resp
}

/// The budget key of a caller: the account of a token, else the client address.
pub fn key_of(viewer: &crate::auth::Viewer, address: &str) -> (String, Tier) {
    match viewer {
        crate::auth::Viewer::Account(a) => (format!("account:{}", a.account_id), Tier::Token),
        crate::auth::Viewer::Anonymous => (format!("address:{address}"), Tier::Anonymous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    #[test]
    fn a_budget_is_spent_within_its_minute_and_comes_back_whole() {
        let l = RateLimiter::new(Settings {
            enabled: true,
            anonymous: 100,
            token: 1_000,
        });
        let t = 1_800_000_000; // a whole minute
        let s = l
            .charge_at("a", Tier::Anonymous, 60, at(t + 5))
            .unwrap()
            .unwrap();
        assert_eq!((s.cost, s.limit, s.remaining), (60, 100, 40));
        assert_eq!(s.reset_at, at(t + 60));
        // 50 does not fit in the 40 left: refused, nothing charged, retry when the minute ends.
        let r = l
            .charge_at("a", Tier::Anonymous, 50, at(t + 20))
            .unwrap()
            .unwrap_err();
        assert_eq!((r.status.remaining, r.retry_after), (40, 40));
        assert!(r.message().starts_with("over the rate limit of 100 points a minute: this request costs 50 and 40 remain until"), "{}", r.message());
        assert_eq!(
            l.charge_at("a", Tier::Anonymous, 40, at(t + 21))
                .unwrap()
                .unwrap()
                .remaining,
            0
        );
        // Others have budgets of their own; tokens a larger one.
        assert!(
            l.charge_at("b", Tier::Anonymous, 100, at(t + 21))
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            l.charge_at("c", Tier::Token, 100, at(t + 21))
                .unwrap()
                .unwrap()
                .remaining,
            900
        );
        // The next minute starts afresh.
        assert_eq!(
            l.charge_at("a", Tier::Anonymous, 1, at(t + 60))
                .unwrap()
                .unwrap()
                .remaining,
            99
        );
    }

    /// What a query costs ([`crate::graphql::cost`]).
    fn cost_of(query: &str, vars: serde_json::Value) -> u64 {
        let costs = crate::graphql::cost::Costs::from_sdl(&crate::graphql::sdl());
        let doc = async_graphql::parser::parse_query(query).unwrap();
        let vars = async_graphql::Variables::from_json(vars);
        costs.of(&doc, None, &vars).unwrap().1 as u64
    }

    /// The default budgets leave room for people and dashboards: GraphiQL's schema query fits
    /// a hundred times a minute, every example thirty times, and the dashboard example
    /// refreshed every 2 s spends at most a quarter of the anonymous budget.
    #[test]
    fn the_examples_fit_the_default_budgets_with_room() {
        for e in crate::graphql::examples::EXAMPLES {
            let vars = e
                .variables
                .map_or(serde_json::json!({}), |v| serde_json::from_str(v).unwrap());
            let cost = cost_of(e.query, vars);
            eprintln!("{:>6}  {}", cost, e.title);
            assert!(cost * 30 <= DEFAULT_ANONYMOUS, "{}: {cost}", e.title);
            if e.title.starts_with("Dashboard") {
                assert!(cost * 30 <= DEFAULT_ANONYMOUS / 4, "{}: {cost}", e.title);
            }
        }
        let graphiql = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } } fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } } fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
        let cost = cost_of(graphiql, serde_json::json!({}));
        eprintln!("{cost:>6}  GraphiQL's schema query");
        assert!(cost * 100 <= DEFAULT_ANONYMOUS, "{cost}");
    }

    #[test]
    fn off_counts_nothing() {
        let l = RateLimiter::new(Settings {
            enabled: false,
            ..Settings::default()
        });
        assert!(l.charge("a", Tier::Anonymous, u64::MAX).is_none());
    }
}
