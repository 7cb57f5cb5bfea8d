//! Changing a dataset's disclosure: validation, optimistic concurrency, history and outbox.

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{DisclosureStatus, WithholdingGround};
use entity::{dataset, disclosure, disclosure_event};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::domain::{Error, labels};
use crate::events::{self, DisclosureChanged, Event};

/// A requested change of disclosure.
#[derive(Debug, Clone)]
pub struct Change {
    pub status: DisclosureStatus,
    pub ground: Option<WithholdingGround>,
    pub explanation: Option<String>,
    pub mitigation: Vec<String>,
    pub planned_open_on: Option<NaiveDate>,
    pub next_review_on: Option<NaiveDate>,
}

fn no_dataset() -> Error {
    Error::NotFound("no such dataset".into())
}

/// Checks a change on its own: what each status needs.
pub fn validate(c: &Change) -> Result<(), Error> {
    let explained = c
        .explanation
        .as_deref()
        .is_some_and(|e| !e.trim().is_empty());
    match c.status {
        DisclosureStatus::Withheld | DisclosureStatus::PartiallyOpen => {
            if c.ground.is_none() {
                return Err(Error::Invalid(format!(
                    "{} needs a ground (a legal ground, or a practical reason shown as having no legal basis)",
                    labels::status(c.status).en
                )));
            }
            if !explained {
                return Err(Error::Invalid(
                    "withholding needs an explanation in the institution's words".into(),
                ));
            }
        }
        DisclosureStatus::ScheduledToOpen => {
            if c.planned_open_on.is_none() {
                return Err(Error::Invalid(
                    "scheduled to open needs plannedOpenOn".into(),
                ));
            }
            if c.ground.is_some() {
                return Err(Error::Invalid(
                    "a ground is only given for withheld or partially open data".into(),
                ));
            }
        }
        DisclosureStatus::Open | DisclosureStatus::UnderReview => {
            if c.ground.is_some() {
                return Err(Error::Invalid(
                    "a ground is only given for withheld or partially open data".into(),
                ));
            }
        }
    }
    if c.explanation
        .as_deref()
        .is_some_and(|e| e.chars().count() > 4000)
    {
        return Err(Error::Invalid(
            "explanation is limited to 4000 characters".into(),
        ));
    }
    Ok(())
}

/// Whether `c` would leave the disclosure `d` as it is: a history event for it would record a
/// change that did not happen, so it is refused.
fn changes_nothing(d: &disclosure::Model, c: &Change) -> bool {
    d.status == c.status
        && d.ground == c.ground
        && d.explanation == c.explanation
        && d.mitigation == c.mitigation.join(",")
        && d.planned_open_on == c.planned_open_on
        && d.next_review_on == c.next_review_on
}

/// Applies a change inside the caller's transaction: a conditional update on the version the
/// caller saw (never read-then-write), a history event and an outbox event.
pub async fn apply<C: ConnectionTrait>(
    txn: &C,
    dataset_id: i64,
    seen_version: i32,
    c: &Change,
    actor: &str,
    actor_account_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<disclosure::Model, Error> {
    validate(c)?;
    let before = disclosure::Entity::find_by_id(dataset_id)
        .one(txn)
        .await?
        .ok_or_else(no_dataset)?;
    if changes_nothing(&before, c) {
        return Err(Error::Invalid(format!(
            "nothing to change: the disclosure already says {} with the same ground, explanation, \
             mitigation and dates (version {}); change at least one of them",
            sea_orm::ActiveEnum::to_value(&c.status),
            before.version
        )));
    }
    let legal_basis = c
        .ground
        .and_then(|g| labels::ground(g).legal_basis.map(String::from));
    let res = disclosure::Entity::update_many()
        .col_expr(
            disclosure::Column::Status,
            Expr::value(sea_orm::ActiveEnum::to_value(&c.status)),
        )
        .col_expr(
            disclosure::Column::Ground,
            Expr::value(c.ground.map(|g| sea_orm::ActiveEnum::to_value(&g))),
        )
        .col_expr(disclosure::Column::LegalBasis, Expr::value(legal_basis))
        .col_expr(
            disclosure::Column::Explanation,
            Expr::value(c.explanation.clone()),
        )
        .col_expr(
            disclosure::Column::Mitigation,
            Expr::value(c.mitigation.join(",")),
        )
        .col_expr(
            disclosure::Column::PlannedOpenOn,
            Expr::value(c.planned_open_on),
        )
        .col_expr(
            disclosure::Column::NextReviewOn,
            Expr::value(c.next_review_on),
        )
        .col_expr(
            disclosure::Column::Version,
            Expr::col(disclosure::Column::Version).add(1),
        )
        .col_expr(disclosure::Column::UpdatedAt, Expr::value(now))
        .filter(disclosure::Column::DatasetId.eq(dataset_id))
        .filter(disclosure::Column::Version.eq(seen_version))
        .exec(txn)
        .await?;
    if res.rows_affected == 0 {
        let current = disclosure::Entity::find_by_id(dataset_id)
            .one(txn)
            .await?
            .ok_or_else(no_dataset)?;
        return Err(Error::Conflict(format!(
            "the disclosure changed meanwhile: you saw version {seen_version}, it is now version {}; reload and try again",
            current.version
        )));
    }
    let after = disclosure::Entity::find_by_id(dataset_id)
        .one(txn)
        .await?
        .ok_or_else(no_dataset)?;
    let ds = dataset::Entity::find_by_id(dataset_id)
        .one(txn)
        .await?
        .ok_or_else(no_dataset)?;
    let ev = disclosure_event::ActiveModel {
        id: NotSet,
        dataset_id: Set(dataset_id),
        from_status: Set(Some(before.status)),
        to_status: Set(c.status),
        ground: Set(c.ground),
        explanation: Set(c.explanation.clone()),
        actor: Set(actor.to_string()),
        actor_account_id: Set(actor_account_id),
        occurred_at: Set(now),
        // A disclosure change leaves the listing as it is.
        from_listed: Set(Some(ds.listed)),
        listed: Set(ds.listed),
    }
    .insert(txn)
    .await?;
    events::append(
        txn,
        vec![Event::Disclosure(DisclosureChanged::of(
            &ev,
            ds.institution_id,
            ds.category,
        ))],
        now,
    )
    .await?;
    Ok(after)
}
