//! Listing datasets: filters, search, orderings, keyset pages, totals and facets.
//!
//! One SQL builder serves the GraphQL list, the facets, the statistics and the exports, on SQLite
//! and PostgreSQL alike. Every query reads `dataset d JOIN disclosure s` (one disclosure per
//! dataset) and narrows it with the filter and the search.
//!
//! # Search
//!
//! The query is normalized like the indexed text ([`text::normalize`]: NFC, lower case, no
//! whitespace) per whitespace-separated term; every term must match (AND). A term matches a
//! dataset when it is a substring of its title or keywords, its description, its institution's
//! Korean or English name, or the Korean or English label of its category, type, status or ground.
//! Text candidates come from the bigram index (`search_gram`): the datasets holding every bigram of
//! the term, verified with a substring test, so a search never scans the table. A one-character
//! term is only allowed beside a longer one.
//!
//! # Ranking (`RELEVANCE`)
//!
//! 1. datasets whose title or keywords contain **every** term (rank 0),
//! 2. then those whose title or keywords contain **some** term (rank 1),
//! 3. then the rest: matches in the description, institution name or labels only (rank 2);
//!
//! ties broken by dataset id, ascending. The rank is computed from the stored normalized text, so
//! both databases give the same hits in the same order.

use chrono::NaiveDate;
use entity::enums::{Category, DatasetType, DisclosureStatus, InstitutionKind, WithholdingGround};
use entity::{dataset, institution};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Iterable,
    QuerySelect, Statement, Value,
};

use crate::domain::labels;
use crate::domain::text::{self, normalize};

/// Which datasets: every field narrows the list; `None` leaves it open.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub institution_codes: Option<Vec<String>>,
    pub include_sub_institutions: bool,
    pub institution_kinds: Option<Vec<InstitutionKind>>,
    pub categories: Option<Vec<Category>>,
    pub types: Option<Vec<DatasetType>>,
    pub statuses: Option<Vec<DisclosureStatus>>,
    pub grounds: Option<Vec<WithholdingGround>>,
    pub national_core: Option<bool>,
    pub standard: Option<bool>,
    pub synthetic: Option<bool>,
    pub listed: Option<bool>,
    pub registered_from: Option<NaiveDate>,
    pub registered_to: Option<NaiveDate>,
    pub modified_from: Option<NaiveDate>,
    pub modified_to: Option<NaiveDate>,
    pub has_open_requests: Option<bool>,
}

/// A parsed search: normalized terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub terms: Vec<String>,
}

/// Why a search string cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SearchError {
    #[error("the search is empty")]
    Empty,
    #[error("search terms need at least two characters (\"{0}\" has one); add a longer term")]
    TooShort(String),
    #[error("a search has at most {max} terms, got {got}")]
    TooManyTerms { max: usize, got: usize },
}

/// Most terms in one search.
pub const MAX_TERMS: usize = 8;

impl Search {
    /// Parses a search string. `None` when it is blank.
    pub fn parse(q: &str) -> Result<Option<Search>, SearchError> {
        let mut terms: Vec<String> = q
            .split_whitespace()
            .map(normalize)
            .filter(|t| !t.is_empty())
            .collect();
        terms.dedup();
        if terms.is_empty() {
            return if q.trim().is_empty() {
                Ok(None)
            } else {
                Err(SearchError::Empty)
            };
        }
        if terms.len() > MAX_TERMS {
            return Err(SearchError::TooManyTerms {
                max: MAX_TERMS,
                got: terms.len(),
            });
        }
        if terms.iter().all(|t| t.chars().count() < 2) {
            return Err(SearchError::TooShort(terms[0].clone()));
        }
        Ok(Some(Search { terms }))
    }

    /// The rank of a dataset (see the module docs) from its normalized title text.
    pub fn rank(&self, search_title: &str) -> i64 {
        let hits = self
            .terms
            .iter()
            .filter(|t| search_title.contains(t.as_str()))
            .count();
        if hits == self.terms.len() {
            0
        } else if hits > 0 {
            1
        } else {
            2
        }
    }
}

/// Orderings of a dataset list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Search rank, then id (the default with a search; without one, the same as `Id`).
    #[default]
    Relevance,
    Id,
    Title,
    RegisteredNewest,
    ModifiedNewest,
    MostViewed,
}

