//! The real plans, commitments, milestones, targets and core-data bundles of DOMAIN.md.
//! These are facts, not synthetic data; only the datasets linked to bundles in the demo are.

use entity::enums::{Completion, PlanKind, TargetMetric};

pub struct PlanRef {
    pub kind: PlanKind,
    pub name: &'static str,
    pub name_en: &'static str,
    pub starts: &'static str,
    pub ends: &'static str,
    pub description: &'static str,
}

pub const PLANS: &[PlanRef] = &[
    PlanRef {
        kind: PlanKind::MasterPlan,
        name: "제4차 공공데이터 제공 및 이용 활성화 기본계획",
        name_en: "4th Open Government Data Master Plan",
        starts: "2023-01-01",
        ends: "2025-12-31",
        description: "Vision \"releasing and connecting ALL DATA\"; open by default (negative manner), with the appropriateness of each non-disclosure reason reviewed and reported to the ODSC.",
    },
    PlanRef {
        kind: PlanKind::MasterPlan,
        name: "제5차 공공데이터 제공 및 이용 활성화 기본계획",
        name_en: "5th Open Government Data Master Plan",
        starts: "2026-01-01",
        ends: "2028-12-31",
        description: "Developed and implemented from January 2026 (KR0067 milestone 5).",
    },
    PlanRef {
        kind: PlanKind::CoreDataReleasePlan,
        name: "국가중점데이터 개방계획 1차",
        name_en: "National core data release plan, round 1",
        starts: "2015-01-01",
        ends: "2016-12-31",
        description: "33 bundles released.",
    },
    PlanRef {
        kind: PlanKind::CoreDataReleasePlan,
        name: "국가중점데이터 개방계획 2차",
        name_en: "National core data release plan, round 2",
        starts: "2017-01-01",
        ends: "2019-12-31",
        description: "63 bundles released.",
    },
    PlanRef {
        kind: PlanKind::CoreDataReleasePlan,
        name: "국가중점데이터 개방계획 3차",
        name_en: "National core data release plan, round 3",
        starts: "2020-01-01",
        ends: "2022-12-31",
        description: "72 bundles released.",
    },
    PlanRef {
        kind: PlanKind::CoreDataReleasePlan,
        name: "국가중점데이터 개방계획 4차",
        name_en: "National core data release plan, round 4",
        starts: "2023-01-01",
        ends: "2025-12-31",
        description: "Targets 32 bundles.",
    },
    PlanRef {
        kind: PlanKind::CoreDataReleasePlan,
        name: "국가중점데이터 개방계획 5차",
        name_en: "National core data release plan, round 5",
        starts: "2026-01-01",
        ends: "2028-12-31",
        description: "Sets targets for 2026-2028.",
    },
    PlanRef {
        kind: PlanKind::OgpActionPlan,
        name: "대한민국 제6차 열린정부 국가실행계획 (2023-2027)",
        name_en: "Republic of Korea Action Plan 2023-2027",
        starts: "2023-06-01",
        ends: "2027-05-31",
        description: "OGP national action plan; includes KR0067 Opening Up Non-Public Data.",
    },
    PlanRef {
        kind: PlanKind::OgpActionPlan,
        name: "서울특별시 열린정부 실행계획 (2017)",
        name_en: "Seoul, Korea Action Plan 2017",
        starts: "2017-01-01",
        ends: "2017-12-31",
        description: "OGP subnational pilot action plan of the Seoul Metropolitan Government.",
    },
];

pub struct CommitmentRef {
    /// Index into [`PLANS`].
    pub plan: usize,
    pub code: &'static str,
    pub title: &'static str,
    pub lead: &'static str,
    pub description: &'static str,
    pub milestones: &'static [MilestoneRef],
}

pub struct MilestoneRef {
    pub title: &'static str,
    pub starts: &'static str,
    pub ends: Option<&'static str>,
    pub continues_yearly: bool,
    pub completion: Completion,
    pub evidence_url: Option<&'static str>,
}

const fn ms(
    title: &'static str,
    starts: &'static str,
    ends: Option<&'static str>,
    continues_yearly: bool,
    completion: Completion,
    evidence_url: Option<&'static str>,
) -> MilestoneRef {
    MilestoneRef {
        title,
        starts,
        ends,
        continues_yearly,
        completion,
        evidence_url,
    }
}

