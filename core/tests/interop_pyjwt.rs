//! Interop with an independent JWT implementation: access tokens verify with PyJWT given only the JWKS (or, for
//! HS256, the shared secret), forgeries are refused by PyJWT as well as by sessionward, and tokens PyJWT signs
//! with a key sessionward does not know are refused by sessionward.
//!
//! Each test mints tokens at the real current time (PyJWT has no "now" and verifies at the real clock), writes
//! them with the manager's JWKS into a JSON file and runs `tests/interop/verify_with_pyjwt.py` on it with the
//! python named by `SESSIONWARD_PYTHON`, which `scripts/test-all` sets to a venv holding
//! `tests/interop/requirements.txt`. Without it the tests skip, except under CI, where they fail.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sessionward::{
    AccessClaims, Algorithm, Config, Error, IssuedTokens, KeyRing, MemoryStore, NewSession, SessionManager, SigningKey,
    TokenPolicy, UnauthorisedReason, UnixTime, unix_now, verify_access_token,
};
use std::path::{Path, PathBuf};
use std::process::Command;

const ISS: &str = "https://auth.interop.test";
const AUD: &str = "interop-api";
const HS_KID: &str = "hs1";

type TestResult = Result<(), Box<dyn std::error::Error>>;

// ----- environment -----

/// The python to run PyJWT with, or `None` to skip (never under CI).
fn python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("SESSIONWARD_PYTHON").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(python));
    }
    let on_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    assert!(
        !on_ci,
        "SESSIONWARD_PYTHON is not set, but CI is: the PyJWT interop tests must run in CI; run scripts/test-all, \
         which installs tests/interop/requirements.txt into .venv and sets SESSIONWARD_PYTHON"
    );
    eprintln!(
        "skipping: set SESSIONWARD_PYTHON to a python with tests/interop/requirements.txt installed, or run \
         scripts/test-all"
    );
    None
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/verify_with_pyjwt.py")
}

/// Write `vectors` into `dir` and have PyJWT check them; fails with the script's whole output unless it exits 0.
fn run_pyjwt(python: &Path, vectors: &Value, dir: &Path) -> TestResult {
    let file = dir.join("vectors.json");
    std::fs::write(&file, serde_json::to_vec_pretty(vectors)?)?;
    let script = script();
    let output = Command::new(python)
        .arg(&script)
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run SESSIONWARD_PYTHON={}: {e}", python.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprint!("{stderr}");
    assert!(
        output.status.success(),
        "PyJWT did not accept sessionward's tokens as expected ({}; {} {} {}):\n--- stdout ---\n{stdout}\n--- stderr \
         ---\n{stderr}",
        output.status,
        python.display(),
        script.display(),
        file.display()
    );
    Ok(())
}

// ----- managers and tokens -----

fn config(algorithm: Algorithm) -> Config {
    let mut config = Config::new(ISS, AUD);
    config.keys.algorithm = algorithm;
    // A rotated key signs at once, so one test holds tokens of both the old and the new key.
    config.keys.publish_ahead = 0;
    config.keys.sync_interval = 0;
    config
}

fn mint(manager: &SessionManager, user: &str, claims: Value, now: UnixTime) -> Result<IssuedTokens, Error> {
    let access_claims: Map<String, Value> = claims.as_object().cloned().expect("claims are an object");
    manager.create_session(NewSession { user_id: user.into(), access_claims, ..NewSession::default() }, now)
}

/// A manager signing with a copy of `key` (same kid, same key material) under another configuration.
fn twin(key: &SigningKey, config: Config) -> Result<SessionManager, Error> {
    let der = key.private_der().expect("a signing key has a private part");
    let copy = SigningKey::from_private_der(key.algorithm(), der, Some(key.kid().to_owned()))?;
    SessionManager::with_key_ring(config, MemoryStore::new(), KeyRing::with_key(copy))
}

/// A manager signing with a fresh key of `algorithm`, under `kid` (a random kid if `None`).
fn impostor(algorithm: Algorithm, kid: Option<&str>) -> Result<SessionManager, Error> {
    let fresh = SigningKey::generate(algorithm)?;
    let der = fresh.private_der().expect("a generated key has a private part");
    let key = SigningKey::from_private_der(algorithm, der, kid.map(str::to_owned))?;
    SessionManager::with_key_ring(config(algorithm), MemoryStore::new(), KeyRing::with_key(key))
}

