//! `inventory check`: the invariants any inventory database must hold, read in one consistent
//! read transaction, each rule a plain async function adding what breaks it to a [`Report`].
//!
//! - every dataset has its current disclosure and a history; the disclosure (status, ground)
//!   and the dataset's listing equal what the last history event says, and the disclosure's
//!   version counts the events;
//! - the history is a chain: the first event enters the dataset (no `from_status`), every later
//!   one starts where the one before ended (status and listing);
//! - every PROVIDED request has a provided dataset that exists, and when the request named a
//!   dataset it is that one, open now or opened since the request was filed;
//! - the outbox has no gaps in its ids;
//! - the stored search text is what the title, keywords and description give;
//! - the in-memory catalog built from the database counts what plain SQL counts (datasets by
//!   status, ground, category, type, institution, listing, flags, requests, openings, and the
//!   review queue once every review date has passed).

use std::collections::BTreeMap;
use std::fmt;

use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, IsolationLevel, Statement,
    TransactionTrait,
};

use crate::catalog::{Snapshot, load};

/// Examples named per rule, at most.
const EXAMPLES: usize = 10;

/// One rule broken: how often, and the first cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule, in a few words.
    pub rule: &'static str,
    /// How many rows break it.
    pub count: u64,
    /// The first cases, each saying which row and what is wrong.
    pub examples: Vec<String>,
}

/// What a check found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The rules checked, in order.
    pub rules: Vec<&'static str>,
    pub violations: Vec<Violation>,
}

impl Report {
    /// True when no rule is broken.
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// The violation of `rule`, if it is broken.
    pub fn violation(&self, rule: &str) -> Option<&Violation> {
        self.violations.iter().find(|v| v.rule == rule)
    }

    fn rule(&mut self, rule: &'static str) {
        self.rules.push(rule);
    }

    fn add(&mut self, rule: &'static str, count: u64, examples: Vec<String>) {
        if count > 0 {
            self.violations.push(Violation {
                rule,
                count,
                examples,
            });
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for v in &self.violations {
            writeln!(f, "VIOLATED: {} ({} rows)", v.rule, v.count)?;
            for e in &v.examples {
                writeln!(f, "  - {e}")?;
            }
            if v.count > v.examples.len() as u64 {
                writeln!(f, "  - … and {} more", v.count - v.examples.len() as u64)?;
            }
        }
        if self.ok() {
            write!(f, "ok: {} rules hold", self.rules.len())
        } else {
            write!(
                f,
                "{} of {} rules violated",
                self.violations.len(),
                self.rules.len()
            )
        }
    }
}

/// Rule names, as reports and tests name them.
pub mod rules {
    pub const DISCLOSURE_PRESENT: &str = "every dataset has its current disclosure";
    pub const HISTORY_PRESENT: &str = "every dataset has a history";
    pub const DISCLOSURE_IS_LAST_EVENT: &str =
        "the current disclosure (status, ground) equals the last history event";
    pub const LISTING_IS_LAST_EVENT: &str = "the dataset's listing equals the last history event";
    pub const VERSION_COUNTS_EVENTS: &str = "the disclosure's version counts its history events";
    pub const HISTORY_CHAIN: &str =
        "each history event starts where the one before ended (the first enters the dataset)";
    pub const PROVIDED_REQUESTS: &str =
        "every PROVIDED request opened its dataset or registered the provided one";
    pub const OUTBOX_GAPLESS: &str = "the outbox has no gaps";
    pub const SEARCH_TEXT: &str =
        "the stored search text is what the title, keywords and description give";
    pub const CATALOG_FIGURES: &str = "the in-memory catalog counts what the database counts";
}

/// Checks every rule on `db`, in one read transaction (a consistent view even while the
/// database is being written).
pub async fn check(db: &DatabaseConnection) -> Result<Report, DbErr> {
    let txn = if db.get_database_backend() == DbBackend::Postgres {
        db.begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadOnly),
        )
        .await?
    } else {
        db.begin().await?
    };
    let mut report = Report::default();
    history(&txn, &mut report).await?;
    provided_requests(&txn, &mut report).await?;
    outbox(&txn, &mut report).await?;
    search_text(&txn, &mut report).await?;
    catalog(&txn, &mut report).await?;
    txn.commit().await?;
    Ok(report)
}