impl Order {
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Order::Relevance => "r",
            Order::Id => "i",
            Order::Title => "t",
            Order::RegisteredNewest => "g",
            Order::ModifiedNewest => "m",
            Order::MostViewed => "v",
        }
    }
}

/// One dimension of the facets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Status,
    Ground,
    Category,
    Type,
    InstitutionKind,
}

/// A dataset list: filter, search and order.
#[derive(Debug, Clone, Default)]
pub struct DatasetQuery {
    pub filter: Filter,
    pub search: Option<Search>,
    pub order: Order,
}

/// The position of a row in an ordering: the order key and the id.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// Which ordering the position belongs to.
    pub o: String,
    /// The order key (rank, title, date, views), absent for `Id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<serde_json::Value>,
    /// The dataset id.
    pub id: i64,
}

/// A keyset page request.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub after: Option<Position>,
    pub before: Option<Position>,
    pub size: usize,
    /// Page from the end (`last`).
    pub backward: bool,
}

/// A fetched page.
#[derive(Debug)]
pub struct FetchedPage {
    pub rows: Vec<(Position, dataset::Model)>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// SQL text with its `$n` parameters.
pub struct Sql {
    pub backend: DbBackend,
    pub text: String,
    pub values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder.
    pub fn param(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    /// A comma-separated list of placeholders.
    pub fn params<V: Into<Value>>(&mut self, vs: impl IntoIterator<Item = V>) -> String {
        vs.into_iter()
            .map(|v| self.param(v))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// `needle` occurs in `hay` (both SQL expressions).
    pub fn contains(&self, hay: &str, needle: &str) -> String {
        match self.backend {
            DbBackend::Postgres => format!("strpos({hay}, {needle}) > 0"),
            _ => format!("instr({hay}, {needle}) > 0"),
        }
    }

    pub fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

fn enum_values<E: ActiveEnum<Value = String>>(v: &[E]) -> Vec<String> {
    v.iter().map(|e| e.to_value()).collect()
}

/// Institutions whose normalized Korean or English name contains `term`.
async fn institutions_matching<C: ConnectionTrait>(
    db: &C,
    terms: &[String],
) -> Result<Vec<Vec<i64>>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        name: String,
        name_en: Option<String>,
    }
    let rows = institution::Entity::find()
        .select_only()
        .column(institution::Column::Id)
        .column(institution::Column::Name)
        .column(institution::Column::NameEn)
        .into_model::<Row>()
        .all(db)
        .await?;
    let names: Vec<(i64, String)> = rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                format!(
                    "{}\u{1f}{}",
                    normalize(&r.name),
                    normalize(r.name_en.as_deref().unwrap_or(""))
                ),
            )
        })
        .collect();
    Ok(terms
        .iter()
        .map(|t| {
            names
                .iter()
                .filter(|(_, n)| n.contains(t.as_str()))
                .map(|(id, _)| *id)
                .collect()
        })
        .collect())
}

/// Vocabulary values whose Korean or English label contains the term.
fn labelled<E: Copy>(
    values: impl Iterator<Item = E>,
    label: impl Fn(E) -> labels::Label,
    term: &str,
) -> Vec<E> {
    values
        .filter(|v| {
            let l = label(*v);
            normalize(l.ko).contains(term) || normalize(l.en).contains(term)
        })
        .collect()
}

/// What a search needs resolved before the SQL is built (institution and label matches).
#[derive(Debug, Clone, Default)]
pub struct ResolvedSearch {
    pub(crate) terms: Vec<TermMatch>,
}

/// One term of a resolved search and what it matches besides text.
#[derive(Debug, Clone)]
pub(crate) struct TermMatch {
    pub(crate) term: String,
    pub(crate) grams: Vec<String>,
    pub(crate) institutions: Vec<i64>,
    pub(crate) categories: Vec<Category>,
    pub(crate) types: Vec<DatasetType>,
    pub(crate) statuses: Vec<DisclosureStatus>,
    pub(crate) grounds: Vec<WithholdingGround>,
}

/// Resolves the non-text parts of a search (institution names and labels).
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    search: Option<&Search>,
) -> Result<Option<ResolvedSearch>, DbErr> {
    let Some(search) = search else {
        return Ok(None);
    };
    let insts = institutions_matching(db, &search.terms).await?;
    Ok(Some(resolve_terms(search, insts)))
}

