//! The HTTP glue (`HttpSessions`): token sources per transport mode, CSRF checks, refresh, sign-out and the
//! cookies a response sets, through the public API only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sessionward::transport::{CsrfProtection, FrontToken, cookie_value};
use sessionward::{
    Config, Error, HttpSessions, IssuedTokens, MemoryStore, NewSession, RequestHeaders, SessionManager, TransportMode,
    UnauthorisedReason,
};
use std::collections::BTreeMap;

const NOW: i64 = 1_700_000_000;
/// Past the access token's lifetime (900 s) and leeway (30 s), well within the idle timeout.
const EXPIRED: i64 = NOW + 10_000;

fn manager() -> SessionManager {
    SessionManager::new(Config::new("https://auth.test", "api"), MemoryStore::new()).expect("manager")
}

fn sign_in(m: &SessionManager, user: &str) -> IssuedTokens {
    m.create_session(NewSession::for_user(user), NOW).expect("create_session")
}

fn http(mode: TransportMode) -> HttpSessions {
    HttpSessions { mode, ..HttpSessions::default() }
}

fn http_csrf(csrf: CsrfProtection) -> HttpSessions {
    HttpSessions { csrf, ..HttpSessions::default() }
}

fn reason(err: Error) -> UnauthorisedReason {
    assert_eq!(err.code(), "unauthorised", "{err:?}");
    match err {
        Error::Unauthorised { reason } => reason,
        other => panic!("expected unauthorised, got {other:?}"),
    }
}

fn alive(m: &SessionManager, issued: &IssuedTokens, now: i64) -> bool {
    m.get_session(&issued.session.handle, now).expect("get_session").is_some()
}

/// A parsed `Set-Cookie` value: name, value and attributes (lower-cased names, `None` for flags).
#[derive(Debug)]
struct SetCookie {
    name: String,
    value: String,
    attrs: BTreeMap<String, Option<String>>,
}

impl SetCookie {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(|v| v.as_deref())
    }
    fn flag(&self, name: &str) -> bool {
        matches!(self.attrs.get(name), Some(None))
    }
    fn max_age(&self) -> i64 {
        self.attr("max-age").expect("Max-Age").parse().expect("numeric Max-Age")
    }
}

fn parse(set_cookie: &str) -> SetCookie {
    let mut parts = set_cookie.split("; ");
    let (name, value) = parts.next().unwrap().split_once('=').expect("name=value");
    let mut attrs = BTreeMap::new();
    for part in parts {
        let (k, v) = match part.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (part, None),
        };
        assert!(attrs.insert(k.to_ascii_lowercase(), v).is_none(), "duplicate attribute {k} in {set_cookie}");
    }
    SetCookie { name: name.into(), value: value.into(), attrs }
}

/// The `Cookie:` request header a browser would send back for these `Set-Cookie` values.
fn jar(set_cookies: &[String]) -> String {
    set_cookies
        .iter()
        .map(|c| {
            let c = parse(c);
            format!("{}={}", c.name, c.value)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The cookie jar of a fresh sign-in (access, front and refresh cookies).
fn session_jar(issued: &IssuedTokens) -> String {
    jar(&HttpSessions::default().session_cookies(issued, NOW).expect("session_cookies"))
}

/// The CSRF token page JavaScript reads from the front cookie of a jar.
fn front_csrf(jar: &str) -> String {
    let front = cookie_value(jar, "sw_front").expect("front cookie in the jar");
    FrontToken::decode(front).expect("front token").csrf
}

/// A GET with no token, cookie or CSRF header at all.
fn bare_get() -> RequestHeaders<'static> {
    RequestHeaders { method: "GET", ..RequestHeaders::default() }
}

fn request<'a>(
    method: &'a str,
    cookie: Option<&'a str>,
    authorization: Option<&'a str>,
    csrf: Option<&'a str>,
) -> RequestHeaders<'a> {
    RequestHeaders { method, cookie, authorization, csrf }
}

