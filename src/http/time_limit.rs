//! The per-request time limit (`INVENTORY_REQUEST_TIMEOUT_SECS`, [`crate::config::Config`]'s
//! `request_timeout`, 10 s by default): a GraphQL query or mutation, over HTTP or WebSocket,
//! that runs longer is dropped and answered with one error coded [`TIMEOUT`] naming the limit
//! and how long the request ran. Subscriptions are long-lived by design and are not bounded.
//!
//! Over HTTP the answer is `504 Gateway Timeout` (see [`super::graphql`]): it has no `data`, so
//! the GraphQL-over-HTTP specification asks for a 4xx or 5xx status; the server gave up waiting
//! on its database (the upstream it answers for), the request itself was well-formed, and a
//! retry of the same query would most likely run as long, so it is neither a 4xx nor the `503`
//! with `Retry-After` that overload gets.
//!
//! Dropping the request's future stops its work in this process; the work it left in the
//! database is stopped by the serving pool's own bound ([`crate::db::connect_serving`]), which
//! is the same figure.

use std::future::Future;
use std::time::{Duration, Instant};

use async_graphql::{Response, ServerError};

/// The code of a request stopped at the time limit.
pub const TIMEOUT: &str = "TIMEOUT";

/// `work` within `limit`, or the [`TIMEOUT`] answer.
pub async fn within(limit: Duration, work: impl Future<Output = Response>) -> Response {
    let started = Instant::now();
    match tokio::time::timeout(limit, work).await {
        Ok(resp) => resp,
        Err(_) => {
            let ran = started.elapsed();
            tracing::info!(limit = ?limit, ran = ?ran, "request stopped at the time limit");
            timed_out(limit, ran)
        }
    }
}

/// The answer to a request stopped after running `ran` against `limit`.
pub fn timed_out(limit: Duration, ran: Duration) -> Response {
    let mut e = ServerError::new(
        format!(
            "the request ran longer than the limit of {} (stopped after {}); ask for less, \
             e.g. smaller pages or fewer figures, or retry later",
            human(limit),
            human(ran)
        ),
        None,
    );
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", TIMEOUT);
    Response::from_errors(vec![e])
}

/// Whether a response is a [`TIMEOUT`] answer.
pub fn is_timeout(resp: &Response) -> bool {
    resp.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from(TIMEOUT))
    })
}

/// A duration for people: "10 s", "1.5 s", "250 ms".
fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1_000) {
        format!("{} s", ms / 1_000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_limit_and_the_time_run() {
        let r = timed_out(Duration::from_secs(10), Duration::from_millis(10_004));
        assert!(is_timeout(&r));
        assert!(
            r.errors[0].message.starts_with(
                "the request ran longer than the limit of 10 s (stopped after 10.0 s)"
            ),
            "{}",
            r.errors[0].message
        );
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
    }

    #[tokio::test]
    async fn work_past_the_limit_is_dropped() {
        let r = within(Duration::from_millis(20), async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Response::new(async_graphql::Value::Null)
        })
        .await;
        assert!(is_timeout(&r));
        let r = within(Duration::from_secs(5), async {
            Response::new(async_graphql::Value::Null)
        })
        .await;
        assert!(!is_timeout(&r));
    }
}
