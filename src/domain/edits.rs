//! Editing and deleting what admins keep: plans, commitments, milestones, targets and national
//! core-data bundles. Each change runs in the caller's transaction, validates everything before
//! it writes (so a refused edit leaves the row as it was), and leaves an audit event in the
//! outbox (topic `audit`), as their creation does ([`super::registry`]).
//!
//! Deleting is refused with [`Error::Conflict`] while anything still hangs on the thing, naming
//! what: a plan's commitments and targets, a commitment's milestones and targets, a bundle's
//! datasets. Nothing is deleted in cascade; the caller moves or deletes those first.

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{PlanKind, TargetMetric};
use entity::{commitment, core_bundle, core_bundle_dataset, milestone, plan, target};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::Error;
use super::registry::{check_bundle, check_plan_days, check_target, text_field};
use crate::events;

/// A change to one field that may be cleared: `None` leaves it, `Some(None)` clears it.
pub type Nullable<T> = Option<Option<T>>;

/// Changes to a plan: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct PlanEdit {
    pub kind: Option<PlanKind>,
    pub name: Option<String>,
    pub name_en: Nullable<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub description: Option<String>,
}

async fn plan_row<C: ConnectionTrait>(txn: &C, id: i64) -> Result<plan::Model, Error> {
    plan::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no plan {id}")))
}

async fn commitment_row<C: ConnectionTrait>(txn: &C, id: i64) -> Result<commitment::Model, Error> {
    commitment::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no commitment {id}")))
}

async fn target_row<C: ConnectionTrait>(txn: &C, id: i64) -> Result<target::Model, Error> {
    target::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no target {id}")))
}

async fn bundle_row<C: ConnectionTrait>(txn: &C, id: i64) -> Result<core_bundle::Model, Error> {
    core_bundle::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no core-data bundle {id}")))
}

/// Refuses when `what` still has dependents: `parts` lists (count, name) pairs.
fn refuse_while(what: &str, parts: &[(u64, &str)], hint: &str) -> Result<(), Error> {
    let held: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
    if held.is_empty() {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "{what} still has {}; {hint}",
        held.join(" and ")
    )))
}

pub async fn update_plan<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    e: PlanEdit,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<plan::Model, Error> {
    let old = plan_row(txn, id).await?;
    let name = match &e.name {
        Some(n) => text_field("name", n, 200)?,
        None => old.name.clone(),
    };
    let starts_on = e.starts_on.unwrap_or(old.starts_on);
    let ends_on = e.ends_on.unwrap_or(old.ends_on);
    check_plan_days(starts_on, ends_on)?;
    let mut m: plan::ActiveModel = old.into();
    if let Some(k) = e.kind {
        m.kind = Set(k);
    }
    m.name = Set(name);
    if let Some(n) = e.name_en {
        m.name_en = Set(n.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()));
    }
    m.starts_on = Set(starts_on);
    m.ends_on = Set(ends_on);
    if let Some(d) = e.description {
        m.description = Set(d.trim().to_string());
    }
    let saved = m.update(txn).await?;
    events::audit(txn, actor, "updatePlan", "plan", id, now).await?;
    Ok(saved)
}

/// Deletes a plan that no commitment or target belongs to.
pub async fn delete_plan<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    plan_row(txn, id).await?;
    let commitments = commitment::Entity::find()
        .filter(commitment::Column::PlanId.eq(id))
        .count(txn)
        .await?;
    let targets = target::Entity::find()
        .filter(target::Column::PlanId.eq(id))
        .count(txn)
        .await?;
    refuse_while(
        "the plan",
        &[(commitments, "commitment(s)"), (targets, "target(s)")],
        "move them to another plan or delete them first",
    )?;
    plan::Entity::delete_by_id(id).exec(txn).await?;
    events::audit(txn, actor, "deletePlan", "plan", id, now).await?;
    Ok(())
}

/// Changes to a commitment: only the fields given change.
#[derive(Debug, Clone, Default)]
pub struct CommitmentEdit {
    pub plan_id: Nullable<i64>,
    pub code: Option<String>,
    pub title: Option<String>,
    /// The lead institution (its id); clearing it leaves the lead body as written (`leadName`).
    pub lead_institution_id: Nullable<i64>,
    pub description: Option<String>,
}

pub async fn update_commitment<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    e: CommitmentEdit,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<commitment::Model, Error> {
    let old = commitment_row(txn, id).await?;
    let code = match &e.code {
        Some(c) => text_field("code", c, 20)?,
        None => old.code.clone(),
    };
    let title = match &e.title {
        Some(t) => text_field("title", t, 300)?,
        None => old.title.clone(),
    };
    if code != old.code
        && commitment::Entity::find()
            .filter(commitment::Column::Code.eq(code.clone()))
            .one(txn)
            .await?
            .is_some()
    {
        return Err(Error::Conflict(format!(
            "a commitment with code {code} exists"
        )));
    }
    if let Some(Some(p)) = e.plan_id {
        plan_row(txn, p).await?;
    }
    let mut m: commitment::ActiveModel = old.into();
    m.code = Set(code);
    m.title = Set(title);
    if let Some(p) = e.plan_id {
        m.plan_id = Set(p);
    }
    if let Some(l) = e.lead_institution_id {
        m.lead_institution_id = Set(l);
    }
    if let Some(d) = e.description {
        m.description = Set(d.trim().to_string());
    }
    let saved = m.update(txn).await?;
    events::audit(txn, actor, "updateCommitment", "commitment", id, now).await?;
    Ok(saved)
}

