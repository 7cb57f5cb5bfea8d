//! One pool over SQLite or PostgreSQL, straight sqlx (no ORM): statements are prepared once per
//! connection and cached by sqlx; rows are read by column index.

use chrono::{DateTime, Utc};
use sea_orm::sqlx::{self, Row as _};

/// The database the baseline reads.
#[derive(Clone)]
pub enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A bound parameter.
pub enum Param {
    Int(i64),
    Text(String),
}

/// A fetched row.
pub enum Row {
    Sqlite(sqlx::sqlite::SqliteRow),
    Postgres(sqlx::postgres::PgRow),
}

impl Pool {
    /// Opens the pool: `size` connections; SQLite read-only with the same page cache as the
    /// server's connections.
    pub async fn open(url: &str, size: u32) -> Result<Pool, sqlx::Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            use std::str::FromStr;
            let mut opts = sqlx::postgres::PgConnectOptions::from_str(url)?;
            // The server's rule (no TLS to a server on this machine unless the URL asks), so
            // both sides pay the same per statement.
            if inventory::db::tls_pointless(url) {
                opts = opts.ssl_mode(sqlx::postgres::PgSslMode::Disable);
            }
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(size)
                .min_connections(size)
                .connect_with(opts)
                .await?;
            Ok(Pool::Postgres(pool))
        } else {
            use std::str::FromStr;
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .create_if_missing(false)
                .read_only(true)
                .busy_timeout(std::time::Duration::from_secs(30))
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory");
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(size)
                .min_connections(size)
                .connect_with(opts)
                .await?;
            Ok(Pool::Sqlite(pool))
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Pool::Postgres(_))
    }

    /// `needle` (an SQL expression) occurs in `hay`.
    pub fn contains(&self, hay: &str, needle: &str) -> String {
        if self.is_postgres() {
            format!("strpos({hay}, {needle}) > 0")
        } else {
            format!("instr({hay}, {needle}) > 0")
        }
    }

    /// `expr` kept from choosing an index (SQLite's unary `+`): a search's candidates, not the
    /// quarter million rows of a status, should drive the plan.
    pub fn no_index(&self, expr: &str) -> String {
        if self.is_postgres() {
            expr.to_string()
        } else {
            format!("+{expr}")
        }
    }

    /// Runs one statement (placeholders `$1`, `$2`, … on both databases) and returns its rows.
    /// Dynamic SQL comes wrapped in `AssertSqlSafe`: its only inputs are placeholders and this
    /// program's own constants.
    pub async fn fetch(
        &self,
        sql: impl sqlx::SqlSafeStr,
        params: &[Param],
    ) -> Result<Vec<Row>, sqlx::Error> {
        let sql = sql.into_sql_str();
        if !trace() {
            return self.run(sql, params).await;
        }
        let text: String = sql.as_str().chars().take(70).collect();
        if let Pool::Sqlite(p) = self {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "EXPLAIN QUERY PLAN {}",
                sql.as_str()
            )));
            for v in params {
                q = match v {
                    Param::Int(n) => q.bind(*n),
                    Param::Text(s) => q.bind(s.as_str()),
                };
            }
            for r in q.fetch_all(p).await? {
                eprintln!("    {}", r.try_get::<String, _>(3).unwrap_or_default());
            }
        }
        let t = std::time::Instant::now();
        let rows = self.run(sql, params).await;
        eprintln!("{:>8.2} ms  {text}", t.elapsed().as_secs_f64() * 1000.0);
        rows
    }

    async fn run(&self, sql: sqlx::SqlStr, params: &[Param]) -> Result<Vec<Row>, sqlx::Error> {
        match self {
            Pool::Sqlite(p) => {
                let mut q = sqlx::query(sql);
                for v in params {
                    q = match v {
                        Param::Int(n) => q.bind(*n),
                        Param::Text(s) => q.bind(s.as_str()),
                    };
                }
                Ok(q.fetch_all(p).await?.into_iter().map(Row::Sqlite).collect())
            }
            Pool::Postgres(p) => {
                let mut q = sqlx::query(sql);
                for v in params {
                    q = match v {
                        Param::Int(n) => q.bind(*n),
                        Param::Text(s) => q.bind(s.as_str()),
                    };
                }
                Ok(q.fetch_all(p)
                    .await?
                    .into_iter()
                    .map(Row::Postgres)
                    .collect())
            }
        }
    }
}

/// `BASELINE_TRACE=1`: each statement's time on standard error (the baseline's log).
fn trace() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BASELINE_TRACE").is_some())
}

impl Row {
    pub fn int(&self, i: usize) -> i64 {
        self.opt_int(i).unwrap_or(0)
    }

    pub fn opt_int(&self, i: usize) -> Option<i64> {
        match self {
            Row::Sqlite(r) => r.try_get::<Option<i64>, _>(i),
            Row::Postgres(r) => r.try_get::<Option<i64>, _>(i),
        }
        .unwrap_or_else(|e| panic!("column {i}: {e}"))
    }

    pub fn str(&self, i: usize) -> &str {
        self.opt_str(i).unwrap_or("")
    }

    pub fn opt_str(&self, i: usize) -> Option<&str> {
        match self {
            Row::Sqlite(r) => r.try_get::<Option<&str>, _>(i),
            Row::Postgres(r) => r.try_get::<Option<&str>, _>(i),
        }
        .unwrap_or_else(|e| panic!("column {i}: {e}"))
    }

    pub fn opt_time(&self, i: usize) -> Option<DateTime<Utc>> {
        match self {
            Row::Sqlite(r) => r.try_get::<Option<DateTime<Utc>>, _>(i),
            Row::Postgres(r) => r.try_get::<Option<DateTime<Utc>>, _>(i),
        }
        .unwrap_or_else(|e| panic!("column {i}: {e}"))
    }
}
