//! The request shapes: GraphQL queries as a client writes them, the varied variables of each
//! (cursors walked from the server, search terms, filter values), the same request for the
//! baseline, and the check that both answer the same JSON before anything is timed.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::load::{Conn, Req};

pub const TYPENAME: &str = "{ __typename }";

pub const PAGE100: &str = "query Page($after: String) { datasets(first: 100, after: $after) { \
    pageInfo { hasNextPage endCursor } \
    nodes { id title category institution { code name } \
    disclosure { status ground { ground label legalProvision } } } } }";

pub const WITHHELD50: &str = "query Withheld($after: String) { \
    datasets(first: 50, after: $after, filter: { status: [WITHHELD] }) { \
    pageInfo { hasNextPage endCursor } \
    nodes { id title institution { name parent { name } } \
    disclosure { status ground { label } explanation } \
    history(first: 5) { id fromStatus toStatus occurredAt actor } } } }";

pub const SEARCH: &str = "query Search($s: String!) { \
    datasets(search: $s, filter: { status: [WITHHELD] }, first: 20) { totalCount \
    nodes { id title institution { name } disclosure { status ground { label } } } } }";

pub const FACETS: &str = "query SearchFacets($s: String!) { \
    datasets(search: $s, filter: { status: [WITHHELD] }, first: 20) { totalCount \
    facets { status { value count } ground { value count } category { value count } \
    type { value count } institutionKind { value count } } \
    nodes { id title institution { name } disclosure { status ground { label } } } } }";

pub const STATS: &str = "query Stats($f: DatasetFilter) { stats(filter: $f) { total \
    byStatus { value count } byGround { value count } byCategory { value count } \
    topInstitutions(first: 10) { institution { code name } total open withheld } } }";

pub const LOOKUP: &str = "query One($id: ID!) { dataset(id: $id) { id title \
    institution { name } disclosure { status ground { label } } } }";

/// Search terms: common and rarer words, a spaced variant, two-term searches, and terms that
/// also match a category or ground label.
pub const TERMS: &[&str] = &[
    "미세먼지",
    "버스",
    "교통",
    "주차",
    "상수도",
    "도로",
    "학교",
    "관광",
    "인구",
    "복지",
    "하천",
    "공원",
    "주택",
    "미세 먼지",
    "버스 정류장",
    "환경",
    "의료",
    "예산",
    "개인정보",
    "대기 측정",
];

/// The broad term of the isolation test (in about 29 % of entries).
pub const BROAD: &str = "정보";

const KINDS: &[&str] = &[
    "CENTRAL_GOVERNMENT",
    "METROPOLITAN_GOVERNMENT",
    "LOCAL_GOVERNMENT",
    "OFFICE_OF_EDUCATION",
    "NATIONAL_UNIVERSITY",
    "PUBLIC_INSTITUTION",
    "OTHER",
];

const CATEGORIES: &[&str] = &[
    "PUBLIC_ADMINISTRATION",
    "SCIENCE_TECHNOLOGY",
    "EDUCATION",
    "TRANSPORT_LOGISTICS",
    "LAND_MANAGEMENT",
    "AGRICULTURE_LIVESTOCK_FISHERIES",
    "CULTURE_TOURISM",
    "LAW",
    "HEALTH_MEDICAL",
    "SOCIAL_WELFARE",
    "INDUSTRY_EMPLOYMENT",
    "FOOD_HEALTH",
    "DISASTER_SAFETY",
    "FINANCE",
    "UNIFICATION_DIPLOMACY_SECURITY",
    "ENVIRONMENT_WEATHER",
];

/// One shape: the same requests for both servers, in the same order.
pub struct Shape {
    pub key: &'static str,
    pub title: String,
    pub ours: Vec<Req>,
    pub baseline: Vec<Req>,
}

/// Our request: the query and its variables.
pub fn ours(query: &str, vars: &Value) -> Req {
    Req {
        path: "/graphql".into(),
        body: Bytes::from(json!({ "query": query, "variables": vars }).to_string()),
        auth: None,
    }
}

/// The baseline's request: the variables alone, to the shape's route.
pub fn baseline(key: &str, vars: &Value) -> Req {
    Req {
        path: format!("/b/{key}"),
        body: Bytes::from(vars.to_string()),
        auth: None,
    }
}

/// Posts to our server and returns the parsed answer, failing on HTTP or GraphQL errors.
pub async fn ask(conn: &mut Conn, req: &Req) -> anyhow::Result<Value> {
    let (status, body) = conn.post(req).await?;
    let v: Value = serde_json::from_slice(&body)
        .with_context(|| format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))?;
    if status != 200 || v.get("errors").is_some() {
        bail!(
            "HTTP {status} for {}: {v}",
            String::from_utf8_lossy(&req.body)
        );
    }
    Ok(v)
}

