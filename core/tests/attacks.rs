//! Regression tests for the published JWT-library vulnerability classes that apply to sessionward, and for
//! its strict-parsing rules (RFC 7515, RFC 7519, RFC 8725, RFC 9068).
//!
//! Attack tokens are built by hand: genuine tokens are split, decoded, modified and re-encoded; where an attack
//! needs a valid signature the test signs the exact bytes itself, with a key it controls (the key's private DER
//! loaded into aws-lc-rs). Every refusal is checked by its exact error code and, for `unauthorised`, its reason;
//! most attacks come with an accepted control, so a refusal for the wrong reason cannot pass.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
};
use serde_json::{Map, Value, json};
use sessionward::UnauthorisedReason::{
    self, Algorithm as AlgorithmReason, Claims, Header, Malformed, Signature, UnknownKey,
};
use sessionward::{
    AccessClaims, Algorithm, Config, Error, KeyRing, MemoryStore, NewSession, RESERVED_CLAIMS, SessionManager,
    SigningKey, TokenPolicy, verify_access_token,
};

const NOW: i64 = 1_700_000_000;
const ISS: &str = "https://issuer.test";
const AUD: &str = "api";
/// The HS256 test secret (32 bytes), known to the test so it can sign any bytes.
const SECRET: &[u8; 32] = b"sessionward-attack-test-secret!!";
const HS_KID: &str = "k1";
const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The Ed25519 group order L, little-endian.
const ED25519_L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];
/// The P-256 group order n, big-endian.
const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

type Verdict = sessionward::Result<AccessClaims>;

// ----- assertions -----

#[track_caller]
fn assert_refused(verdict: Verdict, reason: UnauthorisedReason, case: &str) {
    let err = match verdict {
        Ok(claims) => panic!("{case}: ATTACK ACCEPTED (sub {:?}, kid {:?})", claims.subject, claims.kid),
        Err(err) => err,
    };
    assert_eq!(err.code(), "unauthorised", "{case}: {err}");
    match err {
        Error::Unauthorised { reason: got } => assert_eq!(got, reason, "{case}: wrong reason"),
        other => panic!("{case}: unexpected error {other}"),
    }
}

#[track_caller]
fn assert_try_refresh(verdict: Verdict, case: &str) {
    match verdict {
        Ok(claims) => panic!("{case}: accepted (exp {}), expected try_refresh", claims.expires_at),
        Err(err) => assert_eq!(err.code(), "try_refresh", "{case}: {err}"),
    }
}

#[track_caller]
fn assert_accepted(verdict: Verdict, case: &str) -> AccessClaims {
    match verdict {
        Ok(claims) => claims,
        Err(err) => panic!("{case}: control refused with {}: {err}", err.code()),
    }
}

// ----- base64url and token surgery -----

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("a genuine segment is canonical base64url")
}

/// A decoder that accepts padding and non-zero trailing bits, as lenient JWT libraries do.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn segments(token: &str) -> [&str; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    parts.try_into().expect("a genuine token has three segments")
}

fn signature_of(token: &str) -> Vec<u8> {
    unb64(segments(token)[2])
}

/// `token` with its header re-encoded after `change`; payload and signature untouched.
fn with_header(token: &str, change: impl FnOnce(&mut Map<String, Value>)) -> String {
    let [h, p, s] = segments(token);
    let mut header: Map<String, Value> = serde_json::from_slice(&unb64(h)).expect("header is JSON");
    change(&mut header);
    format!("{}.{p}.{s}", b64(Value::Object(header).to_string()))
}

/// `token` with another signature.
fn with_signature(token: &str, signature: &[u8]) -> String {
    let [h, p, _] = segments(token);
    format!("{h}.{p}.{}", b64(signature))
}

/// `text` with the lowest bit of its last base64url character set: same bytes for a lenient decoder, but the
/// unused trailing bits are no longer zero.
fn non_canonical(text: &str) -> String {
    assert_ne!(text.len() % 4, 0, "needs a partial final quantum");
    let last = *text.as_bytes().last().expect("not empty");
    let index = URL_ALPHABET.iter().position(|&c| c == last).expect("base64url character");
    assert_eq!(index & 1, 0, "the lowest bit of the last character is an unused, zero bit");
    let mut out = text[..text.len() - 1].to_owned();
    out.push(URL_ALPHABET[index | 1] as char);
    assert_eq!(LENIENT.decode(&out).unwrap(), LENIENT.decode(text).unwrap(), "a lenient decoder sees the same bytes");
    out
}

/// JSON text with `n` spaces after its opening brace (still the same JSON value), to vary its length.
fn spaced(json: &str, n: usize) -> String {
    format!("{{{}{}", " ".repeat(n), &json[1..])
}

/// A variant of `json` whose length is not a multiple of 3, so its base64 has a partial final quantum.
fn with_partial_quantum(json: &str) -> String {
    (0..3).map(|n| spaced(json, n)).find(|j| j.len() % 3 != 0).expect("one of three lengths")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
}

// ----- claims -----

fn policy() -> TokenPolicy {
    TokenPolicy::new(ISS, AUD)
}

/// Valid claims at `NOW`.
fn claims() -> Map<String, Value> {
    let claims = json!({ "iss": ISS, "aud": AUD, "sub": "u1", "sid": "s1", "jti": "j1", "iat": NOW, "exp": NOW + 900 });
    claims.as_object().unwrap().clone()
}

/// Valid claims with `name` set to `value`, or removed for `None`.
fn claims_with(name: &str, value: Option<Value>) -> Map<String, Value> {
    let mut claims = claims();
    match value {
        Some(value) => claims.insert(name.into(), value),
        None => claims.remove(name),
    };
    claims
}