/// Resolves a search given, per term, the ids of the institutions whose name matches it.
pub fn resolve_terms(search: &Search, institutions: Vec<Vec<i64>>) -> ResolvedSearch {
    let terms = search
        .terms
        .iter()
        .zip(institutions)
        .map(|(t, institutions)| {
            let mut grams: Vec<String> = text::bigrams(t).map(str::to_string).collect();
            grams.sort();
            grams.dedup();
            TermMatch {
                term: t.clone(),
                grams,
                institutions,
                categories: labelled(Category::iter(), labels::category, t),
                types: labelled(DatasetType::iter(), labels::dataset_type, t),
                statuses: labelled(DisclosureStatus::iter(), labels::status, t),
                grounds: labelled(WithholdingGround::iter(), |g| labels::ground(g).label, t),
            }
        })
        .collect();
    ResolvedSearch { terms }
}

/// Appends the WHERE conditions of `filter` and `search` (without the facet `skip`).
fn conditions(
    sql: &mut Sql,
    filter: &Filter,
    search: Option<&ResolvedSearch>,
    skip: &[Facet],
) -> Vec<String> {
    let mut c = Vec::new();
    if let Some(codes) = &filter.institution_codes {
        let list = sql.params(codes.iter().map(|s| s.trim().to_string()));
        if filter.include_sub_institutions {
            c.push(format!(
                "d.institution_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM institution WHERE code IN ({list}) \
                 UNION SELECT i.id FROM institution i JOIN sub ON i.parent_id = sub.id) SELECT id FROM sub)"
            ));
        } else {
            c.push(format!(
                "d.institution_id IN (SELECT id FROM institution WHERE code IN ({list}))"
            ));
        }
    }
    if let Some(kinds) = &filter.institution_kinds
        && !skip.contains(&Facet::InstitutionKind)
    {
        let list = sql.params(enum_values(kinds));
        c.push(format!(
            "d.institution_id IN (SELECT id FROM institution WHERE kind IN ({list}))"
        ));
    }
    if let Some(v) = &filter.categories
        && !skip.contains(&Facet::Category)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("d.category IN ({list})"));
    }
    if let Some(v) = &filter.types
        && !skip.contains(&Facet::Type)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("d.dataset_type IN ({list})"));
    }
    if let Some(v) = &filter.statuses
        && !skip.contains(&Facet::Status)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("s.status IN ({list})"));
    }
    if let Some(v) = &filter.grounds
        && !skip.contains(&Facet::Ground)
    {
        let list = sql.params(enum_values(v));
        c.push(format!("s.ground IN ({list})"));
    }
    for (col, v) in [
        ("d.national_core", filter.national_core),
        ("d.standard", filter.standard),
        ("d.listed", filter.listed),
    ] {
        if let Some(b) = v {
            let p = sql.param(b);
            c.push(format!("{col} = {p}"));
        }
    }
    if let Some(s) = filter.synthetic {
        let p = sql.param("SYNTHETIC");
        c.push(format!("d.provenance {} {p}", if s { "=" } else { "<>" }));
    }
    for (col, op, v) in [
        ("d.registered_on", ">=", filter.registered_from),
        ("d.registered_on", "<=", filter.registered_to),
        ("d.modified_on", ">=", filter.modified_from),
        ("d.modified_on", "<=", filter.modified_to),
    ] {
        if let Some(date) = v {
            let p = sql.param(date);
            c.push(format!("{col} {op} {p}"));
        }
    }
    if let Some(open) = filter.has_open_requests {
        let states = sql.params(
            crate::domain::requests::OPEN_STATES
                .iter()
                .map(|s| s.to_value()),
        );
        c.push(format!(
            "{} EXISTS (SELECT 1 FROM data_request r WHERE r.dataset_id = d.id AND r.state IN ({states}))",
            if open { "" } else { "NOT" }
        ));
    }
    if let Some(search) = search {
        for t in &search.terms {
            let mut alts = Vec::new();
            let tp = sql.param(t.term.clone());
            let text_match = format!(
                "({} OR {})",
                sql.contains("d.search_title", &tp),
                sql.contains("d.search_body", &tp)
            );
            if t.grams.is_empty() {
                // A one-character term beside longer ones: verified on the candidates of the others.
                alts.push(text_match);
            } else {
                let k = t.grams.len();
                let grams = sql.params(t.grams.iter().cloned());
                alts.push(format!(
                    "(d.id IN (SELECT dataset_id FROM search_gram WHERE gram IN ({grams}) \
                     GROUP BY dataset_id HAVING COUNT(*) = {k}) AND {text_match})"
                ));
            }
            if !t.institutions.is_empty() {
                let list = sql.params(t.institutions.iter().copied());
                alts.push(format!("d.institution_id IN ({list})"));
            }
            if !t.categories.is_empty() {
                let list = sql.params(enum_values(&t.categories));
                alts.push(format!("d.category IN ({list})"));
            }
            if !t.types.is_empty() {
                let list = sql.params(enum_values(&t.types));
                alts.push(format!("d.dataset_type IN ({list})"));
            }
            if !t.statuses.is_empty() {
                let list = sql.params(enum_values(&t.statuses));
                // As a subquery on `d.id`, so each alternative is an index lookup.
                alts.push(format!(
                    "d.id IN (SELECT dataset_id FROM disclosure WHERE status IN ({list}))"
                ));
            }
            if !t.grounds.is_empty() {
                let list = sql.params(enum_values(&t.grounds));
                alts.push(format!(
                    "d.id IN (SELECT dataset_id FROM disclosure WHERE ground IN ({list}))"
                ));
            }
            c.push(format!("({})", alts.join(" OR ")));
        }
    }
    c
}

