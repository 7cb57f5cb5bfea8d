//! `Disclosure` (the current state of a dataset) and `DisclosureEvent` (its history).

use super::date::Date;
use async_graphql::{ComplexObject, Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{disclosure, disclosure_event};

use super::enums::{DisclosureStatus, WithholdingGround};
use super::label::Label;
use crate::domain::labels;
use crate::graphql::ids::{NodeKind, encode};

/// DCAT `dct:accessRights`.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AccessRights {
    /// OPEN.
    Public,
    /// PARTIALLY_OPEN.
    Restricted,
    /// WITHHELD, UNDER_REVIEW, SCHEDULED_TO_OPEN.
    NonPublic,
}

/// A way to release what cannot be released raw.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum Mitigation {
    /// De-identified release (names and resident numbers masked).
    DeIdentified,
    /// Released as statistics only.
    StatisticsOnly,
    /// A true/false API that only verifies a value.
    VerificationApi,
}

impl Mitigation {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mitigation::DeIdentified => "DE_IDENTIFIED",
            Mitigation::StatisticsOnly => "STATISTICS_ONLY",
            Mitigation::VerificationApi => "VERIFICATION_API",
        }
    }

    fn parse_list(s: &str) -> Vec<Mitigation> {
        s.split(',')
            .filter_map(|m| match m.trim() {
                "DE_IDENTIFIED" => Some(Mitigation::DeIdentified),
                "STATISTICS_ONLY" => Some(Mitigation::StatisticsOnly),
                "VERIFICATION_API" => Some(Mitigation::VerificationApi),
                _ => None,
            })
            .collect()
    }
}

/// A withholding ground with its labels and legal text.
#[derive(SimpleObject, Clone, Debug)]
pub struct Ground {
    /// The ground.
    pub ground: WithholdingGround,
    /// English label.
    pub label: &'static str,
    /// Korean label.
    pub label_ko: &'static str,
    /// False for practical reasons (data quality, not digitized, no system): they have no legal basis.
    pub has_legal_basis: bool,
    /// The provision relied on, e.g. "공공기관의 정보공개에 관한 법률 제9조제1항제6호"; null when there is none.
    pub legal_provision: Option<&'static str>,
}

impl From<entity::enums::WithholdingGround> for Ground {
    fn from(g: entity::enums::WithholdingGround) -> Self {
        let info = labels::ground(g);
        Ground {
            ground: g.into(),
            label: info.label.en,
            label_ko: info.label.ko,
            has_legal_basis: info.legal_basis.is_some(),
            legal_provision: info.legal_basis,
        }
    }
}

/// The current disclosure of a dataset.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Disclosure {
    /// Status.
    pub status: DisclosureStatus,
    /// Why it is withheld or only partly open; null for other statuses.
    pub ground: Option<Ground>,
    /// The legal basis text as the institution states it.
    pub legal_basis: Option<String>,
    /// The institution's explanation in its own words.
    pub explanation: Option<String>,
    /// Mitigations offered.
    pub mitigation: Vec<Mitigation>,
    /// When it is planned to open.
    pub planned_open_on: Option<Date>,
    /// When the decision to withhold is next reviewed.
    pub next_review_on: Option<Date>,
    /// Version for optimistic concurrency: pass it back when changing the disclosure.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<disclosure::Model> for Disclosure {
    fn from(m: disclosure::Model) -> Self {
        Disclosure {
            status: m.status.into(),
            ground: m.ground.map(Ground::from),
            legal_basis: m.legal_basis,
            explanation: m.explanation,
            mitigation: Mitigation::parse_list(&m.mitigation),
            planned_open_on: m.planned_open_on.map(Date),
            next_review_on: m.next_review_on.map(Date),
            version: m.version,
            updated_at: m.updated_at,
        }
    }
}

/// Fields of `Disclosure` and the columns each needs (the status is always read).
const OPTIONAL_COLUMNS: &[(&str, disclosure::Column)] = &[
    ("ground", disclosure::Column::Ground),
    ("legalBasis", disclosure::Column::LegalBasis),
    ("explanation", disclosure::Column::Explanation),
    ("mitigation", disclosure::Column::Mitigation),
    ("plannedOpenOn", disclosure::Column::PlannedOpenOn),
    ("nextReviewOn", disclosure::Column::NextReviewOn),
    ("version", disclosure::Column::Version),
    ("updatedAt", disclosure::Column::UpdatedAt),
];

impl Disclosure {
    /// The columns a page must read for `sel` (the selection of a `disclosure` field, fragments
    /// included) besides the dataset id and status: see [`crate::catalog::page::fetch`].
    pub fn columns(sel: &crate::graphql::prefetch::Sel<'_>) -> Vec<disclosure::Column> {
        OPTIONAL_COLUMNS
            .iter()
            .filter(|(field, _)| sel.field(field).exists())
            .map(|(_, c)| *c)
            .collect()
    }
}

#[ComplexObject]
impl Disclosure {
    /// Labels of the status.
    async fn status_label(&self) -> Label {
        labels::status(self.status.into()).into()
    }

    /// The status in DCAT terms.
    async fn access_rights(&self) -> AccessRights {
        access_rights(self.status)
    }
}

/// DCAT access rights of a status.
pub fn access_rights(s: DisclosureStatus) -> AccessRights {
    match s {
        DisclosureStatus::Open => AccessRights::Public,
        DisclosureStatus::PartiallyOpen => AccessRights::Restricted,
        _ => AccessRights::NonPublic,
    }
}

/// One change of a dataset's disclosure or of its listing. A node: `node(id)` finds it again.
/// A delisting or relisting keeps the status (`fromStatus` = `toStatus`) and changes `listed`;
/// a disclosure change keeps `listed`. The last change up to a moment says the status, ground
/// and listing the dataset had then.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct DisclosureEvent {
    /// Global id.
    pub id: ID,
    /// Status before; null for the event that entered the dataset into the inventory.
    pub from_status: Option<DisclosureStatus>,
    /// Status after.
    pub to_status: DisclosureStatus,
    /// Ground after the change, if any.
    pub ground: Option<Ground>,
    /// Explanation given with the change.
    pub explanation: Option<String>,
    /// Who made it: `import:<file>`, `demo`, or an institution account.
    pub actor: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Whether the dataset was listed in the inventory before; null for the event that entered it.
    pub from_listed: Option<bool>,
    /// Whether the dataset was listed in the inventory after the change (false: delisted, kept
    /// but no longer in the institution's published inventory).
    pub listed: bool,
    #[graphql(skip)]
    pub dataset_id: i64,
}

impl From<disclosure_event::Model> for DisclosureEvent {
    fn from(m: disclosure_event::Model) -> Self {
        DisclosureEvent {
            id: encode(NodeKind::DisclosureEvent, m.id),
            from_status: m.from_status.map(Into::into),
            to_status: m.to_status.into(),
            ground: m.ground.map(Ground::from),
            explanation: m.explanation,
            actor: m.actor,
            occurred_at: m.occurred_at,
            from_listed: m.from_listed,
            listed: m.listed,
            dataset_id: m.dataset_id,
        }
    }
}

#[ComplexObject]
impl DisclosureEvent {
    /// The dataset whose disclosure changed.
    async fn dataset(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<super::dataset::Dataset>> {
        use crate::graphql::loaders::{DatasetId, Loaders};
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(DatasetId(self.dataset_id))
            .await?
            .map(super::dataset::Dataset::from))
    }
}
