//! The read API over the fixed fixture, on every backend: search, facets, orderings, paging,
//! statistics, institution records, and identical answers on SQLite and PostgreSQL.

mod common;

use common::{Backend, backends, gql, state, with_fixture};
use serde_json::{Value, json};

/// Portal keys of the datasets a search returns, in order (fixture dataset n has key 1500000n-1).
async fn search_keys(app: &axum::Router, search: &str, filter: Value) -> Result<Vec<usize>, Value> {
    let q = "query($s: String, $f: DatasetFilter) { datasets(search: $s, filter: $f, first: 100) { totalCount nodes { portalKey } } }";
    let v = gql(app, q, json!({ "s": search, "f": filter })).await;
    if !v["errors"].is_null() {
        return Err(v["errors"][0].clone());
    }
    let nodes = v["data"]["datasets"]["nodes"].as_array().unwrap();
    assert_eq!(
        v["data"]["datasets"]["totalCount"].as_u64().unwrap() as usize,
        nodes.len(),
        "{search}"
    );
    Ok(nodes
        .iter()
        .map(|n| {
            n["portalKey"].as_str().unwrap()[4..]
                .parse::<usize>()
                .unwrap()
                + 1
        })
        .collect())
}

fn nfd(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd().collect()
}

#[tokio::test]
async fn search_finds_korean_substrings_regardless_of_spacing_and_normalization() {
    let mut per_backend = Vec::new();
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let none = json!(null);
        let mut answers = Vec::new();
        let cases: Vec<(String, Value, Vec<usize>)> = vec![
            // Titles with every term first (by id), then description-only matches.
            ("미세먼지".into(), none.clone(), vec![1, 2, 3]),
            ("미세 먼지".into(), none.clone(), vec![1, 2, 3]),
            (nfd("미세먼지"), none.clone(), vec![1, 2, 3]),
            ("미세먼".into(), none.clone(), vec![1, 2, 3]),
            ("미세먼지측정".into(), none.clone(), vec![1]),
            ("버스".into(), none.clone(), vec![4, 5, 11]),
            (
                "버스".into(),
                json!({ "status": ["WITHHELD"] }),
                vec![4, 11],
            ),
            // Stored decomposed, found composed.
            ("교통사고".into(), none.clone(), vec![8]),
            // Title and keyword hits, then the other datasets labelled 교통물류.
            ("교통".into(), none.clone(), vec![4, 8, 9, 5, 11]),
            ("COVID-19".into(), none.clone(), vec![6]),
            ("covid".into(), none.clone(), vec![6]),
            ("C++".into(), none.clone(), vec![7]),
            ("=SUM(1,2)".into(), none.clone(), vec![13]),
            ("--".into(), none.clone(), vec![]),
            ("\"미세먼지\" OR 1=1".into(), none.clone(), vec![]),
            // Institution names, Korean and English.
            ("종로구".into(), none.clone(), vec![2, 3, 4, 11]),
            ("jongno".into(), none.clone(), vec![2, 3, 4, 11]),
            ("seoul".into(), none.clone(), vec![1, 5, 8, 9]),
            // English labels of categories and grounds.
            ("weather".into(), none.clone(), vec![1, 2, 3, 10]),
            ("personal information".into(), none.clone(), vec![6, 11]),
            // A one-character term beside a longer one narrows it.
            ("버스 노".into(), none.clone(), vec![4]),
        ];
        for (search, filter, want) in cases {
            let got = search_keys(&app, &search, filter.clone())
                .await
                .unwrap_or_else(|e| panic!("{search}: {e}"));
            assert_eq!(got, want, "{b:?}: search {search:?} with {filter}");
            answers.push(got);
        }
        // A lone single character is refused with a message that says why.
        let err = search_keys(&app, "버", none.clone()).await.unwrap_err();
        assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
        assert!(
            err["message"].as_str().unwrap().contains("two characters"),
            "{err}"
        );
        per_backend.push(answers);
        t.cleanup().await;
    }
    for other in &per_backend[1..] {
        assert_eq!(other, &per_backend[0], "backends disagree");
    }
}

