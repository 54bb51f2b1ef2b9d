//! Session flows through `SessionManager`, written once and run against every store.
//!
//! Each store's test file does `#[macro_use] mod flows;` and `flow_tests!(|| Arc::new(TheStore::…) as Arc<dyn SessionStore>);`.
#![allow(dead_code)]

use serde_json::{Map, Value, json};
use sessionward::{Config, Error, NewSession, SessionManager, SessionMetadata, SessionStore, UnauthorisedReason};
use std::sync::{Arc, Barrier, Mutex};

pub const NOW: i64 = 1_700_000_000;

pub fn config() -> Config {
    Config::new("https://auth.test", "api")
}

pub fn manager(store: &Arc<dyn SessionStore>) -> SessionManager {
    SessionManager::new(config(), store.clone()).expect("manager")
}

pub fn claims(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("object")
}

fn reason(err: &Error) -> Option<UnauthorisedReason> {
    match err {
        Error::Unauthorised { reason } => Some(*reason),
        _ => None,
    }
}

pub fn login_verify_expire_refresh(store: Arc<dyn SessionStore>) {
    let m = manager(&store);
    let new = NewSession {
        user_id: "alice".into(),
        access_claims: claims(json!({"role": "admin", "org": 7})),
        data: json!({"cart": [1, 2]}),
        metadata: SessionMetadata { user_agent: Some("Firefox".into()), ip: Some("127.0.0.1".into()), device: None },
    };
    let issued = m.create_session(new, NOW).unwrap();
    let claims = m.verify(&issued.access.token, NOW + 10).unwrap();
    assert_eq!(claims.subject, "alice");
    assert_eq!(claims.session_handle, issued.session.handle);
    assert_eq!(claims.custom["role"], "admin");
    assert_eq!(claims.expires_at, NOW + 900);
    assert_eq!(claims.token_id, issued.access.token_id);
    // Expired (past the 30 s leeway): try refresh.
    assert_eq!(m.verify(&issued.access.token, NOW + 930).unwrap_err().code(), "try_refresh");
    let refreshed = m.refresh(&issued.refresh_token, NOW + 930).unwrap();
    assert_ne!(refreshed.refresh_token, issued.refresh_token);
    assert_ne!(refreshed.access.token_id, issued.access.token_id);
    let claims = m.verify(&refreshed.access.token, NOW + 931).unwrap();
    assert_eq!(claims.custom["org"], 7);
    assert_eq!(refreshed.session.refreshed_at, NOW + 930);
    assert_eq!(refreshed.refresh_expires_at, NOW + 930 + m.config().idle_timeout);
    let session = m.get_session(&issued.session.handle, NOW + 931).unwrap().unwrap();
    assert_eq!(session.data, json!({"cart": [1, 2]}));
    assert_eq!(session.metadata.user_agent.as_deref(), Some("Firefox"));
}

pub fn retry_in_grace_returns_same_successor(store: Arc<dyn SessionStore>) {
    let m = manager(&store);
    let issued = m.create_session(NewSession::for_user("bob"), NOW).unwrap();
    let first = m.refresh(&issued.refresh_token, NOW + 100).unwrap();
    // A lost response: the client retries with the old token inside the 60 s window.
    let retry = m.refresh(&issued.refresh_token, NOW + 159).unwrap();
    assert_eq!(retry.refresh_token, first.refresh_token, "same successor, never a sibling");
    assert!(m.verify(&retry.access.token, NOW + 159).is_ok());
    // The successor still works and rotates normally.
    let second = m.refresh(&first.refresh_token, NOW + 200).unwrap();
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(m.list_sessions("bob", NOW + 200).unwrap().len(), 1);
}

pub fn replay_after_grace_is_theft(store: Arc<dyn SessionStore>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut cfg = config();
    let sink = seen.clone();
    cfg.on_theft = Some(Arc::new(move |event| sink.lock().unwrap().push(event.clone())));
    let m = SessionManager::new(cfg, store.clone()).unwrap();
    let issued = m.create_session(NewSession::for_user("carol"), NOW).unwrap();
    let next = m.refresh(&issued.refresh_token, NOW + 100).unwrap();
    let err = m.refresh(&issued.refresh_token, NOW + 160).unwrap_err();
    match &err {
        Error::TokenTheft { session_handle, user_id } => {
            assert_eq!(session_handle, &issued.session.handle);
            assert_eq!(user_id, "carol");
        }
        other => panic!("expected theft, got {other:?}"),
    }
    assert_eq!(err.code(), "token_theft");
    let events = seen.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].session_handle, issued.session.handle);
    // The session is gone: the legitimate successor is dead too, and the message names no token.
    assert!(!err.to_string().contains(&next.refresh_token));
    assert_eq!(
        reason(&m.refresh(&next.refresh_token, NOW + 161).unwrap_err()),
        Some(UnauthorisedReason::SessionRevoked)
    );
    assert!(m.get_session(&issued.session.handle, NOW + 161).unwrap().is_none());
    assert_eq!(m.verify_with_store(&next.access.token, NOW + 161).unwrap_err().code(), "unauthorised");
}

