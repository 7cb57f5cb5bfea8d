//! Batching loaders keyed by newtypes: every relation of a page is loaded with one query per
//! relation, whatever the page size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::runtime::{TokioSpawner, TokioTimer};
use chrono::NaiveDate;
use entity::enums::RequestState;
use entity::{account, data_request, institution_name, request_event};
use entity::{
    commitment, core_bundle, core_bundle_dataset, dataset, disclosure, disclosure_event,
    institution, milestone, plan, target,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::catalog::Catalog;
use crate::domain::bundles;
use crate::domain::institutions::{self, Record};
use crate::domain::requests;

/// The loaders of one request.
pub type Loaders = DataLoader<DbLoader, HashMapCache>;

/// Loads rows for many keys at once.
pub struct DbLoader {
    db: DatabaseConnection,
    /// Institutions come from the catalog's snapshot (a thousand rows kept in memory).
    catalog: Catalog,
    /// Today in Asia/Seoul, for "overdue" (from the request's clock).
    today: NaiveDate,
}

/// A fresh loader (with an empty cache) for one request.
pub fn loaders(db: DatabaseConnection, catalog: Catalog, today: NaiveDate) -> Loaders {
    // No batching delay: lists prefetch their page's relations in one batch each, and the
    // default 1 ms wait only added a timer and a thread hand-off to every single lookup.
    DataLoader::with_cache(
        DbLoader { db, catalog, today },
        // Batches run as tasks of their own: their statements count toward the operation's.
        crate::telemetry::sql::Spawner(TokioSpawner::current()),
        TokioTimer::default(),
        HashMapCache::default(),
    )
    .delay(std::time::Duration::ZERO)
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct InstitutionId(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct DatasetId(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct DisclosureOf(pub i64);
/// A page of a dataset's history: at most `first` changes, oldest first, after the change
/// `after` (from the start without it). The loader answers `None` when `after` is not a change
/// of that dataset.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct HistoryOf {
    pub dataset: i64,
    pub first: u64,
    pub after: Option<i64>,
}
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct BundlesOf(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct BundleId(pub i64);
/// Requests for a dataset.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct RequestsOf(pub i64);
/// Supporters of a request.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct SupportersOf(pub i64);
/// An institution's record: dataset and request counts.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct RecordOf(pub i64);
/// An institution's sub-institutions.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct ChildrenOf(pub i64);
/// An institution's former names.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct NamesOf(pub i64);
/// The core-data bundles an institution leads or holds datasets of.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct BundlesOfInstitution(pub i64);
/// One institution's page of a request list (the filter and page of an
/// `Institution.requests` field).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct InstitutionRequests {
    pub institution: i64,
    pub filter: Arc<requests::RequestFilter>,
    pub page: requests::IdPage,
}
/// A mark that a list of institutions already read the rows (and relations) of the page of
/// its `Institution.datasets` field with this response key (alias or name) into the loaders.
/// Only a list's prefetch feeds it; loading it otherwise finds nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct PrimedDatasets {
    pub institution: i64,
    pub field: Arc<str>,
}
/// A mark that a list of institutions already read the datasets (and relations) of the page of
/// its `Institution.reviewQueue` field with this response key into the loaders.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct PrimedReview {
    pub institution: i64,
    pub field: Arc<str>,
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

impl Loader<InstitutionId> for DbLoader {
    type Value = institution::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[InstitutionId]) -> LoadResult<InstitutionId, Self::Value> {
        let snap = self.catalog.read().await?;
        Ok(keys
            .iter()
            .filter_map(|k| snap.institution(k.0).map(|m| (*k, m.as_ref().clone())))
            .collect())
    }
}

impl Loader<DatasetId> for DbLoader {
    type Value = dataset::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[DatasetId]) -> LoadResult<DatasetId, Self::Value> {
        let rows = dataset::Entity::find()
            .filter(dataset::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (DatasetId(r.id), r)).collect())
    }
}

impl Loader<BundleId> for DbLoader {
    type Value = core_bundle::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[BundleId]) -> LoadResult<BundleId, Self::Value> {
        let rows = core_bundle::Entity::find()
            .filter(core_bundle::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (BundleId(r.id), r)).collect())
    }
}

impl Loader<DisclosureOf> for DbLoader {
    type Value = disclosure::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[DisclosureOf]) -> LoadResult<DisclosureOf, Self::Value> {
        let rows = disclosure::Entity::find()
            .filter(disclosure::Column::DatasetId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| (DisclosureOf(r.dataset_id), r))
            .collect())
    }
}

