//! Who is asking: bearer API tokens, roles and scopes.
//!
//! A token is 256 random bits shown once (`inv_` + base64url); only its SHA-256 is stored, which
//! is right for random secrets (nothing to brute-force). A revoked token stops working at once,
//! also for open subscriptions, which re-check it as events flow.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::enums::Role;
use entity::{account, api_token};
use rand::RngCore;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Viewer {
    /// No token: reads everything public.
    #[default]
    Anonymous,
    /// A valid token.
    Account(Actor),
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: i64,
    pub token_id: i64,
    pub role: Role,
    /// For officers: the institution they act for.
    pub institution_id: Option<i64>,
}

impl Viewer {
    pub fn actor(&self) -> Option<&Actor> {
        match self {
            Viewer::Account(a) => Some(a),
            Viewer::Anonymous => None,
        }
    }

    /// The caller, who must have one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<&Actor, ApiError> {
        let Some(a) = self.actor() else {
            return Err(ApiError::Unauthenticated(format!(
                "{what} needs an API token (Authorization: Bearer …)"
            )));
        };
        if !roles.contains(&a.role) {
            let names: Vec<&str> = roles.iter().map(role_name).collect();
            return Err(ApiError::Forbidden(format!(
                "{what} is for {}; this token is a {}",
                names.join(" or "),
                role_name(&a.role)
            )));
        }
        Ok(a)
    }

    /// A short name for logs and history (`officer:12`), never personal data.
    pub fn actor_label(&self) -> String {
        match self {
            Viewer::Anonymous => "anonymous".into(),
            Viewer::Account(a) => format!("{}:{}", role_name(&a.role), a.account_id),
        }
    }
}

pub fn role_name(r: &Role) -> &'static str {
    match r {
        Role::Citizen => "citizen",
        Role::Officer => "officer",
        Role::Mediator => "mediator",
        Role::Admin => "admin",
    }
}

/// Characters of a token kept in the clear to recognize it: `inv_` and 8 more (48 random bits,
/// so prefixes of different tokens practically never collide).
pub const PREFIX_LEN: usize = 12;

/// The recognizable prefix of a token.
pub fn prefix_of(token: &str) -> String {
    token.chars().take(PREFIX_LEN).collect()
}

/// Revokes the caller's token named by `which` (its prefix, or the whole token); admins may name
/// anyone's. Refuses a prefix that names several tokens. Audited; returns the revoked token's id.
pub async fn revoke<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    actor_label: &str,
    which: &str,
    now: DateTime<Utc>,
) -> Result<i64, ApiError> {
    let which = which.trim();
    if which.chars().count() < 8 {
        return Err(ApiError::bad_input(
            "name the token by its prefix (as shown when it was created) or the whole token",
        ));
    }
    let by_hash = which.chars().count() > PREFIX_LEN;
    let q = if by_hash {
        api_token::Entity::find().filter(api_token::Column::TokenHash.eq(hash_token(which)))
    } else {
        api_token::Entity::find().filter(api_token::Column::Prefix.eq(which))
    };
    let mine: Vec<api_token::Model> = q
        .all(txn)
        .await?
        .into_iter()
        .filter(|t| actor.role == Role::Admin || t.account_id == actor.account_id)
        .collect();
    let t = match mine.as_slice() {
        [] => {
            return Err(ApiError::NotFound(format!(
                "no token of yours {} '{}'",
                if by_hash { "matches" } else { "has the prefix" },
                if by_hash {
                    prefix_of(which)
                } else {
                    which.to_string()
                }
            )));
        }
        [t] => t.clone(),
        many => {
            return Err(ApiError::Conflict(format!(
                "the prefix '{which}' names {} tokens; give the whole token instead",
                many.len()
            )));
        }
    };
    if t.revoked_at.is_none() {
        let mut m: api_token::ActiveModel = t.clone().into();
        m.revoked_at = Set(Some(now));
        m.update(txn).await?;
        crate::events::audit(txn, actor_label, "revokeToken", "api_token", t.id, now).await?;
    }
    Ok(t.id)
}

/// A new random token and its stored hash.
pub fn new_token() -> (String, String) {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let token = format!("inv_{}", URL_SAFE_NO_PAD.encode(raw));
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Reads an `Authorization` header: none → anonymous; a valid token → its account; anything
/// else (malformed, unknown, revoked) → `UNAUTHENTICATED`.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    header: Option<&str>,
) -> Result<Viewer, ApiError> {
    let Some(h) = header else {
        return Ok(Viewer::Anonymous);
    };
    let token = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`".into())
        })?;
    by_token(db, token)
        .await?
        .ok_or_else(|| ApiError::Unauthenticated("unknown or revoked token".into()))
}

/// The account behind a token, if the token exists and is not revoked.
pub async fn by_token<C: ConnectionTrait>(db: &C, token: &str) -> Result<Option<Viewer>, ApiError> {
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_token(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if t.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(a) = account::Entity::find_by_id(t.account_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(Viewer::Account(Actor {
        account_id: a.id,
        token_id: t.id,
        role: a.role,
        institution_id: a.institution_id,
    })))
}

/// Whether a token is still valid (for subscriptions re-checking as events flow).
pub async fn token_active<C: ConnectionTrait>(db: &C, token_id: i64) -> Result<bool, DbErr> {
    Ok(api_token::Entity::find_by_id(token_id)
        .one(db)
        .await?
        .is_some_and(|t| t.revoked_at.is_none()))
}

/// A new account with its first token; returns the account and the token (shown once).
pub async fn create_account<C: ConnectionTrait>(
    db: &C,
    display_name: &str,
    contact: Option<&str>,
    role: Role,
    institution_id: Option<i64>,
    label: &str,
    now: DateTime<Utc>,
) -> Result<(account::Model, String), ApiError> {
    let name = display_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::bad_input(
            "displayName must be 1 to 100 characters",
        ));
    }
    if contact.is_some_and(|c| c.chars().count() > 200) {
        return Err(ApiError::bad_input(
            "contact must be at most 200 characters",
        ));
    }
    if (role == Role::Officer) != institution_id.is_some() {
        return Err(ApiError::bad_input(
            "an officer token needs an institution, and only officers have one",
        ));
    }
    let acct = account::ActiveModel {
        id: NotSet,
        display_name: Set(name.to_string()),
        contact: Set(contact
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())),
        role: Set(role),
        institution_id: Set(institution_id),
        synthetic: Set(false),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    let token = issue_token(db, acct.id, label, now).await?;
    Ok((acct, token))
}

/// A new token for an existing account (shown once).
pub async fn issue_token<C: ConnectionTrait>(
    db: &C,
    account_id: i64,
    label: &str,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let (token, hash) = new_token();
    api_token::ActiveModel {
        id: NotSet,
        account_id: Set(account_id),
        token_hash: Set(hash),
        prefix: Set(prefix_of(&token)),
        label: Set(label.chars().take(100).collect()),
        created_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The institutions an officer acts for; it lives with the institution hierarchy.
pub use crate::domain::institutions::officer_scope;

/// Checks that the viewer is an officer acting for `institution_id`.
pub async fn require_officer_for<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    institution_id: i64,
    what: &str,
) -> Result<Actor, ApiError> {
    let a = viewer.require(&[Role::Officer], what)?.clone();
    let home = a
        .institution_id
        .ok_or_else(|| ApiError::Forbidden("this officer token has no institution".into()))?;
    if !officer_scope(db, home).await?.contains(&institution_id) {
        return Err(ApiError::Forbidden(format!(
            "{what}: this dataset or request belongs to another institution"
        )));
    }
    Ok(a)
}
