//! Load benchmark (`cargo bench --bench load`): the real server against a hand-written
//! baseline, over HTTP, at national scale.
//!
//! 1. Builds the national demo once with the `inventory` binary and keeps it under
//!    `target/bench-data/` ([`data`]).
//! 2. Starts the real server (`inventory serve --no-demo`) and the baseline (this binary run
//!    again as `load baseline …`, [`baseline`]) as child processes on free loopback ports.
//! 3. Prepares varied requests per shape, and checks that the baseline answers every one
//!    exactly as we do ([`shapes`]).
//! 4. Times interleaved rounds at fixed concurrency from this process ([`load`]), reads each
//!    server's CPU time and peak memory from `/proc`, and on PostgreSQL counts statements.
//! 5. Prints the table and writes `BENCHMARKS.md` ([`report`]).
//!
//! Settings (environment): `BENCH_SCALE` (1.0), `BENCH_DATABASE_URL` (PostgreSQL instead of
//! SQLite), `BENCH_CONNECTIONS` (16), `BENCH_ROUNDS` (5), `BENCH_ROUND_SECS` (3),
//! `BENCH_PAGES` (100 pages walked per paged shape), `BENCH_SHAPES` (comma list of
//! typename, page100, withheld50, search, facets, stats, isolation, live; all by default; or
//! `soak` alone, the long mixed run of [`soak`] with its own settings),
//! `BENCH_SUBSCRIBERS` (1,1000: the live test's subscriber counts), `BENCH_IDLE` (10,000 idle
//! subscribers held during a last live run with 100 active ones; 0 to skip),
//! `BENCH_TIMEOUT_SECS` (60, per request), `BENCH_BASELINE_POOL` (connections of the baseline's
//! pool; twice the cores), `BENCH_REPORT` (where to write; `-` for nowhere).

mod baseline;
mod data;
mod executor;
mod live;
mod load;
mod procs;
mod report;
mod shapes;
mod soak;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use procs::Server;
use report::{Figures, IsolationResult, Sample, ShapeResult};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("baseline") {
        return baseline::main(&args[2..]);
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

fn env<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Settings of one run.
struct Config {
    scale: f64,
    pg_url: Option<String>,
    connections: usize,
    rounds: usize,
    round: Duration,
    pages: usize,
    shapes: Option<Vec<String>>,
    timeout: Duration,
    baseline_pool: u32,
    subscribers: Vec<usize>,
    idle: usize,
    report: Option<PathBuf>,
}

impl Config {
    fn from_env(root: &Path, cores: usize) -> Config {
        let report = std::env::var("BENCH_REPORT").ok();
        Config {
            scale: env("BENCH_SCALE", 1.0),
            pg_url: std::env::var("BENCH_DATABASE_URL")
                .ok()
                .filter(|s| !s.is_empty()),
            connections: env("BENCH_CONNECTIONS", 16),
            rounds: env("BENCH_ROUNDS", 5),
            round: Duration::from_secs_f64(env("BENCH_ROUND_SECS", 3.0)),
            pages: env("BENCH_PAGES", 100),
            shapes: std::env::var("BENCH_SHAPES")
                .ok()
                .map(|s| s.split(',').map(|x| x.trim().to_string()).collect()),
            timeout: Duration::from_secs_f64(env("BENCH_TIMEOUT_SECS", 60.0)),
            baseline_pool: env("BENCH_BASELINE_POOL", 2 * cores as u32),
            subscribers: std::env::var("BENCH_SUBSCRIBERS")
                .unwrap_or_else(|_| "1,1000".into())
                .split(',')
                .filter_map(|x| x.trim().parse().ok())
                .collect(),
            idle: env("BENCH_IDLE", 10_000),
            report: match report.as_deref() {
                Some("-") => None,
                Some(p) => Some(PathBuf::from(p)),
                None => Some(root.join("BENCHMARKS.md")),
            },
        }
    }

    fn wants(&self, shape: &str) -> bool {
        self.shapes
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == shape))
    }
}

/// The server's per-client caps raised and its rate limit off: every benchmark connection comes
/// from one address and the live test's subscribers share one token.
fn raise_caps(cmd: &mut std::process::Command) {
    cmd.env("INVENTORY_WS_MAX_PER_ADDRESS", "1000000")
        .env("INVENTORY_WS_MAX_PER_TOKEN", "1000000")
        .env("INVENTORY_RATE_LIMIT", "off");
}

