//! The hand-written baseline: axum and direct SQL over the same tables, no GraphQL, no ORM.
//! One route per shape (`POST /b/<shape>` with the GraphQL variables as the body); each
//! answers the JSON our GraphQL server gives for the same query, built directly into one
//! buffer. One statement per shape where the database allows (two, run concurrently, where a
//! page and its facets or figures need different groupings).
//!
//! Started by the benchmark as a child process: `load baseline <database-url> <addr> <pool>`.

mod db;
mod json;
mod labels;
mod search;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use db::{Param, Pool, Row};
use json::Out;
use labels::Term;
use sea_orm::sqlx::AssertSqlSafe;
use serde::Deserialize;

type Shared = State<Arc<Pool>>;

/// Runs the baseline server until killed.
pub fn main(args: &[String]) -> anyhow::Result<()> {
    let [url, addr, pool] = args else {
        anyhow::bail!("usage: load baseline <database-url> <addr> <pool-size>");
    };
    let size: u32 = pool.parse()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let pool = Arc::new(Pool::open(url, size).await?);
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/b/typename", post(typename))
            .route("/b/page100", post(page100))
            .route("/b/withheld50", post(withheld50))
            .route("/b/search", post(search_page))
            .route("/b/facets", post(search_facets))
            .route("/b/stats", post(stats))
            .route("/b/lookup", post(lookup))
            .with_state(pool);
        let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}

/// A failure, answered with 500 and the reason (the benchmark stops on it).
struct Fail(String);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.0).into_response()
    }
}

impl From<sea_orm::sqlx::Error> for Fail {
    fn from(e: sea_orm::sqlx::Error) -> Self {
        Fail(e.to_string())
    }
}

type Answer = Result<Response, Fail>;

fn vars<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| Fail(format!("bad variables: {e}")))
}

fn reply(out: Out) -> Answer {
    Ok(([(header::CONTENT_TYPE, "application/json")], out.0).into_response())
}

/// `"ground":{…}` or `"ground":null`, with the requested fields.
fn ground(out: &mut Out, stored: Option<&str>, full: bool) {
    out.raw("\"ground\":");
    match stored {
        None => {
            out.raw("null");
        }
        Some(v) => {
            let t = labels::find(labels::GROUNDS, v);
            out.raw("{\"label\":").str(t.map_or("Unknown", |t| t.en));
            if full {
                out.raw(",\"ground\":")
                    .str(t.map_or(v, |t| t.name))
                    .raw(",\"legalProvision\":")
                    .opt_str(t.and_then(|t| t.provision));
            }
            out.raw("}");
        }
    }
}

async fn typename() -> Answer {
    let mut out = Out::with_capacity(40);
    out.raw("{\"data\":{\"__typename\":\"Query\"}}");
    reply(out)
}

#[derive(Deserialize)]
struct PageVars {
    after: Option<String>,
}

fn after_id(v: &PageVars) -> Result<i64, Fail> {
    match &v.after {
        None => Ok(i64::MIN),
        Some(c) => json::decode_id_cursor(c).ok_or_else(|| Fail(format!("bad cursor {c}"))),
    }
}

/// `pageInfo` of a keyset page fetched with one extra row.
fn page_info(out: &mut Out, last_id: Option<i64>, more: bool) {
    out.raw("\"pageInfo\":{\"hasNextPage\":").bool(more);
    out.raw(",\"endCursor\":");
    match last_id {
        Some(id) => out.id_cursor(id),
        None => out.raw("null"),
    };
    out.raw("}");
}

const PAGE100: &str = "SELECT d.id, d.title, d.category, i.code, i.name, s.status, s.ground \
     FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
     LEFT JOIN institution i ON i.id = d.institution_id \
     WHERE d.id > $1 ORDER BY d.id LIMIT 101";