/// Deletes a commitment without milestones and without targets measuring it.
pub async fn delete_commitment<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    commitment_row(txn, id).await?;
    let milestones = milestone::Entity::find()
        .filter(milestone::Column::CommitmentId.eq(id))
        .count(txn)
        .await?;
    let targets = target::Entity::find()
        .filter(target::Column::CommitmentId.eq(id))
        .count(txn)
        .await?;
    refuse_while(
        "the commitment",
        &[(milestones, "milestone(s)"), (targets, "target(s)")],
        "delete its milestones (deleteMilestone) and move or delete its targets first",
    )?;
    commitment::Entity::delete_by_id(id).exec(txn).await?;
    events::audit(txn, actor, "deleteCommitment", "commitment", id, now).await?;
    Ok(())
}

/// Deletes a milestone (nothing depends on one).
pub async fn delete_milestone<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let res = milestone::Entity::delete_by_id(id).exec(txn).await?;
    if res.rows_affected == 0 {
        return Err(Error::NotFound(format!("no milestone {id}")));
    }
    events::audit(txn, actor, "deleteMilestone", "milestone", id, now).await?;
    Ok(())
}

/// Changes to a target: only the fields given change; the result must still be a valid target.
#[derive(Debug, Clone, Default)]
pub struct TargetEdit {
    pub title: Option<String>,
    pub metric: Option<TargetMetric>,
    pub baseline_on: Option<NaiveDate>,
    pub baseline_value: Option<i64>,
    pub target_value: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub commitment_id: Nullable<i64>,
    pub plan_id: Nullable<i64>,
}

pub async fn update_target<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    e: TargetEdit,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<target::Model, Error> {
    let old = target_row(txn, id).await?;
    let title = match &e.title {
        Some(t) => text_field("title", t, 300)?,
        None => old.title.clone(),
    };
    let baseline_on = e.baseline_on.unwrap_or(old.baseline_on);
    let baseline_value = e.baseline_value.unwrap_or(old.baseline_value);
    let target_value = e.target_value.unwrap_or(old.target_value);
    let due_on = e.due_on.unwrap_or(old.due_on);
    check_target(baseline_on, baseline_value, target_value, due_on)?;
    if let Some(Some(c)) = e.commitment_id {
        commitment_row(txn, c).await?;
    }
    if let Some(Some(p)) = e.plan_id {
        plan_row(txn, p).await?;
    }
    let mut m: target::ActiveModel = old.into();
    m.title = Set(title);
    if let Some(metric) = e.metric {
        m.metric = Set(metric);
    }
    m.baseline_on = Set(baseline_on);
    m.baseline_value = Set(baseline_value);
    m.target_value = Set(target_value);
    m.due_on = Set(due_on);
    if let Some(c) = e.commitment_id {
        m.commitment_id = Set(c);
    }
    if let Some(p) = e.plan_id {
        m.plan_id = Set(p);
    }
    let saved = m.update(txn).await?;
    events::audit(txn, actor, "updateTarget", "target", id, now).await?;
    Ok(saved)
}

/// Deletes a target (its progress is computed, never stored: nothing else goes).
pub async fn delete_target<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    target_row(txn, id).await?;
    target::Entity::delete_by_id(id).exec(txn).await?;
    events::audit(txn, actor, "deleteTarget", "target", id, now).await?;
    Ok(())
}

/// Changes to a core-data bundle: only the fields given change (its datasets change through
/// `setBundleDatasets`).
#[derive(Debug, Clone, Default)]
pub struct BundleEdit {
    pub name: Option<String>,
    pub name_en: Nullable<String>,
    pub round: Option<i32>,
    pub release_year: Nullable<i32>,
    pub lead_institution_id: Nullable<i64>,
    pub description: Option<String>,
}

pub async fn update_bundle<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    e: BundleEdit,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<core_bundle::Model, Error> {
    let old = bundle_row(txn, id).await?;
    let name = match &e.name {
        Some(n) => text_field("name", n, 200)?,
        None => old.name.clone(),
    };
    let round = e.round.unwrap_or(old.round);
    let release_year = e.release_year.unwrap_or(old.release_year);
    check_bundle(round, release_year)?;
    let mut m: core_bundle::ActiveModel = old.into();
    m.name = Set(name);
    if let Some(n) = e.name_en {
        m.name_en = Set(n.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()));
    }
    m.round = Set(round);
    m.release_year = Set(release_year);
    if let Some(l) = e.lead_institution_id {
        m.lead_institution_id = Set(l);
    }
    if let Some(d) = e.description {
        m.description = Set(d.trim().to_string());
    }
    let saved = m.update(txn).await?;
    events::audit(txn, actor, "updateCoreDataBundle", "core_bundle", id, now).await?;
    Ok(saved)
}

/// Deletes a bundle that holds no datasets.
pub async fn delete_bundle<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    bundle_row(txn, id).await?;
    let datasets = core_bundle_dataset::Entity::find()
        .filter(core_bundle_dataset::Column::BundleId.eq(id))
        .count(txn)
        .await?;
    refuse_while(
        "the bundle",
        &[(datasets, "dataset(s)")],
        "remove them with setBundleDatasets first",
    )?;
    core_bundle::Entity::delete_by_id(id).exec(txn).await?;
    events::audit(txn, actor, "deleteCoreDataBundle", "core_bundle", id, now).await?;
    Ok(())
}
