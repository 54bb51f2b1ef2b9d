//! Canonical base64url and strict JSON: the parsing rules that keep malformed tokens out.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Unpadded base64url that refuses `=` and non-canonical trailing bits (RFC 7515 §2, RFC 4648 §3.5).
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Encode bytes as unpadded base64url.
pub(crate) fn b64_encode(bytes: impl AsRef<[u8]>) -> String {
    B64.encode(bytes)
}

/// Decode canonical unpadded base64url; `None` for anything else.
pub(crate) fn b64_decode(text: &[u8]) -> Option<Vec<u8>> {
    B64.decode(text).ok()
}

/// Decode canonical base64url into a fixed-size buffer; `None` if the text is not exactly `N` bytes.
pub(crate) fn b64_decode_exact<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    match B64.decode_slice(text, &mut out) {
        Ok(n) if n == N && text.len() == base64::encoded_len(N, false)? => Some(out),
        _ => None,
    }
}

/// Lowercase hex, for digests kept as text.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Why strict JSON parsing failed.
#[derive(Debug)]
pub(crate) struct JsonRejected;

/// Parse a JSON object strictly: UTF-8, no duplicate member names at any depth, nesting at most
/// `max_depth`, nothing after the object. serde_json alone silently keeps the last duplicate, which lets
/// two parsers disagree about one token.
pub(crate) fn parse_strict_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonRejected> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue { depth_left: max_depth }.deserialize(&mut de).map_err(|_| JsonRejected)?;
    de.end().map_err(|_| JsonRejected)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(JsonRejected),
    }
}

/// A `DeserializeSeed` building a `serde_json::Value` that refuses duplicate keys and deep nesting.
struct StrictValue {
    depth_left: usize,
}

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl StrictValue {
    fn nested<E: de::Error>(&self) -> Result<StrictValue, E> {
        match self.depth_left.checked_sub(1) {
            Some(depth_left) => Ok(StrictValue { depth_left }),
            None => Err(E::custom("JSON nested too deeply")),
        }
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("non-finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.nested()?)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(self.nested()?)?;
            if map.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate member name"));
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_canonical() {
        assert_eq!(b64_decode(b"aGk"), Some(b"hi".to_vec()));
        assert_eq!(b64_decode(b"aGk="), None, "padding refused");
        assert_eq!(b64_decode(b"aGl"), None, "non-canonical trailing bits refused");
        assert_eq!(b64_decode(b"aG+k"), None, "standard alphabet refused");
        assert_eq!(b64_decode(b"aG k"), None);
        assert_eq!(b64_decode_exact::<2>(b"aGk"), Some(*b"hi"));
        assert_eq!(b64_decode_exact::<3>(b"aGk"), None);
    }

    #[test]
    fn strict_json() {
        assert!(parse_strict_object(br#"{"a":1,"b":{"c":[1,2]}}"#, 4).is_ok());
        assert!(parse_strict_object(br#"{"a":1,"a":2}"#, 4).is_err());
        assert!(parse_strict_object(br#"{"a":{"b":1,"b":2}}"#, 4).is_err());
        assert!(parse_strict_object(br#"[1]"#, 4).is_err());
        assert!(parse_strict_object(br#"{"a":1} x"#, 4).is_err());
        assert!(parse_strict_object(br#"{"a":[[[[1]]]]}"#, 4).is_err());
        assert!(parse_strict_object(br#"{"a":[[[1]]]}"#, 4).is_ok());
        assert!(parse_strict_object(b"{\"a\":\"\xff\"}", 4).is_err());
        assert_eq!(hex(&[0, 255, 16]), "00ff10");
    }
}
