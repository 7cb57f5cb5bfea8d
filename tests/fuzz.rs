//! Fuzzing every parser of outside input with property tests (proptest): search text (of
//! datasets and institutions), cursors (of datasets, institutions in every ordering and their
//! nested lists) and ids, filter JSON and orderings in export URLs, and the CSV import reader. Whatever the
//! input, the answer is data or an error of the caller's with its code (`BAD_USER_INPUT`,
//! `NOT_FOUND`), never a panic, a 500 or an `INTERNAL_SERVER_ERROR`.
//!
//! The inputs mix arbitrary Unicode and bytes with inputs shaped like the real thing (base64 of
//! JSON cursors, `Kind:n` ids, filter objects with the right keys and wrong values, rows of the
//! real inventory file cut and mangled), so the generators reach past the first check. Failing
//! inputs are shrunk by proptest and printed. The API cases run on SQLite: the parsers are the
//! same on both databases, and nothing they feed reaches SQL unparsed.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::api::{call, get, urlencode};
use common::{Backend, with_demo};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

/// Cases per property.
const CASES: u32 = 200;

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Strings a caller might send: anything, text near the real vocabulary, and lossy bytes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[가-힣a-zA-Z0-9 _\\-\"'%*().,:{}\\[\\]\\\\]{0,40}",
        prop::collection::vec(any::<u8>(), 0..48)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        Just(String::new()),
        Just(" ".repeat(300)),
        Just("미세먼지 ".repeat(40)),
    ]
}

/// JSON values of any shape, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::hash_map("[a-zA-Z]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Cursors: arbitrary text, base64 of arbitrary JSON, and base64 of cursor-shaped objects.
fn cursor() -> impl Strategy<Value = String> {
    let b64 = |s: String| URL_SAFE_NO_PAD.encode(s);
    prop_oneof![
        text(),
        json_value().prop_map(move |v| b64(v.to_string())),
        (
            prop_oneof![
                Just("i".to_string()),
                Just("t".to_string()),
                Just("r".to_string()),
                Just("u".to_string()),
                Just("name".to_string()),
                Just("share".to_string()),
                text()
            ],
            any::<i64>(),
            json_value()
        )
            .prop_map(move |(o, id, k)| b64(json!({ "o": o, "id": id, "k": k }).to_string())),
    ]
}

/// Global ids: arbitrary text and `Kind:n` with known and unknown kinds.
fn global_id() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        (
            prop_oneof![
                Just("Dataset".to_string()),
                Just("Institution".to_string()),
                Just("DataRequest".to_string()),
                Just("CoreDataBundle".to_string()),
                "[A-Za-z]{0,12}",
            ],
            prop_oneof![any::<i64>().prop_map(|n| n.to_string()), text()]
        )
            .prop_map(|(k, n)| URL_SAFE_NO_PAD.encode(format!("{k}:{n}"))),
    ]
}

/// Filter JSON as an export URL carries it: any JSON, and objects with the filter's keys.
fn filter_json() -> impl Strategy<Value = String> {
    let keys = prop_oneof![
        Just("status"),
        Just("ground"),
        Just("category"),
        Just("type"),
        Just("institutionCode"),
        Just("institutionKind"),
        Just("nationalCore"),
        Just("hasLegalBasis"),
        Just("registeredFrom"),
        Just("registeredTo"),
    ];
    prop_oneof![
        text(),
        json_value().prop_map(|v| v.to_string()),
        prop::collection::vec((keys, json_value()), 0..4).prop_map(|kv| {
            Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()).to_string()
        }),
    ]
}

/// Whether a GraphQL answer is data or errors the caller caused.
fn callers_fault_at_most(v: &Value) -> Result<(), String> {
    for e in v["errors"].as_array().into_iter().flatten() {
        let code = e["extensions"]["code"].as_str().unwrap_or("none");
        if !matches!(code, "BAD_USER_INPUT" | "NOT_FOUND") {
            return Err(format!("error coded {code}: {v}"));
        }
    }
    Ok(())
}

