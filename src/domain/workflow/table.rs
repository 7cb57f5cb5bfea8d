//! The request workflow as one table: from which state, under which condition, who may take
//! which step, and where it leads. [`super::act`] checks every step against it and
//! [`super::allowed_steps`] lists what it allows, so the two cannot disagree.
//!
//! The state is the request's state **as it stands today** ([`requests::effective_state`]: a
//! proposal left unanswered past its deadline has lapsed, recorded or not). A missed deadline
//! matters too: the institution may no longer extend once its decision deadline has passed, and
//! when silence counts as refusal (the default) a missed decision or reconsideration deadline
//! opens what a refusal opens.

use chrono::NaiveDate;
use entity::data_request;
use entity::enums::{RequestState, Role};
use sea_orm::ActiveEnum;

use crate::domain::Error;
use crate::domain::deadlines::Deadlines;
use crate::domain::requests::{self, OPEN_STATES};

use RequestState::*;

/// A step of the workflow, one per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Extend,
    Decide,
    AnswerReconsideration,
    AnswerProposal,
    Propose,
    Settle,
    Dismiss,
    WithdrawMediation,
    ProvideAfterMediation,
    Withdraw,
    AskReconsideration,
    ApplyForMediation,
}

impl Step {
    /// Every step.
    pub const ALL: [Step; 12] = [
        Step::Extend,
        Step::Decide,
        Step::AnswerReconsideration,
        Step::AnswerProposal,
        Step::Propose,
        Step::Settle,
        Step::Dismiss,
        Step::WithdrawMediation,
        Step::ProvideAfterMediation,
        Step::Withdraw,
        Step::AskReconsideration,
        Step::ApplyForMediation,
    ];

    /// The step in words, as `DataRequest.allowedSteps` lists it and errors name it.
    pub fn name(self) -> &'static str {
        match self {
            Step::Extend => "extend",
            Step::Decide => "decide",
            Step::AnswerReconsideration => "answer reconsideration",
            Step::AnswerProposal => "answer the proposal",
            Step::Propose => "propose",
            Step::Settle => "settle",
            Step::Dismiss => "dismiss",
            Step::WithdrawMediation => "withdraw mediation",
            Step::ProvideAfterMediation => "provide after mediation",
            Step::Withdraw => "withdraw",
            Step::AskReconsideration => "ask for reconsideration",
            Step::ApplyForMediation => "apply for mediation",
        }
    }
}

/// Who may take a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// The citizen who filed the request.
    Requester,
    /// An officer of the institution asked (or of a confirmed parent).
    Institution,
    /// The mediation committee.
    Committee,
    /// Either party to a mediation: the requester or the institution.
    RequesterOrInstitution,
}

impl Party {
    /// Whether `role` acting for `scope` (with `account_id`) is this party to request `r`; the
    /// refusal says who may.
    pub fn admits(
        self,
        r: &data_request::Model,
        role: Role,
        account_id: i64,
        scope: &[i64],
    ) -> Result<(), Error> {
        let requester = || {
            if role == Role::Citizen && r.requester_id == account_id {
                Ok(())
            } else {
                Err(Error::Forbidden(
                    "only the citizen who filed this request may do this".into(),
                ))
            }
        };
        let institution = || {
            if role == Role::Officer && scope.contains(&r.institution_id) {
                Ok(())
            } else {
                Err(Error::Forbidden(
                    "only an officer of the institution asked may do this".into(),
                ))
            }
        };
        match self {
            Party::Requester => requester(),
            Party::Institution => institution(),
            Party::Committee if role == Role::Mediator => Ok(()),
            Party::Committee => Err(Error::Forbidden(
                "only the mediation committee may do this".into(),
            )),
            Party::RequesterOrInstitution if role == Role::Citizen => requester(),
            Party::RequesterOrInstitution => institution(),
        }
    }
}

/// A condition on a transition besides the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    Always,
    /// The decision deadline has not passed.
    DecisionOnTime,
    /// The deadline of the institution's current step (decision or answer to reconsideration)
    /// has passed and silence counts as refusal.
    SilenceCountsAsRefusal,
}

/// One row of the table: `step` from any of `from` when `when` holds, by `by`, leading to one of
/// `to`.
#[derive(Debug, Clone, Copy)]
pub struct Transition {
    pub step: Step,
    pub from: &'static [RequestState],
    pub when: When,
    pub by: Party,
    pub to: &'static [RequestState],
}