#[tokio::test]
async fn facets_and_totals_follow_filter_and_search() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let q = r#"query($f: DatasetFilter) { datasets(search: "버스", filter: $f, first: 1) {
            totalCount
            facets { status { value count label labelKo } ground { value count } category { value count } type { value count } institutionKind { value count } }
        } }"#;
        let v = gql(&app, q, json!({ "f": { "status": ["WITHHELD"] } })).await;
        let d = &v["data"]["datasets"];
        assert_eq!(d["totalCount"], 2, "{v}");
        // The status facet ignores the status filter: it shows what choosing OPEN would give.
        assert_eq!(
            d["facets"]["status"],
            json!([
                { "value": "WITHHELD", "count": 2, "label": "Withheld", "labelKo": "비개방" },
                { "value": "OPEN", "count": 1, "label": "Open", "labelKo": "개방" },
            ]),
            "{b:?}"
        );
        assert_eq!(
            d["facets"]["ground"],
            json!([
                { "value": "PERSONAL_INFORMATION", "count": 1 },
                { "value": "BUSINESS_SECRET", "count": 1 },
            ])
        );
        assert_eq!(
            d["facets"]["category"],
            json!([{ "value": "TRANSPORT_LOGISTICS", "count": 2 }])
        );
        assert_eq!(
            d["facets"]["institutionKind"],
            json!([{ "value": "LOCAL_GOVERNMENT", "count": 2 }])
        );

        // Sub-institutions on request.
        let q2 = "query($f: DatasetFilter) { datasets(filter: $f) { totalCount } }";
        let v = gql(&app, q2, json!({ "f": { "institutionCode": ["6110000"] } })).await;
        assert_eq!(v["data"]["datasets"]["totalCount"], 4);
        let v = gql(
            &app,
            q2,
            json!({ "f": { "institutionCode": ["6110000"], "includeSubInstitutions": true } }),
        )
        .await;
        assert_eq!(v["data"]["datasets"]["totalCount"], 8);
        let v = gql(&app, q2, json!({ "f": { "hasOpenRequests": true } })).await;
        assert_eq!(v["data"]["datasets"]["totalCount"], 2);
        let v = gql(
            &app,
            q2,
            json!({ "f": { "registeredFrom": "2020-06-01", "registeredTo": "2020-09-30" } }),
        )
        .await;
        assert_eq!(v["data"]["datasets"]["totalCount"], 4, "{v}");
        let v = gql(
            &app,
            q2,
            json!({ "f": { "registeredFrom": "2021-01-01", "registeredTo": "2020-01-01" } }),
        )
        .await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        t.cleanup().await;
    }
}

