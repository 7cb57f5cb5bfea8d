//! Listing and delisting datasets. A dataset leaves the published inventory (`listed` false)
//! when the portal file no longer has it or when an officer or admin delists it; it comes back
//! the same ways. Each change is a history event of its own (status and ground unchanged,
//! `from_listed` → `listed`, counted by the disclosure's version) and goes to the outbox, so
//! the feed, subscribers and the catalog see it. Written in bulk: an import delisting thousands
//! of datasets runs four statements.

use chrono::{DateTime, Utc};
use entity::disclosure_event;
use entity::enums::Category;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use crate::domain::sql::Sql;
use crate::events::{DisclosureChanged, Event};

/// Who changes the listing, and why.
#[derive(Debug, Clone)]
pub struct ListingChange<'a> {
    /// `import:<file>`, `account:<id>`, …
    pub actor: &'a str,
    pub actor_account_id: Option<i64>,
    /// Recorded with each event, e.g. "no longer in the portal file x.csv".
    pub explanation: Option<String>,
}

#[derive(Debug, FromQueryResult)]
struct Where {
    id: i64,
    institution_id: i64,
    category: Category,
}

/// Sets `listed` on the datasets `ids` (those already so are left alone) inside the caller's
/// transaction, records a history event for each dataset that changed, and returns the
/// outbox events for the caller to [`crate::events::append`], in dataset id order.
pub async fn set_listed<C: ConnectionTrait>(
    txn: &C,
    ids: &[i64],
    listed: bool,
    who: &ListingChange<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Event>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let backend = txn.get_database_backend();
    // The events first, while `dataset.listed` still says what it was.
    let mut sql = Sql::new(backend);
    let list = sql.ids(ids);
    let to = sql.param(listed);
    let explanation = sql.param(who.explanation.clone());
    let actor = sql.param(who.actor.to_string());
    let account = sql.param(who.actor_account_id);
    let at = sql.param(now);
    sql.push(&format!(
        "INSERT INTO disclosure_event \
           (dataset_id, from_status, to_status, ground, explanation, actor, actor_account_id, \
            occurred_at, from_listed, listed) \
         SELECT s.dataset_id, s.status, s.status, s.ground, {explanation}, {actor}, {account}, \
                {at}, d.listed, {to} \
           FROM disclosure s JOIN dataset d ON d.id = s.dataset_id \
          WHERE d.id IN ({list}) AND d.listed <> {to} \
          ORDER BY d.id \
         RETURNING *"
    ));
    let mut recorded = disclosure_event::Model::find_by_statement(sql.statement())
        .all(txn)
        .await?;
    if recorded.is_empty() {
        return Ok(Vec::new());
    }
    recorded.sort_by_key(|e| e.id);
    let changed: Vec<i64> = recorded.iter().map(|e| e.dataset_id).collect();

    let mut sql = Sql::new(backend);
    let list = sql.ids(&changed);
    let at = sql.param(now);
    sql.push(&format!(
        "UPDATE disclosure SET version = version + 1, updated_at = {at} \
          WHERE dataset_id IN ({list})"
    ));
    txn.execute_raw(sql.statement()).await?;

    let mut sql = Sql::new(backend);
    let list = sql.ids(&changed);
    let to = sql.param(listed);
    let at = sql.param(now);
    sql.push(&format!(
        "UPDATE dataset SET listed = {to}, updated_at = {at} WHERE id IN ({list})"
    ));
    txn.execute_raw(sql.statement()).await?;

    let mut sql = Sql::new(backend);
    let list = sql.ids(&changed);
    sql.push(&format!(
        "SELECT id, institution_id, category FROM dataset WHERE id IN ({list})"
    ));
    let places: std::collections::HashMap<i64, Where> = Where::find_by_statement(sql.statement())
        .all(txn)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    Ok(recorded
        .iter()
        .map(|e| {
            let w = &places[&e.dataset_id];
            Event::Disclosure(DisclosureChanged::of(e, w.institution_id, w.category))
        })
        .collect())
}

/// Of the datasets `ids` (delisted now), those whose last delisting was made by an import
/// (actor `import:…`) or has no record: the ones an import may list again when they are back
/// in its file. A delisting by a person stands until a person relists.
pub async fn delisted_by_imports<C: ConnectionTrait>(
    txn: &C,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    #[derive(FromQueryResult)]
    struct Delisting {
        dataset_id: i64,
        actor: String,
    }
    let mut sql = Sql::new(txn.get_database_backend());
    let list = sql.ids(ids);
    sql.push(&format!(
        "SELECT dataset_id, actor FROM disclosure_event \
          WHERE dataset_id IN ({list}) AND from_listed = TRUE AND listed = FALSE \
          ORDER BY occurred_at, id"
    ));
    let mut last: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for d in Delisting::find_by_statement(sql.statement())
        .all(txn)
        .await?
    {
        last.insert(d.dataset_id, d.actor);
    }
    Ok(ids
        .iter()
        .copied()
        .filter(|id| last.get(id).is_none_or(|a| a.starts_with("import:")))
        .collect())
}
