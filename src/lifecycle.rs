//! Where a server instance is in its life — starting (migrating, building the demo, loading the
//! catalog), serving, stopping — and what graceful shutdown needs that axum does not do.
//!
//! `/readyz` reads the phase ([`Lifecycle::phase`]): only a serving instance is ready, so a load
//! balancer sends nothing to one that is starting or stopping. On shutdown
//! ([`Lifecycle::stop`], called by [`crate::run`] when its shutdown future completes) the token
//! is cancelled at once: `/readyz` turns 503, new WebSocket upgrades are refused with 503 and
//! `Retry-After`, and every open WebSocket is closed with 1001 (going away) so its client
//! reconnects elsewhere and resumes from its cursor. axum's graceful shutdown does not see
//! upgraded connections (their tasks run apart from the HTTP connection), so they are tracked
//! here ([`Lifecycle::track`]) and [`crate::run`] waits for them within the bound.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// An instance's phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not serving yet; says what it is doing (e.g. "building the demo inventory").
    Starting(String),
    /// Serving.
    Serving,
    /// Shutdown started: finishing what is in flight.
    Stopping,
}

/// Shared by every handler of one instance (cheap to clone).
#[derive(Clone, Debug)]
pub struct Lifecycle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    phase: Mutex<Phase>,
    stopping: CancellationToken,
    stopped_at: Mutex<Option<Instant>>,
    sockets: TaskTracker,
    /// Cancelled when start-up ends (serving or stopping).
    started: CancellationToken,
    /// The start-up server ([`crate::http::starting`]), handing over to the real one.
    early: TaskTracker,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            inner: Arc::new(Inner {
                phase: Mutex::new(Phase::Starting("starting".into())),
                stopping: CancellationToken::new(),
                stopped_at: Mutex::new(None),
                sockets: TaskTracker::new(),
                started: CancellationToken::new(),
                early: TaskTracker::new(),
            }),
        }
    }
}

impl Lifecycle {
    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.inner
            .phase
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Says what start-up is doing now (ignored once serving or stopping).
    pub fn starting(&self, what: impl Into<String>) {
        let mut p = self.inner.phase.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*p, Phase::Starting(_)) {
            *p = Phase::Starting(what.into());
        }
    }

    /// Ready to serve (ignored once stopping).
    pub fn serving(&self) {
        let mut p = self.inner.phase.lock().unwrap_or_else(|e| e.into_inner());
        if *p != Phase::Stopping {
            *p = Phase::Serving;
        }
        self.inner.started.cancel();
    }

    /// Completes when start-up ends (serving or stopping).
    pub async fn started(&self) {
        self.inner.started.cancelled().await
    }

    /// Runs `fut`, the start-up server, so that [`Lifecycle::early_stopped`] waits for it.
    pub fn track_early<F: std::future::Future>(
        &self,
        fut: F,
    ) -> tokio_util::task::task_tracker::TrackedFuture<F> {
        self.inner.early.track_future(fut)
    }

    /// Waits until the start-up server (if any) no longer accepts connections.
    pub async fn early_stopped(&self) {
        self.inner.early.close();
        self.inner.early.wait().await;
    }

    /// Starts shutdown: not ready any more, WebSockets told to close.
    pub fn stop(&self) {
        *self.inner.phase.lock().unwrap_or_else(|e| e.into_inner()) = Phase::Stopping;
        self.inner
            .stopped_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert_with(Instant::now);
        self.inner.stopping.cancel();
        self.inner.started.cancel();
    }

    /// Whether shutdown has started.
    pub fn is_stopping(&self) -> bool {
        self.inner.stopping.is_cancelled()
    }

    /// Completes when shutdown starts.
    pub async fn stopped(&self) {
        self.inner.stopping.cancelled().await
    }

    /// When shutdown started.
    pub fn stopped_at(&self) -> Option<Instant> {
        *self
            .inner
            .stopped_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The token cancelled when shutdown starts.
    pub fn token(&self) -> CancellationToken {
        self.inner.stopping.clone()
    }

    /// Runs `fut` as a tracked WebSocket connection (shutdown waits for it).
    pub fn track<F: std::future::Future>(
        &self,
        fut: F,
    ) -> tokio_util::task::task_tracker::TrackedFuture<F> {
        self.inner.sockets.track_future(fut)
    }

    /// WebSocket connections open now.
    pub fn open_sockets(&self) -> usize {
        self.inner.sockets.len()
    }

    /// Waits until every tracked WebSocket has ended.
    pub async fn sockets_closed(&self) {
        self.inner.sockets.close();
        self.inner.sockets.wait().await;
    }
}

/// Serves `app` on `listener` until shutdown starts, then stops within the bound: keeps
/// accepting for `accept_for` (not ready, upgrades refused), stops accepting, lets in-flight
/// requests and streamed exports finish and waits for the WebSockets (told to close with 1001)
/// until `grace` after the signal; what still runs then is cut. Logs how long it took.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    lifecycle: Lifecycle,
    settings: crate::config::ShutdownSettings,
) -> std::io::Result<()> {
    use std::future::IntoFuture;
    let accepting = lifecycle.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        accepting.stopped().await;
        tracing::info!(
            websockets = accepting.open_sockets(),
            "shutting down: not ready, closing WebSockets with 1001, finishing requests in flight"
        );
        tokio::time::sleep(settings.accept_for).await;
    })
    .into_future();
    tokio::pin!(server);
    let deadline = async {
        lifecycle.stopped().await;
        let since = lifecycle.stopped_at().unwrap_or_else(Instant::now);
        tokio::time::sleep_until((since + settings.grace).into()).await;
    };
    let mut cut = false;
    tokio::select! {
        served = &mut server => served?,
        _ = deadline => cut = true,
    }
    let since = lifecycle.stopped_at().unwrap_or_else(Instant::now);
    let left = (since + settings.grace).saturating_duration_since(Instant::now());
    if tokio::time::timeout(left, lifecycle.sockets_closed())
        .await
        .is_err()
    {
        cut = true;
    }
    let ms = since.elapsed().as_millis() as u64;
    if cut {
        tracing::warn!(
            elapsed_ms = ms,
            websockets = lifecycle.open_sockets(),
            "shutdown bound reached: cutting what still runs"
        );
    } else {
        tracing::info!(elapsed_ms = ms, "shut down: every request finished");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_move_forward_only() {
        let l = Lifecycle::default();
        assert!(matches!(l.phase(), Phase::Starting(_)));
        l.starting("building the demo inventory");
        assert_eq!(
            l.phase(),
            Phase::Starting("building the demo inventory".into())
        );
        l.serving();
        l.starting("again");
        assert_eq!(l.phase(), Phase::Serving);
        l.stop();
        l.serving();
        assert_eq!(l.phase(), Phase::Stopping);
        assert!(l.is_stopping() && l.stopped_at().is_some());
    }
}
