//! Cookies, bearer headers, CSRF and the front token, through the public API only.

use base64::Engine;
use serde_json::{Map, Value, json};
use sessionward::Error;
use sessionward::UnauthorisedReason;
use sessionward::transport::{
    CookieConfig, CsrfProtection, FrontToken, MAX_SET_COOKIE_BYTES, SameSite, TokenSource, bearer_token, cookie_value,
    cookie_values, is_state_changing, public_claims,
};
use std::collections::BTreeMap;

const NOW: i64 = 1_700_000_000;
const JWT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
const REFRESH: &str = "swr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A parsed `Set-Cookie` value: name, value and attributes (lower-cased names, `None` for flags).
#[derive(Debug)]
struct SetCookie {
    name: String,
    value: String,
    attrs: BTreeMap<String, Option<String>>,
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

fn attrs(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.map(str::to_owned))).collect()
}

fn reason(err: Error) -> UnauthorisedReason {
    match err {
        Error::Unauthorised { reason } => reason,
        other => panic!("expected unauthorised, got {other:?}"),
    }
}

#[test]
fn defaults() {
    let c = CookieConfig::default();
    assert_eq!(
        (c.access_name.as_str(), c.refresh_name.as_str(), c.front_name.as_str()),
        ("sw_access", "sw_refresh", "sw_front")
    );
    assert_eq!(c.domain, None);
    assert!(c.secure && !c.host_prefix);
    assert_eq!(c.same_site, SameSite::Lax);
    assert_eq!((c.access_path.as_str(), c.refresh_path.as_str()), ("/", "/auth/refresh"));
    assert!(c.validate().is_ok());
    assert_eq!(
        (c.access_cookie_name(), c.front_cookie_name(), c.refresh_cookie_name()),
        ("sw_access".into(), "sw_front".into(), "sw_refresh".into())
    );
    assert_eq!(
        [SameSite::Strict, SameSite::Lax, SameSite::None].map(|s| s.to_string()),
        ["Strict", "Lax", "None"].map(String::from)
    );
}

#[test]
fn session_cookie_attributes_are_exact() {
    let c = CookieConfig::default();
    let cookies = c.session_cookies(JWT, "front", Some((REFRESH, NOW + 86_400)), NOW, 3600).unwrap();
    assert_eq!(cookies.len(), 3);
    let (access, front, refresh) = (parse(&cookies[0]), parse(&cookies[1]), parse(&cookies[2]));

    assert_eq!((access.name.as_str(), access.value.as_str()), ("sw_access", JWT));
    assert_eq!(
        access.attrs,
        attrs(&[
            ("max-age", Some("3600")),
            ("path", Some("/")),
            ("secure", None),
            ("httponly", None),
            ("samesite", Some("Lax"))
        ])
    );

    assert_eq!((front.name.as_str(), front.value.as_str()), ("sw_front", "front"));
    assert_eq!(
        front.attrs,
        attrs(&[("max-age", Some("3600")), ("path", Some("/")), ("secure", None), ("samesite", Some("Lax"))])
    );
    assert!(!front.attrs.contains_key("httponly"), "JS must be able to read the front cookie");

    assert_eq!((refresh.name.as_str(), refresh.value.as_str()), ("sw_refresh", REFRESH));
    assert_eq!(
        refresh.attrs,
        attrs(&[
            ("max-age", Some("86400")),
            ("path", Some("/auth/refresh")),
            ("secure", None),
            ("httponly", None),
            ("samesite", Some("Lax"))
        ])
    );
}

#[test]
fn domain_same_site_insecure_and_no_refresh() {
    let c = CookieConfig {
        domain: Some("example.com".into()),
        same_site: SameSite::Strict,
        secure: false,
        access_path: "/app".into(),
        refresh_path: "/app/auth/refresh".into(),
        ..CookieConfig::default()
    };
    let cookies = c.session_cookies(JWT, "f", None, NOW, 60).unwrap();
    assert_eq!(cookies.len(), 2, "no refresh cookie when only the access token changed");
    let access = parse(&cookies[0]);
    assert_eq!(
        access.attrs,
        attrs(&[
            ("max-age", Some("60")),
            ("path", Some("/app")),
            ("domain", Some("example.com")),
            ("httponly", None),
            ("samesite", Some("Strict"))
        ])
    );
    let front = parse(&cookies[1]);
    assert_eq!(
        front.attrs,
        attrs(&[
            ("max-age", Some("60")),
            ("path", Some("/app")),
            ("domain", Some("example.com")),
            ("samesite", Some("Strict"))
        ])
    );

    let with_refresh = c.session_cookies(JWT, "f", Some((REFRESH, NOW + 10)), NOW, 60).unwrap();
    let refresh = parse(&with_refresh[2]);
    assert_eq!(refresh.attrs["path"].as_deref(), Some("/app/auth/refresh"));
    assert_eq!(refresh.attrs["domain"].as_deref(), Some("example.com"));
    assert!(!refresh.attrs.contains_key("secure"));
}

