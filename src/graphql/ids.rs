//! Relay global ids: `base64url("<Type>:<id>")`, opaque to clients.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

/// Kinds of node, as they appear inside global ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Dataset,
    Institution,
    CoreDataBundle,
    Plan,
    Commitment,
    Milestone,
    Target,
    DataRequest,
    DisclosureEvent,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Dataset => "Dataset",
            NodeKind::Institution => "Institution",
            NodeKind::CoreDataBundle => "CoreDataBundle",
            NodeKind::Plan => "Plan",
            NodeKind::Commitment => "Commitment",
            NodeKind::Milestone => "Milestone",
            NodeKind::Target => "Target",
            NodeKind::DataRequest => "DataRequest",
            NodeKind::DisclosureEvent => "DisclosureEvent",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Dataset" => NodeKind::Dataset,
            "Institution" => NodeKind::Institution,
            "CoreDataBundle" => NodeKind::CoreDataBundle,
            "Plan" => NodeKind::Plan,
            "Commitment" => NodeKind::Commitment,
            "Milestone" => NodeKind::Milestone,
            "Target" => NodeKind::Target,
            "DataRequest" => NodeKind::DataRequest,
            "DisclosureEvent" => NodeKind::DisclosureEvent,
            _ => return None,
        })
    }
}

/// The global id of a row.
pub fn encode(kind: NodeKind, id: i64) -> async_graphql::ID {
    async_graphql::ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.as_str())))
}

/// Reads a global id; a malformed one is `BAD_USER_INPUT`.
pub fn decode(id: &str) -> Result<(NodeKind, i64), ApiError> {
    let bad = || {
        ApiError::bad_input(format!(
            "'{id}' is not a valid id: ids are opaque strings returned by this API"
        ))
    };
    let raw = URL_SAFE_NO_PAD.decode(id.trim()).map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (kind, num) = s.split_once(':').ok_or_else(bad)?;
    let kind = NodeKind::parse(kind).ok_or_else(bad)?;
    let num = num.parse::<i64>().map_err(|_| bad())?;
    Ok((kind, num))
}

/// Reads a global id that must be of one kind.
pub fn decode_as(id: &str, want: NodeKind) -> Result<i64, ApiError> {
    let (kind, n) = decode(id)?;
    if kind != want {
        return Err(ApiError::bad_input(format!(
            "'{id}' is the id of a {}, not of a {}",
            kind.as_str(),
            want.as_str()
        )));
    }
    Ok(n)
}

/// An opaque list cursor holding any serializable position.
pub fn encode_cursor<T: serde::Serialize>(pos: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(pos).expect("positions serialize"))
}

/// Reads a cursor made by [`encode_cursor`]; anything else is `BAD_USER_INPUT`.
pub fn decode_cursor<T: serde::de::DeserializeOwned>(c: &str) -> Result<T, ApiError> {
    let bad = || {
        ApiError::bad_input(format!(
            "'{c}' is not a cursor of this list: pass an `endCursor` or `startCursor` from it"
        ))
    };
    let raw = URL_SAFE_NO_PAD.decode(c.trim()).map_err(|_| bad())?;
    serde_json::from_slice(&raw).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_garbage_is_rejected() {
        let id = encode(NodeKind::Dataset, 42);
        assert_eq!(decode(&id).unwrap(), (NodeKind::Dataset, 42));
        assert!(decode("not-an-id").is_err());
        assert!(decode_as(&id, NodeKind::Institution).is_err());
    }
}
