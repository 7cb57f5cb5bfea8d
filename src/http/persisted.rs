//! Automatic persisted queries (APQ), Apollo's convention, in the HTTP handler: a client sends
//! `extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<64 hex>"}}` (in a POST body,
//! or JSON-encoded in a GET's `extensions` parameter) instead of the document, so a dashboard's
//! question fits in a short, cacheable GET URL.
//!
//! - A hash this instance knows runs its document.
//! - A hash without a document that it does not know is answered with one error,
//!   `PersistedQueryNotFound` coded `PERSISTED_QUERY_NOT_FOUND`, status `200` under both media
//!   types and `Cache-Control: no-store`, as Apollo Server does and Apollo Client's
//!   persisted-query link expects (it then sends the document with the hash, by POST).
//! - A document with a hash registers it, once its SHA-256 (lower-case hex of the UTF-8
//!   document) is the hash and the request ran (a document that does not parse or validate is
//!   never stored); a hash that is not the document's is `400` coded
//!   `PERSISTED_QUERY_HASH_MISMATCH` ("provided sha does not match query", Apollo's wording).
//! - A version other than 1, or a `persistedQuery` that is not such an object, is `400`
//!   `BAD_REQUEST`.
//!
//! The store is per instance and bounded ([`MAX_ENTRIES`] documents, least recently used
//! evicted first; documents are at most 32 KiB, as every document is). Several instances need
//! not share it: a client whose hash an instance does not know is told so and sends the
//! document again, which registers it there.
//!
//! This is not async-graphql's `ApolloPersistedQueries` extension on purpose: registering any
//! schema extension sends every field through the extension chain, about 40 % of the
//! executor's time (see `graphql/codes.rs`). Persisted queries are served over HTTP only; a
//! WebSocket `subscribe` must carry its document.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Documents kept per instance.
pub const MAX_ENTRIES: usize = 2_000;

/// `PERSISTED_QUERY_NOT_FOUND`.
pub const NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
/// `PERSISTED_QUERY_HASH_MISMATCH`.
pub const HASH_MISMATCH: &str = "PERSISTED_QUERY_HASH_MISMATCH";

/// The `persistedQuery` extension as sent.
#[derive(Debug, Clone, Deserialize)]
pub struct PersistedQuery {
    version: i64,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

impl PersistedQuery {
    /// Reads the extension from its JSON, or says why not.
    pub fn from_json(v: serde_json::Value) -> Result<PersistedQuery, Refusal> {
        serde_json::from_value(v).map_err(|e| {
            Refusal::bad_request(format!(
                "extensions.persistedQuery must be {{\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}}: {e}"
            ))
        })
    }
}

/// Why a persisted query cannot run: status, code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn bad_request(message: String) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            code: "BAD_REQUEST",
            message,
        }
    }
}

/// A document's SHA-256.
pub type Hash = [u8; 32];

/// The documents this instance knows by hash.
#[derive(Clone)]
pub struct Persisted {
    documents: Arc<Mutex<lru::LruCache<Hash, Arc<str>>>>,
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted::with_capacity(MAX_ENTRIES)
    }
}

impl Persisted {
    /// A store of at most `entries` documents.
    pub fn with_capacity(entries: usize) -> Persisted {
        let cap = NonZeroUsize::new(entries.max(1)).expect("at least one");
        Persisted {
            documents: Arc::new(Mutex::new(lru::LruCache::new(cap))),
        }
    }

    /// Resolves a request's persisted query: fills an empty `query` with the known document,
    /// or checks a given one against its hash. Returns the hash to [`Persisted::register`] once
    /// the request ran, if the document is new to the store.
    pub fn resolve(
        &self,
        query: &mut String,
        pq: Option<PersistedQuery>,
    ) -> Result<Option<Hash>, Refusal> {
        let Some(pq) = pq else {
            return Ok(None);
        };
        if pq.version != 1 {
            return Err(Refusal::bad_request(format!(
                "Unsupported persisted query version {}; only version 1 is supported",
                pq.version
            )));
        }
        let mut hash: Hash = [0; 32];
        hex::decode_to_slice(pq.sha256_hash.trim(), &mut hash).map_err(|_| {
            Refusal::bad_request(format!(
                "extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits (got '{}')",
                pq.sha256_hash
            ))
        })?;
        if query.is_empty() {
            let known = self.lock().get(&hash).cloned();
            return match known {
                Some(doc) => {
                    query.push_str(&doc);
                    Ok(None)
                }
                None => Err(Refusal {
                    // 200, as Apollo Server answers it: clients retry with the document.
                    status: StatusCode::OK,
                    code: NOT_FOUND,
                    message: "PersistedQueryNotFound".into(),
                }),
            };
        }
        let actual: Hash = Sha256::digest(query.as_bytes()).into();
        if actual != hash {
            return Err(Refusal {
                status: StatusCode::BAD_REQUEST,
                code: HASH_MISMATCH,
                message: format!(
                    "provided sha does not match query (its SHA-256 is {})",
                    hex::encode(actual)
                ),
            });
        }
        let known = self.lock().get(&hash).is_some();
        Ok((!known).then_some(hash))
    }

    /// Keeps `document` under `hash` (its SHA-256, checked by [`Persisted::resolve`]).
    pub fn register(&self, hash: Hash, document: &str) {
        self.lock().put(hash, Arc::from(document));
    }

    /// How many documents are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, lru::LruCache<Hash, Arc<str>>> {
        // A panic while holding it cannot leave the cache inconsistent for our use.
        self.documents.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pq(version: i64, hash: &str) -> Option<PersistedQuery> {
        Some(PersistedQuery {
            version,
            sha256_hash: hash.into(),
        })
    }

    #[test]
    fn miss_register_hit_and_mismatch() {
        let store = Persisted::with_capacity(2);
        let doc = "{ __typename }";
        let hash = hex::encode(Sha256::digest(doc));
        let mut q = String::new();
        let miss = store.resolve(&mut q, pq(1, &hash)).unwrap_err();
        assert_eq!((miss.status, miss.code), (StatusCode::OK, NOT_FOUND));
        let mut q = doc.to_string();
        let new = store.resolve(&mut q, pq(1, &hash)).unwrap();
        store.register(new.expect("new to the store"), &q);
        let mut q = String::new();
        assert_eq!(store.resolve(&mut q, pq(1, &hash.to_uppercase())), Ok(None));
        assert_eq!(q, doc);
        let mut q = doc.to_string();
        assert_eq!(store.resolve(&mut q, pq(1, &hash)), Ok(None), "known");
        let mut q = "{ stats { total } }".to_string();
        let e = store.resolve(&mut q, pq(1, &hash)).unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, HASH_MISMATCH));
        let e = store.resolve(&mut String::new(), pq(2, &hash)).unwrap_err();
        assert_eq!(e.code, "BAD_REQUEST");
        let e = store.resolve(&mut String::new(), pq(1, "abc")).unwrap_err();
        assert_eq!(e.code, "BAD_REQUEST");
        assert_eq!(store.resolve(&mut String::new(), None), Ok(None));
    }

    #[test]
    fn the_store_is_bounded() {
        let store = Persisted::with_capacity(2);
        for d in ["{ a }", "{ b }", "{ c }"] {
            store.register(Sha256::digest(d).into(), d);
        }
        assert_eq!(store.len(), 2);
        let mut q = String::new();
        let first = hex::encode(Sha256::digest("{ a }"));
        assert!(store.resolve(&mut q, pq(1, &first)).is_err(), "evicted");
    }
}