#[test]
fn refresh_max_age_is_clamped() {
    let c = CookieConfig::default();
    let cookies = c.session_cookies(JWT, "f", Some((REFRESH, NOW - 5)), NOW, 60).unwrap();
    assert_eq!(parse(&cookies[2]).attrs["max-age"].as_deref(), Some("0"));
    let cookies = c.session_cookies(JWT, "f", Some((REFRESH, i64::MAX)), i64::MIN, 60).unwrap();
    assert_eq!(parse(&cookies[2]).attrs["max-age"].as_deref(), Some(i64::MAX.to_string().as_str()));
    let err = c.session_cookies(JWT, "f", None, NOW, -1).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}

#[test]
fn clearing_cookies_match_what_was_set() {
    for c in [
        CookieConfig::default(),
        CookieConfig {
            domain: Some(".example.com".into()),
            same_site: SameSite::None,
            access_path: "/app".into(),
            ..CookieConfig::default()
        },
        CookieConfig { host_prefix: true, same_site: SameSite::Strict, ..CookieConfig::default() },
    ] {
        let set = c.session_cookies(JWT, "f", Some((REFRESH, NOW + 100)), NOW, 60).unwrap();
        let cleared = c.clear_cookies();
        assert_eq!(cleared.len(), 3);
        for (set, cleared) in set.iter().map(|s| parse(s)).zip(cleared.iter().map(|s| parse(s))) {
            assert_eq!(cleared.name, set.name);
            assert_eq!(cleared.value, "");
            let mut expected = set.attrs.clone();
            expected.insert("max-age".into(), Some("0".into()));
            expected.insert("expires".into(), Some("Thu, 01 Jan 1970 00:00:00 GMT".into()));
            assert_eq!(cleared.attrs, expected, "clearing {} must keep path/domain/secure/samesite", set.name);
        }
    }
}

#[test]
fn host_prefix_names_and_attributes() {
    let c = CookieConfig { host_prefix: true, ..CookieConfig::default() };
    c.validate().unwrap();
    assert_eq!(c.access_cookie_name(), "__Host-sw_access");
    assert_eq!(c.front_cookie_name(), "__Host-sw_front");
    assert_eq!(c.refresh_cookie_name(), "__Secure-sw_refresh");
    let cookies: Vec<_> = c.session_cookies(JWT, "f", Some((REFRESH, NOW + 1)), NOW, 60).unwrap();
    let parsed: Vec<_> = cookies.iter().map(|s| parse(s)).collect();
    assert_eq!(
        parsed.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["__Host-sw_access", "__Host-sw_front", "__Secure-sw_refresh"]
    );
    for p in &parsed {
        assert!(p.attrs.contains_key("secure"), "{p:?}");
        assert!(!p.attrs.contains_key("domain"), "{p:?}");
    }
    assert_eq!(parsed[0].attrs["path"].as_deref(), Some("/"));
    assert_eq!(parsed[1].attrs["path"].as_deref(), Some("/"));
    // The access token is read under the prefixed name.
    assert_eq!(
        c.access_token_from(Some("sw_access=old; __Host-sw_access=new"), None),
        Some(("new", TokenSource::Cookie))
    );
}

fn config_error(c: CookieConfig) -> String {
    let err = c.validate().expect_err("config must be refused");
    assert_eq!(err.code(), "bad_configuration", "{err}");
    // session_cookies refuses it too, before building anything.
    assert_eq!(c.session_cookies(JWT, "f", None, NOW, 60).unwrap_err().code(), "bad_configuration");
    err.to_string()
}