#[tokio::test]
async fn relevance_pages_forward_and_backward() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let q = r#"query($after: String, $before: String, $first: Int, $last: Int, $order: DatasetOrder) {
            datasets(search: "교통", orderBy: $order, after: $after, before: $before, first: $first, last: $last) {
                pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
                edges { cursor node { portalKey } }
            } }"#;
        let keys = |v: &Value| -> Vec<String> {
            v["data"]["datasets"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["portalKey"].as_str().unwrap().to_string())
                .collect()
        };
        let p1 = gql(&app, q, json!({ "first": 2 })).await;
        assert!(p1["errors"].is_null(), "{p1}");
        assert_eq!(keys(&p1), ["15000003", "15000007"], "{p1}");
        assert_eq!(p1["data"]["datasets"]["pageInfo"]["hasNextPage"], true);
        let p2 = gql(
            &app,
            q,
            json!({ "first": 2, "after": p1["data"]["datasets"]["pageInfo"]["endCursor"] }),
        )
        .await;
        assert_eq!(keys(&p2), ["15000008", "15000004"]);
        let p3 = gql(
            &app,
            q,
            json!({ "first": 2, "after": p2["data"]["datasets"]["pageInfo"]["endCursor"] }),
        )
        .await;
        assert_eq!(keys(&p3), ["15000010"]);
        assert_eq!(p3["data"]["datasets"]["pageInfo"]["hasNextPage"], false);
        let back = gql(
            &app,
            q,
            json!({ "last": 2, "before": p3["data"]["datasets"]["pageInfo"]["startCursor"] }),
        )
        .await;
        assert_eq!(keys(&back), ["15000008", "15000004"]);
        assert_eq!(
            back["data"]["datasets"]["pageInfo"]["hasPreviousPage"],
            true
        );
        // A cursor of one ordering is refused by another.
        let bad = gql(&app, q, json!({ "first": 2, "order": "TITLE", "after": p1["data"]["datasets"]["pageInfo"]["endCursor"] })).await;
        assert_eq!(
            bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad}"
        );
        let bad = gql(&app, q, json!({ "first": 2, "after": "garbage" })).await;
        assert_eq!(
            bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad}"
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn a_cursor_of_another_list_is_refused() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let cursor = |v: &Value, list: &str| v["data"][list]["pageInfo"]["endCursor"].clone();
        let v = gql(
            &app,
            "{ institutions(first: 1) { pageInfo { endCursor } } dataRequests(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
        let institution = cursor(&v, "institutions");
        let request = cursor(&v, "dataRequests");
        assert!(institution.is_string() && request.is_string(), "{v}");
        // Each list takes its own cursors, forward and backward.
        for (list, own) in [("institutions", &institution), ("dataRequests", &request)] {
            for arg in ["after", "before"] {
                let q = format!("query($c: String) {{ {list}({arg}: $c) {{ totalCount }} }}");
                let v = gql(&app, &q, json!({ "c": own })).await;
                assert!(v["errors"].is_null(), "{b:?} {list} {arg}: {v}");
            }
        }
        // A cursor of another list is refused, naming both lists, forward and backward.
        for (list, kind) in [
            ("plans", "Plan"),
            ("commitments", "Commitment"),
            ("milestones", "Milestone"),
            ("coreDataBundles", "CoreDataBundle"),
            ("dataRequests", "DataRequest"),
        ] {
            for arg in ["after", "before"] {
                let q = format!("query($c: String) {{ {list}({arg}: $c) {{ totalCount }} }}");
                let v = gql(&app, &q, json!({ "c": institution })).await;
                assert_eq!(
                    v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                    "{b:?} {list} {arg}: {v}"
                );
                let msg = v["errors"][0]["message"].as_str().unwrap();
                assert!(
                    msg.contains("Institution") && msg.contains(kind),
                    "{b:?} {list} {arg}: {msg}"
                );
                assert!(v["data"].is_null(), "{b:?} {list} {arg}: {v}");
            }
        }
        let v = gql(
            &app,
            "query($c: String) { institutions(after: $c) { totalCount } }",
            json!({ "c": request }),
        )
        .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
        // Dataset positions and ids do not mix either.
        let v = gql(
            &app,
            "query($c: String) { datasets(after: $c) { totalCount } }",
            json!({ "c": institution }),
        )
        .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
        let d = gql(
            &app,
            "{ datasets(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
        let v = gql(
            &app,
            "query($c: String) { institutions(after: $c) { totalCount } }",
            json!({ "c": cursor(&d, "datasets") }),
        )
        .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
        t.cleanup().await;
    }
}

