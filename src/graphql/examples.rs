//! Example queries GraphiQL opens with, one tab each, titled as the README titles them (the page
//! shows a tab's title where GraphiQL would show its operation name, so each operation name is
//! unique). No example hard-codes a demo code: each picks its institutions and datasets from
//! the data, and one that cannot show anything on a real import (the portal's file lists open
//! data only, and no request, plan or target) says why in its comment. `tests/examples.rs` runs
//! every one against the demo and against a real import on every backend and fails on any error.

/// An example query.
pub struct Example {
    pub title: &'static str,
    pub query: &'static str,
    pub variables: Option<&'static str>,
}

pub const EXAMPLES: &[Example] = &[
    Example {
        title: "What does an institution withhold, and why?",
        query: r#"# The three institutions that withhold the most, picked from the data: their
# records and grounds, and their withheld and partially open datasets with the reasons. Nothing
# is hard-coded, so it answers on the demo and on a real import alike. On a real import the
# withheld lists are empty and every withheld count is 0: the portal's inventory file lists open
# data only, so withheld entries exist once institutions record them (registerDataset,
# changeDisclosure). For one institution, ask `institution(code: "1741000")` (행정안전부 in the real
# inventory) for the same fields. A dataset's `id` is what the request example needs.
query WhatIsWithheld($status: [DisclosureStatus!]) {
  institutions(orderBy: WITHHELD, first: 3) {
    nodes {
      code
      name
      kindLabel { label labelKo }
      record {
        datasetsHeld open withheld partiallyOpen openShare requestsPending requestsOverdue
        grounds { value label labelKo count }
      }
      withheldData: datasets(filter: { status: $status }, first: 5) {
        totalCount
        nodes {
          id
          title
          synthetic
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
    }
  }
}"#,
        variables: Some(r#"{ "status": ["WITHHELD", "PARTIALLY_OPEN"] }"#),
    },
    Example {
        title: "The most-demanded withheld datasets",
        query: r#"# The withheld datasets citizens ask for most, and how fast institutions decide.
# On a real import both are empty until citizens file requests through the API (fileRequest):
# the portal's file holds no request. The demo's requests are synthetic.
query MostDemanded {
  stats {
    mostDemanded(first: 10) {
      requests
      supporters
      dataset {
        title
        institution { name }
        disclosure { status ground { label labelKo hasLegalBasis } explanation }
      }
    }
    turnaround { decided averageDays decidedWithinDeadline overdue }
  }
}"#,
        variables: None,
    },
    Example {
        title: "Search 미세먼지",
        query: r#"query SearchFineDust($q: String!) {
  datasets(search: $q, first: 10) {
    totalCount
    facets { status { value labelKo count } category { value labelKo count } }
    nodes { title institution { name } disclosure { status } synthetic }
  }
}"#,
        variables: Some(r#"{ "q": "미세먼지" }"#),
    },
    Example {
        title: "Search 버스 among withheld datasets",
        query: r#"# Withheld datasets matching 버스, with the grounds given. On a real import this
# answers totalCount 0: the portal's inventory file lists open data only, and nothing is
# withheld until institutions record it (registerDataset, changeDisclosure). Drop the status
# filter to search every entry.
query WithheldBus {
  datasets(search: "버스", filter: { status: [WITHHELD] }, first: 10) {
    totalCount
    facets { ground { value label labelKo count } institutionKind { value label count } }
    pageInfo { hasNextPage endCursor }
    nodes {
      title
      institution { name parent { name } }
      disclosure { ground { label hasLegalBasis legalProvision } explanation nextReviewOn }
    }
  }
}"#,
        variables: None,
    },
    Example {
        title: "Dashboard: the whole inventory at a glance",
        query: r#"query Dashboard {
  stats {
    total
    byStatus { value label labelKo count }
    legalVsPractical { legal practical }
    byGround { value label count }
    topInstitutions(first: 5) { institution { name } total open withheld }
    openingsPerMonth(from: "2025-01-01") { month count }
    requestOutcomes { state stateLabel { labelKo } count }
  }
}"#,
        variables: None,
    },
    Example {
        title: "Sync: disclosure changes after a cursor",
        query: r#"# The change feed from its start: keep `endCursor` and ask again with it to sync.
# An import puts every entry it lists in the feed. On the demo the feed starts empty (the demo
# is built in bulk, not through the feed): the changes made through the API appear here.
query Changes($after: String) {
  disclosureChanges(after: $after, first: 20) {
    endCursor
    hasMore
    changes { fromStatus toStatus ground { label } occurredAt committedAt dataset { title } }
  }
}"#,
        variables: Some(r#"{ "after": null }"#),
    },
    Example {
        title: "Progress toward the 2025 opening target",
        query: r#"# The national opening targets, measured as of their due date and as of the end of
# 2024. On a real import the list is empty until an admin records the targets (createTarget):
# the portal's file holds datasets only. The demo's targets are synthetic.
query TargetProgress {
  targets {
    title
    baselineOn
    baselineValue
    targetValue
    dueOn
    progress { asOf achieved achievedSynthetic ratio synthetic status metOn }
    endOf2024: progress(asOf: "2024-12-31") { achieved status }
  }
}"#,
        variables: None,
    },
    Example {
        title: "Plans, commitments and milestones",
        query: r#"# The open-data plans with their commitments and milestones. On a real import the
# list is empty until an admin records the plans (createPlan): the portal's file holds datasets
# only.
query Plans {
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
        query: r#"# The national core-data bundles of round 4 with some of their datasets. On a real
# import the list is empty until an admin records the bundles (createCoreDataBundle); the
# datasets' national-core flag itself comes from the file (the top 10 institutions example shows
# it).
query Bundles {
  coreDataBundles(round: 4, first: 10) {
    totalCount
    nodes { name nameEn round roundPeriod releaseYear synthetic datasets(first: 3) { title } }
  }
}"#,
        variables: None,
    },
    Example {
        title: "The top 10 institutions and their national-core data",
        query: r#"# The ten institutions holding the most datasets: how many are national core and
# standard data, the open share, the bundles they lead or hold data of, and their most-viewed
# national-core datasets. No code is written in: it answers on the demo and on a real import
# alike. Add `status: [WITHHELD, PARTIALLY_OPEN]` to the datasets filter for the national-core
# data they do not open (the portal's 2022 inventory file lists open data only). Find one
# institution by name with `institutions(search: "행정안전부")`.
query TopInstitutionsCoreData {
  institutions(orderBy: DATASETS_HELD, first: 10) {
    nodes {
      code
      name
      record { datasetsHeld nationalCore standard open withheld openShare }
      coreDataBundles { name round }
      coreData: datasets(filter: { nationalCore: true }, orderBy: MOST_VIEWED, first: 3) {
        totalCount
        nodes { title views disclosure { status ground { labelKo } } }
      }
    }
  }
}"#,
        variables: None,
    },
    Example {
        title: "The review queue of open by default",
        query: r#"# What the open data strategy council works from: withheld and partially open entries whose
# ground has no legal basis or whose review date is before today (Asia/Seoul), the
# longest-waiting first, each with its reasons; and the institutions that withhold the most with
# their own queues. Page on with `after: <endCursor>`; `reviewQueue(institutionCode: "…")` for one
# institution. No code is written in. On a real import of the portal's inventory file, which
# lists open data only, the queue is empty and `reviewDue` is 0: nothing there is withheld.
query ReviewQueue {
  stats { reviewDue legalVsPractical { legal practical } }
  reviewQueue(first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      reasons
      waitingSince
      withheldSince
      nextReviewOn
      dataset {
        title
        institution { code name }
        disclosure { status ground { label labelKo hasLegalBasis } explanation }
      }
    }
  }
  institutions(orderBy: WITHHELD, first: 5) {
    nodes {
      code
      name
      record { withheld partiallyOpen reviewDue }
      reviewQueue(first: 3) { nodes { reasons waitingSince dataset { title } } }
    }
  }
}"#,
        variables: None,
    },
    Example {
        title: "The catalog as of a day, and what changed since",
        query: r#"# The inventory as it stood at the end of 2024 (Asia/Seoul), rebuilt from the history: what
# was withheld then, with each entry's state that day (`stateAsOf`) beside today's
# (`disclosure`), and the status facet of that day. Then what changed between the end of 2024 and
# the end of 2025: each entry in at most one bucket, per institution and category (today's).
# Titles, institutions and categories are today's values. Any day up to today works; a day before
# the first recorded change gives an empty list. On a real import both are empty: the import
# records every entry on the day it ran, so nothing existed at the end of 2024 and nothing changed
# in 2025.
query CatalogAsOf($day: Date!, $from: Date!, $to: Date!) {
  withheldThen: datasets(asOf: $day, filter: { status: [WITHHELD, PARTIALLY_OPEN] }, first: 5) {
    totalCount
    facets { status { value count } }
    nodes {
      title
      institution { name }
      stateAsOf { day status ground listed }
      disclosure { status }
    }
  }
  catalogChanges(from: $from, to: $to) {
    totals { opened newlyWithheld groundChanged listed delisted total }
    byInstitution(first: 5) { institution { code name } changes { opened newlyWithheld total } }
    byCategory { category label { labelKo } changes { opened newlyWithheld total } }
  }
}"#,
        variables: Some(r#"{ "day": "2024-12-31", "from": "2024-12-31", "to": "2025-12-31" }"#),
    },
    Example {
        title: "Requests for data (anonymized)",
        query: r#"# Requests filed for data, without who filed them. On a real import the list is
# empty until citizens file requests (fileRequest): the portal's file holds no request.
query Requests {
  dataRequests(first: 10) {
    totalCount
    nodes { state stateLabel { label labelKo } filedAt decisionDueOn dataset { title } institution { name } }
  }
}"#,
        variables: None,
    },
    Example {
        title: "Sign up as a citizen (keeps the token: shown once)",
        query: r#"mutation SignUp {
  signUp(displayName: "시민 데이터 기자", contact: "reporter@example.org") { token prefix role }
}"#,
        variables: None,
    },
    Example {
        title: "File a request for a withheld dataset (needs a citizen token)",
        query: r#"# Put {"Authorization": "Bearer inv_…"} in the Headers tab first, and a withheld
# dataset's id (the first example lists some) in the variables. A real import holds no withheld
# dataset until institutions record one.
mutation FileRequest($dataset: ID!) {
  fileRequest(input: { datasetId: $dataset, purpose: "버스 도착 정보 앱" }) {
    id state decisionDueOn allowedSteps requester { displayName }
  }
}"#,
        variables: Some(r#"{ "dataset": "paste a WITHHELD dataset id here" }"#),
    },
    Example {
        title: "Watch disclosure changes live (subscription)",
        query: r#"subscription Watch {
  disclosureChanged {
    cursor fromStatus toStatus ground { label }
    dataset { title institution { name } }
  }
}"#,
        variables: None,
    },
];
