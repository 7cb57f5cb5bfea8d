//! Reading a portal inventory file: gzip or plain, UTF-8 or CP949, RFC 4180 CSV, row validation.

use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use entity::enums::{Category, DatasetType};
use sha2::{Digest, Sha256};

use crate::domain::labels;

/// The text of a file and facts about how it was stored.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub gzipped: bool,
    /// `UTF-8` or `CP949`.
    pub encoding: &'static str,
    pub sha256: String,
}

/// Reads and decodes a file: gzip is recognized by its magic bytes; text that is not valid UTF-8
/// is decoded as CP949 (the portal's Windows code page for Korean, a superset of EUC-KR).
pub fn read_file(path: &Path) -> std::io::Result<Decoded> {
    let raw = std::fs::read(path)?;
    decode(&raw)
}

pub fn decode(raw: &[u8]) -> std::io::Result<Decoded> {
    let sha256 = hex::encode(Sha256::digest(raw));
    let gzipped = raw.starts_with(&[0x1f, 0x8b]);
    let bytes = if gzipped {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out)?;
        out
    } else {
        raw.to_vec()
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let (text, encoding) = match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (s, _, had_errors) = encoding_rs::EUC_KR.decode(bytes);
            if had_errors {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the file is neither UTF-8 nor CP949 text",
                ));
            }
            (s.into_owned(), "CP949")
        }
    };
    Ok(Decoded {
        text,
        gzipped,
        encoding,
        sha256,
    })
}

/// The columns of the portal's inventory file, by header name.
pub const COLUMNS: [&str; 13] = [
    "목록키",
    "목록유형",
    "목록명",
    "목록설명",
    "조회수",
    "분류체계",
    "기관코드",
    "기관명",
    "국가중점여부",
    "표준데이터여부",
    "목록.등록일",
    "목록.수정일",
    "목록.URL",
];

/// One valid row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub key: String,
    pub dataset_type: DatasetType,
    pub title: String,
    pub description: String,
    pub views: Option<i64>,
    pub category: Category,
    pub institution_code: String,
    pub institution_name: String,
    pub national_core: bool,
    pub standard: bool,
    pub registered_on: Option<NaiveDate>,
    pub modified_on: Option<NaiveDate>,
    pub url: Option<String>,
}

/// A row that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

/// Something odd about a row that was still loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: u64,
    pub message: String,
}

/// Every row of the file, sorted into good rows, rejections and warnings.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Row>,
    pub rejected: Vec<Rejection>,
    pub warnings: Vec<Warning>,
}

/// Why a whole file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("the header lacks the column(s) {0}; expected the portal's inventory columns: {1}")]
    MissingColumns(String, String),
    #[error("cannot read the CSV header: {0}")]
    Header(String),
}

fn parse_date(s: &str) -> Result<Option<NaiveDate>, String> {
    let s = s.trim();
    if s.is_empty() || s == "(NULL)" {
        return Ok(None);
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Ok(Some(d));
        }
    }
    Err(format!("'{s}' is not a date (expected YYYY-MM-DD)"))
}

fn parse_flag(s: &str, column: &str) -> Result<bool, String> {
    match s.trim() {
        "Y" | "y" => Ok(true),
        "N" | "n" | "" | "(NULL)" => Ok(false),
        other => Err(format!("{column} is '{other}', expected Y or N")),
    }
}

/// Parses the CSV text into rows, rejections and warnings.
pub fn parse(text: &str) -> Result<Parsed, FormatError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| FormatError::Header(e.to_string()))?
        .clone();
    let pos = |name: &str| headers.iter().position(|h| h.trim() == name);
    let missing: Vec<_> = COLUMNS
        .iter()
        .filter(|c| pos(c).is_none())
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(FormatError::MissingColumns(
            missing.join(", "),
            COLUMNS.join(", "),
        ));
    }
    let idx: Vec<usize> = COLUMNS.iter().map(|c| pos(c).unwrap()).collect();
    let mut out = Parsed::default();
    let mut seen = std::collections::HashMap::new();
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                out.rejected.push(Rejection {
                    line,
                    reason: format!("unreadable CSV: {e}"),
                });
                continue;
            }
        };
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() != headers.len() {
            out.rejected.push(Rejection {
                line,
                reason: format!("has {} fields, the header has {}", rec.len(), headers.len()),
            });
            continue;
        }
        let f = |k: usize| rec.get(idx[k]).unwrap_or("").trim();
        match parse_row(line, &f, &mut out.warnings) {
            Ok(row) => {
                if let Some(first) = seen.insert(row.key.clone(), line) {
                    out.rejected.push(Rejection {
                        line,
                        reason: format!("key {} repeats the row on line {first}", row.key),
                    });
                } else {
                    out.rows.push(row);
                }
            }
            Err(reason) => out.rejected.push(Rejection { line, reason }),
        }
    }
    Ok(out)
}

