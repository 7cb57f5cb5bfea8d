//! Text normalization shared by the search index and search queries.

use unicode_normalization::UnicodeNormalization;

/// Separates title from keywords in the indexed text, so no query matches across the boundary.
pub const FIELD_SEPARATOR: char = '\u{1f}';

/// Longest normalized text that is indexed, in characters (descriptions beyond are cut).
pub const MAX_INDEXED_CHARS: usize = 4000;

/// NFC, lower case, and no whitespace: "미세 먼지" and "미세먼지" normalize alike, decomposed
/// Hangul is composed, and punctuation ("COVID-19", "C++") is kept as ordinary text.
pub fn normalize(s: &str) -> String {
    // Text already in NFC (nearly all of it: precomposed Hangul is) skips the decompose and
    // recompose pass, which was most of the cost of normalizing an imported file.
    if unicode_normalization::is_nfc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
        folded(s.chars())
    } else {
        folded(s.nfc())
    }
}

/// Lower case, without whitespace or the field separator, at most [`MAX_INDEXED_CHARS`].
fn folded(chars: impl Iterator<Item = char>) -> String {
    chars
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

/// The bigrams of a normalized text, in order and with repeats: every two adjacent characters,
/// except pairs that touch a [`FIELD_SEPARATOR`] or a NUL (no query holds either). The search
/// index and search queries both cut their grams here.
pub fn bigrams(s: &str) -> impl Iterator<Item = &str> {
    let mut chars = s.char_indices().peekable();
    std::iter::from_fn(move || {
        loop {
            let (start, first) = chars.next()?;
            let &(next, second) = chars.peek()?;
            if [first, second]
                .iter()
                .any(|c| *c == FIELD_SEPARATOR || *c == '\0')
            {
                continue;
            }
            return Some(&s[start..next + second.len_utf8()]);
        }
    })
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
    fn bigrams_are_adjacent_pairs_within_a_field() {
        let grams: Vec<&str> = bigrams("버스노선\u{1f}교통").collect();
        assert_eq!(grams, ["버스", "스노", "노선", "교통"]);
        assert_eq!(bigrams("x").count(), 0);
        assert_eq!(bigrams("").count(), 0);
    }

    #[test]
    fn keywords_are_separated() {
        assert_eq!(
            search_title("버스 노선", "교통, 정류장"),
            "버스노선\u{1f}교통\u{1f}정류장"
        );
    }
}