/// States a refusal leaves a request in (for reconsideration).
const REFUSED: &[RequestState] = &[Refused, PartiallyProvided, NotHeld];
/// States from which mediation may be applied for after a refusal.
const REFUSED_OR_AGAIN: &[RequestState] = &[Refused, PartiallyProvided, NotHeld, RefusedAgain];
/// States that await the institution's decision.
const UNDECIDED: &[RequestState] = &[Received, Extended];
/// States in mediation before any answer.
const MEDIATING: &[RequestState] = &[MediationApplied, MediationProposed];

/// The workflow. The rows' order is the order of `allowedSteps`.
pub const TRANSITIONS: &[Transition] = &[
    Transition {
        step: Step::Extend,
        from: &[Received],
        when: When::DecisionOnTime,
        by: Party::Institution,
        to: &[Extended],
    },
    Transition {
        step: Step::Decide,
        from: UNDECIDED,
        when: When::Always,
        by: Party::Institution,
        to: &[Provided, PartiallyProvided, Refused, NotHeld],
    },
    Transition {
        step: Step::AnswerReconsideration,
        from: &[Reconsideration],
        when: When::Always,
        by: Party::Institution,
        to: &[Provided, RefusedAgain],
    },
    Transition {
        step: Step::AnswerProposal,
        from: &[MediationProposed],
        when: When::Always,
        by: Party::RequesterOrInstitution,
        // One party's acceptance waits for the other's.
        to: &[MediationProposed, MediationAccepted, MediationRejected],
    },
    Transition {
        step: Step::Propose,
        from: &[MediationApplied],
        when: When::Always,
        by: Party::Committee,
        to: &[MediationProposed],
    },
    Transition {
        step: Step::Settle,
        from: &[MediationApplied],
        when: When::Always,
        by: Party::Committee,
        to: &[MediationSettled],
    },
    Transition {
        step: Step::Dismiss,
        from: MEDIATING,
        when: When::Always,
        by: Party::Committee,
        to: &[MediationDismissed],
    },
    Transition {
        step: Step::WithdrawMediation,
        from: MEDIATING,
        when: When::Always,
        by: Party::Requester,
        to: &[MediationWithdrawn],
    },
    Transition {
        step: Step::ProvideAfterMediation,
        from: &[MediationAccepted],
        when: When::Always,
        by: Party::Institution,
        to: &[Provided],
    },
    Transition {
        step: Step::Withdraw,
        from: OPEN_STATES,
        when: When::Always,
        by: Party::Requester,
        to: &[Withdrawn],
    },
    Transition {
        step: Step::AskReconsideration,
        from: REFUSED,
        when: When::Always,
        by: Party::Requester,
        to: &[Reconsideration],
    },
    Transition {
        step: Step::AskReconsideration,
        from: UNDECIDED,
        when: When::SilenceCountsAsRefusal,
        by: Party::Requester,
        to: &[Reconsideration],
    },
    Transition {
        step: Step::ApplyForMediation,
        from: REFUSED_OR_AGAIN,
        when: When::Always,
        by: Party::Requester,
        to: &[MediationApplied],
    },
    Transition {
        step: Step::ApplyForMediation,
        from: &[Received, Extended, Reconsideration],
        when: When::SilenceCountsAsRefusal,
        by: Party::Requester,
        to: &[MediationApplied],
    },
];

/// What `allowedSteps` says when nothing is allowed.
pub const CLOSED: &str = "none (the request is closed)";

/// Where a request stands for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    /// The state as it stands today.
    pub state: RequestState,
    /// The decision deadline passed without a decision.
    pub decision_missed: bool,
    /// The deadline to answer reconsideration passed without an answer.
    pub reconsideration_missed: bool,
    /// Silence past those deadlines counts as refusal (a setting).
    pub silence_counts_as_refusal: bool,
}

impl Situation {
    /// Where `r` stands on `today`.
    pub fn of(r: &data_request::Model, today: NaiveDate, cal: &Deadlines) -> Self {
        Situation {
            state: requests::effective_state(r.state, r.due_on, today),
            decision_missed: decision_missed(r, today),
            reconsideration_missed: reconsideration_missed(r, today),
            silence_counts_as_refusal: cal.silence_counts_as_refusal,
        }
    }

