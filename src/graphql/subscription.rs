//! The root subscription, over WebSocket at `/graphql/ws` (`graphql-transport-ws`, and the
//! legacy `graphql-ws`). Events come from the outbox through the instance's [`Hub`]: delivered
//! only after commit, in commit order, with a cursor to resume from after a reconnect.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{
    Context, ErrorExtensions, ID, InputObject, Result, SimpleObject, Subscription,
};
use entity::institution;
use futures::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::broadcast::error::RecvError;

use super::ids::{self, NodeKind};
use super::types::enums::{Category, RequestState};
use super::types::feed::{DisclosureChange, FeedPosition};
use super::types::plan::Milestone;
use super::types::request::DataRequest;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::events::{self, Event, Stored, Topic};
use crate::hub::Hub;

/// Live changes.
#[derive(Default)]
pub struct SubscriptionRoot;

/// Which disclosure changes to receive; every field narrows, lists mean "any of".
#[derive(InputObject, Default)]
pub struct DisclosureChangeFilter {
    /// Datasets of these institutions (portal codes).
    pub institution_code: Option<Vec<String>>,
    /// Datasets in these categories.
    pub category: Option<Vec<Category>>,
    /// These datasets.
    pub dataset_id: Option<Vec<ID>>,
}

/// A change of a request's state.
#[derive(SimpleObject)]
pub struct RequestUpdate {
    /// Resume from here after a reconnect (`after`).
    pub cursor: String,
    /// State before.
    pub from_state: Option<RequestState>,
    /// State now.
    pub state: RequestState,
    /// The request as it is now (the requester only for those allowed to see it).
    pub request: Option<DataRequest>,
}

/// A milestone changed.
#[derive(SimpleObject)]
pub struct MilestoneUpdate {
    /// Resume from here after a reconnect (`after`).
    pub cursor: String,
    /// The milestone as it is now.
    pub milestone: Option<Milestone>,
}

/// Committed outbox events of `topic` after `after` (replayed from the database), then live
/// ones from the hub; ends with an error when the token is revoked or the subscriber fell too far
/// behind.
fn outbox_stream(
    ctx: &Context<'_>,
    topic: Topic,
    after: Option<i64>,
) -> impl Stream<Item = Result<Arc<Stored>>> + use<> {
    let db = ctx.data_unchecked::<DatabaseConnection>().clone();
    let hub = ctx.data_unchecked::<Hub>().clone();
    let viewer = ctx.data_opt::<Viewer>().cloned().unwrap_or_default();
    // Subscribe before replaying, so nothing committed in between is lost.
    let mut rx = hub.subscribe();
    async_stream::stream! {
        let mut last = after;
        if let Some(mut cursor) = after {
            loop {
                let rows = match events::after(&db, Some(topic), cursor, 500).await {
                    Ok(r) => r,
                    Err(e) => { yield Err(ApiError::from(e).into()); return; }
                };
                let n = rows.len();
                for r in rows {
                    cursor = r.id;
                    last = Some(r.id);
                    if let Some(ev) = Stored::decode(&r) {
                        yield Ok(Arc::new(ev));
                    }
                }
                if n < 500 { break; }
            }
        }
        loop {
            let ev = match rx.recv().await {
                Ok(ev) => ev,
                Err(RecvError::Lagged(n)) => {
                    let resume = last.map(|l| ids::encode_cursor(&FeedPosition { f: l })).unwrap_or_default();
                    yield Err(async_graphql::Error::new(format!(
                        "this subscriber fell {n} events behind and was closed; subscribe again with after: \"{resume}\""
                    )).extend_with(|_, e| e.set("code", "SUBSCRIBER_TOO_SLOW")));
                    return;
                }
                Err(RecvError::Closed) => return,
            };
            if ev.event.topic() != topic || last.is_some_and(|l| ev.id <= l) {
                continue;
            }
            // Permissions are re-checked as events flow: a revoked token stops receiving.
            if let Some(a) = viewer.actor() {
                match crate::auth::token_active(&db, a.token_id).await {
                    Ok(true) => {}
                    Ok(false) => {
                        yield Err(ApiError::Unauthenticated("the token was revoked".into()).into());
                        return;
                    }
                    Err(e) => { yield Err(ApiError::from(e).into()); return; }
                }
            }
            last = Some(ev.id);
            yield Ok(ev);
        }
    }
}

fn decode_after(after: Option<String>) -> Result<Option<i64>, ApiError> {
    after
        .map(|c| ids::decode_cursor::<FeedPosition>(&c).map(|p| p.f))
        .transpose()
}

