//! Figures per shape and server (medians over the interleaved rounds), printed and written to
//! `BENCHMARKS.md` (one section per database, so an SQLite run and a PostgreSQL run sit side by
//! side).

use std::fmt::Write;
use std::path::Path;

use crate::load::{Round, quantile_ms};

/// What one server did in one round.
pub struct Sample {
    pub round: Round,
    /// CPU time the server used over the round.
    pub cpu: std::time::Duration,
}

/// Medians over the rounds of one shape on one server.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub rps: f64,
    pub p50: f64,
    pub p99: f64,
    pub cpu_ms: f64,
    pub peak_mib: f64,
    /// SQL statements (PostgreSQL: transactions) per request, when measured.
    pub stmts: Option<f64>,
    pub requests: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

impl Figures {
    pub fn from_samples(samples: &[Sample], peak: u64) -> Figures {
        Figures {
            rps: median(samples.iter().map(|s| s.round.rate()).collect()),
            p50: median(
                samples
                    .iter()
                    .map(|s| quantile_ms(&s.round.latencies, 0.50))
                    .collect(),
            ),
            p99: median(
                samples
                    .iter()
                    .map(|s| quantile_ms(&s.round.latencies, 0.99))
                    .collect(),
            ),
            cpu_ms: median(
                samples
                    .iter()
                    .filter(|s| s.round.ok > 0)
                    .map(|s| s.cpu.as_secs_f64() * 1000.0 / s.round.ok as f64)
                    .collect(),
            ),
            peak_mib: peak as f64 / (1024.0 * 1024.0),
            stmts: None,
            requests: samples.iter().map(|s| s.round.ok).sum(),
            errors: samples.iter().map(|s| s.round.errors).sum(),
            first_error: samples.iter().find_map(|s| s.round.first_error.clone()),
        }
    }
}

/// One shape's result.
pub struct ShapeResult {
    pub key: &'static str,
    pub title: String,
    pub ours: Figures,
    pub baseline: Figures,
}

/// The isolation test's result for one server.
pub struct IsolationResult {
    pub heavy: Figures,
    pub probe: Figures,
}

