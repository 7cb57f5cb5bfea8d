//! The real plans, commitments, milestones and targets, and the core-data bundles (the named
//! ones and fictional fill-ins up to the real counts per round).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{commitment, core_bundle, core_bundle_dataset, milestone, plan, target};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DbErr, EntityTrait,
};

use super::institutions::Inst;
use super::{date, names, reference};

/// Inserts the real plans with their commitments, milestones and targets.
pub(super) async fn insert_plans(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
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
        .exec(txn)
        .await?;
        plan_ids.push(res.last_insert_id);
    }
    let mut commitment_ids = HashMap::new();
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
        .exec(txn)
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
            .exec(txn)
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
        .exec(txn)
        .await?;
    }
    Ok(())
}

/// Inserts the core-data bundles, led by institutions drawn from `institutions`, and links the
/// national core datasets `core_ids` to them in turn. Returns the number of bundles.
pub(super) async fn insert_bundles(
    txn: &impl ConnectionTrait,
    rng: &mut ChaCha8Rng,
    institutions: &[Inst],
    core_ids: &[i64],
) -> Result<usize, DbErr> {
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
            let lead = institutions[rng.random_range(0..institutions.len())].id;
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
            .exec(txn)
            .await?;
            bundle_ids.push(res.last_insert_id);
        }
    }
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
            .exec_without_returning(txn)
            .await?;
    }
    Ok(bundle_ids.len())
}