/// Live changes over WebSocket at `/graphql/ws`, from the outbox of committed changes.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Disclosure changes as they commit, optionally filtered; pass `after` (a cursor from an
    /// earlier event or from `disclosureChanges`) to resume without missing anything.
    async fn disclosure_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which changes; all when omitted.")] filter: Option<
            DisclosureChangeFilter,
        >,
        #[graphql(desc = "Resume after this cursor.")] after: Option<String>,
    ) -> Result<impl Stream<Item = Result<DisclosureChange>> + use<>> {
        let filter = filter.unwrap_or_default();
        let after = decode_after(after)?;
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let institutions: Option<HashSet<i64>> = match &filter.institution_code {
            Some(codes) => Some(
                institution::Entity::find()
                    .filter(
                        institution::Column::Code.is_in(codes.iter().map(|c| c.trim().to_string())),
                    )
                    .all(db)
                    .await
                    .map_err(ApiError::from)?
                    .into_iter()
                    .map(|i| i.id)
                    .collect(),
            ),
            None => None,
        };
        let categories: Option<HashSet<entity::enums::Category>> = filter
            .category
            .map(|v| v.into_iter().map(Into::into).collect());
        let datasets: Option<HashSet<i64>> = filter
            .dataset_id
            .map(|v| {
                v.iter()
                    .map(|i| ids::decode_as(i, NodeKind::Dataset))
                    .collect::<Result<_, _>>()
            })
            .transpose()?;
        let stream = outbox_stream(ctx, events::DISCLOSURE, after);
        Ok(futures::StreamExt::filter_map(stream, move |ev| {
            let out = match ev {
                Err(e) => Some(Err(e)),
                Ok(ev) => match &ev.event {
                    Event::Disclosure(c)
                        if institutions
                            .as_ref()
                            .is_none_or(|s| s.contains(&c.institution_id))
                            && categories.as_ref().is_none_or(|s| s.contains(&c.category))
                            && datasets.as_ref().is_none_or(|s| s.contains(&c.dataset_id)) =>
                    {
                        Some(Ok(DisclosureChange::new(ev.id, ev.committed_at, c)))
                    }
                    _ => None,
                },
            };
            async move { out }
        }))
    }

    /// State changes of one request. Everyone may watch; the requester is shown only to those
    /// allowed to see it, and a revoked token stops the stream.
    async fn request_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "Resume after this cursor.")] after: Option<String>,
    ) -> Result<impl Stream<Item = Result<RequestUpdate>> + use<>> {
        let rid = ids::decode_as(&id, NodeKind::DataRequest)?;
        let after = decode_after(after)?;
        let db = ctx.data_unchecked::<DatabaseConnection>().clone();
        entity::data_request::Entity::find_by_id(rid)
            .one(&db)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound(format!("no data request with id '{}'", id.0)))?;
        let stream = outbox_stream(ctx, Topic::Request, after);
        Ok(futures::StreamExt::filter_map(stream, move |ev| {
            let db = db.clone();
            async move {
                let ev = match ev {
                    Err(e) => return Some(Err(e)),
                    Ok(ev) => ev,
                };
                let change = match &ev.event {
                    Event::Request(c) if c.request_id == rid => c,
                    _ => return None,
                };
                let request = match entity::data_request::Entity::find_by_id(rid).one(&db).await {
                    Ok(r) => r.map(DataRequest::from),
                    Err(e) => return Some(Err(ApiError::from(e).into())),
                };
                Some(Ok(RequestUpdate {
                    cursor: ids::encode_cursor(&FeedPosition { f: ev.id }),
                    from_state: change.from.map(Into::into),
                    state: change.state.into(),
                    request,
                }))
            }
        }))
    }

    /// Milestone changes (completion, evidence) as they commit.
    async fn milestone_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Resume after this cursor.")] after: Option<String>,
    ) -> Result<impl Stream<Item = Result<MilestoneUpdate>> + use<>> {
        let after = decode_after(after)?;
        let db = ctx.data_unchecked::<DatabaseConnection>().clone();
        let stream = outbox_stream(ctx, events::MILESTONE, after);
        Ok(futures::StreamExt::filter_map(stream, move |ev| {
            let db = db.clone();
            async move {
                let ev = match ev {
                    Err(e) => return Some(Err(e)),
                    Ok(ev) => ev,
                };
                let Event::Milestone(change) = &ev.event else {
                    return None;
                };
                let m = match entity::milestone::Entity::find_by_id(change.milestone_id)
                    .one(&db)
                    .await
                {
                    Ok(m) => m.map(Milestone::from),
                    Err(e) => return Some(Err(ApiError::from(e).into())),
                };
                Some(Ok(MilestoneUpdate {
                    cursor: ids::encode_cursor(&FeedPosition { f: ev.id }),
                    milestone: m,
                }))
            }
        }))
    }
}