#[test]
fn validation_failures() {
    let d = CookieConfig::default;
    assert!(config_error(CookieConfig { same_site: SameSite::None, secure: false, ..d() }).contains("SameSite=None"));
    assert!(
        config_error(CookieConfig { host_prefix: true, domain: Some("example.com".into()), ..d() }).contains("Domain")
    );
    assert!(config_error(CookieConfig { host_prefix: true, secure: false, ..d() }).contains("Secure"));
    assert!(config_error(CookieConfig { host_prefix: true, access_path: "/app".into(), ..d() }).contains("Path=/"));
    for bad in ["", "sw access", "sw;access", "sw=access", "sw,access", "a\"b", "a\tb", "a\u{7f}", "é", "a/b", "(a)"] {
        config_error(CookieConfig { access_name: bad.into(), ..d() });
        config_error(CookieConfig { front_name: bad.into(), ..d() });
        config_error(CookieConfig { refresh_name: bad.into(), ..d() });
    }
    config_error(CookieConfig { access_name: "__Host-x".into(), ..d() });
    config_error(CookieConfig { refresh_name: "__secure-x".into(), ..d() });
    config_error(CookieConfig { front_name: "sw_access".into(), ..d() });
    for bad in ["", "app", "/a;b", "/a b", "/a\nb", "/a\u{0}"] {
        config_error(CookieConfig { access_path: bad.into(), ..d() });
        config_error(CookieConfig { refresh_path: bad.into(), ..d() });
    }
    for bad in ["", "example.com; Secure", "exa mple.com", "example.com\r\n"] {
        config_error(CookieConfig { domain: Some(bad.into()), ..d() });
    }
    // Acceptable variants.
    for ok in [
        CookieConfig { same_site: SameSite::None, ..d() },
        CookieConfig { secure: false, ..d() },
        CookieConfig { access_name: "my-app.session!#$%&'*+^`|~".into(), ..d() },
        CookieConfig { domain: Some(".example.com".into()), ..d() },
    ] {
        ok.validate().unwrap();
    }
}

#[test]
fn oversize_cookie_is_refused() {
    let c = CookieConfig::default();
    let big = "a".repeat(5000);
    let err = c.session_cookies(&big, "f", None, NOW, 60).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    let msg = err.to_string();
    assert!(msg.contains("sw_access") && msg.contains("bytes"), "{msg}");
    assert!(!msg.contains(&big[..100]), "the token is not echoed");

    let err = c.session_cookies(JWT, &big, None, NOW, 60).unwrap_err();
    assert!(err.to_string().contains("sw_front"), "{err}");
    let err = c.session_cookies(JWT, "f", Some((&big, NOW + 10)), NOW, 60).unwrap_err();
    assert!(err.to_string().contains("sw_refresh"), "{err}");

    // The limit is on the whole Set-Cookie value, exactly.
    let overhead = c.session_cookies("x", "f", None, NOW, 60).unwrap()[0].len() - 1;
    let fits = "a".repeat(MAX_SET_COOKIE_BYTES - overhead);
    assert_eq!(c.session_cookies(&fits, "f", None, NOW, 60).unwrap()[0].len(), MAX_SET_COOKIE_BYTES);
    let one_more = "a".repeat(MAX_SET_COOKIE_BYTES - overhead + 1);
    assert_eq!(c.session_cookies(&one_more, "f", None, NOW, 60).unwrap_err().code(), "invalid_argument");
}

#[test]
fn unsafe_values_are_refused() {
    let c = CookieConfig::default();
    for bad in ["", "a b", "a;b", "a,b", "a\"b", "a\\b", "a\r\nSet-Cookie: x=y", "é", "a\u{7f}"] {
        let err = c.session_cookies(bad, "f", None, NOW, 60).unwrap_err();
        assert_eq!(err.code(), "invalid_argument", "{bad:?}");
        assert_eq!(c.session_cookies(JWT, bad, None, NOW, 60).unwrap_err().code(), "invalid_argument");
        assert_eq!(c.session_cookies(JWT, "f", Some((bad, NOW + 1)), NOW, 60).unwrap_err().code(), "invalid_argument");
    }
    let front =
        FrontToken { user_id: "ü; x=\"y\"".into(), access_expires_at: NOW, csrf: "c".into(), claims: Map::new() }
            .encode();
    assert!(c.session_cookies(JWT, &front, Some((REFRESH, NOW + 1)), NOW, 60).is_ok(), "encoded front tokens are safe");
}