/// A copy of `token` with one signature character changed (still canonical base64url).
fn garble_signature(token: &str) -> String {
    let dot = token.rfind('.').unwrap();
    let mut bytes = token.as_bytes().to_vec();
    let i = dot + 1 + (token.len() - dot - 1) / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// `token` with its `sid` claim replaced by `sid`, the original signature kept (a forgery).
fn with_sid(token: &str, sid: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["sid"] = Value::String(sid.into());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// `token` re-headed as `alg: none` (same `kid`), no signature.
fn alg_none(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    header["alg"] = Value::String("none".into());
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
    format!("{header}.{}.", parts[1])
}

// ----- cookies -----

#[test]
fn session_cookies_are_three_with_the_right_attributes() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    for now in [NOW, NOW + 100] {
        let cookies = HttpSessions::default().session_cookies(&issued, now).unwrap();
        assert_eq!(cookies.len(), 3, "{cookies:?}");
        let parsed: Vec<SetCookie> = cookies.iter().map(|c| parse(c)).collect();
        let lifetime = issued.refresh_expires_at - now;
        assert!(lifetime > 0);

        let access = &parsed[0];
        assert_eq!(access.name, "sw_access");
        assert_eq!(access.value, issued.access.token);
        assert!(access.flag("httponly"), "{cookies:?}");
        assert_eq!(access.attr("path"), Some("/"));

        let front = &parsed[1];
        assert_eq!(front.name, "sw_front");
        assert_eq!(front.value, issued.access.front_token);
        assert!(!front.attrs.contains_key("httponly"), "the page must read the front cookie: {cookies:?}");
        assert_eq!(front.attr("path"), Some("/"));
        let decoded = FrontToken::decode(&front.value).unwrap();
        assert_eq!(decoded.csrf, issued.access.token_id);
        assert_eq!(decoded.user_id, "alice");

        let refresh = &parsed[2];
        assert_eq!(refresh.name, "sw_refresh");
        assert_eq!(refresh.value, issued.refresh_token);
        assert!(refresh.flag("httponly"), "{cookies:?}");
        assert_eq!(refresh.attr("path"), Some("/auth/refresh"));

        for c in &parsed {
            assert_eq!(c.max_age(), lifetime, "{} at {now}", c.name);
            assert!(c.flag("secure"), "{}", c.name);
            assert_eq!(c.attr("samesite"), Some("Lax"));
            assert!(!c.attrs.contains_key("expires"), "{}", c.name);
        }
    }
}

#[test]
fn clear_cookies_are_three_with_max_age_zero() {
    let cleared = HttpSessions::default().clear_cookies();
    assert_eq!(cleared.len(), 3, "{cleared:?}");
    let parsed: Vec<SetCookie> = cleared.iter().map(|c| parse(c)).collect();
    let names: Vec<&str> = parsed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["sw_access", "sw_front", "sw_refresh"]);
    let paths: Vec<Option<&str>> = parsed.iter().map(|c| c.attr("path")).collect();
    assert_eq!(paths, [Some("/"), Some("/"), Some("/auth/refresh")], "paths must match the ones set");
    for c in &parsed {
        assert_eq!(c.value, "", "{}", c.name);
        assert_eq!(c.max_age(), 0, "{}", c.name);
    }
    assert_eq!(http(TransportMode::Both).clear_cookies().len(), 3);
}

#[test]
fn access_cookies_after_regenerate_are_two() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let at = NOW + 10;
    let regenerated = m.regenerate_access_token(&issued.session.handle, at).unwrap();
    let session = m.get_session(&issued.session.handle, at).unwrap().unwrap();
    let session_expires_at = session.idle_expires_at.min(session.absolute_expires_at);
    let h = HttpSessions::default();
    let cookies = h.access_cookies(&regenerated, session_expires_at, at).unwrap();
    assert_eq!(cookies.len(), 2, "no refresh cookie: {cookies:?}");
    let parsed: Vec<SetCookie> = cookies.iter().map(|c| parse(c)).collect();
    assert_eq!((parsed[0].name.as_str(), parsed[1].name.as_str()), ("sw_access", "sw_front"));
    assert_eq!(parsed[0].value, regenerated.token);
    assert_eq!(parsed[1].value, regenerated.front_token);
    assert!(parsed[0].flag("httponly") && !parsed[1].attrs.contains_key("httponly"));
    for c in &parsed {
        assert_eq!(c.max_age(), session_expires_at - at, "{}", c.name);
    }

    // The new cookies authenticate, with the new CSRF token only.
    let cookie = jar(&cookies);
    let csrf = front_csrf(&cookie);
    assert_eq!(csrf, regenerated.token_id);
    let claims = h.authenticate(&m, &request("POST", Some(&cookie), None, Some(&csrf)), at).unwrap();
    assert_eq!(claims.token_id, regenerated.token_id);
    let old = &issued.access.token_id;
    assert_ne!(old, &regenerated.token_id);
    let err = h.authenticate(&m, &request("POST", Some(&cookie), None, Some(old)), at).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);

    assert!(http(TransportMode::Header).access_cookies(&regenerated, session_expires_at, at).unwrap().is_empty());
    assert_eq!(http(TransportMode::Both).access_cookies(&regenerated, session_expires_at, at).unwrap().len(), 2);
}