/// Valid claims as raw JSON text with `exp` spelled `exp` and raw `extra` members appended.
fn raw_claims_exp(exp: &str, extra: &str) -> String {
    format!(r#"{{"iss":"{ISS}","aud":"{AUD}","sub":"u1","sid":"s1","jti":"j1","iat":{NOW},"exp":{exp}{extra}}}"#)
}

fn raw_claims(extra: &str) -> String {
    raw_claims_exp(&(NOW + 900).to_string(), extra)
}

// ----- keys the test controls -----

enum Signer {
    Hmac(Box<hmac::Key>),
    Ed25519(sig::Ed25519KeyPair),
    Ecdsa(sig::EcdsaKeyPair),
    Rsa(sig::RsaKeyPair),
}

/// A key in a verifier's ring whose private half the test also holds, so it can sign arbitrary bytes.
struct Forger {
    alg: Algorithm,
    kid: String,
    der: Vec<u8>,
    signer: Signer,
    ring: KeyRing,
}

impl Forger {
    /// HS256 with the known `SECRET` and kid `k1`.
    fn hs256() -> Self {
        Self::load(Algorithm::HS256, SECRET, HS_KID)
    }

    fn generate(alg: Algorithm) -> Self {
        let key = SigningKey::generate(alg).unwrap();
        Self::load(alg, key.private_der().unwrap(), key.kid())
    }

    /// The key a manager signs with now.
    fn of_manager(manager: &SessionManager) -> Self {
        manager.ensure_keys(NOW).unwrap();
        let ring = manager.ring();
        let key = ring.signing_key(NOW).unwrap();
        Self::load(key.algorithm(), key.private_der().unwrap(), key.kid())
    }

    fn load(alg: Algorithm, der: &[u8], kid: &str) -> Self {
        let signer = match alg {
            Algorithm::HS256 => Signer::Hmac(Box::new(hmac::Key::new(hmac::HMAC_SHA256, der))),
            Algorithm::EdDSA => Signer::Ed25519(sig::Ed25519KeyPair::from_pkcs8(der).unwrap()),
            Algorithm::ES256 => {
                Signer::Ecdsa(sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, der).unwrap())
            }
            Algorithm::RS256 => Signer::Rsa(sig::RsaKeyPair::from_pkcs8(der).unwrap()),
        };
        let mut forger = Self { alg, kid: kid.into(), der: der.to_vec(), signer, ring: KeyRing::new() };
        forger.ring = KeyRing::with_key(forger.twin());
        forger
    }

    /// The same key as a `SigningKey`, for another ring.
    fn twin(&self) -> SigningKey {
        SigningKey::from_private_der(self.alg, &self.der, Some(self.kid.clone())).unwrap()
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match &self.signer {
            Signer::Hmac(key) => hmac::sign(key, message).as_ref().to_vec(),
            Signer::Ed25519(pair) => pair.sign(message).as_ref().to_vec(),
            Signer::Ecdsa(pair) => pair.sign(&SystemRandom::new(), message).unwrap().as_ref().to_vec(),
            Signer::Rsa(pair) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut out).unwrap();
                out
            }
        }
    }

    /// The SubjectPublicKeyInfo DER of an asymmetric key.
    fn public_der(&self) -> Vec<u8> {
        fn spki(key: &impl AsDer<PublicKeyX509Der<'static>>) -> Vec<u8> {
            key.as_der().unwrap().as_ref().to_vec()
        }
        match &self.signer {
            Signer::Ed25519(pair) => spki(pair.public_key()),
            Signer::Ecdsa(pair) => spki(pair.public_key()),
            Signer::Rsa(pair) => spki(pair.public_key()),
            Signer::Hmac(_) => panic!("an HMAC key has no public half"),
        }
    }

    fn public_jwk(&self) -> Value {
        Value::Object(self.twin().public_jwk().expect("asymmetric key").clone())
    }

    /// The header this key's tokens carry.
    fn header(&self) -> String {
        json!({ "alg": self.alg.as_str(), "typ": "at+jwt", "kid": self.kid }).to_string()
    }

    /// The header with raw `extra` members appended.
    fn header_with(&self, extra: &str) -> String {
        let header = self.header();
        format!("{}{extra}}}", &header[..header.len() - 1])
    }

    /// Sign already-encoded header and payload segments, exactly as given.
    fn seal(&self, header_b64: &str, payload_b64: &str) -> String {
        let input = format!("{header_b64}.{payload_b64}");
        let signature = b64(self.sign(input.as_bytes()));
        format!("{input}.{signature}")
    }

    fn forge_raw(&self, header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
        self.seal(&b64(header), &b64(payload))
    }

    fn forge(&self, claims: &Map<String, Value>) -> String {
        self.forge_raw(self.header(), Value::Object(claims.clone()).to_string())
    }

    fn verify(&self, token: &str) -> Verdict {
        verify_access_token(token, &self.ring, &policy(), NOW)
    }
}

// ----- genuine tokens -----

fn manager(alg: Algorithm) -> SessionManager {
    let mut config = Config::new(ISS, AUD);
    config.keys.algorithm = alg;
    SessionManager::new(config, MemoryStore::new()).unwrap()
}

fn sign_in(manager: &SessionManager) -> String {
    manager.create_session(NewSession::for_user("u1"), NOW).unwrap().access.token
}

// ===== controls =====

// Controls: genuine tokens of every algorithm, and hand-built ones signed by the same key, verify.
#[test]
fn controls_genuine_and_hand_built_tokens_are_accepted() {
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let genuine = assert_accepted(manager.verify(&token, NOW), alg.as_str());
        assert_eq!((genuine.subject.as_str(), genuine.issued_at), ("u1", NOW));
        let forger = Forger::of_manager(&manager);
        assert_eq!(genuine.kid, forger.kid);
        let forged = assert_accepted(manager.verify(&forger.forge(&claims()), NOW), alg.as_str());
        assert_eq!(
            (forged.subject.as_str(), forged.session_handle.as_str(), forged.token_id.as_str(), forged.expires_at),
            ("u1", "s1", "j1", NOW + 900)
        );
    }
    let hs = assert_accepted(Forger::hs256().verify(&Forger::hs256().forge(&claims())), "HS256 test key");
    assert_eq!(hs.kid, HS_KID);
}

// ===== algorithm =====

// CVE-2015-9235 class (`alg: none` accepted as "no signature needed"), in every spelling, with and without a
// signature segment.
#[test]
fn alg_none_in_every_spelling_is_refused() {
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let genuine_signature = segments(&token)[2].to_owned();
        for none in ["none", "None", "NONE", "nOnE"] {
            let unsigned = with_header(&token, |h| {
                h.insert("alg".into(), json!(none));
            });
            let [h, p, _] = segments(&unsigned);
            for signature in ["", genuine_signature.as_str(), "AA"] {
                let case = format!("{alg} key, alg {none}, signature {:?}", &signature[..signature.len().min(8)]);
                assert_refused(manager.verify(&format!("{h}.{p}.{signature}"), NOW), AlgorithmReason, &case);
            }
            let no_kid = with_header(&unsigned, |h| {
                h.remove("kid");
            });
            let [h, p, _] = segments(&no_kid);
            assert_refused(manager.verify(&format!("{h}.{p}."), NOW), UnknownKey, &format!("alg {none} without kid"));
        }
    }
}

// CVE-2016-10555 / CVE-2022-29217 class (HS/RS confusion): the victim's public key (JWK, JWKS, `x`/`y`/`n`/`e`,
// SPKI DER, PEM) used as the HMAC secret of an `alg: HS256` token naming the victim key's `kid`.
#[test]
fn alg_confusion_public_key_as_hmac_secret_is_refused() {
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let victim = Forger::of_manager(&manager);
        let jwk = victim.public_jwk();
        let mut secrets: Vec<(String, Vec<u8>)> = vec![
            ("JWK".into(), jwk.to_string().into_bytes()),
            ("JWKS".into(), manager.jwks().to_string().into_bytes()),
            ("SPKI DER".into(), victim.public_der()),
            ("PEM".into(), pem(&victim.public_der()).into_bytes()),
            ("PEM without final newline".into(), pem(&victim.public_der()).trim_end().as_bytes().to_vec()),
        ];
        for member in ["x", "y", "n", "e"] {
            if let Some(text) = jwk.get(member).and_then(Value::as_str) {
                secrets.push((format!("`{member}` text"), text.as_bytes().to_vec()));
                secrets.push((format!("`{member}` bytes"), unb64(text)));
            }
        }
        let header = json!({ "alg": "HS256", "typ": "at+jwt", "kid": victim.kid }).to_string();
        let payload = segments(&token)[1];
        for (what, secret) in secrets {
            let input = format!("{}.{payload}", b64(&header));
            let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &secret), input.as_bytes());
            let forged = format!("{input}.{}", b64(tag));
            assert_refused(manager.verify(&forged, NOW), AlgorithmReason, &format!("{alg} key, {what} as HMAC secret"));
        }
    }
}

