//! Connecting to the database: SQLite (default) or PostgreSQL, pool options, pragmas, migrations.
//!
//! SQLite runs in WAL mode with `synchronous=FULL`, foreign keys on, a busy timeout and several
//! pooled connections; writers start `BEGIN IMMEDIATE` transactions ([`begin_write`]) so that
//! concurrent writers queue on the write lock instead of failing with `SQLITE_BUSY` half-way.
//!
//! The server's own pool ([`connect_serving`]) bounds database work by the request time limit,
//! so a request answered `TIMEOUT` leaves nothing running behind it: on PostgreSQL every
//! statement has that `statement_timeout` (the server cancels it); on SQLite each connection
//! carries a progress handler that interrupts whatever it runs once it has been checked out of
//! the pool for longer than the limit, and waits for the write lock at most that long
//! (`busy_timeout`). A future dropped mid-statement hands its connection back only once the
//! statement ends (sqlx pings it before pooling it again), so these bounds are what bring the
//! connection back. Setup, imports and the background readers use pools without the bound.

pub mod bulk;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config;

/// Pool size for SQLite: readers run in parallel under WAL, writers queue on the lock. Each
/// connection is a thread of its own (sqlx), so more connections than the cores can run only
/// add hand-offs: twice the cores, at least 4. (On 2 cores, 4 instead of 8 took the 100-dataset
/// page's p99 under 16 connections from 19.5 to 16 ms at the same throughput.)
pub fn sqlite_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (2 * cores).max(4)
}
/// Pool size for PostgreSQL, per server instance.
pub const POSTGRES_POOL: u32 = 16;

/// Page cache per SQLite connection (negative: KiB), 64 MiB.
pub const SQLITE_CACHE_KIB: &str = "-65536";

/// Connections of the background pool ([`connect_background`]).
const BACKGROUND_POOL: u32 = 2;

/// Opens a pool on `url`, creating the SQLite file's folder when needed.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    open(url, None, None, false).await
}

/// As [`connect`], with at most `size` connections (a test holds them busy).
pub async fn connect_sized(url: &str, size: u32) -> Result<DatabaseConnection, DbErr> {
    open(url, Some(size), None, false).await
}

/// The pool requests are served from: as [`connect`], with every statement (on SQLite: every
/// checkout of a connection, and every wait for the write lock) stopped in the database after
/// [`database_bound`] of `limit`, the request time limit (see the module doc).
pub async fn connect_serving(url: &str, limit: Duration) -> Result<DatabaseConnection, DbErr> {
    open(url, None, Some(database_bound(limit)), false).await
}

/// How long the serving pool lets database work run for a request time limit of `limit`: a
/// little longer (a tenth, at least 100 ms), so that a request past its limit is answered
/// `TIMEOUT` by the server, not by a database error racing it, and its statement stops right
/// after.
pub fn database_bound(limit: Duration) -> Duration {
    limit + (limit / 10).max(Duration::from_millis(100))
}

/// A small pool of its own for the server's background readers (the outbox hub, the catalog
/// catching up), so they never wait behind user queries for a connection of the main pool.
pub async fn connect_background(url: &str) -> Result<DatabaseConnection, DbErr> {
    open(url, Some(BACKGROUND_POOL), None, true).await
}

