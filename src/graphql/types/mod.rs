//! GraphQL view types, one per file. They are built from storage rows but expose only chosen,
//! documented fields: database models are never serialized to clients as they are.

pub mod as_of;
pub mod bundle;
pub mod dataset;
pub mod dataset_list;
pub mod date;
pub mod disclosure;
pub mod enums;
pub mod facet;
pub mod feed;
pub mod institution;
pub mod institution_list;
pub mod label;
pub mod page;
pub mod plan;
pub mod rate_limit;
pub mod request;
pub mod review;
pub mod stats;