// RFC 8725 §3.1 (algorithm substitution): a signature valid under the header's algorithm, by another key of the
// ring, relabelled with a key whose pinned algorithm differs; and unsupported or mis-cased algorithm names.
#[test]
fn alg_substitution_between_keys_is_refused() {
    let forgers = Algorithm::ALL.map(Forger::generate);
    for victim in &forgers {
        for attacker in forgers.iter().filter(|a| a.alg != victim.alg) {
            let mut ring = victim.ring.clone();
            ring.add(attacker.twin(), NOW - 60).unwrap();
            let case = format!("{} token relabelled as {} key", attacker.alg, victim.alg);
            // Control: the attacker's key, named by its own kid, verifies in this ring.
            assert_accepted(verify_access_token(&attacker.forge(&claims()), &ring, &policy(), NOW), &case);
            let header = json!({ "alg": attacker.alg.as_str(), "typ": "at+jwt", "kid": victim.kid }).to_string();
            let relabelled = attacker.forge_raw(header, raw_claims(""));
            assert_refused(verify_access_token(&relabelled, &ring, &policy(), NOW), AlgorithmReason, &case);
        }
        let name = victim.alg.as_str();
        let variants = [
            name.to_lowercase(),
            name.to_uppercase(),
            format!(" {name}"),
            format!("{name} "),
            format!("{name}\u{0}"),
            "HS512".into(),
            "HS384".into(),
            "RS512".into(),
            "PS256".into(),
            "ES384".into(),
            "ES256K".into(),
            "Ed25519".into(),
            "Ed448".into(),
        ];
        for variant in variants.into_iter().filter(|v| v != name) {
            // Signed by the victim's own key: only the name is wrong.
            let header = json!({ "alg": variant, "typ": "at+jwt", "kid": victim.kid }).to_string();
            let case = format!("{name} key with alg {variant:?}");
            assert_refused(victim.verify(&victim.forge_raw(header, raw_claims(""))), AlgorithmReason, &case);
        }
    }
}

// RFC 7515 §4.1.1 (`alg` is required): a missing or non-string `alg` never falls back to the key's algorithm.
#[test]
fn alg_missing_or_not_a_string_is_refused() {
    let f = Forger::hs256();
    for alg in [None, Some(Value::Null), Some(json!(["HS256"])), Some(json!({ "name": "HS256" })), Some(json!(256))] {
        let mut header = json!({ "typ": "at+jwt", "kid": HS_KID });
        if let Some(alg) = &alg {
            header["alg"] = alg.clone();
        }
        let token = f.forge_raw(header.to_string(), raw_claims(""));
        assert_refused(f.verify(&token), AlgorithmReason, &format!("alg {alg:?}"));
    }
}

// ===== key selection =====

// RFC 8725 §3.10 (kid injection: path traversal, SQL, NUL, case games): a kid is only ever an exact ring lookup.
#[test]
fn unknown_kid_is_refused() {
    let f = Forger::hs256();
    let kids = [
        "nope",
        "K1",
        "k1 ",
        " k1",
        "k1\u{0}",
        "k1/../k1",
        "../../../../../../dev/null",
        "/etc/passwd",
        "' OR '1'='1",
        "k1' --",
        "x' UNION SELECT 'c2Vzc2lvbndhcmQ=' --",
        "*",
        "%",
        "",
    ];
    for kid in kids {
        // Validly signed with the ring's HS256 secret: only the kid is wrong.
        let header = json!({ "alg": "HS256", "typ": "at+jwt", "kid": kid }).to_string();
        assert_refused(f.verify(&f.forge_raw(header, raw_claims(""))), UnknownKey, &format!("kid {kid:?}"));
    }
}

// RFC 8725 §3.10: a missing or non-string kid never falls back to "the only key" or "try every key".
#[test]
fn missing_or_non_string_kid_is_refused() {
    let f = Forger::hs256();
    let kids = [
        None,
        Some(Value::Null),
        Some(json!(1)),
        Some(json!([HS_KID])),
        Some(json!({ "id": HS_KID })),
        Some(json!(true)),
    ];
    for kid in kids {
        let mut header = json!({ "alg": "HS256", "typ": "at+jwt" });
        if let Some(kid) = &kid {
            header["kid"] = kid.clone();
        }
        let token = f.forge_raw(header.to_string(), raw_claims(""));
        assert_refused(f.verify(&token), UnknownKey, &format!("kid {kid:?}"));
    }
}

// CVE-2018-0114 class (node-jose trusted a `jwk` embedded in the header): the attacker's own key, with a valid
// attacker signature, is refused whichever kid it names.
#[test]
fn embedded_jwk_with_attacker_key_is_refused() {
    let manager = manager(Algorithm::EdDSA);
    let victim = Forger::of_manager(&manager);
    let attacker = Forger::generate(Algorithm::EdDSA);
    for kid in [victim.kid.as_str(), attacker.kid.as_str()] {
        let header = json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": kid, "jwk": attacker.public_jwk() });
        let forged = attacker.forge_raw(header.to_string(), raw_claims(""));
        assert_refused(manager.verify(&forged, NOW), Header, &format!("embedded attacker jwk, kid {kid}"));
    }
    // A symmetric key embedded as an `oct` JWK, with a valid HMAC under it.
    let oct = json!({ "alg": "HS256", "typ": "at+jwt", "kid": victim.kid, "jwk": { "kty": "oct", "k": b64(SECRET) } });
    let forged = Forger::hs256().forge_raw(oct.to_string(), raw_claims(""));
    assert_refused(manager.verify(&forged, NOW), Header, "embedded oct jwk");
    // Even the genuine key, embedded and signed by itself, is refused: the member alone is the fault.
    let header = json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": victim.kid, "jwk": victim.public_jwk() });
    assert_refused(manager.verify(&victim.forge_raw(header.to_string(), raw_claims("")), NOW), Header, "own jwk");
}

// CVE-2018-0114 class and jku/x5u SSRF / key-injection class (RFC 7515 §4.1.2-4.1.8): key references in the
// header are never fetched or trusted, even on a token validly signed by the ring's key.
#[test]
fn remote_and_certificate_key_references_are_refused() {
    let members = [
        ("jku", json!("https://attacker.test/jwks.json")),
        ("x5u", json!("https://attacker.test/cert.pem")),
        ("x5c", json!([STANDARD.encode(b"not really a certificate")])),
        ("x5t", json!(b64([7u8; 20]))),
        ("x5t#S256", json!(b64([7u8; 32]))),
    ];
    for forger in [Forger::hs256(), Forger::generate(Algorithm::EdDSA)] {
        for (name, value) in &members {
            let extra = format!(",{}:{value}", json!(name));
            let token = forger.forge_raw(forger.header_with(&extra), raw_claims(""));
            assert_refused(forger.verify(&token), Header, &format!("{} with {name}", forger.alg));
        }
    }
}

// RFC 7515 §4.1.11: a `crit` header names extensions that must be understood; sessionward implements none, so
// any `crit` (even empty or malformed) is refused.
#[test]
fn crit_with_any_value_is_refused() {
    let f = Forger::hs256();
    let crits = [
        r#","crit":["exp"]"#,
        r#","crit":[]"#,
        r#","crit":["b64"],"b64":false"#,
        r#","crit":"b64""#,
        r#","crit":null"#,
        r#","crit":["alg"]"#,
        r#","crit":[1]"#,
    ];
    for extra in crits {
        assert_refused(f.verify(&f.forge_raw(f.header_with(extra), raw_claims(""))), Header, extra);
    }
}

// RFC 8725 §3.12 / RFC 7797 / RFC 7516: unlisted header members (`b64`, `zip`, `cty` nested JWTs, JWE members,
// replicated claims, look-alike names) change how a token would be read and are refused.
#[test]
fn unlisted_header_members_are_refused() {
    let f = Forger::hs256();
    let extras = [
        r#","b64":false"#,
        r#","zip":"DEF""#,
        r#","cty":"JWT""#,
        r#","cty":"at+jwt""#,
        r#","enc":"A256GCM""#,
        r#","epk":{"kty":"OKP"}"#,
        r#","iss":"https://issuer.test""#,
        r#","sub":"admin""#,
        r#","Alg":"none""#,
        r#","KID":"k1""#,
        r#","":"""#,
        r#","nonce":"n""#,
        r#","url":"https://attacker.test""#,
    ];
    for extra in extras {
        assert_refused(f.verify(&f.forge_raw(f.header_with(extra), raw_claims(""))), Header, extra);
    }
}

