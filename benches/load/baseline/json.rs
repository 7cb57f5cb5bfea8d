//! Writing the response JSON straight into one buffer: no intermediate tree, strings escaped
//! by serde_json into the buffer itself.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A response body under construction.
pub struct Out(pub Vec<u8>);

impl Out {
    pub fn with_capacity(n: usize) -> Self {
        Out(Vec::with_capacity(n))
    }

    /// Raw JSON text (punctuation, keys known to need no escaping).
    pub fn raw(&mut self, s: &str) -> &mut Self {
        self.0.extend_from_slice(s.as_bytes());
        self
    }

    /// A JSON string.
    pub fn str(&mut self, s: &str) -> &mut Self {
        serde_json::to_writer(&mut self.0, s).expect("writing to a Vec cannot fail");
        self
    }

    /// A JSON string or `null`.
    pub fn opt_str(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.str(s),
            None => self.raw("null"),
        }
    }

    pub fn int(&mut self, n: i64) -> &mut Self {
        use std::io::Write;
        let _ = write!(self.0, "{n}");
        self
    }

    pub fn bool(&mut self, b: bool) -> &mut Self {
        self.raw(if b { "true" } else { "false" })
    }

    /// A Relay global id, `base64url("<Type>:<id>")`.
    pub fn global_id(&mut self, kind: &str, id: i64) -> &mut Self {
        let plain = format!("{kind}:{id}");
        self.0.push(b'"');
        let start = self.0.len();
        self.0.resize(
            start + base64::encoded_len(plain.len(), false).unwrap_or(0),
            0,
        );
        let n = URL_SAFE_NO_PAD
            .encode_slice(plain.as_bytes(), &mut self.0[start..])
            .expect("sized above");
        self.0.truncate(start + n);
        self.0.push(b'"');
        self
    }

    /// The list cursor of a dataset in id order: `base64url({"o":"i","id":N})`.
    pub fn id_cursor(&mut self, id: i64) -> &mut Self {
        let plain = format!("{{\"o\":\"i\",\"id\":{id}}}");
        self.0.push(b'"');
        let start = self.0.len();
        self.0.resize(
            start + base64::encoded_len(plain.len(), false).unwrap_or(0),
            0,
        );
        let n = URL_SAFE_NO_PAD
            .encode_slice(plain.as_bytes(), &mut self.0[start..])
            .expect("sized above");
        self.0.truncate(start + n);
        self.0.push(b'"');
        self
    }
}

/// Reads an id-order cursor back: the dataset id, or `None` when it is not one.
pub fn decode_id_cursor(c: &str) -> Option<i64> {
    let raw = URL_SAFE_NO_PAD.decode(c.trim()).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    (v.get("o")?.as_str()? == "i").then_some(())?;
    v.get("id")?.as_i64()
}

/// Reads a global id of the given kind.
pub fn decode_global_id(id: &str, kind: &str) -> Option<i64> {
    let raw = URL_SAFE_NO_PAD.decode(id.trim()).ok()?;
    let s = std::str::from_utf8(&raw).ok()?;
    let (k, n) = s.split_once(':')?;
    (k == kind).then_some(())?;
    n.parse().ok()
}