/// `FROM … WHERE …` of a dataset list.
pub fn from_where(
    sql: &mut Sql,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    skip: &[Facet],
) {
    sql.push(" FROM dataset d JOIN disclosure s ON s.dataset_id = d.id");
    if skip.contains(&Facet::InstitutionKind) {
        sql.push(" JOIN institution i ON i.id = d.institution_id");
    }
    let conds = conditions(sql, &q.filter, search, skip);
    if !conds.is_empty() {
        sql.push(" WHERE ");
        sql.push(&conds.join(" AND "));
    }
}

/// The order key expression, its direction and how to read it back from a row.
fn order_key(
    order: Order,
    backend: DbBackend,
    search: Option<&ResolvedSearch>,
    sql: &mut Sql,
) -> Option<(String, bool)> {
    let date_floor = if backend == DbBackend::Postgres {
        "DATE '0001-01-01'"
    } else {
        "'0001-01-01'"
    };
    match order {
        Order::Id => None,
        Order::Relevance => {
            let search = search?;
            let n = search.terms.len();
            let hits = search
                .terms
                .iter()
                .map(|t| {
                    let p = sql.param(t.term.clone());
                    format!(
                        "(CASE WHEN {} THEN 1 ELSE 0 END)",
                        sql.contains("d.search_title", &p)
                    )
                })
                .collect::<Vec<_>>()
                .join(" + ");
            Some((
                format!("(CASE ({hits}) WHEN {n} THEN 0 WHEN 0 THEN 2 ELSE 1 END)"),
                false,
            ))
        }
        Order::Title => Some((
            if backend == DbBackend::Postgres {
                "d.title COLLATE \"C\"".into()
            } else {
                "d.title".into()
            },
            false,
        )),
        Order::RegisteredNewest => Some((format!("COALESCE(d.registered_on, {date_floor})"), true)),
        Order::ModifiedNewest => Some((format!("COALESCE(d.modified_on, {date_floor})"), true)),
        Order::MostViewed => Some(("COALESCE(d.views, -1)".into(), true)),
    }
}

/// The order key value of a row, as stored in its cursor.
fn key_of(order: Order, search: Option<&Search>, m: &dataset::Model) -> Option<serde_json::Value> {
    use serde_json::json;
    match order {
        Order::Id => None,
        Order::Relevance => search.map(|s| json!(s.rank(&m.search_title))),
        Order::Title => Some(json!(m.title)),
        Order::RegisteredNewest => Some(json!(
            m.registered_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "0001-01-01".into())
        )),
        Order::ModifiedNewest => Some(json!(
            m.modified_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "0001-01-01".into())
        )),
        Order::MostViewed => Some(json!(m.views.unwrap_or(-1))),
    }
}