// ----- authenticate -----

#[test]
fn cookie_mode_get_needs_no_csrf_post_does() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = HttpSessions::default();
    assert_eq!(h.mode, TransportMode::Cookie);
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    assert_eq!(csrf, issued.access.token_id);

    for method in ["GET", "HEAD", "OPTIONS", "get"] {
        let claims = h.authenticate(&m, &request(method, Some(&cookie), None, None), NOW + 1).unwrap();
        assert_eq!(claims.subject, "alice", "{method}");
        assert_eq!(claims.session_handle, issued.session.handle);
        assert_eq!(claims.token_id, issued.access.token_id);
    }

    for method in ["POST", "PUT", "PATCH", "DELETE", "post", ""] {
        let err = h.authenticate(&m, &request(method, Some(&cookie), None, None), NOW + 1).unwrap_err();
        assert_eq!(err.code(), "unauthorised", "{method}");
        assert_eq!(err.http_status(), 401);
        assert_eq!(reason(err), UnauthorisedReason::Csrf, "{method}");
        let claims = h.authenticate(&m, &request(method, Some(&cookie), None, Some(&csrf)), NOW + 1).unwrap();
        assert_eq!(claims.subject, "alice", "{method}");
    }

    // A wrong, empty or blank value, or another session's CSRF token, fails.
    let other = sign_in(&m, "bob");
    for wrong in ["wrong", "", "   ", &other.access.token_id, &csrf[..csrf.len() - 1], &format!("{csrf}x")] {
        let err = h.authenticate(&m, &request("POST", Some(&cookie), None, Some(wrong)), NOW + 1).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Csrf, "{wrong:?}");
    }
}

#[test]
fn cookie_mode_ignores_bearer() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = HttpSessions::default();
    let bearer = format!("Bearer {}", issued.access.token);
    for method in ["GET", "POST"] {
        let err = h.authenticate(&m, &request(method, None, Some(&bearer), None), NOW + 1).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Missing, "{method}");
    }
    // With the cookie too, the cookie is what counts: a POST still needs the CSRF header.
    let cookie = session_jar(&issued);
    let err = h.authenticate(&m, &request("POST", Some(&cookie), Some(&bearer), None), NOW + 1).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);
    // And a bearer naming another session does not override the cookie.
    let other = sign_in(&m, "bob");
    let other_bearer = format!("Bearer {}", other.access.token);
    let claims = h.authenticate(&m, &request("GET", Some(&cookie), Some(&other_bearer), None), NOW + 1).unwrap();
    assert_eq!(claims.subject, "alice");
}

#[test]
fn header_mode_uses_bearer_only() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = http(TransportMode::Header);
    let bearer = format!("Bearer {}", issued.access.token);
    for method in ["GET", "POST", "DELETE"] {
        let claims = h.authenticate(&m, &request(method, None, Some(&bearer), None), NOW + 1).unwrap();
        assert_eq!(claims.subject, "alice", "{method}");
        assert_eq!(claims.session_handle, issued.session.handle);
    }
    // Cookies are ignored, even with a correct CSRF header.
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    for method in ["GET", "POST"] {
        let err = h.authenticate(&m, &request(method, Some(&cookie), None, Some(&csrf)), NOW + 1).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Missing, "{method}");
    }
    // A non-bearer or malformed Authorization header is no token either.
    for auth in ["Basic dXNlcjpwYXNz", "Bearer", &format!("Bearer  {}", issued.access.token)] {
        let err = h.authenticate(&m, &request("GET", Some(&cookie), Some(auth), None), NOW + 1).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Missing, "{auth:?}");
    }
    assert!(h.session_cookies(&issued, NOW).unwrap().is_empty());
    assert!(h.clear_cookies().is_empty());
}

