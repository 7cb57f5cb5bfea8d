//! Registry upkeep: datasets registered and updated by officers; institutions, bundles, plans,
//! commitments, milestones and targets kept by admins. Each change runs in the caller's
//! transaction and leaves an audit event in the outbox (topic `audit`, no personal data).

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{
    Category, Completion, DatasetType, DisclosureStatus, InstitutionKind, PlanKind, Provenance,
    TargetMetric,
};
use entity::{
    commitment, core_bundle, core_bundle_dataset, dataset, disclosure, disclosure_event,
    institution, institution_name, milestone, plan, target,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::disclosure::{self as disclosure_change, Change};
use crate::domain::{Error, institutions, text};
use crate::events::{self, DisclosureChanged, Event, MilestoneChanged};

pub(crate) fn text_field(name: &str, v: &str, max: usize) -> Result<String, Error> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(Error::Invalid(format!(
            "{name} must be 1 to {max} characters"
        )));
    }
    Ok(t.to_string())
}

/// A dataset an officer registers.
#[derive(Debug, Clone)]
pub struct NewDataset {
    pub institution_id: i64,
    pub title: String,
    pub description: String,
    pub category: Category,
    pub dataset_type: DatasetType,
    pub keywords: Vec<String>,
    pub format: Option<String>,
    pub disclosure: Change,
}

