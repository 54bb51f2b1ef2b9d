//! Getting tokens to and from browsers and API clients, framework-agnostic.
//!
//! Everything here takes and returns plain strings so that the thin Python (FastAPI/Django) and Node
//! (Express) bindings only move header values around:
//!
//! - [`CookieConfig`] builds the `Set-Cookie` values of a session (access, front and refresh cookies) and
//!   the values that clear them;
//! - [`cookie_value`], [`bearer_token`] and [`CookieConfig::access_token_from`] read tokens from `Cookie:`
//!   and `Authorization:` headers;
//! - [`CsrfProtection`] checks state-changing cookie-mode requests;
//! - [`FrontToken`] is the small non-secret value browser JavaScript may read (user id, expiry, CSRF token
//!   and an allowlist of claims).
//!
//! A typical cookie-mode request: read the token with [`CookieConfig::access_token_from`], verify it, and
//! if it came from [`TokenSource::Cookie`] run [`CsrfProtection::check_csrf`] with the verified token's
//! `jti` as the expected value.

use crate::encoding::{b64_decode, b64_encode, parse_strict_object};
use crate::error::{Error, Result, UnauthorisedReason};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use subtle::ConstantTimeEq;

/// Browsers silently drop a cookie whose `Set-Cookie` value is larger than this (RFC 6265 §6.1 minimum).
pub const MAX_SET_COOKIE_BYTES: usize = 4096;

/// The `Expires` value of a clearing cookie, for the rare clients that ignore `Max-Age`.
const EPOCH_HTTP_DATE: &str = "Thu, 01 Jan 1970 00:00:00 GMT";
const HOST_PREFIX: &str = "__Host-";
const SECURE_PREFIX: &str = "__Secure-";
/// Deepest JSON nesting accepted in a front token (same bound as access-token claims).
const FRONT_MAX_DEPTH: usize = 16;

/// The `SameSite` attribute of the session cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// Never sent on cross-site requests, not even top-level navigations.
    Strict,
    /// Sent on top-level cross-site navigations (GET) but not on cross-site subrequests or form POSTs.
    #[default]
    Lax,
    /// Sent on every cross-site request; browsers require `Secure` with it.
    None,
}

impl fmt::Display for SameSite {
    /// The attribute value: `Strict`, `Lax` or `None`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Strict => "Strict",
            Self::Lax => "Lax",
            Self::None => "None",
        })
    }
}

/// Names and attributes of the three session cookies.
///
/// - the **access cookie** holds the access token (`HttpOnly`);
/// - the **front cookie** holds the [`FrontToken`], readable by the page's JavaScript (not `HttpOnly`);
/// - the **refresh cookie** holds the refresh token (`HttpOnly`), scoped to [`refresh_path`](Self::refresh_path)
///   so that it only travels with refresh requests.
///
/// Call [`validate`](Self::validate) once at start-up; [`session_cookies`](Self::session_cookies) validates
/// again on every call, [`clear_cookies`](Self::clear_cookies) cannot report errors and relies on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieConfig {
    /// Name of the access cookie, before any prefix (default `sw_access`).
    pub access_name: String,
    /// Name of the refresh cookie, before any prefix (default `sw_refresh`).
    pub refresh_name: String,
    /// Name of the front cookie, before any prefix (default `sw_front`).
    pub front_name: String,
    /// `Domain` attribute; `None` (the default) makes host-only cookies, which sibling subdomains cannot see.
    pub domain: Option<String>,
    /// Whether to add `Secure` (default `true`). Turn off only for local development over plain HTTP.
    pub secure: bool,
    /// `SameSite` of all three cookies (default [`SameSite::Lax`]).
    pub same_site: SameSite,
    /// `Path` of the access and front cookies (default `/`).
    pub access_path: String,
    /// `Path` of the refresh cookie (default `/auth/refresh`): the route that calls refresh.
    pub refresh_path: String,
    /// Add the `__Host-` prefix to the access and front cookie names and `__Secure-` to the refresh cookie
    /// name (default `false`). Browsers then refuse such cookies unless they are `Secure` (and, for
    /// `__Host-`, have `Path=/` and no `Domain`), so a sibling subdomain or a plain-HTTP page cannot plant
    /// or overwrite them. Requires `secure`, no `domain` and `access_path == "/"`.
    pub host_prefix: bool,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            access_name: "sw_access".into(),
            refresh_name: "sw_refresh".into(),
            front_name: "sw_front".into(),
            domain: None,
            secure: true,
            same_site: SameSite::Lax,
            access_path: "/".into(),
            refresh_path: "/auth/refresh".into(),
            host_prefix: false,
        }
    }
}

