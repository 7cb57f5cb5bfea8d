//! CSV and DCAT-AP exports over the fixture, through the router.

mod common;

use axum::http::StatusCode;
use common::api::{get_from, urlencode};
use common::{backends, state, with_fixture};

/// A GET as if from `inventory.test`.
async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, Vec<u8>) {
    get_from(app, "inventory.test", uri).await
}

#[tokio::test]
async fn csv_opens_in_excel_and_neutralizes_formulas() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let (status, ctype, body) = get(&app, "/export/datasets.csv").await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.starts_with("text/csv"), "{ctype}");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with('\u{feff}'), "no BOM");
        assert!(
            text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'),
            "lines must end in CRLF"
        );
        let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = r.headers().unwrap().clone();
        assert!(headers.iter().any(|h| h == "provenance"));
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), common::fixture::DATASETS.len());
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let formula = rows
            .iter()
            .find(|r| r[col("title")].contains("SUM"))
            .unwrap();
        assert_eq!(&formula[col("title")], "'=SUM(1,2) 통계");
        assert_eq!(&formula[col("description")], "'@멘션 -설명");
        let practical = rows
            .iter()
            .find(|r| &r[col("title")] == "환경 데이터")
            .unwrap();
        assert!(practical[col("legal_basis")].contains("no legal basis"));
        assert!(rows.iter().all(|r| &r[col("provenance")] == "IMPORTED"));
        // Coded values are the API's own enum values, each with its Korean and English labels.
        assert!(rows.iter().all(|r| r.len() == headers.len()));
        let ids: Vec<&str> = rows.iter().map(|r| &r[col("id")]).collect();
        let v = common::gql(
            &app,
            "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Dataset { id category \
             categoryLabel { label labelKo } type institution { kind } \
             disclosure { status ground { ground } } } } }",
            serde_json::json!({ "ids": ids }),
        )
        .await;
        for (r, d) in rows.iter().zip(v["data"]["nodes"].as_array().unwrap()) {
            assert_eq!(d["id"], &r[col("id")]);
            assert_eq!(d["category"], &r[col("category")]);
            assert_eq!(d["categoryLabel"]["labelKo"], &r[col("category_ko")]);
            assert_eq!(d["categoryLabel"]["label"], &r[col("category_en")]);
            assert_eq!(d["type"], &r[col("type")]);
            assert_eq!(d["institution"]["kind"], &r[col("institution_kind")]);
            assert_eq!(d["disclosure"]["status"], &r[col("status")]);
            let ground = d["disclosure"]["ground"]["ground"].as_str().unwrap_or("");
            assert_eq!(ground, &r[col("ground")]);
            for c in ["institution_kind", "category", "type", "status", "ground"] {
                let coded = !r[col(c)].is_empty();
                for lang in ["ko", "en"] {
                    let label = &r[col(&format!("{c}_{lang}"))];
                    assert_eq!(coded, !label.is_empty(), "{c}_{lang}: {r:?}");
                }
            }
        }
        // No requester data, only counts.
        assert!(!text.contains("example.org") && !text.contains("시민"));

        // The same filter and search as the GraphQL list.
        let filter = urlencode(r#"{"status":["WITHHELD"]}"#);
        let (status, _, body) = get(
            &app,
            &format!(
                "/export/datasets.csv?search={}&filter={filter}",
                urlencode("버스")
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(body).unwrap();
        assert_eq!(text.matches("\r\n").count(), 1 + 2, "{text}");

        let (status, _, body) = get(
            &app,
            "/export/datasets.csv?filter=%7B%22status%22%3A%5B%22NOPE%22%5D%7D",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

        // An unknown parameter is refused by name, never ignored into an unfiltered export.
        for uri in [
            "/export/datasets.csv?institutionCode=3010000",
            "/export/catalog.jsonld?first=10&institutionCode=3010000",
        ] {
            let (status, ctype, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert!(ctype.starts_with("application/json"), "{ctype}");
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(
                v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{v}"
            );
            let message = v["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("institutionCode"), "{message}");
            assert!(message.contains("filter="), "{message}");
        }
        t.cleanup().await;
    }
}

#[tokio::test]
async fn dcat_catalog_pages_and_maps_access_rights() {
    for b in backends().await {
        let t = with_fixture(b).await;
        let app = inventory::app(state(&t.db));
        let mut url = "/export/catalog.jsonld?first=5".to_string();
        let mut all = Vec::new();
        loop {
            let (status, ctype, body) = get(&app, &url).await;
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
            assert!(ctype.starts_with("application/ld+json"));
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["hydra:totalItems"], common::fixture::DATASETS.len());
            all.extend(v["dcat:dataset"].as_array().unwrap().clone());
            match v["hydra:view"]["hydra:next"].as_str() {
                Some(next) => url = next.trim_start_matches("http://inventory.test").to_string(),
                None => break,
            }
        }
        assert_eq!(all.len(), common::fixture::DATASETS.len());
        for d in &all {
            let title = d["dct:title"]["@value"].as_str().unwrap();
            let (_, _, _, _, _, status, ground) = common::fixture::DATASETS
                .iter()
                .find(|x| {
                    inventory::domain::text::normalize(x.0)
                        == inventory::domain::text::normalize(title)
                })
                .unwrap();
            use entity::enums::DisclosureStatus::*;
            let want = match status {
                Open => "PUBLIC",
                PartiallyOpen => "RESTRICTED",
                _ => "NON_PUBLIC",
            };
            assert!(
                d["dct:accessRights"]["@id"]
                    .as_str()
                    .unwrap()
                    .ends_with(want),
                "{title}"
            );
            assert_eq!(d["dct:rights"].is_object(), ground.is_some(), "{title}");
        }
        let rights = &all
            .iter()
            .find(|d| d["dct:title"]["@value"] == "환경 데이터")
            .unwrap()["dct:rights"];
        let label = |lang: &str| {
            rights["rdfs:label"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["@language"] == lang)
                .unwrap()["@value"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let (en, ko) = (label("en"), label("ko"));
        assert!(
            en.contains("no legal basis") && en.contains("사유 설명"),
            "{en}"
        );
        assert!(
            ko.contains("법적 근거 없음") && ko.contains("사유 설명"),
            "{ko}"
        );
        assert!(
            rights["dct:identifier"]
                .as_str()
                .unwrap()
                .starts_with("PRACTICAL_"),
            "{rights}"
        );
        // Themes and types carry the API's enum values.
        for d in &all {
            let theme = d["dcat:theme"]["dct:identifier"].as_str().unwrap();
            assert!(
                theme.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{theme}"
            );
            assert!(
                ["FILE", "OPEN_API", "STANDARD", "LINKED"]
                    .contains(&d["dct:type"]["dct:identifier"].as_str().unwrap())
            );
        }
        t.cleanup().await;
    }
}