fn parts(token: &str) -> [&str; 3] {
    let mut parts = token.splitn(3, '.');
    let mut next = || parts.next().expect("a compact JWS has three parts");
    [next(), next(), next()]
}

fn decode_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn encode_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// `token` with one claim changed and the original signature kept.
fn with_claim(token: &str, name: &str, value: Value) -> String {
    let [header, payload, signature] = parts(token);
    let mut claims = decode_json(payload);
    claims[name] = value;
    format!("{header}.{}.{signature}", encode_json(&claims))
}

/// `token` re-headed as `alg: none`, same kid and claims, without a signature.
fn unsigned(token: &str) -> String {
    let [header, payload, _] = parts(token);
    let kid = decode_json(header)["kid"].clone();
    format!("{}.{payload}.", encode_json(&json!({"alg": "none", "typ": "at+jwt", "kid": kid})))
}

/// A genuine token for the vectors, with every claim PyJWT must return. Also checks sessionward's own view.
fn genuine(
    name: &str,
    manager: &SessionManager,
    kid: &str,
    issued: &IssuedTokens,
    now: UnixTime,
) -> Result<Value, Error> {
    let verified = manager.verify(&issued.access.token, now)?;
    assert_eq!(verified.kid, kid, "{name}: signed by the expected key");
    let exp = now + manager.config().access_ttl;
    assert_eq!(issued.access.expires_at, exp, "{name}");
    let mut expect = json!({
        "iss": ISS,
        "aud": AUD,
        "sub": issued.session.user_id,
        "sid": issued.session.handle,
        "jti": issued.access.token_id,
        "iat": now,
        "exp": exp,
    });
    let registered = expect.as_object_mut().expect("object");
    registered.extend(issued.session.access_claims.clone());
    let alg = manager.ring().entry(kid)?.key.algorithm().as_str();
    Ok(json!({"name": name, "alg": alg, "kid": kid, "token": issued.access.token, "expect": expect}))
}

/// A forgery for the vectors; sessionward must refuse it too, so the two implementations agree.
fn forged(manager: &SessionManager, now: UnixTime, name: &str, token: String, reject_as: &str) -> Value {
    if let Ok(claims) = manager.verify(&token, now) {
        panic!("forged token {name:?} ACCEPTED by sessionward (sub {:?}, kid {:?})", claims.subject, claims.kid);
    }
    json!({"name": name, "token": token, "reject_as": reject_as})
}

#[track_caller]
fn assert_refused(verdict: sessionward::Result<AccessClaims>, reason: UnauthorisedReason, case: &str) {
    match verdict {
        Ok(claims) => panic!("{case}: ACCEPTED by sessionward (sub {:?}, kid {:?})", claims.subject, claims.kid),
        Err(err) => {
            assert_eq!(err.code(), "unauthorised", "{case}: {err}");
            assert!(
                matches!(err, Error::Unauthorised { reason: got } if got == reason),
                "{case}: refused for the wrong reason ({err:?}; expected {reason:?})"
            );
        }
    }
}

/// The other direction: tokens PyJWT signed with a key of its own are refused by sessionward, for the key alone.
fn check_pyjwt_minted(manager: &SessionManager, minted: &Path, case: &str) -> TestResult {
    let minted: Value = serde_json::from_slice(&std::fs::read(minted)?)?;
    let token = |label: &str| minted["tokens"][label].as_str().map(str::to_owned).expect("minted token");
    let now = unix_now();
    let unknown = format!("{case} token PyJWT signed with its own key under its own kid");
    assert_refused(manager.verify(&token("unknown_kid"), now), UnauthorisedReason::UnknownKey, &unknown);
    let known = format!("{case} token PyJWT signed with its own key under sessionward's kid");
    assert_refused(manager.verify(&token("known_kid"), now), UnauthorisedReason::Signature, &known);
    // Control: given the PyJWT key, sessionward accepts the same token, so the refusals were about the key only.
    let mut ring = KeyRing::new();
    ring.add(SigningKey::from_jwk(&minted["verify_jwk"].to_string())?, 0)?;
    let claims = verify_access_token(&token("unknown_kid"), &ring, &TokenPolicy::new(ISS, AUD), now)?;
    assert_eq!(claims.subject, "pyjwt-user", "{case}");
    assert_eq!(claims.session_handle, "pyjwt-session", "{case}");
    assert_eq!(claims.custom, *json!({"role": "admin"}).as_object().expect("object"), "{case}");
    Ok(())
}

