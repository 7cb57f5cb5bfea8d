//! Domain logic as plain async functions over a database connection. No GraphQL types here.

pub mod datasets;
pub mod institutions;
pub mod labels;
pub mod plans;
pub mod requests;
pub mod search;
pub mod stats;
pub mod text;
