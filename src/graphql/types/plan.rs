//! `Plan`, `Commitment`, `Milestone` and `Target`.

use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::NaiveDate;
use entity::{commitment, milestone, plan, target};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::enums::{Completion, PlanKind, TargetMetric};
use super::label::Label;
use crate::domain::{labels, plans};
use crate::graphql::ids::{NodeKind, encode};

/// A master plan, core-data release plan or OGP action plan.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Plan {
    /// Global id.
    pub id: ID,
    /// Kind.
    pub kind: PlanKind,
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: Option<String>,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Description.
    pub description: String,
    #[graphql(skip)]
    pub row_id: i64,
}

impl From<plan::Model> for Plan {
    fn from(m: plan::Model) -> Self {
        Plan {
            id: encode(NodeKind::Plan, m.id),
            kind: m.kind.into(),
            name: m.name,
            name_en: m.name_en,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            description: m.description,
            row_id: m.id,
        }
    }
}

#[ComplexObject]
impl Plan {
    /// Labels of the kind.
    async fn kind_label(&self) -> Label {
        labels::plan_kind(self.kind.into()).into()
    }

    /// Commitments under this plan.
    async fn commitments(&self, ctx: &Context<'_>) -> Result<Vec<Commitment>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(commitment::Entity::find()
            .filter(commitment::Column::PlanId.eq(self.row_id))
            .order_by_asc(commitment::Column::Code)
            .all(db)
            .await?
            .into_iter()
            .map(Commitment::from)
            .collect())
    }
}

/// An OGP commitment, e.g. KR0067 "Opening Up Non-Public Data".
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Commitment {
    /// Global id.
    pub id: ID,
    /// Code, e.g. KR0067 or SEO0002.
    pub code: String,
    /// Title.
    pub title: String,
    /// Lead body as written.
    pub lead_name: Option<String>,
    /// Description.
    pub description: String,
    #[graphql(skip)]
    pub row_id: i64,
}

impl From<commitment::Model> for Commitment {
    fn from(m: commitment::Model) -> Self {
        Commitment {
            id: encode(NodeKind::Commitment, m.id),
            code: m.code,
            title: m.title,
            lead_name: m.lead_name,
            description: m.description,
            row_id: m.id,
        }
    }
}

#[ComplexObject]
impl Commitment {
    /// Milestones, in order.
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(milestone::Entity::find()
            .filter(milestone::Column::CommitmentId.eq(self.row_id))
            .order_by_asc(milestone::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(Milestone::from)
            .collect())
    }
}

/// A milestone of a commitment.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Milestone {
    /// Global id.
    pub id: ID,
    /// Title.
    pub title: String,
    /// Start.
    pub starts_on: NaiveDate,
    /// End; null when it continues yearly.
    pub ends_on: Option<NaiveDate>,
    /// True for a milestone that recurs every year.
    pub continues_yearly: bool,
    /// IRM completion rating.
    pub completion: Completion,
    /// Evidence of progress.
    pub evidence_url: Option<String>,
}

impl From<milestone::Model> for Milestone {
    fn from(m: milestone::Model) -> Self {
        Milestone {
            id: encode(NodeKind::Milestone, m.id),
            title: m.title,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            continues_yearly: m.continues_yearly,
            completion: m.completion.into(),
            evidence_url: m.evidence_url,
        }
    }
}

#[ComplexObject]
impl Milestone {
    /// Labels of the completion.
    async fn completion_label(&self) -> Label {
        labels::completion(self.completion.into()).into()
    }
}

/// A numeric target. Its progress is computed from the disclosure history, never stored.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct Target {
    /// Global id.
    pub id: ID,
    /// Title.
    pub title: String,
    /// What it counts.
    pub metric: TargetMetric,
    /// Baseline date.
    pub baseline_on: NaiveDate,
    /// Size of the population at the baseline (e.g. 263,342 withheld entries).
    pub baseline_value: i64,
    /// How many must be reached (e.g. 106,930 opened).
    pub target_value: i64,
    /// Deadline.
    pub due_on: NaiveDate,
    #[graphql(skip)]
    pub model: target::Model,
}

impl From<target::Model> for Target {
    fn from(m: target::Model) -> Self {
        Target {
            id: encode(NodeKind::Target, m.id),
            title: m.title.clone(),
            metric: m.metric.into(),
            baseline_on: m.baseline_on,
            baseline_value: m.baseline_value,
            target_value: m.target_value,
            due_on: m.due_on,
            model: m,
        }
    }
}

/// Progress toward a target, computed from the history.
#[derive(SimpleObject, Clone, Debug)]
pub struct TargetProgress {
    /// How many were reached since the baseline.
    pub achieved: i64,
    /// Of those, how many are fictional demo rows.
    pub achieved_synthetic: i64,
    /// achieved / targetValue, 0 to 1 (may exceed 1).
    pub ratio: f64,
    /// True when any of the counted rows is synthetic: the figure is not a real measurement.
    pub synthetic: bool,
}

#[ComplexObject]
impl Target {
    /// Progress, computed from the disclosure history.
    async fn progress(&self, ctx: &Context<'_>) -> Result<TargetProgress> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let p = plans::progress(db, &self.model).await?;
        Ok(TargetProgress {
            achieved: p.achieved,
            achieved_synthetic: p.achieved_synthetic,
            ratio: p.achieved as f64 / self.target_value.max(1) as f64,
            synthetic: p.achieved_synthetic > 0,
        })
    }
}
