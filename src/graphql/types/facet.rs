//! A count of datasets per value of a facet (status, ground, category, type, institution
//! kind), as the dataset list's facets, the statistics and an institution's record show them.

use async_graphql::SimpleObject;

use crate::domain::datasets::Facet;
use crate::domain::labels;

/// How many datasets have one value of a facet.
#[derive(SimpleObject, Clone, Debug)]
pub struct FacetCount {
    /// The value, as the enum name used in `DatasetFilter` (e.g. `WITHHELD`, `TRANSPORT_LOGISTICS`).
    pub value: String,
    /// English label.
    pub label: &'static str,
    /// Korean label.
    pub label_ko: &'static str,
    /// Matching datasets.
    pub count: u64,
}

impl FacetCount {
    /// The count of `n` datasets with the stored value `stored` of `facet`.
    pub fn of(facet: Facet, stored: &str, n: u64) -> Self {
        let (value, l) = facet_value(facet, stored);
        FacetCount {
            value,
            label: l.en,
            label_ko: l.ko,
            count: n,
        }
    }
}

/// The GraphQL enum name (as used in `DatasetFilter`) and labels of a stored facet value.
pub fn facet_value(facet: Facet, stored: &str) -> (String, labels::Label) {
    use super::enums::{self as g, api_name as name};
    use entity::enums as e;
    use sea_orm::ActiveEnum;
    let v = stored.to_string();
    let known = match facet {
        Facet::Status => e::DisclosureStatus::try_from_value(&v)
            .ok()
            .map(|x| (name(g::DisclosureStatus::from(x)), labels::status(x))),
        Facet::Ground => e::WithholdingGround::try_from_value(&v)
            .ok()
            .map(|x| (name(g::WithholdingGround::from(x)), labels::ground(x).label)),
        Facet::Category => e::Category::try_from_value(&v)
            .ok()
            .map(|x| (name(g::Category::from(x)), labels::category(x))),
        Facet::Type => e::DatasetType::try_from_value(&v)
            .ok()
            .map(|x| (name(g::DatasetType::from(x)), labels::dataset_type(x))),
        Facet::InstitutionKind => e::InstitutionKind::try_from_value(&v).ok().map(|x| {
            (
                name(g::InstitutionKind::from(x)),
                labels::institution_kind(x),
            )
        }),
    };
    known.unwrap_or_else(|| {
        (
            stored.to_string(),
            labels::Label {
                ko: "알 수 없음",
                en: "Unknown",
            },
        )
    })
}