fn key_value(order: Order, v: &serde_json::Value) -> Option<Value> {
    match order {
        Order::Relevance | Order::MostViewed => v.as_i64().map(Value::from),
        Order::Title => v.as_str().map(|s| Value::from(s.to_string())),
        Order::RegisteredNewest | Order::ModifiedNewest => v
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .map(Value::from),
        Order::Id => None,
    }
}

/// Errors of paging.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("this cursor belongs to a different ordering or search; start again without it")]
    CursorMismatch,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The effective ordering: relevance without a search is id order.
pub fn effective_order(q: &DatasetQuery) -> Order {
    if q.order == Order::Relevance && q.search.is_none() {
        Order::Id
    } else {
        q.order
    }
}

/// One keyset page of the list.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
    req: &PageRequest,
) -> Result<FetchedPage, PageError> {
    let backend = db.get_database_backend();
    let order = effective_order(q);
    let mut sql = Sql::new(backend);
    sql.push("SELECT d.*");
    from_where(&mut sql, q, search, &[]);
    let key = order_key(order, backend, search, &mut sql);
    let mut extra = Vec::new();
    for (pos, is_after) in [(&req.after, true), (&req.before, false)] {
        let Some(pos) = pos else { continue };
        if pos.o != order.tag() {
            return Err(PageError::CursorMismatch);
        }
        let id = sql.param(pos.id);
        // Rows strictly after (or before) the position in list order.
        let id_cmp = if is_after { ">" } else { "<" };
        match &key {
            None => extra.push(format!("d.id {id_cmp} {id}")),
            Some((expr, desc)) => {
                let v = pos
                    .k
                    .as_ref()
                    .and_then(|k| key_value(order, k))
                    .ok_or(PageError::CursorMismatch)?;
                let kp = sql.param(v);
                let key_cmp = if is_after ^ desc { ">" } else { "<" };
                extra.push(format!(
                    "({expr} {key_cmp} {kp} OR ({expr} = {kp} AND d.id {id_cmp} {id}))"
                ));
            }
        }
    }
    if !extra.is_empty() {
        sql.push(if sql.text.contains(" WHERE ") {
            " AND "
        } else {
            " WHERE "
        });
        sql.push(&extra.join(" AND "));
    }
    let flip = req.backward;
    let dir = |desc: bool| if desc ^ flip { "DESC" } else { "ASC" };
    sql.push(" ORDER BY ");
    if let Some((expr, desc)) = &key {
        sql.push(&format!("{expr} {}, ", dir(*desc)));
    }
    sql.push(&format!("d.id {} LIMIT {}", dir(false), req.size + 1));
    let mut rows = dataset::Entity::find()
        .from_raw_sql(sql.statement())
        .all(db)
        .await?;
    let more = rows.len() > req.size;
    rows.truncate(req.size);
    if req.backward {
        rows.reverse();
    }
    let plain = q.search.as_ref();
    let rows = rows
        .into_iter()
        .map(|m| {
            (
                Position {
                    o: order.tag().to_string(),
                    k: key_of(order, plain, &m),
                    id: m.id,
                },
                m,
            )
        })
        .collect();
    let (has_previous, has_next) = if req.backward {
        (more, req.before.is_some())
    } else {
        (req.after.is_some(), more)
    };
    Ok(FetchedPage {
        rows,
        has_previous,
        has_next,
    })
}

/// How many datasets match.
pub async fn count<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
) -> Result<u64, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT COUNT(*) AS n");
    from_where(&mut sql, q, search, &[]);
    let row = db.query_one_raw(sql.statement()).await?;
    Ok(row
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0) as u64)
}

/// Every facet dimension.
pub const ALL_FACETS: &[Facet] = &[
    Facet::Status,
    Facet::Ground,
    Facet::Category,
    Facet::Type,
    Facet::InstitutionKind,
];

/// Datasets counted per combination of the five facet values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub status: String,
    pub ground: Option<String>,
    pub category: String,
    pub dataset_type: String,
    pub kind: String,
    pub n: u64,
}