/// Walks `pages` pages of a cursor list from the start, returning the variables of each page
/// and our answers.
async fn walk(
    conn: &mut Conn,
    query: &str,
    pages: usize,
) -> anyhow::Result<(Vec<Value>, Vec<Value>)> {
    let (mut vars, mut answers) = (Vec::new(), Vec::new());
    let mut after = Value::Null;
    for _ in 0..pages {
        let v = json!({ "after": after });
        let a = ask(conn, &ours(query, &v)).await?;
        let info = &a["data"]["datasets"]["pageInfo"];
        let next = info["endCursor"].clone();
        let more = info["hasNextPage"].as_bool().unwrap_or(false);
        vars.push(v);
        answers.push(a);
        if !more || next.is_null() {
            break;
        }
        after = next;
    }
    Ok((vars, answers))
}

/// The path of the first difference between two JSON values.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_difference(u, v, &p) {
                            return Some(d);
                        }
                    }
                    (u, v) => return Some(format!("{p}: {u:?} vs {v:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            for (k, (u, v)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(u, v, &format!("{path}[{k}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}: {} items vs {}", x.len(), y.len()))
        }
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

/// Checks that the baseline answers every request of a shape exactly as we do (after parsing);
/// `known` holds our answers where they were already fetched.
async fn check(
    ours_addr: SocketAddr,
    base_addr: SocketAddr,
    shape: &Shape,
    known: Option<Vec<Value>>,
) -> anyhow::Result<Vec<Value>> {
    let mut answers = Vec::with_capacity(shape.ours.len());
    let mut a = Conn::open(ours_addr).await?;
    let mut b = Conn::open(base_addr).await?;
    for (k, (o, r)) in shape.ours.iter().zip(&shape.baseline).enumerate() {
        let mine = match &known {
            Some(v) => v[k].clone(),
            None => ask(&mut a, o).await?,
        };
        let (status, body) = b.post(r).await?;
        if status != 200 {
            bail!(
                "baseline {}: HTTP {status}: {}",
                shape.key,
                String::from_utf8_lossy(&body)
            );
        }
        let theirs: Value = serde_json::from_slice(&body)?;
        if let Some(d) = first_difference(&mine, &theirs, "") {
            bail!(
                "{}: the baseline's answer differs from ours for {} at {d}",
                shape.key,
                String::from_utf8_lossy(&o.body)
            );
        }
        answers.push(mine);
    }
    Ok(answers)
}

fn shape(key: &'static str, title: String, query: &str, vars: &[Value]) -> Shape {
    Shape {
        key,
        title,
        ours: vars.iter().map(|v| ours(query, v)).collect(),
        baseline: vars.iter().map(|v| baseline(key, v)).collect(),
    }
}

/// Variables of `stats`: the whole inventory, each institution kind, each category, and some
/// of both.
pub fn stats_filters() -> Vec<Value> {
    let mut v = vec![json!({ "f": null })];
    v.extend(
        KINDS
            .iter()
            .map(|k| json!({ "f": { "institutionKind": [k] } })),
    );
    v.extend(
        CATEGORIES
            .iter()
            .map(|c| json!({ "f": { "category": [c] } })),
    );
    v.extend(
        KINDS
            .iter()
            .zip(CATEGORIES.iter().skip(3))
            .map(|(k, c)| json!({ "f": { "institutionKind": [k], "category": [c] } })),
    );
    v
}

/// Everything prepared for the timed part.
pub struct Prepared {
    pub shapes: Vec<Shape>,
    pub isolation: Option<Isolation>,
    /// The institution holding most of the datasets walked, and those datasets' ids (for the
    /// live test's writer, an officer of that institution).
    pub writable: Option<(String, Vec<String>)>,
}

/// Milliseconds between two one-row lookups of the isolation test.
pub const PROBE_EVERY_MS: u64 = 50;

/// The isolation test: heavy requests on every connection but one, lookups on that one.
pub struct Isolation {
    pub heavy: Shape,
    pub probe: Shape,
}

/// Prepares every shape and checks the baseline against our answers.
pub async fn prepare(
    ours_addr: SocketAddr,
    base_addr: SocketAddr,
    pages: usize,
    want: &dyn Fn(&str) -> bool,
) -> anyhow::Result<Prepared> {
    let mut conn = Conn::open(ours_addr).await?;
    let mut out = Vec::new();
    let mut ids = Vec::new();

    let mut add = async |s: Shape, known: Option<Vec<Value>>| -> anyhow::Result<()> {
        let t = std::time::Instant::now();
        let answers = check(ours_addr, base_addr, &s, known).await?;
        let hits: u64 = answers
            .iter()
            .filter_map(|a| a["data"]["datasets"]["totalCount"].as_u64())
            .sum();
        println!(
            "  {:<12} {} requests answered alike ({:.1} s){}",
            s.key,
            s.ours.len(),
            t.elapsed().as_secs_f64(),
            if hits > 0 {
                format!(", {hits} hits in all")
            } else {
                String::new()
            }
        );
        out.push(s);
        Ok(())
    };

    if want("typename") {
        add(
            shape(
                "typename",
                "`{ __typename }`".into(),
                TYPENAME,
                &[json!({})],
            ),
            None,
        )
        .await?;
    }
    let mut by_institution: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    if want("page100") || want("isolation") || want("live") {
        let (vars, answers) = walk(&mut conn, PAGE100, pages).await?;
        for a in &answers {
            for n in a["data"]["datasets"]["nodes"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(id) = n["id"].as_str() {
                    ids.push(id.to_string());
                    if let Some(code) = n["institution"]["code"].as_str() {
                        by_institution
                            .entry(code.to_string())
                            .or_default()
                            .push(id.to_string());
                    }
                }
            }
        }
        if want("page100") {
            add(
                shape(
                    "page100",
                    format!(
                        "100 datasets with institution, disclosure, ground ({} pages in turn)",
                        vars.len()
                    ),
                    PAGE100,
                    &vars,
                ),
                Some(answers),
            )
            .await?;
        }
    }
    if want("withheld50") {
        let (vars, answers) = walk(&mut conn, WITHHELD50, pages).await?;
        add(
            shape(
                "withheld50",
                format!(
                    "50 WITHHELD datasets, institution and parent, first 5 history events each ({} pages in turn)",
                    vars.len()
                ),
                WITHHELD50,
                &vars,
            ),
            Some(answers),
        )
        .await?;
    }
    let terms: Vec<Value> = TERMS.iter().map(|t| json!({ "s": t })).collect();
    if want("search") {
        add(
            shape(
                "search",
                format!(
                    "search among WITHHELD, page of 20 + totalCount ({} terms in turn)",
                    terms.len()
                ),
                SEARCH,
                &terms,
            ),
            None,
        )
        .await?;
    }
    if want("facets") {
        add(
            shape(
                "facets",
                format!(
                    "the same + facets, all five ({} terms in turn)",
                    terms.len()
                ),
                FACETS,
                &terms,
            ),
            None,
        )
        .await?;
    }
    if want("stats") {
        let f = stats_filters();
        add(
            shape(
                "stats",
                format!(
                    "`stats`: total, byStatus, byGround, byCategory, topInstitutions(10) ({} filters in turn)",
                    f.len()
                ),
                STATS,
                &f,
            ),
            None,
        )
        .await?;
    }
    let mut isolation = None;
    if want("isolation") {
        let lookups: Vec<Value> = ids
            .iter()
            .step_by(7)
            .take(200)
            .map(|id| json!({ "id": id }))
            .collect();
        let probe = shape("lookup", "one-row lookup".into(), LOOKUP, &lookups);
        let broad = [json!({ "s": BROAD })];
        let search = shape("search", "broad search".into(), SEARCH, &broad);
        let facets = shape("facets", "broad search + facets".into(), FACETS, &broad);
        let stats = shape("stats", "stats".into(), STATS, &stats_filters());
        for s in [&probe, &search, &facets] {
            check(ours_addr, base_addr, s, None).await?;
        }
        if !want("stats") {
            check(ours_addr, base_addr, &stats, None).await?;
        }
        println!("  isolation    lookups, broad search, facets and stats answered alike");
        // The heavy mix: every stats filter, with the broad search and its facets in between.
        let mut heavy = Shape {
            key: "isolation",
            title: format!(
                "one-row lookup `dataset(id:)` every {PROBE_EVERY_MS} ms on its own connection, \
                 while the other connections post `stats`, broad search \"{BROAD}\" and its facets"
            ),
            ours: Vec::new(),
            baseline: Vec::new(),
        };
        for k in 0..stats.ours.len() {
            for s in [&stats, &search, &facets] {
                let i = k % s.ours.len();
                heavy.ours.push(s.ours[i].clone());
                heavy.baseline.push(s.baseline[i].clone());
            }
        }
        isolation = Some(Isolation { heavy, probe });
    }
    let writable = by_institution.into_iter().max_by_key(|(_, ids)| ids.len());
    Ok(Prepared {
        shapes: out,
        isolation,
        writable,
    })
}
