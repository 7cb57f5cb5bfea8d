//! Edit and delete mutations for what admins keep: plans, commitments, milestones, targets and
//! core-data bundles. Admins only; each is audited; an edit changes only the fields given (a
//! nullable field given as `null` is cleared) and a refused one changes nothing; a delete is
//! refused with `CONFLICT` while anything hangs on the thing ([`crate::domain::edits`]).

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use entity::enums::Role as DbRole;

use super::context::{self, viewer, write};
use super::ids::{self, NodeKind};
use super::registry::institution_id;
use super::types::bundle::CoreDataBundle;
use super::types::date::Date;
use super::types::enums::{PlanKind, TargetMetric};
use super::types::plan::{Commitment, Plan, Target};
use crate::domain::edits;
use crate::error::ApiError;

/// Edits and deletes of plans, commitments, milestones, targets and bundles.
#[derive(Default)]
pub struct EditMutation;

/// Input of `updatePlan`: only the fields given change.
#[derive(InputObject)]
pub struct UpdatePlanInput {
    /// The plan.
    pub id: ID,
    /// New kind.
    pub kind: Option<PlanKind>,
    /// New name (1 to 200 characters).
    pub name: Option<String>,
    /// New English name; null clears it.
    pub name_en: MaybeUndefined<String>,
    /// New first day (not after the last).
    pub starts_on: Option<Date>,
    /// New last day (not before the first).
    pub ends_on: Option<Date>,
    /// New description.
    pub description: Option<String>,
}

/// Input of `updateCommitment`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateCommitmentInput {
    /// The commitment.
    pub id: ID,
    /// The plan it belongs to; null detaches it.
    pub plan_id: MaybeUndefined<ID>,
    /// New code, unique (`CONFLICT` if another commitment has it).
    pub code: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// Lead institution's code; null clears the link (the lead body as written stays).
    pub lead_institution_code: MaybeUndefined<String>,
    /// New description.
    pub description: Option<String>,
}

/// Input of `updateTarget`: only the fields given change; the result must still be a valid
/// target (due after the baseline, a positive target value).
#[derive(InputObject)]
pub struct UpdateTargetInput {
    /// The target.
    pub id: ID,
    /// New title.
    pub title: Option<String>,
    /// What is counted.
    pub metric: Option<TargetMetric>,
    /// Counting starts at the start of this day (Asia/Seoul).
    pub baseline_on: Option<Date>,
    /// The figure at the baseline.
    pub baseline_value: Option<i64>,
    /// The figure to reach.
    pub target_value: Option<i64>,
    /// Deadline: reached by the end of this day (Asia/Seoul).
    pub due_on: Option<Date>,
    /// The commitment it measures; null detaches it.
    pub commitment_id: MaybeUndefined<ID>,
    /// The plan it belongs to; null detaches it.
    pub plan_id: MaybeUndefined<ID>,
}

/// Input of `updateCoreDataBundle`: only the fields given change (datasets change through
/// `setBundleDatasets`).
#[derive(InputObject)]
pub struct UpdateBundleInput {
    /// The bundle.
    pub id: ID,
    /// New name.
    pub name: Option<String>,
    /// New English name; null clears it.
    pub name_en: MaybeUndefined<String>,
    /// Release-plan round, 1 to 5.
    pub round: Option<i32>,
    /// Year of release (2013 to 2035); null clears it.
    pub release_year: MaybeUndefined<i32>,
    /// Lead institution's code; null clears it.
    pub lead_institution_code: MaybeUndefined<String>,
    /// New description.
    pub description: Option<String>,
}

/// A global id of `kind`, or null, or left out.
fn maybe_id(v: MaybeUndefined<ID>, kind: NodeKind) -> Result<edits::Nullable<i64>, ApiError> {
    Option::<Option<ID>>::from(v)
        .map(|v| v.map(|id| ids::decode_as(&id, kind)).transpose())
        .transpose()
}

/// An institution by code, or null, or left out.
async fn maybe_institution(
    ctx: &Context<'_>,
    v: MaybeUndefined<String>,
) -> Result<edits::Nullable<i64>, ApiError> {
    Ok(match Option::<Option<String>>::from(v) {
        None => None,
        Some(None) => Some(None),
        Some(Some(code)) => Some(Some(institution_id(context::db(ctx), &code).await?)),
    })
}

