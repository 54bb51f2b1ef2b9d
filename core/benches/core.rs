//! Criterion benchmarks of the hot paths: verify, sign, reject, create and refresh.
//!
//! `verify`, `sign` and `reject` run per algorithm and compare `SessionManager` with the bare
//! `jsonwebtoken` call doing the same job on the same token (keys built once, outside the timed loop).
//! `create` and `refresh` run on the default algorithm (EdDSA) against `MemoryStore` and `SqliteStore`.
//! Run with `cargo bench -p sessionward --bench core`; see `benches/README.md` for the results.

#![allow(missing_docs)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::signature::Verifier;
use serde_json::{Map, Value, json};
use sessionward::{
    Algorithm, Config, Error, MemoryStore, NewSession, SessionManager, SessionMetadata, SessionStore, SigningKey,
    SqliteStore, UnauthorisedReason, UnixTime, unix_now,
};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const ISSUER: &str = "https://auth.example.com";
const AUDIENCE: &str = "example-api";
const USER: &str = "user-42";

/// The application's claims of a typical access token (~100 bytes of JSON).
fn access_claims() -> Map<String, Value> {
    json!({
        "role": "editor",
        "org": { "id": 1234, "name": "Example Org Ltd" },
        "scopes": ["read", "write", "admin"],
        "plan": "pro",
    })
    .as_object()
    .cloned()
    .expect("object")
}

fn new_session() -> NewSession {
    NewSession {
        user_id: USER.into(),
        access_claims: access_claims(),
        data: Value::Null,
        metadata: SessionMetadata {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0".into()),
            ip: Some("203.0.113.7".into()),
            device: None,
        },
    }
}

fn manager(algorithm: Algorithm, store: impl SessionStore + 'static) -> SessionManager {
    let mut config = Config::new(ISSUER, AUDIENCE);
    config.keys.algorithm = algorithm;
    SessionManager::new(config, store).expect("manager")
}

fn jwt_algorithm(algorithm: Algorithm) -> jsonwebtoken::Algorithm {
    match algorithm {
        Algorithm::EdDSA => jsonwebtoken::Algorithm::EdDSA,
        Algorithm::ES256 => jsonwebtoken::Algorithm::ES256,
        Algorithm::RS256 => jsonwebtoken::Algorithm::RS256,
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
    }
}