    fn holds(&self, when: When) -> bool {
        match when {
            When::Always => true,
            When::DecisionOnTime => !self.decision_missed,
            When::SilenceCountsAsRefusal => {
                self.silence_counts_as_refusal
                    && (self.decision_missed || self.reconsideration_missed)
            }
        }
    }

    /// The row that allows `step` here, if any.
    pub fn transition(&self, step: Step) -> Option<&'static Transition> {
        TRANSITIONS
            .iter()
            .find(|t| t.step == step && t.from.contains(&self.state) && self.holds(t.when))
    }

    /// The steps allowed here, in table order, each once.
    pub fn allowed(&self) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        for t in TRANSITIONS {
            if t.from.contains(&self.state) && self.holds(t.when) && !steps.contains(&t.step) {
                steps.push(t.step);
            }
        }
        steps
    }

    /// The allowed steps in words ([`CLOSED`] when there are none).
    pub fn allowed_names(&self) -> Vec<&'static str> {
        let names: Vec<&'static str> = self.allowed().into_iter().map(Step::name).collect();
        if names.is_empty() {
            vec![CLOSED]
        } else {
            names
        }
    }

    /// The row allowing `step`, or the error naming the state and the allowed steps.
    pub fn check(&self, step: Step) -> Result<&'static Transition, Error> {
        self.transition(step).ok_or_else(|| Error::Transition {
            action: step.name(),
            current: self.state.to_value(),
            allowed: self.allowed_names(),
        })
    }
}

/// Whether the institution missed its decision deadline (which counts as a refusal).
pub fn decision_missed(r: &data_request::Model, today: NaiveDate) -> bool {
    matches!(r.state, Received | Extended) && Deadlines::passed(r.decision_due_on, today)
}

