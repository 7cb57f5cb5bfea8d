//! The datasets, their disclosures and the history of each disclosure, written in batches of
//! 1,000 with the tables' secondary indexes dropped and rebuilt once at the end. Open and
//! closed rows are interleaved so that every slice of ids looks like the whole.

use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::*;
use entity::{dataset, disclosure, disclosure_event};
use rand::{Rng, seq::IndexedRandom};
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DbErr, Iterable,
};

use super::bulk::max_id;
use super::institutions::{Inst, cumulative_weights};
use super::{
    DemoSummary, GROUND_SHARES, NOT_OPEN_AT_SCALE_1, OPEN_AT_SCALE_1, date, date_between, day,
    names,
};
use crate::db;
use crate::domain::{labels, text};

/// What the later phases need from the datasets written.
pub(super) struct Loaded {
    /// (dataset, institution) of every entry that is not open, in id order.
    pub closed_ids: Vec<(i64, i64)>,
    /// Where each of them stands, in the same order.
    pub closed_states: Vec<Standing>,
    /// The national core datasets, in id order.
    pub core_ids: Vec<i64>,
}

/// An entry that is not open: its status, the day of its last history event and how many
/// events it has (the requests phase opens some of them on request, after that day).
#[derive(Debug, Clone, Copy)]
pub(super) struct Standing {
    pub status: DisclosureStatus,
    pub last_change: NaiveDate,
    pub events: i32,
}

/// Inserts the open and closed datasets at `scale` with their disclosures and history; counts
/// them, and the time taken, into `summary`.
pub(super) async fn insert(
    txn: &impl ConnectionTrait,
    rng: &mut ChaCha8Rng,
    insts: &[Inst],
    scale: f64,
    now: DateTime<Utc>,
    summary: &mut DemoSummary,
) -> Result<Loaded, DbErr> {
    let n_open = (OPEN_AT_SCALE_1 * scale).round() as usize;
    let n_closed = (NOT_OPEN_AT_SCALE_1 * scale).round() as usize;
    let total = n_open + n_closed;
    // Datasets, accounts and requests get explicit ids (so that requests and bundles can point
    // at them without a round trip); they start after whatever the tables already hold (an
    // admin's account created with `inventory token` before the first `serve`, say).
    let first_id = max_id(txn, "dataset").await? + 1;
    // The tables are empty: their indexes are built once, by sorting, after the load.
    let datasets_started = Instant::now();
    let dropped =
        db::drop_secondary_indexes(txn, &["dataset", "disclosure", "disclosure_event"]).await?;
    let baseline = date("2023-01-01");
    let cumulative = cumulative_weights(insts);
    let categories: Vec<Category> = Category::iter().collect();
    let mut ds_rows = Vec::with_capacity(1000);
    let mut disc_rows = Vec::with_capacity(1000);
    let mut ev_rows = Vec::with_capacity(3000);
    let mut closed_ids: Vec<(i64, i64)> = Vec::new(); // (dataset, institution)
    let mut closed_states: Vec<Standing> = Vec::new();
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
        let topic = *names::TOPICS[cat_idx].choose(rng).unwrap();
        let suffix = *names::SUFFIXES.choose(rng).unwrap();
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
            date_between(rng, date("2011-01-01"), date("2026-06-30"))
        } else {
            date_between(rng, date("2019-01-01"), date("2022-12-31"))
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
            modified_on: Set(Some(date_between(rng, registered, date("2026-10-31")))),
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
                let opened = date_between(rng, date("2023-01-15"), date("2026-10-31"));
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
                if opened_since { 2 } else { 1 },
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
            let mut standing = Standing {
                status,
                last_change: registered,
                events: 1,
            };
            if status != DisclosureStatus::Withheld {
                let changed = date_between(rng, date("2023-06-01"), date("2026-10-31"));
                standing.last_change = changed;
                standing.events = 2;
                let mut e = event(
                    id,
                    Some(DisclosureStatus::Withheld),
                    status,
                    keeps_ground.then_some(g),
                    day(changed),
                );
                // A change that keeps the ground explains it as the disclosure does.
                if !keeps_ground {
                    e.explanation = Set(Some("개방 범위 재검토 (가상 예시)".into()));
                }
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
                .then(|| date_between(rng, date("2026-12-01"), date("2028-12-31")));
            let review =
                keeps_ground.then(|| date_between(rng, date("2026-12-01"), date("2027-12-31")));
            disc_rows.push(disclosure_row(
                id,
                status,
                keeps_ground.then_some(g),
                now,
                planned,
                review,
                mitigation,
                standing.events,
            ));
            closed_states.push(standing);
        }
        if ds_rows.len() == FLUSH_ROWS {
            flush(txn, &mut ds_rows, &mut disc_rows, &mut ev_rows, summary).await?;
        }
        if is_open {
            summary.open_datasets += 1;
        } else {
            summary.not_open_datasets += 1;
        }
    }
    flush(txn, &mut ds_rows, &mut disc_rows, &mut ev_rows, summary).await?;
    db::recreate_indexes(txn, &dropped).await?;
    summary.datasets_elapsed = datasets_started.elapsed();
    Ok(Loaded {
        closed_ids,
        closed_states,
        core_ids,
    })
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

/// A disclosure change in the history, by the demo; a ground brings its usual explanation.
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
        explanation: Set(ground.map(|g| names::explanation(g, dataset_id))),
        actor: Set("demo".into()),
        actor_account_id: Set(None),
        occurred_at: Set(at),
        from_listed: Set(from.map(|_| true)),
        listed: Set(true),
    }
}

/// The current disclosure of a dataset, its version counting its `events`.
#[allow(clippy::too_many_arguments)]
fn disclosure_row(
    dataset_id: i64,
    status: DisclosureStatus,
    ground: Option<WithholdingGround>,
    now: DateTime<Utc>,
    planned: Option<NaiveDate>,
    review: Option<NaiveDate>,
    mitigation: &str,
    events: i32,
) -> disclosure::ActiveModel {
    disclosure::ActiveModel {
        dataset_id: Set(dataset_id),
        status: Set(status),
        ground: Set(ground),
        legal_basis: Set(ground.and_then(|g| labels::ground(g).legal_basis.map(Into::into))),
        explanation: Set(ground.map(|g| names::explanation(g, dataset_id))),
        mitigation: Set(mitigation.into()),
        planned_open_on: Set(planned),
        next_review_on: Set(review),
        version: Set(events),
        updated_at: Set(now),
    }
}

/// Datasets written per batch (with their disclosures and history).
const FLUSH_ROWS: usize = 10_000;

/// Writes the batched rows and empties the batches.
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
    db::bulk::insert(txn, &std::mem::take(ds)).await?;
    db::bulk::insert(txn, &std::mem::take(disc)).await?;
    summary.disclosure_events += ev.len();
    db::bulk::insert(txn, &std::mem::take(ev)).await?;
    Ok(())
}
