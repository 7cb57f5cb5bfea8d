//! The root mutation: thin resolvers that check the caller, then call a domain function inside
//! [`context::write`] (one transaction, errors mapped, subscribers woken). Every mutation writes
//! all or nothing.

use super::types::date::{Date, day};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entity::enums::Role as DbRole;
use entity::{dataset, institution};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::context::{self, ClientAddress, caller, viewer, write};
use super::ids::{self, NodeKind};
use super::types::dataset::Dataset;
use super::types::enums::{DisclosureStatus, WithholdingGround};
use super::types::request::DataRequest;
use crate::auth;
use crate::domain::deadlines::Deadlines;
use crate::domain::disclosure::{self, Change};
use crate::domain::workflow::{self, Action, Decision};
use crate::error::ApiError;
use crate::events;

/// Sign-up and tokens, disclosures, and the request workflow.
#[derive(Default)]
pub struct WorkflowMutation;

/// Roles of API accounts.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    /// Files, supports, follows and withdraws its own requests.
    Citizen,
    /// Acts for an institution and its confirmed sub-institutions.
    Officer,
    /// The Open Data Mediation Committee.
    Mediator,
    /// Manages institutions, plans, bundles and tokens.
    Admin,
}

/// A token, shown once: store it now, it cannot be recovered.
#[derive(SimpleObject)]
pub struct IssuedToken {
    /// The bearer token (`Authorization: Bearer <token>`). Shown only in this response.
    pub token: String,
    /// Its first characters, to recognize it later.
    pub prefix: String,
    /// The account's role.
    pub role: Role,
}

/// Input of `createToken`.
#[derive(InputObject)]
pub struct CreateTokenInput {
    /// Role of the new account.
    pub role: Role,
    /// Name shown to those allowed to see it.
    pub display_name: String,
    /// Optional contact (personal data).
    pub contact: Option<String>,
    /// For officers: the portal code of their institution.
    pub institution_code: Option<String>,
    /// A label for the token.
    #[graphql(default)]
    pub label: String,
}

/// Input of `changeDisclosure`.
#[derive(InputObject)]
pub struct ChangeDisclosureInput {
    /// The dataset.
    pub dataset_id: ID,
    /// The `disclosure.version` you saw; a stale version gets `CONFLICT` and changes nothing.
    pub expected_version: i32,
    /// The new status.
    pub status: DisclosureStatus,
    /// For WITHHELD and PARTIALLY_OPEN: the ground (a practical reason shows as having no legal basis).
    pub ground: Option<WithholdingGround>,
    /// For WITHHELD and PARTIALLY_OPEN: the institution's explanation.
    pub explanation: Option<String>,
    /// Mitigations offered: DE_IDENTIFIED, STATISTICS_ONLY, VERIFICATION_API.
    #[graphql(default)]
    pub mitigation: Vec<super::types::disclosure::Mitigation>,
    /// For SCHEDULED_TO_OPEN: when.
    pub planned_open_on: Option<Date>,
    /// When the decision will be reviewed.
    pub next_review_on: Option<Date>,
}

/// Input of `fileRequest`: a listed dataset, or unlisted data of an institution.
#[derive(InputObject)]
pub struct FileRequestInput {
    /// A listed dataset that is not open.
    pub dataset_id: Option<ID>,
    /// For unlisted data: the institution's portal code.
    pub institution_code: Option<String>,
    /// For unlisted data: what you ask for.
    pub unlisted_description: Option<String>,
    /// Why you need it.
    pub purpose: String,
}

/// An institution's decision.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RequestDecision {
    /// Provided in full; a withheld dataset opens in the same transaction.
    Provided,
    /// Provided in part (needs a ground and wording).
    PartiallyProvided,
    /// Refused (needs a ground and wording).
    Refused,
    /// The institution does not hold the data.
    NotHeld,
}

impl From<RequestDecision> for Decision {
    fn from(d: RequestDecision) -> Self {
        match d {
            RequestDecision::Provided => Decision::Provided,
            RequestDecision::PartiallyProvided => Decision::PartiallyProvided,
            RequestDecision::Refused => Decision::Refused,
            RequestDecision::NotHeld => Decision::NotHeld,
        }
    }
}