async fn page100(State(pool): Shared, body: Bytes) -> Answer {
    let v: PageVars = vars(&body)?;
    let rows = pool.fetch(PAGE100, &[Param::Int(after_id(&v)?)]).await?;
    let more = rows.len() > 100;
    let rows = &rows[..rows.len().min(100)];
    let mut out = Out::with_capacity(400 * rows.len() + 200);
    out.raw("{\"data\":{\"datasets\":{");
    page_info(&mut out, rows.last().map(|r| r.int(0)), more);
    out.raw(",\"nodes\":[");
    for (k, r) in rows.iter().enumerate() {
        if k > 0 {
            out.raw(",");
        }
        out.raw("{\"id\":")
            .global_id("Dataset", r.int(0))
            .raw(",\"title\":")
            .str(r.str(1))
            .raw(",\"category\":")
            .str(r.str(2))
            .raw(",\"institution\":");
        match r.opt_str(3) {
            None => out.raw("null"),
            Some(code) => out
                .raw("{\"code\":")
                .str(code)
                .raw(",\"name\":")
                .str(r.str(4))
                .raw("}"),
        };
        out.raw(",\"disclosure\":{\"status\":")
            .str(r.str(5))
            .raw(",");
        ground(&mut out, r.opt_str(6), true);
        out.raw("}}");
    }
    out.raw("]}}}");
    reply(out)
}

/// One statement: the page walked in id order (on SQLite `CROSS JOIN` keeps the planner on the
/// dataset table instead of the status index, which would read every withheld row and sort),
/// its institutions and parents, and the first five events of each dataset.
const WITHHELD50: &str = "WITH page AS ( \
       SELECT d.id, d.title, d.institution_id, s.status, s.ground, s.explanation \
       FROM dataset d CROSS JOIN disclosure s \
       WHERE s.dataset_id = d.id AND s.status = 'WITHHELD' AND d.id > $1 \
       ORDER BY d.id LIMIT 51), \
     ev AS ( \
       SELECT e.dataset_id, e.id, e.from_status, e.to_status, e.occurred_at, e.actor, \
              ROW_NUMBER() OVER (PARTITION BY e.dataset_id ORDER BY e.occurred_at, e.id) AS rn \
       FROM disclosure_event e WHERE e.dataset_id IN (SELECT id FROM page)) \
     SELECT p.id, p.title, p.status, p.ground, p.explanation, i.id, i.name, pi.name, \
            ev.id, ev.from_status, ev.to_status, ev.occurred_at, ev.actor \
     FROM page p LEFT JOIN institution i ON i.id = p.institution_id \
     LEFT JOIN institution pi ON pi.id = i.parent_id \
     LEFT JOIN ev ON ev.dataset_id = p.id AND ev.rn <= 5 \
     ORDER BY p.id, ev.rn";

async fn withheld50(State(pool): Shared, body: Bytes) -> Answer {
    let v: PageVars = vars(&body)?;
    let rows = pool.fetch(WITHHELD50, &[Param::Int(after_id(&v)?)]).await?;
    // Rows per dataset, in page order.
    let mut datasets: Vec<&[Row]> = Vec::with_capacity(51);
    let mut start = 0;
    for k in 1..=rows.len() {
        if k == rows.len() || rows[k].int(0) != rows[start].int(0) {
            datasets.push(&rows[start..k]);
            start = k;
        }
    }
    let more = datasets.len() > 50;
    datasets.truncate(50);
    let mut out = Out::with_capacity(1200 * datasets.len() + 200);
    out.raw("{\"data\":{\"datasets\":{");
    page_info(&mut out, datasets.last().map(|d| d[0].int(0)), more);
    out.raw(",\"nodes\":[");
    for (k, d) in datasets.iter().enumerate() {
        let r = &d[0];
        if k > 0 {
            out.raw(",");
        }
        out.raw("{\"id\":")
            .global_id("Dataset", r.int(0))
            .raw(",\"title\":")
            .str(r.str(1))
            .raw(",\"institution\":");
        match r.opt_int(5) {
            None => out.raw("null"),
            Some(_) => {
                out.raw("{\"name\":").str(r.str(6)).raw(",\"parent\":");
                match r.opt_str(7) {
                    None => out.raw("null"),
                    Some(p) => out.raw("{\"name\":").str(p).raw("}"),
                };
                out.raw("}")
            }
        };
        out.raw(",\"disclosure\":{\"status\":")
            .str(r.str(2))
            .raw(",");
        ground(&mut out, r.opt_str(3), false);
        out.raw(",\"explanation\":").opt_str(r.opt_str(4));
        out.raw("},\"history\":[");
        let mut first = true;
        for e in d.iter().filter(|e| e.opt_int(8).is_some()) {
            if !first {
                out.raw(",");
            }
            first = false;
            out.raw("{\"id\":")
                .global_id("DisclosureEvent", e.int(8))
                .raw(",\"fromStatus\":")
                .opt_str(e.opt_str(9))
                .raw(",\"toStatus\":")
                .str(e.str(10))
                .raw(",\"occurredAt\":")
                .opt_str(e.opt_time(11).map(|t| t.to_rfc3339()).as_deref())
                .raw(",\"actor\":")
                .str(e.str(12))
                .raw("}");
        }
        out.raw("]}");
    }
    out.raw("]}}}");
    reply(out)
}

