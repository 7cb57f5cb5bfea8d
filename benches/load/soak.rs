//! The soak (`BENCH_SHAPES=soak cargo bench --bench load`): the real server under a steady mixed
//! load for a long while, to see that nothing drifts.
//!
//! - Reads: the timed shapes' requests (pages, withheld pages with history, searches, `stats`)
//!   in turn, at a fixed total rate (`BENCH_SOAK_RATE`, 100 req/s) from 16 paced connections;
//! - writes: one officer changing a disclosure every `BENCH_SOAK_WRITE_MS` (250 ms);
//! - subscriptions: `BENCH_SOAK_SUBSCRIBERS` (50) graphql-transport-ws subscribers, each of
//!   which must receive every change;
//! - every 10 s: the server's resident memory, open files and (PostgreSQL) connections.
//!
//! It runs `BENCH_SOAK_SECS` (600) and prints per-minute request counts, errors, p50 and p99,
//! the samples, and the growth of memory and open files from the second minute to the last.
//! It ends with an error on any failed request or missed delivery. It is a command, not a test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::live;
use crate::load::{Conn, Req, quantile_ms};
use crate::procs::Server;

/// What the soak is told to do.
pub struct Settings {
    pub duration: Duration,
    pub rate: f64,
    pub write_every: Duration,
    pub subscribers: usize,
}

impl Settings {
    pub fn from_env() -> Settings {
        Settings {
            duration: Duration::from_secs_f64(crate::env("BENCH_SOAK_SECS", 600.0)),
            rate: crate::env("BENCH_SOAK_RATE", 100.0),
            write_every: Duration::from_millis(crate::env("BENCH_SOAK_WRITE_MS", 250)),
            subscribers: crate::env("BENCH_SOAK_SUBSCRIBERS", 50),
        }
    }
}

/// Reading connections.
const CONNECTIONS: usize = 16;
/// Seconds between samples of the server.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);

/// Per-minute figures of the reads.
#[derive(Default)]
struct Minute {
    latencies: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

/// One sample of the server.
struct Sample {
    at: Duration,
    rss: u64,
    files: usize,
    pg_connections: Option<i64>,
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

async fn pg_connections(url: &str) -> Option<i64> {
    use sea_orm::sqlx::{self, Row as _};
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .ok()?;
    let row = sqlx::query(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut c)
    .await
    .ok()?;
    row.try_get::<i64, _>(0).ok()
}

/// Paced reads until `end`: connection `k` of `CONNECTIONS` sends every `period`, starting at
/// an offset, the next request of `mix`.
async fn reader(
    addr: SocketAddr,
    k: usize,
    mix: Arc<Vec<Req>>,
    period: Duration,
    start: Instant,
    end: Instant,
    minutes: Arc<Mutex<Vec<Minute>>>,
) -> anyhow::Result<()> {
    let mut conn = Conn::open(addr).await?;
    tokio::time::sleep(period.mul_f64(k as f64 / CONNECTIONS as f64)).await;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut n = k;
    while Instant::now() < end {
        tick.tick().await;
        let req = &mix[n % mix.len()];
        n += CONNECTIONS;
        let t = Instant::now();
        let outcome = match conn.post(req).await {
            Ok((200, body)) if !body.windows(9).any(|w| w == b"\"errors\":") => Ok(()),
            Ok((status, body)) => Err(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            )),
            Err(e) => {
                conn = Conn::open(addr).await?;
                Err(format!("{e:#}"))
            }
        };
        let minute = (t - start).as_secs() as usize / 60;
        let mut m = minutes.lock().unwrap();
        if m.len() <= minute {
            m.resize_with(minute + 1, Minute::default);
        }
        match outcome {
            Ok(()) => m[minute]
                .latencies
                .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32),
            Err(e) => {
                m[minute].errors += 1;
                m[minute].first_error.get_or_insert(e);
            }
        }
    }
    Ok(())
}

