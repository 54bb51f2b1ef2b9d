//! Access tokens: compact JWS, minted and verified strictly (RFC 7515, 7519, 8725, 9068).
//!
//! Verification never trusts the header: the key is found by `kid` and the algorithm is the one pinned to
//! that key. The header may hold only `alg`, `typ` and `kid`, so `jwk`, `jku`, `x5u`, `x5c` and `crit` are
//! refused outright and nothing is ever fetched.

use crate::UnixTime;
use crate::encoding::{b64_decode, b64_encode, parse_strict_object};
use crate::error::{Error, Result, UnauthorisedReason};
use crate::keyring::KeyRing;
use crate::keys::SigningKey;
use serde::Serialize;
use serde_json::{Map, Value};

/// The `typ` header of every access token (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Claims sessionward sets itself; the application may not set them.
pub const RESERVED_CLAIMS: [&str; 8] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid"];

/// Header members allowed; any other (`jwk`, `jku`, `x5u`, `x5c`, `crit`, `b64`, `zip`, ...) is refused.
const ALLOWED_HEADER: [&str; 3] = ["alg", "typ", "kid"];

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    /// Expected `iss`, compared exactly.
    pub issuer: String,
    /// Audience this service accepts; `aud` (string or array) must contain it.
    pub audience: String,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway: i64,
    /// Tokens longer than this are refused before any parsing.
    pub max_token_bytes: usize,
    /// Deepest JSON nesting accepted in header or claims.
    pub max_json_depth: usize,
}

impl TokenPolicy {
    /// A policy with the default leeway (30 s), size bound (8 KiB) and depth bound (16).
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self { issuer: issuer.into(), audience: audience.into(), leeway: 30, max_token_bytes: 8192, max_json_depth: 16 }
    }
}

/// The verified claims of an access token. Only ever built from a token whose every check passed.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessClaims {
    /// `iss`.
    pub issuer: String,
    /// `sub`: the user id.
    pub subject: String,
    /// `aud`, as a list.
    pub audience: Vec<String>,
    /// `sid`: the session handle.
    pub session_handle: String,
    /// `jti`: unique token id.
    pub token_id: String,
    /// `iat`.
    pub issued_at: UnixTime,
    /// `exp`.
    pub expires_at: UnixTime,
    /// The application's own claims (everything not reserved).
    pub custom: Map<String, Value>,
    /// The `kid` of the key that signed it.
    pub kid: String,
}

impl AccessClaims {
    /// Fail with [`Error::InvalidClaim`] (HTTP 403) unless custom claim `name` satisfies `check`.
    pub fn require(&self, name: &str, expectation: &str, check: impl FnOnce(&Value) -> bool) -> Result<()> {
        match self.custom.get(name) {
            Some(value) if check(value) => Ok(()),
            Some(_) => Err(Error::InvalidClaim { claim: name.into(), message: format!("expected {expectation}") }),
            None => {
                Err(Error::InvalidClaim { claim: name.into(), message: format!("missing; expected {expectation}") })
            }
        }
    }

    /// Fail with [`Error::InvalidClaim`] unless claim `name` equals `expected`.
    pub fn require_eq(&self, name: &str, expected: &Value) -> Result<()> {
        self.require(name, &expected.to_string(), |v| v == expected)
    }

    /// Fail with [`Error::InvalidClaim`] unless claim `name` is an array (or space-separated string, like
    /// OAuth `scope`) containing `item`.
    pub fn require_contains(&self, name: &str, item: &str) -> Result<()> {
        self.require(name, &format!("a list containing {item:?}"), |v| match v {
            Value::Array(items) => items.iter().any(|i| i.as_str() == Some(item)),
            Value::String(s) => s.split(' ').any(|i| i == item),
            _ => false,
        })
    }
}