#[test]
fn cookie_header_parsing() {
    let h = "a=1;sw_access=tok ;  b = 2; flag; xsw_access=evil; sw_access_x=no";
    assert_eq!(cookie_value(h, "sw_access"), Some("tok"));
    assert_eq!(cookie_value(h, "a"), Some("1"));
    assert_eq!(cookie_value(h, "b"), Some("2"));
    assert_eq!(cookie_value(h, "flag"), None, "a pair without '=' is skipped");
    assert_eq!(cookie_value(h, "access"), None);
    assert_eq!(cookie_value(h, "SW_ACCESS"), None, "names are case-sensitive");
    assert_eq!(cookie_value("xsw_access=evil", "sw_access"), None, "suffix of another name");
    assert_eq!(cookie_value("sw_access_x=no", "sw_access"), None, "prefix of another name");
    assert_eq!(cookie_value("", "sw_access"), None);
    assert_eq!(cookie_value("sw_access=", "sw_access"), Some(""));
    assert_eq!(cookie_value("sw_access=a=b", "sw_access"), Some("a=b"), "value may contain '='");
    assert_eq!(cookie_value("sw_access=first; sw_access=second", "sw_access"), Some("first"));
    assert_eq!(cookie_values("sw_access=first; x=1; sw_access=second", "sw_access"), ["first", "second"]);
    assert!(cookie_values("x=1", "sw_access").is_empty());
}

#[test]
fn bearer_parsing() {
    assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
    assert_eq!(bearer_token("bearer x"), Some("x"));
    assert_eq!(bearer_token("BEARER x=="), Some("x=="));
    for bad in [
        "Bearer  x",
        "Bearer",
        "Bearer ",
        "Basic x",
        "Bearer a b",
        " Bearer x",
        "Bearer x ",
        "Bearer\tx",
        "Bearerx",
        "Bearer =",
        "Bearer a,b",
        "",
    ] {
        assert_eq!(bearer_token(bad), None, "{bad:?}");
    }
}

#[test]
fn access_token_source() {
    let c = CookieConfig::default();
    let cookies = "sw_access=fromcookie; other=1";
    assert_eq!(
        c.access_token_from(Some(cookies), Some("Bearer fromheader")),
        Some(("fromheader", TokenSource::Header))
    );
    assert_eq!(c.access_token_from(Some(cookies), None), Some(("fromcookie", TokenSource::Cookie)));
    assert_eq!(
        c.access_token_from(Some(cookies), Some("Basic dXNlcjpwdw==")),
        Some(("fromcookie", TokenSource::Cookie))
    );
    assert_eq!(c.access_token_from(None, Some("Bearer h")), Some(("h", TokenSource::Header)));
    assert_eq!(c.access_token_from(None, Some("Bearer")), None);
    assert_eq!(c.access_token_from(Some("sw_access="), None), None, "an empty (cleared) cookie is no token");
    assert_eq!(c.access_token_from(Some("xsw_access=t"), None), None);
    assert_eq!(c.access_token_from(None, None), None);
}

#[test]
fn state_changing_methods() {
    for safe in ["GET", "get", "HEAD", "Options", "TRACE"] {
        assert!(!is_state_changing(safe), "{safe}");
    }
    for unsafe_ in ["POST", "put", "PATCH", "DELETE", "CONNECT", "PROPFIND", "", "GETX"] {
        assert!(is_state_changing(unsafe_), "{unsafe_}");
    }
}

#[test]
fn csrf_none() {
    let p = CsrfProtection::None;
    assert_eq!(p.header_name(), None);
    assert!(p.check_csrf("POST", None, None).is_ok());
}

#[test]
fn csrf_custom_header() {
    let p = CsrfProtection::CustomHeader { header: "x-requested-with".into() };
    assert_eq!(p.header_name(), Some("x-requested-with"));
    assert!(p.check_csrf("GET", None, None).is_ok());
    assert!(p.check_csrf("POST", Some("XMLHttpRequest"), None).is_ok());
    assert!(p.check_csrf("delete", Some("1"), None).is_ok());
    assert_eq!(reason(p.check_csrf("POST", None, None).unwrap_err()), UnauthorisedReason::Csrf);
    assert_eq!(reason(p.check_csrf("PUT", Some(""), None).unwrap_err()), UnauthorisedReason::Csrf);
    assert_eq!(reason(p.check_csrf("PUT", Some("  "), None).unwrap_err()), UnauthorisedReason::Csrf);
}