pub const COMMITMENTS: &[CommitmentRef] = &[
    CommitmentRef {
        plan: 7,
        code: "KR0067",
        title: "Opening Up Non-Public Data",
        lead: "MOIS (Public Data Policy Division)",
        description: "Publish the full list of public data including what is withheld, with the reasons, and let anyone request withheld data so that the reason is reconsidered (and mediated if refused). The draft disclosure plan aims to open 40.6% of the closed data (106,930 of 263,342) by 2025.",
        milestones: &[
            ms(
                "Establish a government-wide mid- to long-term plan for opening non-public data",
                "2023-06-01",
                None,
                true,
                Completion::NotStarted,
                None,
            ),
            ms(
                "Create a working group on non-public data",
                "2023-06-01",
                None,
                true,
                Completion::NotStarted,
                None,
            ),
            ms(
                "Assess the provision status of non-public data",
                "2023-06-01",
                None,
                true,
                Completion::NotStarted,
                None,
            ),
            ms(
                "Implement the 4th Open Government Data Basic Plan",
                "2023-06-01",
                Some("2025-12-31"),
                false,
                Completion::NotStarted,
                None,
            ),
            ms(
                "Develop and implement the 5th Open Government Data Basic Plan",
                "2026-01-01",
                Some("2027-05-31"),
                false,
                Completion::NotStarted,
                None,
            ),
        ],
    },
    CommitmentRef {
        plan: 8,
        code: "SEO0002",
        title: "Strengthen the accountability of the Seoul Metropolitan Government by sharing public information with its citizens in a timely and swift manner",
        lead: "Seoul Metropolitan Government (all departments; with Open Net, INDILAB and C.O.D.E)",
        description: "Aggregate administrative data scattered across departments, structure and visualize it on a live dashboard, with a citizen feedback system.",
        milestones: &[
            ms(
                "Agree on what types of data set to open with CSOs and ways of communicating with them",
                "2017-01-01",
                Some("2017-04-30"),
                false,
                Completion::Completed,
                Some("http://ogp.seoul.go.kr/sub03-1#list/2"),
            ),
            ms(
                "Agree on data visualization types and channels to provide the visualized and seamless data to citizens",
                "2017-04-01",
                Some("2017-07-31"),
                false,
                Completion::Completed,
                None,
            ),
            ms(
                "Visualizing data and opening it to citizens",
                "2017-07-01",
                Some("2017-12-31"),
                false,
                Completion::Substantial,
                Some("https://data.seoul.go.kr/visual/"),
            ),
        ],
    },
];

pub struct TargetRef {
    pub commitment: Option<&'static str>,
    /// Index into [`PLANS`].
    pub plan: Option<usize>,
    pub title: &'static str,
    pub metric: TargetMetric,
    pub baseline_on: &'static str,
    pub baseline_value: i64,
    pub target_value: i64,
    pub due_on: &'static str,
}

pub const TARGETS: &[TargetRef] = &[
    TargetRef {
        commitment: Some("KR0067"),
        plan: Some(0),
        title: "Open 106,930 of the 263,342 withheld datasets (40.6%) by the end of 2025",
        metric: TargetMetric::WithheldOpened,
        baseline_on: "2023-01-01",
        baseline_value: 263_342,
        target_value: 106_930,
        due_on: "2025-12-31",
    },
    TargetRef {
        commitment: None,
        plan: Some(5),
        title: "Release 32 national core-data bundles under the 4th release plan (2023-2025)",
        metric: TargetMetric::CoreBundlesReleased,
        baseline_on: "2023-01-01",
        baseline_value: 168,
        target_value: 32,
        due_on: "2025-12-31",
    },
];

/// Bundles named in DOMAIN.md, with the round they are placed in.
pub const NAMED_BUNDLES: &[(&str, &str, i32)] = &[
    (
        "119 구급정보",
        "119 emergency information (ambulance transport, first aid, patient status)",
        3,
    ),
    (
        "감염병 치료 정보",
        "Infectious disease treatment (vaccine and drug product information)",
        3,
    ),
    ("대기오염물질 배출 정보", "Air pollutant emissions", 2),
    ("식품·의약품 정보", "Food and pharmaceuticals", 1),
    ("부동산 실거래 정보", "Real-estate transactions", 1),
    ("공공조달 정보", "Public procurement", 2),
    ("인공지능·일자리 정보", "AI and job information", 3),
    ("코로나19 임상시험 정보", "COVID-19 clinical trials", 3),
    (
        "업무상 질병 판정 정보",
        "Occupational disease determination",
        4,
    ),
    (
        "산업재해 심사 결정 정보",
        "Industrial accident review decisions",
        4,
    ),
    ("국고보조금 통합 정보", "Integrated state subsidies", 4),
    ("주민등록 정보", "Resident registration data", 4),
];

/// Bundles per release-plan round (rounds 1–3 released; round 4 is the target of 32).
pub const BUNDLES_PER_ROUND: &[(i32, usize, i32, i32)] = &[
    (1, 33, 2015, 2016),
    (2, 63, 2017, 2019),
    (3, 72, 2020, 2022),
    (4, 32, 2023, 2025),
];