/// Whether the institution let a reconsideration go unanswered past its deadline (which, like a
/// missed decision, counts as a refusal: the requester may go to mediation).
pub fn reconsideration_missed(r: &data_request::Model, today: NaiveDate) -> bool {
    r.state == Reconsideration && r.due_on.is_some_and(|d| Deadlines::passed(d, today))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::Iterable;

    fn at(state: RequestState) -> Situation {
        Situation {
            state,
            decision_missed: false,
            reconsideration_missed: false,
            silence_counts_as_refusal: true,
        }
    }

    fn names(s: &Situation) -> Vec<&'static str> {
        s.allowed_names()
    }

    #[test]
    fn every_state_allows_its_steps() {
        let expected: &[(RequestState, &[&str])] = &[
            (Received, &["extend", "decide", "withdraw"]),
            (Extended, &["decide", "withdraw"]),
            (Reconsideration, &["answer reconsideration", "withdraw"]),
            (
                MediationApplied,
                &[
                    "propose",
                    "settle",
                    "dismiss",
                    "withdraw mediation",
                    "withdraw",
                ],
            ),
            (
                MediationProposed,
                &[
                    "answer the proposal",
                    "dismiss",
                    "withdraw mediation",
                    "withdraw",
                ],
            ),
            (MediationAccepted, &["provide after mediation", "withdraw"]),
            (Refused, &["ask for reconsideration", "apply for mediation"]),
            (
                PartiallyProvided,
                &["ask for reconsideration", "apply for mediation"],
            ),
            (NotHeld, &["ask for reconsideration", "apply for mediation"]),
            (RefusedAgain, &["apply for mediation"]),
            (Provided, &[CLOSED]),
            (Withdrawn, &[CLOSED]),
            (MediationSettled, &[CLOSED]),
            (MediationRejected, &[CLOSED]),
            (MediationLapsed, &[CLOSED]),
            (MediationDismissed, &[CLOSED]),
            (MediationWithdrawn, &[CLOSED]),
        ];
        for state in RequestState::iter() {
            let (_, want) = expected
                .iter()
                .find(|(s, _)| *s == state)
                .unwrap_or_else(|| panic!("{state:?} has no expectation"));
            assert_eq!(names(&at(state)), *want, "{state:?}");
        }
    }

    #[test]
    fn missed_deadlines_close_the_extension_and_open_what_a_refusal_opens() {
        let missed = |state| Situation {
            decision_missed: matches!(state, Received | Extended),
            reconsideration_missed: state == Reconsideration,
            ..at(state)
        };
        assert_eq!(
            names(&missed(Received)),
            [
                "decide",
                "withdraw",
                "ask for reconsideration",
                "apply for mediation"
            ]
        );
        assert_eq!(
            names(&missed(Extended)),
            [
                "decide",
                "withdraw",
                "ask for reconsideration",
                "apply for mediation"
            ]
        );
        assert_eq!(
            names(&missed(Reconsideration)),
            ["answer reconsideration", "withdraw", "apply for mediation"]
        );
        // Without silence counting as refusal, a missed deadline only closes the extension.
        let strict = |state| Situation {
            silence_counts_as_refusal: false,
            ..missed(state)
        };
        assert_eq!(names(&strict(Received)), ["decide", "withdraw"]);
        assert_eq!(names(&strict(Extended)), ["decide", "withdraw"]);
        assert_eq!(
            names(&strict(Reconsideration)),
            ["answer reconsideration", "withdraw"]
        );
    }

    #[test]
    fn every_invalid_transition_names_the_state_and_the_allowed_steps() {
        for state in RequestState::iter() {
            for silence in [false, true] {
                for missed in [false, true] {
                    let s = Situation {
                        decision_missed: missed && matches!(state, Received | Extended),
                        reconsideration_missed: missed && state == Reconsideration,
                        silence_counts_as_refusal: silence,
                        state,
                    };
                    let allowed = s.allowed();
                    for step in Step::ALL {
                        match s.check(step) {
                            Ok(t) => {
                                assert!(allowed.contains(&step), "{s:?} {step:?}");
                                assert!(t.from.contains(&state));
                            }
                            Err(e) => {
                                assert!(!allowed.contains(&step), "{s:?} {step:?}");
                                let msg = e.to_string();
                                let value = state.to_value();
                                assert!(msg.contains(step.name()), "{msg}");
                                assert!(msg.contains(&value), "{msg}");
                                for name in s.allowed_names() {
                                    assert!(msg.contains(name), "{msg} lacks {name}");
                                }
                                assert!(
                                    matches!(e, Error::Transition { .. }),
                                    "{s:?} {step:?}: {e:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn each_step_has_one_party_and_leads_to_a_state_the_workflow_knows() {
        for step in Step::ALL {
            let rows: Vec<_> = TRANSITIONS.iter().filter(|t| t.step == step).collect();
            assert!(!rows.is_empty(), "{step:?} has no row");
            assert!(rows.iter().all(|t| t.by == rows[0].by), "{step:?}");
            for t in rows {
                assert!(!t.to.is_empty(), "{step:?}");
                // Only open states lead anywhere.
                assert!(t.from.iter().all(|s| !is_final(*s)), "{step:?}");
            }
        }
    }

    fn is_final(s: RequestState) -> bool {
        matches!(
            s,
            Provided
                | Withdrawn
                | MediationSettled
                | MediationRejected
                | MediationLapsed
                | MediationDismissed
                | MediationWithdrawn
        )
    }

    #[test]
    fn the_requester_the_institution_and_the_committee_are_told_apart() {
        let r = data_request::Model {
            id: 1,
            requester_id: 7,
            dataset_id: None,
            institution_id: 3,
            unlisted_description: None,
            purpose: "p".into(),
            state: Received,
            filed_at: chrono::Utc::now(),
            due_on: None,
            decision_due_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            extended: false,
            decided_at: None,
            decision: None,
            ground: None,
            institution_wording: None,
            provided_dataset_id: None,
            synthetic: false,
            version: 1,
            updated_at: chrono::Utc::now(),
        };
        let ok =
            |p: Party, role, account, scope: &[i64]| p.admits(&r, role, account, scope).is_ok();
        assert!(ok(Party::Requester, Role::Citizen, 7, &[]));
        assert!(!ok(Party::Requester, Role::Citizen, 8, &[]));
        assert!(!ok(Party::Requester, Role::Officer, 7, &[3]));
        assert!(ok(Party::Institution, Role::Officer, 9, &[1, 3]));
        assert!(!ok(Party::Institution, Role::Officer, 9, &[1]));
        assert!(!ok(Party::Institution, Role::Admin, 9, &[3]));
        assert!(ok(Party::Committee, Role::Mediator, 9, &[]));
        assert!(!ok(Party::Committee, Role::Admin, 9, &[]));
        assert!(ok(Party::RequesterOrInstitution, Role::Citizen, 7, &[]));
        assert!(ok(Party::RequesterOrInstitution, Role::Officer, 9, &[3]));
        assert!(!ok(Party::RequesterOrInstitution, Role::Mediator, 9, &[3]));
    }
}