impl Loader<HistoryOf> for DbLoader {
    type Value = Option<Vec<disclosure_event::Model>>;
    type Error = Arc<DbErr>;

    /// One statement per distinct (`first`, `after`) among the keys (one for a page of
    /// datasets): the database numbers each dataset's changes and returns only each page.
    async fn load(&self, keys: &[HistoryOf]) -> LoadResult<HistoryOf, Self::Value> {
        let mut groups: HashMap<(u64, Option<i64>), Vec<i64>> = HashMap::new();
        for k in keys {
            groups
                .entry((k.first, k.after))
                .or_default()
                .push(k.dataset);
        }
        let backend = self.db.get_database_backend();
        let mut out = HashMap::with_capacity(keys.len());
        for ((first, after), datasets) in groups {
            // The dataset `after` belongs to; a page after a change of another dataset is none.
            let anchor_of = match after {
                None => None,
                Some(a) => Some(
                    disclosure_event::Entity::find_by_id(a)
                        .one(&self.db)
                        .await?
                        .map(|e| e.dataset_id),
                ),
            };
            let mut sql = crate::domain::sql::Sql::new(backend);
            let ids = sql.params(datasets.iter().copied());
            let since = match after {
                Some(a) => {
                    let a = sql.param(a);
                    format!(
                        " AND (e.occurred_at, e.id) > \
                         (SELECT occurred_at, id FROM disclosure_event WHERE id = {a})"
                    )
                }
                None => String::new(),
            };
            let limit = sql.param(first as i64);
            sql.push(&format!(
                "SELECT * FROM (SELECT e.*, ROW_NUMBER() OVER \
                 (PARTITION BY e.dataset_id ORDER BY e.occurred_at, e.id) AS rn \
                 FROM disclosure_event e WHERE e.dataset_id IN ({ids}){since}) t \
                 WHERE rn <= {limit} ORDER BY dataset_id, rn"
            ));
            let rows = disclosure_event::Model::find_by_statement(sql.statement())
                .all(&self.db)
                .await?;
            let mut pages: HashMap<i64, Vec<disclosure_event::Model>> = HashMap::new();
            for r in rows {
                pages.entry(r.dataset_id).or_default().push(r);
            }
            for d in datasets {
                let key = HistoryOf {
                    dataset: d,
                    first,
                    after,
                };
                let page = match anchor_of {
                    Some(owner) if owner != Some(d) => None,
                    _ => Some(pages.remove(&d).unwrap_or_default()),
                };
                out.insert(key, page);
            }
        }
        Ok(out)
    }
}

impl Loader<BundlesOf> for DbLoader {
    type Value = Vec<core_bundle::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[BundlesOf]) -> LoadResult<BundlesOf, Self::Value> {
        let links = core_bundle_dataset::Entity::find()
            .filter(core_bundle_dataset::Column::DatasetId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        let bundles: HashMap<i64, core_bundle::Model> = core_bundle::Entity::find()
            .filter(core_bundle::Column::Id.is_in(links.iter().map(|l| l.bundle_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|b| (b.id, b))
            .collect();
        let mut out: HashMap<BundlesOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for l in links {
            if let Some(b) = bundles.get(&l.bundle_id) {
                out.entry(BundlesOf(l.dataset_id))
                    .or_default()
                    .push(b.clone());
            }
        }
        for v in out.values_mut() {
            v.sort_by_key(|b| b.id);
        }
        Ok(out)
    }
}

impl Loader<RequestsOf> for DbLoader {
    type Value = Vec<data_request::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[RequestsOf]) -> LoadResult<RequestsOf, Self::Value> {
        let rows = data_request::Entity::find()
            .filter(data_request::Column::DatasetId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(data_request::Column::FiledAt)
            .order_by_asc(data_request::Column::Id)
            .all(&self.db)
            .await?;
        let mut out: HashMap<RequestsOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            if let Some(d) = r.dataset_id {
                out.entry(RequestsOf(d)).or_default().push(r);
            }
        }
        Ok(out)
    }
}

impl Loader<SupportersOf> for DbLoader {
    type Value = u64;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[SupportersOf]) -> LoadResult<SupportersOf, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let counts = requests::supporter_counts(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}

impl Loader<RecordOf> for DbLoader {
    type Value = Record;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[RecordOf]) -> LoadResult<RecordOf, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut records = institutions::records(&self.db, &ids, self.today).await?;
        let snap = self.catalog.read().await?;
        Ok(keys
            .iter()
            .map(|k| {
                let mut r = records.remove(&k.0).unwrap_or_default();
                let rows = snap
                    .inst_index
                    .get(&k.0)
                    .and_then(|i| snap.inst_rows.get(*i as usize));
                r.review_due = rows.map_or(0, |rows| {
                    crate::catalog::review::count(&snap, Some(rows), self.today)
                });
                (*k, r)
            })
            .collect())
    }
}