#[test]
fn both_mode_header_wins_and_cookies_need_csrf() {
    let m = manager();
    let alice = sign_in(&m, "alice");
    let bob = sign_in(&m, "bob");
    let h = http(TransportMode::Both);
    let alice_bearer = format!("Bearer {}", alice.access.token);
    let bob_cookie = session_jar(&bob);
    let bob_csrf = front_csrf(&bob_cookie);

    // Header and cookie of different sessions: the header wins, and needs no CSRF header.
    let claims = h.authenticate(&m, &request("POST", Some(&bob_cookie), Some(&alice_bearer), None), NOW + 1).unwrap();
    assert_eq!(claims.subject, "alice");
    assert_eq!(claims.session_handle, alice.session.handle);

    // Cookie only: GET passes, POST needs the CSRF header.
    let claims = h.authenticate(&m, &request("GET", Some(&bob_cookie), None, None), NOW + 1).unwrap();
    assert_eq!(claims.subject, "bob");
    let err = h.authenticate(&m, &request("POST", Some(&bob_cookie), None, None), NOW + 1).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);
    let err = h.authenticate(&m, &request("POST", Some(&bob_cookie), None, Some("nope")), NOW + 1).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);
    let claims = h.authenticate(&m, &request("POST", Some(&bob_cookie), None, Some(&bob_csrf)), NOW + 1).unwrap();
    assert_eq!(claims.subject, "bob");

    // A non-bearer Authorization header falls back to the cookie, CSRF still applies.
    let basic = Some("Basic dXNlcjpwYXNz");
    let err = h.authenticate(&m, &request("POST", Some(&bob_cookie), basic, None), NOW + 1).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);

    assert_eq!(h.session_cookies(&alice, NOW).unwrap().len(), 3);
}

#[test]
fn no_token_is_missing_and_expired_is_try_refresh() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    for mode in [TransportMode::Cookie, TransportMode::Header, TransportMode::Both] {
        let h = http(mode);
        for req in [
            bare_get(),
            request("POST", None, None, Some("x")),
            request("GET", Some(""), Some(""), None),
            request("GET", Some("sw_access=; other=1"), None, None),
            request("GET", Some("xsw_access=abc"), None, None),
        ] {
            let err = h.authenticate(&m, &req, NOW + 1).unwrap_err();
            assert_eq!(reason(err), UnauthorisedReason::Missing, "{mode:?} {req:?}");
        }
    }

    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    let bearer = format!("Bearer {}", issued.access.token);
    let cases = [
        (TransportMode::Cookie, request("GET", Some(&cookie), None, None)),
        (TransportMode::Cookie, request("POST", Some(&cookie), None, Some(&csrf))),
        (TransportMode::Header, request("GET", None, Some(&bearer), None)),
        (TransportMode::Both, request("GET", Some(&cookie), Some(&bearer), None)),
    ];
    for (mode, req) in cases {
        let h = http(mode);
        assert!(h.authenticate(&m, &req, NOW + 1).is_ok(), "{mode:?}");
        let err = h.authenticate(&m, &req, EXPIRED).unwrap_err();
        assert_eq!(err.code(), "try_refresh", "{mode:?}: {err:?}");
        assert_eq!(err.http_status(), 401);
    }
}

#[test]
fn garbled_tokens_are_refused() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = http(TransportMode::Both);
    for bad in [garble_signature(&issued.access.token), alg_none(&issued.access.token)] {
        let bearer = format!("Bearer {bad}");
        let err = h.authenticate(&m, &request("GET", None, Some(&bearer), None), NOW + 1).unwrap_err();
        assert_eq!(err.code(), "unauthorised", "{err:?}");
        let cookie = format!("sw_access={bad}");
        let err = h.authenticate(&m, &request("GET", Some(&cookie), None, None), NOW + 1).unwrap_err();
        assert_eq!(err.code(), "unauthorised", "{err:?}");
    }
}

// ----- refresh -----

