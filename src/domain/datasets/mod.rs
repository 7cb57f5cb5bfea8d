//! Listing datasets: filters, search, orderings, keyset pages, totals and facets.
//!
//! One SQL builder ([`crate::domain::sql::Sql`]) serves the GraphQL list, the facets, the
//! statistics and the exports, on SQLite and PostgreSQL alike. Every query reads
//! `dataset d JOIN disclosure s` (one disclosure per dataset) and narrows it with the filter and
//! the search.
//!
//! - `filter.rs`: [`Filter`], the facet dimensions, the filter's SQL conditions;
//! - `search.rs`: [`Search`] (parsing), [`resolve`], the search conditions and the relevance
//!   rank (the search *index* is the catalog's, [`crate::catalog`]);
//! - `query.rs`: [`DatasetQuery`] and [`Order`], `FROM … WHERE …`, [`count`];
//! - `paging.rs`: keyset [`page`]s and their [`Position`]s;
//! - `facets.rs`: [`facet_groups`] and the counts derived from them.

mod facets;
mod filter;
mod paging;
mod query;
mod search;

pub use facets::{Group, facet_counts, facet_groups, total_from_groups, totals_by};
pub use filter::{ALL_FACETS, Facet, Filter};
pub use paging::{FetchedPage, PageRequest, Position, cursor_mismatch, page};
pub use query::{DatasetQuery, Order, count, effective_order, from_where};
pub use search::{MAX_TERMS, ResolvedSearch, Search, SearchError, resolve, resolve_terms};