/// A number with a sensible precision.
fn num(x: f64) -> String {
    if !x.is_finite() {
        "–".into()
    } else if x >= 100.0 {
        let digits = format!("{x:.0}");
        let mut out = String::new();
        for (k, c) in digits.chars().enumerate() {
            if k > 0 && (digits.len() - k) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

fn stmts(f: &Figures) -> String {
    f.stmts.map_or_else(|| "n/a".into(), |s| format!("{s:.1}"))
}

/// The section of one run, in Markdown.
pub struct Run<'a> {
    pub database: &'a str,
    pub header: &'a str,
    pub shapes: &'a [ShapeResult],
    pub isolation: Option<&'a (IsolationResult, IsolationResult)>,
    pub live: &'a [crate::live::LiveFigures],
    pub executor: &'a [crate::executor::Cost],
    pub notes: &'a [String],
}

impl Run<'_> {
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "## {}\n\n{}\n", self.database, self.header);
        s.push_str(
            "| shape | server | req/s | p50 ms | p99 ms | SQL statements/req | CPU ms/req | peak memory MiB | ours/baseline |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for r in self.shapes {
            let ratio = r.ours.rps / r.baseline.rps;
            for (who, f, ratio) in [
                ("ours", &r.ours, num(ratio)),
                ("baseline", &r.baseline, String::new()),
            ] {
                let errs = if f.errors > 0 {
                    format!(" ({} errors)", f.errors)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "| {} | {who}{errs} | {} | {} | {} | {} | {} | {:.0} | {ratio} |",
                    if who == "ours" { r.title.as_str() } else { "" },
                    num(f.rps),
                    num(f.p50),
                    num(f.p99),
                    stmts(f),
                    num(f.cpu_ms),
                    f.peak_mib,
                );
            }
        }
        if let Some((ours, base)) = self.isolation {
            s.push_str(
                "\n**Isolation** (one-row lookups on a separate connection while the others post heavy requests):\n\n\
                 | server | heavy req/s | heavy p50 ms | lookup p50 ms | lookup p99 ms | lookups | CPU ms/heavy req |\n\
                 |---|---:|---:|---:|---:|---:|---:|\n",
            );
            for (who, r) in [("ours", ours), ("baseline", base)] {
                let errs = if r.heavy.errors + r.probe.errors > 0 {
                    format!(" ({} errors)", r.heavy.errors + r.probe.errors)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "| {who}{errs} | {} | {} | {} | {} | {} | {} |",
                    num(r.heavy.rps),
                    num(r.heavy.p50),
                    num(r.probe.p50),
                    num(r.probe.p99),
                    r.probe.requests,
                    num(r.heavy.cpu_ms),
                );
            }
        }
        if !self.live.is_empty() {
            s.push_str(
                "\n**Live** (ours only): `disclosureChanged` subscribers over `graphql-transport-ws`, one officer \
                 doing `changeDisclosure` in turn over datasets of its institution; delivery latency is arrival \
                 minus the change's `committedAt` (same clock). Idle subscribers are held open meanwhile, \
                 subscribed to a dataset that never changes; their cost is the server's resident memory \
                 after opening them minus before, per subscriber.\n\n\
                 | subscribers | idle | server KiB per idle | subscribed at | writes/s (writes) | changeDisclosure p50 ms | p99 ms | delivered / expected | delivery p50 ms | p99 ms | max ms |\n\
                 |---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|\n",
            );
            for l in self.live {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} ({}) | {} | {} | {} / {} | {} | {} | {} |",
                    l.subscribers,
                    l.idle,
                    l.idle_bytes_each
                        .map_or_else(|| "–".to_string(), |b| num(b / 1024.0)),
                    if l.across {
                        "second instance"
                    } else {
                        "the writer's"
                    },
                    num(l.write_rps),
                    l.writes,
                    num(l.write_p50),
                    num(l.write_p99),
                    l.delivered,
                    l.expected,
                    num(l.p50),
                    num(l.p99),
                    num(l.max),
                );
            }
        }
        if !self.executor.is_empty() {
            s.push_str(
                "\n**async-graphql alone**: the page shapes' first answers resolved again from memory by a \
                 schema of the same fields (no database, no loaders, no HTTP), checked equal to the server's \
                 answer, executed and serialized in a loop on one thread; median time per request.\n\n\
                 | shape | async-graphql | schema extensions | items | µs per request | share of our CPU per request |\n\
                 |---|---|---:|---:|---:|---:|\n",
            );
            for c in self.executor {
                let ours = self
                    .shapes
                    .iter()
                    .find(|r| r.key == c.key)
                    .map(|r| r.ours.cpu_ms * 1000.0);
                let share = ours
                    .filter(|o| *o > 0.0)
                    .map(|o| format!("{:.0} %", 100.0 * c.micros / o))
                    .unwrap_or_else(|| "–".into());
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {share} |",
                    c.key,
                    c.version,
                    u8::from(c.extension),
                    c.items,
                    num(c.micros)
                );
            }
        }
        for n in self.notes {
            let _ = writeln!(s, "\n{n}");
        }
        s
    }
}

const TOP: &str = "# Benchmarks\n\n\
Written by `cargo bench --bench load` (see the README's benchmark section): the real server \
(`inventory serve`, release build) and a hand-written baseline (axum and direct SQL, no GraphQL, \
no ORM; its JSON is checked equal to ours for every prepared request before timing), both child \
processes, driven over loopback HTTP/1.1 by a separate load generator at fixed concurrency. \
Rounds alternate ours, baseline, ours, baseline…; figures are medians over the rounds. \
CPU per request is the server process's user+system time over a round divided by its requests; \
peak memory is its VmHWM. SQL statements per request: on PostgreSQL the database's transactions \
per request (`pg_stat_database`; every statement outside an explicit transaction is one), \
measured in a separate sequential pass; n/a on SQLite (not countable from outside).\n";

/// Replaces this database's section of the report file (keeping the other's), or creates it.
pub fn write(path: &Path, key: &str, section: &str) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let mut sections: Vec<(String, String)> = Vec::new();
    for k in ["sqlite", "postgres"] {
        let (b, e) = (format!("<!-- begin {k} -->"), format!("<!-- end {k} -->"));
        if k == key {
            sections.push((k.into(), section.to_string()));
        } else if let (Some(i), Some(j)) = (old.find(&b), old.find(&e)) {
            sections.push((k.into(), old[i + b.len()..j].trim().to_string()));
        }
    }
    let mut out = String::from(TOP);
    for (k, body) in sections {
        let _ = write!(
            out,
            "\n<!-- begin {k} -->\n{}\n<!-- end {k} -->\n",
            body.trim()
        );
    }
    std::fs::write(path, out)
}