#[test]
fn cookie_refresh_is_double_submit_and_refusals_consume_nothing() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let other = sign_in(&m, "bob");
    let h = HttpSessions::default();
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    let refresh_only = format!("sw_refresh={}", issued.refresh_token);

    // Refused: missing, empty, wrong or another session's CSRF; no front cookie to compare against; and
    // the check applies whatever the method. None of these may touch the refresh token.
    let refused = [
        request("POST", Some(&cookie), None, None),
        request("POST", Some(&cookie), None, Some("")),
        request("POST", Some(&cookie), None, Some("wrong")),
        request("POST", Some(&cookie), None, Some(&other.access.token_id)),
        request("POST", Some(&refresh_only), None, Some(&csrf)),
        request("GET", Some(&cookie), None, None),
    ];
    for req in &refused {
        let err = h.refresh(&m, req, None, NOW + 10).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Csrf, "{req:?}");
    }
    // A planted body token does not bypass the cookie-mode check either.
    let err = h.refresh(&m, &refused[0], Some(&issued.refresh_token), NOW + 10).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);

    // Past the grace window of any of the refused attempts: had one rotated the token, this would be theft.
    let at = NOW + 100;
    let refreshed = h.refresh(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, at).unwrap();
    assert_ne!(refreshed.refresh_token, issued.refresh_token);
    assert_eq!(refreshed.session.refreshed_at, at, "a normal rotation, not a grace replay");
    assert_ne!(refreshed.access.token_id, issued.access.token_id);
    assert_eq!(m.verify(&refreshed.access.token, at).unwrap().subject, "alice");

    // A retry of the original inside the grace window converges on the same successor.
    let retry = h.refresh(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, at + 20).unwrap();
    assert_eq!(retry.refresh_token, refreshed.refresh_token);

    // The successor's cookies refresh again, with the new front cookie's CSRF token.
    let next_cookie = jar(&h.session_cookies(&refreshed, at).unwrap());
    let next_csrf = front_csrf(&next_cookie);
    assert_eq!(next_csrf, refreshed.access.token_id);
    let err = h.refresh(&m, &request("POST", Some(&next_cookie), None, Some(&csrf)), None, at + 30).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf, "the old CSRF token no longer matches");
    let again = h.refresh(&m, &request("POST", Some(&next_cookie), None, Some(&next_csrf)), None, at + 30).unwrap();
    assert_ne!(again.refresh_token, refreshed.refresh_token);
    assert!(alive(&m, &issued, at + 30) && alive(&m, &other, at + 30));
}

#[test]
fn cookie_refresh_works_with_an_expired_access_token() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = HttpSessions::default();
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    assert_eq!(
        h.authenticate(&m, &request("GET", Some(&cookie), None, None), EXPIRED).unwrap_err().code(),
        "try_refresh"
    );
    let refreshed = h.refresh(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, EXPIRED).unwrap();
    assert_eq!(refreshed.session.refreshed_at, EXPIRED);
    let fresh = jar(&h.session_cookies(&refreshed, EXPIRED).unwrap());
    assert_eq!(h.authenticate(&m, &request("GET", Some(&fresh), None, None), EXPIRED).unwrap().subject, "alice");
}

#[test]
fn cookie_refresh_without_token_is_missing() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = HttpSessions::default();
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    // The body token is not read in cookie mode.
    let access_and_front = format!(
        "sw_access={}; sw_front={}",
        cookie_value(&cookie, "sw_access").unwrap(),
        cookie_value(&cookie, "sw_front").unwrap()
    );
    for (req, body) in [
        (bare_get(), None),
        (request("POST", None, None, Some(&csrf)), Some(issued.refresh_token.as_str())),
        (request("POST", Some(&access_and_front), None, Some(&csrf)), None),
        (request("POST", Some("sw_refresh="), None, Some(&csrf)), None),
    ] {
        let err = h.refresh(&m, &req, body, NOW + 10).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Missing, "{req:?}");
    }
    // Still unused: rotates normally.
    let refreshed = h.refresh(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, NOW + 100).unwrap();
    assert_eq!(refreshed.session.refreshed_at, NOW + 100);
}

#[test]
fn header_refresh_takes_the_body_token_and_ignores_cookies() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = http(TransportMode::Header);
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);

    // Cookies alone, even with the CSRF header: no token.
    let err = h.refresh(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, NOW + 10).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Missing);
    let err = h.refresh(&m, &request("POST", None, None, None), Some(""), NOW + 10).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Missing);
    let err = h.refresh(&m, &bare_get(), None, NOW + 10).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Missing);

    // The body token, no CSRF header needed.
    let refreshed = h.refresh(&m, &request("POST", None, None, None), Some(&issued.refresh_token), NOW + 100).unwrap();
    assert_ne!(refreshed.refresh_token, issued.refresh_token);
    assert_eq!(refreshed.session.refreshed_at, NOW + 100, "the cookie-only request consumed nothing");
    assert!(h.session_cookies(&refreshed, NOW + 100).unwrap().is_empty());
    let retry = h.refresh(&m, &request("POST", None, None, None), Some(&issued.refresh_token), NOW + 120).unwrap();
    assert_eq!(retry.refresh_token, refreshed.refresh_token);

    // A garbage body token is refused as malformed.
    let err = h.refresh(&m, &request("POST", None, None, None), Some("swr_nope"), NOW + 130).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Malformed);
}