/// Counts per combination of facet values for the query **without** its facet conditions, in
/// one scan. [`facet_counts`] then applies the facet conditions in memory, leaving out each
/// facet's own, which gives exactly what one query per facet would.
pub async fn facet_groups<C: ConnectionTrait>(
    db: &C,
    q: &DatasetQuery,
    search: Option<&ResolvedSearch>,
) -> Result<Vec<Group>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT s.status, s.ground, d.category, d.dataset_type, i.kind, COUNT(*) AS n");
    from_where(&mut sql, q, search, ALL_FACETS);
    sql.push(" GROUP BY s.status, s.ground, d.category, d.dataset_type, i.kind");
    let rows = db.query_all_raw(sql.statement()).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Group {
                status: r.try_get_by_index(0)?,
                ground: r.try_get_by_index(1)?,
                category: r.try_get_by_index(2)?,
                dataset_type: r.try_get_by_index(3)?,
                kind: r.try_get_by_index(4)?,
                n: r.try_get_by_index::<i64>(5)? as u64,
            })
        })
        .collect()
}

fn allowed<E: ActiveEnum<Value = String>>(list: &Option<Vec<E>>, v: Option<&str>) -> bool {
    match list {
        None => true,
        Some(l) => v.is_some_and(|v| l.iter().any(|e| e.to_value() == v)),
    }
}

fn passes(g: &Group, f: &Filter, except: Option<Facet>) -> bool {
    (except == Some(Facet::Status) || allowed(&f.statuses, Some(&g.status)))
        && (except == Some(Facet::Ground) || allowed(&f.grounds, g.ground.as_deref()))
        && (except == Some(Facet::Category) || allowed(&f.categories, Some(&g.category)))
        && (except == Some(Facet::Type) || allowed(&f.types, Some(&g.dataset_type)))
        && (except == Some(Facet::InstitutionKind) || allowed(&f.institution_kinds, Some(&g.kind)))
}

/// Datasets matching the whole query, from its groups.
pub fn total_from_groups(groups: &[Group], f: &Filter) -> u64 {
    groups
        .iter()
        .filter(|g| passes(g, f, None))
        .map(|g| g.n)
        .sum()
}

/// Counts per value of one dimension for the whole query (every condition applied).
pub fn totals_by(groups: &[Group], f: &Filter, facet: Facet) -> Vec<(String, u64)> {
    let all: Vec<Group> = groups
        .iter()
        .filter(|g| passes(g, f, None))
        .cloned()
        .collect();
    facet_counts(&all, &Filter::default(), facet)
}

/// Counts per value of one facet, for the query without its own condition on that facet (so a
/// sidebar shows what choosing another value would give); most frequent first, then by value.
/// Values with no dataset are left out; the ground facet counts only datasets that have one.
pub fn facet_counts(groups: &[Group], f: &Filter, facet: Facet) -> Vec<(String, u64)> {
    let mut acc: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for g in groups.iter().filter(|g| passes(g, f, Some(facet))) {
        let key = match facet {
            Facet::Status => Some(g.status.as_str()),
            Facet::Ground => g.ground.as_deref(),
            Facet::Category => Some(g.category.as_str()),
            Facet::Type => Some(g.dataset_type.as_str()),
            Facet::InstitutionKind => Some(g.kind.as_str()),
        };
        if let Some(k) = key {
            *acc.entry(k).or_default() += g.n;
        }
    }
    let mut v: Vec<(String, u64)> = acc.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_normalized_into_terms() {
        let s = Search::parse("  미세 먼지 ").unwrap().unwrap();
        assert_eq!(s.terms, vec!["미세", "먼지"]);
        assert_eq!(
            Search::parse("COVID-19").unwrap().unwrap().terms,
            vec!["covid-19"]
        );
        assert_eq!(Search::parse("C++").unwrap().unwrap().terms, vec!["c++"]);
        assert_eq!(Search::parse("   ").unwrap(), None);
        assert!(matches!(Search::parse("버"), Err(SearchError::TooShort(_))));
        assert!(Search::parse("버 스정류장").unwrap().is_some());
    }

    #[test]
    fn rank_prefers_titles_with_every_term() {
        let s = Search::parse("미세 먼지").unwrap().unwrap();
        assert_eq!(s.rank("지역별미세먼지측정정보"), 0);
        assert_eq!(s.rank("미세플라스틱"), 1);
        assert_eq!(s.rank("대기질"), 2);
    }
}
