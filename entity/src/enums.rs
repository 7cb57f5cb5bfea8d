//! Closed vocabularies stored as stable upper-case strings (the same text on SQLite and PostgreSQL).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Kind of institution, derived from the first character of its portal code unless overridden.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum InstitutionKind {
    #[sea_orm(string_value = "CENTRAL_GOVERNMENT")]
    CentralGovernment,
    #[sea_orm(string_value = "METROPOLITAN_GOVERNMENT")]
    MetropolitanGovernment,
    #[sea_orm(string_value = "LOCAL_GOVERNMENT")]
    LocalGovernment,
    #[sea_orm(string_value = "OFFICE_OF_EDUCATION")]
    OfficeOfEducation,
    #[sea_orm(string_value = "NATIONAL_UNIVERSITY")]
    NationalUniversity,
    #[sea_orm(string_value = "PUBLIC_INSTITUTION")]
    PublicInstitution,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// The portal's 16 categories (분류체계).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Category {
    #[sea_orm(string_value = "PUBLIC_ADMINISTRATION")]
    PublicAdministration,
    #[sea_orm(string_value = "SCIENCE_TECHNOLOGY")]
    ScienceTechnology,
    #[sea_orm(string_value = "EDUCATION")]
    Education,
    #[sea_orm(string_value = "TRANSPORT_LOGISTICS")]
    TransportLogistics,
    #[sea_orm(string_value = "LAND_MANAGEMENT")]
    LandManagement,
    #[sea_orm(string_value = "AGRICULTURE_LIVESTOCK_FISHERIES")]
    AgricultureLivestockFisheries,
    #[sea_orm(string_value = "CULTURE_TOURISM")]
    CultureTourism,
    #[sea_orm(string_value = "LAW")]
    Law,
    #[sea_orm(string_value = "HEALTH_MEDICAL")]
    HealthMedical,
    #[sea_orm(string_value = "SOCIAL_WELFARE")]
    SocialWelfare,
    #[sea_orm(string_value = "INDUSTRY_EMPLOYMENT")]
    IndustryEmployment,
    #[sea_orm(string_value = "FOOD_HEALTH")]
    FoodHealth,
    #[sea_orm(string_value = "DISASTER_SAFETY")]
    DisasterSafety,
    #[sea_orm(string_value = "FINANCE")]
    Finance,
    #[sea_orm(string_value = "UNIFICATION_DIPLOMACY_SECURITY")]
    UnificationDiplomacySecurity,
    #[sea_orm(string_value = "ENVIRONMENT_WEATHER")]
    EnvironmentWeather,
}

/// Type of a dataset on the portal.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DatasetType {
    #[sea_orm(string_value = "FILE")]
    File,
    #[sea_orm(string_value = "OPEN_API")]
    OpenApi,
    #[sea_orm(string_value = "STANDARD")]
    Standard,
    #[sea_orm(string_value = "LINKED")]
    Linked,
}

/// Where a dataset row came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Provenance {
    /// Loaded from a portal inventory file (`source_file`, `source_imported_at`).
    #[sea_orm(string_value = "IMPORTED")]
    Imported,
    /// Registered by an institution through the API.
    #[sea_orm(string_value = "REGISTERED")]
    Registered,
    /// Fictional demo data, never to be mistaken for real.
    #[sea_orm(string_value = "SYNTHETIC")]
    Synthetic,
}

/// Disclosure status (DCAT `dct:accessRights` in international terms).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DisclosureStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "PARTIALLY_OPEN")]
    PartiallyOpen,
    #[sea_orm(string_value = "WITHHELD")]
    Withheld,
    #[sea_orm(string_value = "UNDER_REVIEW")]
    UnderReview,
    #[sea_orm(string_value = "SCHEDULED_TO_OPEN")]
    ScheduledToOpen,
}