async fn rows<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        sql.to_string(),
    ))
    .await
}

async fn scalar<C: ConnectionTrait>(db: &C, sql: &str) -> Result<i64, DbErr> {
    Ok(rows(db, sql)
        .await?
        .first()
        .map(|r| r.try_get_by_index::<Option<i64>>(0))
        .transpose()?
        .flatten()
        .unwrap_or(0))
}

/// Runs `sql`, whose rows are one case each (first column: an id; the others: what is wrong),
/// and records the rule as broken by them.
async fn cases<C: ConnectionTrait>(
    db: &C,
    report: &mut Report,
    rule: &'static str,
    sql: &str,
    describe: impl Fn(&sea_orm::QueryResult) -> Result<String, DbErr>,
) -> Result<(), DbErr> {
    report.rule(rule);
    let count = scalar(db, &format!("SELECT COUNT(*) FROM ({sql}) t")).await? as u64;
    if count == 0 {
        return Ok(());
    }
    let mut examples = Vec::new();
    for r in rows(db, &format!("{sql} LIMIT {EXAMPLES}")).await? {
        examples.push(describe(&r)?);
    }
    report.add(rule, count, examples);
    Ok(())
}

fn get<T: sea_orm::TryGetable>(r: &sea_orm::QueryResult, k: usize) -> Result<T, DbErr> {
    r.try_get_by_index(k)
}

fn listing(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "listed",
        Some(false) => "delisted",
        None => "no listing",
    }
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "null".into())
}

/// The history and the current state it must end in.
async fn history<C: ConnectionTrait>(db: &C, report: &mut Report) -> Result<(), DbErr> {
    cases(
        db,
        report,
        rules::DISCLOSURE_PRESENT,
        "SELECT d.id FROM dataset d WHERE NOT EXISTS \
         (SELECT 1 FROM disclosure s WHERE s.dataset_id = d.id) ORDER BY d.id",
        |r| {
            Ok(format!(
                "dataset {} has no disclosure row",
                get::<i64>(r, 0)?
            ))
        },
    )
    .await?;
    cases(
        db,
        report,
        rules::HISTORY_PRESENT,
        "SELECT d.id FROM dataset d WHERE NOT EXISTS \
         (SELECT 1 FROM disclosure_event e WHERE e.dataset_id = d.id) ORDER BY d.id",
        |r| {
            Ok(format!(
                "dataset {} has no history event",
                get::<i64>(r, 0)?
            ))
        },
    )
    .await?;
    // Each dataset's last event (history order: occurred_at, then id) and its event count.
    let last = "SELECT dataset_id, to_status, ground, listed, n FROM \
         (SELECT e.dataset_id, e.to_status, e.ground, e.listed, \
                 ROW_NUMBER() OVER (PARTITION BY e.dataset_id ORDER BY e.occurred_at DESC, e.id DESC) AS rn, \
                 COUNT(*) OVER (PARTITION BY e.dataset_id) AS n \
            FROM disclosure_event e) x WHERE rn = 1";
    cases(
        db,
        report,
        rules::DISCLOSURE_IS_LAST_EVENT,
        &format!(
            "SELECT s.dataset_id, s.status, s.ground, l.to_status, l.ground \
               FROM disclosure s JOIN ({last}) l ON l.dataset_id = s.dataset_id \
              WHERE s.status <> l.to_status \
                 OR (s.ground IS NULL) <> (l.ground IS NULL) OR s.ground <> l.ground \
              ORDER BY s.dataset_id"
        ),
        |r| {
            Ok(format!(
                "dataset {}: disclosure says {} ({}), its last event {} ({})",
                get::<i64>(r, 0)?,
                get::<String>(r, 1)?,
                opt(get(r, 2)?),
                get::<String>(r, 3)?,
                opt(get(r, 4)?)
            ))
        },
    )
    .await?;
    cases(
        db,
        report,
        rules::LISTING_IS_LAST_EVENT,
        &format!(
            "SELECT d.id, d.listed, l.listed FROM dataset d \
               JOIN ({last}) l ON l.dataset_id = d.id \
              WHERE d.listed <> l.listed ORDER BY d.id"
        ),
        |r| {
            Ok(format!(
                "dataset {}: listed is {}, its last event says {}",
                get::<i64>(r, 0)?,
                get::<bool>(r, 1)?,
                get::<bool>(r, 2)?
            ))
        },
    )
    .await?;
    cases(
        db,
        report,
        rules::VERSION_COUNTS_EVENTS,
        &format!(
            "SELECT s.dataset_id, s.version, l.n FROM disclosure s \
               JOIN ({last}) l ON l.dataset_id = s.dataset_id \
              WHERE s.version <> l.n ORDER BY s.dataset_id"
        ),
        |r| {
            Ok(format!(
                "dataset {}: version {}, {} history events",
                get::<i64>(r, 0)?,
                get::<i32>(r, 1)?,
                get::<i64>(r, 2)?
            ))
        },
    )
    .await?;
    cases(
        db,
        report,
        rules::HISTORY_CHAIN,
        "SELECT id, dataset_id, from_status, prev_to, from_listed, prev_listed FROM \
         (SELECT e.id, e.dataset_id, e.from_status, e.from_listed, \
                 LAG(e.to_status) OVER w AS prev_to, LAG(e.listed) OVER w AS prev_listed, \
                 ROW_NUMBER() OVER w AS rn \
            FROM disclosure_event e \
          WINDOW w AS (PARTITION BY e.dataset_id ORDER BY e.occurred_at, e.id)) x \
         WHERE (rn = 1 AND (from_status IS NOT NULL OR from_listed IS NOT NULL)) \
            OR (rn > 1 AND (from_status IS NULL OR from_status <> prev_to \
                            OR from_listed IS NULL OR from_listed <> prev_listed)) \
         ORDER BY dataset_id, id",
        |r| {
            let prev: Option<String> = get(r, 3)?;
            Ok(match prev {
                None => format!(
                    "event {} of dataset {} is its first but starts from {} ({})",
                    get::<i64>(r, 0)?,
                    get::<i64>(r, 1)?,
                    opt(get(r, 2)?),
                    listing(get(r, 4)?)
                ),
                Some(p) => format!(
                    "event {} of dataset {} starts from {} ({}), the event before ended at {} ({})",
                    get::<i64>(r, 0)?,
                    get::<i64>(r, 1)?,
                    opt(get(r, 2)?),
                    listing(get(r, 4)?),
                    p,
                    listing(get(r, 5)?)
                ),
            })
        },
    )
    .await
}

