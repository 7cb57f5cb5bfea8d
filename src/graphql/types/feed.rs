//! The change feed: disclosure changes in commit order after an opaque cursor.

use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::disclosure::Ground;
use super::enums::DisclosureStatus;
use crate::events::{DisclosureChanged, Event, Stored};
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::loaders::{DatasetId, Loaders};

/// Position in the feed (an outbox id), opaque to clients.
#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
pub struct FeedPosition {
    /// Outbox id.
    pub f: i64,
}

/// One committed change of a dataset's disclosure or listing (a delisting or relisting keeps the
/// status and changes `listed`).
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct DisclosureChange {
    /// Resume from here: pass it as `after` to get what came next.
    pub cursor: String,
    /// Global id of the dataset.
    pub dataset_id: ID,
    /// Status before; null when the dataset entered the inventory.
    pub from_status: Option<DisclosureStatus>,
    /// Status after.
    pub to_status: DisclosureStatus,
    /// Ground after the change, if any.
    pub ground: Option<Ground>,
    /// When the change took effect.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When it was committed here.
    pub committed_at: DateTime<Utc>,
    /// Whether the dataset was listed before; null when it entered the inventory.
    pub from_listed: Option<bool>,
    /// Whether the dataset is listed after the change.
    pub listed: bool,
    #[graphql(skip)]
    pub row_dataset_id: i64,
}

#[ComplexObject]
impl DisclosureChange {
    /// The dataset now.
    async fn dataset(&self, ctx: &Context<'_>) -> Result<Option<Dataset>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(DatasetId(self.row_dataset_id))
            .await?
            .map(Dataset::from))
    }
}

/// A slice of the feed.
#[derive(SimpleObject, Clone, Debug)]
pub struct DisclosureChangePage {
    /// Changes in commit order.
    pub changes: Vec<DisclosureChange>,
    /// Where to resume: the last change's cursor, or the cursor given when there was nothing new.
    pub end_cursor: Option<String>,
    /// True when more changes are already waiting.
    pub has_more: bool,
}

impl DisclosureChange {
    /// The change a committed event reports.
    pub fn new(id: i64, committed_at: DateTime<Utc>, c: &DisclosureChanged) -> Self {
        DisclosureChange {
            cursor: crate::graphql::ids::encode_cursor(&FeedPosition { f: id }),
            dataset_id: encode(NodeKind::Dataset, c.dataset_id),
            from_status: c.from.map(Into::into),
            to_status: c.to.into(),
            ground: c.ground.map(Ground::from),
            occurred_at: Some(c.occurred_at),
            committed_at,
            // Changes recorded before listing had a history all left the dataset listed.
            from_listed: c.from_listed.or(c.from.map(|_| true)),
            listed: c.listed,
            row_dataset_id: c.dataset_id,
        }
    }

    /// Reads an outbox row of the disclosure topic; None if it is not one.
    pub fn from_outbox(m: &entity::outbox::Model) -> Option<Self> {
        match Stored::decode(m)? {
            Stored {
                id,
                committed_at,
                event: Event::Disclosure(c),
            } => Some(DisclosureChange::new(id, committed_at, &c)),
            _ => None,
        }
    }
}
