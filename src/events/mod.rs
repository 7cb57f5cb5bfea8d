//! Events: the outbox of committed changes, in commit order, as one typed [`Event`].
//!
//! Writers (disclosure changes, the request workflow, registry upkeep, the import, audits)
//! build an [`Event`] and [`append`] it as the last statement of their transaction; the topic
//! and the entity id follow from the variant. Readers (the hub, subscriptions, the change feed)
//! decode stored rows back into [`Stored`] events. The JSON keeps the keys it has always had
//! ([`payload`]), so old outboxes stay readable.
//!
//! - [`outbox`]: [`append`] (ordering lock and `NOTIFY` on PostgreSQL), [`after`], [`PG_CHANNEL`];
//! - [`payload`]: what each kind carries;
//! - [`audit`]: the audit trail's one-line writer.

pub mod outbox;
pub mod payload;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

pub use outbox::{PG_CHANNEL, after, append, last_id, recording};
pub use payload::{Audited, DisclosureChanged, Imported, MilestoneChanged, RequestChanged};

/// Topic of disclosure changes (the change feed and `disclosureChanged`).
pub const DISCLOSURE: Topic = Topic::Disclosure;
/// Topic of milestone changes.
pub const MILESTONE: Topic = Topic::Milestone;

/// A committed change, as the outbox stores it: `topic` names the variant, `payload` holds its
/// fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "topic", content = "payload", rename_all = "snake_case")]
pub enum Event {
    Disclosure(DisclosureChanged),
    Request(RequestChanged),
    Milestone(MilestoneChanged),
    Audit(Audited),
    Import(Imported),
}

/// The outbox's topics, one per [`Event`] variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Disclosure,
    Request,
    Milestone,
    Audit,
    Import,
}

impl Topic {
    /// As stored in `outbox.topic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Disclosure => "disclosure",
            Topic::Request => "request",
            Topic::Milestone => "milestone",
            Topic::Audit => "audit",
            Topic::Import => "import",
        }
    }
}

impl Event {
    /// The topic subscribers filter on.
    pub fn topic(&self) -> Topic {
        match self {
            Event::Disclosure(_) => Topic::Disclosure,
            Event::Request(_) => Topic::Request,
            Event::Milestone(_) => Topic::Milestone,
            Event::Audit(_) => Topic::Audit,
            Event::Import(_) => Topic::Import,
        }
    }

    /// The id of the entity it is about (`outbox.entity_id`).
    pub fn entity_id(&self) -> i64 {
        match self {
            Event::Disclosure(e) => e.dataset_id,
            Event::Request(e) => e.request_id,
            Event::Milestone(e) => e.milestone_id,
            Event::Audit(e) => e.id,
            Event::Import(e) => e.run_id,
        }
    }

    /// The stored payload (the variant's fields).
    pub fn payload(&self) -> serde_json::Result<serde_json::Value> {
        match serde_json::to_value(self)? {
            serde_json::Value::Object(mut m) => Ok(m.remove("payload").unwrap_or_default()),
            _ => unreachable!("an adjacently tagged enum serializes as an object"),
        }
    }

    /// The event a stored topic and payload hold.
    pub fn from_stored(topic: &str, payload: &serde_json::Value) -> serde_json::Result<Event> {
        Event::deserialize(serde_json::json!({ "topic": topic, "payload": payload }))
    }
}

/// An event read back from the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its outbox id: its position in commit order, and the cursor to resume after it.
    pub id: i64,
    /// When it was committed.
    pub committed_at: DateTime<Utc>,
    pub event: Event,
}

impl Stored {
    /// Reads a row; None (logged) for a row this version cannot read.
    pub fn decode(row: &entity::outbox::Model) -> Option<Stored> {
        match Event::from_stored(&row.topic, &row.payload) {
            Ok(event) => Some(Stored {
                id: row.id,
                committed_at: row.created_at,
                event,
            }),
            Err(e) => {
                tracing::warn!(id = row.id, topic = %row.topic, error = %e, "unreadable outbox event skipped");
                None
            }
        }
    }
}

/// Appends an audit event: who did what to which entity.
pub async fn audit<C: ConnectionTrait>(
    txn: &C,
    actor: &str,
    action: &str,
    entity: &str,
    entity_id: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let e = Event::Audit(Audited {
        actor: actor.into(),
        action: action.into(),
        entity: entity.into(),
        id: entity_id,
    });
    append(txn, vec![e], now).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::enums::{Category, DisclosureStatus, RequestState, WithholdingGround};
    use serde_json::json;

    /// Payloads as the first release wrote them read back, and are written again with the
    /// same keys and values.
    #[test]
    fn stored_payloads_of_every_topic_round_trip() {
        let cases = [
            (
                "disclosure",
                json!({
                    "event_id": 7, "dataset_id": 4, "institution_id": 2,
                    "category": "TRANSPORT_LOGISTICS", "from": "WITHHELD", "to": "OPEN",
                    "ground": "OIDA_9_1_6_PERSONAL_INFORMATION", "occurred_at": "2025-03-01T09:30:00Z"
                }),
            ),
            (
                "disclosure",
                json!({
                    "event_id": 8, "dataset_id": 4, "institution_id": 2,
                    "category": "TRANSPORT_LOGISTICS", "from": "OPEN", "to": "OPEN",
                    "ground": null, "occurred_at": "2025-03-02T09:30:00Z",
                    "from_listed": true, "listed": false
                }),
            ),
            (
                "request",
                json!({ "request_id": 3, "from": null, "state": "RECEIVED",
                        "institution_id": 2, "dataset_id": null }),
            ),
            (
                "milestone",
                json!({ "milestone_id": 5, "completion": "COMPLETED" }),
            ),
            (
                "audit",
                json!({ "actor": "admin:1", "action": "createPlan", "entity": "plan", "id": 9 }),
            ),
        ];
        for (topic, payload) in cases {
            let e = Event::from_stored(topic, &payload).unwrap_or_else(|e| panic!("{topic}: {e}"));
            assert_eq!(e.topic().as_str(), topic);
            assert_eq!(e.payload().unwrap(), payload, "{topic}");
        }
        // The import event gained its run id; older ones without it still read.
        let old = json!({ "file": "a.csv", "inserted": 1, "updated": 2, "delisted": 0 });
        let e = Event::from_stored("import", &old).unwrap();
        assert_eq!(e.entity_id(), 0);
    }

    #[test]
    fn topic_and_entity_follow_the_variant() {
        let e = Event::Disclosure(DisclosureChanged {
            event_id: 1,
            dataset_id: 40,
            institution_id: 2,
            category: Category::Law,
            from: None,
            to: DisclosureStatus::Withheld,
            ground: Some(WithholdingGround::PersonalInformation),
            occurred_at: "2025-01-02T03:04:05Z".parse().unwrap(),
            from_listed: Some(true),
            listed: true,
        });
        assert_eq!((e.topic(), e.entity_id()), (Topic::Disclosure, 40));
        assert_eq!(e.payload().unwrap()["to"], "WITHHELD");
        assert_eq!(
            e.payload().unwrap()["ground"],
            "OIDA_9_1_6_PERSONAL_INFORMATION"
        );
        let r = Event::Request(RequestChanged {
            request_id: 8,
            from: Some(RequestState::Received),
            state: RequestState::Extended,
            institution_id: 2,
            dataset_id: Some(40),
        });
        assert_eq!((r.topic(), r.entity_id()), (Topic::Request, 8));
        assert!(Event::from_stored("disclosure", &json!({ "to": "NOPE" })).is_err());
        assert!(Event::from_stored("nope", &json!({})).is_err());
    }
}