// RFC 8725 §3.11 (explicit typing) / RFC 9068 §2.1: a token without `typ: at+jwt` (an ID token, a generic `JWT`)
// from the same issuer and key must not pass as an access token.
#[test]
fn typ_missing_or_other_than_at_jwt_is_refused() {
    let f = Forger::hs256();
    let typs = [
        None,
        Some(json!("JWT")),
        Some(json!("jwt")),
        Some(json!("JOSE")),
        Some(json!("application/jwt")),
        Some(json!("id_token+jwt")),
        Some(json!("dpop+jwt")),
        Some(json!("at-jwt")),
        Some(json!("at+jwt ")),
        Some(json!(" at+jwt")),
        Some(json!("at+jwt\u{0}")),
        Some(json!("application/at+jwt; charset=utf-8")),
        Some(json!("")),
        Some(json!(1)),
        Some(Value::Null),
        Some(json!(["at+jwt"])),
    ];
    for typ in typs {
        let mut header = json!({ "alg": "HS256", "kid": HS_KID });
        if let Some(typ) = &typ {
            header["typ"] = typ.clone();
        }
        let token = f.forge_raw(header.to_string(), raw_claims(""));
        assert_refused(f.verify(&token), Header, &format!("typ {typ:?}"));
    }
}

// RFC 9068 §2.1 / RFC 7515 §4.1.9 (media types compare case-insensitively): `at+jwt` in any case is accepted.
#[test]
fn typ_at_jwt_is_accepted_in_any_case() {
    let f = Forger::hs256();
    for typ in ["at+jwt", "at+JWT", "AT+JWT", "At+Jwt", "application/at+jwt", "APPLICATION/AT+JWT"] {
        let header = json!({ "alg": "HS256", "typ": typ, "kid": HS_KID }).to_string();
        let claims = assert_accepted(f.verify(&f.forge_raw(header, raw_claims(""))), typ);
        assert_eq!(claims.subject, "u1", "{typ}");
    }
}

// ===== signatures =====

// CVE-2020-28042 class (signature not checked when absent): an empty third segment is refused.
#[test]
fn signature_stripping_is_refused() {
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let [h, p, _] = segments(&token);
        assert_refused(manager.verify(&format!("{h}.{p}."), NOW), Signature, &format!("{alg} stripped"));
    }
}

// CVE-2020-28042 class (signature compared only up to the presented length): truncated, shortened or padded
// signatures are refused.
#[test]
fn truncated_or_resized_signature_is_refused() {
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let genuine = signature_of(&token);
        let len = genuine.len();
        let mut cases: Vec<(String, Vec<u8>)> = [len - 1, len / 2, 16, 1]
            .into_iter()
            .map(|n| (format!("first {n} bytes"), genuine[..n].to_vec()))
            .collect();
        cases.push(("last byte dropped from the front".into(), genuine[1..].to_vec()));
        cases.push(("zero byte appended".into(), [genuine.as_slice(), &[0]].concat()));
        cases.push(("zero byte prepended".into(), [&[0], genuine.as_slice()].concat()));
        cases.push(("doubled".into(), genuine.repeat(2)));
        for (what, signature) in cases {
            assert_refused(
                manager.verify(&with_signature(&token, &signature), NOW),
                Signature,
                &format!("{alg} {what}"),
            );
        }
    }
}

// Signature transplant class: a signature valid for another token of the same key, or made by another key of
// the same algorithm, does not verify this token.
#[test]
fn signature_from_another_token_or_key_is_refused() {
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let (first, second) = (sign_in(&manager), sign_in(&manager));
        assert_ne!(first, second);
        let swapped = with_signature(&first, &signature_of(&second));
        assert_refused(manager.verify(&swapped, NOW), Signature, &format!("{alg} signature of another session"));
        // The same claims signed by a different key of the same algorithm, relabelled with this manager's kid.
        let other = Forger::generate(alg);
        let victim = Forger::of_manager(&manager);
        let [h, p, _] = segments(&first);
        let foreign = other.sign(format!("{h}.{p}").as_bytes());
        let relabelled = format!("{h}.{p}.{}", b64(foreign));
        assert_refused(manager.verify(&relabelled, NOW), Signature, &format!("{alg} signature by another key"));
        assert_ne!(other.kid, victim.kid);
    }
}

// Integrity: flipping any bit of the payload (re-encoded canonically) or of the signature is detected.
#[test]
fn bit_flipped_payload_or_signature_is_refused() {
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let [h, p, s] = segments(&token);
        let payload = unb64(p);
        for i in 0..payload.len() {
            for bit in [0x01u8, 0x80] {
                let mut flipped = payload.clone();
                flipped[i] ^= bit;
                let forged = format!("{h}.{}.{s}", b64(&flipped));
                assert_refused(manager.verify(&forged, NOW), Signature, &format!("{alg} payload byte {i} ^ {bit:#x}"));
            }
        }
        let signature = unb64(s);
        for i in 0..signature.len() {
            let mut flipped = signature.clone();
            flipped[i] ^= 0x01;
            let case = format!("{alg} signature byte {i}");
            assert_refused(manager.verify(&with_signature(&token, &flipped), NOW), Signature, &case);
        }
        // A readable edit of the claims, re-encoded.
        let elevated = String::from_utf8(payload.clone()).unwrap().replace(r#""sub":"u1""#, r#""sub":"u2""#);
        assert_ne!(elevated.as_bytes(), payload.as_slice());
        assert_refused(manager.verify(&format!("{h}.{}.{s}", b64(elevated)), NOW), Signature, "sub edited");
    }
}

// CVE-2022-21449 ("psychic signatures", Java 15-18 ECDSA accepted r = s = 0) and the related out-of-range
// scalars r, s in {0, n}.
#[test]
fn ecdsa_psychic_signature_is_refused() {
    let manager = manager(Algorithm::ES256);
    let token = sign_in(&manager);
    assert_accepted(manager.verify(&token, NOW), "ES256 control");
    let genuine = signature_of(&token);
    assert_eq!(genuine.len(), 64);
    let (r, s) = genuine.split_at(32);
    let (zero, n) = ([0u8; 32], hex(P256_N));
    let cases = [
        ("r = s = 0 (64 zero bytes)", [zero.as_slice(), &zero].concat()),
        ("r = 0", [zero.as_slice(), s].concat()),
        ("s = 0", [r, zero.as_slice()].concat()),
        ("r = s = n", [n.as_slice(), &n].concat()),
        ("r = n", [n.as_slice(), s].concat()),
        ("s = n", [r, n.as_slice()].concat()),
        ("DER-encoded r = s = 0", hex("3006020100020100")),
    ];
    for (what, signature) in cases {
        assert_refused(manager.verify(&with_signature(&token, &signature), NOW), Signature, what);
    }
}

// RFC 7518 §3.4: an ES256 JWS signature is the fixed 64-byte R || S; the ASN.1 DER form a generic ECDSA verifier
// accepts must be refused (two spellings of one signature).
#[test]
fn ecdsa_der_encoded_signature_is_refused() {
    fn der_integer(bytes: &[u8]) -> Vec<u8> {
        let mut value: Vec<u8> = bytes.iter().copied().skip_while(|&b| b == 0).collect();
        if value.first().is_none_or(|&b| b & 0x80 != 0) {
            value.insert(0, 0);
        }
        [vec![0x02, value.len() as u8], value].concat()
    }
    let manager = manager(Algorithm::ES256);
    let token = sign_in(&manager);
    let genuine = signature_of(&token);
    let body = [der_integer(&genuine[..32]), der_integer(&genuine[32..])].concat();
    let der = [vec![0x30, body.len() as u8], body].concat();
    assert!(der.len() > 64 && der[0] == 0x30);
    assert_refused(manager.verify(&with_signature(&token, &der), NOW), Signature, "DER-encoded ES256 signature");
}