pub fn two_generations_back_is_theft_even_in_grace(store: Arc<dyn SessionStore>) {
    let m = manager(&store);
    let t0 = m.create_session(NewSession::for_user("dan"), NOW).unwrap();
    let t1 = m.refresh(&t0.refresh_token, NOW + 1).unwrap();
    let _t2 = m.refresh(&t1.refresh_token, NOW + 2).unwrap();
    assert_eq!(m.refresh(&t0.refresh_token, NOW + 3).unwrap_err().code(), "token_theft");
    assert!(m.list_sessions("dan", NOW + 3).unwrap().is_empty());
}

pub fn thief_first_then_victim(store: Arc<dyn SessionStore>) {
    // The thief refreshes first; the victim's later use of the same token (outside the window) is flagged.
    let m = manager(&store);
    let t0 = m.create_session(NewSession::for_user("erin"), NOW).unwrap();
    let stolen = m.refresh(&t0.refresh_token, NOW + 10).unwrap();
    assert_eq!(m.refresh(&t0.refresh_token, NOW + 500).unwrap_err().code(), "token_theft");
    assert_eq!(m.refresh(&stolen.refresh_token, NOW + 501).unwrap_err().code(), "unauthorised");
}

pub fn garbage_and_unknown_tokens_change_nothing(store: Arc<dyn SessionStore>) {
    let m = manager(&store);
    let t0 = m.create_session(NewSession::for_user("fay"), NOW).unwrap();
    for bad in [
        "",
        "swr_",
        "swr_abc",
        "Bearer x",
        &t0.refresh_token[..t0.refresh_token.len() - 1],
        &format!("{}=", t0.refresh_token),
    ] {
        assert_eq!(reason(&m.refresh(bad, NOW + 1).unwrap_err()), Some(UnauthorisedReason::Malformed), "{bad:?}");
    }
    let unknown = sessionward::SessionManager::new(config(), Arc::new(sessionward::MemoryStore::new()))
        .unwrap()
        .create_session(NewSession::for_user("fay"), NOW)
        .unwrap()
        .refresh_token;
    assert_eq!(reason(&m.refresh(&unknown, NOW + 1).unwrap_err()), Some(UnauthorisedReason::SessionRevoked));
    // The real token still rotates: nothing above touched the session.
    assert!(m.refresh(&t0.refresh_token, NOW + 2).is_ok());
}

pub fn idle_and_absolute_expiry(store: Arc<dyn SessionStore>) {
    let mut cfg = config();
    cfg.idle_timeout = 1000;
    cfg.absolute_lifetime = 2500;
    let m = SessionManager::new(cfg, store.clone()).unwrap();
    let t0 = m.create_session(NewSession::for_user("gus"), NOW).unwrap();
    assert_eq!(t0.refresh_expires_at, NOW + 1000);
    // Idle: not refreshed within 1000 s.
    assert_eq!(
        reason(&m.refresh(&t0.refresh_token, NOW + 1000).unwrap_err()),
        Some(UnauthorisedReason::SessionExpired)
    );
    assert!(m.list_sessions("gus", NOW).unwrap().is_empty(), "an expired session is removed when found");

    let t0 = m.create_session(NewSession::for_user("gus"), NOW).unwrap();
    let t1 = m.refresh(&t0.refresh_token, NOW + 900).unwrap();
    let t2 = m.refresh(&t1.refresh_token, NOW + 1800).unwrap();
    // Each refresh extends the idle expiry, but never past the absolute lifetime.
    assert_eq!(t2.refresh_expires_at, NOW + 2500);
    let claims = m.verify(&m.refresh(&t2.refresh_token, NOW + 2400).unwrap().access.token, NOW + 2400).unwrap();
    assert_eq!(claims.expires_at, NOW + 2500, "an access token never outlives its session");
    let t4 = m.list_sessions("gus", NOW + 2400).unwrap();
    assert_eq!(t4.len(), 1);
    assert!(m.get_session(&t4[0].handle, NOW + 2500).unwrap().is_none());
}

