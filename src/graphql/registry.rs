//! Registry mutations: officers register and update their datasets; admins keep institutions,
//! core-data bundles, plans, commitments, milestones and targets.

use super::types::date::{Date, day};
use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::enums::Role as DbRole;
use entity::institution;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::context::{self, viewer, write};
use super::ids::{self, NodeKind};
use super::types::bundle::CoreDataBundle;
use super::types::dataset::Dataset;
use super::types::disclosure::Mitigation;
use super::types::enums::{
    Category, DatasetType, DisclosureStatus, InstitutionKind, PlanKind, TargetMetric,
    WithholdingGround,
};
use super::types::institution::Institution;
use super::types::plan::{Commitment, Milestone, Plan, Target};
use crate::auth;
use crate::domain::disclosure::Change;
use crate::domain::registry;
use crate::error::ApiError;

/// Registry upkeep.
#[derive(Default)]
pub struct RegistryMutation;

pub(super) async fn institution_id(db: &DatabaseConnection, code: &str) -> Result<i64, ApiError> {
    Ok(institution::Entity::find()
        .filter(institution::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no institution with code '{code}'")))?
        .id)
}

/// Input of `registerDataset`.
#[derive(InputObject)]
pub struct RegisterDatasetInput {
    /// The institution (portal code); it must be yours or a confirmed sub-institution.
    pub institution_code: String,
    /// Title.
    pub title: String,
    /// Description.
    #[graphql(default)]
    pub description: String,
    /// Portal category.
    pub category: Category,
    /// Type.
    #[graphql(name = "type")]
    pub dataset_type: DatasetType,
    /// Keywords.
    #[graphql(default)]
    pub keywords: Vec<String>,
    /// Format, e.g. CSV.
    pub format: Option<String>,
    /// Initial status (OPEN when omitted).
    pub status: Option<DisclosureStatus>,
    /// For WITHHELD and PARTIALLY_OPEN: the ground.
    pub ground: Option<WithholdingGround>,
    /// For WITHHELD and PARTIALLY_OPEN: the explanation.
    pub explanation: Option<String>,
    /// Mitigations offered.
    #[graphql(default)]
    pub mitigation: Vec<Mitigation>,
    /// For SCHEDULED_TO_OPEN: when.
    pub planned_open_on: Option<Date>,
    /// Next review of a withholding decision.
    pub next_review_on: Option<Date>,
}

/// Input of `updateDataset`: only the fields given change.
#[derive(InputObject)]
pub struct UpdateDatasetInput {
    /// The dataset.
    pub dataset_id: ID,
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New category.
    pub category: Option<Category>,
    /// New type.
    #[graphql(name = "type")]
    pub dataset_type: Option<DatasetType>,
    /// New keywords (replacing the old).
    pub keywords: Option<Vec<String>>,
    /// New format.
    pub format: Option<String>,
    /// Listed (true) or delisted (false); datasets are never deleted. A change is recorded in the
    /// history and the change feed; a dataset delisted here stays delisted when an import finds
    /// it in its file again, until it is listed here.
    pub listed: Option<bool>,
}

/// Input of `upsertInstitution`.
#[derive(InputObject)]
pub struct InstitutionInput {
    /// Portal code; an existing code updates that institution (a new name keeps the old one as former).
    pub code: String,
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: Option<String>,
    /// Kind, overriding the one derived from the code.
    pub kind: Option<InstitutionKind>,
    /// Parent institution's code.
    pub parent_code: Option<String>,
    /// Confirms the parent link: officers of the parent then act for this institution. Without
    /// `parentCode`, confirms that it has no parent. Imports never change a confirmed link (they
    /// guess parents from names only where none is confirmed).
    #[graphql(default)]
    pub parent_confirmed: bool,
}

/// Input of `createCoreDataBundle`.
#[derive(InputObject)]
pub struct BundleInput {
    /// Name.
    pub name: String,
    /// English name.
    pub name_en: Option<String>,
    /// Release-plan round, 1 to 5.
    pub round: i32,
    /// Year of release.
    pub release_year: Option<i32>,
    /// Lead institution's code.
    pub lead_institution_code: Option<String>,
    /// Description.
    #[graphql(default)]
    pub description: String,
}

#[Object]
impl RegistryMutation {
    /// Officers: registers a dataset of their institution, open or not, with its disclosure.
    async fn register_dataset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The dataset.")] input: RegisterDatasetInput,
    ) -> Result<Dataset> {
        let db = context::db(ctx);
        let v = viewer(ctx);
        v.require(&[DbRole::Officer], "registerDataset")?;
        let inst = institution_id(db, &input.institution_code).await?;
        let a = auth::require_officer_for(db, v, inst, "registerDataset").await?;
        let now = context::now(ctx);
        let d = registry::NewDataset {
            institution_id: inst,
            title: input.title,
            description: input.description,
            category: input.category.into(),
            dataset_type: input.dataset_type.into(),
            keywords: input.keywords,
            format: input.format,
            disclosure: Change {
                status: input
                    .status
                    .map(Into::into)
                    .unwrap_or(registry::DEFAULT_STATUS),
                ground: input.ground.map(Into::into),
                explanation: input.explanation,
                mitigation: input
                    .mitigation
                    .iter()
                    .map(|m| m.as_str().to_string())
                    .collect(),
                planned_open_on: day(input.planned_open_on),
                next_review_on: day(input.next_review_on),
            },
        };
        let ds = write(ctx, async move |txn| {
            registry::register_dataset(txn, d, &v.actor_label(), a.account_id, now).await
        })
        .await?;
        Ok(ds.into())
    }

    /// Officers: updates the description of one of their datasets (not its disclosure).
    async fn update_dataset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The changes.")] input: UpdateDatasetInput,
    ) -> Result<Dataset> {
        let db = context::db(ctx);
        let v = viewer(ctx);
        v.require(&[DbRole::Officer], "updateDataset")?;
        let id = ids::decode_as(&input.dataset_id, NodeKind::Dataset)?;
        let ds = entity::dataset::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound("no such dataset".into()))?;
        let a = auth::require_officer_for(db, v, ds.institution_id, "updateDataset").await?;
        let now = context::now(ctx);
        let edit = registry::DatasetEdit {
            title: input.title,
            description: input.description,
            category: input.category.map(Into::into),
            dataset_type: input.dataset_type.map(Into::into),
            keywords: input.keywords,
            format: input.format,
            listed: input.listed,
        };
        let ds = write(ctx, async move |txn| {
            registry::update_dataset(txn, id, edit, &v.actor_label(), Some(a.account_id), now).await
        })
        .await?;
        Ok(ds.into())
    }

    /// Admins: creates or updates an institution by code, including its parent and whether that
    /// link is confirmed.
    async fn upsert_institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution.")] input: InstitutionInput,
    ) -> Result<Institution> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "upsertInstitution")?;
        let now = context::now(ctx);
        let i = registry::InstitutionInput {
            code: input.code,
            name: input.name,
            name_en: input.name_en,
            kind: input.kind.map(Into::into),
            parent_code: input.parent_code,
            parent_confirmed: input.parent_confirmed,
        };
        let m = write(ctx, async move |txn| {
            registry::upsert_institution(txn, i, &v.actor_label(), now).await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: creates a national core-data bundle.
    async fn create_core_data_bundle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bundle.")] input: BundleInput,
    ) -> Result<CoreDataBundle> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "createCoreDataBundle")?;
        let db = context::db(ctx);
        let now = context::now(ctx);
        let lead = match &input.lead_institution_code {
            Some(c) => Some(institution_id(db, c).await?),
            None => None,
        };
        let b = registry::BundleInput {
            name: input.name,
            name_en: input.name_en,
            round: input.round,
            release_year: input.release_year,
            lead_institution_id: lead,
            description: input.description,
        };
        let m = write(ctx, async move |txn| {
            registry::create_bundle(txn, b, &v.actor_label(), now).await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: adds datasets to a bundle and removes others.
    async fn set_bundle_datasets(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The bundle.")] bundle_id: ID,
        #[graphql(desc = "Datasets to add.", default)] add: Vec<ID>,
        #[graphql(desc = "Datasets to remove.", default)] remove: Vec<ID>,
    ) -> Result<CoreDataBundle> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "setBundleDatasets")?;
        if add.len() + remove.len() > 1000 {
            return Err(ApiError::bad_input("at most 1000 datasets per call").into());
        }
        let now = context::now(ctx);
        let b = ids::decode_as(&bundle_id, NodeKind::CoreDataBundle)?;
        let add: Vec<i64> = add
            .iter()
            .map(|i| ids::decode_as(i, NodeKind::Dataset))
            .collect::<Result<_, _>>()?;
        let remove: Vec<i64> = remove
            .iter()
            .map(|i| ids::decode_as(i, NodeKind::Dataset))
            .collect::<Result<_, _>>()?;
        let m = write(ctx, async move |txn| {
            registry::set_bundle_datasets(txn, b, &add, &remove, &v.actor_label(), now).await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: creates a plan.
    #[allow(clippy::too_many_arguments)]
    async fn create_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Kind of plan.")] kind: PlanKind,
        #[graphql(desc = "Name.")] name: String,
        #[graphql(desc = "English name.")] name_en: Option<String>,
        #[graphql(desc = "First day.")] starts_on: Date,
        #[graphql(desc = "Last day.")] ends_on: Date,
        #[graphql(desc = "Description.", default)] description: String,
    ) -> Result<Plan> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "createPlan")?;
        let now = context::now(ctx);
        let m = write(ctx, async move |txn| {
            registry::create_plan(
                txn,
                kind.into(),
                &name,
                name_en,
                starts_on.0,
                ends_on.0,
                &description,
                &v.actor_label(),
                now,
            )
            .await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: creates a commitment (code such as KR0067).
    #[allow(clippy::too_many_arguments)]
    async fn create_commitment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan it belongs to.")] plan_id: Option<ID>,
        #[graphql(desc = "Code, unique.")] code: String,
        #[graphql(desc = "Title.")] title: String,
        #[graphql(desc = "Lead institution's code.")] lead_institution_code: Option<String>,
        #[graphql(desc = "Description.", default)] description: String,
    ) -> Result<Commitment> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "createCommitment")?;
        let db = context::db(ctx);
        let now = context::now(ctx);
        let plan = plan_id
            .as_ref()
            .map(|p| ids::decode_as(p, NodeKind::Plan))
            .transpose()?;
        let lead = match &lead_institution_code {
            Some(c) => Some(institution_id(db, c).await?),
            None => None,
        };
        let m = write(ctx, async move |txn| {
            registry::create_commitment(
                txn,
                plan,
                &code,
                &title,
                lead,
                &description,
                &v.actor_label(),
                now,
            )
            .await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: adds a milestone to a commitment.
    #[allow(clippy::too_many_arguments)]
    async fn create_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The commitment.")] commitment_id: ID,
        #[graphql(desc = "Title.")] title: String,
        #[graphql(desc = "Start.")] starts_on: Date,
        #[graphql(desc = "End; omit when it continues yearly.")] ends_on: Option<Date>,
        #[graphql(desc = "True when it continues yearly.", default)] continues_yearly: bool,
    ) -> Result<Milestone> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "createMilestone")?;
        let now = context::now(ctx);
        let c = ids::decode_as(&commitment_id, NodeKind::Commitment)?;
        let m = write(ctx, async move |txn| {
            registry::create_milestone(
                txn,
                c,
                &title,
                starts_on.0,
                day(ends_on),
                continues_yearly,
                &v.actor_label(),
                now,
            )
            .await
        })
        .await?;
        Ok(m.into())
    }

    /// Admins: creates a numeric target; its progress is computed from the history.
    #[allow(clippy::too_many_arguments)]
    async fn create_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Title.")] title: String,
        #[graphql(desc = "What is counted.")] metric: TargetMetric,
        #[graphql(desc = "Counting starts at the start of this day (Asia/Seoul).")]
        baseline_on: Date,
        #[graphql(desc = "The figure at the baseline (e.g. 263342 withheld).")] baseline_value: i64,
        #[graphql(desc = "The figure to reach (e.g. 106930 opened).")] target_value: i64,
        #[graphql(desc = "Deadline: reached by the end of this day (Asia/Seoul).")] due_on: Date,
        #[graphql(desc = "The commitment it measures.")] commitment_id: Option<ID>,
    ) -> Result<Target> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "createTarget")?;
        let now = context::now(ctx);
        let c = commitment_id
            .as_ref()
            .map(|i| ids::decode_as(i, NodeKind::Commitment))
            .transpose()?;
        let m = write(ctx, async move |txn| {
            registry::create_target(
                txn,
                &title,
                metric.into(),
                baseline_on.0,
                baseline_value,
                target_value,
                due_on.0,
                c,
                &v.actor_label(),
                now,
            )
            .await
        })
        .await?;
        Ok(m.into())
    }
}
