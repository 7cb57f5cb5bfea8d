//! DCAT-AP JSON-LD: the catalog of a dataset list, in pages linked with Hydra.
//!
//! `dct:accessRights` uses the EU access-right vocabulary: OPEN → PUBLIC, PARTIALLY_OPEN →
//! RESTRICTED, everything else → NON_PUBLIC. For withheld and partially open datasets the ground,
//! its legal basis (or "no legal basis") and the institution's explanation are the `dct:rights`,
//! one language-tagged literal in Korean and one in English. Coded values (theme, type,
//! provenance, ground) carry the API's enum value as `dct:identifier` and their labels in both
//! languages.

use entity::enums::DisclosureStatus;
use serde_json::{Value, json};

use crate::domain::labels;
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::types::enums::{self as g, api_name};

use super::ExportRow;

const ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";

/// The `dct:accessRights` of a status.
pub fn access_right(s: DisclosureStatus) -> &'static str {
    match s {
        DisclosureStatus::Open => "PUBLIC",
        DisclosureStatus::PartiallyOpen => "RESTRICTED",
        _ => "NON_PUBLIC",
    }
}

fn context() -> Value {
    json!({
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "hydra": "http://www.w3.org/ns/hydra/core#",
        "adms": "http://www.w3.org/ns/adms#"
    })
}

fn ko(s: &str) -> Value {
    json!({ "@value": s, "@language": "ko" })
}

fn en(s: &str) -> Value {
    json!({ "@value": s, "@language": "en" })
}

/// A label in both languages.
fn both(l: labels::Label) -> Value {
    json!([ko(l.ko), en(l.en)])
}

/// A coded value: the API's enum value as `dct:identifier`, its labels in both languages.
fn coded(code: String, l: labels::Label) -> Value {
    json!({ "@type": "rdfs:Resource", "dct:identifier": code, "rdfs:label": both(l) })
}

/// One `dcat:Dataset`.
pub fn dataset(base: &str, r: &ExportRow) -> Value {
    let d = &r.dataset;
    let gid = encode(NodeKind::Dataset, d.id).0;
    let mut v = json!({
        "@id": format!("{base}/datasets/{gid}"),
        "@type": "dcat:Dataset",
        "dct:identifier": gid,
        "dct:title": ko(&d.title),
        "dct:description": ko(&d.description),
        "dcat:theme": coded(api_name(g::Category::from(d.category)), labels::category(d.category)),
        "dct:type": coded(api_name(g::DatasetType::from(d.dataset_type)), labels::dataset_type(d.dataset_type)),
        "dcat:keyword": d.keywords.split(',').map(str::trim).filter(|k| !k.is_empty()).map(ko).collect::<Vec<_>>(),
        "dct:provenance": { "@type": "dct:ProvenanceStatement", "dct:identifier": api_name(g::Provenance::from(d.provenance)), "rdfs:label": both(labels::provenance(d.provenance)) },
    });
    let o = v.as_object_mut().expect("object");
    if let Some(k) = &d.portal_key {
        o.insert(
            "adms:identifier".into(),
            json!({ "@type": "adms:Identifier", "rdfs:label": k }),
        );
    }
    if let Some(i) = &r.institution {
        o.insert(
            "dct:publisher".into(),
            json!({ "@type": "foaf:Agent", "foaf:name": ko(&i.name), "dct:identifier": i.code }),
        );
    }
    if let Some(date) = d.registered_on {
        o.insert(
            "dct:issued".into(),
            json!({ "@value": date.to_string(), "@type": "xsd:date" }),
        );
    }
    if let Some(date) = d.modified_on {
        o.insert(
            "dct:modified".into(),
            json!({ "@value": date.to_string(), "@type": "xsd:date" }),
        );
    }
    if let Some(url) = &d.portal_url {
        o.insert("dcat:landingPage".into(), json!({ "@id": url }));
    }
    if let Some(s) = &r.disclosure {
        o.insert(
            "dct:accessRights".into(),
            json!({ "@id": format!("{ACCESS_RIGHT}{}", access_right(s.status)) }),
        );
        if let Some(g) = s.ground {
            let info = labels::ground(g);
            let explained = |mut text: String| {
                if let Some(e) = &s.explanation {
                    text.push_str(" — ");
                    text.push_str(e);
                }
                text
            };
            let ko_text = explained(format!(
                "{} — {}",
                info.label.ko,
                info.legal_basis.unwrap_or("법적 근거 없음")
            ));
            let en_text = explained(format!(
                "{} — {}",
                info.label.en,
                info.legal_basis
                    .unwrap_or("no legal basis (practical reason)")
            ));
            o.insert(
                "dct:rights".into(),
                json!({
                    "@type": "dct:RightsStatement",
                    "dct:identifier": api_name(g::WithholdingGround::from(g)),
                    "rdfs:label": [ko(&ko_text), en(&en_text)],
                }),
            );
        }
    }
    v
}

/// A catalog page: the datasets, the total, and the link to the next page.
pub fn catalog_page(
    base: &str,
    self_url: &str,
    rows: &[ExportRow],
    total: u64,
    next_url: Option<String>,
) -> Value {
    let mut view = json!({ "@id": self_url, "@type": "hydra:PartialCollectionView" });
    if let Some(n) = next_url {
        view["hydra:next"] = json!(n);
    }
    json!({
        "@context": context(),
        "@id": format!("{base}/export/catalog.jsonld"),
        "@type": ["dcat:Catalog", "hydra:Collection"],
        "dct:title": [ko("공공데이터 전체 목록 (개방·비개방)"), { "@value": "National public data inventory, open and withheld", "@language": "en" }],
        "dct:description": { "@value": "Every dataset public institutions hold, including withheld ones with the reason and its legal basis.", "@language": "en" },
        "hydra:totalItems": total,
        "hydra:view": view,
        "dcat:dataset": rows.iter().map(|r| dataset(base, r)).collect::<Vec<_>>(),
    })
}