/// Registers a dataset with its initial disclosure and history event.
pub async fn register_dataset<C: ConnectionTrait>(
    txn: &C,
    d: NewDataset,
    actor: &str,
    actor_account_id: i64,
    now: DateTime<Utc>,
) -> Result<dataset::Model, Error> {
    let title = text_field("title", &d.title, 300)?;
    if d.description.chars().count() > 4000 {
        return Err(Error::Invalid(
            "description is limited to 4000 characters".into(),
        ));
    }
    disclosure_change::validate(&d.disclosure)?;
    let keywords = d
        .keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    let today = crate::clock::seoul_date(now);
    let ds = dataset::ActiveModel {
        id: NotSet,
        portal_key: Set(None),
        title: Set(title.clone()),
        description: Set(d.description.trim().to_string()),
        institution_id: Set(d.institution_id),
        category: Set(d.category),
        dataset_type: Set(d.dataset_type),
        keywords: Set(keywords.clone()),
        format: Set(d.format.clone()),
        national_core: Set(false),
        standard: Set(false),
        licence: Set(None),
        update_frequency: Set(None),
        registered_on: Set(Some(today)),
        modified_on: Set(Some(today)),
        views: Set(None),
        downloads: Set(None),
        portal_url: Set(None),
        listed: Set(true),
        provenance: Set(Provenance::Registered),
        source_file: Set(None),
        import_run_id: Set(None),
        search_title: Set(text::search_title(&title, &keywords)),
        search_body: Set(text::normalize(&d.description)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let c = &d.disclosure;
    disclosure::Entity::insert(disclosure::ActiveModel {
        dataset_id: Set(ds.id),
        status: Set(c.status),
        ground: Set(c.ground),
        legal_basis: Set(c.ground.and_then(|g| {
            crate::domain::labels::ground(g)
                .legal_basis
                .map(String::from)
        })),
        explanation: Set(c.explanation.clone()),
        mitigation: Set(c.mitigation.join(",")),
        planned_open_on: Set(c.planned_open_on),
        next_review_on: Set(c.next_review_on),
        version: Set(1),
        updated_at: Set(now),
    })
    .exec(txn)
    .await?;
    let ev = disclosure_event::ActiveModel {
        id: NotSet,
        dataset_id: Set(ds.id),
        from_status: Set(None),
        to_status: Set(c.status),
        ground: Set(c.ground),
        explanation: Set(c.explanation.clone()),
        actor: Set(actor.to_string()),
        actor_account_id: Set(Some(actor_account_id)),
        occurred_at: Set(now),
        from_listed: Set(None),
        listed: Set(true),
    }
    .insert(txn)
    .await?;
    events::append(
        txn,
        vec![Event::Disclosure(DisclosureChanged::of(
            &ev,
            ds.institution_id,
            ds.category,
        ))],
        now,
    )
    .await?;
    events::audit(txn, actor, "registerDataset", "dataset", ds.id, now).await?;
    Ok(ds)
}

/// Changes to a dataset's description (its disclosure changes through `changeDisclosure`).
#[derive(Debug, Clone, Default)]
pub struct DatasetEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<Category>,
    pub dataset_type: Option<DatasetType>,
    pub keywords: Option<Vec<String>>,
    pub format: Option<String>,
    pub listed: Option<bool>,
}

/// Applies `e` to dataset `id`. A change of `listed` is a history event and a feed event
/// ([`crate::domain::listing`]); a delisting made here stands when an import finds the dataset
/// in its file again.
pub async fn update_dataset<C: ConnectionTrait>(
    txn: &C,
    id: i64,
    e: DatasetEdit,
    actor: &str,
    actor_account_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<dataset::Model, Error> {
    let old = dataset::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound("no such dataset".into()))?;
    let mut m: dataset::ActiveModel = old.clone().into();
    let title = match &e.title {
        Some(t) => text_field("title", t, 300)?,
        None => old.title.clone(),
    };
    let description = e.description.clone().unwrap_or(old.description.clone());
    if description.chars().count() > 4000 {
        return Err(Error::Invalid(
            "description is limited to 4000 characters".into(),
        ));
    }
    let keywords = match &e.keywords {
        Some(k) => k
            .iter()
            .map(|k| k.trim())
            .filter(|k| !k.is_empty())
            .collect::<Vec<_>>()
            .join(","),
        None => old.keywords.clone(),
    };
    m.title = Set(title.clone());
    m.description = Set(description.clone());
    m.keywords = Set(keywords.clone());
    if let Some(c) = e.category {
        m.category = Set(c);
    }
    if let Some(t) = e.dataset_type {
        m.dataset_type = Set(t);
    }
    if e.format.is_some() {
        m.format = Set(e.format.clone());
    }
    m.search_title = Set(text::search_title(&title, &keywords));
    m.search_body = Set(text::normalize(&description));
    m.modified_on = Set(Some(crate::clock::seoul_date(now)));
    m.updated_at = Set(now);
    let mut ds = m.update(txn).await?;
    if let Some(l) = e.listed.filter(|l| *l != old.listed) {
        let who = crate::domain::listing::ListingChange {
            actor,
            actor_account_id,
            explanation: None,
        };
        let feed = crate::domain::listing::set_listed(txn, &[id], l, &who, now).await?;
        events::append(txn, feed, now).await?;
        ds.listed = l;
    }
    events::audit(txn, actor, "updateDataset", "dataset", id, now).await?;
    Ok(ds)
}

/// An institution to create or update (by code).
#[derive(Debug, Clone)]
pub struct InstitutionInput {
    pub code: String,
    pub name: String,
    pub name_en: Option<String>,
    /// Overrides the kind derived from the code.
    pub kind: Option<InstitutionKind>,
    pub parent_code: Option<String>,
    /// Whether the parent link is confirmed (officers of the parent then act for this one); with
    /// no parent, that it has none. Imports never change a confirmed link.
    pub parent_confirmed: bool,
}

pub async fn upsert_institution<C: ConnectionTrait>(
    txn: &C,
    i: InstitutionInput,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<institution::Model, Error> {
    let code = text_field("code", &i.code, 20)?;
    let name = text_field("name", &i.name, 200)?;
    let parent = match &i.parent_code {
        Some(p) if p.trim() == code => {
            return Err(Error::Invalid(
                "an institution cannot be its own parent".into(),
            ));
        }
        Some(p) => Some(
            institution::Entity::find()
                .filter(institution::Column::Code.eq(p.trim()))
                .one(txn)
                .await?
                .ok_or_else(|| Error::NotFound(format!("no parent institution with code '{p}'")))?,
        ),
        None => None,
    };
    let existing = institution::Entity::find()
        .filter(institution::Column::Code.eq(code.clone()))
        .one(txn)
        .await?;
    if let (Some(p), Some(e)) = (&parent, &existing) {
        // No cycles: the new parent must not be a descendant.
        let below = institutions::with_all_below(txn, e.id).await?;
        if below.contains(&p.id) {
            return Err(Error::Invalid(format!(
                "'{}' is below '{code}'; that parent would make a cycle",
                p.code
            )));
        }
    }
    let kind = i
        .kind
        .unwrap_or_else(|| institutions::kind_from_code(&code));
    let saved = match existing {
        Some(old) => {
            if old.name != name {
                institution_name::ActiveModel {
                    id: NotSet,
                    institution_id: Set(old.id),
                    name: Set(old.name.clone()),
                    replaced_at: Set(now),
                    source: Set(actor.to_string()),
                }
                .insert(txn)
                .await?;
            }
            let mut m: institution::ActiveModel = old.into();
            m.name = Set(name);
            m.name_en = Set(i.name_en);
            m.kind = Set(kind);
            m.kind_overridden = Set(i.kind.is_some());
            m.parent_id = Set(parent.as_ref().map(|p| p.id));
            m.parent_confirmed = Set(i.parent_confirmed);
            m.updated_at = Set(now);
            m.update(txn).await?
        }
        None => {
            institution::ActiveModel {
                id: NotSet,
                code: Set(code),
                name: Set(name),
                name_en: Set(i.name_en),
                kind: Set(kind),
                kind_overridden: Set(i.kind.is_some()),
                parent_id: Set(parent.as_ref().map(|p| p.id)),
                parent_confirmed: Set(i.parent_confirmed),
                synthetic: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(txn)
            .await?
        }
    };
    events::audit(
        txn,
        actor,
        "upsertInstitution",
        "institution",
        saved.id,
        now,
    )
    .await?;
    Ok(saved)
}

/// A new core-data bundle.
pub struct BundleInput {
    pub name: String,
    pub name_en: Option<String>,
    pub round: i32,
    pub release_year: Option<i32>,
    pub lead_institution_id: Option<i64>,
    pub description: String,
}

pub async fn create_bundle<C: ConnectionTrait>(
    txn: &C,
    b: BundleInput,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<core_bundle::Model, Error> {
    let name = text_field("name", &b.name, 200)?;
    check_bundle(b.round, b.release_year)?;
    let m = core_bundle::ActiveModel {
        id: NotSet,
        name: Set(name),
        name_en: Set(b.name_en),
        round: Set(b.round),
        release_year: Set(b.release_year),
        lead_institution_id: Set(b.lead_institution_id),
        description: Set(b.description.trim().to_string()),
        synthetic: Set(false),
    }
    .insert(txn)
    .await?;
    events::audit(txn, actor, "createCoreDataBundle", "core_bundle", m.id, now).await?;
    Ok(m)
}

/// A bundle's release-plan round (1 to 5) and release year (2013 to 2035).
pub(crate) fn check_bundle(round: i32, release_year: Option<i32>) -> Result<(), Error> {
    if !(1..=5).contains(&round) {
        return Err(Error::Invalid(format!("round must be 1 to 5, got {round}")));
    }
    if release_year.is_some_and(|y| !(2013..=2035).contains(&y)) {
        return Err(Error::Invalid(
            "releaseYear must be between 2013 and 2035".into(),
        ));
    }
    Ok(())
}

/// Adds and removes datasets of a bundle.
pub async fn set_bundle_datasets<C: ConnectionTrait>(
    txn: &C,
    bundle_id: i64,
    add: &[i64],
    remove: &[i64],
    actor: &str,
    now: DateTime<Utc>,
) -> Result<core_bundle::Model, Error> {
    let b = core_bundle::Entity::find_by_id(bundle_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound("no such bundle".into()))?;
    for d in add {
        if dataset::Entity::find_by_id(*d).one(txn).await?.is_none() {
            return Err(Error::NotFound(format!("no dataset {d}")));
        }
        if core_bundle_dataset::Entity::find_by_id((bundle_id, *d))
            .one(txn)
            .await?
            .is_none()
        {
            core_bundle_dataset::ActiveModel {
                bundle_id: Set(bundle_id),
                dataset_id: Set(*d),
            }
            .insert(txn)
            .await?;
        }
    }
    if !remove.is_empty() {
        core_bundle_dataset::Entity::delete_many()
            .filter(core_bundle_dataset::Column::BundleId.eq(bundle_id))
            .filter(core_bundle_dataset::Column::DatasetId.is_in(remove.iter().copied()))
            .exec(txn)
            .await?;
    }
    events::audit(
        txn,
        actor,
        "setBundleDatasets",
        "core_bundle",
        bundle_id,
        now,
    )
    .await?;
    Ok(b)
}

/// A plan's days: it cannot end before it starts.
pub(crate) fn check_plan_days(starts_on: NaiveDate, ends_on: NaiveDate) -> Result<(), Error> {
    if ends_on < starts_on {
        return Err(Error::Invalid(format!(
            "endsOn ({ends_on}) is before startsOn ({starts_on})"
        )));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn create_plan<C: ConnectionTrait>(
    txn: &C,
    kind: PlanKind,
    name: &str,
    name_en: Option<String>,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    description: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<plan::Model, Error> {
    let name = text_field("name", name, 200)?;
    check_plan_days(starts_on, ends_on)?;
    let m = plan::ActiveModel {
        id: NotSet,
        kind: Set(kind),
        name: Set(name),
        name_en: Set(name_en),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        description: Set(description.trim().to_string()),
    }
    .insert(txn)
    .await?;
    events::audit(txn, actor, "createPlan", "plan", m.id, now).await?;
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
pub async fn create_commitment<C: ConnectionTrait>(
    txn: &C,
    plan_id: Option<i64>,
    code: &str,
    title: &str,
    lead_institution_id: Option<i64>,
    description: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<commitment::Model, Error> {
    let code = text_field("code", code, 20)?;
    let title = text_field("title", title, 300)?;
    if commitment::Entity::find()
        .filter(commitment::Column::Code.eq(code.clone()))
        .one(txn)
        .await?
        .is_some()
    {
        return Err(Error::Conflict(format!(
            "a commitment with code {code} exists"
        )));
    }
    let m = commitment::ActiveModel {
        id: NotSet,
        plan_id: Set(plan_id),
        code: Set(code),
        title: Set(title),
        lead_institution_id: Set(lead_institution_id),
        lead_name: Set(None),
        description: Set(description.trim().to_string()),
    }
    .insert(txn)
    .await?;
    events::audit(txn, actor, "createCommitment", "commitment", m.id, now).await?;
    Ok(m)
}

#[allow(clippy::too_many_arguments)]
pub async fn create_milestone<C: ConnectionTrait>(
    txn: &C,
    commitment_id: i64,
    title: &str,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    continues_yearly: bool,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<milestone::Model, Error> {
    let title = text_field("title", title, 300)?;
    if ends_on.is_some_and(|e| e < starts_on) {
        return Err(Error::Invalid("endsOn is before startsOn".into()));
    }
    if ends_on.is_some() == continues_yearly {
        return Err(Error::Invalid(
            "give either endsOn or continuesYearly".into(),
        ));
    }
    commitment::Entity::find_by_id(commitment_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound("no such commitment".into()))?;
    let m = milestone::ActiveModel {
        id: NotSet,
        commitment_id: Set(commitment_id),
        title: Set(title),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        continues_yearly: Set(continues_yearly),
        completion: Set(Completion::NotStarted),
        evidence_url: Set(None),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    events::audit(txn, actor, "createMilestone", "milestone", m.id, now).await?;
    Ok(m)
}

/// Records a milestone's completion and evidence; subscribers of `milestoneUpdated` hear of it.
pub async fn update_milestone<C: ConnectionTrait>(
    txn: &C,
    milestone_id: i64,
    completion: Completion,
    evidence_url: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<milestone::Model, Error> {
    let evidence_url = evidence_url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    if let Some(u) = &evidence_url
        && (!(u.starts_with("https://") || u.starts_with("http://")) || u.chars().count() > 2000)
    {
        return Err(Error::Invalid(
            "evidenceUrl must be an http(s) URL of at most 2000 characters".into(),
        ));
    }
    let m = milestone::Entity::find_by_id(milestone_id)
        .one(txn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no milestone {milestone_id}")))?;
    let mut am: milestone::ActiveModel = m.into();
    am.completion = Set(completion);
    am.evidence_url = Set(evidence_url);
    am.updated_at = Set(now);
    let m = am.update(txn).await?;
    events::append(
        txn,
        vec![Event::Milestone(MilestoneChanged {
            milestone_id: m.id,
            completion: m.completion,
        })],
        now,
    )
    .await?;
    events::audit(txn, actor, "updateMilestone", "milestone", m.id, now).await?;
    Ok(m)
}

/// A target's days and values: due after its baseline, a positive target value, a baseline value
/// not below zero.
pub(crate) fn check_target(
    baseline_on: NaiveDate,
    baseline_value: i64,
    target_value: i64,
    due_on: NaiveDate,
) -> Result<(), Error> {
    if due_on <= baseline_on {
        return Err(Error::Invalid("dueOn must be after baselineOn".into()));
    }
    if target_value <= 0 || baseline_value < 0 {
        return Err(Error::Invalid("values must be positive".into()));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn create_target<C: ConnectionTrait>(
    txn: &C,
    title: &str,
    metric: TargetMetric,
    baseline_on: NaiveDate,
    baseline_value: i64,
    target_value: i64,
    due_on: NaiveDate,
    commitment_id: Option<i64>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<target::Model, Error> {
    let title = text_field("title", title, 300)?;
    check_target(baseline_on, baseline_value, target_value, due_on)?;
    let m = target::ActiveModel {
        id: NotSet,
        commitment_id: Set(commitment_id),
        plan_id: Set(None),
        title: Set(title),
        metric: Set(metric),
        baseline_on: Set(baseline_on),
        baseline_value: Set(baseline_value),
        target_value: Set(target_value),
        due_on: Set(due_on),
    }
    .insert(txn)
    .await?;
    events::audit(txn, actor, "createTarget", "target", m.id, now).await?;
    Ok(m)
}

/// Status a registration starts with when none is given.
pub const DEFAULT_STATUS: DisclosureStatus = DisclosureStatus::Open;
