//! The Rust core verifies the access tokens the Python and Node packages minted (`tests/vectors/minted-by-*.json`,
//! from the fixed test keys in `tests/vectors/keys.json`), so a token-format drift in either binding fails here
//! too. `tests/vectors/vectors.py` explains how the files are made.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sessionward::{Algorithm, Config, Error, KeyRing, MemoryStore, SessionManager, SigningKey};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn read_json(name: &str) -> Value {
    let text = std::fs::read_to_string(vectors_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn key(algorithm: Algorithm, entry: &Value) -> SigningKey {
    let kid = Some(entry["kid"].as_str().unwrap().to_owned());
    match algorithm {
        Algorithm::HS256 => {
            let hex = entry["secret_hex"].as_str().unwrap();
            let secret: Vec<u8> =
                (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
            SigningKey::from_secret(&secret, kid).unwrap()
        }
        _ => SigningKey::from_pem(algorithm, entry["private_pem"].as_str().unwrap(), kid).unwrap(),
    }
}

fn manager(document: &Value, algorithm: Algorithm) -> SessionManager {
    let keys = read_json("keys.json");
    let mut ring = KeyRing::new();
    ring.add(key(algorithm, &keys[algorithm.to_string()]), i64::MIN).unwrap();
    let mut config = Config::new(document["issuer"].as_str().unwrap(), document["audience"].as_str().unwrap());
    config.keys.algorithm = algorithm;
    SessionManager::with_key_ring(config, MemoryStore::new(), ring).unwrap()
}

fn check_producer(producer: &str) {
    let document = read_json(&format!("minted-by-{producer}.json"));
    let minted_at = document["minted_at"].as_i64().unwrap();
    let vectors = document["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 4, "{producer} must publish one vector per algorithm");
    for vector in vectors {
        let algorithm: Algorithm = vector["algorithm"].as_str().unwrap().parse().unwrap();
        let manager = manager(&document, algorithm);
        let token = vector["token"].as_str().unwrap();

        let claims = manager.verify(token, minted_at + 1).unwrap_or_else(|e| panic!("{producer} {algorithm}: {e}"));
        assert_eq!(claims.subject, vector["sub"].as_str().unwrap());
        assert_eq!(claims.session_handle, vector["sid"].as_str().unwrap());
        assert_eq!(claims.token_id, vector["jti"].as_str().unwrap());
        assert_eq!(claims.expires_at, vector["exp"].as_i64().unwrap());
        assert_eq!(Value::Object(claims.custom), document["access_claims"]);

        let expired = manager.verify(token, claims.expires_at + manager.config().leeway + 1);
        assert!(matches!(expired, Err(Error::TryRefresh)), "{producer} {algorithm}: {expired:?}");
    }
}

#[test]
fn verifies_tokens_minted_by_python() {
    check_producer("python");
}

#[test]
fn verifies_tokens_minted_by_node() {
    check_producer("node");
}
