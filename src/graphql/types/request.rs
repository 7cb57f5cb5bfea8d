//! `DataRequest`: the public, anonymized view of a request for data.

use super::date::Date;
use async_graphql::{ComplexObject, Context, ID, InputObject, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::data_request;

use super::dataset::Dataset;
use super::disclosure::Ground;
use super::enums::RequestState;
use super::institution::Institution;
use super::label::Label;
use crate::domain::{labels, requests};
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::loaders::{
    AccountId, DatasetId, InstitutionId, Loaders, ScopeOf, SupportersOf, WentToMediation,
};
use entity::enums::Role;

/// A request for withheld or unlisted data. The requester is never shown here.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct DataRequest {
    /// Global id.
    pub id: ID,
    /// Description of unlisted data, when no listed dataset was requested.
    pub unlisted_description: Option<String>,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// Deadline of the current step (decision, answer to reconsideration, mediation proposal,
    /// answers to a proposal, provision after mediation); null when nobody is awaited.
    pub due_on: Option<Date>,
    /// Decision deadline (after any extension).
    pub decision_due_on: Date,
    /// True once the decision period was extended.
    pub extended: bool,
    /// When the institution decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The decision.
    pub decision: Option<RequestState>,
    /// The ground the institution invoked.
    pub ground: Option<Ground>,
    /// The institution's wording, quoted.
    pub institution_wording: Option<String>,
    /// True for fictional demo requests.
    pub synthetic: bool,
    /// The stored row, for computed fields; never exposed as such.
    #[graphql(skip)]
    pub row: data_request::Model,
}

/// Who asked, and why: personal data, shown only to the requester, to officers of the
/// institution asked and to the mediation committee.
#[derive(SimpleObject, Clone, Debug)]
pub struct RequestParty {
    /// The requester's display name.
    pub display_name: String,
    /// The requester's contact, if given.
    pub contact: Option<String>,
    /// The purpose stated with the request.
    pub purpose: String,
}

impl From<data_request::Model> for DataRequest {
    fn from(m: data_request::Model) -> Self {
        DataRequest {
            id: encode(NodeKind::DataRequest, m.id),
            unlisted_description: m.unlisted_description.clone(),
            filed_at: m.filed_at,
            due_on: m.due_on.map(Date),
            decision_due_on: Date(m.decision_due_on),
            extended: m.extended,
            decided_at: m.decided_at,
            decision: m.decision.map(Into::into),
            ground: m.ground.map(Ground::from),
            institution_wording: m.institution_wording.clone(),
            synthetic: m.synthetic,
            row: m,
        }
    }
}

fn today(ctx: &Context<'_>) -> NaiveDate {
    ctx.data_unchecked::<crate::clock::SharedClock>()
        .today_seoul()
}

#[ComplexObject]
impl DataRequest {
    /// State as of today: a mediation proposal left unanswered past its deadline shows as
    /// `MEDIATION_LAPSED` (silence counts as rejection).
    async fn state(&self, ctx: &Context<'_>) -> RequestState {
        requests::effective_state(self.row.state, self.row.due_on, today(ctx)).into()
    }

    /// Labels of the state.
    async fn state_label(&self, ctx: &Context<'_>) -> Label {
        labels::request_state(requests::effective_state(
            self.row.state,
            self.row.due_on,
            today(ctx),
        ))
        .into()
    }

    /// The requested dataset, if listed.
    async fn dataset(&self, ctx: &Context<'_>) -> Result<Option<Dataset>> {
        self.load_dataset(ctx, self.row.dataset_id).await
    }

    /// The dataset through which the data was provided: the requested one, or the dataset
    /// registered when unlisted data was provided. Null until provided.
    async fn provided_dataset(&self, ctx: &Context<'_>) -> Result<Option<Dataset>> {
        self.load_dataset(ctx, self.row.provided_dataset_id).await
    }

    /// The requester and purpose; null unless you are the requester, an officer of the
    /// institution asked, or the mediation committee once the request has gone to mediation.
    async fn requester(&self, ctx: &Context<'_>) -> Result<Option<RequestParty>> {
        let viewer = ctx
            .data_opt::<crate::auth::Viewer>()
            .cloned()
            .unwrap_or_default();
        let Some(a) = viewer.actor() else {
            return Ok(None);
        };
        let l = ctx.data_unchecked::<Loaders>();
        let allowed = match a.role {
            Role::Citizen => a.account_id == self.row.requester_id,
            Role::Mediator => {
                requests::MEDIATION_STATES.contains(&self.row.state)
                    || l.load_one(WentToMediation(self.row.id))
                        .await?
                        .unwrap_or(false)
            }
            Role::Officer => match a.institution_id {
                Some(home) => l
                    .load_one(ScopeOf(home))
                    .await?
                    .is_some_and(|scope| scope.contains(&self.row.institution_id)),
                None => false,
            },
            Role::Admin => false,
        };
        if !allowed {
            return Ok(None);
        }
        let acct = l.load_one(AccountId(self.row.requester_id)).await?;
        Ok(acct.map(|a| RequestParty {
            display_name: a.display_name,
            contact: a.contact,
            purpose: self.row.purpose.clone(),
        }))
    }

    /// The next steps the workflow allows from here (for anyone; who may take each is in the
    /// mutation's description).
    async fn allowed_steps(&self, ctx: &Context<'_>) -> Vec<&'static str> {
        let cal = ctx
            .data_opt::<crate::domain::deadlines::Deadlines>()
            .cloned()
            .unwrap_or_default();
        crate::domain::workflow::allowed_steps(&self.row, today(ctx), &cal)
    }

    /// True when the party awaited (the institution for a decision, an answer to
    /// reconsideration or provision after mediation; the mediation committee for its proposal)
    /// has let the current step's deadline (`dueOn`) pass, Asia/Seoul.
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        requests::overdue(&self.row, today(ctx))
    }

    /// Overdue by more than 30 days.
    async fn long_overdue(&self, ctx: &Context<'_>) -> bool {
        requests::long_overdue(&self.row, today(ctx))
    }

    /// Citizens supporting this request (the demand signal).
    async fn supporter_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(SupportersOf(self.row.id))
            .await?
            .unwrap_or(0))
    }

    /// The institution asked.
    async fn institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(InstitutionId(self.row.institution_id))
            .await?
            .map(Institution::from))
    }
}

impl DataRequest {
    async fn load_dataset(&self, ctx: &Context<'_>, id: Option<i64>) -> Result<Option<Dataset>> {
        let Some(id) = id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(DatasetId(id))
            .await?
            .map(Dataset::from))
    }
}

/// Which requests to list; every field narrows, lists mean "any of".
#[derive(InputObject, Default, Debug)]
pub struct DataRequestFilter {
    /// States as of today (a proposal left unanswered past its deadline is `MEDIATION_LAPSED`).
    pub state: Option<Vec<RequestState>>,
    /// Requests to these institutions (portal codes).
    pub institution_code: Option<Vec<String>>,
    /// Requests for this dataset.
    pub dataset_id: Option<ID>,
    /// Your worklist (needs a token): citizens get the requests they filed; officers the requests
    /// to their institution and its confirmed sub-institutions; mediators the requests that went
    /// to mediation.
    pub mine: Option<bool>,
    /// The requests you follow (needs a citizen's token; `followRequest`, `unfollowRequest`).
    pub followed: Option<bool>,
    /// Only requests whose current step is (true) or is not (false) past its deadline.
    pub overdue: Option<bool>,
}