pub fn revoke_list_and_sign_out_others(store: Arc<dyn SessionStore>) {
    let m = manager(&store);
    let a = m.create_session(NewSession::for_user("hal"), NOW).unwrap();
    let b = m.create_session(NewSession::for_user("hal"), NOW + 1).unwrap();
    let c = m.create_session(NewSession::for_user("hal"), NOW + 2).unwrap();
    let other = m.create_session(NewSession::for_user("ivy"), NOW).unwrap();
    let handles: Vec<_> = m.list_sessions("hal", NOW + 3).unwrap().into_iter().map(|s| s.handle).collect();
    assert_eq!(handles, [a.session.handle.clone(), b.session.handle.clone(), c.session.handle.clone()]);
    assert!(m.revoke(&a.session.handle).unwrap());
    assert!(!m.revoke(&a.session.handle).unwrap());
    assert_eq!(reason(&m.refresh(&a.refresh_token, NOW + 4).unwrap_err()), Some(UnauthorisedReason::SessionRevoked));
    // Offline verify still accepts a's access token until it expires; the store check does not.
    assert!(m.verify(&a.access.token, NOW + 4).is_ok());
    assert_eq!(m.verify_with_store(&a.access.token, NOW + 4).unwrap_err().code(), "unauthorised");
    let (_, session) = m.verify_with_store(&b.access.token, NOW + 4).unwrap();
    assert_eq!(session.handle, b.session.handle);
    assert_eq!(m.revoke_all("hal", Some(&c.session.handle)).unwrap(), 1);
    assert_eq!(m.list_sessions("hal", NOW + 5).unwrap().len(), 1);
    assert_eq!(m.revoke_all("hal", None).unwrap(), 1);
    assert!(m.list_sessions("hal", NOW + 5).unwrap().is_empty());
    assert_eq!(m.list_sessions("ivy", NOW + 5).unwrap()[0].handle, other.session.handle);
}

pub fn update_data_claims_and_regenerate(store: Arc<dyn SessionStore>) {
    let mut cfg = config();
    cfg.front_token_claims = vec!["role".into()];
    let m = SessionManager::new(cfg, store.clone()).unwrap();
    let t0 = m.create_session(NewSession::for_user("jo"), NOW).unwrap();
    let h = &t0.session.handle;
    let s = m.update_session_data(h, json!({"theme": "dark", "n": [1, {"x": "ü"}]}), NOW + 1).unwrap();
    assert_eq!(s.data["theme"], "dark");
    m.update_access_claims(h, claims(json!({"role": "editor", "secret_flag": true})), NOW + 2).unwrap();
    let regenerated = m.regenerate_access_token(h, NOW + 3).unwrap();
    let claims = m.verify(&regenerated.token, NOW + 3).unwrap();
    assert_eq!(claims.custom["role"], "editor");
    let front = sessionward::transport::FrontToken::decode(&regenerated.front_token).unwrap();
    assert_eq!(front.user_id, "jo");
    assert_eq!(front.csrf, regenerated.token_id);
    assert_eq!(front.access_expires_at, regenerated.expires_at);
    assert_eq!(Value::Object(front.claims), json!({"role": "editor"}), "only allowlisted claims reach the browser");
    // The refresh token was not rotated by regeneration; the next refresh carries the new claims.
    let t1 = m.refresh(&t0.refresh_token, NOW + 4).unwrap();
    assert_eq!(m.verify(&t1.access.token, NOW + 4).unwrap().custom["secret_flag"], true);
    assert_eq!(m.get_session(h, NOW + 4).unwrap().unwrap().data["n"][1]["x"], "ü");
}

