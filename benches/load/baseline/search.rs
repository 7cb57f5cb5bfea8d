//! The search, written by hand over the same tables: terms normalized like the server's (NFC,
//! lower case, no whitespace), matched as substrings of the stored normalized text, institution
//! names and vocabulary labels as alternatives, ranked by title hits.

use unicode_normalization::UnicodeNormalization;

use super::db::{Param, Pool};
use super::labels::{self, Term};

const FIELD_SEPARATOR: char = '\u{1f}';

fn normalize(s: &str) -> String {
    s.nfc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace() && *c != FIELD_SEPARATOR)
        .take(4000)
        .collect()
}

/// The normalized terms of a search string (every one must match).
pub fn terms(q: &str) -> Vec<String> {
    let mut t: Vec<String> = q
        .split_whitespace()
        .map(normalize)
        .filter(|t| !t.is_empty())
        .collect();
    t.dedup();
    t
}

/// Stored values of a vocabulary whose Korean or English label contains the term, as an SQL list
/// of literals (the values are this file's constants, never user input).
fn labelled(table: &'static [Term], term: &str) -> Option<String> {
    let hits: Vec<String> = table
        .iter()
        .filter(|t| normalize(t.ko).contains(term) || normalize(t.en).contains(term))
        .map(|t| format!("'{}'", t.stored))
        .collect();
    (!hits.is_empty()).then(|| hits.join(", "))
}

/// SQL text with its parameters.
#[derive(Default)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Param>,
}

impl Sql {
    pub fn param(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.params.len())
    }
}

/// The WHERE condition of a search (all terms), and the rank expression (0: every term in the
/// title or keywords, 1: some, 2: none), both over `dataset d`.
///
/// Every term's condition is an OR of alternatives (a substring of the normalized text,
/// institution name, vocabulary labels). The database holds no search index (the server's is in
/// its memory), so the text alternative is a scan, as any SQL over these tables must do.
pub fn condition_and_rank(pool: &Pool, sql: &mut Sql, terms: &[String]) -> (String, String) {
    let mut conds = Vec::new();
    let mut title_hits = Vec::new();
    for t in terms {
        let tp = sql.param(Param::Text(t.clone()));
        let mut alts = vec![format!(
            "({} OR {})",
            pool.contains("d.search_title", &tp),
            pool.contains("d.search_body", &tp)
        )];
        let names = format!(
            "SELECT id FROM institution WHERE {} OR {}",
            pool.contains("lower(replace(name, ' ', ''))", &tp),
            pool.contains("lower(replace(COALESCE(name_en, ''), ' ', ''))", &tp)
        );
        alts.push(format!("d.institution_id IN ({names})"));
        for (table, col) in [
            (labels::CATEGORIES, "category"),
            (labels::TYPES, "dataset_type"),
        ] {
            if let Some(l) = labelled(table, t) {
                alts.push(format!("d.{col} IN ({l})"));
            }
        }
        for (table, col) in [(labels::STATUSES, "status"), (labels::GROUNDS, "ground")] {
            if let Some(l) = labelled(table, t) {
                alts.push(format!(
                    "d.id IN (SELECT dataset_id FROM disclosure WHERE {col} IN ({l}))"
                ));
            }
        }
        conds.push(format!("({})", alts.join(" OR ")));
        title_hits.push(format!(
            "(CASE WHEN {} THEN 1 ELSE 0 END)",
            pool.contains("d.search_title", &tp)
        ));
    }
    let n = terms.len();
    let rank = format!(
        "(CASE ({}) WHEN {n} THEN 0 WHEN 0 THEN 2 ELSE 1 END)",
        title_hits.join(" + ")
    );
    (conds.join(" AND "), rank)
}