#[tokio::test]
async fn every_ordering_is_identical_on_every_backend_and_pages_cleanly() {
    let mut results = Vec::new();
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let mut per = Vec::new();
        for order in [
            "ID",
            "TITLE",
            "REGISTERED_NEWEST",
            "MODIFIED_NEWEST",
            "MOST_VIEWED",
            "RELEVANCE",
        ] {
            // Page by 3 and compare with one page of everything.
            let q = "query($o: DatasetOrder, $after: String, $n: Int) { datasets(orderBy: $o, after: $after, first: $n) { pageInfo { hasNextPage endCursor } nodes { portalKey } } }";
            let all = gql(&app, q, json!({ "o": order, "n": 100 })).await;
            let all: Vec<String> = all["data"]["datasets"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["portalKey"].as_str().unwrap().into())
                .collect();
            let mut paged = Vec::new();
            let mut after = Value::Null;
            loop {
                let v = gql(&app, q, json!({ "o": order, "n": 3, "after": after })).await;
                let c = &v["data"]["datasets"];
                paged.extend(
                    c["nodes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|n| n["portalKey"].as_str().unwrap().to_string()),
                );
                if c["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = c["pageInfo"]["endCursor"].clone();
            }
            assert_eq!(paged, all, "{b:?} {order}");
            assert_eq!(all.len(), common::fixture::DATASETS.len());
            per.push((order, all));
        }
        results.push(per);
        t.cleanup().await;
    }
    for other in &results[1..] {
        assert_eq!(other, &results[0], "backends order differently");
    }
}

/// The whole story of the fixture as one response, compared with `tests/snapshots/fixture.json`
/// (written with `UPDATE_SNAPSHOTS=1`) and identical on every backend.
#[tokio::test]
async fn fixture_snapshot() {
    // 20 datasets (the fixture has 13): nested lists count their page size toward the
    // complexity limit, and 100 datasets with 20 history entries and 20 requests each is over it.
    let q = r#"{
      datasets(first: 20) {
        totalCount
        nodes {
          portalKey title description category categoryLabel { label labelKo } type keywords nationalCore standard
          registeredOn modifiedOn views downloads portalUrl listed provenance synthetic sourceFile
          institution { code name nameEn kind parent { code name } parentConfirmed }
          disclosure { status statusLabel { label labelKo } accessRights ground { ground label labelKo hasLegalBasis legalProvision } explanation plannedOpenOn version }
          history { fromStatus toStatus ground { ground } actor occurredAt }
          requests { state stateLabel { label } decisionDueOn overdue supporterCount }
          coreDataBundles { name nameEn round roundPeriod releaseYear }
        }
      }
      institutions(first: 10) {
        nodes {
          code name kind
          subInstitutions { code }
          formerNames { name }
          record { datasetsHeld open withheld partiallyOpen openShare requestsPending requestsOverdue grounds { value count } }
        }
      }
      stats {
        total
        byStatus { value count }
        byGround { value count }
        legalVsPractical { legal practical }
        byCategory { value count }
        byInstitutionKind { value count }
        topInstitutions(first: 2) { institution { code } total open withheld }
        openingsPerMonth { month count }
        mostDemanded(first: 3) { dataset { portalKey } requests supporters }
        requestOutcomes { state count }
        turnaround { decided averageDays decidedWithinDeadline overdue }
      }
    }"#;
    let mut bodies = Vec::new();
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let mut v = gql(&app, q, json!({})).await;
        assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
        // The caller's rate-limit figures change with the clock.
        v.as_object_mut().unwrap().remove("extensions");
        bodies.push((b, v));
        t.cleanup().await;
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/fixture.json");
    let pretty = serde_json::to_string_pretty(&bodies[0].1).unwrap() + "\n";
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &pretty).unwrap();
    }
    let stored =
        std::fs::read_to_string(&path).expect("snapshot missing: run with UPDATE_SNAPSHOTS=1");
    assert_eq!(
        pretty, stored,
        "the fixture answer changed; review and run with UPDATE_SNAPSHOTS=1"
    );
    for (b, v) in &bodies[1..] {
        assert_eq!(
            v, &bodies[0].1,
            "{b:?} answers differently from {:?}",
            bodies[0].0
        );
    }
    // A few facts the snapshot must show, checked in plain code too.
    let v = &bodies[0].1;
    assert_eq!(v["data"]["stats"]["total"], 13);
    assert_eq!(v["data"]["stats"]["mostDemanded"][0]["requests"], 3);
    assert_eq!(v["data"]["stats"]["mostDemanded"][0]["supporters"], 3);
    let seoul = &v["data"]["institutions"]["nodes"][0];
    assert_eq!(seoul["subInstitutions"][0]["code"], "3010000");
    let practical = v["data"]["datasets"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["title"] == "환경 데이터")
        .unwrap();
    assert_eq!(practical["disclosure"]["ground"]["hasLegalBasis"], false);
    assert!(practical["disclosure"]["ground"]["legalProvision"].is_null());
}