/// Providing opens the dataset asked for, or registers the unlisted data.
async fn provided_requests<C: ConnectionTrait>(db: &C, report: &mut Report) -> Result<(), DbErr> {
    cases(
        db,
        report,
        rules::PROVIDED_REQUESTS,
        "SELECT r.id, r.dataset_id, r.provided_dataset_id, s.status FROM data_request r \
           LEFT JOIN dataset p ON p.id = r.provided_dataset_id \
           LEFT JOIN disclosure s ON s.dataset_id = r.provided_dataset_id \
          WHERE r.state = 'PROVIDED' AND ( \
                p.id IS NULL \
             OR (r.dataset_id IS NOT NULL AND r.dataset_id <> r.provided_dataset_id) \
             OR (COALESCE(s.status, '') <> 'OPEN' AND NOT EXISTS ( \
                   SELECT 1 FROM disclosure_event e WHERE e.dataset_id = r.provided_dataset_id \
                      AND e.to_status = 'OPEN' AND e.occurred_at >= r.filed_at))) \
          ORDER BY r.id",
        |r| {
            let asked: Option<i64> = get(r, 1)?;
            let provided: Option<i64> = get(r, 2)?;
            let status: Option<String> = get(r, 3)?;
            Ok(match (asked, provided) {
                (None, None) => format!(
                    "request {}: unlisted data provided, but no provided dataset is registered",
                    get::<i64>(r, 0)?
                ),
                (Some(a), None) => format!(
                    "request {}: provided, but no provided dataset recorded (dataset {a} asked for)",
                    get::<i64>(r, 0)?
                ),
                (Some(a), Some(p)) if a != p => format!(
                    "request {}: asked for dataset {a}, provided dataset {p}",
                    get::<i64>(r, 0)?
                ),
                (_, Some(p)) if status.is_none() => format!(
                    "request {}: the provided dataset {p} does not exist",
                    get::<i64>(r, 0)?
                ),
                (_, Some(p)) => format!(
                    "request {}: provided, but dataset {p} is {} and was not opened since the request was filed",
                    get::<i64>(r, 0)?,
                    opt(status)
                ),
            })
        },
    )
    .await
}

