//! The search, written by hand over the same index: terms normalized like the server's
//! (NFC, lower case, no whitespace), candidates from the bigram table verified by a substring
//! test, institution names and vocabulary labels as alternatives, ranked by title hits.

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

/// The distinct bigrams of a term, sorted.
fn grams(term: &str) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    let mut g: Vec<String> = chars
        .windows(2)
        .filter(|w| !w.contains(&'\0') && !w.contains(&FIELD_SEPARATOR))
        .map(|w| w.iter().collect())
        .collect();
    g.sort();
    g.dedup();
    g
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
/// Every term's condition is an OR of alternatives (text through the bigram index, institution
/// name, vocabulary labels). Left alone, a planner cannot tell how many rows an alternative
/// such as "institutions whose name contains the term" yields and scans the whole table; so the
/// condition starts with the candidates of the most selective term, a union of index lookups,
/// which drives the plan, and the alternatives then verify each candidate.
pub fn condition_and_rank(pool: &Pool, sql: &mut Sql, terms: &[String]) -> (String, String) {
    let mut conds = Vec::new();
    let mut title_hits = Vec::new();
    let mut candidates: Option<(usize, String)> = None;
    for t in terms {
        let tp = sql.param(Param::Text(t.clone()));
        let text = format!(
            "({} OR {})",
            pool.contains("d.search_title", &tp),
            pool.contains("d.search_body", &tp)
        );
        let g = grams(t);
        let k = g.len();
        let mut alts = Vec::new();
        let mut sets = Vec::new();
        if g.is_empty() {
            alts.push(text);
        } else {
            let list: Vec<String> = g.into_iter().map(|x| sql.param(Param::Text(x))).collect();
            let set = format!(
                "SELECT dataset_id FROM search_gram WHERE gram IN ({}) \
                 GROUP BY dataset_id HAVING COUNT(*) = {k}",
                list.join(", ")
            );
            alts.push(format!("(d.id IN ({set}) AND {text})"));
            sets.push(set);
        }
        let names = format!(
            "SELECT id FROM institution WHERE {} OR {}",
            pool.contains("lower(replace(name, ' ', ''))", &tp),
            pool.contains("lower(replace(COALESCE(name_en, ''), ' ', ''))", &tp)
        );
        alts.push(format!("d.institution_id IN ({names})"));
        sets.push(format!(
            "SELECT id FROM dataset WHERE institution_id IN ({names})"
        ));
        for (table, col) in [
            (labels::CATEGORIES, "category"),
            (labels::TYPES, "dataset_type"),
        ] {
            if let Some(l) = labelled(table, t) {
                alts.push(format!("d.{col} IN ({l})"));
                sets.push(format!("SELECT id FROM dataset WHERE {col} IN ({l})"));
            }
        }
        for (table, col) in [(labels::STATUSES, "status"), (labels::GROUNDS, "ground")] {
            if let Some(l) = labelled(table, t) {
                let set = format!("SELECT dataset_id FROM disclosure WHERE {col} IN ({l})");
                alts.push(format!("d.id IN ({set})"));
                sets.push(set);
            }
        }
        conds.push(format!("({})", alts.join(" OR ")));
        title_hits.push(format!(
            "(CASE WHEN {} THEN 1 ELSE 0 END)",
            pool.contains("d.search_title", &tp)
        ));
        // A one-character term has no index entry: it never drives.
        if k > 0 && candidates.as_ref().is_none_or(|(best, _)| k > *best) {
            candidates = Some((k, sets.join(" UNION ")));
        }
    }
    if let Some((_, union)) = candidates {
        conds.insert(0, format!("d.id IN ({union})"));
    }
    let n = terms.len();
    let rank = format!(
        "(CASE ({}) WHEN {n} THEN 0 WHEN 0 THEN 2 ELSE 1 END)",
        title_hits.join(" + ")
    );
    (conds.join(" AND "), rank)
}
