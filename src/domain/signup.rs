//! The sign-up rate limit: at most [`MAX_PER_HOUR`] self-service accounts per client address per
//! hour, counted in the database so it holds across server instances. Only a hash of the
//! address is stored.

use chrono::{DateTime, Utc};
use entity::signup_attempt;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::domain::Error;

/// Sign-ups per address per hour.
pub const MAX_PER_HOUR: u64 = 5;

/// Refuses when the address has signed up too often, else records this sign-up.
pub async fn check_and_record<C: ConnectionTrait>(
    db: &C,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let hash = hex::encode(Sha256::digest(address.as_bytes()));
    // Concurrent sign-ups from one address count one after the other, on every instance.
    crate::db::lock_for_check(db, "sign-up", &hash).await?;
    let since = now - chrono::Duration::hours(1);
    let recent = signup_attempt::Entity::find()
        .filter(signup_attempt::Column::AddressHash.eq(hash.clone()))
        .filter(signup_attempt::Column::CreatedAt.gt(since))
        .count(db)
        .await?;
    if recent >= MAX_PER_HOUR {
        return Err(Error::TooManyRequests(format!(
            "at most {MAX_PER_HOUR} sign-ups per address per hour; try again later"
        )));
    }
    signup_attempt::ActiveModel {
        id: NotSet,
        address_hash: Set(hash),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
