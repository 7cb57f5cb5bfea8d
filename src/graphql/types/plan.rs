//! `Plan`, `Commitment`, `Milestone` and `Target`.

use super::date::Date;
use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use entity::{commitment, milestone, plan, target};

use super::enums::{Completion, PlanKind, TargetMetric, TargetStatus};
use super::institution::Institution;
use super::label::Label;
use crate::clock::SharedClock;
use crate::domain::{labels, plans};
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::loaders::{
    CommitmentId, CommitmentsOf, InstitutionId, Loaders, MilestonesOf, PlanId, ProgressOf,
};

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
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
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
            starts_on: Date(m.starts_on),
            ends_on: Date(m.ends_on),
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

    /// Commitments under this plan, by code.
    async fn commitments(&self, ctx: &Context<'_>) -> Result<Vec<Commitment>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(CommitmentsOf(self.row_id))
            .await?
            .unwrap_or_default()
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
    #[graphql(skip)]
    pub plan_id: Option<i64>,
    #[graphql(skip)]
    pub lead_institution_id: Option<i64>,
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
            plan_id: m.plan_id,
            lead_institution_id: m.lead_institution_id,
        }
    }
}

/// How far a commitment's milestones have come, by their IRM completion ratings.
#[derive(SimpleObject, Clone, Debug, Default, PartialEq)]
pub struct MilestoneCompletion {
    /// How many milestones the commitment has.
    pub total: u64,
    /// Milestones not started.
    pub not_started: u64,
    /// Milestones with limited progress.
    pub limited: u64,
    /// Milestones with substantial progress.
    pub substantial: u64,
    /// Milestones completed.
    pub completed: u64,
    /// completed / total, 0 to 1; 0 without milestones.
    pub completed_share: f64,
}

impl MilestoneCompletion {
    /// The rollup of some milestones' ratings.
    pub fn of(ratings: impl IntoIterator<Item = Completion>) -> Self {
        let mut c = MilestoneCompletion::default();
        for r in ratings {
            c.total += 1;
            match r {
                Completion::NotStarted => c.not_started += 1,
                Completion::Limited => c.limited += 1,
                Completion::Substantial => c.substantial += 1,
                Completion::Completed => c.completed += 1,
            }
        }
        if c.total > 0 {
            c.completed_share = c.completed as f64 / c.total as f64;
        }
        c
    }
}

impl Commitment {
    async fn milestone_rows(&self, ctx: &Context<'_>) -> Result<Vec<milestone::Model>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(MilestonesOf(self.row_id))
            .await?
            .unwrap_or_default())
    }
}

#[ComplexObject]
impl Commitment {
    /// Milestones, in order.
    async fn milestones(&self, ctx: &Context<'_>) -> Result<Vec<Milestone>> {
        Ok(self
            .milestone_rows(ctx)
            .await?
            .into_iter()
            .map(Milestone::from)
            .collect())
    }

    /// Completion of its milestones: how many at each IRM rating, and the share completed.
    async fn milestone_completion(&self, ctx: &Context<'_>) -> Result<MilestoneCompletion> {
        let rows = self.milestone_rows(ctx).await?;
        Ok(MilestoneCompletion::of(
            rows.into_iter().map(|m| Completion::from(m.completion)),
        ))
    }

    /// The plan it belongs to; null when it stands alone.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<Plan>> {
        let Some(id) = self.plan_id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(PlanId(id))
            .await?
            .map(Plan::from))
    }

    /// The lead institution, when the lead body is a registered institution (see `leadName`).
    async fn lead_institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        let Some(id) = self.lead_institution_id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(InstitutionId(id))
            .await?
            .map(Institution::from))
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
    pub starts_on: Date,
    /// End; null when it continues yearly.
    pub ends_on: Option<Date>,
    /// True for a milestone that recurs every year.
    pub continues_yearly: bool,
    /// IRM completion rating.
    pub completion: Completion,
    /// Evidence of progress.
    pub evidence_url: Option<String>,
    #[graphql(skip)]
    pub commitment_id: i64,
}

impl From<milestone::Model> for Milestone {
    fn from(m: milestone::Model) -> Self {
        Milestone {
            id: encode(NodeKind::Milestone, m.id),
            title: m.title,
            starts_on: Date(m.starts_on),
            ends_on: m.ends_on.map(Date),
            continues_yearly: m.continues_yearly,
            completion: m.completion.into(),
            evidence_url: m.evidence_url,
            commitment_id: m.commitment_id,
        }
    }
}