#[derive(Deserialize)]
struct SearchVars {
    s: String,
}

/// `{"id":…,"title":…,"institution":{"name":…},"disclosure":{"status":…,"ground":{"label":…}}}`
/// from columns id, title, institution name, status, ground.
fn hit(out: &mut Out, r: &Row) {
    out.raw("{\"id\":")
        .global_id("Dataset", r.int(0))
        .raw(",\"title\":")
        .str(r.str(1))
        .raw(",\"institution\":");
    match r.opt_str(2) {
        None => out.raw("null"),
        Some(n) => out.raw("{\"name\":").str(n).raw("}"),
    };
    out.raw(",\"disclosure\":{\"status\":")
        .str(r.str(3))
        .raw(",");
    ground(out, r.opt_str(4), false);
    out.raw("}}");
}

/// Withheld datasets matching the search, a page of 20 by rank and id, and the total in the
/// same statement (a window count over every match).
async fn search_page(State(pool): Shared, body: Bytes) -> Answer {
    let v: SearchVars = vars(&body)?;
    let terms = search::terms(&v.s);
    let mut sql = search::Sql::default();
    let (cond, rank) = search::condition_and_rank(&pool, &mut sql, &terms);
    let status = pool.no_index("s.status");
    sql.text = format!(
        "SELECT d.id, d.title, i.name, s.status, s.ground, COUNT(*) OVER () \
         FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
         LEFT JOIN institution i ON i.id = d.institution_id \
         WHERE {status} = 'WITHHELD' AND {cond} ORDER BY {rank}, d.id LIMIT 20"
    );
    let rows = pool.fetch(AssertSqlSafe(sql.text), &sql.params).await?;
    let total = rows.first().map_or(0, |r| r.int(5));
    let mut out = Out::with_capacity(300 * rows.len() + 100);
    out.raw("{\"data\":{\"datasets\":{\"totalCount\":")
        .int(total)
        .raw(",\"nodes\":[");
    for (k, r) in rows.iter().enumerate() {
        if k > 0 {
            out.raw(",");
        }
        hit(&mut out, r);
    }
    out.raw("]}}}");
    reply(out)
}

/// Counts per value, most first, then by stored value; as `[{"value":…,"count":…},…]`.
fn counts(out: &mut Out, table: &'static [Term], mut acc: Vec<(&str, i64)>) {
    acc.sort_by(|a, b| a.0.cmp(b.0));
    let mut merged: Vec<(&str, i64)> = Vec::with_capacity(acc.len());
    for (k, n) in acc {
        match merged.last_mut() {
            Some(last) if last.0 == k => last.1 += n,
            _ => merged.push((k, n)),
        }
    }
    merged.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    out.raw("[");
    for (k, (v, n)) in merged.iter().enumerate() {
        if k > 0 {
            out.raw(",");
        }
        let name = labels::find(table, v).map_or(*v, |t| t.name);
        out.raw("{\"value\":")
            .str(name)
            .raw(",\"count\":")
            .int(*n)
            .raw("}");
    }
    out.raw("]");
}