/// Where [`CookieConfig::access_token_from`] found the access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// From the access cookie: the browser sends it automatically, so state-changing requests need a CSRF
    /// check.
    Cookie,
    /// From `Authorization: Bearer`: never sent automatically by browsers, so no CSRF check is needed.
    Header,
}

impl CookieConfig {
    /// Refuse a configuration that would produce cookies browsers drop or misread, with
    /// [`Error::Config`]:
    ///
    /// - `SameSite=None` without `Secure`;
    /// - `host_prefix` with a `domain`, without `secure`, or with `access_path` other than `/`;
    /// - a cookie name that is empty, is not an RFC 6265 token (no separators such as `=`, `;`, `,`,
    ///   spaces or control characters), already starts with `__Host-` / `__Secure-` (use `host_prefix`
    ///   instead), or equals another of the three names;
    /// - a path that is empty, does not start with `/`, or contains `;`, whitespace or control characters;
    /// - a domain that is empty or contains `;`, whitespace or control characters.
    pub fn validate(&self) -> Result<()> {
        if self.same_site == SameSite::None && !self.secure {
            return Err(Error::Config("SameSite=None cookies must be Secure: set secure = true".into()));
        }
        if self.host_prefix {
            if self.domain.is_some() {
                return Err(Error::Config(
                    "host_prefix (__Host-) cookies cannot have a Domain: set domain = None".into(),
                ));
            }
            if !self.secure {
                return Err(Error::Config("host_prefix (__Host-) cookies must be Secure: set secure = true".into()));
            }
            if self.access_path != "/" {
                return Err(Error::Config(
                    "host_prefix (__Host-) cookies must have Path=/: set access_path = \"/\"".into(),
                ));
            }
        }
        let names = [
            ("access_name", &self.access_name),
            ("front_name", &self.front_name),
            ("refresh_name", &self.refresh_name),
        ];
        for (field, name) in names {
            if !is_token(name) {
                return Err(Error::Config(format!(
                    "{field} `{}` is not a valid cookie name: use only letters, digits and -_.!#$%&'*+^`|~",
                    name.escape_default()
                )));
            }
            // A prefix in the name itself would be doubled by `host_prefix` or silently lack its
            // guarantees; one switch keeps names and attributes consistent.
            let lower = name.to_ascii_lowercase();
            if lower.starts_with(&HOST_PREFIX.to_ascii_lowercase())
                || lower.starts_with(&SECURE_PREFIX.to_ascii_lowercase())
            {
                return Err(Error::Config(format!(
                    "{field} `{name}` starts with a cookie prefix: give the bare name and set host_prefix = true"
                )));
            }
        }
        if self.access_name == self.front_name
            || self.access_name == self.refresh_name
            || self.front_name == self.refresh_name
        {
            return Err(Error::Config("access_name, front_name and refresh_name must all differ".into()));
        }
        for (field, path) in [("access_path", &self.access_path), ("refresh_path", &self.refresh_path)] {
            if !path.starts_with('/') || !is_attribute_safe(path) {
                return Err(Error::Config(format!(
                    "{field} `{}` must start with `/` and contain no `;`, whitespace or control characters",
                    path.escape_default()
                )));
            }
        }
        if let Some(domain) = &self.domain
            && (domain.is_empty() || !is_attribute_safe(domain))
        {
            return Err(Error::Config(format!(
                "domain `{}` must be non-empty and contain no `;`, whitespace or control characters",
                domain.escape_default()
            )));
        }
        Ok(())
    }

    /// The effective name of the access cookie (`__Host-` + `access_name` with `host_prefix`).
    pub fn access_cookie_name(&self) -> String {
        self.prefixed(&self.access_name, HOST_PREFIX)
    }