#[test]
fn both_mode_refresh_body_or_csrf_checked_cookie() {
    let m = manager();
    let alice = sign_in(&m, "alice");
    let bob = sign_in(&m, "bob");
    let h = http(TransportMode::Both);
    let bob_cookie = session_jar(&bob);
    let bob_csrf = front_csrf(&bob_cookie);

    // The body token wins over the cookie and needs no CSRF header.
    let refreshed =
        h.refresh(&m, &request("POST", Some(&bob_cookie), None, None), Some(&alice.refresh_token), NOW + 10);
    assert_eq!(refreshed.unwrap().session.handle, alice.session.handle);
    // The cookie needs the double-submit header.
    let err = h.refresh(&m, &request("POST", Some(&bob_cookie), None, None), None, NOW + 10).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);
    let refreshed = h.refresh(&m, &request("POST", Some(&bob_cookie), None, Some(&bob_csrf)), None, NOW + 100).unwrap();
    assert_eq!(refreshed.session.handle, bob.session.handle);
    assert_eq!(refreshed.session.refreshed_at, NOW + 100);
}

#[test]
fn custom_header_csrf_accepts_any_non_empty_value() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = http_csrf(CsrfProtection::CustomHeader { header: "x-requested-with".into() });
    h.validate().unwrap();
    let cookie = session_jar(&issued);

    for value in ["XMLHttpRequest", "1", "anything"] {
        let claims = h.authenticate(&m, &request("POST", Some(&cookie), None, Some(value)), NOW + 1).unwrap();
        assert_eq!(claims.subject, "alice", "{value}");
    }
    for value in [None, Some(""), Some("  ")] {
        let err = h.authenticate(&m, &request("POST", Some(&cookie), None, value), NOW + 1).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Csrf, "{value:?}");
    }
    assert!(h.authenticate(&m, &request("GET", Some(&cookie), None, None), NOW + 1).is_ok());

    // Refresh: the header must be present; no front cookie is needed.
    let refresh_only = format!("sw_refresh={}", issued.refresh_token);
    let err = h.refresh(&m, &request("POST", Some(&refresh_only), None, None), None, NOW + 10).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::Csrf);
    let refreshed = h.refresh(&m, &request("POST", Some(&refresh_only), None, Some("1")), None, NOW + 100).unwrap();
    assert_eq!(refreshed.session.refreshed_at, NOW + 100, "the refused request consumed nothing");
    assert_ne!(refreshed.refresh_token, issued.refresh_token);
}

#[test]
fn no_csrf_protection_needs_no_header() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = http_csrf(CsrfProtection::None);
    h.validate().unwrap();
    let cookie = session_jar(&issued);
    for method in ["POST", "DELETE"] {
        let claims = h.authenticate(&m, &request(method, Some(&cookie), None, None), NOW + 1).unwrap();
        assert_eq!(claims.subject, "alice");
    }
    let refresh_only = format!("sw_refresh={}", issued.refresh_token);
    let refreshed = h.refresh(&m, &request("POST", Some(&refresh_only), None, None), None, NOW + 10).unwrap();
    assert_ne!(refreshed.refresh_token, issued.refresh_token);
    // Logout too.
    let next = jar(&h.session_cookies(&refreshed, NOW + 10).unwrap());
    assert!(h.logout(&m, &request("POST", Some(&next), None, None), None, NOW + 11).unwrap());
    assert!(!alive(&m, &issued, NOW + 11));
}

// ----- logout -----

#[test]
fn logout_with_access_cookie_and_csrf_revokes() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let other = sign_in(&m, "alice");
    let h = HttpSessions::default();
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    assert!(h.logout(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, NOW + 5).unwrap());
    assert!(m.get_session(&issued.session.handle, NOW + 5).unwrap().is_none());
    assert!(alive(&m, &other, NOW + 5), "only the signed-out session ends");
    let err = m.refresh(&issued.refresh_token, NOW + 6).unwrap_err();
    assert_eq!(reason(err), UnauthorisedReason::SessionRevoked);
    // Signing out again finds nothing to revoke.
    assert!(!h.logout(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, NOW + 7).unwrap());
    assert_eq!(h.clear_cookies().len(), 3);
}

