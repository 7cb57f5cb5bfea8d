//! What each kind of event carries, as stored in `outbox.payload` (JSON). Keys and value
//! spellings are those of the first release, so outboxes written by any version stay readable:
//! vocabulary values are their stored upper-case strings (`WITHHELD`), times RFC 3339.

use chrono::{DateTime, Utc};
use entity::enums::{Category, Completion, DisclosureStatus, RequestState, WithholdingGround};
use serde::{Deserialize, Serialize};

/// A dataset's disclosure changed (topic `disclosure`: the change feed, `disclosureChanged`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureChanged {
    /// The `disclosure_event` row recording it.
    pub event_id: i64,
    pub dataset_id: i64,
    pub institution_id: i64,
    #[serde(with = "stored")]
    pub category: Category,
    /// None when the dataset entered the inventory.
    #[serde(default, with = "stored_opt")]
    pub from: Option<DisclosureStatus>,
    #[serde(with = "stored")]
    pub to: DisclosureStatus,
    #[serde(default, with = "stored_opt")]
    pub ground: Option<WithholdingGround>,
    pub occurred_at: DateTime<Utc>,
    /// Listed before the change; None when the dataset entered the inventory (and in events
    /// written before listing had a history, which all left the dataset listed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_listed: Option<bool>,
    /// Listed after the change. A delisting or relisting keeps the status (`from` = `to`).
    #[serde(default = "listed", skip_serializing_if = "is_listed")]
    pub listed: bool,
}

fn listed() -> bool {
    true
}

fn is_listed(l: &bool) -> bool {
    *l
}

impl DisclosureChanged {
    /// The event of a recorded disclosure change.
    pub fn of(
        e: &entity::disclosure_event::Model,
        institution_id: i64,
        category: Category,
    ) -> Self {
        DisclosureChanged {
            event_id: e.id,
            dataset_id: e.dataset_id,
            institution_id,
            category,
            from: e.from_status,
            to: e.to_status,
            ground: e.ground,
            occurred_at: e.occurred_at,
            from_listed: e.from_listed,
            listed: e.listed,
        }
    }
}

/// A request's state changed (topic `request`: `requestUpdated`). No requester: subscribers of
/// every kind read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestChanged {
    pub request_id: i64,
    /// None when it was filed.
    #[serde(default, with = "stored_opt")]
    pub from: Option<RequestState>,
    #[serde(with = "stored")]
    pub state: RequestState,
    pub institution_id: i64,
    pub dataset_id: Option<i64>,
}

/// A milestone changed (topic `milestone`: `milestoneUpdated`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneChanged {
    pub milestone_id: i64,
    #[serde(with = "stored")]
    pub completion: Completion,
}

/// Who did what to which entity (topic `audit`; no personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audited {
    /// `officer:12`, `anonymous`, …
    pub actor: String,
    /// The mutation, e.g. `revokeToken`.
    pub action: String,
    /// The table, e.g. `api_token`.
    pub entity: String,
    /// Its id.
    pub id: i64,
}

/// An import run finished (topic `import`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imported {
    /// The `import_run` id (events written before it was recorded here carry 0; the outbox row's
    /// `entity_id` has it).
    #[serde(default)]
    pub run_id: i64,
    pub file: String,
    pub inserted: usize,
    pub updated: usize,
    pub delisted: usize,
    /// Datasets an import had delisted, listed again (absent in events of older versions).
    #[serde(default)]
    pub relisted: usize,
}

/// A vocabulary value as its stored string.
mod stored {
    use sea_orm::ActiveEnum;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<T: ActiveEnum<Value = String>, S: Serializer>(
        v: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_value())
    }

    pub fn deserialize<'de, T: ActiveEnum<Value = String>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        let s = String::deserialize(d)?;
        T::try_from_value(&s).map_err(D::Error::custom)
    }
}

/// An optional vocabulary value as its stored string or null.
mod stored_opt {
    use sea_orm::ActiveEnum;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<T: ActiveEnum<Value = String>, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_value()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, T: ActiveEnum<Value = String>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| T::try_from_value(&s).map_err(D::Error::custom))
            .transpose()
    }
}
