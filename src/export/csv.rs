//! CSV for spreadsheets: UTF-8 with a byte-order mark (so Excel reads Hangul), CRLF line ends,
//! a header row, provenance as a column, and formula injection neutralized.
//!
//! Every coded value (institution kind, category, type, status, ground, provenance) is the API's
//! own enum value, the one a `filter` takes (`TRANSPORT_LOGISTICS`, `BUSINESS_SECRET`), followed
//! by its Korean and English labels in columns of their own (`category_ko`, `category_en`).

use crate::domain::labels;
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::types::enums::{self as g, api_name};

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
    "institution_kind_ko",
    "institution_kind_en",
    "category",
    "category_ko",
    "category_en",
    "type",
    "type_ko",
    "type_en",
    "status",
    "status_ko",
    "status_en",
    "ground",
    "ground_ko",
    "ground_en",
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

/// Appends a coded value's three cells: the API's enum value, its Korean and English labels.
fn coded(cells: &mut Vec<String>, code: Option<String>, label: Option<labels::Label>) {
    cells.push(code.unwrap_or_default());
    cells.push(label.map(|l| l.ko.to_string()).unwrap_or_default());
    cells.push(label.map(|l| l.en.to_string()).unwrap_or_default());
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
        let mut cells: Vec<String> = vec![
            encode(NodeKind::Dataset, d.id).0,
            opt(d.portal_key.clone()),
            d.title.clone(),
            opt(r.institution.as_ref().map(|i| i.code.clone())),
            opt(r.institution.as_ref().map(|i| i.name.clone())),
        ];
        let kind = r.institution.as_ref().map(|i| i.kind);
        coded(
            &mut cells,
            kind.map(|k| api_name(g::InstitutionKind::from(k))),
            kind.map(labels::institution_kind),
        );
        coded(
            &mut cells,
            Some(api_name(g::Category::from(d.category))),
            Some(labels::category(d.category)),
        );
        coded(
            &mut cells,
            Some(api_name(g::DatasetType::from(d.dataset_type))),
            Some(labels::dataset_type(d.dataset_type)),
        );
        let status = s.map(|s| s.status);
        coded(
            &mut cells,
            status.map(|x| api_name(g::DisclosureStatus::from(x))),
            status.map(labels::status),
        );
        coded(
            &mut cells,
            ground.map(|x| api_name(g::WithholdingGround::from(x))),
            info.map(|i| i.label),
        );
        cells.extend([
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
            api_name(g::Provenance::from(d.provenance)),
            opt(d.source_file.clone()),
            d.description.clone(),
        ]);
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