async fn run_action(
    ctx: &Context<'_>,
    id: &ID,
    roles: &[DbRole],
    what: &str,
    action: Action,
) -> Result<DataRequest> {
    let c = caller(ctx, roles, what).await?;
    let request_id = ids::decode_as(id, NodeKind::DataRequest)?;
    let (cal, now) = (ctx.data_unchecked::<Deadlines>(), context::now(ctx));
    let r = write(ctx, async move |txn| {
        workflow::act(txn, &c, request_id, action, cal, now).await
    })
    .await?;
    Ok(DataRequest::from(r))
}

const CITIZEN: &[DbRole] = &[DbRole::Citizen];
const OFFICER: &[DbRole] = &[DbRole::Officer];
const MEDIATOR: &[DbRole] = &[DbRole::Mediator];
const PARTIES: &[DbRole] = &[DbRole::Citizen, DbRole::Officer];

#[Object]
impl WorkflowMutation {
    /// Creates a citizen account and its token (shown once). Anyone may sign up; sign-ups are
    /// limited per client address.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your name as shown to the institution handling your requests.")]
        display_name: String,
        #[graphql(
            desc = "Optional contact (e-mail or phone); only you and those handling your requests see it."
        )]
        contact: Option<String>,
    ) -> Result<IssuedToken> {
        let now = context::now(ctx);
        let address = ctx
            .data_opt::<ClientAddress>()
            .map_or("unknown", |a| a.0.as_str());
        let (acct, token) = write(ctx, async |txn| {
            crate::domain::signup::check_and_record(txn, address, now).await?;
            let (acct, token) = auth::create_account(
                txn,
                &display_name,
                contact.as_deref(),
                DbRole::Citizen,
                None,
                "sign-up",
                now,
            )
            .await?;
            events::audit(txn, "anonymous", "signUp", "account", acct.id, now).await?;
            Ok::<_, ApiError>((acct, token))
        })
        .await?;
        Ok(IssuedToken {
            prefix: auth::prefix_of(&token),
            token,
            role: acct.role.into(),
        })
    }

    /// Admins: creates an account of any role with its token (shown once).
    async fn create_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account to create.")] input: CreateTokenInput,
    ) -> Result<IssuedToken> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "createToken")?;
        let now = context::now(ctx);
        let inst = match &input.institution_code {
            Some(code) => Some(
                institution::Entity::find()
                    .filter(institution::Column::Code.eq(code.trim()))
                    .one(context::db(ctx))
                    .await
                    .map_err(ApiError::from)?
                    .ok_or_else(|| {
                        ApiError::NotFound(format!("no institution with code '{code}'"))
                    })?
                    .id,
            ),
            None => None,
        };
        let (acct, token) = write(ctx, async |txn| {
            let (acct, token) = auth::create_account(
                txn,
                &input.display_name,
                input.contact.as_deref(),
                input.role.into(),
                inst,
                &input.label,
                now,
            )
            .await?;
            events::audit(
                txn,
                &v.actor_label(),
                "createToken",
                "account",
                acct.id,
                now,
            )
            .await?;
            Ok::<_, ApiError>((acct, token))
        })
        .await?;
        Ok(IssuedToken {
            prefix: auth::prefix_of(&token),
            token,
            role: acct.role.into(),
        })
    }

    /// Revokes a token by its prefix (as returned when it was created) or the whole token: admins
    /// any token, others their own. It stops working at once, also for open subscriptions.
    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The token's prefix as returned at creation (e.g. `inv_AbCdEfGh`), or the whole token."
        )]
        prefix: String,
    ) -> Result<bool> {
        let v = viewer(ctx);
        let a = v.require(
            &[
                DbRole::Admin,
                DbRole::Citizen,
                DbRole::Officer,
                DbRole::Mediator,
            ],
            "revokeToken",
        )?;
        let now = context::now(ctx);
        write(ctx, async |txn| {
            auth::revoke(txn, a, &v.actor_label(), &prefix, now).await
        })
        .await?;
        Ok(true)
    }

    /// Officers: changes a dataset's disclosure. Pass the version you saw (`CONFLICT` if stale).
    /// A change that leaves everything as it is (status, ground, explanation, mitigation, dates)
    /// is refused (`BAD_USER_INPUT`): the history records only real changes.
    async fn change_disclosure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The change.")] input: ChangeDisclosureInput,
    ) -> Result<Dataset> {
        let db = context::db(ctx);
        let v = viewer(ctx);
        v.require(OFFICER, "changeDisclosure")?;
        let id = ids::decode_as(&input.dataset_id, NodeKind::Dataset)?;
        let ds = dataset::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound("no such dataset".into()))?;
        let a = auth::require_officer_for(db, v, ds.institution_id, "changeDisclosure").await?;
        let change = Change {
            status: input.status.into(),
            ground: input.ground.map(Into::into),
            explanation: input.explanation,
            mitigation: input
                .mitigation
                .iter()
                .map(|m| m.as_str().to_string())
                .collect(),
            planned_open_on: day(input.planned_open_on),
            next_review_on: day(input.next_review_on),
        };
        disclosure::validate(&change).map_err(ApiError::from)?;
        let now = context::now(ctx);
        write(ctx, async |txn| {
            disclosure::apply(
                txn,
                id,
                input.expected_version,
                &change,
                &v.actor_label(),
                Some(a.account_id),
                now,
            )
            .await
        })
        .await?;
        let ds = dataset::Entity::find_by_id(id)
            .one(db)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::NotFound("no such dataset".into()))?;
        Ok(Dataset::from(ds))
    }

    /// Citizens: asks for a listed dataset that is not open, or for unlisted data of an institution.
    async fn file_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What you ask for, and why.")] input: FileRequestInput,
    ) -> Result<DataRequest> {
        let c = caller(ctx, CITIZEN, "fileRequest").await?;
        let db = context::db(ctx);
        let dataset_id = input
            .dataset_id
            .as_ref()
            .map(|i| ids::decode_as(i, NodeKind::Dataset))
            .transpose()?;
        let unlisted = match (&input.institution_code, input.unlisted_description) {
            (Some(code), Some(desc)) => {
                let inst = institution::Entity::find()
                    .filter(institution::Column::Code.eq(code.trim()))
                    .one(db)
                    .await
                    .map_err(ApiError::from)?
                    .ok_or_else(|| {
                        ApiError::NotFound(format!("no institution with code '{code}'"))
                    })?;
                Some((inst.id, desc))
            }
            (None, None) => None,
            _ => {
                return Err(ApiError::bad_input(
                    "unlisted data needs both institutionCode and unlistedDescription",
                )
                .into());
            }
        };
        let (cal, now) = (ctx.data_unchecked::<Deadlines>(), context::now(ctx));
        let r = write(ctx, async move |txn| {
            workflow::file(txn, &c, dataset_id, unlisted, &input.purpose, cal, now).await
        })
        .await?;
        Ok(DataRequest::from(r))
    }

    /// Citizens: supports someone else's open request (the demand signal). Returns the supporter count.
    async fn support_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<u64> {
        let c = caller(ctx, CITIZEN, "supportRequest").await?;
        let rid = ids::decode_as(&id, NodeKind::DataRequest)?;
        let now = context::now(ctx);
        Ok(write(ctx, async |txn| workflow::support(txn, &c, rid, now).await).await?)
    }

    /// Citizens: follows a request.
    async fn follow_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<bool> {
        let c = caller(ctx, CITIZEN, "followRequest").await?;
        let rid = ids::decode_as(&id, NodeKind::DataRequest)?;
        let now = context::now(ctx);
        write(ctx, async |txn| workflow::follow(txn, &c, rid, now).await).await?;
        Ok(true)
    }

    /// Citizens: stops following a request (`dataRequests(filter: { followed: true })` lists
    /// the ones followed). Not following it already is no error.
    async fn unfollow_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<bool> {
        let c = caller(ctx, CITIZEN, "unfollowRequest").await?;
        let rid = ids::decode_as(&id, NodeKind::DataRequest)?;
        let now = context::now(ctx);
        write(ctx, async |txn| workflow::unfollow(txn, &c, rid, now).await).await?;
        Ok(true)
    }

    /// Citizens: withdraws their own open request.
    async fn withdraw_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<DataRequest> {
        run_action(ctx, &id, CITIZEN, "withdrawRequest", Action::Withdraw).await
    }

    /// Officers: extends the decision deadline once, by up to 10 days.
    async fn extend_deadline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "Days to add (1–10).")] days: u32,
        #[graphql(desc = "Why the institution needs more time.")] reason: String,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            OFFICER,
            "extendDeadline",
            Action::Extend { days, reason },
        )
        .await
    }

    /// Officers: decides a request. Providing a withheld dataset opens it in the same transaction;
    /// providing unlisted data registers it as a new dataset.
    async fn decide_request(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "The decision.")] decision: RequestDecision,
        #[graphql(desc = "For a refusal or partial provision: the ground invoked.")] ground: Option<
            WithholdingGround,
        >,
        #[graphql(desc = "For a refusal or partial provision: the institution's wording.")] wording: Option<String>,
    ) -> Result<DataRequest> {
        let action = Action::Decide {
            decision: decision.into(),
            ground: ground.map(Into::into),
            wording,
        };
        run_action(ctx, &id, OFFICER, "decideRequest", action).await
    }

    /// Citizens: asks the institution to reconsider a refusal (or a missed deadline).
    async fn ask_reconsideration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "Why.")] reason: String,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            CITIZEN,
            "askReconsideration",
            Action::AskReconsideration { reason },
        )
        .await
    }

    /// Officers: answers a reconsideration: provide, or refuse again with a ground and wording.
    async fn answer_reconsideration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "True to provide.")] provide: bool,
        #[graphql(desc = "When refusing again: the ground.")] ground: Option<WithholdingGround>,
        #[graphql(desc = "When refusing again: the wording.")] wording: Option<String>,
    ) -> Result<DataRequest> {
        let action = Action::AnswerReconsideration {
            provide,
            ground: ground.map(Into::into),
            wording,
        };
        run_action(ctx, &id, OFFICER, "answerReconsideration", action).await
    }

    /// Citizens: applies to the mediation committee after a refusal or a missed deadline (within 60 days).
    async fn apply_for_mediation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "Why.")] reason: String,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            CITIZEN,
            "applyForMediation",
            Action::ApplyMediation { reason },
        )
        .await
    }

    /// Mediators: proposes a settlement; the parties have 15 days to answer.
    async fn propose_mediation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "The proposal.")] terms: String,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            MEDIATOR,
            "proposeMediation",
            Action::Propose { terms },
        )
        .await
    }

    /// Mediators: records a settlement reached before a proposal.
    async fn settle_mediation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<DataRequest> {
        run_action(ctx, &id, MEDIATOR, "settleMediation", Action::Settle).await
    }

    /// Mediators: dismisses a mediation application.
    async fn dismiss_mediation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "Why.")] reason: String,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            MEDIATOR,
            "dismissMediation",
            Action::Dismiss { reason },
        )
        .await
    }

    /// Citizens: withdraws their mediation application.
    async fn withdraw_mediation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            CITIZEN,
            "withdrawMediation",
            Action::WithdrawMediation,
        )
        .await
    }

    /// The requester or an officer of the institution: accepts or rejects a mediation proposal.
    /// Both must accept; silence past the deadline counts as rejection (the proposal lapses).
    async fn answer_proposal(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
        #[graphql(desc = "True to accept.")] accept: bool,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            PARTIES,
            "answerProposal",
            Action::AnswerProposal { accept },
        )
        .await
    }

    /// Admins: records a milestone's completion and evidence (watchers get `milestoneUpdated`).
    async fn update_milestone(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The milestone.")] id: ID,
        #[graphql(desc = "Its completion now.")] completion: super::types::enums::Completion,
        #[graphql(desc = "A public URL documenting it (http or https).")] evidence_url: Option<
            String,
        >,
    ) -> Result<super::types::plan::Milestone> {
        let v = viewer(ctx);
        v.require(&[DbRole::Admin], "updateMilestone")?;
        let mid = ids::decode_as(&id, NodeKind::Milestone)?;
        let now = context::now(ctx);
        let m = write(ctx, async move |txn| {
            crate::domain::registry::update_milestone(
                txn,
                mid,
                completion.into(),
                evidence_url,
                &v.actor_label(),
                now,
            )
            .await
        })
        .await?;
        Ok(m.into())
    }

    /// Officers: provides the data after an accepted proposal.
    async fn provide_after_mediation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The request.")] id: ID,
    ) -> Result<DataRequest> {
        run_action(
            ctx,
            &id,
            OFFICER,
            "provideAfterMediation",
            Action::ProvideAfterMediation,
        )
        .await
    }
}
