//! `ReviewItem`: an entry of the review queue of open by default (`reviewQueue`,
//! `Institution.reviewQueue`), with why it is there and since when it waits.

use async_graphql::{Enum, SimpleObject};

use super::dataset::Dataset;
use super::date::Date;
use super::page::connection;
use crate::catalog::review::Entry;

/// Why an entry is in the review queue.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReviewReason {
    /// Its withholding ground has no legal basis (a practical reason: data quality, not
    /// digitized, no system to serve it; see `Ground.hasLegalBasis`).
    NoLegalBasis,
    /// Its review date (`Disclosure.nextReviewOn`) is before today (Asia/Seoul).
    ReviewOverdue,
}

/// A withheld or partially open entry due for review under open by default.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReviewItem {
    /// The dataset.
    pub dataset: Dataset,
    /// Why it is in the queue: one reason or both, in this order (NO_LEGAL_BASIS first).
    pub reasons: Vec<ReviewReason>,
    /// The day it waits since, which orders the queue: the earliest day one of its reasons
    /// applies: for NO_LEGAL_BASIS `withheldSince`, for REVIEW_OVERDUE `nextReviewOn`.
    pub waiting_since: Date,
    /// The day (Asia/Seoul) it last became withheld or partially open: its latest history
    /// event changing the status to WITHHELD or PARTIALLY_OPEN from another status, or its
    /// first event when it entered the inventory so (moving between those two statuses or a new
    /// ground does not change it). On an imported inventory, the day of the import that brought
    /// it in withheld.
    pub withheld_since: Option<Date>,
    /// Its review date, if one is set.
    pub next_review_on: Option<Date>,
}

impl ReviewItem {
    /// The item of a queue entry and its dataset.
    pub fn new(e: &Entry, dataset: Dataset) -> Self {
        let mut reasons = Vec::new();
        if e.reasons.no_legal_basis {
            reasons.push(ReviewReason::NoLegalBasis);
        }
        if e.reasons.review_overdue {
            reasons.push(ReviewReason::ReviewOverdue);
        }
        ReviewItem {
            dataset,
            reasons,
            waiting_since: Date(e.waiting_since),
            withheld_since: e.withheld_since.map(Date),
            next_review_on: e.review_on.map(Date),
        }
    }
}

connection!(
    ReviewQueueConnection,
    ReviewItemEdge,
    ReviewItem,
    "A page of the review queue, the longest-waiting first (then by dataset id).",
    "A review-queue entry with its cursor."
);