#[tokio::test]
async fn requesters_never_appear_in_public_views() {
    let t = with_fixture(Backend::Sqlite).await;
    let app = inventory::app(state(&t.db));
    let v = gql(&app, "{ dataRequests(first: 100) { nodes { id state dataset { title } institution { name } } } datasets(first: 100) { nodes { requests { id state } } } }", json!({})).await;
    let text = v.to_string();
    for n in 0..4 {
        assert!(
            !text.contains(&format!("citizen{n}@example.org")),
            "contact leaked"
        );
        assert!(!text.contains(&format!("시민{n}")), "name leaked");
    }
    // The type has no field that could carry them.
    let v = gql(
        &app,
        r#"{ __type(name: "DataRequest") { fields { name } } }"#,
        json!({}),
    )
    .await;
    let fields: Vec<&str> = v["data"]["__type"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    // The requester sits behind `requester`, which is null for the public (see tests/access.rs).
    let v = gql(
        &app,
        "{ dataRequests(first: 100) { nodes { requester { displayName } } } }",
        json!({}),
    )
    .await;
    assert!(
        v["data"]["dataRequests"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["requester"].is_null()),
        "{v}"
    );
    for banned in ["requesterId", "contact", "displayName", "purpose"] {
        assert!(!fields.contains(&banned), "DataRequest exposes {banned}");
    }
    t.cleanup().await;
}

/// A disclosure event's global id is a node id: `node` and `nodes` find it again, as the
/// `Node` interface, with its dataset.
#[tokio::test]
async fn disclosure_events_are_nodes() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let v = gql(
            &app,
            "{ datasets(first: 2) { nodes { id title history { id toStatus } } } }",
            json!({}),
        )
        .await;
        assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
        let d = &v["data"]["datasets"]["nodes"][0];
        let event = d["history"][0]["id"].as_str().unwrap().to_string();
        let q = r#"query($id: ID!, $ids: [ID!]!) {
          node(id: $id) { __typename id ... on DisclosureEvent { toStatus dataset { id title } } }
          nodes(ids: $ids) { __typename id }
        }"#;
        let v = gql(
            &app,
            q,
            json!({ "id": event, "ids": [event, d["id"], event] }),
        )
        .await;
        assert!(v["errors"].is_null(), "{b:?}: {}", v["errors"]);
        assert_eq!(v["data"]["node"]["__typename"], "DisclosureEvent");
        assert_eq!(v["data"]["node"]["id"], event.as_str());
        assert_eq!(v["data"]["node"]["toStatus"], d["history"][0]["toStatus"]);
        assert_eq!(v["data"]["node"]["dataset"]["id"], d["id"]);
        let kinds: Vec<&str> = v["data"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["__typename"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["DisclosureEvent", "Dataset", "DisclosureEvent"]);
        // An event id that does not exist is NOT_FOUND, as for every other kind.
        let missing = inventory::graphql::ids::encode(
            inventory::graphql::ids::NodeKind::DisclosureEvent,
            999_999_999,
        );
        let v = gql(
            &app,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": missing.0 }),
        )
        .await;
        assert_eq!(v["errors"][0]["extensions"]["code"], "NOT_FOUND", "{v}");
        // The interface lists it.
        let v = gql(
            &app,
            r#"{ __type(name: "Node") { possibleTypes { name } } }"#,
            json!({}),
        )
        .await;
        assert!(
            v["data"]["__type"]["possibleTypes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["name"] == "DisclosureEvent"),
            "{v}"
        );
        t.cleanup().await;
    }
}

