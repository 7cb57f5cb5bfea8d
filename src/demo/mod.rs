//! The deterministic demo inventory: the real plans, commitments, milestones, targets and
//! core-data bundles, and a national-scale **fictional** inventory around them.
//!
//! Scale 1.0 gives about 1,000 fictional institutions, 87,000 open datasets and 263,342 entries
//! that are not open (withheld, partially open, under review or scheduled), whose grounds follow
//! the reported shares, with history since 2011 and requests in every state. Every synthetic
//! row is marked (`provenance = SYNTHETIC`, `synthetic = true`, names starting with "(가상)") and
//! never carries a portal key. The same seed and scale always give the same rows.

pub mod names;
pub mod reference;

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::enums::*;
use entity::{
    account, commitment, core_bundle, core_bundle_dataset, data_request, dataset, disclosure,
    disclosure_event, institution, milestone, plan, request_event, request_supporter, target,
};
use rand::{Rng, SeedableRng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Iterable,
    PaginatorTrait, QueryFilter,
};

use crate::db;
use crate::domain::{labels, search, text};

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
    /// Rows in the search index.
    pub search_grams: u64,
    /// The whole build, from the first insert to the last write reaching the database file.
    pub elapsed: Duration,
    /// Datasets, disclosures and history written, with their indexes.
    pub datasets_elapsed: Duration,
    /// The search index.
    pub index_elapsed: Duration,
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

/// Whether the inventory holds no dataset at all.
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(dataset::Entity::find().count(db).await? == 0)
}

/// Number of synthetic datasets.
pub async fn synthetic_datasets(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    dataset::Entity::find()
        .filter(dataset::Column::Provenance.eq(Provenance::Synthetic))
        .count(db)
        .await
}