// RFC 8032 §5.1.7 (Ed25519 requires S < L): S + L is a second, malleated encoding of a valid signature.
#[test]
fn ed25519_signature_with_s_plus_l_is_refused() {
    let manager = manager(Algorithm::EdDSA);
    let token = sign_in(&manager);
    assert_accepted(manager.verify(&token, NOW), "EdDSA control");
    let genuine = signature_of(&token);
    assert_eq!(genuine.len(), 64);
    let mut malleated = genuine.clone();
    let mut carry = 0u16;
    for (byte, l) in malleated[32..].iter_mut().zip(ED25519_L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits in 32 bytes");
    assert_ne!(malleated, genuine);
    assert_refused(manager.verify(&with_signature(&token, &malleated), NOW), Signature, "S + L");
    // Degenerate signatures: all zero, and R = identity with S = 0.
    let mut identity = [0u8; 64];
    identity[0] = 1;
    for (what, signature) in [("all zero", [0u8; 64]), ("R = identity, S = 0", identity)] {
        assert_refused(manager.verify(&with_signature(&token, &signature), NOW), Signature, what);
    }
}

// ===== base64url =====

// RFC 7515 §2 / RFC 7519 §3: JWS segments are base64url *without* padding; `=` in any segment is refused, even
// where the signature covers the padded text.
#[test]
fn base64_padding_is_refused_in_every_segment() {
    let f = Forger::hs256();
    let header = with_partial_quantum(&f.header());
    let payload = with_partial_quantum(&raw_claims(""));
    assert_accepted(f.verify(&f.seal(&b64(&header), &b64(&payload))), "unpadded control");
    let padded_header = URL_SAFE.encode(&header);
    let padded_payload = URL_SAFE.encode(&payload);
    assert!(padded_header.ends_with('=') && padded_payload.ends_with('='));
    assert_refused(f.verify(&f.seal(&padded_header, &b64(&payload))), Malformed, "padded header");
    assert_refused(f.verify(&f.seal(&b64(&header), &padded_payload)), Malformed, "padded payload");
    assert_refused(f.verify(&f.seal(&b64(&header), &format!("{}%3D", b64(&payload)))), Malformed, "%3D padding");
    // Every algorithm's signature (32, 64 or 256 bytes) has a partial final quantum, so has a padded spelling.
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let [h, p, s] = segments(&token);
        let padded = URL_SAFE.encode(unb64(s));
        assert!(padded.ends_with('=') && padded.starts_with(s), "{alg}");
        assert_refused(
            manager.verify(&format!("{h}.{p}.{padded}"), NOW),
            Malformed,
            &format!("{alg} padded signature"),
        );
        assert_refused(manager.verify(&format!("{token}="), NOW), Malformed, &format!("{alg} extra ="));
    }
}