/// Read one DER tag-length-value at the start of `der`: (tag, content, rest).
fn der_tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
    let (tag, first) = (der[0], der[1]);
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        (der[2..2 + n].iter().fold(0usize, |acc, b| (acc << 8) | *b as usize), 2 + n)
    };
    (tag, &der[header..header + len], &der[header + len..])
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo`: `jsonwebtoken`'s `EncodingKey::from_rsa_der`
/// (aws-lc-rs `RsaKeyPair::from_der`) takes PKCS#1, while `SigningKey::private_der` is PKCS#8.
fn pkcs8_to_pkcs1(pkcs8: &[u8]) -> Vec<u8> {
    let (tag, info, _) = der_tlv(pkcs8);
    assert_eq!(tag, 0x30, "PrivateKeyInfo is a SEQUENCE");
    let (tag, _version, rest) = der_tlv(info);
    assert_eq!(tag, 0x02, "version INTEGER");
    let (tag, _algorithm, rest) = der_tlv(rest);
    assert_eq!(tag, 0x30, "AlgorithmIdentifier SEQUENCE");
    let (tag, private_key, _) = der_tlv(rest);
    assert_eq!(tag, 0x04, "privateKey OCTET STRING");
    private_key.to_vec()
}

/// One algorithm's manager, a live session and a typical access token, plus the equivalent bare
/// `jsonwebtoken` keys and validation, all built once.
struct Fixture {
    algorithm: Algorithm,
    manager: SessionManager,
    now: UnixTime,
    handle: String,
    token: String,
    forged: String,
    claims: Value,
    /// The token's signing input, its decoded signature and the key, for the signature check alone.
    signing_input: Vec<u8>,
    signature: Vec<u8>,
    key: Arc<SigningKey>,
    header: jsonwebtoken::Header,
    decoding: jsonwebtoken::DecodingKey,
    encoding: jsonwebtoken::EncodingKey,
    validation: jsonwebtoken::Validation,
}

impl Fixture {
    fn new(algorithm: Algorithm) -> Self {
        // The real clock: `jsonwebtoken::decode` checks `exp` against it. The whole run is far shorter than
        // the 900 s access-token lifetime.
        let now = unix_now();
        let manager = manager(algorithm, MemoryStore::new());
        let issued = manager.create_session(new_session(), now).expect("create");
        let token = issued.access.token.clone();

        let ring = manager.ring();
        let key = ring.signing_key(now).expect("signing key");
        assert_eq!(key.algorithm(), algorithm);
        let der = key.private_der().expect("private key");
        let jwt_alg = jwt_algorithm(algorithm);
        let (decoding, encoding) = match algorithm {
            Algorithm::HS256 => (
                jsonwebtoken::DecodingKey::from_secret(der).expect("decoding key"),
                jsonwebtoken::EncodingKey::from_secret(der).expect("encoding key"),
            ),
            _ => {
                let jwk: jsonwebtoken::jwk::Jwk =
                    serde_json::from_value(Value::Object(key.public_jwk().expect("public JWK").clone()))
                        .expect("JWK parses");
                let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).expect("decoding key");
                let encoding = match algorithm {
                    Algorithm::EdDSA => jsonwebtoken::EncodingKey::from_ed_der(der),
                    Algorithm::ES256 => jsonwebtoken::EncodingKey::from_ec_der(der),
                    _ => jsonwebtoken::EncodingKey::from_rsa_der(&pkcs8_to_pkcs1(der)),
                };
                (decoding, encoding)
            }
        };
        let mut validation = jsonwebtoken::Validation::new(jwt_alg);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let mut header = jsonwebtoken::Header::new(jwt_alg);
        header.typ = Some(sessionward::ACCESS_TOKEN_TYP.into());
        header.kid = Some(key.kid().into());

        // A bad signature: change one character in the middle of the signature part, so it still decodes.
        let mut forged = token.clone().into_bytes();
        let signature_start = token.rfind('.').expect("three parts") + 1;
        let middle = signature_start + (token.len() - signature_start) / 2;
        forged[middle] = if forged[middle] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).expect("ASCII");

        let signing_input = token.as_bytes()[..signature_start - 1].to_vec();
        let signature = URL_SAFE_NO_PAD.decode(&token[signature_start..]).expect("base64url signature");
        let decoded = jsonwebtoken::decode::<Value>(&token, &decoding, &validation).expect("jsonwebtoken decodes");
        let fixture = Self {
            algorithm,
            manager,
            now,
            handle: issued.session.handle.clone(),
            token,
            forged,
            claims: decoded.claims,
            signing_input,
            signature,
            key: key.clone(),
            header,
            decoding,
            encoding,
            validation,
        };
        fixture.check();
        fixture
    }

    /// Both implementations agree on every token before anything is timed.
    fn check(&self) {
        let alg = self.algorithm;
        let ours = self.manager.verify(&self.token, self.now).expect("sessionward verifies");
        let theirs = &self.claims;
        assert_eq!(ours.subject, USER);
        assert_eq!(ours.session_handle, self.handle);
        assert_eq!(ours.custom, access_claims(), "{alg}");
        assert_eq!(theirs["sub"], ours.subject.as_str());
        assert_eq!(theirs["sid"], ours.session_handle.as_str());
        assert_eq!(theirs["jti"], ours.token_id.as_str());
        assert_eq!(theirs["iss"], ISSUER);
        assert_eq!(theirs["aud"], AUDIENCE);
        assert_eq!(theirs["iat"], ours.issued_at);
        assert_eq!(theirs["exp"], ours.expires_at);
        for (name, value) in &ours.custom {
            assert_eq!(&theirs[name], value, "{alg} claim {name}");
        }
        assert_eq!(theirs.as_object().expect("object").len(), 7 + ours.custom.len(), "{alg}: no other claims");

        // The forged token is rejected by both, for its signature.
        match self.manager.verify(&self.forged, self.now) {
            Err(Error::Unauthorised { reason: UnauthorisedReason::Signature }) => {}
            other => panic!("{alg}: forged token gave {other:?}"),
        }
        assert!(Verifier::verify(&*self.key, &self.signing_input, &self.signature).is_ok(), "{alg}");
        let err = jsonwebtoken::decode::<Value>(&self.forged, &self.decoding, &self.validation).expect_err("forged");
        assert_eq!(err.kind(), &jsonwebtoken::errors::ErrorKind::InvalidSignature, "{alg}");

        // A regenerated token verifies and carries the same claims.
        let regenerated = self.manager.regenerate_access_token(&self.handle, self.now).expect("regenerate");
        let again = self.manager.verify(&regenerated.token, self.now).expect("regenerated verifies");
        assert_eq!(again.custom, ours.custom);
        assert_ne!(again.token_id, ours.token_id);

        // The bare `jsonwebtoken::encode` produces a token sessionward accepts, with the same claims.
        let encoded = jsonwebtoken::encode(&self.header, &self.claims, &self.encoding).expect("encode");
        assert_eq!(self.manager.verify(&encoded, self.now).expect("bare token verifies"), ours, "{alg}");

        let payload = self.token.split('.').nth(1).expect("payload").len() * 3 / 4;
        eprintln!("{alg}: access token {} bytes, claims {payload} bytes of JSON", self.token.len());
    }
}

fn verify_sign_reject(c: &mut Criterion) {
    let fixtures: Vec<Fixture> = Algorithm::ALL.into_iter().map(Fixture::new).collect();

    let mut group = c.benchmark_group("verify");
    for f in &fixtures {
        group.bench_function(format!("{}/sessionward", f.algorithm), |b| {
            b.iter(|| f.manager.verify(black_box(&f.token), f.now).expect("verify"))
        });
        group.bench_function(format!("{}/jsonwebtoken", f.algorithm), |b| {
            b.iter(|| jsonwebtoken::decode::<Value>(black_box(&f.token), &f.decoding, &f.validation).expect("decode"))
        });
        // The signature check alone, with sessionward's pre-parsed key: the floor under both rows above.
        group.bench_function(format!("{}/signature-only", f.algorithm), |b| {
            b.iter(|| Verifier::verify(&*f.key, black_box(&f.signing_input), &f.signature).expect("signature"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("sign");
    for f in &fixtures {
        group.bench_function(format!("{}/sessionward", f.algorithm), |b| {
            b.iter(|| f.manager.regenerate_access_token(black_box(&f.handle), f.now).expect("regenerate"))
        });
        group.bench_function(format!("{}/jsonwebtoken", f.algorithm), |b| {
            b.iter(|| jsonwebtoken::encode(&f.header, black_box(&f.claims), &f.encoding).expect("encode"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("reject");
    for f in &fixtures {
        group.bench_function(format!("{}/sessionward", f.algorithm), |b| {
            b.iter(|| f.manager.verify(black_box(&f.forged), f.now).expect_err("rejected"))
        });
        group.bench_function(format!("{}/jsonwebtoken", f.algorithm), |b| {
            b.iter(|| {
                jsonwebtoken::decode::<Value>(black_box(&f.forged), &f.decoding, &f.validation).expect_err("rejected")
            })
        });
    }
    group.finish();
}

/// Builds a manager on a fresh store.
type MakeManager<'a> = Box<dyn Fn() -> SessionManager + 'a>;

fn sessions(c: &mut Criterion) {
    // Kept alive until the end, so the database file outlives its store.
    let dir = tempfile::tempdir().expect("temp dir");
    let databases = Cell::new(0);
    let stores: [(&str, MakeManager<'_>); 2] = [
        ("memory", Box::new(|| manager(Algorithm::EdDSA, MemoryStore::new()))),
        (
            "sqlite",
            Box::new(|| {
                // A fresh database file per benchmark.
                databases.set(databases.get() + 1);
                let path = dir.path().join(format!("sessions-{}.db", databases.get()));
                manager(Algorithm::EdDSA, SqliteStore::open(path).expect("open SQLite"))
            }),
        ),
    ];
    let start = unix_now();

    let mut group = c.benchmark_group("create");
    for (name, make) in &stores {
        let m = make();
        let issued = m.create_session(new_session(), start).expect("create");
        assert_eq!(m.verify(&issued.access.token, start).expect("verify").custom, access_claims());
        group.bench_function(format!("EdDSA/{name}"), |b| {
            b.iter(|| m.create_session(black_box(new_session()), start).expect("create"))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("refresh");
    for (name, make) in &stores {
        let m = make();
        let issued = m.create_session(new_session(), start).expect("create");
        let mut token = issued.refresh_token;
        let mut now = start;
        // Each iteration presents the current token one second later: a real rotation, never a grace retry.
        let rotate = |token: &mut String, now: &mut UnixTime| {
            *now += 1;
            let next = m.refresh(token, *now).expect("refresh");
            let previous = std::mem::replace(token, next.refresh_token);
            (previous, next.session.handle)
        };
        let (previous, handle) = rotate(&mut token, &mut now);
        assert_ne!(previous, token, "the refresh token rotated");
        assert_eq!(handle, issued.session.handle);
        group.bench_function(format!("EdDSA/{name}"), |b| b.iter(|| rotate(&mut token, &mut now)));
        // The chain is intact after all those rotations.
        assert!(m.refresh(&token, now + 1).is_ok(), "{name}: the last token still rotates");
    }
    group.finish();
}

/// Quick settings (the whole run takes about two minutes on 2 vCPUs): short warm-up and measurement, few
/// samples, fewer bootstrap resamples and no plots. Medians are read from `target/criterion/*/new/estimates.json`.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .nresamples(20_000)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = verify_sign_reject, sessions
}
criterion_main!(benches);
