//! A small fixed inventory for read-API tests: a few institutions and datasets whose titles,
//! descriptions, statuses, grounds, bundles and requests are chosen to exercise search, facets,
//! statistics and exports. The same rows (and ids) on every backend.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entity::enums::*;
use entity::{
    account, core_bundle, core_bundle_dataset, data_request, dataset, disclosure, disclosure_event,
    institution, request_supporter,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{DatabaseConnection, EntityTrait};

pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// (title, description, keywords, institution index, category, status, ground)
/// A fixture dataset.
pub type Row = (
    &'static str,
    &'static str,
    &'static str,
    usize,
    Category,
    DisclosureStatus,
    Option<WithholdingGround>,
);

pub const DATASETS: &[Row] = &[
    (
        "지역별미세먼지측정정보",
        "시군구별 미세먼지 측정값",
        "대기,환경",
        0,
        Category::EnvironmentWeather,
        DisclosureStatus::Open,
        None,
    ),
    (
        "미세 먼지 경보 현황",
        "경보 발령 이력",
        "",
        1,
        Category::EnvironmentWeather,
        DisclosureStatus::Withheld,
        Some(WithholdingGround::PublicSafety),
    ),
    (
        "대기질 현황",
        "초미세먼지 농도와 오존 농도",
        "",
        1,
        Category::EnvironmentWeather,
        DisclosureStatus::Open,
        None,
    ),
    (
        "시내버스 노선",
        "노선별 운행 정보",
        "교통",
        1,
        Category::TransportLogistics,
        DisclosureStatus::Withheld,
        Some(WithholdingGround::BusinessSecret),
    ),
    (
        "버스정류장 위치",
        "정류장 좌표",
        "",
        0,
        Category::TransportLogistics,
        DisclosureStatus::Open,
        None,
    ),
    (
        "COVID-19 예방접종 현황",
        "일별 접종 통계",
        "코로나",
        2,
        Category::HealthMedical,
        DisclosureStatus::PartiallyOpen,
        Some(WithholdingGround::PersonalInformation),
    ),
    (
        "C++ 교육과정 목록",
        "직업훈련 과정",
        "",
        2,
        Category::Education,
        DisclosureStatus::Open,
        None,
    ),
    // Decomposed Hangul (NFD) in the stored title: 교통사고 통계.
    (
        "\u{1100}\u{116d}\u{1110}\u{1169}\u{11bc}\u{1109}\u{1161}\u{1100}\u{1169} 통계",
        "사고 건수",
        "",
        0,
        Category::TransportLogistics,
        DisclosureStatus::UnderReview,
        None,
    ),
    (
        "교통량 조사",
        "주요 교차로 교통량",
        "",
        0,
        Category::TransportLogistics,
        DisclosureStatus::ScheduledToOpen,
        None,
    ),
    (
        "환경 데이터",
        "",
        "",
        2,
        Category::EnvironmentWeather,
        DisclosureStatus::Withheld,
        Some(WithholdingGround::PracticalNotDigitized),
    ),
    (
        "버스 운전자 명단",
        "운전자 개인 정보",
        "",
        1,
        Category::TransportLogistics,
        DisclosureStatus::Withheld,
        Some(WithholdingGround::PersonalInformation),
    ),
    (
        "공공도서관 현황",
        "도서관 위치와 장서 수",
        "",
        2,
        Category::CultureTourism,
        DisclosureStatus::Open,
        None,
    ),
    (
        "=SUM(1,2) 통계",
        "@멘션 -설명",
        "",
        2,
        Category::PublicAdministration,
        DisclosureStatus::Open,
        None,
    ),
];

/// (code, name, English name, kind, parent index)
pub const INSTITUTIONS: &[(&str, &str, &str, InstitutionKind, Option<usize>)] = &[
    (
        "6110000",
        "서울특별시",
        "Seoul Metropolitan Government",
        InstitutionKind::MetropolitanGovernment,
        None,
    ),
    (
        "3010000",
        "서울특별시 종로구",
        "Jongno-gu",
        InstitutionKind::LocalGovernment,
        Some(0),
    ),
    (
        "1741000",
        "행정안전부",
        "Ministry of the Interior and Safety",
        InstitutionKind::CentralGovernment,
        None,
    ),
];

/// Loads the fixture into an empty, migrated database.
pub async fn load(db: &DatabaseConnection) {
    let now = at(2026, 1, 1);
    let mut inst_ids = Vec::new();
    for (code, name, en, kind, parent) in INSTITUTIONS {
        let r = institution::Entity::insert(institution::ActiveModel {
            id: NotSet,
            code: Set(code.to_string()),
            name: Set(name.to_string()),
            name_en: Set(Some(en.to_string())),
            kind: Set(*kind),
            kind_overridden: Set(false),
            parent_id: Set(parent.map(|p| inst_ids[p])),
            parent_confirmed: Set(parent.is_some()),
            synthetic: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await
        .unwrap();
        inst_ids.push(r.last_insert_id);
    }
    for (k, (title, desc, kw, inst, cat, status, ground)) in DATASETS.iter().enumerate() {
        let k = k as i64;
        let registered = day(2020, 1 + (k % 12) as u32, 1 + k as u32);
        let d = dataset::Entity::insert(dataset::ActiveModel {
            id: NotSet,
            portal_key: Set(Some(format!("1500{k:04}"))),
            title: Set(title.to_string()),
            description: Set(desc.to_string()),
            institution_id: Set(inst_ids[*inst]),
            category: Set(*cat),
            dataset_type: Set(if k % 3 == 0 {
                DatasetType::OpenApi
            } else {
                DatasetType::File
            }),
            keywords: Set(kw.to_string()),
            format: Set(Some("CSV".into())),
            national_core: Set(k % 4 == 0),
            standard: Set(false),
            licence: Set(None),
            update_frequency: Set(None),
            registered_on: Set(Some(registered)),
            modified_on: Set(Some(registered + chrono::Days::new(30))),
            views: Set(Some(1000 - k * 10)),
            downloads: Set(None),
            portal_url: Set(Some(format!(
                "https://www.data.go.kr/data/1500{k:04}/fileData.do"
            ))),
            listed: Set(true),
            provenance: Set(Provenance::Imported),
            source_file: Set(Some("fixture.csv".into())),
            import_run_id: Set(None),
            search_title: Set(inventory::domain::text::search_title(title, kw)),
            search_body: Set(inventory::domain::text::normalize(desc)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await
        .unwrap();
        let id = d.last_insert_id;
        let info = ground.map(inventory::domain::labels::ground);
        disclosure::Entity::insert(disclosure::ActiveModel {
            dataset_id: Set(id),
            status: Set(*status),
            ground: Set(*ground),
            legal_basis: Set(info.and_then(|i| i.legal_basis.map(String::from))),
            explanation: Set(ground.map(|_| format!("사유 설명 {k}"))),
            mitigation: Set(String::new()),
            planned_open_on: Set(
                (*status == DisclosureStatus::ScheduledToOpen).then(|| day(2027, 1, 1))
            ),
            next_review_on: Set(None),
            version: Set(1),
            updated_at: Set(now),
        })
        .exec(db)
        .await
        .unwrap();
        // Entered withheld in 2020; the open ones were opened later, one per month of 2025.
        let initial = if *status == DisclosureStatus::Open {
            DisclosureStatus::Withheld
        } else {
            *status
        };
        disclosure_event::Entity::insert(disclosure_event::ActiveModel {
            id: NotSet,
            dataset_id: Set(id),
            from_status: Set(None),
            to_status: Set(initial),
            ground: Set(if *status == DisclosureStatus::Open {
                Some(WithholdingGround::PracticalDataQuality)
            } else {
                *ground
            }),
            explanation: Set(None),
            actor: Set("fixture".into()),
            actor_account_id: Set(None),
            occurred_at: Set(at(2020, 1, 1)),
            from_listed: Set(None),
            listed: Set(true),
        })
        .exec(db)
        .await
        .unwrap();
        if *status == DisclosureStatus::Open {
            disclosure_event::Entity::insert(disclosure_event::ActiveModel {
                id: NotSet,
                dataset_id: Set(id),
                from_status: Set(Some(DisclosureStatus::Withheld)),
                to_status: Set(DisclosureStatus::Open),
                ground: Set(None),
                explanation: Set(None),
                actor: Set("fixture".into()),
                actor_account_id: Set(None),
                occurred_at: Set(at(2025, 1 + k as u32 % 12, 15)),
                from_listed: Set(Some(true)),
                listed: Set(true),
            })
            .exec(db)
            .await
            .unwrap();
        }
    }
    // A bundle with the two fine-dust datasets.
    let b = core_bundle::Entity::insert(core_bundle::ActiveModel {
        id: NotSet,
        name: Set("대기환경".into()),
        name_en: Set(Some("Air quality".into())),
        round: Set(4),
        release_year: Set(Some(2024)),
        lead_institution_id: Set(Some(inst_ids[2])),
        description: Set("대기질 데이터 묶음".into()),
        synthetic: Set(false),
    })
    .exec(db)
    .await
    .unwrap();
    for d in [1, 2] {
        core_bundle_dataset::Entity::insert(core_bundle_dataset::ActiveModel {
            bundle_id: Set(b.last_insert_id),
            dataset_id: Set(d),
        })
        .exec(db)
        .await
        .unwrap();
    }
    // Citizens and requests: three for the withheld bus routes (one overdue), one for the drivers list.
    let mut citizens = Vec::new();
    for n in 0..4 {
        let a = account::Entity::insert(account::ActiveModel {
            id: NotSet,
            display_name: Set(format!("시민{n}")),
            contact: Set(Some(format!("citizen{n}@example.org"))),
            role: Set(Role::Citizen),
            institution_id: Set(None),
            synthetic: Set(false),
            created_at: Set(now),
        })
        .exec(db)
        .await
        .unwrap();
        citizens.push(a.last_insert_id);
    }
    let reqs = [
        (4, RequestState::Received, day(2026, 10, 20), None),
        (
            4,
            RequestState::Refused,
            day(2026, 3, 1),
            Some(at(2026, 3, 8)),
        ),
        (
            4,
            RequestState::Provided,
            day(2026, 2, 1),
            Some(at(2026, 2, 5)),
        ),
        (11, RequestState::Received, day(2026, 10, 28), None),
    ];
    for (k, (ds, state, filed, decided)) in reqs.iter().enumerate() {
        let r = data_request::Entity::insert(data_request::ActiveModel {
            id: NotSet,
            requester_id: Set(citizens[k]),
            dataset_id: Set(Some(*ds)),
            institution_id: Set(inst_ids[1]),
            unlisted_description: Set(None),
            purpose: Set("연구".into()),
            state: Set(*state),
            filed_at: Set(filed.and_hms_opt(1, 0, 0).unwrap().and_utc()),
            due_on: Set(None),
            decision_due_on: Set(*filed + chrono::Days::new(10)),
            extended: Set(false),
            decided_at: Set(*decided),
            decision: Set(decided.map(|_| *state)),
            ground: Set(None),
            institution_wording: Set(None),
            provided_dataset_id: Set(None),
            synthetic: Set(false),
            version: Set(1),
            updated_at: Set(now),
        })
        .exec(db)
        .await
        .unwrap();
        if k == 0 {
            for c in &citizens[1..] {
                request_supporter::Entity::insert(request_supporter::ActiveModel {
                    request_id: Set(r.last_insert_id),
                    account_id: Set(*c),
                    created_at: Set(now),
                })
                .exec(db)
                .await
                .unwrap();
            }
        }
    }
}
