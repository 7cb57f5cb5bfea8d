//! The deterministic demo inventory: the real plans, commitments, milestones, targets and
//! core-data bundles, and a national-scale **fictional** inventory around them.
//!
//! Scale 1.0 gives about 1,000 fictional institutions, 87,000 open datasets and 263,342 entries
//! that are not open (withheld, partially open, under review or scheduled), whose grounds follow
//! the reported shares, with history since 2011 and requests in every state. Every synthetic
//! row is marked (`provenance = SYNTHETIC`, `synthetic = true`, names starting with "(가상)") and
//! never carries a portal key. The same seed and scale always give the same rows.
//!
//! [`build`] runs in phases, in one transaction, one file each: the real plans (`plans.rs`),
//! fictional institutions (`institutions.rs`), datasets with their disclosures and history
//! (`datasets.rs`), the core-data bundles (`plans.rs`), citizens and their requests
//! (`requests.rs`), then the search index and the finish (`bulk.rs`). Each phase is logged, and
//! shown on a bar on a terminal (`progress.rs`). `existing.rs` answers
//! questions about the demo rows already in a database and removes them.

mod bulk;
mod datasets;
mod existing;
mod institutions;
pub mod names;
mod plans;
mod progress;
pub mod reference;
mod requests;

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::dataset;
use entity::enums::WithholdingGround;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait};

use crate::db;

pub use existing::{demo_dependents, drop_demo, ground_shares, is_empty, synthetic_datasets};

/// What to build.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// 1.0 is national scale; tests use 0.001–0.01.
    pub scale: f64,
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            scale: 1.0,
            seed: 2023,
        }
    }
}

/// What was built, and how long it took.
#[derive(Debug, Clone, Default)]
pub struct DemoSummary {
    pub institutions: usize,
    pub open_datasets: usize,
    pub not_open_datasets: usize,
    pub disclosure_events: usize,
    pub requests: usize,
    pub bundles: usize,
    /// The whole build, from the first insert to the last write reaching the database file.
    pub elapsed: Duration,
    /// Datasets, disclosures and history written, with their indexes.
    pub datasets_elapsed: Duration,
    /// Planner statistics, commit and (SQLite) the WAL folded into the database file.
    pub finish_elapsed: Duration,
}

/// The moment the demo's history ends; fixed so that the demo is deterministic.
pub fn demo_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// Open datasets at scale 1.
pub const OPEN_AT_SCALE_1: f64 = 87_000.0;
/// Entries not open at scale 1 (the published list of closed data).
pub const NOT_OPEN_AT_SCALE_1: f64 = 263_342.0;

/// Reported shares of the grounds (percent), in `WithholdingGround::iter()` order.
pub const GROUND_SHARES: &[(WithholdingGround, f64)] = &[
    (WithholdingGround::OtherLawSecret, 8.6),
    (WithholdingGround::NationalSecurity, 4.0),
    (WithholdingGround::PublicSafety, 4.0),
    (WithholdingGround::TrialsInvestigation, 3.0),
    (WithholdingGround::AuditDeliberation, 6.0),
    (WithholdingGround::PersonalInformation, 11.8),
    (WithholdingGround::BusinessSecret, 29.5),
    (WithholdingGround::RealEstateSpeculation, 1.0),
    (WithholdingGround::ThirdPartyRights, 7.0),
    (WithholdingGround::OtherStatute, 5.0),
    (WithholdingGround::PracticalDataQuality, 8.0),
    (WithholdingGround::PracticalNotDigitized, 7.0),
    (WithholdingGround::PracticalNoSystem, 5.1),
];

/// Errors of building the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "the database already holds {0} datasets; the demo is only built into an empty inventory"
    )]
    NotEmpty(u64),
    #[error("scale must be greater than 0 and at most 1, got {0}")]
    BadScale(f64),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Builds the demo into an empty database, in one transaction.
pub async fn build(db: &DatabaseConnection, opts: &DemoOptions) -> Result<DemoSummary, DemoError> {
    if !(opts.scale > 0.0 && opts.scale <= 1.0) {
        return Err(DemoError::BadScale(opts.scale));
    }
    let n = dataset::Entity::find().count(db).await?;
    if n > 0 {
        return Err(DemoError::NotEmpty(n));
    }
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let now = demo_now();
    let mut summary = DemoSummary::default();
    let txn = db::begin_write(db).await?;
    db::bulk_load_settings(&txn, true).await?;

    let phases = progress::Phases::new(6);
    phases.start(1, "plans and targets", || {
        tracing::info!(scale = opts.scale, "demo 1/6: plans and targets")
    });
    plans::insert_plans(&txn, now).await?;
    phases.start(2, "institutions", || {
        tracing::info!("demo 2/6: institutions")
    });
    let insts = institutions::insert(&txn, &mut rng, opts.scale, now).await?;
    summary.institutions = insts.len();
    phases.start(3, "datasets and their disclosure history", || {
        tracing::info!(
            institutions = insts.len(),
            "demo 3/6: datasets and their disclosure history"
        )
    });
    // Datasets, accounts and requests get explicit ids (so that requests and bundles can point
    // at them without a round trip); they start after whatever the tables already hold (an
    // admin's account created with `inventory token` before the first `serve`, say).
    let loaded = datasets::insert(&txn, &mut rng, &insts, opts.scale, now, &mut summary).await?;
    phases.start(4, "core-data bundles", || {
        tracing::info!(
            datasets = summary.open_datasets + summary.not_open_datasets,
            "demo 4/6: core-data bundles"
        )
    });
    summary.bundles = plans::insert_bundles(&txn, &mut rng, &insts, &loaded.core_ids).await?;
    let id_bases = (
        bulk::max_id(&txn, "account").await?,
        bulk::max_id(&txn, "data_request").await?,
    );
    phases.start(5, "citizens' requests", || {
        tracing::info!("demo 5/6: citizens' requests")
    });
    let written = requests::insert(
        &txn,
        &mut rng,
        &loaded.closed_ids,
        &loaded.closed_states,
        id_bases,
        opts.scale,
        now,
    )
    .await?;
    summary.requests = written.requests;
    summary.open_datasets += written.opened + written.registered;
    summary.not_open_datasets -= written.opened;
    summary.disclosure_events += written.opened + written.registered;
    bulk::advance_sequences(&txn).await?;

    phases.start(6, "statistics and commit", || {
        tracing::info!(
            requests = summary.requests,
            "demo 6/6: statistics and commit"
        )
    });
    let finish_started = Instant::now();
    bulk::finish(db, txn).await?;
    summary.finish_elapsed = finish_started.elapsed();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// A date of the reference tables (`YYYY-MM-DD`).
fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("reference dates are valid")
}

/// Midnight UTC of `d`.
fn day(d: NaiveDate) -> DateTime<Utc> {
    // 09:00 in Seoul.
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
}

/// A date in `[from, to)` (or `from` when the span is empty).
fn date_between(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(1);
    from + chrono::Days::new(rng.random_range(0..span) as u64)
}