    /// The effective name of the front cookie (`__Host-` + `front_name` with `host_prefix`).
    pub fn front_cookie_name(&self) -> String {
        self.prefixed(&self.front_name, HOST_PREFIX)
    }

    /// The effective name of the refresh cookie (`__Secure-` + `refresh_name` with `host_prefix`: its path
    /// is not `/`, which `__Host-` would require).
    pub fn refresh_cookie_name(&self) -> String {
        self.prefixed(&self.refresh_name, SECURE_PREFIX)
    }

    fn prefixed(&self, name: &str, prefix: &str) -> String {
        if self.host_prefix { format!("{prefix}{name}") } else { name.to_owned() }
    }

    /// The `Set-Cookie` header values that store a session in the browser, one string per header.
    ///
    /// - access cookie: `HttpOnly`, `Path=access_path`, `Max-Age=cookie_lifetime`. The cookie outlives the
    ///   token on purpose: an expired token still reaches the server, which answers "try refresh"
    ///   ([`Error::TryRefresh`]) instead of "signed out";
    /// - front cookie: the same attributes but **not** `HttpOnly`, so the page's JavaScript can read it;
    /// - refresh cookie, when `refresh` is `Some((token, expires_at))`: `HttpOnly`, `Path=refresh_path`,
    ///   `Max-Age = expires_at - now` (at least 0). Leave it out when only the access token changed.
    ///
    /// All carry `Secure` (if configured), `SameSite` and `Domain` (if set).
    ///
    /// Fails with [`Error::Config`] if the configuration does not [`validate`](Self::validate), and with
    /// [`Error::InvalidArgument`] if a value is empty or contains a byte that is not a cookie-octet
    /// (RFC 6265 §4.1.1), if `cookie_lifetime` is negative, or if a `Set-Cookie` value would exceed
    /// [`MAX_SET_COOKIE_BYTES`] (browsers drop such cookies silently; keep custom claims small).
    pub fn session_cookies(
        &self,
        access_token: &str,
        front_token: &str,
        refresh: Option<(&str, i64)>,
        now: i64,
        cookie_lifetime: i64,
    ) -> Result<Vec<String>> {
        self.validate()?;
        if cookie_lifetime < 0 {
            return Err(Error::InvalidArgument(format!(
                "cookie_lifetime must not be negative (got {cookie_lifetime})"
            )));
        }
        let mut cookies = Vec::with_capacity(3);
        let access = self.access_cookie_name();
        cookies.push(self.build(
            &access,
            access_token,
            &self.access_path,
            &cookie_lifetime.to_string(),
            true,
            false,
        )?);
        let front = self.front_cookie_name();
        cookies.push(self.build(&front, front_token, &self.access_path, &cookie_lifetime.to_string(), false, false)?);
        if let Some((token, expires_at)) = refresh {
            let max_age = expires_at.saturating_sub(now).max(0);
            let name = self.refresh_cookie_name();
            cookies.push(self.build(&name, token, &self.refresh_path, &max_age.to_string(), true, false)?);
        }
        Ok(cookies)
    }

    /// The `Set-Cookie` header values that delete the three session cookies (sign-out, or a refresh that
    /// failed): empty values, `Max-Age=0` and `Expires=Thu, 01 Jan 1970 00:00:00 GMT`, with the same
    /// `Path`, `Domain`, `Secure` and `SameSite` as when they were set.
    ///
    /// A browser only deletes a cookie whose name, domain and path all match. After changing `domain`,
    /// the paths or the names, cookies set under the old configuration stay until they expire and are sent
    /// alongside the new ones (see [`cookie_value`]); to remove them, also send the `clear_cookies()` of a
    /// copy of the old configuration.
    pub fn clear_cookies(&self) -> Vec<String> {
        let (access, front, refresh) =
            (self.access_cookie_name(), self.front_cookie_name(), self.refresh_cookie_name());
        [(access, &self.access_path, true), (front, &self.access_path, false), (refresh, &self.refresh_path, true)]
            .into_iter()
            // An empty value is always a valid cookie value and the size is bounded by the (validated)
            // configuration, so building cannot fail here.
            .filter_map(|(name, path, http_only)| self.build(&name, "", path, "0", http_only, true).ok())
            .collect()
    }