#[Object]
impl EditMutation {
    /// Admins: edits a plan. `NOT_FOUND` for an unknown plan, `BAD_USER_INPUT` when the result
    /// would be invalid (nothing changes then).
    async fn update_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdatePlanInput,
    ) -> Result<Plan> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "updatePlan")?;
        let id = ids::decode_as(&input.id, NodeKind::Plan)?;
        let now = context::now(ctx);
        let e = edits::PlanEdit {
            kind: input.kind.map(Into::into),
            name: input.name,
            name_en: input.name_en.into(),
            starts_on: input.starts_on.map(|d| d.0),
            ends_on: input.ends_on.map(|d| d.0),
            description: input.description,
        };
        let m = write(ctx, async move |txn| {
            edits::update_plan(txn, id, e, &v.actor_label(), now).await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: deletes a plan and answers its id. Refused with `CONFLICT` while commitments or
    /// targets belong to it (move or delete those first).
    async fn delete_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan.")] id: ID,
    ) -> Result<ID> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "deletePlan")?;
        let row = ids::decode_as(&id, NodeKind::Plan)?;
        let now = context::now(ctx);
        write(ctx, async move |txn| {
            edits::delete_plan(txn, row, &v.actor_label(), now).await
        })
        .await?;
        Ok(id)
    }

    /// Admins: edits a commitment. `NOT_FOUND` for an unknown commitment, plan or institution,
    /// `CONFLICT` for a code another commitment has, `BAD_USER_INPUT` for an invalid value.
    async fn update_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateCommitmentInput,
    ) -> Result<Commitment> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "updateCommitment")?;
        let id = ids::decode_as(&input.id, NodeKind::Commitment)?;
        let now = context::now(ctx);
        let e = edits::CommitmentEdit {
            plan_id: maybe_id(input.plan_id, NodeKind::Plan)?,
            code: input.code,
            title: input.title,
            lead_institution_id: maybe_institution(ctx, input.lead_institution_code).await?,
            description: input.description,
        };
        let m = write(ctx, async move |txn| {
            edits::update_commitment(txn, id, e, &v.actor_label(), now).await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: deletes a commitment and answers its id. Refused with `CONFLICT` while it has
    /// milestones or targets measure it.
    async fn delete_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commitment.")] id: ID,
    ) -> Result<ID> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "deleteCommitment")?;
        let row = ids::decode_as(&id, NodeKind::Commitment)?;
        let now = context::now(ctx);
        write(ctx, async move |txn| {
            edits::delete_commitment(txn, row, &v.actor_label(), now).await
        })
        .await?;
        Ok(id)
    }

    /// Admins: deletes a milestone and answers its id.
    async fn delete_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The milestone.")] id: ID,
    ) -> Result<ID> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "deleteMilestone")?;
        let row = ids::decode_as(&id, NodeKind::Milestone)?;
        let now = context::now(ctx);
        write(ctx, async move |txn| {
            edits::delete_milestone(txn, row, &v.actor_label(), now).await
        })
        .await?;
        Ok(id)
    }

    /// Admins: edits a target. `NOT_FOUND` for an unknown target, commitment or plan,
    /// `BAD_USER_INPUT` when the result would be invalid (nothing changes then). Its progress is
    /// computed, so it follows at once.
    async fn update_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateTargetInput,
    ) -> Result<Target> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "updateTarget")?;
        let id = ids::decode_as(&input.id, NodeKind::Target)?;
        let now = context::now(ctx);
        let e = edits::TargetEdit {
            title: input.title,
            metric: input.metric.map(Into::into),
            baseline_on: input.baseline_on.map(|d| d.0),
            baseline_value: input.baseline_value,
            target_value: input.target_value,
            due_on: input.due_on.map(|d| d.0),
            commitment_id: maybe_id(input.commitment_id, NodeKind::Commitment)?,
            plan_id: maybe_id(input.plan_id, NodeKind::Plan)?,
        };
        let m = write(ctx, async move |txn| {
            edits::update_target(txn, id, e, &v.actor_label(), now).await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: deletes a target and answers its id.
    async fn delete_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The target.")] id: ID,
    ) -> Result<ID> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "deleteTarget")?;
        let row = ids::decode_as(&id, NodeKind::Target)?;
        let now = context::now(ctx);
        write(ctx, async move |txn| {
            edits::delete_target(txn, row, &v.actor_label(), now).await
        })
        .await?;
        Ok(id)
    }

    /// Admins: edits a national core-data bundle. `NOT_FOUND` for an unknown bundle or
    /// institution, `BAD_USER_INPUT` for an invalid round or year (nothing changes then).
    async fn update_core_data_bundle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateBundleInput,
    ) -> Result<CoreDataBundle> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "updateCoreDataBundle")?;
        let id = ids::decode_as(&input.id, NodeKind::CoreDataBundle)?;
        let now = context::now(ctx);
        let e = edits::BundleEdit {
            name: input.name,
            name_en: input.name_en.into(),
            round: input.round,
            release_year: input.release_year.into(),
            lead_institution_id: maybe_institution(ctx, input.lead_institution_code).await?,
            description: input.description,
        };
        let m = write(ctx, async move |txn| {
            edits::update_bundle(txn, id, e, &v.actor_label(), now).await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: deletes a national core-data bundle and answers its id. Refused with `CONFLICT`
    /// while it holds datasets (remove them with `setBundleDatasets` first).
    async fn delete_core_data_bundle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bundle.")] id: ID,
    ) -> Result<ID> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "deleteCoreDataBundle")?;
        let row = ids::decode_as(&id, NodeKind::CoreDataBundle)?;
        let now = context::now(ctx);
        write(ctx, async move |txn| {
            edits::delete_bundle(txn, row, &v.actor_label(), now).await
        })
        .await?;
        Ok(id)
    }
}
