//! Validators and caching headers for `GET /graphql` (queries) and the exports, so a
//! dashboard's repeated question costs a `304` and browsers and proxies can help.
//!
//! # The validator
//!
//! A weak `ETag` (`W/"…"`, 128 bits of SHA-256) over everything an answer depends on, so it
//! changes whenever the answer could:
//!
//! - **the request**: for GraphQL the document (the one an APQ hash stands for, once resolved),
//!   the operation name and the variables; for an export its query string (filter, search,
//!   ordering, page) and, for the DCAT catalog, the base URL its links are written from (`Host`,
//!   `X-Forwarded-Proto`);
//! - **the caller** (GraphQL only): the account's id, role and institution, so two officers or
//!   two requesters never share a validator (what a requester may see of a request is theirs
//!   alone); every anonymous caller shares one. Exports take no caller;
//! - **the media type** negotiated from `Accept` (GraphQL only; an export has one);
//! - **the data**: the outbox position this instance's catalog has applied ([`Stamp`]), which
//!   is what its answers reflect. Every write that can change an answer appends to the outbox
//!   in its own transaction: disclosure changes, every step of the request workflow (filing,
//!   support and follow leave an audit event, lapsed proposals a request event), registry
//!   upkeep (datasets, institutions, bundles and their datasets, plans, commitments,
//!   milestones, targets), accounts and tokens (sign-up, `createToken`, `revokeToken`) and the
//!   import. Two writes do not: `inventory token` from the shell, whose account is new and so
//!   only changes the answers of its own token (whose validator is new anyway), and the demo
//!   build, which fills only an empty database before a server serves it. For that one, and
//!   for a database replaced under a running deployment, the stamp also holds the catalog's
//!   dataset and institution counts (in memory, free to read), so a rebuilt inventory of
//!   another size never matches an old validator. A change committed through another
//!   instance shows in this instance's validators once its catalog has applied it (tens of
//!   milliseconds on PostgreSQL); a mutation through this instance answers only after its
//!   catalog has (read your writes);
//! - **the day** (GraphQL only): the Asia/Seoul date by the server's clock, since deadlines,
//!   "overdue" and lapsed proposals turn at Seoul midnight without any write. Nothing in an
//!   export depends on the date;
//! - the crate's version, so an upgrade that answers differently never revalidates an old
//!   answer.
//!
//! The tag is computed before anything runs; `If-None-Match` that matches it (weak comparison,
//! lists and `*`, RFC 9110 §13.1.2) is answered `304 Not Modified` with the `ETag`,
//! `Cache-Control` and `Vary` and no body, **without** executing the query or the export. Only
//! successful answers carry the tag; an answer with errors gets `Cache-Control: no-store`, and
//! so does every POST.
//!
//! # Headers
//!
//! `Cache-Control: no-cache` (store, but revalidate before each use), `private` when the
//! request carries `Authorization` (no shared cache keeps it) and `public` otherwise;
//! `Vary: Accept, Accept-Encoding, Authorization, Origin`. A weak tag is the same for the
//! compressed and the plain representation (they are equivalent, not byte-equal).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;

/// `Vary` of every cacheable answer.
pub const VARY: &str = "Accept, Accept-Encoding, Authorization, Origin";
/// `Cache-Control` of answers that must not be stored (POST, errors).
pub fn no_store() -> HeaderValue {
    HeaderValue::from_static("no-store")
}
const PRIVATE: &str = "private, no-cache";
const PUBLIC: &str = "public, no-cache";

/// What the data looks like on this instance now: the applied outbox position, the catalog's
/// counts and the Seoul date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub position: i64,
    pub datasets: u64,
    pub institutions: u64,
    pub date: chrono::NaiveDate,
}

impl Stamp {
    /// The stamp of what this instance answers from now; None when the catalog cannot be read
    /// (the answer then goes out without a validator).
    pub async fn now(state: &AppState) -> Option<Stamp> {
        // Lock-free when the catalog follows the outbox (a server); otherwise one cheap
        // statement when nothing changed.
        let snap = state
            .catalog
            .read()
            .await
            .inspect_err(|e| tracing::warn!(error = %e, "no validator: the catalog cannot be read"))
            .ok()?;
        Some(Stamp {
            position: snap.position,
            datasets: snap.alive.len(),
            institutions: snap.insts.len() as u64,
            date: state.clock.today_seoul(),
        })
    }
}

