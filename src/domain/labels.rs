//! Korean and English labels of every stored vocabulary, and the legal text of each ground.
//! Front ends read these through the API instead of hard-coding them.

use entity::enums::*;

/// A value's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub ko: &'static str,
    pub en: &'static str,
}

const fn l(ko: &'static str, en: &'static str) -> Label {
    Label { ko, en }
}

pub fn category(c: Category) -> Label {
    use Category::*;
    match c {
        PublicAdministration => l("공공행정", "Public administration"),
        ScienceTechnology => l("과학기술", "Science and technology"),
        Education => l("교육", "Education"),
        TransportLogistics => l("교통물류", "Transport and logistics"),
        LandManagement => l("국토관리", "Land management"),
        AgricultureLivestockFisheries => l("농축수산", "Agriculture, livestock and fisheries"),
        CultureTourism => l("문화관광", "Culture and tourism"),
        Law => l("법률", "Law"),
        HealthMedical => l("보건의료", "Health and medical care"),
        SocialWelfare => l("사회복지", "Social welfare"),
        IndustryEmployment => l("산업고용", "Industry and employment"),
        FoodHealth => l("식품건강", "Food and health"),
        DisasterSafety => l("재난안전", "Disaster and safety"),
        Finance => l("재정금융", "Public finance and banking"),
        UnificationDiplomacySecurity => l("통일외교안보", "Unification, diplomacy and security"),
        EnvironmentWeather => l("환경기상", "Environment and weather"),
    }
}

/// The category of a portal label (분류체계), e.g. "교통물류".
pub fn category_from_ko(ko: &str) -> Option<Category> {
    use sea_orm::Iterable;
    let ko = ko.trim();
    Category::iter().find(|c| category(*c).ko == ko)
}

pub fn dataset_type(t: DatasetType) -> Label {
    match t {
        DatasetType::File => l("파일데이터", "File data"),
        DatasetType::OpenApi => l("오픈API", "Open API"),
        DatasetType::Standard => l("표준데이터", "Standard data"),
        DatasetType::Linked => l("연계데이터", "Linked data"),
    }
}

pub fn status(s: DisclosureStatus) -> Label {
    match s {
        DisclosureStatus::Open => l("개방", "Open"),
        DisclosureStatus::PartiallyOpen => l("부분개방", "Partially open"),
        DisclosureStatus::Withheld => l("비개방", "Withheld"),
        DisclosureStatus::UnderReview => l("개방검토중", "Under review"),
        DisclosureStatus::ScheduledToOpen => l("개방예정", "Scheduled to open"),
    }
}

pub fn institution_kind(k: InstitutionKind) -> Label {
    use InstitutionKind::*;
    match k {
        CentralGovernment => l("중앙행정기관", "Central government"),
        MetropolitanGovernment => l("광역자치단체", "Metropolitan government"),
        LocalGovernment => l("기초자치단체", "Local government"),
        OfficeOfEducation => l("교육청", "Office of education"),
        NationalUniversity => l("국립대학", "National university"),
        PublicInstitution => l("공공기관", "Public institution"),
        Other => l("기타", "Other"),
    }
}

pub fn provenance(p: Provenance) -> Label {
    match p {
        Provenance::Imported => l(
            "포털 목록에서 가져옴",
            "Imported from a portal inventory file",
        ),
        Provenance::Registered => l("API로 등록", "Registered through the API"),
        Provenance::Synthetic => l("가상 데모 데이터", "Synthetic demo data"),
    }
}

/// A withholding ground: its labels, the legal text it rests on, and whether it has a legal basis.
#[derive(Debug, Clone, Copy)]
pub struct GroundInfo {
    pub label: Label,
    /// The provision, e.g. "공공기관의 정보공개에 관한 법률 제9조제1항제6호".
    pub legal_basis: Option<&'static str>,
}