/// How long a PostgreSQL connection of the serving pool may sit idle before it is pinged again on
/// its way out (it was pinged when it came back).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Reads what a statement stopped by `statement_timeout` after its caller gave up left unread
/// (its error), so the connection goes back to the pool: sqlx's own ping on release would
/// fail on that error and drop the connection instead, and such dropped connections were seen
/// to stay open, and counted in the pool, for good. One round trip when nothing is pending.
async fn drain_postgres(
    conn: &mut sea_orm::sqlx::PgConnection,
) -> Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Connection;
    for _ in 0..3 {
        match conn.ping().await {
            Ok(()) => return Ok(true),
            Err(sea_orm::sqlx::Error::Database(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// VM instructions between two looks of an SQLite connection's progress handler at the clock
/// (a few microseconds of work, so an interrupt comes well within a millisecond of the bound).
const SQLITE_PROGRESS_OPS: i32 = 10_000;

/// Arms an SQLite connection being handed out: its progress handler interrupts whatever it runs
/// once `limit` has passed since now. Replaces sqlx's ping before every checkout, at the same
/// cost (one round trip to the connection's thread), and fails the same way on a dead one.
async fn arm_sqlite(
    conn: &mut sea_orm::sqlx::SqliteConnection,
    limit: Duration,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let since = std::time::Instant::now();
    // Returning false interrupts the statement (SQLITE_INTERRUPT).
    handle.set_progress_handler(SQLITE_PROGRESS_OPS, move || since.elapsed() < limit);
    Ok(())
}

/// Rows an SQLite connection's thread may send ahead of the reader.
const SQLITE_ROW_BUFFER: usize = 256;

/// How long an SQLite connection waits for the write lock (outside the serving pool).
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a request waits for a pooled connection before it is answered `503`. It bounds
/// opening one too (sqlx retries a refused connection until then), so while the database is down
/// every operation that needs it fails within this, well under 3 s (was 5 s).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

async fn open(
    url: &str,
    size: Option<u32>,
    limit: Option<Duration>,
    background: bool,
) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).acquire_timeout(ACQUIRE_TIMEOUT);
    if config::is_postgres(url) {
        opts.max_connections(size.unwrap_or(POSTGRES_POOL))
            .min_connections(1);
        if tls_pointless(url) {
            opts.map_sqlx_postgres_opts(|o| o.ssl_mode(PgSslMode::Disable));
        }
        if let Some(limit) = limit {
            // Every connection is pinged as it comes back (the drain), so pinging it again as it
            // goes out would be a second round trip per checkout: only a connection idle for a
            // while (which the server or a proxy may have dropped meanwhile) is checked again.
            opts.statement_timeout(limit)
                .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
                .map_sqlx_postgres_pool_opts(move |p| {
                    report_acquires(p, background)
                        .after_release(|conn, _| Box::pin(drain_postgres(conn)))
                });
        } else {
            opts.map_sqlx_postgres_pool_opts(move |p| report_acquires(p, background));
        }
    } else {
        if let Some(path) = sqlite_path(url)
            && let Some(dir) = std::path::Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
        // Nothing waits for the write lock longer than a request may run.
        let busy = limit.unwrap_or(SQLITE_BUSY_TIMEOUT);
        opts.max_connections(size.unwrap_or_else(sqlite_pool))
            .min_connections(1)
            .map_sqlx_sqlite_opts(move |o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(busy)
                    .pragma("temp_store", "memory")
                    .pragma("cache_size", SQLITE_CACHE_KIB)
                    // sqlx runs each SQLite connection on a thread of its own and sends the rows
                    // over a channel; with its default of 50, a page of 100 rows made the thread
                    // stop and be woken again half-way.
                    .row_buffer_size(SQLITE_ROW_BUFFER)
            });
        if let Some(limit) = limit {
            opts.map_sqlx_sqlite_pool_opts(move |p| {
                report_acquires(p, background)
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| Box::pin(arm_sqlite(conn, limit)))
                    .before_acquire(move |conn, _| {
                        Box::pin(async move { arm_sqlite(conn, limit).await.map(|()| true) })
                    })
            });
        } else {
            opts.map_sqlx_sqlite_pool_opts(move |p| report_acquires(p, background));
        }
    }
    Database::connect(opts).await
}