fn parse_row<'a>(
    line: u64,
    f: &dyn Fn(usize) -> &'a str,
    warnings: &mut Vec<Warning>,
) -> Result<Row, String> {
    let key = f(0);
    if !(key.len() == 7 || key.len() == 8) || !key.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "목록키 '{key}' is not a portal key (7 or 8 digits)"
        ));
    }
    let dataset_type = match f(1) {
        "FILE" => DatasetType::File,
        "API" => DatasetType::OpenApi,
        "STD" => DatasetType::Standard,
        "LINK" => DatasetType::Linked,
        other => {
            return Err(format!(
                "목록유형 '{other}' is not one of FILE, API, STD, LINK"
            ));
        }
    };
    let title = f(2);
    if title.is_empty() {
        return Err("목록명 (title) is empty".into());
    }
    let views = match f(4) {
        "" | "(NULL)" => None,
        v => match v.replace(',', "").parse::<i64>() {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                warnings.push(Warning {
                    line,
                    message: format!("조회수 '{v}' is not a count; stored as unknown"),
                });
                None
            }
        },
    };
    let category = labels::category_from_ko(f(5))
        .ok_or_else(|| format!("분류체계 '{}' is not one of the 16 portal categories", f(5)))?;
    let institution_code = f(6);
    if institution_code.is_empty() {
        return Err("기관코드 (institution code) is empty".into());
    }
    let institution_name = f(7);
    if institution_name.is_empty() {
        return Err("기관명 (institution name) is empty".into());
    }
    let national_core = parse_flag(f(8), "국가중점여부")?;
    let standard = parse_flag(f(9), "표준데이터여부")?;
    let registered_on = parse_date(f(10)).map_err(|e| format!("목록.등록일: {e}"))?;
    let modified_on = parse_date(f(11)).map_err(|e| format!("목록.수정일: {e}"))?;
    if let (Some(r), Some(m)) = (registered_on, modified_on)
        && m < r
    {
        warnings.push(Warning {
            line,
            message: format!("key {key}: modified {m} before registered {r}; kept as given"),
        });
    }
    let url = Some(f(12))
        .filter(|u| !u.is_empty() && *u != "(NULL)")
        .map(str::to_string);
    Ok(Row {
        line,
        key: key.to_string(),
        dataset_type,
        title: title.to_string(),
        description: f(3).to_string(),
        views,
        category,
        institution_code: institution_code.to_string(),
        institution_name: institution_name.to_string(),
        national_core,
        standard,
        registered_on,
        modified_on,
        url,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "목록키,목록유형,목록명,목록설명,조회수,분류체계,기관코드,기관명,국가중점여부,표준데이터여부,목록.등록일,목록.수정일,목록.URL\n";

    #[test]
    fn cp949_is_detected() {
        let csv = format!(
            "{HEADER}15000000,API,행정안전부_버스,설명,(NULL),교통물류,1741000,행정안전부,N,N,2020-01-01,2019-01-01,\n"
        );
        let (bytes, _, _) = encoding_rs::EUC_KR.encode(&csv);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, "CP949");
        let p = parse(&d.text).unwrap();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].views, None);
        assert_eq!(
            p.warnings.len(),
            1,
            "modified before registered is a warning"
        );
    }

    #[test]
    fn bad_rows_are_named() {
        let csv = format!(
            "{HEADER}15000000,API,a,b,1,교통물류,1741000,행정안전부,N,N,2020-01-01,2020-01-01,\nabc,API,a,b,1,교통물류,1,x,N,N,2020-01-01,2020-01-01,\n15000001,API,a,b,1,우주,1,x,N,N,2020-01-01,2020-01-01,\n15000002,API\n"
        );
        let p = parse(&csv).unwrap();
        assert_eq!(p.rows.len(), 1);
        let lines: Vec<_> = p.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(p.rejected[1].reason.contains("우주"));
    }
}
