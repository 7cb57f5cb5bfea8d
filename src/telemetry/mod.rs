//! What the server tells its operators besides its logs: metrics in the Prometheus text format
//! at `/metrics` ([`metrics`]), counted per GraphQL operation ([`operations`]), per SQL
//! statement ([`sql`]) and per wait for a pooled connection ([`pool`]), and, when an OTLP
//! endpoint is configured, a trace span per operation exported over OTLP/HTTP ([`traces`]).
//!
//! Everything is measured at the edge of execution — the [`crate::graphql::codes::Coded`]
//! executor that HTTP and WebSocket share, and SeaORM's per-statement callback — never per
//! field: no async-graphql extension is registered (one would send every field through the
//! extension chain). A request costs a scan of its document's first bytes for the operation's
//! name, a read-locked map lookup, a few atomic increments and two histogram records.

pub mod metrics;
pub mod operations;
pub mod pool;
pub mod sql;
pub mod traces;