/// Has a pool report each acquire to [`crate::telemetry::pool`]: a TRACE event with the time it
/// took. sqlx has two: the background pool sends each as "slow" (past a threshold of zero), the
/// others never do (sqlx's own WARN past 2 s is moot: that is the acquire time-out).
fn report_acquires<DB: sea_orm::sqlx::Database>(
    p: sea_orm::sqlx::pool::PoolOptions<DB>,
    background: bool,
) -> sea_orm::sqlx::pool::PoolOptions<DB> {
    let threshold = if background {
        Duration::ZERO
    } else {
        Duration::MAX
    };
    p.acquire_time_level(log::LevelFilter::Trace)
        .acquire_slow_level(log::LevelFilter::Trace)
        .acquire_slow_threshold(threshold)
}

/// Whether a PostgreSQL URL names a server on this machine (a loopback address or a Unix
/// socket) without saying `sslmode`: then the connection goes unencrypted. The drivers' default
/// (`prefer`) would encrypt whenever the server offers TLS, as Debian's does out of the box,
/// which protects nothing on one machine and cost a sixth of the server's CPU on a page of 50
/// datasets. Any `sslmode` in the URL is obeyed as given.
pub fn tls_pointless(url: &str) -> bool {
    if url.contains("sslmode=") {
        return false;
    }
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let socket_param = rest.contains("host=/");
    socket_param
        || host.is_empty()
        || host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Connects and applies pending migrations (under the [`SetupLock`] on PostgreSQL).
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    let lock = SetupLock::acquire(url).await?;
    let migrated = Migrator::up(&db, None).await;
    lock.release().await?;
    migrated?;
    Ok(db)
}

/// Key of the PostgreSQL advisory lock taken around setup (migrations, the demo build).
pub const SETUP_LOCK_KEY: i64 = 0x696e_7665_6e74_6f72; // "inventor"

/// Serializes setup among instances sharing one PostgreSQL database: a session-level
/// `pg_advisory_lock` held on its own dedicated connection (not a pooled one, whose session
/// could be handed to someone else), released by [`SetupLock::release`] or, if the process dies,
/// by the server when the connection drops. On SQLite it does nothing: one instance serves a file,
/// and its write transactions already queue.
pub struct SetupLock(Option<sea_orm::sqlx::PgConnection>);

impl SetupLock {
    /// Waits for the lock (PostgreSQL), or returns at once (SQLite).
    pub async fn acquire(url: &str) -> Result<Self, DbErr> {
        use sea_orm::sqlx::Connection;
        if !config::is_postgres(url) {
            return Ok(SetupLock(None));
        }
        let err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("setup lock: {e}"));
        let mut conn = sea_orm::sqlx::PgConnection::connect(url)
            .await
            .map_err(err)?;
        sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(SETUP_LOCK_KEY)
            .execute(&mut conn)
            .await
            .map_err(err)?;
        Ok(SetupLock(Some(conn)))
    }

    /// Releases the lock and closes its connection.
    pub async fn release(self) -> Result<(), DbErr> {
        use sea_orm::sqlx::Connection;
        if let Some(mut conn) = self.0 {
            let err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("setup lock: {e}"));
            sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(SETUP_LOCK_KEY)
                .execute(&mut conn)
                .await
                .map_err(err)?;
            conn.close().await.map_err(err)?;
        }
        Ok(())
    }
}

/// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite, a plain `BEGIN` on PostgreSQL.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let sqlite = db.get_database_backend() == DbBackend::Sqlite;
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: sqlite.then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Serializes write transactions that check-then-insert on the same `key` within `scope` (one
/// open request per citizen and dataset, sign-ups per address): on PostgreSQL a
/// transaction-scoped advisory lock, held until commit or rollback; on SQLite nothing, since
/// `BEGIN IMMEDIATE` already lets one writer in at a time.
pub async fn lock_for_check<C: ConnectionTrait>(
    txn: &C,
    scope: &str,
    key: &str,
) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{scope}\0{key}").as_bytes());
    let id = i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [id.into()],
    ))
    .await?;
    Ok(())
}