/// Refuse application claims that would overwrite a reserved one.
pub fn check_custom_claims(custom: &Map<String, Value>) -> Result<()> {
    match custom.keys().find(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
        Some(name) => Err(Error::InvalidArgument(format!(
            "claim `{name}` is reserved and set by sessionward; rename your claim (reserved: {})",
            RESERVED_CLAIMS.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The registered claims of a new token.
#[derive(Serialize)]
pub(crate) struct NewClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: &'a str,
    pub sid: &'a str,
    pub jti: &'a str,
    pub iat: UnixTime,
    pub exp: UnixTime,
    #[serde(flatten)]
    pub custom: &'a Map<String, Value>,
}

/// Sign claims with `key` into a compact JWS. `custom` must already have passed [`check_custom_claims`].
pub(crate) fn sign(key: &SigningKey, claims: &NewClaims<'_>) -> Result<String> {
    let payload =
        serde_json::to_vec(claims).map_err(|e| Error::InvalidArgument(format!("claims do not serialise: {e}")))?;
    let mut token = String::with_capacity(key.header_b64().len() + payload.len() * 4 / 3 + 400);
    token.push_str(key.header_b64());
    token.push('.');
    token.push_str(&b64_encode(&payload));
    let signature = key.sign(token.as_bytes())?;
    token.push('.');
    token.push_str(&b64_encode(signature));
    Ok(token)
}

fn malformed() -> Error {
    Error::unauthorised(UnauthorisedReason::Malformed)
}

fn bad_claims() -> Error {
    Error::unauthorised(UnauthorisedReason::Claims)
}

/// A NumericDate: a JSON number (never a string), within range, truncated to whole seconds.
fn numeric_date(value: Option<&Value>) -> Result<Option<UnixTime>> {
    let Some(value) = value else { return Ok(None) };
    let Value::Number(n) = value else { return Err(bad_claims()) };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        // Exactly representable range; beyond it the value would silently round.
        Some(f) if f.is_finite() && f.abs() < 9_007_199_254_740_992.0 && n.as_u64().is_none() => {
            Ok(Some(f.floor() as i64))
        }
        _ => Err(bad_claims()),
    }
}

fn take_string(claims: &mut Map<String, Value>, name: &str) -> Result<String> {
    match claims.remove(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(bad_claims()),
    }
}

/// Verify a compact JWS access token at `now`. Offline: only the key ring is consulted.
///
/// An expired token (or one whose key was revoked) gives [`Error::TryRefresh`]; any other failure gives
/// [`Error::Unauthorised`]. No claims are returned from a token that failed a check.
pub fn verify(token: &str, keys: &KeyRing, policy: &TokenPolicy, now: UnixTime) -> Result<AccessClaims> {
    verify_inner(token, keys, policy, now, false)
}

/// [`verify`], optionally accepting a token past its `exp` (sign-out with a stale but genuine token).
pub(crate) fn verify_inner(
    token: &str,
    keys: &KeyRing,
    policy: &TokenPolicy,
    now: UnixTime,
    accept_expired: bool,
) -> Result<AccessClaims> {
    if token.len() > policy.max_token_bytes {
        return Err(malformed());
    }
    let bytes = token.as_bytes();
    let mut dots = bytes.iter().enumerate().filter(|(_, b)| **b == b'.').map(|(i, _)| i);
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(malformed());
    };
    let (header_b64, payload_b64, signature_b64) = (&bytes[..first], &bytes[first + 1..second], &bytes[second + 1..]);

    let header_json = b64_decode(header_b64).ok_or_else(malformed)?;
    let header = parse_strict_object(&header_json, 2).map_err(|_| malformed())?;
    // Covers jwk/jku/x5u/x5c (embedded or fetched keys) and crit (no extension is implemented).
    if header.keys().any(|k| !ALLOWED_HEADER.contains(&k.as_str())) {
        return Err(Error::unauthorised(UnauthorisedReason::Header));
    }
    let kid =
        header.get("kid").and_then(Value::as_str).ok_or_else(|| Error::unauthorised(UnauthorisedReason::UnknownKey))?;
    let entry = keys.entry(kid)?;
    let key = &entry.key;
    // The algorithm comes from the key; the header must merely agree, byte for byte.
    if header.get("alg").and_then(Value::as_str) != Some(key.algorithm().as_str()) {
        return Err(Error::unauthorised(UnauthorisedReason::Algorithm));
    }
    match header.get("typ").and_then(Value::as_str) {
        Some(typ) if typ.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || typ.eq_ignore_ascii_case("application/at+jwt") => {}
        _ => return Err(Error::unauthorised(UnauthorisedReason::Header)),
    }
    let signature = b64_decode(signature_b64).ok_or_else(malformed)?;
    if !key.verify(&bytes[..second], &signature) {
        return Err(Error::unauthorised(UnauthorisedReason::Signature));
    }
    // Only a genuine token of a revoked key is told to refresh; a forgery naming it fails above.
    if entry.revoked {
        return Err(Error::TryRefresh);
    }

    let payload = b64_decode(payload_b64).ok_or_else(malformed)?;
    let mut claims = parse_strict_object(&payload, policy.max_json_depth).map_err(|_| malformed())?;

    let exp = numeric_date(claims.get("exp"))?.ok_or_else(bad_claims)?;
    let iat = numeric_date(claims.get("iat"))?.ok_or_else(bad_claims)?;
    let nbf = numeric_date(claims.get("nbf"))?;
    if iat > now.saturating_add(policy.leeway) || nbf.is_some_and(|nbf| now < nbf.saturating_sub(policy.leeway)) {
        return Err(bad_claims());
    }
    let issuer = take_string(&mut claims, "iss")?;
    if issuer != policy.issuer {
        return Err(bad_claims());
    }
    let audience = match claims.remove("aud") {
        Some(Value::String(aud)) => vec![aud],
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(bad_claims()),
            })
            .collect::<Result<Vec<_>>>()?,
        _ => return Err(bad_claims()),
    };
    if !audience.contains(&policy.audience) {
        return Err(bad_claims());
    }
    let subject = take_string(&mut claims, "sub")?;
    let session_handle = take_string(&mut claims, "sid")?;
    let token_id = take_string(&mut claims, "jti")?;
    // Expiry is judged last, so "try refresh" is only ever said of an otherwise valid token.
    if !accept_expired && now >= exp.saturating_add(policy.leeway) {
        return Err(Error::TryRefresh);
    }
    for name in ["exp", "iat", "nbf"] {
        claims.remove(name);
    }
    Ok(AccessClaims {
        issuer,
        subject,
        audience,
        session_handle,
        token_id,
        issued_at: iat,
        expires_at: exp,
        custom: claims,
        kid: kid.to_owned(),
    })
}
