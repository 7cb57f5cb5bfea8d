//! CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel reads Hangul), CRLF line ends,
//! a header row, provenance as a column, and formula injection neutralized.

use crate::domain::labels;
use crate::graphql::ids::{NodeKind, encode};

use super::ExportRow;

/// The byte-order mark that starts the file.
pub const BOM: &str = "\u{feff}";

/// The header row.
pub const HEADER: &[&str] = &[
    "id",
    "portal_key",
    "title",
    "institution_code",
    "institution_name",
    "institution_kind",
    "category",
    "type",
    "status",
    "status_ko",
    "ground",
    "ground_label",
    "legal_basis",
    "explanation",
    "planned_open_on",
    "next_review_on",
    "national_core",
    "standard",
    "keywords",
    "registered_on",
    "modified_on",
    "views",
    "downloads",
    "open_requests",
    "portal_url",
    "listed",
    "provenance",
    "source_file",
    "description",
];

/// A cell that a spreadsheet would read as a formula gets a leading apostrophe.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn writer() -> ::csv::Writer<Vec<u8>> {
    ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(w: ::csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner().expect("writing to memory cannot fail")
}

/// The BOM and the header row.
pub fn header() -> Vec<u8> {
    let mut w = writer();
    w.write_record(HEADER).expect("in memory");
    let mut out = BOM.as_bytes().to_vec();
    out.extend(finish(w));
    out
}

/// Rows as CSV lines.
pub fn rows(rows: &[ExportRow]) -> Vec<u8> {
    let mut w = writer();
    for r in rows {
        let d = &r.dataset;
        let s = r.disclosure.as_ref();
        let ground = s.and_then(|s| s.ground);
        let info = ground.map(labels::ground);
        let opt = |v: Option<String>| v.unwrap_or_default();
        let cells: Vec<String> = vec![
            encode(NodeKind::Dataset, d.id).0,
            opt(d.portal_key.clone()),
            d.title.clone(),
            opt(r.institution.as_ref().map(|i| i.code.clone())),
            opt(r.institution.as_ref().map(|i| i.name.clone())),
            opt(r
                .institution
                .as_ref()
                .map(|i| labels::institution_kind(i.kind).en.to_string())),
            labels::category(d.category).ko.to_string(),
            labels::dataset_type(d.dataset_type).en.to_string(),
            opt(s.map(|s| sea_orm::ActiveEnum::to_value(&s.status))),
            opt(s.map(|s| labels::status(s.status).ko.to_string())),
            opt(ground.map(|g| sea_orm::ActiveEnum::to_value(&g))),
            opt(info.map(|i| i.label.en.to_string())),
            match info {
                Some(i) => i
                    .legal_basis
                    .unwrap_or("no legal basis (practical reason)")
                    .to_string(),
                None => String::new(),
            },
            opt(s.and_then(|s| s.explanation.clone())),
            opt(s.and_then(|s| s.planned_open_on.map(|d| d.to_string()))),
            opt(s.and_then(|s| s.next_review_on.map(|d| d.to_string()))),
            d.national_core.to_string(),
            d.standard.to_string(),
            d.keywords.clone(),
            opt(d.registered_on.map(|d| d.to_string())),
            opt(d.modified_on.map(|d| d.to_string())),
            opt(d.views.map(|v| v.to_string())),
            opt(d.downloads.map(|v| v.to_string())),
            r.open_requests.to_string(),
            opt(d.portal_url.clone()),
            d.listed.to_string(),
            sea_orm::ActiveEnum::to_value(&d.provenance),
            opt(d.source_file.clone()),
            d.description.clone(),
        ];
        w.write_record(cells.iter().map(|c| neutralize(c).into_owned()))
            .expect("in memory");
    }
    finish(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralize("+1"), "'+1");
        assert_eq!(neutralize("-1"), "'-1");
        assert_eq!(neutralize("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralize("버스"), "버스");
        assert_eq!(neutralize(""), "");
    }

    #[test]
    fn header_has_bom_and_crlf() {
        let h = String::from_utf8(header()).unwrap();
        assert!(h.starts_with('\u{feff}'));
        assert!(h.ends_with("\r\n"));
        assert!(h.contains("provenance"));
    }
}
