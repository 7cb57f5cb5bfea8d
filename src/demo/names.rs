//! Vocabulary of the fictional demo inventory. Every synthetic institution name starts with
//! "(가상)" ("fictional") and uses invented place names, so no one mistakes it for a real body.

use entity::enums::WithholdingGround;
use sea_orm::Iterable;

pub const SYNTHETIC_MARK: &str = "(가상)";

pub const PLACES: &[&str] = &[
    "한빛",
    "새솔",
    "누리",
    "다온",
    "가람",
    "하늬",
    "미르",
    "별솔",
    "해솔",
    "라온",
    "아라",
    "늘봄",
    "단비",
    "도담",
    "보람",
    "샛별",
    "슬기",
    "여울",
    "온새",
    "윤슬",
    "은솔",
    "초롱",
    "푸른",
    "한결",
    "해든",
    "휘담",
    "가온",
    "나래",
    "너울",
    "다솜",
    "마루",
    "모아",
    "바다솔",
    "비솔",
    "산들",
    "소담",
];

pub const MINISTRY_TOPICS: &[&str] = &[
    "데이터혁신",
    "미래교통",
    "해양생태",
    "농촌활력",
    "국민안심",
    "디지털행정",
    "산업전환",
    "문화융성",
    "기후대응",
    "보건복지",
    "청년고용",
    "재정관리",
    "국토균형",
    "과학진흥",
    "통일협력",
    "식품안전",
];

pub const PUBLIC_SUFFIXES: &[&str] =
    &["공단", "진흥원", "연구원", "공사", "재단", "정보원", "센터"];

pub const LOCAL_SUFFIXES: &[&str] = &["시", "군", "구"];

/// Topics per category, in the order of `Category::iter()`.
pub const TOPICS: &[&[&str]] = &[
    &[
        "민원처리",
        "행정구역",
        "인구",
        "공무원현황",
        "조직도",
        "업무추진비",
        "위원회운영",
    ],
    &["연구과제", "특허출원", "과학관관람", "연구장비", "기술이전"],
    &["학교현황", "학생수", "급식식단", "평생학습강좌", "도서관"],
    &[
        "버스정류장",
        "버스노선",
        "교통사고",
        "주차장",
        "자전거대여소",
        "교통량",
        "택시운행",
    ],
    &["도시계획", "건축허가", "도로대장", "지적측량", "공원녹지"],
    &["농산물가격", "축산물이력", "어획량", "가축사육", "농지현황"],
    &["관광지", "축제일정", "문화재", "공연시설", "숙박업소"],
    &["법령해석", "판례목록", "행정심판재결", "조례"],
    &["병원현황", "약국", "예방접종", "응급의료", "건강검진"],
    &[
        "복지시설",
        "장애인편의시설",
        "노인일자리",
        "어린이집",
        "기초생활수급",
    ],
    &["사업체현황", "일자리", "창업지원", "산업단지", "고용보험"],
    &["식품위생업소", "음식점위생등급", "건강기능식품", "식중독"],
    &["화재발생", "재난대피소", "자연재해", "안전점검", "소방시설"],
    &["예산집행", "지방세", "계약정보", "보조금", "재정공시"],
    &["재외국민", "외교문서목록", "비상대비", "통일교육"],
    &[
        "미세먼지측정",
        "대기질",
        "수질측정",
        "기상관측",
        "폐기물처리",
    ],
];

pub const SUFFIXES: &[&str] = &["현황", "정보", "목록", "통계", "내역", "데이터"];

/// Explanations per ground, in the order of `WithholdingGround::iter()`.
/// Statutes that keep data secret or restrict its disclosure, named by the explanations of
/// the grounds "secret under another law" and "another statute".
pub const STATUTES: &[&str] = &[
    "「통계법」 제33조",
    "「국세기본법」 제81조의13",
    "「개인정보 보호법」 제18조",
    "「금융실명거래 및 비밀보장에 관한 법률」 제4조",
    "「의료법」 제21조",
    "「가족관계의 등록 등에 관한 법률」 제11조",
    "「군사기밀 보호법」",
    "「보안업무규정」",
];

/// The demo's explanation of ground `g` for dataset `id`: the ground's usual wording, naming a
/// statute (picked by the id) when the ground rests on another law.
pub fn explanation(g: WithholdingGround, id: i64) -> String {
    let statute = STATUTES[id.rem_euclid(STATUTES.len() as i64) as usize];
    match g {
        WithholdingGround::OtherLawSecret => {
            format!("{statute}에서 비밀로 정한 사항이 포함되어 있음 (가상 예시)")
        }
        WithholdingGround::OtherStatute => {
            format!("{statute}에 따라 공개가 제한됨 (가상 예시)")
        }
        _ => EXPLANATIONS[WithholdingGround::iter().position(|x| x == g).unwrap_or(0)].to_string(),
    }
}

pub const EXPLANATIONS: &[&str] = &[
    "다른 법률에서 비밀로 정한 사항이 포함되어 있음 (가상 예시)",
    "국가안보와 관련된 시설 위치가 포함되어 있음 (가상 예시)",
    "공개 시 시설 이용자의 안전을 해칠 우려가 있음 (가상 예시)",
    "진행 중인 수사·재판과 관련된 정보임 (가상 예시)",
    "의사결정 과정에 있는 내부 검토 자료임 (가상 예시)",
    "성명, 주민등록번호 등 개인을 식별할 수 있는 정보가 포함됨 (가상 예시)",
    "법인의 영업상 비밀에 해당하는 거래 정보가 포함됨 (가상 예시)",
    "공개 시 부동산 투기에 이용될 우려가 있음 (가상 예시)",
    "제3자가 저작권을 가진 자료로 이용 허락을 받지 못함 (가상 예시)",
    "개별 법령에서 공개를 제한함 (가상 예시)",
    "오류가 많아 정비 후 개방 예정 (가상 예시, 법적 근거 없음)",
    "종이 문서로만 보관되어 전산화되지 않음 (가상 예시, 법적 근거 없음)",
    "제공할 수 있는 시스템이 없음 (가상 예시, 법적 근거 없음)",
];
