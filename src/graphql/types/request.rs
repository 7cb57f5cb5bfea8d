//! `DataRequest`: the public, anonymized view of a request for data.

use async_graphql::{ComplexObject, Context, ID, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::data_request;

use super::dataset::Dataset;
use super::disclosure::Ground;
use super::enums::RequestState;
use super::institution::Institution;
use super::label::Label;
use crate::domain::labels;
use crate::graphql::ids::{NodeKind, encode};
use crate::graphql::loaders::{DatasetId, InstitutionId, Loaders, SupportersOf};

/// A request for withheld or unlisted data. The requester is never shown here.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct DataRequest {
    /// Global id.
    pub id: ID,
    /// Description of unlisted data, when no listed dataset was requested.
    pub unlisted_description: Option<String>,
    /// State.
    pub state: RequestState,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// Deadline of the current step.
    pub due_on: Option<NaiveDate>,
    /// Decision deadline.
    pub decision_due_on: NaiveDate,
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
    #[graphql(skip)]
    pub dataset_id: Option<i64>,
    #[graphql(skip)]
    pub institution_id: i64,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub requester_id: i64,
    #[graphql(skip)]
    pub purpose: String,
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
            unlisted_description: m.unlisted_description,
            state: m.state.into(),
            filed_at: m.filed_at,
            due_on: m.due_on,
            decision_due_on: m.decision_due_on,
            extended: m.extended,
            decided_at: m.decided_at,
            decision: m.decision.map(Into::into),
            ground: m.ground.map(Ground::from),
            institution_wording: m.institution_wording,
            synthetic: m.synthetic,
            dataset_id: m.dataset_id,
            institution_id: m.institution_id,
            row_id: m.id,
            requester_id: m.requester_id,
            purpose: m.purpose,
        }
    }
}

#[ComplexObject]
impl DataRequest {
    /// Labels of the state.
    async fn state_label(&self) -> Label {
        labels::request_state(self.state.into()).into()
    }

    /// The requested dataset, if listed.
    async fn dataset(&self, ctx: &Context<'_>) -> Result<Option<Dataset>> {
        let Some(id) = self.dataset_id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(DatasetId(id))
            .await?
            .map(Dataset::from))
    }

    /// The requester and purpose; null unless you are the requester, an officer of the
    /// institution asked, or the mediation committee.
    async fn requester(&self, ctx: &Context<'_>) -> Result<Option<RequestParty>> {
        let viewer = ctx
            .data_opt::<crate::auth::Viewer>()
            .cloned()
            .unwrap_or_default();
        let Some(a) = viewer.actor() else {
            return Ok(None);
        };
        let db = ctx.data_unchecked::<sea_orm::DatabaseConnection>();
        let allowed = match a.role {
            entity::enums::Role::Citizen => a.account_id == self.requester_id,
            entity::enums::Role::Mediator => true,
            entity::enums::Role::Officer => match a.institution_id {
                Some(home) => crate::auth::officer_scope(db, home)
                    .await
                    .map_err(crate::error::ApiError::from)?
                    .contains(&self.institution_id),
                None => false,
            },
            entity::enums::Role::Admin => false,
        };
        if !allowed {
            return Ok(None);
        }
        use sea_orm::EntityTrait;
        let acct = entity::account::Entity::find_by_id(self.requester_id)
            .one(db)
            .await
            .map_err(crate::error::ApiError::from)?;
        Ok(acct.map(|a| RequestParty {
            display_name: a.display_name,
            contact: a.contact,
            purpose: self.purpose.clone(),
        }))
    }

    /// The next steps the workflow allows from here.
    async fn allowed_steps(&self, ctx: &Context<'_>) -> Vec<&'static str> {
        let today = ctx
            .data_unchecked::<crate::clock::SharedClock>()
            .today_seoul();
        let m = entity::data_request::Model {
            id: self.row_id,
            requester_id: 0,
            dataset_id: self.dataset_id,
            institution_id: self.institution_id,
            unlisted_description: None,
            purpose: String::new(),
            state: self.state.into(),
            filed_at: self.filed_at,
            due_on: self.due_on,
            decision_due_on: self.decision_due_on,
            extended: self.extended,
            decided_at: self.decided_at,
            decision: self.decision.map(Into::into),
            ground: None,
            institution_wording: None,
            provided_dataset_id: None,
            synthetic: self.synthetic,
            version: 0,
            updated_at: self.filed_at,
        };
        crate::domain::workflow::allowed_steps(&m, today)
    }

    /// Long overdue: awaiting the institution more than 30 days past the decision deadline.
    async fn long_overdue(&self, ctx: &Context<'_>) -> bool {
        let today = ctx
            .data_unchecked::<crate::clock::SharedClock>()
            .today_seoul();
        crate::domain::requests::AWAITING_INSTITUTION.contains(&self.state.into())
            && self.decision_due_on + chrono::Days::new(30) < today
    }

    /// Citizens supporting this request (the demand signal).
    async fn supporter_count(&self, ctx: &Context<'_>) -> Result<u64> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(SupportersOf(self.row_id))
            .await?
            .unwrap_or(0))
    }

    /// True when the institution has not decided and the decision deadline has passed (Asia/Seoul).
    async fn overdue(&self, ctx: &Context<'_>) -> bool {
        let today = ctx
            .data_unchecked::<crate::clock::SharedClock>()
            .today_seoul();
        crate::domain::requests::AWAITING_INSTITUTION.contains(&self.state.into())
            && self.decision_due_on < today
    }

    /// The institution asked.
    async fn institution(&self, ctx: &Context<'_>) -> Result<Option<Institution>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .load_one(InstitutionId(self.institution_id))
            .await?
            .map(Institution::from))
    }
}