/// The file path of an `sqlite://` URL, if it names a file.
pub fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// A short human name of the backend: `sqlite` or `postgres`.
pub fn backend_name(db: &impl ConnectionTrait) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// An index dropped by [`drop_secondary_indexes`]: its name and the statement that creates it.
#[derive(Debug, Clone)]
pub struct DroppedIndex {
    pub name: String,
    pub create: String,
}

/// Drops the plain secondary indexes of `tables` (not primary keys or unique constraints) inside
/// the caller's transaction, for a bulk load into them; [`recreate_indexes`] builds them again
/// from the definitions the database itself held, so the migrations stay the one source.
pub async fn drop_secondary_indexes<C: ConnectionTrait>(
    txn: &C,
    tables: &[&str],
) -> Result<Vec<DroppedIndex>, DbErr> {
    let backend = txn.get_database_backend();
    let list = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(",");
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i \
             WHERE i.schemaname = current_schema() AND i.tablename IN ({list}) \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) \
             ORDER BY i.indexname"
        ),
        _ => format!(
            "SELECT name, sql AS def FROM sqlite_master \
             WHERE type = 'index' AND tbl_name IN ({list}) AND sql IS NOT NULL ORDER BY name"
        ),
    };
    let rows = txn
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await?;
    let mut dropped = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let create: String = row.try_get("", "def")?;
        txn.execute_unprepared(&format!("DROP INDEX \"{name}\""))
            .await?;
        dropped.push(DroppedIndex { name, create });
    }
    Ok(dropped)
}

/// Builds again the indexes [`drop_secondary_indexes`] dropped.
pub async fn recreate_indexes<C: ConnectionTrait>(
    txn: &C,
    dropped: &[DroppedIndex],
) -> Result<(), DbErr> {
    for index in dropped {
        txn.execute_unprepared(&index.create).await?;
    }
    Ok(())
}

/// Settings for one connection's bulk load on SQLite (`on`), and back to normal (`!on`): a page
/// cache of 1 GiB, so that a load of hundreds of megabytes does not spill half-written pages
/// to the WAL mid-transaction. Nothing on PostgreSQL, whose sorts get more memory instead.
pub async fn bulk_load_settings<C: ConnectionTrait>(txn: &C, on: bool) -> Result<(), DbErr> {
    match txn.get_database_backend() {
        DbBackend::Sqlite => {
            let kib = if on { "-1048576" } else { SQLITE_CACHE_KIB };
            txn.execute_unprepared(&format!("PRAGMA cache_size = {kib}"))
                .await?;
        }
        DbBackend::Postgres if on => {
            txn.execute_unprepared("SET LOCAL work_mem = '256MB'")
                .await?;
            txn.execute_unprepared("SET LOCAL maintenance_work_mem = '512MB'")
                .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Refreshes the query planner's statistics after a bulk load, reading every index whole. (A
/// sampled `ANALYZE`, `PRAGMA analysis_limit`, would save 2–3 s of the national demo's build; the
/// benchmark gave the same latencies with it, but exact statistics are the safer default.)
pub async fn analyze<C: ConnectionTrait>(txn: &C) -> Result<(), DbErr> {
    txn.execute_unprepared("ANALYZE").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::tls_pointless;

    #[test]
    fn tls_is_left_out_only_on_this_machine_and_only_when_unasked() {
        for local in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://u:p@localhost/db",
            "postgresql://[::1]:5433/db",
            "postgres:///db",
            "postgres://u@%2Fvar%2Frun%2Fpostgresql/db?host=/var/run/postgresql",
        ] {
            assert!(tls_pointless(local), "{local}");
        }
        for remote_or_explicit in [
            "postgres://u@db.example.org/db",
            "postgres://u@10.0.0.5:5432/db",
            "postgres://u@127.0.0.1/db?sslmode=require",
            "postgres://u@localhost/db?sslmode=prefer",
        ] {
            assert!(!tls_pointless(remote_or_explicit), "{remote_or_explicit}");
        }
    }
}