// ----- the tests -----

/// EdDSA, ES256 or RS256: tokens of a rotated-out key and of its successor verify against one JWKS.
fn asymmetric_tokens_verify_with_pyjwt(algorithm: Algorithm) -> TestResult {
    let Some(python) = python() else { return Ok(()) };
    let now = unix_now();
    let manager = SessionManager::new(config(algorithm), MemoryStore::new())?;
    manager.ensure_keys(now)?;
    let old_kid = manager.ring().signing_key(now)?.kid().to_owned();
    let admin = mint(&manager, "alice", json!({"role": "admin"}), now)?;
    let new_kid = manager.rotate_keys(now)?;
    assert_ne!(new_kid, old_kid);
    let rich_claims = json!({
        "role": "admin",
        "org": 7,
        "scope": ["read", "write"],
        "display": "Zoë ✓ \"quoted\"",
        "flags": {"beta": true, "ratio": 0.5, "none": null},
    });
    let rich = mint(&manager, "bob@example.com", rich_claims, now)?;

    let jwks = manager.jwks();
    let kids: Vec<&str> = jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str()).collect();
    assert_eq!(kids, [old_kid.as_str(), new_kid.as_str()], "the retired and the new key are both published");
    let tokens = [
        genuine("signed before rotation (old key)", &manager, &old_kid, &admin, now)?,
        genuine("signed after rotation (new key)", &manager, &new_kid, &rich, now)?,
    ];

    let ring = manager.ring();
    let key = ring.signing_key(now)?;
    assert_eq!(key.kid(), new_kid);
    let public_jwk = serde_json::to_string(key.public_jwk().expect("an asymmetric key is published"))?;
    let hmac_confusion = SigningKey::from_secret(public_jwk.as_bytes(), Some(new_kid.clone()))?;
    let hmac_confusion =
        SessionManager::with_key_ring(config(algorithm), MemoryStore::new(), KeyRing::with_key(hmac_confusion))?;
    let role = || json!({"role": "admin"});
    let forge = |name: &str, token: String, reject_as: &str| forged(&manager, now, name, token, reject_as);
    let forged = [
        forge(
            "payload modified (role raised)",
            with_claim(&admin.access.token, "role", json!("superadmin")),
            "InvalidSignatureError",
        ),
        forge(
            "payload modified (sub swapped)",
            with_claim(&rich.access.token, "sub", json!("alice")),
            "InvalidSignatureError",
        ),
        forge(
            "signed by another key under the published kid",
            mint(&impostor(algorithm, Some(&new_kid))?, "mallory", role(), now)?.access.token,
            "InvalidSignatureError",
        ),
        forge(
            "signed by an unpublished key",
            mint(&impostor(algorithm, None)?, "mallory", role(), now)?.access.token,
            "UnknownKid",
        ),
        forge("alg none", unsigned(&rich.access.token), "InvalidAlgorithmError"),
        forge(
            "HS256 keyed with the published public JWK",
            mint(&hmac_confusion, "mallory", role(), now)?.access.token,
            "InvalidAlgorithmError",
        ),
        forge(
            "expired (genuine key)",
            mint(&twin(key, config(algorithm))?, "alice", role(), now - 2000)?.access.token,
            "ExpiredSignatureError",
        ),
        forge(
            "other audience (genuine key)",
            mint(&twin(key, Config::new(ISS, "another-api"))?, "alice", role(), now)?.access.token,
            "InvalidAudienceError",
        ),
        forge(
            "other issuer (genuine key)",
            mint(&twin(key, Config::new("https://evil.test", AUD))?, "alice", role(), now)?.access.token,
            "InvalidIssuerError",
        ),
    ];

    let dir = tempfile::tempdir()?;
    let minted = dir.path().join("minted.json");
    let vectors = json!({
        "issuer": ISS,
        "audience": AUD,
        "now": now,
        "jwks": jwks,
        "tokens": tokens,
        "forged": forged,
        "mint": {"alg": algorithm.as_str(), "known_kid": new_kid, "out": minted.to_str().expect("UTF-8 temp path")},
    });
    run_pyjwt(&python, &vectors, dir.path())?;
    check_pyjwt_minted(&manager, &minted, algorithm.as_str())
}

