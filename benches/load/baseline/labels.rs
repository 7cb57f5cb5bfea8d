//! The baseline's own copy of the vocabularies: stored value, GraphQL enum name, labels and (for
//! grounds) the legal provision, as a hand-written server would keep them in constants.

/// One value of a stored vocabulary.
pub struct Term {
    /// As stored in the database.
    pub stored: &'static str,
    /// As the GraphQL enum names it.
    pub name: &'static str,
    pub en: &'static str,
    pub ko: &'static str,
    /// Grounds only: the provision relied on.
    pub provision: Option<&'static str>,
}

const fn t(stored: &'static str, name: &'static str, ko: &'static str, en: &'static str) -> Term {
    Term {
        stored,
        name,
        en,
        ko,
        provision: None,
    }
}

const fn g(
    stored: &'static str,
    name: &'static str,
    ko: &'static str,
    en: &'static str,
    provision: Option<&'static str>,
) -> Term {
    Term {
        stored,
        name,
        en,
        ko,
        provision,
    }
}

pub const STATUSES: &[Term] = &[
    t("OPEN", "OPEN", "개방", "Open"),
    t(
        "PARTIALLY_OPEN",
        "PARTIALLY_OPEN",
        "부분개방",
        "Partially open",
    ),
    t("WITHHELD", "WITHHELD", "비개방", "Withheld"),
    t("UNDER_REVIEW", "UNDER_REVIEW", "개방검토중", "Under review"),
    t(
        "SCHEDULED_TO_OPEN",
        "SCHEDULED_TO_OPEN",
        "개방예정",
        "Scheduled to open",
    ),
];

pub const CATEGORIES: &[Term] = &[
    t(
        "PUBLIC_ADMINISTRATION",
        "PUBLIC_ADMINISTRATION",
        "공공행정",
        "Public administration",
    ),
    t(
        "SCIENCE_TECHNOLOGY",
        "SCIENCE_TECHNOLOGY",
        "과학기술",
        "Science and technology",
    ),
    t("EDUCATION", "EDUCATION", "교육", "Education"),
    t(
        "TRANSPORT_LOGISTICS",
        "TRANSPORT_LOGISTICS",
        "교통물류",
        "Transport and logistics",
    ),
    t(
        "LAND_MANAGEMENT",
        "LAND_MANAGEMENT",
        "국토관리",
        "Land management",
    ),
    t(
        "AGRICULTURE_LIVESTOCK_FISHERIES",
        "AGRICULTURE_LIVESTOCK_FISHERIES",
        "농축수산",
        "Agriculture, livestock and fisheries",
    ),
    t(
        "CULTURE_TOURISM",
        "CULTURE_TOURISM",
        "문화관광",
        "Culture and tourism",
    ),
    t("LAW", "LAW", "법률", "Law"),
    t(
        "HEALTH_MEDICAL",
        "HEALTH_MEDICAL",
        "보건의료",
        "Health and medical care",
    ),
    t(
        "SOCIAL_WELFARE",
        "SOCIAL_WELFARE",
        "사회복지",
        "Social welfare",
    ),
    t(
        "INDUSTRY_EMPLOYMENT",
        "INDUSTRY_EMPLOYMENT",
        "산업고용",
        "Industry and employment",
    ),
    t("FOOD_HEALTH", "FOOD_HEALTH", "식품건강", "Food and health"),
    t(
        "DISASTER_SAFETY",
        "DISASTER_SAFETY",
        "재난안전",
        "Disaster and safety",
    ),
    t(
        "FINANCE",
        "FINANCE",
        "재정금융",
        "Public finance and banking",
    ),
    t(
        "UNIFICATION_DIPLOMACY_SECURITY",
        "UNIFICATION_DIPLOMACY_SECURITY",
        "통일외교안보",
        "Unification, diplomacy and security",
    ),
    t(
        "ENVIRONMENT_WEATHER",
        "ENVIRONMENT_WEATHER",
        "환경기상",
        "Environment and weather",
    ),
];

pub const TYPES: &[Term] = &[
    t("FILE", "FILE", "파일데이터", "File data"),
    t("OPEN_API", "OPEN_API", "오픈API", "Open API"),
    t("STANDARD", "STANDARD", "표준데이터", "Standard data"),
    t("LINKED", "LINKED", "연계데이터", "Linked data"),
];

pub const KINDS: &[Term] = &[
    t(
        "CENTRAL_GOVERNMENT",
        "CENTRAL_GOVERNMENT",
        "중앙행정기관",
        "Central government",
    ),
    t(
        "METROPOLITAN_GOVERNMENT",
        "METROPOLITAN_GOVERNMENT",
        "광역자치단체",
        "Metropolitan government",
    ),
    t(
        "LOCAL_GOVERNMENT",
        "LOCAL_GOVERNMENT",
        "기초자치단체",
        "Local government",
    ),
    t(
        "OFFICE_OF_EDUCATION",
        "OFFICE_OF_EDUCATION",
        "교육청",
        "Office of education",
    ),
    t(
        "NATIONAL_UNIVERSITY",
        "NATIONAL_UNIVERSITY",
        "국립대학",
        "National university",
    ),
    t(
        "PUBLIC_INSTITUTION",
        "PUBLIC_INSTITUTION",
        "공공기관",
        "Public institution",
    ),
    t("OTHER", "OTHER", "기타", "Other"),
];

