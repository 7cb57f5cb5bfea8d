//! The national demo database, built once by the `inventory` binary (`inventory demo`) and kept
//! under `target/bench-data/`; reused while the binary that built it is unchanged (its SHA-256
//! is stamped beside the data) and the scale is the same.
//!
//! SQLite: `target/bench-data/sqlite-<scale>/inventory.db`. PostgreSQL
//! (`BENCH_DATABASE_URL=postgres://…/<name>`): the named database, created when missing and
//! dropped and rebuilt when stale; its name must contain `bench` so that no other database is
//! ever dropped (default `inventory_bench`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use sea_orm::sqlx::{self, Connection};
use sha2::{Digest, Sha256};

/// The prepared database.
pub struct Database {
    pub url: String,
    pub postgres: bool,
    /// Human-readable description for the report.
    pub describe: String,
    /// Says which binary built the data; removed once the benchmark has written to it.
    pub stamp_file: PathBuf,
}

impl Database {
    /// Forgets that the data is pristine (after the live test's writes): the next run rebuilds.
    pub fn mark_changed(&self) {
        let _ = std::fs::remove_file(&self.stamp_file);
    }
}

fn stamp(bin: &Path, scale: f64) -> anyhow::Result<String> {
    let bytes = std::fs::read(bin).with_context(|| format!("reading {}", bin.display()))?;
    Ok(format!(
        "{} scale {scale}",
        hex::encode(Sha256::digest(&bytes))
    ))
}

/// Runs `inventory demo --scale S` on `url`.
fn build_demo(bin: &Path, url: &str, scale: f64) -> anyhow::Result<()> {
    println!("building the demo (scale {scale}) with {} …", bin.display());
    let t = Instant::now();
    let out = Command::new(bin)
        .args(["demo", "--scale", &scale.to_string()])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()
        .context("running inventory demo")?;
    if !out.status.success() {
        bail!(
            "inventory demo failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    println!(
        "  {} ({:.1} s)",
        String::from_utf8_lossy(&out.stdout).trim(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Prepares (or reuses) the database for `scale`.
pub async fn prepare(
    bin: &Path,
    data_dir: &Path,
    pg_url: Option<&str>,
    scale: f64,
) -> anyhow::Result<Database> {
    let want = stamp(bin, scale)?;
    std::fs::create_dir_all(data_dir)?;
    match pg_url {
        None => {
            let dir = data_dir.join(format!("sqlite-{scale}"));
            let db = dir.join("inventory.db");
            let stamp_file = dir.join("stamp");
            let url = format!("sqlite://{}?mode=rwc", db.display());
            let fresh = std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(&want);
            if fresh && db.exists() {
                println!("reusing {} (built by this binary)", db.display());
            } else {
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)?;
                build_demo(bin, &url, scale)?;
                std::fs::write(&stamp_file, &want)?;
            }
            Ok(Database {
                url,
                postgres: false,
                describe: format!("SQLite, national demo at scale {scale}"),
                stamp_file,
            })
        }
        Some(given) => {
            let (server, name) = split_pg_url(given);
            if !name.contains("bench") {
                bail!(
                    "BENCH_DATABASE_URL names the database '{name}': the benchmark drops and rebuilds \
                     its database, so its name must contain 'bench' (e.g. {server}/inventory_bench)"
                );
            }
            let url = format!("{server}/{name}");
            let stamp_file = data_dir.join(format!("postgres-{name}.stamp"));
            let fresh = std::fs::read_to_string(&stamp_file).ok().as_deref() == Some(&want);
            let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
                .await
                .with_context(|| format!("connecting to {server}/postgres"))?;
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut admin)
                    .await?;
            if fresh && exists {
                println!("reusing PostgreSQL database {name} (built by this binary)");
            } else {
                let _ = std::fs::remove_file(&stamp_file);
                // The name is checked above to be one the benchmark may own.
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                // As the README asks: UTF-8, a locale under which Hangul counts as letters.
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' \
                     LOCALE_PROVIDER icu ICU_LOCALE 'ko-KR' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
                )))
                .execute(&mut admin)
                .await?;
                build_demo(bin, &url, scale)?;
                std::fs::write(&stamp_file, &want)?;
            }
            admin.close().await?;
            Ok(Database {
                url,
                postgres: true,
                describe: format!("PostgreSQL, national demo at scale {scale}"),
                stamp_file,
            })
        }
    }
}

/// `postgres://user@host:port` and the database name (default `inventory_bench`).
fn split_pg_url(url: &str) -> (String, String) {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let _ = query;
    let after_scheme = base.find("://").map_or(0, |k| k + 3);
    match base[after_scheme..].find('/') {
        Some(k) if k + after_scheme + 1 < base.len() => (
            base[..after_scheme + k].to_string(),
            base[after_scheme + k + 1..].to_string(),
        ),
        Some(k) => (
            base[..after_scheme + k].to_string(),
            "inventory_bench".into(),
        ),
        None => (base.to_string(), "inventory_bench".into()),
    }
}

/// Transactions committed or rolled back in the database so far (PostgreSQL's cumulative
/// statistics, flushed by each backend at most once a second and when it goes idle).
pub async fn pg_transactions(url: &str) -> anyhow::Result<i64> {
    let mut c = sqlx::PgConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar(
        "SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(&mut c)
    .await?;
    c.close().await?;
    Ok(n)
}

/// The `inventory` binary: the one Cargo built for this benchmark, else target/release.
pub fn inventory_binary(root: &Path) -> anyhow::Result<PathBuf> {
    if let Some(p) = option_env!("CARGO_BIN_EXE_inventory") {
        let p = PathBuf::from(p);
        if p.exists() {
            return Ok(p);
        }
    }
    let p = root.join("target/release/inventory");
    if p.exists() {
        return Ok(p);
    }
    bail!(
        "no inventory binary: run `cargo build --release --bin inventory` (cargo bench normally builds it)"
    )
}
