//! Example queries GraphiQL opens with. `tests/examples.rs` runs every one against the demo.

/// An example query.
pub struct Example {
    pub title: &'static str,
    pub query: &'static str,
    pub variables: Option<&'static str>,
}

pub const EXAMPLES: &[Example] = &[
    Example {
        title: "What does an institution withhold, and why?",
        query: r#"query WhatIsWithheld($codes: [String!]) {
  datasets(first: 10, filter: { institutionCode: $codes, status: [WITHHELD, PARTIALLY_OPEN] }) {
    totalCount
    nodes {
      title
      synthetic
      institution { name kindLabel { label labelKo } }
      disclosure {
        status
        statusLabel { label labelKo }
        ground { label labelKo hasLegalBasis legalProvision }
        explanation
        mitigation
        nextReviewOn
      }
    }
  }
}"#,
        variables: Some(r#"{ "codes": null }"#),
    },
    Example {
        title: "Progress toward the 2025 opening target",
        query: r#"query TargetProgress {
  targets {
    title
    baselineOn
    baselineValue
    targetValue
    dueOn
    progress { achieved achievedSynthetic ratio synthetic }
  }
}"#,
        variables: None,
    },
    Example {
        title: "Plans, commitments and milestones",
        query: r#"query Plans {
  plans(first: 20) {
    nodes {
      name
      kindLabel { label }
      startsOn
      endsOn
      commitments { code title milestones { title startsOn endsOn continuesYearly completion } }
    }
  }
}"#,
        variables: None,
    },
    Example {
        title: "National core-data bundles of round 4",
        query: r#"query Bundles {
  coreDataBundles(round: 4, first: 10) {
    totalCount
    nodes { name nameEn round roundPeriod releaseYear synthetic datasets(first: 3) { title } }
  }
}"#,
        variables: None,
    },
    Example {
        title: "Requests for data (anonymized)",
        query: r#"query Requests {
  dataRequests(first: 10) {
    totalCount
    nodes { state stateLabel { label labelKo } filedAt decisionDueOn dataset { title } institution { name } }
  }
}"#,
        variables: None,
    },
];
