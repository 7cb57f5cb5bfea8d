//! Searching datasets: parsing the search string into normalized terms, resolving what each
//! term matches besides text (institution names, vocabulary labels), the SQL conditions, and
//! the relevance rank.
//!
//! # Search
//!
//! The query is normalized like the indexed text ([`text::normalize`]: NFC, lower case, no
//! whitespace) per whitespace-separated term; every term must match (AND). A term matches a
//! dataset when it is a substring of its title or keywords, its description, its institution's
//! Korean or English name, or the Korean or English label of its category, type, status or ground.
//! Here, in SQL, the text match is a plain substring test over the stored normalized text: this
//! is the straightforward reference that tests hold the catalog's bigram index
//! ([`crate::catalog`]) to, not a path that serves searches. A one-character term is only allowed
//! beside a longer one.
//!
//! # Ranking (`RELEVANCE`)
//!
//! 1. datasets whose title or keywords contain **every** term (rank 0),
//! 2. then those whose title or keywords contain **some** term (rank 1),
//! 3. then the rest: matches in the description, institution name or labels only (rank 2);
//!
//! ties broken by dataset id, ascending. The rank is computed from the stored normalized text, so
//! both databases give the same hits in the same order.

use entity::enums::{Category, DatasetType, DisclosureStatus, WithholdingGround};
use entity::institution;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iterable, QuerySelect};

use crate::domain::sql::{Sql, enum_values};
use crate::domain::text::{self, normalize};
use crate::domain::{Error, labels};

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

impl From<SearchError> for Error {
    fn from(e: SearchError) -> Self {
        Error::Invalid(e.to_string())
    }
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

/// The WHERE conditions of a resolved search, one per term (every term must match); their
/// parameters are bound into `sql`.
pub fn conditions(sql: &mut Sql, search: &ResolvedSearch) -> Vec<String> {
    let mut c = Vec::new();
    for t in &search.terms {
        let mut alts = Vec::new();
        let tp = sql.param(t.term.clone());
        alts.push(format!(
            "({} OR {})",
            sql.contains("d.search_title", &tp),
            sql.contains("d.search_body", &tp)
        ));
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
    c
}

/// The SQL expression of a dataset's rank (see the module docs), its parameters bound into `sql`.
pub fn relevance(sql: &mut Sql, search: &ResolvedSearch) -> String {
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
    format!("(CASE ({hits}) WHEN {n} THEN 0 WHEN 0 THEN 2 ELSE 1 END)")
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
