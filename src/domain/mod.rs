//! Domain logic as plain async functions over a database connection. No GraphQL types here.

pub mod institutions;
pub mod labels;
pub mod plans;
pub mod search;
pub mod text;