    /// One `Set-Cookie` value. `value` must be cookie-safe; `clearing` adds `Expires` at the epoch.
    fn build(
        &self,
        name: &str,
        value: &str,
        path: &str,
        max_age: &str,
        http_only: bool,
        clearing: bool,
    ) -> Result<String> {
        if !clearing && value.is_empty() {
            return Err(Error::InvalidArgument(format!("the value of cookie `{name}` is empty")));
        }
        if let Some(pos) = value.bytes().position(|b| !is_cookie_octet(b)) {
            // The value itself is a token: never echo it.
            return Err(Error::InvalidArgument(format!(
                "the value of cookie `{name}` contains a byte not allowed in a cookie (at offset {pos})"
            )));
        }
        let mut out = format!("{name}={value}; Max-Age={max_age}");
        if clearing {
            out.push_str("; Expires=");
            out.push_str(EPOCH_HTTP_DATE);
        }
        out.push_str("; Path=");
        out.push_str(path);
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if http_only {
            out.push_str("; HttpOnly");
        }
        out.push_str("; SameSite=");
        out.push_str(&self.same_site.to_string());
        if out.len() > MAX_SET_COOKIE_BYTES {
            return Err(Error::InvalidArgument(format!(
                "cookie `{name}` would be {} bytes, over the {MAX_SET_COOKIE_BYTES}-byte limit browsers enforce \
                 silently: keep custom and front-token claims small",
                out.len()
            )));
        }
        Ok(out)
    }

    /// The access token of a request and where it came from, given the raw `Cookie:` and `Authorization:`
    /// header values.
    ///
    /// A well-formed `Authorization: Bearer` header wins ([`TokenSource::Header`]); otherwise the access
    /// cookie is used if present and non-empty ([`TokenSource::Cookie`]). An `Authorization` header with
    /// another scheme (e.g. `Basic` from a proxy) or a malformed one is ignored; falling back to the cookie
    /// is safe because cookie-mode requests get the CSRF check. `None` when there is no token at all
    /// (answer with [`UnauthorisedReason::Missing`]).
    pub fn access_token_from<'a>(
        &self,
        cookie_header: Option<&'a str>,
        authorization: Option<&'a str>,
    ) -> Option<(&'a str, TokenSource)> {
        if let Some(token) = authorization.and_then(bearer_token) {
            return Some((token, TokenSource::Header));
        }
        let name = self.access_cookie_name();
        cookie_header.and_then(|h| cookie_value(h, &name)).filter(|v| !v.is_empty()).map(|v| (v, TokenSource::Cookie))
    }
}

/// The value of cookie `name` in a `Cookie:` request header (`a=b; c=d`), or `None`.
///
/// Pairs are split on `;` and trimmed of spaces and tabs; names match exactly (case-sensitive, so
/// `xsw_access` is not `sw_access`); pairs without `=` are skipped. The value is returned as sent
/// (possibly empty, quotes not removed).
///
/// If the same name appears more than once, the **first** is returned. Browsers send cookies with longer
/// (more specific) paths first, so a stale cookie under a shorter path loses. But among cookies with the
/// same path, the *oldest* comes first: a stale cookie left under an old `Domain` is sent before the new
/// host-only one, and a server that keeps reading it refreshes forever. Use [`cookie_values`] to detect
/// duplicates and clear the old configuration's cookies (see [`CookieConfig::clear_cookies`]).
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_pairs(cookie_header).find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// Every value of cookie `name` in a `Cookie:` request header, in the order sent; more than one means a
/// stale cookie from another `Domain` or `Path` (see [`cookie_value`]).
pub fn cookie_values<'a>(cookie_header: &'a str, name: &str) -> Vec<&'a str> {
    cookie_pairs(cookie_header).filter(|(n, _)| *n == name).map(|(_, v)| v).collect()
}

fn cookie_pairs(header: &str) -> impl Iterator<Item = (&str, &str)> {
    header.split(';').filter_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        Some((name.trim_matches([' ', '\t']), value.trim_matches([' ', '\t'])))
    })
}