#[test]
fn csrf_double_submit() {
    let p = CsrfProtection::default();
    assert_eq!(p, CsrfProtection::DoubleSubmit { header: "x-csrf-token".into() });
    assert_eq!(p.header_name(), Some("x-csrf-token"));
    for safe in ["GET", "HEAD", "OPTIONS", "TRACE"] {
        assert!(p.check_csrf(safe, None, None).is_ok());
        assert!(p.check_csrf(safe, Some("wrong"), Some("jti-1")).is_ok());
    }
    assert!(p.check_csrf("POST", Some("jti-1"), Some("jti-1")).is_ok());
    assert!(p.check_csrf("patch", Some("jti-1"), Some("jti-1")).is_ok());

    let err = p.check_csrf("POST", None, Some("jti-1")).unwrap_err();
    assert_eq!(err.code(), "unauthorised");
    assert_eq!(err.http_status(), 401);
    assert_eq!(reason(err), UnauthorisedReason::Csrf);
    assert_eq!(reason(p.check_csrf("POST", Some(""), Some("jti-1")).unwrap_err()), UnauthorisedReason::Csrf);
    assert_eq!(reason(p.check_csrf("POST", Some("jti-1"), None).unwrap_err()), UnauthorisedReason::Csrf);
    assert_eq!(reason(p.check_csrf("POST", Some(""), Some("")).unwrap_err()), UnauthorisedReason::Csrf);
    for wrong in ["jti-2", "jti-", "jti-11", "JTI-1", " jti-1"] {
        assert_eq!(reason(p.check_csrf("POST", Some(wrong), Some("jti-1")).unwrap_err()), UnauthorisedReason::Csrf);
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn front_token_round_trip() {
    let mut claims = Map::new();
    claims.insert("role".into(), json!("admin"));
    claims.insert("tenant".into(), json!({"id": 7, "tags": ["a", "b"]}));
    let front = FrontToken { user_id: "user-42".into(), access_expires_at: NOW + 300, csrf: "jti-1".into(), claims };
    let encoded = front.encode();
    assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{encoded}");
    assert_eq!(FrontToken::decode(&encoded).unwrap(), front);

    // The documented wire form, byte for byte.
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&encoded).unwrap();
    assert_eq!(
        String::from_utf8(json).unwrap(),
        r#"{"uid":"user-42","exp":1700000300,"csrf":"jti-1","claims":{"role":"admin","tenant":{"id":7,"tags":["a","b"]}}}"#
    );
}

#[test]
fn front_token_decode_is_strict() {
    let ok = br#"{"uid":"u","exp":1,"csrf":"c","claims":{}}"#;
    let front = FrontToken::decode(&b64(ok)).unwrap();
    assert_eq!((front.user_id.as_str(), front.access_expires_at, front.csrf.as_str()), ("u", 1, "c"));
    assert!(front.claims.is_empty());

    let bad_json: [&[u8]; 10] = [
        br#"{"uid":"u","exp":1,"csrf":"c","claims":{},"extra":1}"#,
        br#"{"uid":"u","exp":1,"csrf":"c"}"#,
        br#"{"uid":"u","uid":"v","exp":1,"csrf":"c","claims":{}}"#,
        br#"{"uid":"u","exp":1,"csrf":"c","claims":{"a":1,"a":2}}"#,
        br#"{"uid":7,"exp":1,"csrf":"c","claims":{}}"#,
        br#"{"uid":"u","exp":"1","csrf":"c","claims":{}}"#,
        br#"{"uid":"u","exp":1.5,"csrf":"c","claims":{}}"#,
        br#"{"uid":"u","exp":1,"csrf":"c","claims":[]}"#,
        br#"["u",1,"c",{}]"#,
        br#"{"uid":"u","exp":1,"csrf":"c","claims":{}} trailing"#,
    ];
    let mut bad: Vec<String> = bad_json.iter().map(|j| b64(j)).collect();
    let valid = b64(ok);
    bad.extend([
        String::new(),
        format!("{valid}="),
        format!("{valid}!"),
        format!("+{}", &valid[1..]),
        "a".repeat(5000),
    ]);
    // 43 bytes of JSON, so the padded form really has padding.
    let odd = br#"{"uid":"uu","exp":1,"csrf":"c","claims":{}}"#;
    assert!(FrontToken::decode(&b64(odd)).is_ok());
    let padded = base64::engine::general_purpose::URL_SAFE.encode(odd);
    assert!(padded.ends_with('='));
    bad.push(padded);
    for b in bad {
        let err = FrontToken::decode(&b).expect_err(&b);
        assert_eq!(err.code(), "invalid_argument", "{b:?}");
    }
}

#[test]
fn public_claims_keep_only_the_allowlist() {
    let all: Map<String, Value> = serde_json::from_value(json!({
        "role": "admin",
        "name": "Ada",
        "internal_score": 0.3,
        "email": "ada@example.com"
    }))
    .unwrap();
    let allow = ["role".to_string(), "name".to_string(), "missing".to_string()];
    let public = public_claims(&all, &allow);
    assert_eq!(Value::Object(public), json!({"role": "admin", "name": "Ada"}));
    assert!(public_claims(&all, &[]).is_empty());
    assert!(public_claims(&Map::new(), &allow).is_empty());
}