pub fn bad_input_changes_no_state(store: Arc<dyn SessionStore>) {
    let mut cfg = config();
    cfg.max_data_bytes = 100;
    let m = SessionManager::new(cfg, store.clone()).unwrap();
    for reserved in ["sub", "exp", "iss", "aud", "sid", "jti", "iat", "nbf"] {
        let mut new = NewSession::for_user("kim");
        new.access_claims.insert(reserved.into(), json!("x"));
        let err = m.create_session(new, NOW).unwrap_err();
        assert_eq!(err.code(), "invalid_argument", "{reserved}");
        assert!(err.to_string().contains(reserved));
    }
    let mut big = NewSession::for_user("kim");
    big.access_claims.insert("blob".into(), json!("x".repeat(4000)));
    assert!(m.create_session(big, NOW).unwrap_err().to_string().contains("4 KB"));
    let mut big_data = NewSession::for_user("kim");
    big_data.data = json!("y".repeat(200));
    assert_eq!(m.create_session(big_data, NOW).unwrap_err().code(), "invalid_argument");
    assert_eq!(m.create_session(NewSession::for_user(""), NOW).unwrap_err().code(), "invalid_argument");
    assert!(m.list_sessions("kim", NOW).unwrap().is_empty(), "nothing was stored");

    let t0 = m.create_session(NewSession::for_user("kim"), NOW).unwrap();
    let h = &t0.session.handle;
    assert_eq!(m.update_access_claims(h, claims(json!({"sub": "root"})), NOW).unwrap_err().code(), "invalid_argument");
    assert_eq!(
        m.update_access_claims(h, claims(json!({"b": "z".repeat(4000)})), NOW).unwrap_err().code(),
        "invalid_argument"
    );
    assert_eq!(m.update_session_data(h, json!("y".repeat(200)), NOW).unwrap_err().code(), "invalid_argument");
    let s = m.get_session(h, NOW).unwrap().unwrap();
    assert!(s.access_claims.is_empty() && s.data.is_null(), "failed updates stored nothing");
    assert_eq!(m.update_session_data("no-such-handle", json!(1), NOW).unwrap_err().code(), "unauthorised");
}

pub fn max_sessions_per_user(store: Arc<dyn SessionStore>) {
    let mut cfg = config();
    cfg.max_sessions_per_user = Some(2);
    let m = SessionManager::new(cfg, store.clone()).unwrap();
    let first = m.create_session(NewSession::for_user("lee"), NOW).unwrap();
    m.create_session(NewSession::for_user("lee"), NOW + 1).unwrap();
    m.create_session(NewSession::for_user("lee"), NOW + 2).unwrap();
    let live = m.list_sessions("lee", NOW + 3).unwrap();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|s| s.handle != first.session.handle), "the oldest was signed out");
}

pub fn purge_expired(store: Arc<dyn SessionStore>) {
    let mut cfg = config();
    cfg.idle_timeout = 1000;
    let m = SessionManager::new(cfg, store.clone()).unwrap();
    m.create_session(NewSession::for_user("mo"), NOW).unwrap();
    let keep = m.create_session(NewSession::for_user("mo"), NOW + 500).unwrap();
    assert_eq!(m.purge_expired(NOW + 1000).unwrap(), 1);
    assert_eq!(m.list_sessions("mo", NOW + 1000).unwrap()[0].handle, keep.session.handle);
}