#[test]
fn eddsa_tokens_verify_with_pyjwt_given_only_the_jwks() -> TestResult {
    asymmetric_tokens_verify_with_pyjwt(Algorithm::EdDSA)
}

#[test]
fn es256_tokens_verify_with_pyjwt_given_only_the_jwks() -> TestResult {
    asymmetric_tokens_verify_with_pyjwt(Algorithm::ES256)
}

#[test]
fn rs256_tokens_verify_with_pyjwt_given_only_the_jwks() -> TestResult {
    asymmetric_tokens_verify_with_pyjwt(Algorithm::RS256)
}

#[test]
fn hs256_tokens_verify_with_pyjwt_given_the_shared_secret() -> TestResult {
    let Some(python) = python() else { return Ok(()) };
    let now = unix_now();
    let secret = SigningKey::generate(Algorithm::HS256)?.private_der().expect("a secret").to_vec();
    let ring = KeyRing::with_key(SigningKey::from_secret(&secret, Some(HS_KID.into()))?);
    let manager = SessionManager::with_key_ring(config(Algorithm::HS256), MemoryStore::new(), ring)?;
    manager.ensure_keys(now)?;
    assert_eq!(manager.jwks(), json!({"keys": []}), "an HMAC secret is never published");
    let admin = mint(&manager, "alice", json!({"role": "admin"}), now)?;
    let rich = mint(&manager, "bob", json!({"role": "admin", "org": 7, "scope": ["read"], "display": "Zoë"}), now)?;
    let tokens = [
        genuine("shared secret", &manager, HS_KID, &admin, now)?,
        genuine("shared secret, more claims", &manager, HS_KID, &rich, now)?,
    ];

    let ring = manager.ring();
    let key = ring.signing_key(now)?;
    let role = || json!({"role": "admin"});
    let forge = |name: &str, token: String, reject_as: &str| forged(&manager, now, name, token, reject_as);
    let forged = [
        forge(
            "payload modified (role raised)",
            with_claim(&admin.access.token, "role", json!("superadmin")),
            "InvalidSignatureError",
        ),
        forge(
            "signed with another secret under the same kid",
            mint(&impostor(Algorithm::HS256, Some(HS_KID))?, "mallory", role(), now)?.access.token,
            "InvalidSignatureError",
        ),
        forge(
            "signed with another secret and kid",
            mint(&impostor(Algorithm::HS256, None)?, "mallory", role(), now)?.access.token,
            "UnknownKid",
        ),
        forge("alg none", unsigned(&rich.access.token), "InvalidAlgorithmError"),
        forge(
            "expired (genuine secret)",
            mint(&twin(key, config(Algorithm::HS256))?, "alice", role(), now - 2000)?.access.token,
            "ExpiredSignatureError",
        ),
        forge(
            "other audience (genuine secret)",
            mint(&twin(key, Config::new(ISS, "another-api"))?, "alice", role(), now)?.access.token,
            "InvalidAudienceError",
        ),
    ];

    let dir = tempfile::tempdir()?;
    let minted = dir.path().join("minted.json");
    let vectors = json!({
        "issuer": ISS,
        "audience": AUD,
        "now": now,
        "jwks": manager.jwks(),
        "tokens": [],
        "forged": [],
        "hs256": {"secret_b64url": URL_SAFE_NO_PAD.encode(&secret), "kid": HS_KID, "tokens": tokens, "forged": forged},
        "mint": {"alg": "HS256", "known_kid": HS_KID, "out": minted.to_str().expect("UTF-8 temp path")},
    });
    run_pyjwt(&python, &vectors, dir.path())?;
    check_pyjwt_minted(&manager, &minted, "HS256")
}
