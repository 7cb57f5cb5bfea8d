//! Per-page batch loads: when a list resolver has its page, it loads the relations the query
//! asks for (by look-ahead) for the whole page at once and primes the request's loaders, so
//! the field resolvers find them cached. The number of statements per request then depends on
//! the shape of the query, never on the page size or on timing.

use std::collections::{HashMap, HashSet};

use async_graphql::Context;
use async_graphql::dataloader::Loader;
use entity::dataset;

use super::loaders::{
    BundlesOf, DbLoader, DisclosureOf, HistoryOf, InstitutionId, Loaders, RequestsOf,
};
use crate::error::ApiError;

/// Whether the selection asks for `path` under `nodes` or `edges.node`.
fn wants(ctx: &Context<'_>, path: &[&str]) -> bool {
    let la = ctx.look_ahead();
    let mut a = la.field("nodes");
    let mut b = la.field("edges").field("node");
    for p in path {
        a = a.field(p);
        b = b.field(p);
    }
    a.exists() || b.exists()
}

/// Loads `keys` through the loader and feeds the results (and the misses, as absent) to the cache.
async fn prime<K>(loaders: &Loaders, keys: Vec<K>) -> Result<(), ApiError>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    DbLoader: Loader<K, Error = std::sync::Arc<sea_orm::DbErr>>,
    <DbLoader as Loader<K>>::Value: Clone,
{
    if keys.is_empty() {
        return Ok(());
    }
    let found: HashMap<K, _> = loaders.loader().load(&keys).await?;
    loaders.feed_many(found).await;
    Ok(())
}

/// Primes the relations of a page of datasets that the query selects.
pub async fn datasets(ctx: &Context<'_>, page: &[dataset::Model]) -> Result<(), ApiError> {
    if page.is_empty() {
        return Ok(());
    }
    let loaders = ctx.data_unchecked::<Loaders>();
    let ids: Vec<i64> = page.iter().map(|d| d.id).collect();
    if wants(ctx, &["institution"]) {
        let inst: HashSet<i64> = page.iter().map(|d| d.institution_id).collect();
        let keys: Vec<InstitutionId> = inst.into_iter().map(InstitutionId).collect();
        let found = loaders.loader().load(&keys).await?;
        if wants(ctx, &["institution", "parent"]) {
            let parents: HashSet<i64> = found.values().filter_map(|i| i.parent_id).collect();
            let pkeys: Vec<InstitutionId> = parents
                .into_iter()
                .filter(|p| !found.contains_key(&InstitutionId(*p)))
                .map(InstitutionId)
                .collect();
            prime(loaders, pkeys).await?;
        }
        loaders.feed_many(found).await;
    }
    if wants(ctx, &["disclosure"]) {
        prime(loaders, ids.iter().copied().map(DisclosureOf).collect()).await?;
    }
    if wants(ctx, &["history"]) {
        prime(loaders, ids.iter().copied().map(HistoryOf).collect()).await?;
    }
    if wants(ctx, &["requests"]) {
        prime(loaders, ids.iter().copied().map(RequestsOf).collect()).await?;
    }
    if wants(ctx, &["coreDataBundles"]) {
        prime(loaders, ids.iter().copied().map(BundlesOf).collect()).await?;
    }
    Ok(())
}
