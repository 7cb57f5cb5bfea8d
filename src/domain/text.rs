//! Text normalization shared by the search index and search queries.

use unicode_normalization::UnicodeNormalization;

/// Separates title from keywords in the indexed text, so no query matches across the boundary.
pub const FIELD_SEPARATOR: char = '\u{1f}';

/// Longest normalized text that is indexed, in characters (descriptions beyond are cut).
pub const MAX_INDEXED_CHARS: usize = 4000;

/// NFC, lower case, and no whitespace: "미세 먼지" and "미세먼지" normalize alike, decomposed
/// Hangul is composed, and punctuation ("COVID-19", "C++") is kept as ordinary text.
pub fn normalize(s: &str) -> String {
    s.nfc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace() && *c != FIELD_SEPARATOR)
        .take(MAX_INDEXED_CHARS)
        .collect()
}

/// The indexed title text: normalized title and keywords, separated.
pub fn search_title(title: &str, keywords: &str) -> String {
    let mut s = normalize(title);
    for k in keywords.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        s.push(FIELD_SEPARATOR);
        s.push_str(&normalize(k));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_case_and_nfc_do_not_matter() {
        assert_eq!(normalize("미세 먼지"), "미세먼지");
        assert_eq!(normalize("COVID-19 현황"), "covid-19현황");
        // "한" decomposed into conjoining jamo composes back.
        assert_eq!(normalize("\u{1112}\u{1161}\u{11ab}"), "한");
    }

    #[test]
    fn keywords_are_separated() {
        assert_eq!(
            search_title("버스 노선", "교통, 정류장"),
            "버스노선\u{1f}교통\u{1f}정류장"
        );
    }
}