/// Real (non-synthetic) rows that point at demo rows, which dropping the demo would delete
/// through `ON DELETE CASCADE`, silently unlink, or trip over with a foreign-key error.
/// Each entry is a description and how many rows it covers; only non-zero entries are listed.
pub async fn demo_dependents(db: &impl ConnectionTrait) -> Result<Vec<(&'static str, i64)>, DbErr> {
    const DEMO_INST: &str = "(SELECT id FROM institution WHERE synthetic = TRUE)";
    const DEMO_DS: &str = "(SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')";
    let checks: [(&'static str, String); 7] = [
        (
            "accounts scoped to demo institutions",
            format!(
                "SELECT COUNT(*) FROM account WHERE synthetic = FALSE AND institution_id IN {DEMO_INST}"
            ),
        ),
        (
            "datasets (imported or registered) under demo institutions",
            format!(
                "SELECT COUNT(*) FROM dataset WHERE provenance <> 'SYNTHETIC' AND institution_id IN {DEMO_INST}"
            ),
        ),
        (
            "real institutions whose parent is a demo institution",
            format!(
                "SELECT COUNT(*) FROM institution WHERE synthetic = FALSE AND parent_id IN {DEMO_INST}"
            ),
        ),
        (
            "real requests for demo datasets",
            format!(
                "SELECT COUNT(*) FROM data_request WHERE synthetic = FALSE AND (dataset_id IN {DEMO_DS} OR provided_dataset_id IN {DEMO_DS})"
            ),
        ),
        (
            "real requests addressed to demo institutions",
            format!(
                "SELECT COUNT(*) FROM data_request WHERE synthetic = FALSE AND institution_id IN {DEMO_INST}"
            ),
        ),
        (
            "real requests filed by demo accounts",
            "SELECT COUNT(*) FROM data_request WHERE synthetic = FALSE AND requester_id IN (SELECT id FROM account WHERE synthetic = TRUE)".to_string(),
        ),
        (
            "commitments led by demo institutions",
            format!("SELECT COUNT(*) FROM commitment WHERE lead_institution_id IN {DEMO_INST}"),
        ),
    ];
    let mut found = Vec::new();
    for (what, sql) in checks {
        let n = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await?
            .map(|r| r.try_get_by_index::<i64>(0))
            .transpose()?
            .unwrap_or(0);
        if n > 0 {
            found.push((what, n));
        }
    }
    Ok(found)
}

/// Deletes every synthetic row (the real plans, commitments and milestones stay).
pub async fn drop_demo(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    // Children first, so this works whether or not cascades fire.
    for sql in [
        "DELETE FROM request_supporter WHERE request_id IN (SELECT id FROM data_request WHERE synthetic = TRUE)",
        "DELETE FROM request_follower WHERE request_id IN (SELECT id FROM data_request WHERE synthetic = TRUE)",
        "DELETE FROM request_event WHERE request_id IN (SELECT id FROM data_request WHERE synthetic = TRUE)",
        "DELETE FROM data_request WHERE synthetic = TRUE",
        "DELETE FROM api_token WHERE account_id IN (SELECT id FROM account WHERE synthetic = TRUE)",
        "DELETE FROM account WHERE synthetic = TRUE",
        "DELETE FROM core_bundle_dataset WHERE dataset_id IN (SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')",
        "DELETE FROM core_bundle WHERE synthetic = TRUE",
        "DELETE FROM search_gram WHERE dataset_id IN (SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')",
        "DELETE FROM disclosure_event WHERE dataset_id IN (SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')",
        "DELETE FROM disclosure WHERE dataset_id IN (SELECT id FROM dataset WHERE provenance = 'SYNTHETIC')",
        "DELETE FROM dataset WHERE provenance = 'SYNTHETIC'",
        "UPDATE core_bundle SET lead_institution_id = NULL WHERE lead_institution_id IN (SELECT id FROM institution WHERE synthetic = TRUE)",
        "UPDATE institution SET parent_id = NULL WHERE parent_id IN (SELECT id FROM institution WHERE synthetic = TRUE)",
        "DELETE FROM institution_name WHERE institution_id IN (SELECT id FROM institution WHERE synthetic = TRUE)",
        "DELETE FROM institution WHERE synthetic = TRUE",
    ] {
        txn.execute_unprepared(sql).await?;
    }
    Ok(())
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("reference dates are valid")
}

fn day(d: NaiveDate) -> DateTime<Utc> {
    // 09:00 in Seoul.
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
}

fn date_between(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(1);
    from + chrono::Days::new(rng.random_range(0..span) as u64)
}

/// Ground for the i-th entry: a low-discrepancy sequence, so the shares hold on any prefix.
fn ground_for(i: usize) -> WithholdingGround {
    let u = (i as f64 * 0.618_033_988_749_895).fract() * 100.0;
    let mut acc = 0.0;
    for (g, share) in GROUND_SHARES {
        acc += share;
        if u < acc {
            return *g;
        }
    }
    GROUND_SHARES[GROUND_SHARES.len() - 1].0
}

struct Inst {
    id: i64,
    name: String,
    category: usize,
    weight: f64,
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
    let backend = txn.get_database_backend();
    db::bulk_load_settings(&txn, true).await?;

    // Real plans, commitments, milestones and targets.
    let mut plan_ids = Vec::new();
    for p in reference::PLANS {
        let res = plan::Entity::insert(plan::ActiveModel {
            id: NotSet,
            kind: Set(p.kind),
            name: Set(p.name.into()),
            name_en: Set(Some(p.name_en.into())),
            starts_on: Set(date(p.starts)),
            ends_on: Set(date(p.ends)),
            description: Set(p.description.into()),
        })
        .exec(&txn)
        .await?;
        plan_ids.push(res.last_insert_id);
    }
    let mut commitment_ids = std::collections::HashMap::new();
    for c in reference::COMMITMENTS {
        let res = commitment::Entity::insert(commitment::ActiveModel {
            id: NotSet,
            plan_id: Set(Some(plan_ids[c.plan])),
            code: Set(c.code.into()),
            title: Set(c.title.into()),
            lead_institution_id: Set(None),
            lead_name: Set(Some(c.lead.into())),
            description: Set(c.description.into()),
        })
        .exec(&txn)
        .await?;
        commitment_ids.insert(c.code, res.last_insert_id);
        for m in c.milestones {
            milestone::Entity::insert(milestone::ActiveModel {
                id: NotSet,
                commitment_id: Set(res.last_insert_id),
                title: Set(m.title.into()),
                starts_on: Set(date(m.starts)),
                ends_on: Set(m.ends.map(date)),
                continues_yearly: Set(m.continues_yearly),
                completion: Set(m.completion),
                evidence_url: Set(m.evidence_url.map(Into::into)),
                updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
        }
    }
    for t in reference::TARGETS {
        target::Entity::insert(target::ActiveModel {
            id: NotSet,
            commitment_id: Set(t.commitment.and_then(|c| commitment_ids.get(c).copied())),
            plan_id: Set(t.plan.map(|p| plan_ids[p])),
            title: Set(t.title.into()),
            metric: Set(t.metric),
            baseline_on: Set(date(t.baseline_on)),
            baseline_value: Set(t.baseline_value),
            target_value: Set(t.target_value),
            due_on: Set(date(t.due_on)),
        })
        .exec(&txn)
        .await?;
    }

    // Fictional institutions, in the real kinds' proportions.
    let n_inst = ((1000.0 * opts.scale).round() as usize).max(24);
    let kinds = [
        (InstitutionKind::CentralGovernment, '1', 0.163),
        (InstitutionKind::MetropolitanGovernment, '6', 0.022),
        (InstitutionKind::LocalGovernment, '3', 0.229),
        (InstitutionKind::NationalUniversity, '7', 0.073),
        (InstitutionKind::OfficeOfEducation, '8', 0.060),
        (InstitutionKind::PublicInstitution, 'B', 0.453),
    ];
    let mut insts: Vec<Inst> = Vec::with_capacity(n_inst);
    let mut metros: Vec<(i64, String)> = Vec::new();
    let mut seq = 0usize;
    for (kind, ch, share) in kinds {
        let count = ((n_inst as f64 * share).round() as usize).max(2);
        for k in 0..count {
            seq += 1;
            let place = names::PLACES[k % names::PLACES.len()];
            let round = k / names::PLACES.len();
            let nth = if round > 0 {
                format!("제{}", round + 1)
            } else {
                String::new()
            };
            let topic = names::MINISTRY_TOPICS[k % names::MINISTRY_TOPICS.len()];
            let (name, parent) = match kind {
                InstitutionKind::CentralGovernment => (format!("{topic}{nth}부"), None),
                InstitutionKind::MetropolitanGovernment => (format!("{place}{nth}광역시"), None),
                InstitutionKind::LocalGovernment | InstitutionKind::OfficeOfEducation
                    if !metros.is_empty() =>
                {
                    let (pid, pname) = &metros[k % metros.len()];
                    let short = pname.trim_start_matches(names::SYNTHETIC_MARK).trim();
                    if kind == InstitutionKind::OfficeOfEducation {
                        (format!("{short} {place}{nth}교육지원청"), Some(*pid))
                    } else {
                        let suffix = names::LOCAL_SUFFIXES[k % 3];
                        (format!("{short} {place}{nth}{suffix}"), Some(*pid))
                    }
                }
                InstitutionKind::NationalUniversity => (format!("국립{place}{nth}대학교"), None),
                _ => {
                    let suffix = names::PUBLIC_SUFFIXES[k % names::PUBLIC_SUFFIXES.len()];
                    (format!("한국{place}{topic}{nth}{suffix}"), None)
                }
            };
            let name = format!("{} {name}", names::SYNTHETIC_MARK);
            let res = institution::Entity::insert(institution::ActiveModel {
                id: NotSet,
                code: Set(format!("{ch}DEMO{seq:04}")),
                name: Set(name.clone()),
                name_en: Set(Some(format!(
                    "Fictional {} no. {seq}",
                    labels::institution_kind(kind).en.to_lowercase()
                ))),
                kind: Set(kind),
                kind_overridden: Set(false),
                parent_id: Set(parent),
                parent_confirmed: Set(parent.is_some() && k % 4 != 0),
                synthetic: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(&txn)
            .await?;
            let id = res.last_insert_id;
            if kind == InstitutionKind::MetropolitanGovernment {
                metros.push((id, name.clone()));
            }
            // A few institutions hold much of the inventory, as on the portal.
            let weight = 1.0 / ((k % 50) as f64 + 1.0).powf(0.8);
            insts.push(Inst {
                id,
                name,
                category: rng.random_range(0..16),
                weight,
            });
        }
    }
    summary.institutions = insts.len();
    let total_weight: f64 = insts.iter().map(|i| i.weight).sum();
    let cumulative: Vec<f64> = insts
        .iter()
        .scan(0.0, |acc, i| {
            *acc += i.weight / total_weight;
            Some(*acc)
        })
        .collect();
    let categories: Vec<Category> = Category::iter().collect();

    // Datasets, disclosures and their history.
    let n_open = (OPEN_AT_SCALE_1 * opts.scale).round() as usize;
    let n_closed = (NOT_OPEN_AT_SCALE_1 * opts.scale).round() as usize;
    let total = n_open + n_closed;
    // Datasets, accounts and requests get explicit ids (so that requests and bundles can point
    // at them without a round trip); they start after whatever the tables already hold (an
    // admin's account created with `inventory token` before the first `serve`, say).
    let first_id = max_id(&txn, "dataset").await? + 1;
    // The tables are empty: their indexes are built once, by sorting, after the load.
    let datasets_started = Instant::now();
    let dropped =
        db::drop_secondary_indexes(&txn, &["dataset", "disclosure", "disclosure_event"]).await?;
    let baseline = date("2023-01-01");
    let mut ds_rows = Vec::with_capacity(1000);
    let mut disc_rows = Vec::with_capacity(1000);
    let mut ev_rows = Vec::with_capacity(3000);
    let mut closed_ids: Vec<(i64, i64)> = Vec::new(); // (dataset, institution)
    let mut core_ids: Vec<i64> = Vec::new();
    let mut closed_seq = 0usize;
    for i in 0..total {
        let id = first_id + i as i64;
        // Interleave open and closed rows so every slice of ids looks like the whole.
        let is_open = (i * n_open) / total != ((i + 1) * n_open) / total;
        let u: f64 = rng.random();
        let inst = &insts[cumulative.partition_point(|c| *c < u).min(insts.len() - 1)];
        let cat_idx = if rng.random_bool(0.6) {
            inst.category
        } else {
            rng.random_range(0..16)
        };
        let category = categories[cat_idx];
        let topic = *names::TOPICS[cat_idx].choose(&mut rng).unwrap();
        let suffix = *names::SUFFIXES.choose(&mut rng).unwrap();
        let short = inst.name.trim_start_matches(names::SYNTHETIC_MARK).trim();
        let title = format!("{short}_{topic}{suffix}");
        let description = format!("{topic} {suffix} (가상 데모 데이터)");
        let keywords = format!("{topic},{}", labels::category(category).ko);
        let dtype = match rng.random_range(0..100) {
            0..80 => DatasetType::File,
            80..95 => DatasetType::OpenApi,
            95..98 => DatasetType::Standard,
            _ => DatasetType::Linked,
        };
        let registered = if is_open {
            date_between(&mut rng, date("2011-01-01"), date("2026-06-30"))
        } else {
            date_between(&mut rng, date("2019-01-01"), date("2022-12-31"))
        };
        let national_core = is_open && rng.random_bool(0.047);
        if national_core {
            core_ids.push(id);
        }
        ds_rows.push(dataset::ActiveModel {
            id: Set(id),
            portal_key: Set(None),
            search_title: Set(text::search_title(&title, &keywords)),
            search_body: Set(text::normalize(&description)),
            title: Set(title),
            description: Set(description),
            institution_id: Set(inst.id),
            category: Set(category),
            dataset_type: Set(dtype),
            keywords: Set(keywords),
            format: Set(Some(
                match dtype {
                    DatasetType::OpenApi => "JSON+XML",
                    DatasetType::Linked => "LINK",
                    _ => "CSV",
                }
                .into(),
            )),
            national_core: Set(national_core),
            standard: Set(dtype == DatasetType::Standard),
            licence: Set(Some("이용허락범위 제한 없음".into())),
            update_frequency: Set(Some(["연간", "분기", "월간", "수시"][i % 4].into())),
            registered_on: Set(Some(registered)),
            modified_on: Set(Some(date_between(&mut rng, registered, date("2026-10-31")))),
            views: Set(Some(if is_open {
                rng.random_range(0..20_000)
            } else {
                rng.random_range(0..300)
            })),
            downloads: Set(is_open.then(|| rng.random_range(0..5_000))),
            portal_url: Set(None),
            listed: Set(true),
            provenance: Set(Provenance::Synthetic),
            source_file: Set(None),
            import_run_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        });
        let initial_at = day(registered);
        if is_open {
            // A quarter of open entries were withheld at the baseline and opened since.
            let opened_since = registered < baseline && rng.random_bool(0.25);
            if opened_since {
                let g = ground_for(rng.random_range(0..1_000_000));
                let opened = date_between(&mut rng, date("2023-01-15"), date("2026-10-31"));
                ev_rows.push(event(
                    id,
                    None,
                    DisclosureStatus::Withheld,
                    Some(g),
                    initial_at,
                ));
                ev_rows.push(event(
                    id,
                    Some(DisclosureStatus::Withheld),
                    DisclosureStatus::Open,
                    None,
                    day(opened),
                ));
            } else {
                ev_rows.push(event(id, None, DisclosureStatus::Open, None, initial_at));
            }
            disc_rows.push(disclosure_row(
                id,
                DisclosureStatus::Open,
                None,
                now,
                None,
                None,
                "",
            ));
        } else {
            let g = ground_for(closed_seq);
            closed_seq += 1;
            closed_ids.push((id, inst.id));
            let roll = rng.random_range(0..100);
            let status = match roll {
                0..82 => DisclosureStatus::Withheld,
                82..90 => DisclosureStatus::PartiallyOpen,
                90..96 => DisclosureStatus::UnderReview,
                _ => DisclosureStatus::ScheduledToOpen,
            };
            ev_rows.push(event(
                id,
                None,
                DisclosureStatus::Withheld,
                Some(g),
                initial_at,
            ));
            let keeps_ground = matches!(
                status,
                DisclosureStatus::Withheld | DisclosureStatus::PartiallyOpen
            );
            if status != DisclosureStatus::Withheld {
                let changed = date_between(&mut rng, date("2023-06-01"), date("2026-10-31"));
                let mut e = event(
                    id,
                    Some(DisclosureStatus::Withheld),
                    status,
                    keeps_ground.then_some(g),
                    day(changed),
                );
                e.explanation = Set(Some("개방 범위 재검토 (가상 예시)".into()));
                ev_rows.push(e);
            }
            let mitigation = match (status, g) {
                (DisclosureStatus::PartiallyOpen, WithholdingGround::PersonalInformation) => {
                    "DE_IDENTIFIED"
                }
                (DisclosureStatus::PartiallyOpen, _) => "STATISTICS_ONLY",
                (DisclosureStatus::Withheld, WithholdingGround::BusinessSecret) if i % 7 == 0 => {
                    "VERIFICATION_API"
                }
                _ => "",
            };
            let planned = (status == DisclosureStatus::ScheduledToOpen)
                .then(|| date_between(&mut rng, date("2026-12-01"), date("2028-12-31")));
            let review = keeps_ground
                .then(|| date_between(&mut rng, date("2026-12-01"), date("2027-12-31")));
            disc_rows.push(disclosure_row(
                id,
                status,
                keeps_ground.then_some(g),
                now,
                planned,
                review,
                mitigation,
            ));
        }
        if ds_rows.len() == 1000 {
            flush(
                &txn,
                &mut ds_rows,
                &mut disc_rows,
                &mut ev_rows,
                &mut summary,
            )
            .await?;
        }
        if is_open {
            summary.open_datasets += 1;
        } else {
            summary.not_open_datasets += 1;
        }
    }
    flush(
        &txn,
        &mut ds_rows,
        &mut disc_rows,
        &mut ev_rows,
        &mut summary,
    )
    .await?;
    db::recreate_indexes(&txn, &dropped).await?;
    summary.datasets_elapsed = datasets_started.elapsed();

    // Core-data bundles: the named ones and fictional fill-ins up to the real counts per round.
    let mut bundle_ids = Vec::new();
    for &(round, count, from, to) in reference::BUNDLES_PER_ROUND {
        let named_here: Vec<_> = reference::NAMED_BUNDLES
            .iter()
            .filter(|b| b.2 == round)
            .collect();
        for k in 0..count {
            let (name, name_en, synthetic) = match named_here.get(k) {
                Some((ko, en, _)) => (ko.to_string(), Some(en.to_string()), false),
                None => (
                    format!(
                        "{} 중점데이터 묶음 {round}-{:02}",
                        names::SYNTHETIC_MARK,
                        k + 1
                    ),
                    Some(format!("Fictional core-data bundle {round}-{:02}", k + 1)),
                    true,
                ),
            };
            let lead = insts[rng.random_range(0..insts.len())].id;
            let res = core_bundle::Entity::insert(core_bundle::ActiveModel {
                id: NotSet,
                description: Set(if synthetic {
                    "가상 데모 묶음 (fictional bundle in the demo inventory)".into()
                } else {
                    format!("{name} — named in the national core data plans; its datasets here are fictional")
                }),
                name: Set(name),
                name_en: Set(name_en),
                round: Set(round),
                release_year: Set(Some(rng.random_range(from..=to))),
                lead_institution_id: Set(Some(lead)),
                synthetic: Set(synthetic),
            })
            .exec(&txn)
            .await?;
            bundle_ids.push(res.last_insert_id);
        }
    }
    summary.bundles = bundle_ids.len();
    let links: Vec<_> = core_ids
        .iter()
        .enumerate()
        .map(|(k, d)| core_bundle_dataset::ActiveModel {
            bundle_id: Set(bundle_ids[k % bundle_ids.len()]),
            dataset_id: Set(*d),
        })
        .collect();
    for chunk in links.chunks(5000) {
        core_bundle_dataset::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }

    // Citizens and their requests, in every state.
    let id_bases = (
        max_id(&txn, "account").await?,
        max_id(&txn, "data_request").await?,
    );
    summary.requests =
        build_requests(&txn, &mut rng, &closed_ids, id_bases, opts.scale, now).await?;

    if backend == DbBackend::Postgres {
        // Explicit ids do not advance the sequences: move them past the rows just written.
        for t in ["dataset", "data_request", "account"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"
            ))
            .await?;
        }
    }

    let index_started = Instant::now();
    summary.search_grams = search::rebuild_all(&txn).await?;
    summary.index_elapsed = index_started.elapsed();
    let finish_started = Instant::now();
    db::analyze(&txn).await?;
    db::bulk_load_settings(&txn, false).await?;
    txn.commit().await?;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // Fold the bulk load into the main file now rather than leaving a WAL as large as the database.
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    summary.finish_elapsed = finish_started.elapsed();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn event(
    dataset_id: i64,
    from: Option<DisclosureStatus>,
    to: DisclosureStatus,
    ground: Option<WithholdingGround>,
    at: DateTime<Utc>,
) -> disclosure_event::ActiveModel {
    disclosure_event::ActiveModel {
        id: NotSet,
        dataset_id: Set(dataset_id),
        from_status: Set(from),
        to_status: Set(to),
        ground: Set(ground),
        explanation: Set(ground.map(|g| {
            names::EXPLANATIONS[WithholdingGround::iter().position(|x| x == g).unwrap_or(0)]
                .to_string()
        })),
        actor: Set("demo".into()),
        actor_account_id: Set(None),
        occurred_at: Set(at),
    }
}

fn disclosure_row(
    dataset_id: i64,
    status: DisclosureStatus,
    ground: Option<WithholdingGround>,
    now: DateTime<Utc>,
    planned: Option<NaiveDate>,
    review: Option<NaiveDate>,
    mitigation: &str,
) -> disclosure::ActiveModel {
    disclosure::ActiveModel {
        dataset_id: Set(dataset_id),
        status: Set(status),
        ground: Set(ground),
        legal_basis: Set(ground.and_then(|g| labels::ground(g).legal_basis.map(Into::into))),
        explanation: Set(ground.map(|g| {
            names::EXPLANATIONS[WithholdingGround::iter().position(|x| x == g).unwrap_or(0)]
                .to_string()
        })),
        mitigation: Set(mitigation.into()),
        planned_open_on: Set(planned),
        next_review_on: Set(review),
        version: Set(1),
        updated_at: Set(now),
    }
}

async fn flush(
    txn: &impl ConnectionTrait,
    ds: &mut Vec<dataset::ActiveModel>,
    disc: &mut Vec<disclosure::ActiveModel>,
    ev: &mut Vec<disclosure_event::ActiveModel>,
    summary: &mut DemoSummary,
) -> Result<(), DbErr> {
    if ds.is_empty() {
        return Ok(());
    }
    dataset::Entity::insert_many(std::mem::take(ds))
        .exec_without_returning(txn)
        .await?;
    disclosure::Entity::insert_many(std::mem::take(disc))
        .exec_without_returning(txn)
        .await?;
    summary.disclosure_events += ev.len();
    disclosure_event::Entity::insert_many(std::mem::take(ev))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The largest id in `table`, 0 when it is empty.
async fn max_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    Ok(db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COALESCE(MAX(id), 0) FROM {table}"),
        ))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0))
}

/// Citizens and their requests; account and request ids start after `(account_base, request_base)`.
async fn build_requests(
    txn: &impl ConnectionTrait,
    rng: &mut ChaCha8Rng,
    closed: &[(i64, i64)],
    (account_base, request_base): (i64, i64),
    scale: f64,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let states: Vec<RequestState> = RequestState::iter().collect();
    let n = ((3000.0 * scale).round() as usize).max(states.len() * 3);
    let n_citizens = (n / 3).max(5);
    let accounts: Vec<_> = (0..n_citizens)
        .map(|k| account::ActiveModel {
            id: Set(account_base + k as i64 + 1),
            display_name: Set(format!("{} 시민 {:05}", names::SYNTHETIC_MARK, k + 1)),
            contact: Set(Some(format!("citizen{:05}@demo.invalid", k + 1))),
            role: Set(Role::Citizen),
            institution_id: Set(None),
            synthetic: Set(true),
            created_at: Set(now),
        })
        .collect();
    for chunk in accounts.chunks(2000) {
        account::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    if closed.is_empty() {
        return Ok(0);
    }
    let mut reqs = Vec::new();
    let mut events = Vec::new();
    let mut supporters = Vec::new();
    for k in 0..n {
        let id = request_base + k as i64 + 1;
        let state = states[k % states.len()];
        // Demand concentrates on a few entries: the first closed entries get many requests.
        let pick = if rng.random_bool(0.3) {
            rng.random_range(0..closed.len().min(20))
        } else {
            rng.random_range(0..closed.len())
        };
        let (ds, inst) = closed[pick];
        let unlisted = k % 10 == 9;
        let filed = date_between(rng, date("2024-01-01"), date("2026-10-20"));
        let due = filed + chrono::Days::new(10);
        let acted = filed + chrono::Days::new(7);
        let decision_due = if state == RequestState::Extended {
            due + chrono::Days::new(10)
        } else {
            due
        };
        // The deadline of the step each state awaits (closed requests await nobody).
        let step_due = match state {
            RequestState::Received | RequestState::Extended => Some(decision_due),
            RequestState::Reconsideration => Some(acted + chrono::Days::new(7)),
            RequestState::MediationApplied => Some(acted + chrono::Days::new(30)),
            RequestState::MediationProposed => Some(acted + chrono::Days::new(15)),
            RequestState::MediationAccepted => Some(acted + chrono::Days::new(10)),
            _ => None,
        };
        let decided = !matches!(
            state,
            RequestState::Received | RequestState::Extended | RequestState::Withdrawn
        );
        let decision = match state {
            RequestState::Provided | RequestState::MediationAccepted => {
                Some(RequestState::Provided)
            }
            RequestState::PartiallyProvided => Some(RequestState::PartiallyProvided),
            RequestState::NotHeld => Some(RequestState::NotHeld),
            _ if decided => Some(RequestState::Refused),
            _ => None,
        };
        let requester = account_base + rng.random_range(1..=n_citizens as i64);
        reqs.push(data_request::ActiveModel {
            id: Set(id),
            requester_id: Set(requester),
            dataset_id: Set((!unlisted).then_some(ds)),
            institution_id: Set(inst),
            unlisted_description: Set(
                unlisted.then(|| "목록에 없는 원자료 (가상 요청)".to_string())
            ),
            purpose: Set("연구 및 서비스 개발 (가상 데모 요청)".into()),
            state: Set(state),
            filed_at: Set(day(filed)),
            due_on: Set(step_due),
            decision_due_on: Set(decision_due),
            extended: Set(state == RequestState::Extended),
            decided_at: Set(decided.then(|| day(acted))),
            decision: Set(decision),
            ground: Set((decision == Some(RequestState::Refused))
                .then_some(WithholdingGround::BusinessSecret)),
            institution_wording: Set(
                decision.map(|_| "검토 결과를 알려드립니다 (가상 예시)".into())
            ),
            provided_dataset_id: Set(None),
            synthetic: Set(true),
            version: Set(1),
            updated_at: Set(now),
        });
        events.push(request_event::ActiveModel {
            id: NotSet,
            request_id: Set(id),
            from_state: Set(None),
            to_state: Set(RequestState::Received),
            actor_role: Set("CITIZEN".into()),
            actor_account_id: Set(Some(requester)),
            note: Set(None),
            due_on: Set(Some(due)),
            occurred_at: Set(day(filed)),
        });
        if state != RequestState::Received {
            events.push(request_event::ActiveModel {
                id: NotSet,
                request_id: Set(id),
                from_state: Set(Some(RequestState::Received)),
                to_state: Set(state),
                actor_role: Set("OFFICER".into()),
                actor_account_id: Set(None),
                note: Set(None),
                due_on: Set(None),
                occurred_at: Set(day(filed + chrono::Days::new(7))),
            });
        }
        let n_support = if pick < 20 {
            rng.random_range(0..12)
        } else {
            rng.random_range(0..3)
        };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..n_support {
            let acc = account_base + rng.random_range(1..=n_citizens as i64);
            if acc != requester && seen.insert(acc) {
                supporters.push(request_supporter::ActiveModel {
                    request_id: Set(id),
                    account_id: Set(acc),
                    created_at: Set(day(filed + chrono::Days::new(1))),
                });
            }
        }
    }
    for chunk in reqs.chunks(1000) {
        data_request::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in events.chunks(3000) {
        request_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in supporters.chunks(5000) {
        request_supporter::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(n)
}

/// Shares of the grounds among entries that carry one (withheld and partially open), in percent.
pub async fn ground_shares(
    db: &impl ConnectionTrait,
) -> Result<Vec<(WithholdingGround, f64)>, DbErr> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Row {
        ground: WithholdingGround,
        n: i64,
    }
    let rows = disclosure::Entity::find()
        .select_only()
        .column(disclosure::Column::Ground)
        .column_as(disclosure::Column::DatasetId.count(), "n")
        .filter(disclosure::Column::Ground.is_not_null())
        .group_by(disclosure::Column::Ground)
        .into_model::<Row>()
        .all(db)
        .await?;
    let total: i64 = rows.iter().map(|r| r.n).sum();
    Ok(rows
        .into_iter()
        .map(|r| (r.ground, 100.0 * r.n as f64 / total.max(1) as f64))
        .collect())
}