/// The token of an `Authorization: Bearer <token>` header value, or `None`.
///
/// The scheme is case-insensitive (`bearer x` is accepted); it must be followed by exactly one space and
/// one non-empty token in the RFC 6750 `b64token` alphabet (letters, digits, `-._~+/`, trailing `=`).
/// `Bearer`, `Bearer  x` (two spaces), `Bearer a b` and other schemes such as `Basic x` give `None`.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") || !is_b64token(token) {
        return None;
    }
    Some(token)
}

/// How cookie-mode requests are protected against cross-site request forgery.
///
/// Only requests whose token came from a cookie ([`TokenSource::Cookie`]) need the check: the caller skips
/// it for [`TokenSource::Header`], since browsers never attach an `Authorization` header on their own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsrfProtection {
    /// No check. Only for applications protected otherwise (e.g. `SameSite=Strict` and no state-changing
    /// GET routes).
    None,
    /// State-changing requests must carry the header, with any non-empty value. A cross-site form cannot
    /// set custom headers, and a cross-site `fetch` that does triggers a CORS preflight the server refuses.
    CustomHeader {
        /// The header name, e.g. `x-requested-with`.
        header: String,
    },
    /// State-changing requests must carry the header with the CSRF token of the [`FrontToken`]: the `jti`
    /// of the access token, which only same-origin JavaScript can read. Since the expected value comes from
    /// the verified (signed) access token, a planted front cookie does not help an attacker.
    DoubleSubmit {
        /// The header name, e.g. `x-csrf-token`.
        header: String,
    },
}

impl Default for CsrfProtection {
    /// `DoubleSubmit { header: "x-csrf-token" }`.
    fn default() -> Self {
        Self::DoubleSubmit { header: "x-csrf-token".into() }
    }
}

impl CsrfProtection {
    /// The header the binding must read and pass to [`check_csrf`](Self::check_csrf); `None` for
    /// [`CsrfProtection::None`].
    pub fn header_name(&self) -> Option<&str> {
        match self {
            Self::None => None,
            Self::CustomHeader { header } | Self::DoubleSubmit { header } => Some(header),
        }
    }

    /// Check a cookie-mode request. `header_value` is the value of [`header_name`](Self::header_name) in
    /// the request; `expected_token` is the verified access token's `jti` (used by `DoubleSubmit` only).
    ///
    /// Safe methods (see [`is_state_changing`]) always pass, as does [`CsrfProtection::None`]. Otherwise it
    /// fails with [`Error::Unauthorised`] (code `unauthorised`, HTTP 401, reason [`UnauthorisedReason::Csrf`])
    /// when the header is absent or empty, when (`DoubleSubmit`) there is no expected token, or when the
    /// header differs from the expected token (compared in constant time).
    pub fn check_csrf(&self, method: &str, header_value: Option<&str>, expected_token: Option<&str>) -> Result<()> {
        if !is_state_changing(method) {
            return Ok(());
        }
        let presented = header_value.filter(|v| !v.trim().is_empty());
        match self {
            Self::None => Ok(()),
            Self::CustomHeader { .. } => presented.map(|_| ()).ok_or(Error::unauthorised(UnauthorisedReason::Csrf)),
            Self::DoubleSubmit { .. } => {
                let presented = presented.ok_or(Error::unauthorised(UnauthorisedReason::Csrf))?;
                // An empty expected token would match an empty header: treat it as absent.
                let expected =
                    expected_token.filter(|t| !t.is_empty()).ok_or(Error::unauthorised(UnauthorisedReason::Csrf))?;
                if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
                    Ok(())
                } else {
                    Err(Error::unauthorised(UnauthorisedReason::Csrf))
                }
            }
        }
    }
}

/// Whether an HTTP method may change state and so needs a CSRF check: every method but `GET`, `HEAD`,
/// `OPTIONS` and `TRACE` (case-insensitive). Unknown or empty methods count as state-changing.
pub fn is_state_changing(method: &str) -> bool {
    !["GET", "HEAD", "OPTIONS", "TRACE"].iter().any(|safe| method.eq_ignore_ascii_case(safe))
}