pub fn key_rotation_keeps_users_signed_in(store: Arc<dyn SessionStore>) {
    let m = manager(&store);
    let t0 = m.create_session(NewSession::for_user("nia"), NOW).unwrap();
    let old_kid = m.verify(&t0.access.token, NOW).unwrap().kid;
    let new_kid = m.rotate_keys(NOW + 10).unwrap();
    // Published at once, signing only after publish_ahead (600 s).
    let kids: Vec<String> =
        m.jwks()["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kids, [old_kid.clone(), new_kid.clone()]);
    let before = m.refresh(&t0.refresh_token, NOW + 20).unwrap();
    assert_eq!(m.verify(&before.access.token, NOW + 20).unwrap().kid, old_kid);
    let after = m.refresh(&before.refresh_token, NOW + 700).unwrap();
    assert_eq!(m.verify(&after.access.token, NOW + 700).unwrap().kid, new_kid);
    // Tokens the old key signed still verify until they expire.
    assert!(m.verify(&before.access.token, NOW + 700).is_ok());
    // Once its last token expired, purge drops the old key from the JWKS.
    m.purge_expired(NOW + 610 + 930).unwrap();
    assert_eq!(m.jwks()["keys"].as_array().unwrap().len(), 1);
    for jwk in m.jwks()["keys"].as_array().unwrap() {
        assert!(jwk.get("d").is_none() && jwk.get("k").is_none(), "no private parts in the JWKS");
    }
}

pub fn revoked_key_means_try_refresh(store: Arc<dyn SessionStore>) {
    let m = manager(&store);
    let t0 = m.create_session(NewSession::for_user("oz"), NOW).unwrap();
    let kid = m.verify(&t0.access.token, NOW).unwrap().kid;
    assert!(m.revoke_key(&kid, NOW + 1).unwrap());
    assert!(!m.revoke_key("unknown", NOW + 1).unwrap());
    assert_eq!(m.verify(&t0.access.token, NOW + 1).unwrap_err().code(), "try_refresh");
    let t1 = m.refresh(&t0.refresh_token, NOW + 2).unwrap();
    let claims = m.verify(&t1.access.token, NOW + 2).unwrap();
    assert_ne!(claims.kid, kid, "a new key signs at once");
}

pub fn instances_share_keys_and_sessions(store: Arc<dyn SessionStore>) {
    let a = manager(&store);
    a.ensure_keys(NOW).unwrap();
    let b = manager(&store);
    assert_eq!(a.jwks(), b.jwks(), "the second instance loaded the shared ring");
    let t0 = a.create_session(NewSession::for_user("pia"), NOW).unwrap();
    assert!(b.verify(&t0.access.token, NOW).is_ok());
    let t1 = b.refresh(&t0.refresh_token, NOW + 1).unwrap();
    // A retry at instance a inside the window converges on b's successor.
    assert_eq!(a.refresh(&t0.refresh_token, NOW + 2).unwrap().refresh_token, t1.refresh_token);
    // A rotation at a reaches b by itself: b meets the unknown kid and reloads the shared ring.
    let kid = a.rotate_keys(NOW + 3).unwrap();
    let t2 = a.refresh(&t1.refresh_token, NOW + 700).unwrap();
    assert_eq!(a.verify(&t2.access.token, NOW + 700).unwrap().kid, kid);
    assert!(!b.jwks().to_string().contains(&kid), "b has not synced yet");
    assert_eq!(b.verify(&t2.access.token, NOW + 700).unwrap().kid, kid);
    assert!(b.revoke(&t0.session.handle).unwrap());
    assert!(a.get_session(&t0.session.handle, NOW + 701).unwrap().is_none());
}

pub fn scheduled_rotation_happens_once(store: Arc<dyn SessionStore>) {
    let mut cfg = config();
    cfg.keys.rotate_every = Some(3600);
    cfg.keys.sync_interval = 0;
    let a = SessionManager::new(cfg.clone(), store.clone()).unwrap();
    let b = SessionManager::new(cfg, store.clone()).unwrap();
    let t0 = a.create_session(NewSession::for_user("q"), NOW).unwrap();
    b.refresh(&t0.refresh_token, NOW + 3600).unwrap();
    a.create_session(NewSession::for_user("q"), NOW + 3601).unwrap();
    assert_eq!(a.jwks()["keys"].as_array().unwrap().len(), 2, "one rotation, not one per instance");
    assert_eq!(a.jwks(), b.jwks());
}

/// Many threads refresh with the same token at once: all get the same successor, nothing is flagged.
pub fn concurrent_refresh_converges(store: Arc<dyn SessionStore>) {
    let m = Arc::new(manager(&store));
    let t0 = m.create_session(NewSession::for_user("ray"), NOW).unwrap();
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (m, barrier, token) = (m.clone(), barrier.clone(), t0.refresh_token.clone());
            std::thread::spawn(move || {
                barrier.wait();
                m.refresh(&token, NOW + 5).map(|t| t.refresh_token)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let tokens: Vec<String> = results.into_iter().map(|r| r.expect("no caller fails or sees theft")).collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "all callers received the same successor");
    // Exactly one rotation: the successor rotates once more, and the original is one generation back.
    let next = m.refresh(&tokens[0], NOW + 6).unwrap();
    assert_ne!(next.refresh_token, tokens[0]);
    assert_eq!(m.refresh(&t0.refresh_token, NOW + 7).unwrap_err().code(), "token_theft");
}

/// Expands to one `#[test]` per flow, each on a fresh store from the given constructor.
#[macro_export]
macro_rules! flow_tests {
    ($make:expr) => {
        $crate::flow_tests!(@each $make;
            login_verify_expire_refresh, retry_in_grace_returns_same_successor, replay_after_grace_is_theft,
            two_generations_back_is_theft_even_in_grace, thief_first_then_victim, garbage_and_unknown_tokens_change_nothing,
            idle_and_absolute_expiry, revoke_list_and_sign_out_others, update_data_claims_and_regenerate,
            bad_input_changes_no_state, max_sessions_per_user, purge_expired, key_rotation_keeps_users_signed_in,
            revoked_key_means_try_refresh, instances_share_keys_and_sessions, scheduled_rotation_happens_once,
            concurrent_refresh_converges);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let make = $make;
                flows::$name(make());
            }
        )*
    };
}