/// Outbox ids are consecutive: readers resume after an id and must not miss one.
async fn outbox<C: ConnectionTrait>(db: &C, report: &mut Report) -> Result<(), DbErr> {
    cases(
        db,
        report,
        rules::OUTBOX_GAPLESS,
        "SELECT id, next FROM (SELECT id, LEAD(id) OVER (ORDER BY id) AS next FROM outbox) x \
          WHERE next <> id + 1 ORDER BY id",
        |r| {
            let (id, next): (i64, i64) = (get(r, 0)?, get(r, 1)?);
            Ok(format!(
                "outbox ids {} to {} are missing ({} events)",
                id + 1,
                next - 1,
                next - id - 1
            ))
        },
    )
    .await
}

/// The normalized text search reads is what the dataset's own fields give.
async fn search_text<C: ConnectionTrait>(db: &C, report: &mut Report) -> Result<(), DbErr> {
    use crate::domain::text;
    let rule = rules::SEARCH_TEXT;
    report.rule(rule);
    let mut count = 0u64;
    let mut examples = Vec::new();
    let mut after = i64::MIN;
    loop {
        let page = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT id, title, keywords, description, search_title, search_body FROM dataset \
                  WHERE id > $1 ORDER BY id LIMIT 20000",
                [after.into()],
            ))
            .await?;
        for r in &page {
            let id: i64 = get(r, 0)?;
            let title: String = get(r, 1)?;
            let keywords: String = get(r, 2)?;
            let description: String = get(r, 3)?;
            let stored_title: String = get(r, 4)?;
            let stored_body: String = get(r, 5)?;
            let wrong_title = stored_title != text::search_title(&title, &keywords);
            let wrong_body = stored_body != text::normalize(&description);
            if wrong_title || wrong_body {
                count += 1;
                if examples.len() < EXAMPLES {
                    let what = match (wrong_title, wrong_body) {
                        (true, true) => "title and description",
                        (true, false) => "title and keywords",
                        _ => "description",
                    };
                    examples.push(format!(
                        "dataset {id}: the search text of its {what} is stale"
                    ));
                }
            }
            after = id;
        }
        if page.len() < 20000 {
            break;
        }
    }
    report.add(rule, count, examples);
    Ok(())
}

/// Figures of the catalog (loaded from the database as a server loads it) against plain SQL.
async fn catalog<C: ConnectionTrait>(db: &C, report: &mut Report) -> Result<(), DbErr> {
    let rule = rules::CATALOG_FIGURES;
    report.rule(rule);
    let snap = load::everything(db, crate::events::last_id(db).await?).await?;
    let from_catalog = catalog_figures(&snap);
    let from_sql = sql_figures(db).await?;
    let mut examples = Vec::new();
    let keys: std::collections::BTreeSet<&String> =
        from_catalog.keys().chain(from_sql.keys()).collect();
    for k in keys {
        let (c, s) = (
            from_catalog.get(k).copied().unwrap_or(0),
            from_sql.get(k).copied().unwrap_or(0),
        );
        if c != s {
            examples.push(format!("{k}: the catalog counts {c}, SQL {s}"));
        }
    }
    let count = examples.len() as u64;
    examples.truncate(EXAMPLES);
    report.add(rule, count, examples);
    Ok(())
}

