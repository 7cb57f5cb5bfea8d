//! Typed configuration: where the database is and where the server listens.

use std::path::PathBuf;

/// The SQLite file used when `DATABASE_URL` is unset.
pub const DEFAULT_SQLITE_PATH: &str = "data/inventory.db";

/// The database URL to use: `DATABASE_URL` if given, otherwise the SQLite file under `./data/`.
pub fn database_url(explicit: Option<&str>) -> String {
    match explicit {
        Some(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => sqlite_url(&PathBuf::from(DEFAULT_SQLITE_PATH)),
    }
}

/// `sqlite://` URL for a file, created if missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Whether a URL points at PostgreSQL.
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
