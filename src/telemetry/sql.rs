//! SQL statements counted: SeaORM calls back after every statement on the request pool
//! ([`observe`]), which counts it by kind, records its duration, and adds one to the counter of
//! the GraphQL operation running in that task, if any ([`Statements`], a task-local set by
//! [`super::operations`]).
//!
//! Batched loads run in tasks of their own (the data loader spawns them): [`Spawner`] hands the
//! spawning operation's counter to them, so an operation's count includes its loaders'.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use futures::future::FutureObj;
use futures::task::{Spawn, SpawnError};
use metrics::{Counter, Histogram};
use sea_orm::DatabaseConnection;

use super::metrics::{SQL_DURATION, SQL_FAILED, SQL_STATEMENTS, handle};

/// The statements one operation ran.
pub type Statements = Arc<AtomicU32>;

tokio::task_local! {
    static CURRENT: Statements;
}

/// Runs `f` with statements counted into `counter`.
pub fn scope<F: Future>(counter: Statements, f: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(counter, f)
}

/// Runs `f` (one poll of a stream) with statements counted into `counter`.
pub fn sync_scope<R>(counter: &Statements, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(counter.clone(), f)
}

/// The counter of the operation running in this task.
fn current() -> Option<Statements> {
    CURRENT.try_with(Clone::clone).ok()
}

/// The statement kinds counted apart.
const KINDS: [&str; 5] = ["select", "insert", "update", "delete", "other"];

/// Handles of the statement metrics, taken once.
struct Handles {
    by_kind: [Counter; KINDS.len()],
    failed: Counter,
    duration: Histogram,
}

fn handles() -> &'static Handles {
    static H: std::sync::OnceLock<Handles> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        let _ = handle();
        Handles {
            by_kind: KINDS.map(|k| metrics::counter!(SQL_STATEMENTS, "kind" => k)),
            failed: metrics::counter!(SQL_FAILED),
            duration: metrics::histogram!(SQL_DURATION),
        }
    })
}

/// The kind of a statement from its first word (`WITH …` counts as `select`).
fn kind(sql: &str) -> usize {
    let word = sql
        .trim_start_matches(|c: char| c.is_whitespace() || c == '(')
        .as_bytes();
    let is = |w: &str| word.len() >= w.len() && word[..w.len()].eq_ignore_ascii_case(w.as_bytes());
    if is("select") || is("with") {
        0
    } else if is("insert") {
        1
    } else if is("update") {
        2
    } else if is("delete") {
        3
    } else {
        4
    }
}

/// Counts every statement of `db` (and of its clones made afterwards).
pub fn observe(db: &mut DatabaseConnection) {
    let h = handles();
    db.set_metric_callback(move |info| {
        h.by_kind[kind(&info.statement.sql)].increment(1);
        h.duration.record(info.elapsed.as_secs_f64());
        if info.failed {
            h.failed.increment(1);
        }
        let _ = CURRENT.try_with(|c| c.fetch_add(1, Ordering::Relaxed));
    });
}

/// A spawner that runs each task with the spawning operation's statement counter.
pub struct Spawner<S>(pub S);

impl<S: Spawn> Spawn for Spawner<S> {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        match current() {
            Some(counter) => self
                .0
                .spawn_obj(FutureObj::new(Box::pin(scope(counter, future)))),
            None => self.0.spawn_obj(future),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_told_apart_by_their_first_word() {
        let k = |s| KINDS[kind(s)];
        assert_eq!(k("SELECT 1"), "select");
        assert_eq!(k("  with x as (select 1) select * from x"), "select");
        assert_eq!(k("(SELECT 1) UNION (SELECT 2)"), "select");
        assert_eq!(k("INSERT INTO t VALUES (1)"), "insert");
        assert_eq!(k("update t set a = 1"), "update");
        assert_eq!(k("DELETE FROM t"), "delete");
        assert_eq!(k("BEGIN IMMEDIATE"), "other");
        assert_eq!(k(""), "other");
    }
}