/// Plan, commitment, milestone and target link to each other; a commitment rolls up its
/// milestones' completion.
#[tokio::test]
async fn plans_commitments_milestones_and_targets_link_both_ways() {
    let t = common::with_demo(Backend::Sqlite, 0.01).await;
    let app = inventory::app(state(&t.db));
    let v = gql(
        &app,
        r#"{
          commitments(first: 100) {
            nodes {
              id code
              plan { id name }
              leadInstitution { name }
              milestoneCompletion { total notStarted limited substantial completed completedShare }
              milestones { completion commitment { id } }
            }
          }
          plans(first: 100) { nodes { id commitments { id } } }
          targets { title plan { id } commitment { code } }
        }"#,
        json!({}),
    )
    .await;
    assert!(v["errors"].is_null(), "{}", v["errors"]);
    let commitments = v["data"]["commitments"]["nodes"].as_array().unwrap();
    assert!(!commitments.is_empty());
    let mut rated = 0;
    for c in commitments {
        let plan = c["plan"]["id"]
            .as_str()
            .expect("demo commitments have a plan");
        // The plan lists the commitment back.
        let p = v["data"]["plans"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == plan)
            .unwrap();
        assert!(
            p["commitments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["id"] == c["id"])
        );
        let ms = c["milestones"].as_array().unwrap();
        let roll = &c["milestoneCompletion"];
        assert_eq!(roll["total"], ms.len());
        let completed = ms.iter().filter(|m| m["completion"] == "COMPLETED").count();
        assert_eq!(roll["completed"], completed);
        let sum: u64 = ["notStarted", "limited", "substantial", "completed"]
            .iter()
            .map(|k| roll[k].as_u64().unwrap())
            .sum();
        assert_eq!(sum as usize, ms.len());
        for m in ms {
            assert_eq!(m["commitment"]["id"], c["id"]);
        }
        rated += ms.len();
    }
    assert!(rated > 0);
    assert!(
        v["data"]["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| !t["plan"].is_null() || !t["commitment"].is_null()),
        "{v}"
    );
    t.cleanup().await;
}

/// A page reads only the columns its items' selection asks for; whatever way a field is asked
/// (directly, in an inline fragment, in a named fragment, under `edges`), every item of the page
/// carries the same values as the dataset read whole by `dataset(id:)`.
#[tokio::test]
async fn page_items_carry_every_field_they_select_however_it_is_selected() {
    const ALL: &str = "id portalKey title description category type keywords format \
        nationalCore standard licence updateFrequency registeredOn modifiedOn views downloads \
        portalUrl listed provenance synthetic sourceFile updatedAt institution { code } \
        categoryLabel { label labelKo } typeLabel { label labelKo } provenanceLabel { label labelKo } \
        disclosure { status ground { ground label legalProvision } legalBasis explanation \
        mitigation plannedOpenOn nextReviewOn version updatedAt }";
    // The same fields, the disclosure's asked in two places (merged by GraphQL) through a named
    // fragment on `Disclosure`.
    const SPLIT: &str = "id portalKey title description category type keywords format \
        nationalCore standard licence updateFrequency registeredOn modifiedOn views downloads \
        portalUrl listed provenance synthetic sourceFile updatedAt institution { code } \
        categoryLabel { label labelKo } typeLabel { label labelKo } provenanceLabel { label labelKo } \
        disclosure { status } disclosure { ...Disc }";
    const DISC: &str = "fragment Disc on Disclosure { ground { ground label legalProvision } \
        legalBasis explanation mitigation plannedOpenOn nextReviewOn version updatedAt }";
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let whole = |id: &str| {
            let app = app.clone();
            let q = format!("query($id: ID!) {{ dataset(id: $id) {{ {ALL} }} }}");
            let id = id.to_string();
            async move { gql(&app, &q, json!({ "id": id })).await["data"]["dataset"].clone() }
        };
        let shapes = [
            format!("{{ datasets(first: 100) {{ nodes {{ {ALL} }} }} }}"),
            format!("{{ datasets(first: 100) {{ nodes {{ id ... on Dataset {{ {ALL} }} }} }} }}"),
            format!(
                "query {{ datasets(first: 100) {{ edges {{ node {{ ...F }} }} }} }} \
                 fragment F on Dataset {{ {ALL} }}"
            ),
            format!(
                "{{ datasets(first: 100, orderBy: TITLE) {{ nodes {{ id }} edges {{ node {{ {ALL} }} }} }} }}"
            ),
            format!("query {{ datasets(first: 100) {{ nodes {{ {SPLIT} }} }} }} {DISC}"),
        ];
        let mut checked = 0;
        for q in &shapes {
            let v = gql(&app, q, json!({})).await;
            assert!(v["errors"].is_null(), "{q}: {v}");
            let d = &v["data"]["datasets"];
            let items: Vec<Value> = match d["nodes"].as_array() {
                Some(n) if d["edges"].is_null() => n.clone(),
                _ => d["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"].clone())
                    .collect(),
            };
            assert!(items.len() >= 10, "{q}: {v}");
            for item in &items {
                let id = item["id"].as_str().unwrap();
                assert_eq!(*item, whole(id).await, "{q}");
                checked += 1;
            }
            // A page that asks for nothing but ids still lists the same items.
            let ids = gql(&app, "{ datasets(first: 100) { nodes { id } } }", json!({})).await;
            assert_eq!(
                ids["data"]["datasets"]["nodes"].as_array().unwrap().len(),
                items.len()
            );
        }
        assert!(checked > 40);
        t.cleanup().await;
    }
}