fn git(root: &Path, args: &[&str]) -> String {
    std::process::Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// Times one shape: interleaved rounds on both servers.
async fn measure(
    cfg: &Config,
    ours: &Server,
    base: &Server,
    shape: &shapes::Shape,
) -> anyhow::Result<(Figures, Figures)> {
    let lists = [
        (ours, Arc::new(shape.ours.clone())),
        (base, Arc::new(shape.baseline.clone())),
    ];
    let mut samples: [Vec<Sample>; 2] = [Vec::new(), Vec::new()];
    for round in 0..cfg.rounds {
        for (k, (server, reqs)) in lists.iter().enumerate() {
            let cpu0 = server.cpu();
            let r = load::round(
                server.addr,
                reqs.clone(),
                cfg.connections,
                cfg.round,
                cfg.timeout,
            )
            .await?;
            let cpu = server.cpu().saturating_sub(cpu0);
            println!(
                "    round {} {:<8} {:>9.1} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms{}",
                round + 1,
                server.name,
                r.rate(),
                load::quantile_ms(&r.latencies, 0.5),
                load::quantile_ms(&r.latencies, 0.99),
                r.first_error
                    .as_ref()
                    .map(|e| format!("  {} errors, first: {e}", r.errors))
                    .unwrap_or_default()
            );
            samples[k].push(Sample { round: r, cpu });
        }
    }
    Ok((
        Figures::from_samples(&samples[0], ours.peak_memory()),
        Figures::from_samples(&samples[1], base.peak_memory()),
    ))
}

/// A PostgreSQL backend flushes its statistics when it goes idle, or ten seconds later when it
/// flushed less than a second before (PGSTAT_IDLE_INTERVAL); this waits that out with a margin.
const PG_SETTLE: Duration = Duration::from_secs(15);

/// Statements per request on PostgreSQL for each server: transactions counted over `n`
/// sequential requests, less the background rate measured while idle. Every count is taken
/// after a settling pause, so that earlier load is not counted.
async fn pg_statements(
    url: &str,
    servers: [(&Server, &[load::Req]); 2],
    background_per_sec: f64,
) -> anyhow::Result<[f64; 2]> {
    let mut out = [0.0; 2];
    tokio::time::sleep(PG_SETTLE).await;
    let mut before = data::pg_transactions(url).await?;
    for (k, (server, reqs)) in servers.into_iter().enumerate() {
        // Fifty requests in turn from the list (repeating a short one): enough that a stray
        // background transaction moves the figure by a few hundredths only.
        let n = 50;
        let t = std::time::Instant::now();
        let mut conn = load::Conn::open(server.addr).await?;
        for r in reqs.iter().cycle().take(n) {
            conn.post(r).await?;
        }
        drop(conn);
        tokio::time::sleep(PG_SETTLE).await;
        let after = data::pg_transactions(url).await?;
        // One transaction is the previous reading itself.
        let counted = (after - before - 1) as f64 - background_per_sec * t.elapsed().as_secs_f64();
        out[k] = (counted / n as f64).max(0.0);
        println!(
            "    {}: {} transactions over {n} requests in {:.1} s",
            server.name,
            after - before - 1,
            t.elapsed().as_secs_f64()
        );
        before = after;
    }
    Ok(out)
}

/// A new officer's token for the institution `code` (`inventory token`).
fn officer_token(bin: &Path, url: &str, code: &str) -> anyhow::Result<String> {
    let out = std::process::Command::new(bin)
        .args([
            "token",
            "--role",
            "officer",
            "--name",
            "load benchmark",
            "--institution",
            code,
        ])
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .output()?;
    if !out.status.success() {
        anyhow::bail!("inventory token: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_string())
}

async fn run() -> anyhow::Result<()> {
    // Thousands of WebSocket subscribers, each a file descriptor.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cfg = Config::from_env(&root, cores);
    let bin = data::inventory_binary(&root)?;
    let data_dir = root.join("target/bench-data");
    let db = data::prepare(&bin, &data_dir, cfg.pg_url.as_deref(), cfg.scale).await?;

    let ours_addr = procs::free_addr()?;
    let mut cmd = std::process::Command::new(&bin);
    cmd.args(["serve", "--no-demo", "--bind", &ours_addr.to_string()])
        .env("DATABASE_URL", &db.url);
    raise_caps(&mut cmd);
    let ours = Server::start(
        "ours",
        cmd,
        ours_addr,
        &data_dir.join("ours.log"),
        Duration::from_secs(900),
    )
    .await?;
    let base_addr = procs::free_addr()?;
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.args([
        "baseline",
        &db.url,
        &base_addr.to_string(),
        &cfg.baseline_pool.to_string(),
    ]);
    let base = Server::start(
        "baseline",
        cmd,
        base_addr,
        &data_dir.join("baseline.log"),
        Duration::from_secs(60),
    )
    .await?;
    println!(
        "{}; ours pid {} at {}, baseline pid {} at {}",
        db.describe,
        ours.pid(),
        ours.addr,
        base.pid(),
        base.addr
    );

    println!("preparing requests and checking the baseline's answers against ours:");
    let soaking = cfg
        .shapes
        .as_ref()
        .is_some_and(|s| s.iter().any(|x| x == "soak"));
    let soak_wants = |s: &str| matches!(s, "page100" | "withheld50" | "search" | "stats" | "live");
    let want: &dyn Fn(&str) -> bool = if soaking {
        &soak_wants
    } else {
        &|s| cfg.wants(s)
    };
    let prepared = shapes::prepare(ours.addr, base.addr, cfg.pages, want)
        .await
        .context("preparing the shapes")?;
    if soaking {
        let Some((code, ids)) = &prepared.writable else {
            anyhow::bail!("the soak found no institution to write as");
        };
        let token = officer_token(&bin, &db.url, code)?;
        db.mark_changed();
        // Every shape's requests in turn, so each stretch of the run sees every kind.
        let lists: Vec<&Vec<load::Req>> = prepared.shapes.iter().map(|s| &s.ours).collect();
        let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
        let mix: Vec<load::Req> = (0..longest)
            .flat_map(|k| lists.iter().filter_map(move |l| l.get(k).cloned()))
            .collect();
        let pg = db.postgres.then_some(db.url.as_str());
        return soak::run(&soak::Settings::from_env(), &ours, mix, &token, ids, pg).await;
    }

    let background = if db.postgres {
        tokio::time::sleep(PG_SETTLE).await;
        let a = data::pg_transactions(&db.url).await?;
        tokio::time::sleep(PG_SETTLE).await;
        let b = data::pg_transactions(&db.url).await?;
        let rate = ((b - a - 1) as f64 / PG_SETTLE.as_secs_f64()).max(0.0);
        println!("PostgreSQL background: {rate:.2} transactions/s while idle");
        rate
    } else {
        0.0
    };

    let mut results = Vec::new();
    for shape in &prepared.shapes {
        println!("{}: {}", shape.key, shape.title);
        let (mut o, mut b) = measure(&cfg, &ours, &base, shape).await?;
        if db.postgres {
            let [so, sb] = pg_statements(
                &db.url,
                [(&ours, &shape.ours), (&base, &shape.baseline)],
                background,
            )
            .await?;
            println!("  statements per request: ours {so:.2}, baseline {sb:.2}");
            o.stmts = Some(so);
            b.stmts = Some(sb);
        }
        println!(
            "  => ours {:.1} req/s, baseline {:.1} req/s: {:.2}×",
            o.rps,
            b.rps,
            o.rps / b.rps
        );
        results.push(ShapeResult {
            key: shape.key,
            title: shape.title.clone(),
            ours: o,
            baseline: b,
        });
    }

    let mut notes = Vec::new();
    let mut executor_costs = Vec::new();
    if cfg.wants("page100") || cfg.wants("withheld50") {
        println!("async-graphql alone (the page shapes resolved from memory):");
        match executor::measure(ours.addr).await {
            Ok(c) => executor_costs = c,
            Err(e) => {
                println!("  failed: {e:#}");
                notes.push(format!("Measuring async-graphql alone failed: {e:#}"));
            }
        }
    }
    let mut isolation = None;
    let iso_run = async {
        if let Some(iso) = &prepared.isolation {
            println!("isolation: {}", iso.heavy.title);
            let mut per_server = Vec::new();
            for (server, heavy, probe) in [
                (&ours, &iso.heavy.ours, &iso.probe.ours),
                (&base, &iso.heavy.baseline, &iso.probe.baseline),
            ] {
                let stop = Arc::new(AtomicBool::new(false));
                let cpu0 = server.cpu();
                let probe_task = tokio::spawn(load::probe(
                    server.addr,
                    Arc::new(probe.clone()),
                    Duration::from_millis(shapes::PROBE_EVERY_MS),
                    stop.clone(),
                    cfg.timeout,
                ));
                let heavy_round = load::round(
                    server.addr,
                    Arc::new(heavy.clone()),
                    cfg.connections,
                    cfg.round * cfg.rounds as u32,
                    cfg.timeout,
                )
                .await?;
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                let probe_round = probe_task.await??;
                let cpu = server.cpu().saturating_sub(cpu0);
                println!(
                    "  {:<8} heavy {:.1} req/s; lookups p50 {:.2} ms, p99 {:.2} ms ({} lookups)",
                    server.name,
                    heavy_round.rate(),
                    load::quantile_ms(&probe_round.latencies, 0.5),
                    load::quantile_ms(&probe_round.latencies, 0.99),
                    probe_round.ok
                );
                let peak = server.peak_memory();
                per_server.push(IsolationResult {
                    heavy: Figures::from_samples(
                        &[Sample {
                            round: heavy_round,
                            cpu,
                        }],
                        peak,
                    ),
                    probe: Figures::from_samples(
                        &[Sample {
                            round: probe_round,
                            cpu: Duration::ZERO,
                        }],
                        peak,
                    ),
                });
            }
            let base_r = per_server.pop().expect("two servers");
            let ours_r = per_server.pop().expect("two servers");
            isolation = Some((ours_r, base_r));
        }
        anyhow::Ok(())
    };
    if let Err(e) = iso_run.await {
        println!("isolation test failed: {e:#}");
        notes.push(format!("The isolation test failed: {e:#}"));
    }

    let mut live_results = Vec::new();
    let live_run = async {
        if cfg.wants("live")
            && let Some((code, ids)) = &prepared.writable
        {
            let token = officer_token(&bin, &db.url, code)?;
            // The writes below change the data: the next run builds it again.
            db.mark_changed();
            let span = cfg.round * cfg.rounds as u32;
            // On PostgreSQL a second instance: subscribers there, the writer on the first.
            let second = if db.postgres {
                let addr = procs::free_addr()?;
                let mut cmd = std::process::Command::new(&bin);
                cmd.args(["serve", "--no-demo", "--bind", &addr.to_string()])
                    .env("DATABASE_URL", &db.url);
                raise_caps(&mut cmd);
                Some(
                    Server::start(
                        "ours (second instance)",
                        cmd,
                        addr,
                        &data_dir.join("ours-2.log"),
                        Duration::from_secs(900),
                    )
                    .await?,
                )
            } else {
                None
            };
            let memory = || ours.memory();
            let second_memory = || second.as_ref().map_or(0, |s| s.memory());
            let mut runs: Vec<(usize, usize, bool)> =
                cfg.subscribers.iter().map(|&n| (n, 0, false)).collect();
            if cfg.idle > 0 {
                runs.push((100, cfg.idle, false));
            }
            if second.is_some() {
                runs.extend(cfg.subscribers.iter().map(|&n| (n, 0, true)));
            }
            for (n, idle, across) in runs {
                let (sub_addr, memory): (_, &dyn Fn() -> u64) = match &second {
                    Some(s) if across => (s.addr, &second_memory),
                    _ => (ours.addr, &memory),
                };
                let on = if across { " on a second instance" } else { "" };
                println!(
                    "live: {n} subscribers{on} ({idle} idle besides), one change every 50 ms for {span:?}"
                );
                let f = live::run(
                    ours.addr,
                    sub_addr,
                    &token,
                    ids,
                    n,
                    idle,
                    memory,
                    Duration::from_millis(50),
                    span,
                )
                .await?;
                println!(
                    "  delivered {}/{}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                    f.delivered, f.expected, f.p50, f.p99, f.max
                );
                if let Some(b) = f.idle_bytes_each {
                    println!("  server memory per idle subscriber: {:.1} KiB", b / 1024.0);
                }
                live_results.push(f);
            }
            println!("live: one writer as fast as it goes for {span:?}, no subscribers");
            let f = live::run(
                ours.addr,
                ours.addr,
                &token,
                ids,
                0,
                0,
                &memory,
                Duration::ZERO,
                span,
            )
            .await?;
            println!(
                "  {:.1} changes/s, p50 {:.2} ms, p99 {:.2} ms",
                f.write_rps, f.write_p50, f.write_p99
            );
            live_results.push(f);
        }
        anyhow::Ok(())
    };
    if let Err(e) = live_run.await {
        println!("live test failed: {e:#}");
        notes.push(format!("The live test failed: {e:#}"));
    }

    let commit = git(&root, &["rev-parse", "--short=12", "HEAD"]);
    let dirty = if git(&root, &["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        ""
    } else {
        " (with uncommitted changes)"
    };
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let header = format!(
        "{date}, commit `{commit}`{dirty}; {cores} cores ({}), {}; {} connections, {} rounds × {:.0} s per server and shape, \
         baseline pool {} connections.",
        cpu_model(),
        db.describe,
        cfg.connections,
        cfg.rounds,
        cfg.round.as_secs_f64(),
        cfg.baseline_pool
    );
    for r in &results {
        for (who, f) in [("ours", &r.ours), ("baseline", &r.baseline)] {
            if let Some(e) = &f.first_error {
                notes.push(format!(
                    "{who}, {}: {} errors; first: {e}",
                    r.title, f.errors
                ));
            }
        }
    }
    let run = report::Run {
        database: if db.postgres { "PostgreSQL" } else { "SQLite" },
        header: &header,
        shapes: &results,
        isolation: isolation.as_ref(),
        live: &live_results,
        executor: &executor_costs,
        notes: &notes,
    };
    let md = run.markdown();
    println!("\n{md}");
    if let Some(path) = &cfg.report {
        report::write(path, if db.postgres { "postgres" } else { "sqlite" }, &md)?;
        println!("written to {}", path.display());
    }
    drop(ours);
    drop(base);
    Ok(())
}