pub const GROUNDS: &[Term] = &[
    g(
        "OIDA_9_1_1_OTHER_LAW_SECRET",
        "OTHER_LAW_SECRET",
        "다른 법률에 따른 비밀·비공개",
        "Secret or non-public under another law",
        Some(
            "공공기관의 정보공개에 관한 법률 제9조제1항제1호 (Official Information Disclosure Act Art. 9(1) item 1)",
        ),
    ),
    g(
        "OIDA_9_1_2_NATIONAL_SECURITY",
        "NATIONAL_SECURITY",
        "국가안전보장·국방·통일·외교",
        "National security, defence, unification, diplomacy",
        Some("공공기관의 정보공개에 관한 법률 제9조제1항제2호 (Art. 9(1) item 2)"),
    ),
    g(
        "OIDA_9_1_3_PUBLIC_SAFETY",
        "PUBLIC_SAFETY",
        "국민의 생명·신체·재산 보호",
        "Life, body or property of citizens",
        Some("공공기관의 정보공개에 관한 법률 제9조제1항제3호 (Art. 9(1) item 3)"),
    ),
    g(
        "OIDA_9_1_4_TRIALS_INVESTIGATION",
        "TRIALS_INVESTIGATION",
        "재판·범죄수사",
        "Trials and criminal investigation",
        Some("공공기관의 정보공개에 관한 법률 제9조제1항제4호 (Art. 9(1) item 4)"),
    ),
    g(
        "OIDA_9_1_5_AUDIT_DELIBERATION",
        "AUDIT_DELIBERATION",
        "감사·감독·입찰·의사결정 과정",
        "Audit, inspection, tendering or internal deliberation",
        Some("공공기관의 정보공개에 관한 법률 제9조제1항제5호 (Art. 9(1) item 5)"),
    ),
    g(
        "OIDA_9_1_6_PERSONAL_INFORMATION",
        "PERSONAL_INFORMATION",
        "개인정보",
        "Personal information",
        Some("공공기관의 정보공개에 관한 법률 제9조제1항제6호 (Art. 9(1) item 6)"),
    ),
    g(
        "OIDA_9_1_7_BUSINESS_SECRET",
        "BUSINESS_SECRET",
        "법인 등의 경영·영업상 비밀",
        "Business or trade secrets of corporations",
        Some("공공기관의 정보공개에 관한 법률 제9조제1항제7호 (Art. 9(1) item 7)"),
    ),
    g(
        "OIDA_9_1_8_REAL_ESTATE_SPECULATION",
        "REAL_ESTATE_SPECULATION",
        "부동산 투기·매점매석",
        "Real-estate speculation or hoarding",
        Some("공공기관의 정보공개에 관한 법률 제9조제1항제8호 (Art. 9(1) item 8)"),
    ),
    g(
        "PDA_17_THIRD_PARTY_RIGHTS",
        "THIRD_PARTY_RIGHTS",
        "제3자의 권리(저작권 등)",
        "Third-party rights (e.g. copyright) without permission",
        Some(
            "공공데이터의 제공 및 이용 활성화에 관한 법률 제17조제1항제2호 (Public Data Act Art. 17(1) item 2)",
        ),
    ),
    g(
        "OTHER_STATUTE",
        "OTHER_STATUTE",
        "그 밖의 법령",
        "Another statute",
        Some("그 밖의 법령 (another statute, named in the explanation)"),
    ),
    g(
        "PRACTICAL_DATA_QUALITY",
        "PRACTICAL_DATA_QUALITY",
        "데이터 품질 문제 (법적 근거 없음)",
        "Data quality (no legal basis)",
        None,
    ),
    g(
        "PRACTICAL_NOT_DIGITIZED",
        "PRACTICAL_NOT_DIGITIZED",
        "전산화되지 않음 (법적 근거 없음)",
        "Not digitized (no legal basis)",
        None,
    ),
    g(
        "PRACTICAL_NO_SYSTEM",
        "PRACTICAL_NO_SYSTEM",
        "제공 시스템 없음 (법적 근거 없음)",
        "No system to serve it (no legal basis)",
        None,
    ),
];

/// The entry of a stored value (`None` for a value this copy does not know).
pub fn find(table: &'static [Term], stored: &str) -> Option<&'static Term> {
    table.iter().find(|t| t.stored == stored)
}

/// The entry of a GraphQL enum name.
pub fn by_name(table: &'static [Term], name: &str) -> Option<&'static Term> {
    table.iter().find(|t| t.name == name)
}
