//! The stored form of a key ring, shared by the SQL and Redis stores.

use crate::encoding::{b64_decode, b64_encode};
use crate::error::{Error, Result};
use crate::keyring::StoredKey;
use serde_json::{Value, json};

/// The key ring as stored: a JSON array, `private_der` in unpadded base64url.
///
/// Every store keeps the ring in this one encoding, so a ring can move between stores.
pub(super) fn encode_keys(keys: &[StoredKey]) -> Result<String> {
    let list: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "kid": k.kid,
                "algorithm": k.algorithm,
                "private_der": b64_encode(&k.private_der),
                "activates_at": k.activates_at,
                "retires_at": k.retires_at,
                "revoked": k.revoked,
            })
        })
        .collect();
    serde_json::to_string(&list).map_err(|e| Error::store("encoding the key ring", e))
}

pub(super) fn decode_keys(text: &str) -> Result<Vec<StoredKey>> {
    let corrupt = |what: String| Error::StoreUnavailable(format!("the stored key ring is corrupt: {what}"));
    let list: Vec<Value> = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let field = |name: &str| corrupt(format!("key {i}: field `{name}` is missing or has the wrong type"));
            let text =
                |name: &str| entry.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| field(name));
            let time = |name: &str| entry.get(name).and_then(Value::as_i64).ok_or_else(|| field(name));
            Ok(StoredKey {
                kid: text("kid")?,
                algorithm: text("algorithm")?,
                private_der: b64_decode(text("private_der")?.as_bytes()).ok_or_else(|| field("private_der"))?,
                activates_at: time("activates_at")?,
                retires_at: match entry.get("retires_at") {
                    Some(Value::Null) => None,
                    Some(_) => Some(time("retires_at")?),
                    None => return Err(field("retires_at")),
                },
                revoked: entry.get("revoked").and_then(Value::as_bool).ok_or_else(|| field("revoked"))?,
            })
        })
        .collect()
}
