//! From an institution to its data: `Institution.datasets` (the top-level list with the
//! institution fixed), `Institution.requests` (anonymized as the top-level list),
//! `Institution.coreDataBundles`; `institutions(search, kind, orderBy)` with keyset pages in
//! every ordering; national-core and standard counts in records and top institutions. On the
//! fixture, on every backend, with the errors bad arguments give.

mod common;

use common::api::{call, code};
use common::{backends, count, gql, state, with_fixture};
use serde_json::{Value, json};

const SEOUL: &str = "6110000";
const JONGNO: &str = "3010000";
const MOIS: &str = "1741000";

fn titles(list: &Value) -> Vec<String> {
    list["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes: {list}"))
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

fn codes(list: &Value) -> Vec<String> {
    list["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("no nodes: {list}"))
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect()
}

/// An institution's datasets are the top-level list filtered by its code: the same items in
/// every ordering, the same total and facets, its own cursors; sub-institutions on request.
#[tokio::test]
async fn institution_datasets_are_the_list_with_the_institution_fixed() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let q = r#"query($code: String!, $f: DatasetFilter, $g: DatasetFilter, $s: String, $o: DatasetOrder) {
          institution(code: $code) {
            datasets(first: 10, filter: $f, search: $s, orderBy: $o) {
              totalCount nodes { title institution { code } disclosure { status } }
              facets { status { value count } category { value count } }
            }
          }
          datasets(first: 10, filter: $g, search: $s, orderBy: $o) {
            totalCount nodes { title institution { code } disclosure { status } }
            facets { status { value count } category { value count } }
          }
        }"#;
        for code in [SEOUL, JONGNO, MOIS] {
            for (f, s, o) in [
                (json!({}), json!(null), json!("TITLE")),
                (json!({ "status": ["OPEN"] }), json!(null), json!("ID")),
                (json!({}), json!("버스"), json!(null)),
                (
                    json!({ "category": ["TRANSPORT_LOGISTICS"] }),
                    json!(null),
                    json!("MOST_VIEWED"),
                ),
            ] {
                let mut g = f.clone();
                g["institutionCode"] = json!([code]);
                let v = gql(
                    &app,
                    q,
                    json!({ "code": code, "f": f, "g": g, "s": s, "o": o }),
                )
                .await;
                assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
                let mine = &v["data"]["institution"]["datasets"];
                assert_eq!(mine, &v["data"]["datasets"], "{b:?} {code} {f} {s} {o}");
                if f == json!({}) && s.is_null() {
                    let held = count(
                        &t.db,
                        &format!("SELECT COUNT(*) FROM dataset d JOIN institution i ON i.id = d.institution_id WHERE i.code = '{code}'"),
                    )
                    .await;
                    assert_eq!(mine["totalCount"], held, "{b:?} {code}");
                    assert!(held > 0);
                }
                for n in mine["nodes"].as_array().unwrap() {
                    assert_eq!(n["institution"]["code"], code, "{b:?}");
                }
            }
        }
        // Held by Seoul and, below it, by Jongno-gu.
        let v = gql(
            &app,
            &format!(
                r#"{{ institution(code: "{SEOUL}") {{
                  own: datasets {{ totalCount }}
                  below: datasets(filter: {{ includeSubInstitutions: true }}) {{ totalCount }}
                }} }}"#
            ),
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
        assert_eq!(v["data"]["institution"]["own"]["totalCount"], 4, "{b:?}");
        assert_eq!(v["data"]["institution"]["below"]["totalCount"], 8, "{b:?}");
        // Paging both ways with its own cursors walks the whole list once.
        let page = |after: Option<String>,
                    before: Option<String>,
                    first: Option<i64>,
                    last: Option<i64>| {
            let app = app.clone();
            async move {
                let v = gql(
                    &app,
                    r#"query($a: String, $b: String, $f: Int, $l: Int) { institution(code: "1741000") {
                      datasets(orderBy: TITLE, after: $a, before: $b, first: $f, last: $l) {
                        nodes { title } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                      } } }"#,
                    json!({ "a": after, "b": before, "f": first, "l": last }),
                )
                .await;
                assert!(v["errors"].is_null(), "{}", v["errors"]);
                v["data"]["institution"]["datasets"].clone()
            }
        };
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let p = page(after.clone(), None, Some(2), None).await;
            seen.extend(titles(&p));
            if p["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = p["pageInfo"]["endCursor"].as_str().map(String::from);
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "{b:?}");
        assert_eq!(seen.len(), 5, "{b:?}");
        let mut back = Vec::new();
        let mut before = None;
        loop {
            let p = page(None, before.clone(), None, Some(2)).await;
            let mut t = titles(&p);
            t.append(&mut back);
            back = t;
            if p["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = p["pageInfo"]["startCursor"].as_str().map(String::from);
        }
        assert_eq!(back, seen, "{b:?}");
        // Bad arguments: clear messages, coded, nothing else answered for the field.
        for (args, needle) in [
            (
                r#"filter: { institutionCode: ["1741000"] }"#,
                "institutionCode",
            ),
            ("first: 101", "maximum"),
            ("first: 2, last: 2", "not both"),
            (r#"after: "garbage""#, "not a cursor"),
            (r#"search: "가""#, "two characters"),
            (
                r#"filter: { registeredFrom: "2025-01-02", registeredTo: "2025-01-01" }"#,
                "after",
            ),
        ] {
            let v = gql(
                &app,
                &format!(
                    r#"{{ institution(code: "{MOIS}") {{ datasets({args}) {{ totalCount }} }} }}"#
                ),
                json!({}),
            )
            .await;
            assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{b:?} {args}: {v}");
            let msg = v["errors"][0]["message"].as_str().unwrap();
            assert!(msg.contains(needle), "{b:?} {args}: {msg}");
        }
        t.cleanup().await;
    }
}

/// `institutions(search:)` finds current Korean and English names and former names, with the
/// dataset search's normalization; `kind` narrows; every ordering pages with its own cursors.
#[tokio::test]
async fn institutions_are_found_by_name_and_ordered_by_what_they_hold() {
    for b in backends().await {
        let t = with_fixture(b).await;
        // A former name (행정안전부 was 행정자치부), and an institution that holds nothing.
        {
            use inventory::domain::registry::{InstitutionInput, upsert_institution};
            let now = chrono::Utc::now();
            for (code, name) in [
                (MOIS, "행정자치부"),
                (MOIS, "행정안전부"),
                ("1990000", "빈 위원회"),
            ] {
                let txn = inventory::db::begin_write(&t.db).await.unwrap();
                upsert_institution(
                    &txn,
                    InstitutionInput {
                        code: code.into(),
                        name: name.into(),
                        name_en: (code == MOIS)
                            .then(|| "Ministry of the Interior and Safety".into()),
                        kind: None,
                        parent_code: None,
                        parent_confirmed: false,
                    },
                    "test",
                    now,
                )
                .await
                .unwrap();
                txn.commit().await.unwrap();
            }
        }
        let app = inventory::app(state(&t.db));
        let find = |search: &'static str| {
            let app = app.clone();
            async move {
                let v = gql(
                    &app,
                    "query($s: String) { institutions(search: $s, first: 100) { totalCount nodes { code } } }",
                    json!({ "s": search }),
                )
                .await;
                assert!(v["errors"].is_null(), "{search}: {}", v["errors"]);
                let list = &v["data"]["institutions"];
                assert_eq!(list["totalCount"], list["nodes"].as_array().unwrap().len());
                codes(list)
            }
        };
        assert_eq!(find("서울").await, [SEOUL, JONGNO], "{b:?}");
        assert_eq!(find("서울 종로").await, [JONGNO], "{b:?}");
        assert_eq!(
            find("서울특별시종로구").await,
            [JONGNO],
            "{b:?}: spacing does not matter"
        );
        assert_eq!(
            find("JONGNO-GU").await,
            [JONGNO],
            "{b:?}: English, any case"
        );
        assert_eq!(find("행정자치부").await, [MOIS], "{b:?}: a former name");
        assert_eq!(find("interior 행정").await, [MOIS], "{b:?}");
        // Decomposed Hangul is composed first, as in the dataset search.
        assert_eq!(
            find("\u{1112}\u{1162}\u{11bc}\u{110c}\u{1165}\u{11bc}").await,
            [MOIS],
            "{b:?}"
        );
        assert!(find("부산").await.is_empty(), "{b:?}");
        let v = gql(
            &app,
            "{ institutions(kind: LOCAL_GOVERNMENT) { nodes { code } } }",
            json!({}),
        )
        .await;
        assert_eq!(codes(&v["data"]["institutions"]), [JONGNO], "{b:?}");

        // Orderings: Seoul holds 4 (2 open), Jongno-gu 4 (1 open, 3 withheld), the ministry 5
        // (3 open, 1 withheld), the committee none.
        let order = |o: &'static str| {
            let app = app.clone();
            async move {
                let v = gql(
                    &app,
                    "query($o: InstitutionOrder) { institutions(orderBy: $o, first: 100) { nodes { code name record { datasetsHeld withheld openShare } } } }",
                    json!({ "o": o }),
                )
                .await;
                assert!(v["errors"].is_null(), "{o}: {}", v["errors"]);
                v["data"]["institutions"].clone()
            }
        };
        let empty = "1990000";
        assert_eq!(
            codes(&order("ID").await),
            [SEOUL, JONGNO, MOIS, empty],
            "{b:?}"
        );
        assert_eq!(
            codes(&order("DATASETS_HELD").await),
            [MOIS, SEOUL, JONGNO, empty],
            "{b:?}"
        );
        assert_eq!(
            codes(&order("WITHHELD").await),
            [JONGNO, MOIS, SEOUL, empty],
            "{b:?}"
        );
        assert_eq!(
            codes(&order("OPEN_SHARE").await),
            [MOIS, SEOUL, JONGNO, empty],
            "{b:?}"
        );
        assert_eq!(
            codes(&order("OPEN_SHARE_LOWEST").await),
            [JONGNO, SEOUL, MOIS, empty],
            "{b:?}"
        );
        let by_name = order("NAME").await;
        let names: Vec<String> = by_name["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap().to_string())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{b:?}");
        // The orderings agree with the records they are described by.
        let shares = order("OPEN_SHARE").await;
        let nodes = shares["nodes"].as_array().unwrap();
        assert!(nodes[3]["record"]["openShare"].is_null(), "{b:?}");
        assert_eq!(nodes[3]["record"]["datasetsHeld"], 0, "{b:?}");
        for w in nodes[..3].windows(2) {
            assert!(w[0]["record"]["openShare"].as_f64() >= w[1]["record"]["openShare"].as_f64());
        }

        // Every ordering pages forward and backward with its cursors, one at a time.
        for o in [
            "ID",
            "NAME",
            "DATASETS_HELD",
            "WITHHELD",
            "OPEN_SHARE",
            "OPEN_SHARE_LOWEST",
        ] {
            let whole = codes(&order(o).await);
            let q = "query($o: InstitutionOrder, $a: String, $b: String, $f: Int, $l: Int) {
              institutions(orderBy: $o, after: $a, before: $b, first: $f, last: $l) {
                totalCount nodes { code } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";
            let (mut fwd, mut after) = (Vec::new(), Value::Null);
            loop {
                let v = gql(&app, q, json!({ "o": o, "a": after, "f": 1 })).await;
                assert!(v["errors"].is_null(), "{o}: {}", v["errors"]);
                let p = &v["data"]["institutions"];
                assert_eq!(p["totalCount"], 4);
                fwd.extend(codes(p));
                if p["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = p["pageInfo"]["endCursor"].clone();
            }
            assert_eq!(fwd, whole, "{b:?} {o} forward");
            let (mut back, mut before) = (Vec::new(), Value::Null);
            loop {
                let v = gql(&app, q, json!({ "o": o, "b": before, "l": 1 })).await;
                assert!(v["errors"].is_null(), "{o}: {}", v["errors"]);
                let p = &v["data"]["institutions"];
                let mut c = codes(p);
                c.append(&mut back);
                back = c;
                if p["pageInfo"]["hasPreviousPage"] != true {
                    break;
                }
                before = p["pageInfo"]["startCursor"].clone();
            }
            assert_eq!(back, whole, "{b:?} {o} backward");
        }

        // Bad arguments.
        let name_cursor = {
            let v = gql(
                &app,
                "{ institutions(orderBy: NAME, first: 1) { pageInfo { endCursor } } }",
                json!({}),
            )
            .await;
            v["data"]["institutions"]["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let id_cursor = {
            let v = gql(
                &app,
                "{ institutions(first: 1) { pageInfo { endCursor } } }",
                json!({}),
            )
            .await;
            v["data"]["institutions"]["pageInfo"]["endCursor"]
                .as_str()
                .unwrap()
                .to_string()
        };
        for (args, needle) in [
            (r#"search: "서""#.to_string(), "two characters"),
            (r#"search: "   ""#.to_string(), ""),
            ("first: 101".to_string(), "maximum"),
            (
                format!(r#"orderBy: OPEN_SHARE, after: "{name_cursor}""#),
                "another order",
            ),
            (
                format!(r#"orderBy: NAME, after: "{id_cursor}""#),
                "not a cursor",
            ),
            (format!(r#"after: "{name_cursor}""#), "not a cursor"),
            ("orderBy: POPULARITY".to_string(), "POPULARITY"),
        ] {
            let v = gql(
                &app,
                &format!("{{ institutions({args}) {{ totalCount }} }}"),
                json!({}),
            )
            .await;
            if args.contains("\"   \"") {
                // An empty search is no search.
                assert!(v["errors"].is_null(), "{b:?}: {v}");
                assert_eq!(v["data"]["institutions"]["totalCount"], 4);
                continue;
            }
            assert!(code(&v).is_some(), "{b:?} {args}: {v}");
            if !args.contains("POPULARITY") {
                assert_eq!(code(&v), Some("BAD_USER_INPUT"), "{b:?} {args}: {v}");
            }
            let msg = v["errors"][0]["message"].as_str().unwrap();
            assert!(msg.contains(needle), "{b:?} {args}: {msg}");
        }
        t.cleanup().await;
    }
}

/// National-core and standard counts: in each record and among the top institutions, equal to
/// plain counts of the institution's own datasets.
#[tokio::test]
async fn records_and_top_institutions_count_national_core_and_standard_data() {
    for b in backends().await {
        let t = with_fixture(b).await;
        // Two datasets of the ministry are standard data (before the catalog first loads).
        sea_orm::ConnectionTrait::execute_unprepared(
            &t.db,
            "UPDATE dataset SET standard = (id IN (6, 13))",
        )
        .await
        .unwrap();
        let app = inventory::app(state(&t.db));
        let v = gql(
            &app,
            "{ institutions(first: 10) { nodes { id code record { datasetsHeld nationalCore standard } } }
               stats { topInstitutions(first: 10) { institution { code } total nationalCore standard } } }",
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
        let mut checked = 0;
        for n in v["data"]["institutions"]["nodes"].as_array().unwrap() {
            let c = n["code"].as_str().unwrap();
            let of = |flag: &str| {
                format!(
                    "SELECT COUNT(*) FROM dataset d JOIN institution i ON i.id = d.institution_id WHERE i.code = '{c}' AND d.{flag}"
                )
            };
            let core = count(&t.db, &of("national_core")).await;
            let standard = count(&t.db, &of("standard")).await;
            assert_eq!(n["record"]["nationalCore"], core, "{b:?} {c}");
            assert_eq!(n["record"]["standard"], standard, "{b:?} {c}");
            let top = v["data"]["stats"]["topInstitutions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["institution"]["code"] == c)
                .unwrap();
            assert_eq!(top["nationalCore"], core, "{b:?} {c}");
            assert_eq!(top["standard"], standard, "{b:?} {c}");
            assert_eq!(top["total"], n["record"]["datasetsHeld"], "{b:?} {c}");
            checked += (core + standard > 0) as usize;
        }
        // Seoul holds 3 national-core datasets, the ministry 1 and 2 standard ones.
        assert_eq!(checked, 2, "{b:?}: {v}");
        t.cleanup().await;
    }
}

/// `Institution.requests` is `dataRequests` with the institution fixed, and hides the
/// requester exactly as it does: anonymous callers and officers of other institutions see none.
#[tokio::test]
async fn institution_requests_are_the_list_with_the_institution_fixed() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let q = r#"query($code: String!, $f: DataRequestFilter, $first: Int, $after: String) {
          institution(code: $code) {
            requests(filter: $f, first: $first, after: $after) {
              totalCount nodes { id state requester { displayName contact purpose } }
              pageInfo { hasNextPage endCursor }
            }
          }
        }"#;
        let top = r#"query($f: DataRequestFilter) {
          dataRequests(filter: $f, first: 100) { totalCount nodes { id state requester { displayName contact purpose } } }
        }"#;
        let ministry_officer = common::officer_token(&t.db, MOIS).await;
        let jongno_officer = common::officer_token(&t.db, JONGNO).await;
        for token in [
            None,
            Some(ministry_officer.as_str()),
            Some(jongno_officer.as_str()),
        ] {
            for f in [
                json!(null),
                json!({ "state": ["RECEIVED"] }),
                json!({ "overdue": false }),
            ] {
                let v = call(
                    &app,
                    token,
                    q,
                    json!({ "code": JONGNO, "f": f, "first": 100 }),
                )
                .await;
                assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
                let mine = &v["data"]["institution"]["requests"];
                let mut tf = if f.is_null() { json!({}) } else { f.clone() };
                tf["institutionCode"] = json!([JONGNO]);
                let w = call(&app, token, top, json!({ "f": tf })).await;
                assert!(w["errors"].is_null(), "{b:?}: {}", w["errors"]);
                assert_eq!(
                    mine["totalCount"], w["data"]["dataRequests"]["totalCount"],
                    "{b:?}"
                );
                assert_eq!(
                    mine["nodes"], w["data"]["dataRequests"]["nodes"],
                    "{b:?} {token:?} {f}"
                );
                let shown = mine["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|n| !n["requester"].is_null())
                    .count();
                let expected = if token == Some(jongno_officer.as_str()) {
                    mine["nodes"].as_array().unwrap().len()
                } else {
                    0
                };
                assert_eq!(shown, expected, "{b:?} {token:?}: requester personal data");
            }
        }
        let v = call(&app, None, q, json!({ "code": JONGNO })).await;
        assert_eq!(
            v["data"]["institution"]["requests"]["totalCount"], 4,
            "{b:?}"
        );
        let v = call(&app, None, q, json!({ "code": MOIS })).await;
        assert_eq!(
            v["data"]["institution"]["requests"]["totalCount"], 0,
            "{b:?}"
        );
        assert_eq!(
            v["data"]["institution"]["requests"]["nodes"],
            json!([]),
            "{b:?}"
        );
        // Paging by id with its cursors.
        let (mut ids, mut after) = (Vec::new(), Value::Null);
        loop {
            let v = call(
                &app,
                None,
                q,
                json!({ "code": JONGNO, "first": 3, "after": after }),
            )
            .await;
            assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
            let p = &v["data"]["institution"]["requests"];
            ids.extend(
                p["nodes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n["id"].clone()),
            );
            if p["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = p["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(ids.len(), 4, "{b:?}");
        // Bad arguments.
        let dataset_cursor = common::api::gid("Dataset", 1);
        for (f, extra, needle) in [
            (
                json!({ "institutionCode": [JONGNO] }),
                "",
                "institutionCode",
            ),
            (json!(null), ", first: 101", "maximum"),
            (
                json!(null),
                &*format!(r#", after: "{dataset_cursor}""#),
                "cursor",
            ),
            (
                json!({ "mine": true }),
                "",
                "Institution.requests(filter: { mine: true }) needs an API token",
            ),
        ] {
            let v = call(
                &app,
                None,
                &format!(
                    "query($f: DataRequestFilter) {{ institution(code: \"{JONGNO}\") {{ requests(filter: $f{extra}) {{ totalCount }} }} }}"
                ),
                json!({ "f": f }),
            )
            .await;
            assert!(code(&v).is_some(), "{b:?} {f} {extra}: {v}");
            let msg = v["errors"][0]["message"].as_str().unwrap().to_lowercase();
            assert!(msg.contains(&needle.to_lowercase()), "{b:?}: {msg}");
        }
        t.cleanup().await;
    }
}

/// `Institution.coreDataBundles`: the bundles it leads or holds datasets of.
#[tokio::test]
async fn institution_bundles_are_those_it_leads_or_holds_data_of() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let v = gql(
            &app,
            "{ institutions(first: 10) { nodes { code coreDataBundles { name leadInstitution { code } datasets { institution { code } } } } } }",
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
        for n in v["data"]["institutions"]["nodes"].as_array().unwrap() {
            let bundles = n["coreDataBundles"].as_array().unwrap();
            // The air-quality bundle is led by the ministry and holds a dataset of Seoul and
            // one of Jongno-gu.
            assert_eq!(bundles.len(), 1, "{b:?} {n}");
            let bundle = &bundles[0];
            assert_eq!(bundle["name"], "대기환경");
            let concerned = bundle["leadInstitution"]["code"] == n["code"]
                || bundle["datasets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["institution"]["code"] == n["code"]);
            assert!(concerned, "{b:?} {n}");
        }
        t.cleanup().await;
    }
}
