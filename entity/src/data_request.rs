//! `data_request`: a citizen's request for withheld or unlisted data.
//! `requester_id` points at personal data and is never shown publicly.

use crate::enums::*;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "data_request")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub requester_id: i64,
    /// The requested dataset, or none for unlisted data described in `unlisted_description`.
    pub dataset_id: Option<i64>,
    pub institution_id: i64,
    pub unlisted_description: Option<String>,
    pub purpose: String,
    pub state: RequestState,
    pub filed_at: DateTimeUtc,
    /// The deadline of the current step (decision, mediation, answer, provision), end of that day in Asia/Seoul.
    pub due_on: Option<Date>,
    pub decision_due_on: Date,
    pub extended: bool,
    pub decided_at: Option<DateTimeUtc>,
    /// The institution's decision as a state (PROVIDED, PARTIALLY_PROVIDED, REFUSED, NOT_HELD).
    pub decision: Option<RequestState>,
    pub ground: Option<WithholdingGround>,
    /// The institution's own wording of its decision, quoted.
    pub institution_wording: Option<String>,
    /// The dataset registered when unlisted data was provided.
    pub provided_dataset_id: Option<i64>,
    pub synthetic: bool,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