// RFC 4648 §5 vs §4: base64url's `-` and `_` must not be accepted as standard base64's `+` and `/`.
#[test]
fn base64_standard_alphabet_is_refused() {
    let f = Forger::hs256();
    let url_only = |s: &str| s.contains(['-', '_']);
    // A signature whose encoding uses `-` or `_` (found by varying the jti), re-spelled as `+` / `/`.
    let token = (0..10_000)
        .map(|i| f.forge(&claims_with("jti", Some(json!(format!("j{i}"))))))
        .find(|t| url_only(segments(t)[2]))
        .unwrap();
    assert_accepted(f.verify(&token), "control");
    let [h, p, s] = segments(&token);
    let standard = STANDARD_NO_PAD.encode(unb64(s));
    assert_ne!(standard, s);
    assert_refused(f.verify(&format!("{h}.{p}.{standard}")), Malformed, "standard-alphabet signature");
    // A payload with `?` (0x3f, encoded `_` / `/`), re-spelled and validly signed over the re-spelled text.
    let payload = raw_claims(r#","q":"???""#);
    assert!(url_only(&b64(&payload)));
    assert_accepted(f.verify(&f.seal(&b64(f.header()), &b64(&payload))), "payload control");
    let standard = STANDARD_NO_PAD.encode(&payload);
    assert_refused(f.verify(&f.seal(&b64(f.header()), &standard)), Malformed, "standard-alphabet payload");
    // A header re-spelled: a lenient decoder would see the unlisted member and say Header, not Malformed.
    let header = f.header_with(r#","q":"???""#);
    let standard = STANDARD_NO_PAD.encode(&header);
    assert_ne!(standard, b64(&header));
    assert_refused(f.verify(&f.seal(&standard, &b64(raw_claims("")))), Malformed, "standard-alphabet header");
    // Characters of neither alphabet.
    for junk in ["*", "!", "%2B", "~", "\u{e9}"] {
        let case = format!("{junk:?} in the signature");
        assert_refused(f.verify(&format!("{h}.{p}.{}{junk}{}", &s[..20], &s[20..])), Malformed, &case);
    }
}

// RFC 4648 §3.5 / RFC 7515 §2: non-zero unused bits in the last character are a second spelling of the same
// bytes; every segment must be canonical.
#[test]
fn base64_non_canonical_trailing_bits_are_refused() {
    for alg in Algorithm::ALL {
        let manager = manager(alg);
        let token = sign_in(&manager);
        let [h, p, s] = segments(&token);
        let case = format!("{alg} signature with non-canonical last character");
        assert_refused(manager.verify(&format!("{h}.{p}.{}", non_canonical(s)), NOW), Malformed, &case);
    }
    let f = Forger::hs256();
    let header = b64(with_partial_quantum(&f.header()));
    let payload = b64(with_partial_quantum(&raw_claims("")));
    assert_accepted(f.verify(&f.seal(&header, &payload)), "canonical control");
    assert_refused(f.verify(&f.seal(&non_canonical(&header), &payload)), Malformed, "non-canonical header");
    // Signed over the non-canonical text, so only the encoding is at fault.
    assert_refused(f.verify(&f.seal(&header, &non_canonical(&payload))), Malformed, "non-canonical payload");
}

// RFC 7515 §7.1 (no whitespace in the compact serialisation): decoders that skip whitespace let two texts be one
// token; whitespace anywhere is refused.
#[test]
fn whitespace_anywhere_is_refused() {
    let manager = manager(Algorithm::EdDSA);
    let token = sign_in(&manager);
    let [h, p, s] = segments(&token);
    let cases = [
        format!(" {token}"),
        format!("\t{token}"),
        format!("{token} "),
        format!("{token}\n"),
        format!("{token}\r\n"),
        format!("{h} .{p}.{s}"),
        format!("{h}.{p}. {s}"),
        format!("{h}.{p}.{}\r\n{}", &s[..40], &s[40..]),
        format!("{}\n{}.{p}.{s}", &h[..10], &h[10..]),
        format!("Bearer {token}"),
    ];
    for case in cases {
        assert_refused(manager.verify(&case, NOW), Malformed, &format!("{case:?}"));
    }
    // Whitespace inside a payload that is validly signed over its exact bytes.
    let f = Forger::hs256();
    let payload = b64(raw_claims(""));
    let (left, right) = payload.split_at(payload.len() / 2);
    for ws in [" ", "\n", "\r\n", "\t"] {
        let token = f.seal(&b64(f.header()), &format!("{left}{ws}{right}"));
        assert_refused(f.verify(&token), Malformed, &format!("{ws:?} in payload"));
    }
}

// RFC 7515 §7.1 / RFC 7516 §9: a JWS has exactly three segments (a JWE has five); anything else is refused.
#[test]
fn wrong_segment_count_or_empty_token_is_refused() {
    let manager = manager(Algorithm::EdDSA);
    let token = sign_in(&manager);
    let [h, p, s] = segments(&token);
    let cases = [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        h.to_owned(),
        format!("{h}.{p}"),
        format!("{h}.{p}.{s}."),
        format!("{h}.{p}.{s}.{s}"),
        format!("{h}..{p}.{s}"),
        format!(".{h}.{p}.{s}"),
        format!("{h}.{p}.{s}.{p}.{s}"),
        format!("{h}.{p}.{s}\u{0}"),
    ];
    for case in cases {
        assert_refused(manager.verify(&case, NOW), Malformed, &format!("{case:?}"));
    }
}

// ===== JSON =====

// CVE-2017-12635 class (duplicate JSON member names read differently by two parsers): duplicates anywhere in
// the claims are refused even when validly signed, including names spelled with escapes.
#[test]
fn duplicate_claim_names_are_refused_even_when_signed() {
    let f = Forger::hs256();
    let h = f.header();
    assert_accepted(f.verify(&f.forge_raw(&h, raw_claims(""))), "control");
    let nested = assert_accepted(f.verify(&f.forge_raw(&h, raw_claims(r#","ctx":{"role":"user"}"#))), "control");
    assert_eq!(nested.custom["ctx"]["role"], "user");
    let duplicates = [
        r#","sub":"admin""#,
        r#","\u0073ub":"admin""#,
        r#","sid":"s2""#,
        r#","exp":99999999999"#,
        r#","aud":"other""#,
        r#","iss":"https://evil.test""#,
        r#","role":"user","role":"admin""#,
        r#","ctx":{"role":"user","role":"admin"}"#,
        r#","ctx":[{"a":1,"a":2}]"#,
    ];
    for extra in duplicates {
        assert_refused(f.verify(&f.forge_raw(&h, raw_claims(extra))), Malformed, extra);
    }
}

// CVE-2017-12635 class in the header: two `alg` (e.g. `none` then `HS256`), two `kid` or two `typ`.
#[test]
fn duplicate_header_members_are_refused_even_when_signed() {
    let f = Forger::hs256();
    let headers = [
        r#"{"alg":"none","alg":"HS256","typ":"at+jwt","kid":"k1"}"#,
        r#"{"alg":"HS256","alg":"HS256","typ":"at+jwt","kid":"k1"}"#,
        r#"{"alg":"HS256","typ":"at+jwt","kid":"k1","alg":"none"}"#,
        r#"{"alg":"HS256","\u0061lg":"HS256","typ":"at+jwt","kid":"k1"}"#,
        r#"{"alg":"HS256","typ":"at+jwt","kid":"nope","kid":"k1"}"#,
        r#"{"alg":"HS256","typ":"JWT","typ":"at+jwt","kid":"k1"}"#,
    ];
    assert_accepted(f.verify(&f.forge_raw(r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#, raw_claims(""))), "control");
    for header in headers {
        assert_refused(f.verify(&f.forge_raw(header, raw_claims(""))), Malformed, header);
    }
}

// RFC 7519 §7.2 (the claims set must be a JSON object, UTF-8, RFC 8259): arrays, scalars, trailing data,
// non-JSON syntax and invalid UTF-8 in a validly signed payload are refused.
#[test]
fn payload_not_a_strict_json_object_is_refused() {
    let f = Forger::hs256();
    let base = raw_claims("");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("array", format!("[{base}]").into_bytes()),
        ("string", br#""u1""#.to_vec()),
        ("number", b"1700000000".to_vec()),
        ("null", b"null".to_vec()),
        ("empty", Vec::new()),
        ("trailing object", format!(r#"{base}{{"sub":"admin"}}"#).into_bytes()),
        ("two objects", format!("{base} {base}").into_bytes()),
        ("trailing garbage", format!("{base}x").into_bytes()),
        ("trailing NUL", format!("{base}\0").into_bytes()),
        ("byte order mark", [b"\xef\xbb\xbf".as_slice(), base.as_bytes()].concat()),
        ("trailing comma", raw_claims(",").into_bytes()),
        ("comment", format!("/*x*/{base}").into_bytes()),
        ("single quotes", raw_claims(",'x':'y'").into_bytes()),
        ("NaN", raw_claims(r#","x":NaN"#).into_bytes()),
        ("Infinity", raw_claims(r#","x":Infinity"#).into_bytes()),
        ("exp overflowing f64", raw_claims_exp("1e400", "").into_bytes()),
        ("raw 0xff in a value", [&base.as_bytes()[..base.len() - 1], br#","x":"\xff"}"#].concat()),
        ("overlong UTF-8", [&base.as_bytes()[..base.len() - 1], br#","x":"\xc0\xaf"}"#].concat()),
        ("invalid UTF-8 in a name", [&base.as_bytes()[..base.len() - 1], br#","\xfe":1}"#].concat()),
        ("lone surrogate escape", raw_claims(r#","x":"\ud800""#).into_bytes()),
        ("UTF-16", base.encode_utf16().flat_map(u16::to_le_bytes).collect()),
    ];
    for (what, payload) in cases {
        assert_refused(f.verify(&f.forge_raw(f.header(), &payload)), Malformed, what);
    }
    // An empty object parses, then fails on the missing claims.
    assert_refused(f.verify(&f.forge_raw(f.header(), "{}")), Claims, "empty object");
}

// RFC 7515 §4 (the header must be a JSON object): a header that is not one, is not UTF-8, or nests deeper than
// the header's bound (2) is refused.
#[test]
fn header_not_a_strict_json_object_is_refused() {
    let f = Forger::hs256();
    let headers: Vec<(&str, Vec<u8>)> = vec![
        ("array", br#"["HS256","at+jwt","k1"]"#.to_vec()),
        ("string", br#""HS256""#.to_vec()),
        ("null", b"null".to_vec()),
        ("empty", Vec::new()),
        ("trailing garbage", format!("{}x", f.header()).into_bytes()),
        ("invalid UTF-8", br#"{"alg":"HS256","typ":"at+jwt","kid":"k1","\xff":1}"#.to_vec()),
        ("nested too deep", br#"{"alg":"HS256","typ":"at+jwt","kid":[["k1"]]}"#.to_vec()),
    ];
    for (what, header) in headers {
        assert_refused(f.verify(&f.forge_raw(&header, raw_claims(""))), Malformed, what);
    }
}

// Parser stack-exhaustion / DoS class: JSON nested deeper than the policy's `max_json_depth` (16) is refused;
// the claims object itself is level 1.
#[test]
fn json_nested_deeper_than_max_depth_is_refused() {
    let f = Forger::hs256();
    let arrays = |n: usize| raw_claims(&format!(r#","deep":{}1{}"#, "[".repeat(n), "]".repeat(n)));
    let objects = |n: usize| raw_claims(&format!(r#","deep":{}1{}"#, r#"{"a":"#.repeat(n), "}".repeat(n)));
    let at_limit = assert_accepted(f.verify(&f.forge_raw(f.header(), arrays(15))), "16 levels of arrays");
    assert!(at_limit.custom.contains_key("deep"));
    assert_refused(f.verify(&f.forge_raw(f.header(), arrays(16))), Malformed, "17 levels of arrays");
    assert_accepted(f.verify(&f.forge_raw(f.header(), objects(15))), "16 levels of objects");
    assert_refused(f.verify(&f.forge_raw(f.header(), objects(16))), Malformed, "17 levels of objects");
    // Far deeper than serde_json's own recursion limit, with a size bound big enough to let it through.
    let roomy = TokenPolicy { max_token_bytes: 1 << 20, ..policy() };
    let abyss = f.forge_raw(f.header(), arrays(100_000));
    assert_refused(verify_access_token(&abyss, &f.ring, &roomy, NOW), Malformed, "100 000 levels");
    // The bound follows the policy.
    let shallow = TokenPolicy { max_json_depth: 4, ..policy() };
    assert_accepted(verify_access_token(&f.forge_raw(f.header(), arrays(3)), &f.ring, &shallow, NOW), "depth 4 limit");
    let too_deep = f.forge_raw(f.header(), arrays(4));
    assert_refused(verify_access_token(&too_deep, &f.ring, &shallow, NOW), Malformed, "depth 5 under limit 4");
}

// Resource-exhaustion class: a token over `max_token_bytes` (8192) is refused before any decoding or parsing.
#[test]
fn oversized_token_is_refused_before_parsing() {
    let f = Forger::hs256();
    let padded = |n: usize| f.forge(&claims_with("pad", Some(json!("x".repeat(n)))));
    let mut n = (8192 - padded(0).len()) * 3 / 4 - 8;
    let mut fits = padded(n);
    assert!(fits.len() <= 8192);
    let over = loop {
        n += 1;
        let token = padded(n);
        if token.len() > 8192 {
            break token;
        }
        fits = token;
    };
    assert!(fits.len() >= 8189 && over.len() <= 8195, "{} {}", fits.len(), over.len());
    assert_accepted(f.verify(&fits), &format!("{} bytes", fits.len()));
    assert_refused(f.verify(&over), Malformed, &format!("{} bytes", over.len()));
    // Checked first: an oversized token that would otherwise fail on its header (`jku`) says Malformed.
    let jku = f.forge_raw(
        f.header_with(r#","jku":"https://attacker.test""#),
        raw_claims(&format!(r#","pad":"{}""#, "x".repeat(8192))),
    );
    assert_refused(f.verify(&jku), Malformed, "oversized token with jku");
    assert_refused(f.verify(&"A".repeat(1 << 20)), Malformed, "1 MiB of base64");
    // The bound follows the policy, exactly.
    let token = f.forge(&claims());
    let exact = TokenPolicy { max_token_bytes: token.len(), ..policy() };
    assert_accepted(verify_access_token(&token, &f.ring, &exact, NOW), "exactly max_token_bytes");
    let short = TokenPolicy { max_token_bytes: token.len() - 1, ..policy() };
    assert_refused(verify_access_token(&token, &f.ring, &short, NOW), Malformed, "one byte over");
}

// ===== claims =====

// RFC 7519 §2 (NumericDate is a JSON number): time claims as numeric strings, booleans or objects are refused.
#[test]
fn time_claims_as_strings_or_other_types_are_refused() {
    let f = Forger::hs256();
    let cases = [
        ("exp", json!((NOW + 900).to_string())),
        ("iat", json!(NOW.to_string())),
        ("nbf", json!((NOW - 60).to_string())),
        ("exp", json!(true)),
        ("exp", Value::Null),
        ("exp", json!([NOW + 900])),
        ("exp", json!({ "t": NOW + 900 })),
        ("iat", Value::Null),
        ("nbf", json!(false)),
    ];
    for (name, value) in cases {
        let case = format!("{name} = {value}");
        assert_refused(f.verify(&f.forge(&claims_with(name, Some(value)))), Claims, &case);
    }
    // A fractional NumericDate is a number, and is accepted (truncated).
    let fractional = assert_accepted(f.verify(&f.forge(&claims_with("exp", Some(json!(NOW as f64 + 900.5))))), "900.5");
    assert_eq!(fractional.expires_at, NOW + 900);
}

// Integer-overflow class: NumericDates beyond the exactly representable range (1e300, u64::MAX, 2^53 as a
// float) are refused instead of wrapping or saturating into "never expires".
#[test]
fn time_claims_out_of_range_are_refused() {
    let f = Forger::hs256();
    let cases = [
        ("exp", json!(1e300)),
        ("exp", json!(u64::MAX)),
        ("exp", json!(i64::MAX as u64 + 1)),
        ("exp", json!(9_007_199_254_740_992.0_f64)),
        ("exp", json!(1.8e19)),
        ("iat", json!(-1e300)),
        ("nbf", json!(-1e300)),
        ("nbf", json!(u64::MAX)),
    ];
    for (name, value) in cases {
        let case = format!("{name} = {value}");
        assert_refused(f.verify(&f.forge(&claims_with(name, Some(value)))), Claims, &case);
    }
}

// RFC 9068 §2.2 (`exp` and `iat` are required in an access token): a token without them never "lasts forever".
#[test]
fn exp_or_iat_missing_is_refused() {
    let f = Forger::hs256();
    for name in ["exp", "iat"] {
        assert_refused(f.verify(&f.forge(&claims_with(name, None))), Claims, &format!("{name} missing"));
    }
}

// RFC 7519 §4.1.6: an `iat` in the future beyond the leeway (30 s) is refused; at the leeway it is accepted.
#[test]
fn iat_in_future_beyond_leeway_is_refused() {
    let f = Forger::hs256();
    assert_refused(f.verify(&f.forge(&claims_with("iat", Some(json!(NOW + 31))))), Claims, "iat now + 31");
    assert_refused(f.verify(&f.forge(&claims_with("iat", Some(json!(NOW + 86_400))))), Claims, "iat tomorrow");
    let edge = assert_accepted(f.verify(&f.forge(&claims_with("iat", Some(json!(NOW + 30))))), "iat now + 30");
    assert_eq!(edge.issued_at, NOW + 30);
}

// RFC 7519 §4.1.5: an `nbf` in the future beyond the leeway is refused; within the leeway, or past, accepted.
#[test]
fn nbf_in_future_beyond_leeway_is_refused_within_leeway_accepted() {
    let f = Forger::hs256();
    assert_refused(f.verify(&f.forge(&claims_with("nbf", Some(json!(NOW + 31))))), Claims, "nbf now + 31");
    assert_refused(f.verify(&f.forge(&claims_with("nbf", Some(json!(NOW + 600))))), Claims, "nbf now + 600");
    for nbf in [NOW + 30, NOW + 1, NOW, NOW - 600] {
        let case = format!("nbf now {:+}", nbf - NOW);
        let claims = assert_accepted(f.verify(&f.forge(&claims_with("nbf", Some(json!(nbf))))), &case);
        assert!(!claims.custom.contains_key("nbf"), "nbf is a registered claim, not a custom one");
    }
}

// RFC 7519 §4.1.4: expired at `now >= exp + leeway` → "try_refresh"; one second earlier still accepted.
#[test]
fn exp_at_leeway_boundary_is_try_refresh_one_second_earlier_accepted() {
    let f = Forger::hs256();
    assert_try_refresh(f.verify(&f.forge(&claims_with("exp", Some(json!(NOW - 30))))), "exp = now - leeway");
    assert_try_refresh(f.verify(&f.forge(&claims_with("exp", Some(json!(NOW - 86_400))))), "exp yesterday");
    let edge = assert_accepted(f.verify(&f.forge(&claims_with("exp", Some(json!(NOW - 29))))), "exp = now - 29");
    assert_eq!(edge.expires_at, NOW - 29);
    // The same boundary on a genuine token (exp = NOW + 900).
    let manager = manager(Algorithm::EdDSA);
    let token = sign_in(&manager);
    assert_accepted(manager.verify(&token, NOW + 929), "genuine at exp + 29");
    assert_try_refresh(manager.verify(&token, NOW + 930), "genuine at exp + 30");
}

// RFC 7519 §4.1.1 / RFC 8725 §3.8: `iss` must equal the expected issuer exactly (no case folding, no arrays).
#[test]
fn wrong_issuer_is_refused() {
    let f = Forger::hs256();
    let issuers = [
        None,
        Some(json!("https://evil.test")),
        Some(json!("https://ISSUER.test")),
        Some(json!("HTTPS://issuer.test")),
        Some(json!("https://issuer.test/")),
        Some(json!("https://issuer.test ")),
        Some(json!([ISS])),
        Some(json!([ISS, "https://evil.test"])),
        Some(json!("")),
        Some(json!(1)),
        Some(Value::Null),
    ];
    for iss in issuers {
        assert_refused(f.verify(&f.forge(&claims_with("iss", iss.clone()))), Claims, &format!("iss {iss:?}"));
    }
}

// RFC 7519 §4.1.3 / RFC 8725 §3.9 (token substitution across audiences): `aud` must name this audience, as a
// string or in an array of strings.
#[test]
fn audience_must_contain_this_service() {
    let f = Forger::hs256();
    let refused = [
        None,
        Some(json!("other")),
        Some(json!("API")),
        Some(json!("api ")),
        Some(json!([])),
        Some(json!(["other"])),
        Some(json!(["api", 1])),
        Some(json!([1, "api"])),
        Some(json!(["other", null, "api"])),
        Some(json!([["api"]])),
        Some(json!({ "api": true })),
        Some(json!(1)),
        Some(Value::Null),
    ];
    for aud in refused {
        assert_refused(f.verify(&f.forge(&claims_with("aud", aud.clone()))), Claims, &format!("aud {aud:?}"));
    }
    for aud in [json!("api"), json!(["api"]), json!(["other", "api"])] {
        let claims = assert_accepted(f.verify(&f.forge(&claims_with("aud", Some(aud.clone())))), &format!("aud {aud}"));
        assert!(claims.audience.iter().any(|a| a == AUD), "{aud}");
    }
}

// RFC 9068 §2.2 (`sub`, `jti` required; sessionward also requires `sid`): missing, empty or non-string ids are
// refused rather than defaulted.
#[test]
fn sub_sid_jti_missing_or_not_a_string_are_refused() {
    let f = Forger::hs256();
    for name in ["sub", "sid", "jti"] {
        let values = [
            None,
            Some(json!("")),
            Some(json!(1)),
            Some(Value::Null),
            Some(json!(true)),
            Some(json!(["u1"])),
            Some(json!({ "id": "u1" })),
        ];
        for value in values {
            let case = format!("{name} = {value:?}");
            assert_refused(f.verify(&f.forge(&claims_with(name, value))), Claims, &case);
        }
    }
}

// Oracle class (claims of a failed token are never revealed): "try_refresh" is said only of an expired token
// whose signature and other claims are valid.
#[test]
fn expired_token_with_broken_signature_is_unauthorised_not_try_refresh() {
    let manager = manager(Algorithm::EdDSA);
    let token = sign_in(&manager);
    let later = NOW + 10_000;
    assert_try_refresh(manager.verify(&token, later), "expired genuine token");
    let mut broken = signature_of(&token);
    broken[0] ^= 1;
    assert_refused(
        manager.verify(&with_signature(&token, &broken), later),
        Signature,
        "expired, bit-flipped signature",
    );
    let [h, p, _] = segments(&token);
    assert_refused(manager.verify(&format!("{h}.{p}."), later), Signature, "expired, stripped signature");
    let none = with_header(&token, |h| {
        h.insert("alg".into(), json!("none"));
    });
    assert_refused(manager.verify(&none, later), AlgorithmReason, "expired, alg none");
    // Expired and validly signed, but for another audience: unauthorised, not try_refresh.
    let f = Forger::hs256();
    let mut claims = claims_with("aud", Some(json!("other")));
    claims.insert("exp".into(), json!(NOW - 3600));
    assert_refused(f.verify(&f.forge(&claims)), Claims, "expired, wrong audience");
    claims.insert("aud".into(), json!(AUD));
    assert_try_refresh(f.verify(&f.forge(&claims)), "expired, right audience");
}

// Key compromise response (sessionward key ring): a token signed by a revoked key answers "try_refresh", and the
// replacement key signs tokens that verify.
#[test]
fn token_signed_by_revoked_key_is_try_refresh() {
    let manager = manager(Algorithm::EdDSA);
    let token = sign_in(&manager);
    let kid = assert_accepted(manager.verify(&token, NOW), "before revocation").kid;
    assert!(manager.revoke_key(&kid, NOW).unwrap());
    assert_try_refresh(manager.verify(&token, NOW), "revoked key, via manager");
    assert_try_refresh(verify_access_token(&token, &manager.ring(), &policy(), NOW), "revoked key, via ring");
    let fresh = assert_accepted(manager.verify(&sign_in(&manager), NOW), "replacement key");
    assert_ne!(fresh.kid, kid);
    assert!(!manager.revoke_key("no-such-kid", NOW).unwrap());
}

// Claim-injection class: application claims may not overwrite registered claims (`sub`, `exp`, ...); the
// session is refused before anything is stored.
#[test]
fn reserved_claim_in_app_claims_is_refused_at_creation() {
    for name in RESERVED_CLAIMS {
        let manager = manager(Algorithm::EdDSA);
        let mut new = NewSession::for_user("u1");
        new.access_claims.insert(name.into(), json!("admin"));
        let err = manager.create_session(new, NOW).unwrap_err();
        assert_eq!(err.code(), "invalid_argument", "{name}: {err}");
        assert!(manager.list_sessions("u1", NOW).unwrap().is_empty(), "{name}: a session was stored");
    }
    assert!(RESERVED_CLAIMS.contains(&"sub") && RESERVED_CLAIMS.contains(&"exp"));
    // Control: an unreserved claim creates a session that the list shows.
    let manager = manager(Algorithm::EdDSA);
    let mut new = NewSession::for_user("u1");
    new.access_claims.insert("role".into(), json!("admin"));
    let issued = manager.create_session(new, NOW).unwrap();
    assert_eq!(manager.list_sessions("u1", NOW).unwrap().len(), 1);
    assert_eq!(manager.verify(&issued.access.token, NOW).unwrap().custom["role"], "admin");
}

// ===== keys =====

// RFC 7518 §3.2 (HMAC keys at least the hash size) and small-order Ed25519 keys (one signature verifies many
// messages): weak keys and `alg: none` keys are refused at import.
#[test]
fn weak_or_unsigned_keys_are_refused_at_import() {
    for secret in [&[][..], &[7u8; 16], &[7u8; 31]] {
        let err = SigningKey::from_secret(secret, Some("weak".into())).unwrap_err();
        assert_eq!(err.code(), "bad_configuration", "{} bytes", secret.len());
    }
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let jwks = [
        json!({ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "x": b64(identity) }),
        json!({ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "x": b64([0u8; 32]) }),
        json!({ "kty": "oct", "alg": "HS256", "k": b64([7u8; 16]) }),
        json!({ "kty": "oct", "alg": "none", "k": b64(SECRET) }),
        json!({ "kty": "oct", "k": b64(SECRET) }),
        json!({ "kty": "oct", "alg": "HS256" }),
    ];
    for jwk in jwks {
        let err = SigningKey::from_jwk(&jwk.to_string()).unwrap_err();
        assert_eq!(err.code(), "bad_configuration", "{jwk}");
    }
    let strong =
        SigningKey::from_jwk(&json!({ "kty": "oct", "alg": "HS256", "k": b64(SECRET), "kid": "k1" }).to_string());
    assert_eq!(strong.unwrap().kid(), "k1");
}

// Secret disclosure class: the public JWKS never carries an HMAC secret or a private key part.
#[test]
fn jwks_never_publishes_secrets_or_private_parts() {
    let mut ring = KeyRing::with_key(SigningKey::from_secret(SECRET, Some(HS_KID.into())).unwrap());
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
        ring.add(SigningKey::generate(alg).unwrap(), NOW).unwrap();
    }
    let jwks = ring.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3, "the three asymmetric keys, not the HMAC secret");
    for key in keys {
        for private in ["d", "k", "p", "q", "dp", "dq", "qi"] {
            assert!(key.get(private).is_none(), "{private} published in {key}");
        }
    }
    assert!(!jwks.to_string().contains(&b64(SECRET)));
}
