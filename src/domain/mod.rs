//! Domain logic as plain async functions over a database connection. No GraphQL types here.

pub mod as_of;
pub mod bundles;
pub mod datasets;
pub mod deadlines;
pub mod disclosure;
pub mod edits;
pub mod error;
pub mod institutions;
pub mod labels;
pub mod listing;
pub mod openings;
pub mod plans;
pub mod registry;
pub mod requests;
pub mod signup;
pub mod sql;
pub mod stats;
pub mod text;
pub mod workflow;

pub use error::Error;
