//! The fictional institutions, in the real kinds' proportions, each with a favourite category
//! and a weight (a few institutions hold much of the inventory, as on the portal).

use chrono::{DateTime, Utc};
use entity::enums::InstitutionKind;
use entity::institution;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ConnectionTrait, DbErr, EntityTrait,
};

use super::names;
use crate::domain::labels;

/// A fictional institution, as the later phases need it.
pub(super) struct Inst {
    pub id: i64,
    pub name: String,
    /// Index into `Category::iter()`, the category most of its datasets get.
    pub category: usize,
    weight: f64,
}

/// Inserts about `1000 * scale` fictional institutions (at least 24).
pub(super) async fn insert(
    txn: &impl ConnectionTrait,
    rng: &mut ChaCha8Rng,
    scale: f64,
    now: DateTime<Utc>,
) -> Result<Vec<Inst>, DbErr> {
    let n_inst = ((1000.0 * scale).round() as usize).max(24);
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
            .exec(txn)
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
    Ok(insts)
}

/// The running shares of the institutions' weights: draw `u` in [0, 1) and take the first
/// institution whose cumulative share reaches it.
pub(super) fn cumulative_weights(insts: &[Inst]) -> Vec<f64> {
    let total_weight: f64 = insts.iter().map(|i| i.weight).sum();
    insts
        .iter()
        .scan(0.0, |acc, i| {
            *acc += i.weight / total_weight;
            Some(*acc)
        })
        .collect()
}