/// Figure name → count, from the snapshot's bitmaps and rows.
fn catalog_figures(snap: &Snapshot) -> BTreeMap<String, i64> {
    let alive = &*snap.alive;
    let n = |b: &roaring::RoaringBitmap| (b & alive).len() as i64;
    let mut out = BTreeMap::new();
    out.insert("datasets".to_string(), alive.len() as i64);
    for (name, values, maps) in [
        ("status", &snap.vocab.status, &snap.status),
        ("ground", &snap.vocab.ground, &snap.ground),
        ("category", &snap.vocab.category, &snap.category),
        ("type", &snap.vocab.dataset_type, &snap.dataset_type),
    ] {
        for (v, b) in values.iter().zip(maps) {
            out.insert(format!("{name} {v}"), n(b));
        }
    }
    out.insert("listed".into(), n(&snap.listed));
    out.insert("national core".into(), n(&snap.national_core));
    out.insert("standard".into(), n(&snap.standard));
    out.insert("synthetic".into(), n(&snap.synthetic));
    out.insert("requested".into(), n(&snap.requested));
    out.insert("with open requests".into(), n(&snap.open_requests));
    for (inst, b) in snap.insts.iter().zip(&snap.inst_rows) {
        out.insert(format!("institution {}", inst.code), n(b));
    }
    let mut openings = 0i64;
    for r in snap.opened.iter() {
        let row = snap.row(r);
        if row.alive {
            openings += row.openings.len() as i64;
        }
    }
    out.insert("openings".into(), openings);
    // The review queue once every review date has passed (a figure that does not depend on
    // today): withheld or partially open, with no legal basis or any review date.
    out.insert(
        "review queue once every review date has passed".into(),
        crate::catalog::review::count(snap, None, chrono::NaiveDate::MAX) as i64,
    );
    out.retain(|_, v| *v != 0);
    out
}

/// The same figures by plain SQL, each from its own table.
async fn sql_figures<C: ConnectionTrait>(db: &C) -> Result<BTreeMap<String, i64>, DbErr> {
    let mut out = BTreeMap::new();
    out.insert(
        "datasets".to_string(),
        scalar(db, "SELECT COUNT(*) FROM dataset").await?,
    );
    for (name, sql) in [
        (
            "status",
            "SELECT status, COUNT(*) FROM disclosure GROUP BY status",
        ),
        (
            "ground",
            "SELECT ground, COUNT(*) FROM disclosure WHERE ground IS NOT NULL GROUP BY ground",
        ),
        (
            "category",
            "SELECT category, COUNT(*) FROM dataset GROUP BY category",
        ),
        (
            "type",
            "SELECT dataset_type, COUNT(*) FROM dataset GROUP BY dataset_type",
        ),
        (
            "institution",
            "SELECT i.code, COUNT(*) FROM dataset d JOIN institution i ON i.id = d.institution_id \
             GROUP BY i.code",
        ),
    ] {
        for r in rows(db, sql).await? {
            out.insert(format!("{name} {}", get::<String>(&r, 0)?), get(&r, 1)?);
        }
    }
    let practical = <entity::enums::WithholdingGround as sea_orm::Iterable>::iter()
        .filter(|g| crate::domain::labels::ground(*g).legal_basis.is_none())
        .map(|g| format!("'{}'", sea_orm::ActiveEnum::to_value(&g)))
        .collect::<Vec<_>>()
        .join(", ");
    let open_states = crate::domain::requests::OPEN_STATES
        .iter()
        .map(|s| format!("'{}'", sea_orm::ActiveEnum::to_value(s)))
        .collect::<Vec<_>>()
        .join(", ");
    for (name, sql) in [
        (
            "listed",
            "SELECT COUNT(*) FROM dataset WHERE listed = TRUE".to_string(),
        ),
        (
            "national core",
            "SELECT COUNT(*) FROM dataset WHERE national_core = TRUE".into(),
        ),
        (
            "standard",
            "SELECT COUNT(*) FROM dataset WHERE standard = TRUE".into(),
        ),
        (
            "synthetic",
            "SELECT COUNT(*) FROM dataset WHERE provenance = 'SYNTHETIC'".into(),
        ),
        (
            "requested",
            "SELECT COUNT(DISTINCT dataset_id) FROM data_request WHERE dataset_id IS NOT NULL"
                .into(),
        ),
        (
            "with open requests",
            format!(
                "SELECT COUNT(DISTINCT dataset_id) FROM data_request \
                  WHERE dataset_id IS NOT NULL AND state IN ({open_states})"
            ),
        ),
        (
            "openings",
            "SELECT COUNT(*) FROM disclosure_event WHERE to_status = 'OPEN' \
              AND from_status IS NOT NULL AND from_status <> 'OPEN'"
                .into(),
        ),
        (
            "review queue once every review date has passed",
            format!(
                "SELECT COUNT(*) FROM disclosure WHERE status IN ('WITHHELD', 'PARTIALLY_OPEN') \
                  AND (next_review_on IS NOT NULL OR ground IN ({practical}))"
            ),
        ),
    ] {
        out.insert(name.to_string(), scalar(db, &sql).await?);
    }
    out.retain(|_, v| *v != 0);
    Ok(out)
}
