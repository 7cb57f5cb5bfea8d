//! What a resolver knows about its request, built in one place for HTTP and WebSocket, and the
//! one way mutations write.
//!
//! - [`fill`]: the per-request data (database, catalog, loaders, clock, deadlines, the caller, the client
//!   address, the hub), the same for a POST, a GET and a WebSocket connection;
//! - [`viewer`], [`caller`]: who is asking (the workflow's [`Caller`] with an officer's scope);
//! - [`write`]: begin a write transaction, run the domain call in it, commit, map its error to
//!   an [`ApiError`], wake this instance's subscribers at once, and wait until this instance's
//!   catalog shows the change (read your writes).

use async_graphql::{Context, Data};
use chrono::{DateTime, Utc};
use entity::enums::Role;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use super::loaders::loaders;
use crate::AppState;
use crate::auth::{self, Viewer};
use crate::catalog::Catalog;
use crate::clock::SharedClock;
use crate::db::begin_write;
use crate::domain::workflow::Caller;
use crate::error::ApiError;
use crate::events;
use crate::hub::Hub;

/// How long a mutation waits for this instance's catalog to apply its own change.
const READ_YOUR_WRITES_BOUND: std::time::Duration = std::time::Duration::from_secs(10);

/// The client's address, for the sign-up rate limit.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

/// How long the per-request data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// One HTTP request: loaders cache what they read.
    Request,
    /// A WebSocket connection, open for hours: loaders do not cache, so every event is read fresh.
    Connection,
}

/// Puts what resolvers need into `data`.
pub fn fill(
    data: &mut Data,
    state: &AppState,
    viewer: Viewer,
    address: Option<String>,
    lifetime: Lifetime,
) {
    let l = loaders(
        state.db.clone(),
        state.catalog.clone(),
        state.clock.today_seoul(),
    );
    if lifetime == Lifetime::Connection {
        l.enable_all_cache(false);
    }
    data.insert(state.db.clone());
    data.insert(state.catalog.clone());
    data.insert(l);
    data.insert(state.clock.clone());
    data.insert(state.deadlines.as_ref().clone());
    data.insert(viewer);
    data.insert(ClientAddress(address.unwrap_or_else(|| "unknown".into())));
    if let Some(hub) = &state.hub {
        data.insert(hub.clone());
    }
}

/// The caller.
pub fn viewer<'a>(ctx: &'a Context<'_>) -> &'a Viewer {
    ctx.data_unchecked::<Viewer>()
}

/// The database.
pub fn db<'a>(ctx: &'a Context<'_>) -> &'a DatabaseConnection {
    ctx.data_unchecked::<DatabaseConnection>()
}

/// Now, by the server's clock.
pub fn now(ctx: &Context<'_>) -> DateTime<Utc> {
    ctx.data_unchecked::<SharedClock>().now()
}

/// The caller as the request workflow sees it, who must have one of `roles` to do `what`.
pub async fn caller(ctx: &Context<'_>, roles: &[Role], what: &str) -> Result<Caller, ApiError> {
    let v = viewer(ctx);
    let a = v.require(roles, what)?;
    let scope = match a.institution_id {
        Some(i) if a.role == Role::Officer => auth::officer_scope(db(ctx), i).await?,
        _ => Vec::new(),
    };
    Ok(Caller {
        account_id: a.account_id,
        role: a.role,
        scope,
        label: v.actor_label(),
    })
}

/// Runs `work` in a write transaction: commits when it succeeds, rolls back when it fails (so a
/// failed mutation leaves the data as it was), maps its error to an [`ApiError`], and after a
/// commit that appended events wakes this instance's hub, so local subscribers get them at once
/// instead of at the next poll.
pub async fn write<T, E>(
    ctx: &Context<'_>,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, E>,
) -> Result<T, ApiError>
where
    ApiError: From<E>,
{
    let txn = begin_write(db(ctx)).await?;
    // The outbox position this write reaches (for read-your-writes waits, later). The domain
    // call's future goes on the heap: the workflow's is large, and a resolver's future lives
    // inside the whole request's.
    let (result, appended) = events::recording(Box::pin(work(&txn))).await;
    let value = match result {
        Ok(v) => v,
        Err(e) => {
            if let Err(r) = txn.rollback().await {
                tracing::warn!(error = %r, "rolling back a failed mutation failed");
            }
            return Err(e.into());
        }
    };
    txn.commit().await?;
    if let Some(position) = appended {
        if let Some(hub) = ctx.data_opt::<Hub>() {
            hub.poke();
        }
        // Read your writes: this instance's catalog reflects the change before the caller
        // hears back (bounded, so a stalled catalog cannot hold a mutation forever).
        if let Some(catalog) = ctx.data_opt::<Catalog>()
            && !catalog.wait_for(position, READ_YOUR_WRITES_BOUND).await
        {
            tracing::warn!(position, "catalog: not caught up with a mutation in time");
        }
    }
    Ok(value)
}