#[test]
fn logout_with_expired_genuine_access_token_still_revokes() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let bob = sign_in(&m, "bob");
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    let h = HttpSessions::default();
    assert_eq!(
        h.authenticate(&m, &request("GET", Some(&cookie), None, None), EXPIRED).unwrap_err().code(),
        "try_refresh"
    );
    assert!(alive(&m, &issued, EXPIRED));
    assert!(h.logout(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, EXPIRED).unwrap());
    assert!(m.get_session(&issued.session.handle, EXPIRED).unwrap().is_none());

    // Header mode, expired bearer token.
    let hh = http(TransportMode::Header);
    let bearer = format!("Bearer {}", bob.access.token);
    assert!(hh.logout(&m, &request("POST", None, Some(&bearer), None), None, EXPIRED).unwrap());
    assert!(m.get_session(&bob.session.handle, EXPIRED).unwrap().is_none());
}

#[test]
fn logout_with_forged_access_token_revokes_nothing() {
    let m = manager();
    let victim = sign_in(&m, "victim");
    let bystander = sign_in(&m, "bystander");
    // A token minted by another deployment with the same issuer and audience but its own keys.
    let foreign = manager().create_session(NewSession::for_user("victim"), NOW).unwrap();
    let forged = [
        garble_signature(&victim.access.token),
        with_sid(&bystander.access.token, &victim.session.handle),
        alg_none(&victim.access.token),
        foreign.access.token.clone(),
        "not-a-jwt".to_owned(),
        "a.b.c".to_owned(),
    ];
    let cookie_mode = HttpSessions::default();
    let header_mode = http(TransportMode::Header);
    let both_mode = http(TransportMode::Both);
    for (i, token) in forged.iter().enumerate() {
        // With a CSRF header that matches the token's own jti, so CSRF is not what stops it.
        let cookie = format!("sw_access={token}; sw_front={}", victim.access.front_token);
        let csrf = victim.access.token_id.as_str();
        for at in [NOW + 1, EXPIRED] {
            let req = request("POST", Some(&cookie), None, Some(csrf));
            assert!(!cookie_mode.logout(&m, &req, None, at).unwrap(), "cookie #{i} at {at}");
            assert!(!both_mode.logout(&m, &req, None, at).unwrap(), "both #{i} at {at}");
            let bearer = format!("Bearer {token}");
            let req = request("POST", None, Some(&bearer), None);
            assert!(!header_mode.logout(&m, &req, None, at).unwrap(), "header #{i} at {at}");
            assert!(!both_mode.logout(&m, &req, None, at).unwrap(), "both bearer #{i} at {at}");
        }
        assert!(alive(&m, &victim, NOW + 1), "forgery #{i} revoked the victim");
        assert!(alive(&m, &bystander, NOW + 1), "forgery #{i} revoked the bystander");
    }
    // Nothing at all: refused (a cross-site form must not get "signed out" and cookie deletions).
    for h in [&cookie_mode, &header_mode, &both_mode] {
        assert_eq!(reason(h.logout(&m, &bare_get(), None, NOW + 1).unwrap_err()), UnauthorisedReason::Missing);
    }
    assert_eq!(m.list_sessions("victim", NOW + 1).unwrap().len(), 1);
    assert_eq!(m.list_sessions("bystander", NOW + 1).unwrap().len(), 1);
}

#[test]
fn header_logout_by_body_refresh_token() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let other = sign_in(&m, "alice");
    let h = http(TransportMode::Header);
    // Cookies are ignored in header mode.
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    let ignored = h.logout(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, NOW + 1);
    assert_eq!(reason(ignored.unwrap_err()), UnauthorisedReason::Missing);
    assert!(alive(&m, &issued, NOW + 1));
    // A garbage body token: refused, nothing revoked.
    let garbage = h.logout(&m, &request("POST", None, None, None), Some("swr_nope"), NOW + 1);
    assert!(!matches!(garbage, Ok(true)), "{garbage:?}");
    assert!(alive(&m, &issued, NOW + 1));
    // The body refresh token revokes its session, no CSRF header needed.
    assert!(h.logout(&m, &request("POST", None, None, None), Some(&issued.refresh_token), NOW + 2).unwrap());
    assert!(m.get_session(&issued.session.handle, NOW + 2).unwrap().is_none());
    assert!(alive(&m, &other, NOW + 2));
    assert!(!h.logout(&m, &request("POST", None, None, None), Some(&issued.refresh_token), NOW + 3).unwrap());
    // A garbled access token next to a genuine body refresh token: the refresh token still signs out.
    let bad = format!("Bearer {}", garble_signature(&other.access.token));
    assert!(h.logout(&m, &request("POST", None, Some(&bad), None), Some(&other.refresh_token), NOW + 4).unwrap());
    assert!(!alive(&m, &other, NOW + 4));
}

