//! Signing keys: generate, import (PEM, JWK, secret), inspect.

use crate::convert::{self, is_nullish};
use crate::errors::{IntoJs, type_error};
use napi::bindgen_prelude::{Buffer, Uint8Array, Unknown};
use napi::{Env, JsValue, Result, ValueType};
use napi_derive::napi;
use sessionward::{Algorithm, SigningKey};
use std::sync::Arc;

fn algorithm(env: &Env, name: &str) -> Result<Algorithm> {
    name.parse::<Algorithm>().js(env)
}

fn kid(env: &Env, kid: Option<Unknown<'_>>) -> Result<Option<String>> {
    convert::opt_string(env, kid, "kid")
}

/// A signing key pinned to one algorithm. A key from a public PEM or JWK only verifies.
#[napi]
pub struct Key {
    pub(crate) inner: Arc<SigningKey>,
}

#[napi]
impl Key {
    /// A fresh key from the OS random source, with a random `kid`.
    #[napi(ts_args_type = "algorithm?: Algorithm")]
    pub fn generate(env: Env, algorithm: Option<Unknown<'_>>) -> Result<Key> {
        let name = convert::opt_string(&env, algorithm, "algorithm")?.unwrap_or_else(|| "EdDSA".into());
        let alg = self::algorithm(&env, &name)?;
        Ok(Key { inner: Arc::new(SigningKey::generate(alg).js(&env)?) })
    }

    /// A key from PEM text: a private key signs and verifies, a public key only verifies.
    #[napi(ts_args_type = "algorithm: Algorithm, pem: string, kid?: string")]
    pub fn from_pem(env: Env, algorithm: Unknown<'_>, pem: Unknown<'_>, kid: Option<Unknown<'_>>) -> Result<Key> {
        let alg = self::algorithm(&env, &convert::string(&env, algorithm, "algorithm")?)?;
        let pem = convert::string(&env, pem, "pem")?;
        let kid = self::kid(&env, kid)?;
        Ok(Key { inner: Arc::new(SigningKey::from_pem(alg, &pem, kid).js(&env)?) })
    }

    /// A key from a JWK (JSON text or object); it must carry `alg`. RSA private JWKs are refused.
    #[napi(ts_args_type = "jwk: string | Record<string, string>")]
    pub fn from_jwk(env: Env, jwk: Unknown<'_>) -> Result<Key> {
        let text = match jwk.get_type()? {
            ValueType::String => convert::string(&env, jwk, "jwk")?,
            ValueType::Object => convert::json(&env, jwk, "jwk")?.to_string(),
            _ => return Err(type_error(&env, "jwk must be JSON text or an object".into())),
        };
        Ok(Key { inner: Arc::new(SigningKey::from_jwk(&text).js(&env)?) })
    }

    /// An HS256 key from a shared secret of at least 32 bytes (a `Buffer` or `Uint8Array`, never a string,
    /// so a secret is not confused with its text encoding).
    #[napi(ts_args_type = "secret: Buffer | Uint8Array, kid?: string")]
    pub fn from_secret(env: Env, secret: Unknown<'_>, kid: Option<Unknown<'_>>) -> Result<Key> {
        let bytes: Vec<u8> = if !is_nullish(&secret) && secret.is_buffer()? {
            use napi::bindgen_prelude::FromNapiValue;
            Buffer::from_unknown(secret)?.to_vec()
        } else if !is_nullish(&secret) && secret.is_typedarray()? {
            use napi::bindgen_prelude::FromNapiValue;
            Uint8Array::from_unknown(secret)
                .map_err(|_| type_error(&env, "secret must be a Buffer or Uint8Array".into()))?
                .to_vec()
        } else {
            return Err(type_error(&env, "secret must be a Buffer or Uint8Array".into()));
        };
        let kid = self::kid(&env, kid)?;
        Ok(Key { inner: Arc::new(SigningKey::from_secret(&bytes, kid).js(&env)?) })
    }

    /// The key id.
    #[napi(getter)]
    pub fn kid(&self) -> &str {
        self.inner.kid()
    }

    /// The pinned algorithm.
    #[napi(getter, ts_return_type = "Algorithm")]
    pub fn algorithm(&self) -> &'static str {
        self.inner.algorithm().as_str()
    }

    /// Whether the private half is present.
    #[napi(getter)]
    pub fn can_sign(&self) -> bool {
        self.inner.can_sign()
    }

    /// The public JWK (with `kid`, `alg`, `use`), or `null` for HS256 secrets (never published).
    #[napi(ts_return_type = "Record<string, string> | null")]
    pub fn public_jwk(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.inner.public_jwk().cloned()
    }
}

/// The JWS algorithms: each key is pinned to one.
#[napi(string_enum, js_name = "Algorithm")]
pub enum AlgorithmName {
    /// Ed25519 (the default).
    EdDSA,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, keys of at least 2048 bits.
    RS256,
    /// HMAC-SHA-256 with a shared secret of at least 32 bytes.
    HS256,
}
