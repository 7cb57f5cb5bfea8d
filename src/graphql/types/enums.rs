//! GraphQL enums, mirrors of the stored vocabularies (`entity::enums`).

use async_graphql::Enum;

/// The name the API gives an enum value (`BUSINESS_SECRET`): what filters take and answers
/// carry, so facets and exports speak the same language as the rest of the API.
pub fn api_name<T: async_graphql::InputType>(v: T) -> String {
    match v.to_value() {
        async_graphql::Value::Enum(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// Kind of institution, derived from its portal code's first character unless overridden.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::InstitutionKind")]
pub enum InstitutionKind {
    /// 중앙행정기관: ministries and agencies (codes starting with 1).
    CentralGovernment,
    /// 광역자치단체: metropolitan governments and their agencies (6).
    MetropolitanGovernment,
    /// 기초자치단체: cities, counties and districts (3, 4, 5).
    LocalGovernment,
    /// 교육청: offices of education and their agencies (8, 9).
    OfficeOfEducation,
    /// 국립대학: national universities (7).
    NationalUniversity,
    /// 공공기관: public institutions and research institutes (A–D).
    PublicInstitution,
    /// 기타: any other code.
    Other,
}

/// The portal's 16 categories (분류체계).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Category")]
pub enum Category {
    /// 공공행정
    PublicAdministration,
    /// 과학기술
    ScienceTechnology,
    /// 교육
    Education,
    /// 교통물류
    TransportLogistics,
    /// 국토관리
    LandManagement,
    /// 농축수산
    AgricultureLivestockFisheries,
    /// 문화관광
    CultureTourism,
    /// 법률
    Law,
    /// 보건의료
    HealthMedical,
    /// 사회복지
    SocialWelfare,
    /// 산업고용
    IndustryEmployment,
    /// 식품건강
    FoodHealth,
    /// 재난안전
    DisasterSafety,
    /// 재정금융
    Finance,
    /// 통일외교안보
    UnificationDiplomacySecurity,
    /// 환경기상
    EnvironmentWeather,
}

/// Type of dataset on the portal.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::DatasetType")]
pub enum DatasetType {
    /// 파일데이터: downloadable files.
    File,
    /// 오픈API: a web service.
    OpenApi,
    /// 표준데이터: data in a national standard format.
    Standard,
    /// 연계데이터: linked from another system.
    Linked,
}

/// Where a dataset row came from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Provenance")]
pub enum Provenance {
    /// Loaded from a portal inventory file (see `sourceFile`).
    Imported,
    /// Registered by its institution through this API.
    Registered,
    /// Fictional demo data: not a real dataset or institution.
    Synthetic,
}

/// Disclosure status. In DCAT terms OPEN is PUBLIC, PARTIALLY_OPEN is RESTRICTED, the rest NON_PUBLIC.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::DisclosureStatus")]
pub enum DisclosureStatus {
    /// 개방: open to anyone.
    Open,
    /// 부분개방: opened in part (e.g. de-identified or as statistics); a ground covers the rest.
    PartiallyOpen,
    /// 비개방: withheld, with a ground.
    Withheld,
    /// 개방검토중: the institution is reviewing whether to open it.
    UnderReview,
    /// 개방예정: the institution has scheduled its opening (see `plannedOpenOn`).
    ScheduledToOpen,
}

/// Why a dataset is withheld: a legal ground, or a practical reason that has no legal basis.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::WithholdingGround")]
pub enum WithholdingGround {
    /// OIDA Art. 9(1) item 1: secret or non-public under another law.
    OtherLawSecret,
    /// OIDA Art. 9(1) item 2: national security, defence, unification, diplomacy.
    NationalSecurity,
    /// OIDA Art. 9(1) item 3: life, body or property of citizens.
    PublicSafety,
    /// OIDA Art. 9(1) item 4: trials and criminal investigation.
    TrialsInvestigation,
    /// OIDA Art. 9(1) item 5: audit, inspection, tendering, internal deliberation.
    AuditDeliberation,
    /// OIDA Art. 9(1) item 6: personal information.
    PersonalInformation,
    /// OIDA Art. 9(1) item 7: business or trade secrets of corporations.
    BusinessSecret,
    /// OIDA Art. 9(1) item 8: real-estate speculation or hoarding.
    RealEstateSpeculation,
    /// Public Data Act Art. 17(1) item 2: third-party rights (e.g. copyright) without permission.
    ThirdPartyRights,
    /// Another statute, named in the legal basis or explanation.
    OtherStatute,
    /// Practical reason, NO legal basis: data quality.
    PracticalDataQuality,
    /// Practical reason, NO legal basis: not digitized.
    PracticalNotDigitized,
    /// Practical reason, NO legal basis: no system to serve it.
    PracticalNoSystem,
}

/// Kind of plan.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::PlanKind")]
pub enum PlanKind {
    /// Open Government Data Master Plan (every three years).
    MasterPlan,
    /// National core data release plan (rounds 1–5).
    CoreDataReleasePlan,
    /// Open Government Partnership action plan.
    OgpActionPlan,
}

/// IRM completion rating of a milestone.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Completion")]
pub enum Completion {
    /// Not started.
    NotStarted,
    /// Limited progress.
    Limited,
    /// Substantial progress.
    Substantial,
    /// Completed.
    Completed,
}

/// What a target counts.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::TargetMetric")]
pub enum TargetMetric {
    /// Openings since the baseline: changes of an entry's disclosure to OPEN from another
    /// status, as `stats.openingsPerMonth` counts them (an entry's first event is never one).
    WithheldOpened,
    /// National core-data bundles released.
    CoreBundlesReleased,
}

/// Where a target stands as of a day.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::domain::plans::Status")]
pub enum TargetStatus {
    /// The count reached the target value on or before the due date.
    Met,
    /// The due date has passed (as of the day asked, and by today) without the count reaching
    /// the target value by then.
    Missed,
    /// Neither yet: the due date is still ahead, as of the day asked or today.
    InProgress,
}

/// State of a data request.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::RequestState")]
pub enum RequestState {
    /// Received; the institution must decide by the decision deadline.
    Received,
    /// The decision period was extended once.
    Extended,
    /// The data was provided.
    Provided,
    /// Part of the data was provided.
    PartiallyProvided,
    /// Provision was refused, with a ground.
    Refused,
    /// The institution does not hold the data.
    NotHeld,
    /// The requester asked for reconsideration of a refusal.
    Reconsideration,
    /// Refused again after reconsideration.
    RefusedAgain,
    /// Mediation was applied for at the Open Data Mediation Committee.
    MediationApplied,
    /// The committee made a mediation proposal.
    MediationProposed,
    /// The parties settled before a proposal.
    MediationSettled,
    /// Both parties accepted the proposal; provision follows.
    MediationAccepted,
    /// A party rejected the proposal.
    MediationRejected,
    /// The proposal lapsed unanswered (silence counts as rejection).
    MediationLapsed,
    /// The mediation application was withdrawn.
    MediationWithdrawn,
    /// The committee dismissed the application.
    MediationDismissed,
    /// The requester withdrew the request.
    Withdrawn,
}