/// A validator being computed: each part goes in with its length, so no two sequences of
/// parts collide by concatenation.
pub struct Tag(Sha256);

impl Tag {
    /// A tag for answers of `kind` (e.g. `graphql`, `datasets.csv`).
    pub fn new(kind: &str) -> Tag {
        let mut t = Tag(Sha256::new());
        t = t
            .part(b"inventory-etag-1")
            .part(env!("CARGO_PKG_VERSION").as_bytes());
        t.part(kind.as_bytes())
    }

    /// Adds one part.
    pub fn part(mut self, bytes: &[u8]) -> Tag {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Adds the data's position and counts, and the date when `dated`.
    pub fn stamp(self, s: &Stamp, dated: bool) -> Tag {
        let mut t = self
            .part(&s.position.to_le_bytes())
            .part(&s.datasets.to_le_bytes())
            .part(&s.institutions.to_le_bytes());
        if dated {
            t = t.part(s.date.to_string().as_bytes());
        }
        t
    }

    /// The weak entity tag, `W/"<32 hex digits>"`.
    pub fn finish(self) -> HeaderValue {
        let digest = self.0.finalize();
        let value = format!("W/\"{}\"", hex::encode(&digest[..16]));
        HeaderValue::from_str(&value).expect("hex is a valid header value")
    }
}

/// The opaque part of an entity tag, without `W/` (for weak comparison).
fn opaque(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

/// Whether the request's `If-None-Match` matches `etag` by weak comparison: `*`, or any tag of
/// its lists (over one or several header lines) with the same opaque part.
pub fn matches(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let mine = opaque(etag.as_bytes());
    request.get_all(header::IF_NONE_MATCH).iter().any(|line| {
        line.as_bytes()
            .split(|b| *b == b',')
            .map(|t| t.trim_ascii())
            .any(|t| t == b"*" || opaque(t) == mine)
    })
}

/// `Cache-Control` of a cacheable answer to this request.
pub fn cache_control(request: &HeaderMap) -> HeaderValue {
    HeaderValue::from_static(if request.contains_key(header::AUTHORIZATION) {
        PRIVATE
    } else {
        PUBLIC
    })
}

/// Marks `response` cacheable under `etag`.
pub fn validated(response: &mut HeaderMap, request: &HeaderMap, etag: HeaderValue) {
    response.insert(header::ETAG, etag);
    response.insert(header::CACHE_CONTROL, cache_control(request));
    response.insert(header::VARY, HeaderValue::from_static(VARY));
}

/// `304 Not Modified` for `etag`: the validator and caching headers, no body.
pub fn not_modified(request: &HeaderMap, etag: HeaderValue) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    validated(r.headers_mut(), request, etag);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inm(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append(header::IF_NONE_MATCH, HeaderValue::from_str(l).unwrap());
        }
        h
    }

    #[test]
    fn if_none_match_compares_weakly_over_lists() {
        let tag = Tag::new("t").part(b"x").finish();
        let s = tag.to_str().unwrap().to_string();
        assert!(s.starts_with("W/\"") && s.len() == 2 + 2 + 32, "{s}");
        let strong = s.trim_start_matches("W/").to_string();
        assert!(matches(&inm(&[&s]), &tag));
        assert!(matches(&inm(&[&strong]), &tag), "weak comparison");
        assert!(matches(&inm(&["*"]), &tag));
        assert!(matches(&inm(&[&format!("\"a\", {s} ,W/\"b\"")]), &tag));
        assert!(matches(&inm(&["\"a\"", &s]), &tag), "several lines");
        assert!(!matches(&inm(&["\"a\", W/\"b\""]), &tag));
        assert!(!matches(&HeaderMap::new(), &tag));
        let other = Tag::new("t").part(b"y").finish();
        assert_ne!(other, tag);
        // Parts are length-prefixed: "ab"+"c" is not "a"+"bc".
        assert_ne!(
            Tag::new("t").part(b"ab").part(b"c").finish(),
            Tag::new("t").part(b"a").part(b"bc").finish()
        );
    }

    #[test]
    fn authorization_makes_answers_private() {
        assert_eq!(cache_control(&HeaderMap::new()), PUBLIC);
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(cache_control(&h), PRIVATE);
    }
}