/// The non-secret value stored in the front cookie for the page's JavaScript: who is signed in, when the
/// access token expires (to refresh ahead of time), the CSRF token to echo in a header, and an allowlist
/// of claims (see [`public_claims`]).
///
/// Wire form: unpadded base64url of compact JSON `{"uid":..,"exp":..,"csrf":..,"claims":{..}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct FrontToken {
    /// The user id (`sub`).
    pub user_id: String,
    /// When the access token expires, in seconds since the epoch.
    pub access_expires_at: i64,
    /// The CSRF token: the access token's `jti`.
    pub csrf: String,
    /// Claims the page may see; build with [`public_claims`], never from the whole payload.
    pub claims: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontWire {
    uid: String,
    exp: i64,
    csrf: String,
    claims: Map<String, Value>,
}

impl FrontToken {
    /// The wire form: unpadded base64url of compact JSON, cookie-safe.
    pub fn encode(&self) -> String {
        // A struct, not a map, so that the member order is fixed whatever serde_json's features.
        let wire = FrontWire {
            uid: self.user_id.clone(),
            exp: self.access_expires_at,
            csrf: self.csrf.clone(),
            claims: self.claims.clone(),
        };
        // Serialising strings, an integer and a map of JSON values cannot fail.
        b64_encode(serde_json::to_vec(&wire).unwrap_or_default())
    }

    /// Parse the wire form strictly (for tests and server-side tools; the server never trusts it):
    /// canonical base64url, JSON without duplicate members, exactly the four members with the right types,
    /// at most [`MAX_SET_COOKIE_BYTES`] long. Anything else fails with [`Error::InvalidArgument`].
    pub fn decode(text: &str) -> Result<FrontToken> {
        let invalid = || Error::InvalidArgument("not a well-formed front token".into());
        if text.len() > MAX_SET_COOKIE_BYTES {
            return Err(invalid());
        }
        let json = b64_decode(text.as_bytes()).ok_or_else(invalid)?;
        let object = parse_strict_object(&json, FRONT_MAX_DEPTH).map_err(|_| invalid())?;
        let wire: FrontWire = serde_json::from_value(Value::Object(object)).map_err(|_| invalid())?;
        Ok(FrontToken { user_id: wire.uid, access_expires_at: wire.exp, csrf: wire.csrf, claims: wire.claims })
    }
}

/// The claims of `all` whose names are in `allowlist`, for [`FrontToken::claims`]. The front token is
/// readable by any script on the page, so it must never carry the whole payload; names in the allowlist
/// that `all` lacks are ignored.
pub fn public_claims(all: &Map<String, Value>, allowlist: &[String]) -> Map<String, Value> {
    all.iter().filter(|(name, _)| allowlist.contains(name)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// RFC 6265 `cookie-octet`: visible US-ASCII except `"`, `,`, `;` and `\`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// RFC 2616 `token` (the RFC 6265 cookie-name): non-empty, visible US-ASCII except separators.
fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (0x21..=0x7E).contains(&b) && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// Safe inside a `Path` or `Domain` attribute: non-empty, no `;`, whitespace or control characters (which
/// would end the attribute or inject another).
fn is_attribute_safe(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| (0x21..=0x7E).contains(&b) && b != b';')
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_octets() {
        for b in [b' ', b'"', b',', b';', b'\\', 0x7F, 0x00, b'\t', 0x80] {
            assert!(!is_cookie_octet(b), "{b:#x}");
        }
        for b in [b'a', b'Z', b'0', b'-', b'_', b'.', b'=', b'!', b'~', b'+', b'/'] {
            assert!(is_cookie_octet(b), "{b:#x}");
        }
    }

    #[test]
    fn tokens_and_b64tokens() {
        assert!(is_token("sw_access"));
        assert!(!is_token("sw access") && !is_token("a=b") && !is_token("") && !is_token("a/b") && !is_token("é"));
        assert!(is_b64token("abc.def-_~+/=="));
        assert!(!is_b64token("=") && !is_b64token("a=b") && !is_b64token("a\tb") && !is_b64token(""));
    }

    #[test]
    fn front_wire_order_is_fixed() {
        let front = FrontToken { user_id: "u".into(), access_expires_at: 5, csrf: "c".into(), claims: Map::new() };
        let json = b64_decode(front.encode().as_bytes()).unwrap();
        assert_eq!(json, br#"{"uid":"u","exp":5,"csrf":"c","claims":{}}"#);
    }
}