fn fail(e: String) -> TestCaseError {
    TestCaseError::fail(e)
}

#[test]
fn search_cursors_ids_and_export_parameters_never_fail_internally() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(with_demo(Backend::Sqlite, 0.002));
    // Hundreds of requests a second: the rate limit (tested on its own) stays out of the way.
    let config = inventory::config::Config {
        rate_limit: inventory::rate_limit::Settings {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let clock = std::sync::Arc::new(inventory::clock::ManualClock::new(
        inventory::demo::demo_now(),
    ));
    let app = inventory::app(inventory::AppState::with_config(
        t.db.clone(),
        clock,
        config,
    ));

    runner()
        .run(&text(), |s| {
            let v = rt.block_on(call(
                &app,
                None,
                "query($s: String) { datasets(search: $s, first: 5) { totalCount nodes { id } \
                 facets { status { value count } } } stats(search: $s) { total } \
                 institutions(search: $s, first: 5) { totalCount nodes { code } } }",
                json!({ "s": s }),
            ));
            callers_fault_at_most(&v).map_err(fail)
        })
        .unwrap();

    let orders = prop_oneof![
        Just("ID"),
        Just("TITLE"),
        Just("RELEVANCE"),
        Just("REGISTERED_NEWEST"),
        Just("MODIFIED_NEWEST"),
        Just("MOST_VIEWED")
    ];
    runner()
        .run(&(cursor(), orders, any::<bool>()), |(c, order, back)| {
            let q = if back {
                "query($c: String, $o: DatasetOrder) { datasets(before: $c, last: 3, orderBy: $o, search: \"데이터\") { nodes { id } } }"
            } else {
                "query($c: String, $o: DatasetOrder) { datasets(after: $c, first: 3, orderBy: $o) { nodes { id } } }"
            };
            let v = rt.block_on(call(&app, None, q, json!({ "c": c, "o": order })));
            // An unknown ordering is the caller's fault too (a variable of the wrong value).
            callers_fault_at_most(&v).map_err(fail)
        })
        .unwrap();

    let institution_orders = prop_oneof![
        Just("ID"),
        Just("NAME"),
        Just("DATASETS_HELD"),
        Just("WITHHELD"),
        Just("OPEN_SHARE"),
        Just("OPEN_SHARE_LOWEST")
    ];
    runner()
        .run(
            &(cursor(), institution_orders, any::<bool>()),
            |(c, order, back)| {
                let q = if back {
                    "query($c: String, $o: InstitutionOrder) { institutions(before: $c, last: 3, orderBy: $o) { nodes { code requests(before: $c, last: 2) { totalCount } } } }"
                } else {
                    "query($c: String, $o: InstitutionOrder) { institutions(after: $c, first: 3, orderBy: $o) { nodes { code datasets(after: $c, first: 2) { nodes { id } } } } }"
                };
                let v = rt.block_on(call(&app, None, q, json!({ "c": c, "o": order })));
                callers_fault_at_most(&v).map_err(fail)
            },
        )
        .unwrap();

    runner()
        .run(&global_id(), |id| {
            let v = rt.block_on(call(
                &app,
                None,
                "query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } dataset(id: $id) { id } }",
                json!({ "id": id }),
            ));
            callers_fault_at_most(&v).map_err(fail)
        })
        .unwrap();

    runner()
        .run(
            &(
                filter_json(),
                prop::option::of(text()),
                prop::option::of(text()),
                prop::option::of(cursor()),
            ),
            |(filter, order, search, after)| {
                let mut qs = format!("filter={}", urlencode(&filter));
                if let Some(o) = &order {
                    qs.push_str(&format!("&orderBy={}", urlencode(o)));
                }
                if let Some(s) = &search {
                    qs.push_str(&format!("&search={}", urlencode(s)));
                }
                for path in ["/export/datasets.csv", "/export/catalog.jsonld"] {
                    let mut uri = format!("{path}?{qs}");
                    if path.ends_with("jsonld") {
                        uri.push_str("&first=5");
                        if let Some(a) = &after {
                            uri.push_str(&format!("&after={}", urlencode(a)));
                        }
                    }
                    let (status, _, body) = rt.block_on(get(&app, &uri));
                    match status.as_u16() {
                        200 => {}
                        400 | 404 => {
                            let v: Value = serde_json::from_slice(&body)
                                .map_err(|e| fail(format!("{uri}: {status} without JSON: {e}")))?;
                            callers_fault_at_most(&v).map_err(fail)?;
                        }
                        other => {
                            return Err(fail(format!(
                                "{uri}: status {other}: {}",
                                String::from_utf8_lossy(&body)
                            )));
                        }
                    }
                }
                Ok(())
            },
        )
        .unwrap();

    rt.block_on(t.cleanup());
}

/// The search parser alone, on far more inputs than the API cases.
#[test]
fn the_search_parser_takes_any_text() {
    let mut r = TestRunner::new(Config {
        cases: 5_000,
        failure_persistence: None,
        ..Config::default()
    });
    r.run(&text(), |s| {
        let _ = inventory::domain::datasets::Search::parse(&s);
        Ok(())
    })
    .unwrap();
}

/// The import reader on mangled copies of the real file's first rows, and on arbitrary bytes:
/// rows are read, rejected with a reason, or the file is refused with a format error; nothing
/// panics, and a parsed file accounts for every record it holds.
#[test]
fn the_import_reader_takes_any_file() {
    let real = inventory::import::reader::read_file(&common::real_inventory()).unwrap();
    let lines: Vec<String> = real.text.lines().take(40).map(String::from).collect();
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        mangled(lines.clone()),
        mangled(lines).prop_map(|b| {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&b).unwrap();
            gz.finish().unwrap()
        }),
    ];
    runner()
        .run(&bytes, |raw: Vec<u8>| {
            let Ok(decoded) = inventory::import::reader::decode(&raw) else {
                return Ok(());
            };
            if let Ok(parsed) = inventory::import::reader::parse(&decoded.text) {
                // Every row the CSV holds is either read or rejected with a reason.
                let records = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_reader(decoded.text.as_bytes())
                    .records()
                    .count();
                prop_assert_eq!(parsed.rows.len() + parsed.rejected.len(), records);
                prop_assert!(parsed.rejected.iter().all(|r| !r.reason.is_empty()));
            }
            Ok(())
        })
        .unwrap();
}

/// Copies of `lines` with up to a dozen edits (cut, insertion, a stray quote, separators
/// replaced, a line replaced), as UTF-8 or CP949 bytes.
fn mangled(lines: Vec<String>) -> BoxedStrategy<Vec<u8>> {
    (
        prop::collection::vec(
            (
                0..lines.len(),
                prop_oneof![Just(0u8), Just(1u8), Just(2u8), Just(3u8), Just(4u8)],
                text(),
                any::<prop::sample::Index>(),
            ),
            0..12,
        ),
        any::<bool>(),
    )
        .prop_map(move |(edits, cp949)| {
            let mut ls = lines.clone();
            for (k, how, s, at) in edits {
                let line = &mut ls[k];
                let cut = line
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(at.index(line.chars().count().max(1)))
                    .unwrap_or(line.len());
                match how {
                    0 => line.truncate(cut),
                    1 => line.insert_str(cut, &s),
                    2 => line.insert(cut, '"'),
                    3 => *line = line.replace(',', &s),
                    _ => *line = s,
                }
            }
            let text = ls.join("\n");
            if cp949 {
                encoding_rs::EUC_KR.encode(&text).0.into_owned()
            } else {
                text.into_bytes()
            }
        })
        .boxed()
}