/// The search page (rank, id) and its facets: the page statement and one grouped scan of every
/// match without the status condition (each facet ignores its own condition), run concurrently.
async fn search_facets(State(pool): Shared, body: Bytes) -> Answer {
    let v: SearchVars = vars(&body)?;
    let terms = search::terms(&v.s);
    let mut page = search::Sql::default();
    let (cond, rank) = search::condition_and_rank(&pool, &mut page, &terms);
    let status = pool.no_index("s.status");
    page.text = format!(
        "SELECT d.id, d.title, i.name, s.status, s.ground \
         FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
         LEFT JOIN institution i ON i.id = d.institution_id \
         WHERE {status} = 'WITHHELD' AND {cond} ORDER BY {rank}, d.id LIMIT 20"
    );
    let mut groups = search::Sql::default();
    let (cond, _) = search::condition_and_rank(&pool, &mut groups, &terms);
    groups.text = format!(
        "SELECT s.status, s.ground, d.category, d.dataset_type, i.kind, COUNT(*) \
         FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
         JOIN institution i ON i.id = d.institution_id \
         WHERE {cond} GROUP BY s.status, s.ground, d.category, d.dataset_type, i.kind"
    );
    let (rows, groups) = tokio::join!(
        pool.fetch(AssertSqlSafe(page.text), &page.params),
        pool.fetch(AssertSqlSafe(groups.text), &groups.params)
    );
    let (rows, groups) = (rows?, groups?);
    let withheld: Vec<&Row> = groups.iter().filter(|g| g.str(0) == "WITHHELD").collect();
    let total: i64 = withheld.iter().map(|g| g.int(5)).sum();
    let mut out = Out::with_capacity(300 * rows.len() + 2000);
    out.raw("{\"data\":{\"datasets\":{\"totalCount\":")
        .int(total)
        .raw(",\"facets\":{\"status\":");
    counts(
        &mut out,
        labels::STATUSES,
        groups.iter().map(|g| (g.str(0), g.int(5))).collect(),
    );
    out.raw(",\"ground\":");
    counts(
        &mut out,
        labels::GROUNDS,
        withheld
            .iter()
            .filter_map(|g| Some((g.opt_str(1)?, g.int(5))))
            .collect(),
    );
    for (key, col, table) in [
        ("category", 2, labels::CATEGORIES),
        ("type", 3, labels::TYPES),
        ("institutionKind", 4, labels::KINDS),
    ] {
        out.raw(",\"").raw(key).raw("\":");
        counts(
            &mut out,
            table,
            withheld.iter().map(|g| (g.str(col), g.int(5))).collect(),
        );
    }
    out.raw("},\"nodes\":[");
    for (k, r) in rows.iter().enumerate() {
        if k > 0 {
            out.raw(",");
        }
        hit(&mut out, r);
    }
    out.raw("]}}}");
    reply(out)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct StatsFilter {
    institution_kind: Option<Vec<String>>,
    category: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct StatsVars {
    f: Option<StatsFilter>,
}

/// `IN (…)` literals of enum names, checked against the vocabulary (never raw input).
fn literals(table: &'static [Term], names: &[String]) -> Result<String, Fail> {
    names
        .iter()
        .map(|n| {
            labels::by_name(table, n)
                .map(|t| format!("'{}'", t.stored))
                .ok_or_else(|| Fail(format!("unknown value {n}")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.join(", "))
}

/// Dashboard figures: one grouped scan for the total and the per-status, per-ground and
/// per-category counts, one for the top institutions, run concurrently.
async fn stats(State(pool): Shared, body: Bytes) -> Answer {
    let v: StatsVars = vars(&body)?;
    let f = v.f.unwrap_or_default();
    let mut conds = vec!["1 = 1".to_string()];
    if let Some(k) = &f.institution_kind {
        conds.push(format!(
            "d.institution_id IN (SELECT id FROM institution WHERE kind IN ({}))",
            literals(labels::KINDS, k)?
        ));
    }
    if let Some(c) = &f.category {
        conds.push(format!(
            "d.category IN ({})",
            literals(labels::CATEGORIES, c)?
        ));
    }
    let cond = conds.join(" AND ");
    let groups = format!(
        "SELECT s.status, s.ground, d.category, COUNT(*) \
         FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
         JOIN institution i ON i.id = d.institution_id \
         WHERE {cond} GROUP BY s.status, s.ground, d.category"
    );
    let top = format!(
        "SELECT d.institution_id, i.code, i.name, COUNT(*) AS n, \
                SUM(CASE WHEN s.status = 'OPEN' THEN 1 ELSE 0 END), \
                SUM(CASE WHEN s.status = 'WITHHELD' THEN 1 ELSE 0 END) \
         FROM dataset d JOIN disclosure s ON s.dataset_id = d.id \
         LEFT JOIN institution i ON i.id = d.institution_id \
         WHERE {cond} GROUP BY d.institution_id, i.code, i.name \
         ORDER BY n DESC, d.institution_id LIMIT 10"
    );
    let (groups, top) = tokio::join!(
        pool.fetch(AssertSqlSafe(groups), &[]),
        pool.fetch(AssertSqlSafe(top), &[])
    );
    let (groups, top) = (groups?, top?);
    let total: i64 = groups.iter().map(|g| g.int(3)).sum();
    let mut out = Out::with_capacity(4000);
    out.raw("{\"data\":{\"stats\":{\"total\":")
        .int(total)
        .raw(",\"byStatus\":");
    counts(
        &mut out,
        labels::STATUSES,
        groups.iter().map(|g| (g.str(0), g.int(3))).collect(),
    );
    out.raw(",\"byGround\":");
    counts(
        &mut out,
        labels::GROUNDS,
        groups
            .iter()
            .filter_map(|g| Some((g.opt_str(1)?, g.int(3))))
            .collect(),
    );
    out.raw(",\"byCategory\":");
    counts(
        &mut out,
        labels::CATEGORIES,
        groups.iter().map(|g| (g.str(2), g.int(3))).collect(),
    );
    out.raw(",\"topInstitutions\":[");
    for (k, r) in top.iter().enumerate() {
        if k > 0 {
            out.raw(",");
        }
        out.raw("{\"institution\":");
        match r.opt_str(1) {
            None => out.raw("null"),
            Some(code) => out
                .raw("{\"code\":")
                .str(code)
                .raw(",\"name\":")
                .str(r.str(2))
                .raw("}"),
        };
        out.raw(",\"total\":")
            .int(r.int(3))
            .raw(",\"open\":")
            .int(r.int(4))
            .raw(",\"withheld\":")
            .int(r.int(5))
            .raw("}");
    }
    out.raw("]}}}");
    reply(out)
}

#[derive(Deserialize)]
struct LookupVars {
    id: String,
}

const LOOKUP: &str = "SELECT d.id, d.title, i.name, s.status, s.ground \
     FROM dataset d LEFT JOIN disclosure s ON s.dataset_id = d.id \
     LEFT JOIN institution i ON i.id = d.institution_id WHERE d.id = $1";

/// One dataset by global id.
async fn lookup(State(pool): Shared, body: Bytes) -> Answer {
    let v: LookupVars = vars(&body)?;
    let id =
        json::decode_global_id(&v.id, "Dataset").ok_or_else(|| Fail(format!("bad id {}", v.id)))?;
    let rows = pool.fetch(LOOKUP, &[Param::Int(id)]).await?;
    let r = rows.first().ok_or_else(|| Fail("not found".into()))?;
    let mut out = Out::with_capacity(400);
    out.raw("{\"data\":{\"dataset\":");
    hit(&mut out, r);
    out.raw("}}");
    reply(out)
}
