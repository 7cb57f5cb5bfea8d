//! Batching loaders keyed by newtypes: every relation of a page is loaded with one query per
//! relation, whatever the page size.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    core_bundle, core_bundle_dataset, dataset, disclosure, disclosure_event, institution,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// The loaders of one request.
pub type Loaders = DataLoader<DbLoader, HashMapCache>;

/// Loads rows for many keys at once.
pub struct DbLoader {
    db: DatabaseConnection,
}

/// A fresh loader (with an empty cache) for one request.
pub fn loaders(db: DatabaseConnection) -> Loaders {
    DataLoader::with_cache(DbLoader { db }, tokio::spawn, HashMapCache::default())
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct InstitutionId(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct DatasetId(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct DisclosureOf(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct HistoryOf(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct BundlesOf(pub i64);
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct BundleId(pub i64);

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

impl Loader<InstitutionId> for DbLoader {
    type Value = institution::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[InstitutionId]) -> LoadResult<InstitutionId, Self::Value> {
        let rows = institution::Entity::find()
            .filter(institution::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|r| (InstitutionId(r.id), r)).collect())
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
    type Value = Vec<disclosure_event::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[HistoryOf]) -> LoadResult<HistoryOf, Self::Value> {
        let rows = disclosure_event::Entity::find()
            .filter(disclosure_event::Column::DatasetId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(disclosure_event::Column::OccurredAt)
            .order_by_asc(disclosure_event::Column::Id)
            .all(&self.db)
            .await?;
        let mut out: HashMap<HistoryOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(HistoryOf(r.dataset_id)).or_default().push(r);
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