/// `Dataset.history(first:, after:)` pages in the database: walking one change at a time gives
/// the whole history in order, for every dataset of a page at once, and a change of another
/// dataset as `after` is refused.
#[tokio::test]
async fn history_pages_walk_every_change_once() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let all = gql(
            &app,
            "{ datasets(first: 30) { nodes { id history(first: 100) { id } } } }",
            json!({}),
        )
        .await;
        let nodes = all["data"]["datasets"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{all}"))
            .clone();
        let long: Vec<&Value> = nodes
            .iter()
            .filter(|n| n["history"].as_array().unwrap().len() >= 2)
            .collect();
        assert!(!long.is_empty(), "{all}");
        for n in &long {
            let want: Vec<Value> = n["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].clone())
                .collect();
            let mut got = Vec::new();
            let mut after = Value::Null;
            loop {
                let v = gql(
                    &app,
                    "query($id: ID!, $after: ID) { dataset(id: $id) { history(first: 1, after: $after) { id } } }",
                    json!({ "id": n["id"], "after": after }),
                )
                .await;
                let page = v["data"]["dataset"]["history"].as_array().unwrap().clone();
                if page.is_empty() {
                    break;
                }
                assert_eq!(page.len(), 1);
                after = page[0]["id"].clone();
                got.push(after.clone());
            }
            assert_eq!(got, want);
        }
        // First two of every dataset on the page, in one go, equal the start of each history.
        let two = gql(
            &app,
            "{ datasets(first: 30) { nodes { id history(first: 2) { id } } } }",
            json!({}),
        )
        .await;
        for (a, b) in two["data"]["datasets"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&nodes)
        {
            let full = b["history"].as_array().unwrap();
            assert_eq!(
                a["history"].as_array().unwrap()[..],
                full.iter()
                    .take(2)
                    .map(|e| json!({ "id": e["id"] }))
                    .collect::<Vec<_>>()[..]
            );
        }
        // A change of another dataset is not a place in this list.
        let other = long[0]["history"][0]["id"].clone();
        let stranger = nodes.iter().find(|n| n["id"] != long[0]["id"]).unwrap();
        let v = gql(
            &app,
            "query($id: ID!, $after: ID) { dataset(id: $id) { history(first: 5, after: $after) { id } } }",
            json!({ "id": stranger["id"], "after": other }),
        )
        .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{v}"
        );
        t.cleanup().await;
    }
}

/// A filter naming an institution code that does not exist is refused by name, in lists,
/// figures and exports alike, instead of answering as an empty list.
#[tokio::test]
async fn an_unknown_institution_code_is_refused_by_name() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let q = "query($f: DatasetFilter) { datasets(filter: $f, first: 1) { totalCount } }";
        let v = gql(&app, q, json!({ "f": { "institutionCode": ["3010000"] } })).await;
        assert!(v["errors"].is_null(), "{b:?}: {v}");
        assert!(
            v["data"]["datasets"]["totalCount"].as_u64().unwrap() > 0,
            "{v}"
        );

        let v = gql(
            &app,
            q,
            json!({ "f": { "institutionCode": ["3010000", "9999999", "ABC"] } }),
        )
        .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{b:?}: {v}"
        );
        let message = v["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("\"9999999\", \"ABC\""), "{message}");
        assert!(!message.contains("3010000"), "{message}");

        let v = gql(
            &app,
            "query($f: DatasetFilter) { stats(filter: $f) { total } }",
            json!({ "f": { "institutionCode": ["9999999"] } }),
        )
        .await;
        assert_eq!(
            v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{b:?}: {v}"
        );

        let (status, _, body) = common::api::get(
            &app,
            "/export/datasets.csv?filter=%7B%22institutionCode%22%3A%5B%229999999%22%5D%7D",
        )
        .await;
        assert_eq!(status, axum::http::StatusCode::BAD_REQUEST);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("9999999"),
            "{v}"
        );
        t.cleanup().await;
    }
}