/// Why a dataset is withheld: a legal ground, or a practical reason with no legal basis.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum WithholdingGround {
    /// OIDA Art. 9(1) item 1: secret or non-public under another law.
    #[sea_orm(string_value = "OIDA_9_1_1_OTHER_LAW_SECRET")]
    OtherLawSecret,
    /// Item 2: national security, defence, unification, diplomacy.
    #[sea_orm(string_value = "OIDA_9_1_2_NATIONAL_SECURITY")]
    NationalSecurity,
    /// Item 3: life, body or property of citizens.
    #[sea_orm(string_value = "OIDA_9_1_3_PUBLIC_SAFETY")]
    PublicSafety,
    /// Item 4: trials and criminal investigation.
    #[sea_orm(string_value = "OIDA_9_1_4_TRIALS_INVESTIGATION")]
    TrialsInvestigation,
    /// Item 5: audit, inspection, tendering, internal deliberation.
    #[sea_orm(string_value = "OIDA_9_1_5_AUDIT_DELIBERATION")]
    AuditDeliberation,
    /// Item 6: personal information.
    #[sea_orm(string_value = "OIDA_9_1_6_PERSONAL_INFORMATION")]
    PersonalInformation,
    /// Item 7: business or trade secrets of corporations.
    #[sea_orm(string_value = "OIDA_9_1_7_BUSINESS_SECRET")]
    BusinessSecret,
    /// Item 8: real-estate speculation or hoarding.
    #[sea_orm(string_value = "OIDA_9_1_8_REAL_ESTATE_SPECULATION")]
    RealEstateSpeculation,
    /// Public Data Act Art. 17(1) item 2: third-party rights (e.g. copyright) without permission.
    #[sea_orm(string_value = "PDA_17_THIRD_PARTY_RIGHTS")]
    ThirdPartyRights,
    /// Another statute, named in the legal basis text.
    #[sea_orm(string_value = "OTHER_STATUTE")]
    OtherStatute,
    /// Practical reason, no legal basis: data quality.
    #[sea_orm(string_value = "PRACTICAL_DATA_QUALITY")]
    PracticalDataQuality,
    /// Practical reason, no legal basis: not digitized.
    #[sea_orm(string_value = "PRACTICAL_NOT_DIGITIZED")]
    PracticalNotDigitized,
    /// Practical reason, no legal basis: no system to serve it.
    #[sea_orm(string_value = "PRACTICAL_NO_SYSTEM")]
    PracticalNoSystem,
}

/// Kind of plan.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PlanKind {
    #[sea_orm(string_value = "MASTER_PLAN")]
    MasterPlan,
    #[sea_orm(string_value = "CORE_DATA_RELEASE_PLAN")]
    CoreDataReleasePlan,
    #[sea_orm(string_value = "OGP_ACTION_PLAN")]
    OgpActionPlan,
}

/// IRM completion rating of a milestone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Completion {
    #[sea_orm(string_value = "NOT_STARTED")]
    NotStarted,
    #[sea_orm(string_value = "LIMITED")]
    Limited,
    #[sea_orm(string_value = "SUBSTANTIAL")]
    Substantial,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
}

/// What a numeric target counts; progress is always computed from the history.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum TargetMetric {
    /// Openings since the baseline (changes to OPEN from another status; see
    /// `inventory::domain::openings`).
    #[sea_orm(string_value = "WITHHELD_OPENED")]
    WithheldOpened,
    /// Core-data bundles released.
    #[sea_orm(string_value = "CORE_BUNDLES_RELEASED")]
    CoreBundlesReleased,
}

/// Role of an account.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Role {
    #[sea_orm(string_value = "CITIZEN")]
    Citizen,
    #[sea_orm(string_value = "OFFICER")]
    Officer,
    #[sea_orm(string_value = "MEDIATOR")]
    Mediator,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

/// State of a data request (the workflow is a later issue; the states are fixed now).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum RequestState {
    #[sea_orm(string_value = "RECEIVED")]
    Received,
    #[sea_orm(string_value = "EXTENDED")]
    Extended,
    #[sea_orm(string_value = "PROVIDED")]
    Provided,
    #[sea_orm(string_value = "PARTIALLY_PROVIDED")]
    PartiallyProvided,
    #[sea_orm(string_value = "REFUSED")]
    Refused,
    #[sea_orm(string_value = "NOT_HELD")]
    NotHeld,
    #[sea_orm(string_value = "RECONSIDERATION")]
    Reconsideration,
    #[sea_orm(string_value = "REFUSED_AGAIN")]
    RefusedAgain,
    #[sea_orm(string_value = "MEDIATION_APPLIED")]
    MediationApplied,
    #[sea_orm(string_value = "MEDIATION_PROPOSED")]
    MediationProposed,
    #[sea_orm(string_value = "MEDIATION_SETTLED")]
    MediationSettled,
    #[sea_orm(string_value = "MEDIATION_ACCEPTED")]
    MediationAccepted,
    #[sea_orm(string_value = "MEDIATION_REJECTED")]
    MediationRejected,
    #[sea_orm(string_value = "MEDIATION_LAPSED")]
    MediationLapsed,
    #[sea_orm(string_value = "MEDIATION_WITHDRAWN")]
    MediationWithdrawn,
    #[sea_orm(string_value = "MEDIATION_DISMISSED")]
    MediationDismissed,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}