/// Runs the soak against `server`; `pg_url` when it runs on PostgreSQL.
pub async fn run(
    s: &Settings,
    server: &Server,
    mix: Vec<Req>,
    token: &str,
    ids: &[String],
    pg_url: Option<&str>,
) -> anyhow::Result<()> {
    println!(
        "soak: {:?}; reads {:.0} req/s over {CONNECTIONS} connections ({} requests in turn), one \
         change every {:?}, {} subscribers",
        s.duration,
        s.rate,
        mix.len(),
        s.write_every,
        s.subscribers
    );
    let mix = Arc::new(mix);
    let minutes = Arc::new(Mutex::new(Vec::<Minute>::new()));
    let start = Instant::now();
    let end = start + s.duration;
    let period = Duration::from_secs_f64(CONNECTIONS as f64 / s.rate);
    let readers: Vec<_> = (0..CONNECTIONS)
        .map(|k| {
            tokio::spawn(reader(
                server.addr,
                k,
                mix.clone(),
                period,
                start,
                end,
                minutes.clone(),
            ))
        })
        .collect();
    let pid = server.pid();
    let memory = || server.memory();
    let sampler = async {
        let mut samples = Vec::new();
        let mut tick = tokio::time::interval(SAMPLE_EVERY);
        while Instant::now() < end {
            tick.tick().await;
            let sample = Sample {
                at: start.elapsed(),
                rss: server.memory(),
                files: open_files(pid),
                pg_connections: match pg_url {
                    Some(u) => pg_connections(u).await,
                    None => None,
                },
            };
            samples.push(sample);
        }
        samples
    };
    let live = live::run(
        server.addr,
        server.addr,
        token,
        ids,
        s.subscribers,
        0,
        &memory,
        s.write_every,
        s.duration,
    );
    let (samples, live) = tokio::join!(sampler, live);
    for r in readers {
        r.await??;
    }
    let live = live?;

    println!("minute | reads | errors | p50 ms | p99 ms");
    let minutes = std::mem::take(&mut *minutes.lock().unwrap());
    let mut errors = 0;
    let mut first_error = None;
    let mut all = Vec::new();
    for (k, m) in minutes.into_iter().enumerate() {
        let mut l = m.latencies;
        l.sort_unstable();
        println!(
            "{:>6} | {:>5} | {:>6} | {:>6.2} | {:>6.2}",
            k + 1,
            l.len(),
            m.errors,
            quantile_ms(&l, 0.5),
            quantile_ms(&l, 0.99)
        );
        errors += m.errors;
        if first_error.is_none() {
            first_error = m.first_error;
        }
        all.extend(l);
    }
    all.sort_unstable();
    println!(
        "reads: {} answered, {errors} errors; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        quantile_ms(&all, 0.5),
        quantile_ms(&all, 0.99),
        quantile_ms(&all, 1.0)
    );
    println!(
        "writes: {} changes ({:.1}/s), p50 {:.2} ms, p99 {:.2} ms; delivered {}/{} to {} subscribers, \
         p50 {:.2} ms, p99 {:.2} ms",
        live.writes,
        live.write_rps,
        live.write_p50,
        live.write_p99,
        live.delivered,
        live.expected,
        live.subscribers,
        live.p50,
        live.p99
    );
    println!("second | RSS MiB | open files | PostgreSQL connections");
    for x in &samples {
        println!(
            "{:>6.0} | {:>7.1} | {:>10} | {}",
            x.at.as_secs_f64(),
            x.rss as f64 / 1048576.0,
            x.files,
            x.pg_connections.map_or("-".into(), |c| c.to_string())
        );
    }
    // Growth: the first full minute (start-up, caches filling) against the last.
    let window = |from: Duration, to: Duration| -> Vec<&Sample> {
        samples
            .iter()
            .filter(|x| x.at >= from && x.at < to)
            .collect()
    };
    let early = window(Duration::from_secs(60), Duration::from_secs(120));
    let late = window(
        s.duration.saturating_sub(Duration::from_secs(60)),
        s.duration + SAMPLE_EVERY,
    );
    if !early.is_empty() && !late.is_empty() {
        let avg = |v: &[&Sample], f: &dyn Fn(&Sample) -> f64| {
            v.iter().map(|x| f(x)).sum::<f64>() / v.len() as f64
        };
        let rss = (
            avg(&early, &|x| x.rss as f64),
            avg(&late, &|x| x.rss as f64),
        );
        let files = (
            avg(&early, &|x| x.files as f64),
            avg(&late, &|x| x.files as f64),
        );
        println!(
            "growth from the second minute to the last: RSS {:.1} → {:.1} MiB ({:+.1} %), open files {:.0} → {:.0}",
            rss.0 / 1048576.0,
            rss.1 / 1048576.0,
            (rss.1 / rss.0 - 1.0) * 100.0,
            files.0,
            files.1
        );
    }
    if errors > 0 {
        bail!(
            "{errors} reads failed; the first: {}",
            first_error.unwrap_or_default()
        );
    }
    if live.delivered != live.expected {
        bail!(
            "subscribers received {} of {} changes",
            live.delivered,
            live.expected
        );
    }
    Ok(())
}