impl Loader<ChildrenOf> for DbLoader {
    type Value = Vec<institution::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ChildrenOf]) -> LoadResult<ChildrenOf, Self::Value> {
        let rows = institution::Entity::find()
            .filter(institution::Column::ParentId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(institution::Column::Id)
            .all(&self.db)
            .await?;
        let mut out: HashMap<ChildrenOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            if let Some(p) = r.parent_id {
                out.entry(ChildrenOf(p)).or_default().push(r);
            }
        }
        Ok(out)
    }
}

impl Loader<NamesOf> for DbLoader {
    type Value = Vec<institution_name::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[NamesOf]) -> LoadResult<NamesOf, Self::Value> {
        let rows = institution_name::Entity::find()
            .filter(institution_name::Column::InstitutionId.is_in(keys.iter().map(|k| k.0)))
            .order_by_desc(institution_name::Column::ReplacedAt)
            .all(&self.db)
            .await?;
        let mut out: HashMap<NamesOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(NamesOf(r.institution_id)).or_default().push(r);
        }
        Ok(out)
    }
}

impl Loader<BundlesOfInstitution> for DbLoader {
    type Value = Vec<core_bundle::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[BundlesOfInstitution],
    ) -> LoadResult<BundlesOfInstitution, Self::Value> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut found = bundles::of_institutions(&self.db, &ids).await?;
        Ok(keys
            .iter()
            .map(|k| (*k, found.remove(&k.0).unwrap_or_default()))
            .collect())
    }
}

impl Loader<InstitutionRequests> for DbLoader {
    type Value = requests::InstitutionPage;
    type Error = Arc<DbErr>;

    /// Two statements per distinct filter and page among the keys (one pair for a page of
    /// institutions).
    async fn load(
        &self,
        keys: &[InstitutionRequests],
    ) -> LoadResult<InstitutionRequests, Self::Value> {
        let mut groups: HashMap<(Arc<requests::RequestFilter>, requests::IdPage), Vec<i64>> =
            HashMap::new();
        for k in keys {
            groups
                .entry((k.filter.clone(), k.page))
                .or_default()
                .push(k.institution);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((filter, page), institutions) in groups {
            let pages =
                requests::pages_by_institution(&self.db, &filter, &institutions, page, self.today)
                    .await?;
            for (institution, p) in pages {
                let key = InstitutionRequests {
                    institution,
                    filter: filter.clone(),
                    page,
                };
                out.insert(key, p);
            }
        }
        Ok(out)
    }
}

impl Loader<PrimedDatasets> for DbLoader {
    type Value = ();
    type Error = Arc<DbErr>;

    async fn load(&self, _keys: &[PrimedDatasets]) -> LoadResult<PrimedDatasets, Self::Value> {
        Ok(HashMap::new())
    }
}

impl Loader<PrimedReview> for DbLoader {
    type Value = ();
    type Error = Arc<DbErr>;

    async fn load(&self, _keys: &[PrimedReview]) -> LoadResult<PrimedReview, Self::Value> {
        Ok(HashMap::new())
    }
}

/// An account (for the requester shown to those allowed to see it).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct AccountId(pub i64);
/// The institutions an officer of this institution acts for (computed once per request).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct ScopeOf(pub i64);
/// Whether a request has ever gone to mediation.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct WentToMediation(pub i64);

impl Loader<AccountId> for DbLoader {
    type Value = account::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[AccountId]) -> LoadResult<AccountId, Self::Value> {
        let rows = account::Entity::find()
            .filter(account::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (AccountId(r.id), r)).collect())
    }
}

impl Loader<ScopeOf> for DbLoader {
    type Value = Vec<i64>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ScopeOf]) -> LoadResult<ScopeOf, Self::Value> {
        let mut out = HashMap::new();
        // One key per request in practice: the viewer's own institution.
        for k in keys {
            out.insert(*k, crate::auth::officer_scope(&self.db, k.0).await?);
        }
        Ok(out)
    }
}