pub fn ground(g: WithholdingGround) -> GroundInfo {
    use WithholdingGround::*;
    let (label, legal_basis) = match g {
        OtherLawSecret => (
            l(
                "다른 법률에 따른 비밀·비공개",
                "Secret or non-public under another law",
            ),
            Some(
                "공공기관의 정보공개에 관한 법률 제9조제1항제1호 (Official Information Disclosure Act Art. 9(1) item 1)",
            ),
        ),
        NationalSecurity => (
            l(
                "국가안전보장·국방·통일·외교",
                "National security, defence, unification, diplomacy",
            ),
            Some("공공기관의 정보공개에 관한 법률 제9조제1항제2호 (Art. 9(1) item 2)"),
        ),
        PublicSafety => (
            l(
                "국민의 생명·신체·재산 보호",
                "Life, body or property of citizens",
            ),
            Some("공공기관의 정보공개에 관한 법률 제9조제1항제3호 (Art. 9(1) item 3)"),
        ),
        TrialsInvestigation => (
            l("재판·범죄수사", "Trials and criminal investigation"),
            Some("공공기관의 정보공개에 관한 법률 제9조제1항제4호 (Art. 9(1) item 4)"),
        ),
        AuditDeliberation => (
            l(
                "감사·감독·입찰·의사결정 과정",
                "Audit, inspection, tendering or internal deliberation",
            ),
            Some("공공기관의 정보공개에 관한 법률 제9조제1항제5호 (Art. 9(1) item 5)"),
        ),
        PersonalInformation => (
            l("개인정보", "Personal information"),
            Some("공공기관의 정보공개에 관한 법률 제9조제1항제6호 (Art. 9(1) item 6)"),
        ),
        BusinessSecret => (
            l(
                "법인 등의 경영·영업상 비밀",
                "Business or trade secrets of corporations",
            ),
            Some("공공기관의 정보공개에 관한 법률 제9조제1항제7호 (Art. 9(1) item 7)"),
        ),
        RealEstateSpeculation => (
            l(
                "부동산 투기·매점매석",
                "Real-estate speculation or hoarding",
            ),
            Some("공공기관의 정보공개에 관한 법률 제9조제1항제8호 (Art. 9(1) item 8)"),
        ),
        ThirdPartyRights => (
            l(
                "제3자의 권리(저작권 등)",
                "Third-party rights (e.g. copyright) without permission",
            ),
            Some(
                "공공데이터의 제공 및 이용 활성화에 관한 법률 제17조제1항제2호 (Public Data Act Art. 17(1) item 2)",
            ),
        ),
        OtherStatute => (
            l("그 밖의 법령", "Another statute"),
            Some("그 밖의 법령 (another statute, named in the explanation)"),
        ),
        PracticalDataQuality => (
            l(
                "데이터 품질 문제 (법적 근거 없음)",
                "Data quality (no legal basis)",
            ),
            None,
        ),
        PracticalNotDigitized => (
            l(
                "전산화되지 않음 (법적 근거 없음)",
                "Not digitized (no legal basis)",
            ),
            None,
        ),
        PracticalNoSystem => (
            l(
                "제공 시스템 없음 (법적 근거 없음)",
                "No system to serve it (no legal basis)",
            ),
            None,
        ),
    };
    GroundInfo { label, legal_basis }
}

pub fn completion(c: Completion) -> Label {
    match c {
        Completion::NotStarted => l("시작 전", "Not started"),
        Completion::Limited => l("제한적", "Limited"),
        Completion::Substantial => l("상당한 진척", "Substantial"),
        Completion::Completed => l("완료", "Completed"),
    }
}

pub fn plan_kind(k: PlanKind) -> Label {
    match k {
        PlanKind::MasterPlan => l("공공데이터 기본계획", "Open government data master plan"),
        PlanKind::CoreDataReleasePlan => {
            l("국가중점데이터 개방계획", "National core data release plan")
        }
        PlanKind::OgpActionPlan => l("열린정부파트너십 실행계획", "OGP action plan"),
    }
}

pub fn request_state(s: RequestState) -> Label {
    use RequestState::*;
    match s {
        Received => l("접수", "Received"),
        Extended => l("결정기간 연장", "Decision period extended"),
        Provided => l("제공", "Provided"),
        PartiallyProvided => l("부분 제공", "Partially provided"),
        Refused => l("제공 거부", "Refused"),
        NotHeld => l("정보 부존재", "Not held"),
        Reconsideration => l("재검토 중", "Under reconsideration"),
        RefusedAgain => l("재검토 후 거부", "Refused again after reconsideration"),
        MediationApplied => l("분쟁조정 신청", "Mediation applied for"),
        MediationProposed => l("조정안 제시", "Mediation proposal made"),
        MediationSettled => l("조정 전 합의", "Settled before a proposal"),
        MediationAccepted => l("조정 성립", "Proposal accepted by both parties"),
        MediationRejected => l("조정 불성립", "Proposal rejected"),
        MediationLapsed => l("조정안 기한 경과", "Proposal lapsed unanswered"),
        MediationWithdrawn => l("조정 신청 취하", "Mediation withdrawn"),
        MediationDismissed => l("조정 각하", "Mediation dismissed"),
        Withdrawn => l("요청 취하", "Withdrawn"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    #[test]
    fn every_category_round_trips_through_its_korean_label() {
        for c in Category::iter() {
            assert_eq!(category_from_ko(category(c).ko), Some(c));
        }
        assert_eq!(Category::iter().count(), 16);
    }

    #[test]
    fn practical_reasons_have_no_legal_basis() {
        for g in WithholdingGround::iter() {
            let practical = format!("{g:?}").starts_with("Practical");
            assert_eq!(ground(g).legal_basis.is_none(), practical, "{g:?}");
        }
    }
}
