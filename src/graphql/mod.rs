//! The GraphQL API: schema builder, root types, view types and batching loaders; the
//! per-request [`context`] and the error [`codes`] of async-graphql's own errors.

pub mod codes;
pub mod context;
pub mod cost;
pub mod edits;
pub mod examples;
pub mod ids;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod pagination;
pub mod prefetch;
pub mod query;
pub mod registry;
pub mod subscription;
pub mod types;

use async_graphql::{Schema, SchemaBuilder};

/// Every change: sign-up and tokens, disclosures, the request workflow, registry upkeep, and
/// edits and deletes of plans, commitments, milestones, targets and bundles.
/// Each mutation checks the caller, writes all or nothing, and leaves a history, request or
/// audit event.
#[derive(async_graphql::MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    mutation::WorkflowMutation,
    registry::RegistryMutation,
    edits::EditMutation,
);
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;

/// The schema type.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;
/// What `/graphql` and `/graphql/ws` execute: the schema, its errors coded.
pub type Api = codes::Coded<AppSchema>;

/// Largest page a list field returns.
pub const MAX_PAGE_SIZE: usize = 100;
/// Deepest query accepted.
pub const MAX_DEPTH: usize = 15;
/// Most complex query accepted: list fields, nested ones included (`CoreDataBundle.datasets`,
/// `Dataset.history`, `Dataset.requests`), count their page size times the cost of an item, so a
/// page of 100 datasets with their disclosure and a short history fits, while 100 bundles of 100
/// datasets, or many such pages in one request, do not.
pub const MAX_COMPLEXITY: usize = 10_000;
/// What `stats` costs toward [`MAX_COMPLEXITY`] besides its fields: it aggregates the whole list
/// (and the requests over it), about what a page of 100 items with relations costs, so a request
/// holds at most 19 of them and 20 aliased `stats` are refused before they run.
pub const STATS_COST: usize = 500;
/// What a list's `facets` cost besides their fields: five counts over the whole list.
pub const FACETS_COST: usize = 200;
/// What the top-level `reviewQueue` costs besides its page: a pass over every withheld and
/// partially open entry (263,000 in the national demo), like `facets`. (`Institution.reviewQueue`
/// passes over one institution's entries and costs its page only.)
pub const REVIEW_QUEUE_COST: usize = 200;
/// What `datasets(asOf:)` costs besides its page, and `catalogChanges` besides its fields: the
/// history of every entry changed since the day, and the whole list restated, like `stats`.
pub const AS_OF_COST: usize = STATS_COST;

/// The schema with its limits and no data: enough for SDL export and tests without a database.
/// (Served through [`api`], which codes async-graphql's own errors.)
pub fn schema() -> SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot, MutationRoot::default(), SubscriptionRoot)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The executor served: [`schema`] with every error coded ([`codes::Coded`]).
pub fn api() -> Api {
    let schema = schema().finish();
    let sdl = schema.sdl();
    codes::Coded::new(schema, &sdl)
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema().finish().sdl()
}