impl Loader<WentToMediation> for DbLoader {
    type Value = bool;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[WentToMediation]) -> LoadResult<WentToMediation, Self::Value> {
        let applied: Vec<i64> = request_event::Entity::find()
            .select_only()
            .column(request_event::Column::RequestId)
            .filter(request_event::Column::RequestId.is_in(keys.iter().map(|k| k.0)))
            .filter(request_event::Column::ToState.eq(RequestState::MediationApplied))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(keys.iter().map(|k| (*k, applied.contains(&k.0))).collect())
    }
}

/// A plan by row id.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct PlanId(pub i64);
/// A commitment by row id.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct CommitmentId(pub i64);
/// A milestone by row id.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct MilestoneId(pub i64);
/// A target by row id.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct TargetId(pub i64);
/// A data request by row id.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct RequestId(pub i64);
/// A disclosure event by row id.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct EventId(pub i64);
/// A plan's commitments, by code.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct CommitmentsOf(pub i64);
/// A commitment's milestones, by id.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct MilestonesOf(pub i64);
/// The first `first` dataset ids of a bundle, ascending.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct BundleDatasets {
    pub bundle: i64,
    pub first: u64,
}
/// Progress toward a target: what it counts and over which period (targets with the same
/// measure share one figure).
pub type ProgressOf = crate::domain::plans::Measure;

/// Rows of one entity by primary key, as a map keyed by the newtype.
macro_rules! by_id_loader {
    ($key:ident, $entity:ident) => {
        impl Loader<$key> for DbLoader {
            type Value = $entity::Model;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Self::Value> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().map(|k| k.0)))
                    .all(&self.db)
                    .await?;
                Ok(rows.into_iter().map(|r| ($key(r.id), r)).collect())
            }
        }
    };
}

by_id_loader!(PlanId, plan);
by_id_loader!(CommitmentId, commitment);
by_id_loader!(MilestoneId, milestone);
by_id_loader!(TargetId, target);
by_id_loader!(RequestId, data_request);
by_id_loader!(EventId, disclosure_event);

impl Loader<CommitmentsOf> for DbLoader {
    type Value = Vec<commitment::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[CommitmentsOf]) -> LoadResult<CommitmentsOf, Self::Value> {
        let rows = commitment::Entity::find()
            .filter(commitment::Column::PlanId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(commitment::Column::Code)
            .order_by_asc(commitment::Column::Id)
            .all(&self.db)
            .await?;
        let mut out: HashMap<CommitmentsOf, Vec<_>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            if let Some(p) = r.plan_id {
                out.entry(CommitmentsOf(p)).or_default().push(r);
            }
        }
        Ok(out)
    }
}

impl Loader<MilestonesOf> for DbLoader {
    type Value = Vec<milestone::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[MilestonesOf]) -> LoadResult<MilestonesOf, Self::Value> {
        let rows = milestone::Entity::find()
            .filter(milestone::Column::CommitmentId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(milestone::Column::Id)
            .all(&self.db)
            .await?;
        let mut out: HashMap<MilestonesOf, Vec<_>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(MilestonesOf(r.commitment_id))
                .or_default()
                .push(r);
        }
        Ok(out)
    }
}

impl Loader<BundleDatasets> for DbLoader {
    type Value = Vec<i64>;
    type Error = Arc<DbErr>;

    /// One statement per distinct page size (normally one): the first `first` links of every
    /// bundle, numbered within the bundle.
    async fn load(&self, keys: &[BundleDatasets]) -> LoadResult<BundleDatasets, Self::Value> {
        let mut out: HashMap<BundleDatasets, Vec<i64>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        let mut sizes: Vec<u64> = keys.iter().map(|k| k.first).collect();
        sizes.sort_unstable();
        sizes.dedup();
        for first in sizes {
            if first == 0 {
                continue;
            }
            let bundles: Vec<i64> = keys
                .iter()
                .filter(|k| k.first == first)
                .map(|k| k.bundle)
                .collect();
            for (bundle, ids) in bundles::first_datasets(&self.db, &bundles, first).await? {
                out.insert(BundleDatasets { bundle, first }, ids);
            }
        }
        Ok(out)
    }
}

impl Loader<ProgressOf> for DbLoader {
    type Value = crate::domain::plans::Progress;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ProgressOf]) -> LoadResult<ProgressOf, Self::Value> {
        let figures = crate::domain::plans::progress_many(&self.db, keys).await?;
        Ok(keys.iter().copied().zip(figures).collect())
    }
}