#[test]
fn cookie_logout_by_refresh_cookie_is_csrf_checked() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let h = HttpSessions::default();
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    // A garbled access cookie with a genuine refresh cookie: falls back to the refresh cookie, which needs the
    // double-submit header.
    let bad = format!(
        "sw_access={}; sw_front={}; sw_refresh={}",
        garble_signature(&issued.access.token),
        cookie_value(&cookie, "sw_front").unwrap(),
        issued.refresh_token
    );
    for wrong in [None, Some("wrong")] {
        let err = h.logout(&m, &request("POST", Some(&bad), None, wrong), None, NOW + 1).unwrap_err();
        assert_eq!(reason(err), UnauthorisedReason::Csrf, "{wrong:?}");
        assert!(alive(&m, &issued, NOW + 1));
    }
    // The body token is ignored in cookie mode.
    let ignored = h.logout(&m, &request("POST", None, None, Some(&csrf)), Some(&issued.refresh_token), NOW + 1);
    assert_eq!(reason(ignored.unwrap_err()), UnauthorisedReason::Missing);
    assert!(alive(&m, &issued, NOW + 1));
    assert!(h.logout(&m, &request("POST", Some(&bad), None, Some(&csrf)), None, NOW + 2).unwrap());
    assert!(!alive(&m, &issued, NOW + 2));
}

#[test]
fn cookie_logout_without_csrf_fails_and_keeps_the_session() {
    let m = manager();
    let issued = sign_in(&m, "alice");
    let other = sign_in(&m, "bob");
    let h = HttpSessions::default();
    let cookie = session_jar(&issued);
    let csrf = front_csrf(&cookie);
    // Missing, empty, wrong and another session's token, whatever the method (a GET sign-out link must not work
    // cross-site either); also with an expired access token.
    for at in [NOW + 1, EXPIRED] {
        for (method, value) in [
            ("POST", None),
            ("POST", Some("")),
            ("POST", Some("wrong")),
            ("POST", Some(other.access.token_id.as_str())),
            ("GET", None),
        ] {
            let err = h.logout(&m, &request(method, Some(&cookie), None, value), None, at).unwrap_err();
            assert_eq!(reason(err), UnauthorisedReason::Csrf, "{method} {value:?} at {at}");
            assert!(alive(&m, &issued, at), "{method} {value:?} at {at}");
        }
    }
    // The session is intact: it still refreshes normally.
    let refreshed = h.refresh(&m, &request("POST", Some(&cookie), None, Some(&csrf)), None, NOW + 100).unwrap();
    assert_eq!(refreshed.session.refreshed_at, NOW + 100);
    assert!(alive(&m, &other, NOW + 100));
}

// ----- validate -----

#[test]
fn validate_refuses_bad_csrf_header_names() {
    assert!(HttpSessions::default().validate().is_ok());
    assert!(http_csrf(CsrfProtection::None).validate().is_ok());
    for name in ["x-csrf-token", "X-Requested-With", "csrf2"] {
        assert!(http_csrf(CsrfProtection::DoubleSubmit { header: name.into() }).validate().is_ok(), "{name}");
        assert!(http_csrf(CsrfProtection::CustomHeader { header: name.into() }).validate().is_ok(), "{name}");
    }
    for name in ["", "x csrf", " x-csrf-token", "x-csrf-token ", "x-csrf\r\nset-cookie", "x:csrf"] {
        for csrf in
            [CsrfProtection::DoubleSubmit { header: name.into() }, CsrfProtection::CustomHeader { header: name.into() }]
        {
            let err = http_csrf(csrf.clone()).validate().unwrap_err();
            assert_eq!(err.code(), "bad_configuration", "{csrf:?}");
        }
    }
    // Cookie settings are validated too.
    let mut h = HttpSessions::default();
    h.cookies.front_name = h.cookies.access_name.clone();
    assert_eq!(h.validate().unwrap_err().code(), "bad_configuration");
}