#[ComplexObject]
impl Milestone {
    /// Labels of the completion.
    async fn completion_label(&self) -> Label {
        labels::completion(self.completion.into()).into()
    }

    /// The commitment it belongs to.
    async fn commitment(&self, ctx: &Context<'_>) -> Result<Option<Commitment>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(CommitmentId(self.commitment_id))
            .await?
            .map(Commitment::from))
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
    /// Baseline date: counting starts at the start of this day (Asia/Seoul).
    pub baseline_on: Date,
    /// Size of the population at the baseline (e.g. 263,342 withheld entries).
    pub baseline_value: i64,
    /// How many must be reached (e.g. 106,930 opened).
    pub target_value: i64,
    /// Deadline: the target must be reached by the end of this day (Asia/Seoul); its progress
    /// is measured as of this day unless asked otherwise.
    pub due_on: Date,
    #[graphql(skip)]
    pub model: target::Model,
}

impl From<target::Model> for Target {
    fn from(m: target::Model) -> Self {
        Target {
            id: encode(NodeKind::Target, m.id),
            title: m.title.clone(),
            metric: m.metric.into(),
            baseline_on: Date(m.baseline_on),
            baseline_value: m.baseline_value,
            target_value: m.target_value,
            due_on: Date(m.due_on),
            model: m,
        }
    }
}

/// Progress toward a target as of a day, computed from the history.
#[derive(SimpleObject, Clone, Debug)]
pub struct TargetProgress {
    /// The last day counted (Asia/Seoul, to its end): `asOf` if given, else the due date.
    pub as_of: Date,
    /// How many were reached from the start of the baseline day to the end of `asOf`. For
    /// WITHHELD_OPENED: openings, counted as `stats.openingsPerMonth` counts them (the sum of
    /// its months over the same days); for CORE_BUNDLES_RELEASED: bundles released in the
    /// baseline's year or later, each counted from 31 December of its release year.
    pub achieved: i64,
    /// Of those, how many are fictional demo rows.
    pub achieved_synthetic: i64,
    /// achieved / targetValue, 0 to 1 (may exceed 1).
    pub ratio: f64,
    /// True when any of the counted rows is synthetic: the figure is not a real measurement.
    pub synthetic: bool,
    /// Met, missed or in progress as of `asOf`.
    pub status: TargetStatus,
    /// The day (Asia/Seoul) the count first reached `targetValue`, from the history; null when
    /// it had not by `asOf`. A day after `dueOn` means reached late (the status is MISSED).
    pub met_on: Option<Date>,
}

#[ComplexObject]
impl Target {
    /// Progress as of a day, computed from the disclosure history (or the bundles' release
    /// years).
    async fn progress(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Count up to the end of this day (Asia/Seoul); the target's due date when omitted. A day before the baseline counts nothing; a day after today counts up to now."
        )]
        as_of: Option<Date>,
    ) -> Result<TargetProgress> {
        let measure = ProgressOf::of(&self.model, as_of.map(|d| d.0));
        let p = ctx
            .data_unchecked::<Loaders>()
            .load_one(measure)
            .await?
            .unwrap_or_default();
        let today = ctx.data_unchecked::<SharedClock>().today_seoul();
        Ok(TargetProgress {
            as_of: Date(measure.as_of),
            achieved: p.achieved,
            achieved_synthetic: p.achieved_synthetic,
            ratio: p.achieved as f64 / self.target_value.max(1) as f64,
            synthetic: p.achieved_synthetic > 0,
            status: plans::status(self.model.due_on, &p, measure.as_of, today).into(),
            met_on: p.met_on.map(Date),
        })
    }

    /// The plan it belongs to, if any.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<Plan>> {
        let Some(id) = self.model.plan_id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(PlanId(id))
            .await?
            .map(Plan::from))
    }

    /// The commitment it measures, if any.
    async fn commitment(&self, ctx: &Context<'_>) -> Result<Option<Commitment>> {
        let Some(id) = self.model.commitment_id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(CommitmentId(id))
            .await?
            .map(Commitment::from))
    }
}
