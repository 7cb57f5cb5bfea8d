//! The bound on heavy work: figures over large selections (searches, facets, `stats`, orderings
//! other than by id) run on Tokio's blocking threads, at most `workers` at a time, so they never
//! occupy the threads that serve one-row lookups, the outbox reader and subscriptions. Callers
//! past the queue's bound are refused at once ([`Busy`], HTTP 503 with `Retry-After`), and so is
//! a caller that waited longer than the wait bound: overload is answered, never queued for ever.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

/// Heavy work was refused: too many callers are already waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the server is busy with heavy queries (statistics, facets, broad searches); retry in a moment"
)]
pub struct Busy;

/// How much heavy work runs and waits at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Heavy computations running at once.
    pub workers: usize,
    /// Callers waiting for a worker beyond those running; more are refused at once.
    pub queue: usize,
    /// The longest a caller waits for a worker before it is refused.
    pub wait: Duration,
}

impl Default for Limits {
    /// One worker fewer than the cores (at least one), so one core always stays free for light
    /// requests; a queue of 64; a wait of at most 5 s.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Limits {
            workers: cores.saturating_sub(1).max(1),
            queue: 64,
            wait: Duration::from_secs(5),
        }
    }
}

/// The gate heavy work goes through (cheap to clone; clones share the bound).
#[derive(Debug, Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    limits: Limits,
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(Limits::default())
    }
}

/// Takes a place in the queue and gives it back when dropped (also when the caller goes away).
struct Place<'a>(&'a AtomicUsize);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    pub fn new(limits: Limits) -> Gate {
        Gate {
            permits: Arc::new(Semaphore::new(limits.workers.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            limits,
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Heavy computations running and callers waiting, now.
    pub fn load(&self) -> (usize, usize) {
        let workers = self.limits.workers.max(1);
        (
            workers.saturating_sub(self.permits.available_permits()),
            self.waiting.load(Ordering::Acquire),
        )
    }

    /// Runs `work` on a blocking thread once a worker is free; [`Busy`] at once when the queue
    /// is full, or after the wait bound.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.limits.queue {
                    self.waiting.fetch_sub(1, Ordering::AcqRel);
                    crate::telemetry::metrics::heavy_refused("queue_full");
                    return Err(Busy);
                }
                let _place = Place(&self.waiting);
                match tokio::time::timeout(self.limits.wait, self.permits.clone().acquire_owned())
                    .await
                {
                    Ok(Ok(p)) => p,
                    _ => {
                        crate::telemetry::metrics::heavy_refused("wait_timeout");
                        return Err(Busy);
                    }
                }
            }
        };
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await;
        match joined {
            Ok(v) => Ok(v),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refuses_past_the_queue_and_runs_the_rest() {
        let gate = Gate::new(Limits {
            workers: 1,
            queue: 1,
            wait: Duration::from_secs(30),
        });
        // Hold the one worker until told.
        let (release, hold) = mpsc::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let g = gate.clone();
        let first = tokio::spawn(async move {
            g.run(move || {
                started_tx.send(()).ok();
                hold.recv().ok();
                1
            })
            .await
        });
        started.await.expect("the first runs");
        // One may wait...
        let g = gate.clone();
        let second = tokio::spawn(async move { g.run(|| 2).await });
        while gate.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        // ...the next is refused at once.
        assert_eq!(gate.run(|| 3).await, Err(Busy));
        release.send(()).expect("the first still holds");
        assert_eq!(first.await.expect("joined"), Ok(1));
        assert_eq!(second.await.expect("joined"), Ok(2));
        // Everything given back: a new caller runs.
        assert_eq!(gate.run(|| 4).await, Ok(4));
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn a_caller_waiting_past_the_bound_is_refused() {
        let gate = Gate::new(Limits {
            workers: 1,
            queue: 8,
            wait: Duration::from_millis(50),
        });
        let (release, hold) = mpsc::channel::<()>();
        let g = gate.clone();
        let first = tokio::spawn(async move { g.run(move || hold.recv().is_ok()).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(gate.run(|| ()).await, Err(Busy));
        release.send(()).ok();
        assert_eq!(first.await.expect("joined"), Ok(true));
    }
}
