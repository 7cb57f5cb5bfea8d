//! Schema migrations of the inventory database, identical on SQLite and PostgreSQL.
//!
//! `main.rs` is the SeaORM migration CLI (`cargo run -p migration -- up|down|status|fresh`); the
//! server also applies pending migrations on start.

#![allow(clippy::enum_variant_names)] // table identifiers mirror column names such as `dataset_type`

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_inventory;
mod m20261122_000002_plans;
mod m20261122_000003_requests;
mod m20261122_000004_outbox;
mod m20261122_000005_search;
mod m20261122_000006_signup;
mod m20261123_000007_search_positions_dropped;
mod m20261127_000008_search_index_dropped;
mod m20261128_000009_rate_limit;
mod m20261128_000010_listing_history;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_inventory::Migration),
            Box::new(m20261122_000002_plans::Migration),
            Box::new(m20261122_000003_requests::Migration),
            Box::new(m20261122_000004_outbox::Migration),
            Box::new(m20261122_000005_search::Migration),
            Box::new(m20261122_000006_signup::Migration),
            Box::new(m20261123_000007_search_positions_dropped::Migration),
            Box::new(m20261127_000008_search_index_dropped::Migration),
            Box::new(m20261128_000009_rate_limit::Migration),
            Box::new(m20261128_000010_listing_history::Migration),
        ]
    }
}

/// `CREATE INDEX name ON table (cols…)`.
pub(crate) fn index<T: IntoIden + 'static, C: IntoIden + Copy + 'static>(
    name: &str,
    table: T,
    cols: &[C],
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}
