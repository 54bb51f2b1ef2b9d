//! Signing keys: one algorithm pinned to each key, key material parsed once, weak keys refused at import.
//!
//! Keys plug into `jsonwebtoken`'s crypto-provider traits ([`JwtSigner`], [`JwtVerifier`]) backed by
//! aws-lc-rs key objects that are parsed when the key is loaded, not on every call: `jsonwebtoken::encode`
//! re-parses the key each time, which costs +13 µs per ES256 signature and +500 µs per RS256 signature here.

use crate::encoding::{b64_decode, b64_decode_exact, b64_encode};
use crate::error::{Error, Result};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use aws_lc_rs::{hmac, rsa};
use jsonwebtoken::crypto::{JwtSigner, JwtVerifier};
use jsonwebtoken::signature;
use serde_json::{Map, Value, json};
use std::fmt;
use std::str::FromStr;
use zeroize::Zeroizing;

/// The JWS algorithms sessionward signs and verifies with. Each key is pinned to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// Ed25519 signatures (RFC 8037). The default: fastest asymmetric sign, small tokens, no nonce pitfalls.
    #[default]
    EdDSA,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256; keys of at least 2048 bits.
    RS256,
    /// HMAC with SHA-256; a shared secret of at least 32 bytes. Only for services that share the secret.
    HS256,
}

impl Algorithm {
    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EdDSA => "EdDSA",
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
            Self::HS256 => "HS256",
        }
    }

    /// All supported algorithms.
    pub const ALL: [Algorithm; 4] = [Self::EdDSA, Self::ES256, Self::RS256, Self::HS256];

    fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::EdDSA => jsonwebtoken::Algorithm::EdDSA,
            Self::ES256 => jsonwebtoken::Algorithm::ES256,
            Self::RS256 => jsonwebtoken::Algorithm::RS256,
            Self::HS256 => jsonwebtoken::Algorithm::HS256,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;
    /// Exact, case-sensitive names only: `"none"`, `"eddsa"` or `"HS512"` are refused.
    fn from_str(name: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name).ok_or_else(|| {
            Error::Config(format!("unsupported algorithm {name:?}: use one of EdDSA, ES256, RS256, HS256"))
        })
    }
}

/// Smallest HMAC secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_HMAC_SECRET_BYTES: usize = 32;
/// Smallest RSA modulus accepted (RFC 7518 §3.3).
pub const MIN_RSA_BITS: usize = 2048;

/// The private half, parsed once.
enum Signer {
    // Boxed: an HMAC key holds its precomputed pads (~1.2 KB), the others are pointers.
    Hmac(Box<hmac::Key>),
    Ed25519(sig::Ed25519KeyPair),
    Ecdsa(sig::EcdsaKeyPair),
    Rsa(sig::RsaKeyPair),
}

/// The public half (or the HMAC secret), parsed once.
enum Verifier {
    Hmac(Box<hmac::Key>),
    Public(sig::ParsedPublicKey),
}

/// A signing key with its `kid`, pinned algorithm and parsed key material.
///
/// A key loaded from a public PEM or JWK only verifies. `Debug` never prints key material.
pub struct SigningKey {
    kid: String,
    algorithm: Algorithm,
    signer: Option<Signer>,
    verifier: Verifier,
    public_jwk: Option<Map<String, Value>>,
    private_der: Option<Zeroizing<Vec<u8>>>,
    /// The base64url JWS header `{"alg","typ","kid"}`, built once.
    header_b64: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("can_sign", &self.can_sign())
            .finish_non_exhaustive()
    }
}

fn rejected(what: &str) -> Error {
    Error::Config(format!("{what} was rejected; check that the key matches the algorithm and is not corrupt"))
}

/// A `kid` travels in every token header: keep it short and plain.
fn check_kid(kid: &str) -> Result<()> {
    let ok = (1..=64).contains(&kid.len())
        && kid.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok { Ok(()) } else { Err(Error::Config(format!("key id {kid:?} must be 1-64 characters of A-Z a-z 0-9 - _ ."))) }
}

/// Refuse the Ed25519 public keys of small order, which let one signature verify for many messages.
fn check_ed25519_public(public: &[u8]) -> Result<()> {
    let point = curve25519_dalek::edwards::CompressedEdwardsY::from_slice(public)
        .ok()
        .and_then(|c| c.decompress())
        .ok_or_else(|| rejected("the Ed25519 public key"))?;
    if point.is_small_order() {
        return Err(Error::Config("the Ed25519 public key has small order and is refused".into()));
    }
    Ok(())
}

fn rsa_bits(modulus: &[u8]) -> usize {
    let trimmed: &[u8] = match modulus.iter().position(|&b| b != 0) {
        Some(i) => &modulus[i..],
        None => &[],
    };
    trimmed.first().map_or(0, |&top| trimmed.len() * 8 - top.leading_zeros() as usize)
}

fn check_rsa_bits(modulus: &[u8]) -> Result<()> {
    let bits = rsa_bits(modulus);
    if bits < MIN_RSA_BITS {
        return Err(Error::Config(format!("RSA key of {bits} bits refused: use at least {MIN_RSA_BITS} bits")));
    }
    Ok(())
}

impl SigningKey {
    fn assemble(
        algorithm: Algorithm,
        kid: Option<String>,
        signer: Option<Signer>,
        verifier: Verifier,
        public_jwk: Option<Map<String, Value>>,
        private_der: Option<Vec<u8>>,
    ) -> Result<Self> {
        let kid = match kid {
            Some(kid) => kid,
            None => crate::random::token::<9>()?,
        };
        check_kid(&kid)?;
        let header = json!({ "alg": algorithm.as_str(), "typ": crate::token::ACCESS_TOKEN_TYP, "kid": kid });
        let mut key = SigningKey {
            header_b64: b64_encode(header.to_string()),
            kid,
            algorithm,
            signer,
            verifier,
            public_jwk,
            private_der: private_der.map(Zeroizing::new),
        };
        if let Some(jwk) = key.public_jwk.as_mut() {
            jwk.insert("kid".into(), Value::String(key.kid.clone()));
            jwk.insert("alg".into(), Value::String(algorithm.as_str().into()));
            jwk.insert("use".into(), Value::String("sig".into()));
        }
        Ok(key)
    }

    /// Generate a fresh key for `algorithm` from the OS random source, with a random `kid`.
    pub fn generate(algorithm: Algorithm) -> Result<Self> {
        let failed = |_| Error::Config(format!("generating an {algorithm} key failed"));
        let der = match algorithm {
            Algorithm::HS256 => crate::random::bytes::<32>()?.to_vec(),
            Algorithm::EdDSA => {
                sig::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(failed)?.as_ref().to_vec()
            }
            Algorithm::ES256 => {
                sig::EcdsaKeyPair::generate_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                    .map_err(failed)?
                    .as_ref()
                    .to_vec()
            }
            Algorithm::RS256 => {
                let pair = sig::RsaKeyPair::generate(rsa::KeySize::Rsa2048).map_err(failed)?;
                let der: Pkcs8V1Der = pair.as_der().map_err(failed)?;
                der.as_ref().to_vec()
            }
        };
        Self::from_private_der(algorithm, &der, None)
    }

    /// An HS256 key from a shared secret of at least 32 bytes.
    pub fn from_secret(secret: &[u8], kid: Option<String>) -> Result<Self> {
        Self::from_private_der(Algorithm::HS256, secret, kid)
    }

    /// Load a private key from its DER form: PKCS#8 for EdDSA/ES256/RS256 (PKCS#1 also accepted for RSA),
    /// the raw secret for HS256. This is the form [`SigningKey::private_der`] returns for storage.
    pub fn from_private_der(algorithm: Algorithm, der: &[u8], kid: Option<String>) -> Result<Self> {
        let (signer, verifier, jwk) = match algorithm {
            Algorithm::HS256 => {
                if der.len() < MIN_HMAC_SECRET_BYTES {
                    return Err(Error::Config(format!(
                        "HMAC secret of {} bytes refused: use at least {MIN_HMAC_SECRET_BYTES} random bytes",
                        der.len()
                    )));
                }
                let key = Box::new(hmac::Key::new(hmac::HMAC_SHA256, der));
                (Signer::Hmac(key.clone()), Verifier::Hmac(key), None)
            }
            Algorithm::EdDSA => {
                let pair = sig::Ed25519KeyPair::from_pkcs8(der).map_err(|_| rejected("the Ed25519 private key"))?;
                let public = pair.public_key().as_ref().to_vec();
                let (verifier, jwk) = Self::ed25519_public(&public)?;
                (Signer::Ed25519(pair), verifier, jwk)
            }
            Algorithm::ES256 => {
                let alg = &sig::ECDSA_P256_SHA256_FIXED_SIGNING;
                let pair = sig::EcdsaKeyPair::from_pkcs8(alg, der)
                    .or_else(|_| sig::EcdsaKeyPair::from_private_key_der(alg, der))
                    .map_err(|_| rejected("the P-256 private key"))?;
                let (verifier, jwk) = Self::p256_public(pair.public_key().as_ref())?;
                (Signer::Ecdsa(pair), verifier, jwk)
            }
            Algorithm::RS256 => {
                let pair = sig::RsaKeyPair::from_pkcs8(der)
                    .or_else(|_| sig::RsaKeyPair::from_der(der))
                    .map_err(|_| rejected("the RSA private key"))?;
                let public = pair.public_key();
                let n = public.modulus().big_endian_without_leading_zero().to_vec();
                let e = public.exponent().big_endian_without_leading_zero().to_vec();
                let (verifier, jwk) = Self::rsa_public(&n, &e)?;
                (Signer::Rsa(pair), verifier, jwk)
            }
        };
        // Keep the private key in a canonical storable form.
        let der = match &signer {
            Signer::Rsa(pair) => {
                let doc: Pkcs8V1Der = pair.as_der().map_err(|_| rejected("the RSA private key"))?;
                doc.as_ref().to_vec()
            }
            _ => der.to_vec(),
        };
        Self::assemble(algorithm, kid, Some(signer), verifier, jwk, Some(der))
    }

    fn ed25519_public(public: &[u8]) -> Result<(Verifier, Option<Map<String, Value>>)> {
        check_ed25519_public(public)?;
        let parsed =
            sig::ParsedPublicKey::new(&sig::ED25519, public).map_err(|_| rejected("the Ed25519 public key"))?;
        let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64_encode(public) });
        Ok((Verifier::Public(parsed), jwk.as_object().cloned()))
    }

    fn p256_public(point: &[u8]) -> Result<(Verifier, Option<Map<String, Value>>)> {
        if point.len() != 65 || point[0] != 4 {
            return Err(rejected("the P-256 public key"));
        }
        let parsed = sig::ParsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point)
            .map_err(|_| rejected("the P-256 public key"))?;
        let jwk = json!({ "kty": "EC", "crv": "P-256", "x": b64_encode(&point[1..33]), "y": b64_encode(&point[33..]) });
        Ok((Verifier::Public(parsed), jwk.as_object().cloned()))
    }

    fn rsa_public(n: &[u8], e: &[u8]) -> Result<(Verifier, Option<Map<String, Value>>)> {
        check_rsa_bits(n)?;
        let parsed = sig::RsaPublicKeyComponents { n, e }
            .to_parsed_public_key(&sig::RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| rejected("the RSA public key"))?;
        let jwk = json!({ "kty": "RSA", "n": b64_encode(n), "e": b64_encode(e) });
        Ok((Verifier::Public(parsed), jwk.as_object().cloned()))
    }

    /// Load a key from PEM: a private key (`PRIVATE KEY`, `RSA PRIVATE KEY`) signs and verifies; a public key
    /// (`PUBLIC KEY`, `RSA PUBLIC KEY`) only verifies. `algorithm` pins what the key will accept.
    pub fn from_pem(algorithm: Algorithm, pem: &str, kid: Option<String>) -> Result<Self> {
        use jsonwebtoken::{DecodingKey, EncodingKey};
        let bytes = pem.as_bytes();
        let is_private = pem.contains("PRIVATE KEY-----");
        if is_private {
            let encoding = match algorithm {
                Algorithm::EdDSA => EncodingKey::from_ed_pem(bytes),
                Algorithm::ES256 => EncodingKey::from_ec_pem(bytes),
                Algorithm::RS256 => EncodingKey::from_rsa_pem(bytes),
                Algorithm::HS256 => {
                    return Err(Error::Config("HS256 keys are secrets, not PEM: use from_secret".into()));
                }
            }
            .map_err(|_| rejected("the PEM private key"))?;
            return Self::from_private_der(algorithm, encoding.as_bytes(), kid);
        }
        let decoding = match algorithm {
            Algorithm::EdDSA => DecodingKey::from_ed_pem(bytes),
            Algorithm::ES256 => DecodingKey::from_ec_pem(bytes),
            Algorithm::RS256 => DecodingKey::from_rsa_pem(bytes),
            Algorithm::HS256 => return Err(Error::Config("HS256 keys are secrets, not PEM: use from_secret".into())),
        }
        .map_err(|_| rejected("the PEM public key"))?;
        let der = decoding.try_get_as_bytes().map_err(|_| rejected("the PEM public key"))?;
        let (verifier, jwk) = match algorithm {
            Algorithm::EdDSA => Self::ed25519_public(der)?,
            Algorithm::ES256 => Self::p256_public(der)?,
            _ => {
                let public = rsa::PublicKey::from_der(der).map_err(|_| rejected("the RSA public key"))?;
                let n = public.modulus().big_endian_without_leading_zero().to_vec();
                let e = public.exponent().big_endian_without_leading_zero().to_vec();
                Self::rsa_public(&n, &e)?
            }
        };
        Self::assemble(algorithm, kid, None, verifier, jwk, None)
    }

    /// Load a key from a JWK (JSON text). Public JWKs verify only; private ones (`d`, or `k` for `oct`) also
    /// sign. The JWK's `alg` must match its key type; its `kid` is kept.
    /// RSA private keys are imported as PEM instead.
    pub fn from_jwk(jwk: &str) -> Result<Self> {
        let bad = |what: &str| Error::Config(format!("JWK {what}"));
        let map: Map<String, Value> = serde_json::from_str(jwk).map_err(|_| bad("is not a JSON object"))?;
        let text = |name: &str| map.get(name).and_then(Value::as_str);
        let bytes = |name: &str| -> Result<Vec<u8>> {
            text(name)
                .and_then(|t| b64_decode(t.as_bytes()))
                .ok_or_else(|| bad(&format!("member `{name}` is missing or not base64url")))
        };
        let algorithm: Algorithm = text("alg").ok_or_else(|| bad("needs an `alg`"))?.parse()?;
        let kid = text("kid").map(str::to_owned);
        let kty = text("kty").unwrap_or_default();
        let has_private = map.contains_key("d");
        match (algorithm, kty) {
            (Algorithm::HS256, "oct") => Self::from_secret(&bytes("k")?, kid),
            (Algorithm::EdDSA, "OKP") if text("crv") == Some("Ed25519") => {
                let x = b64_decode_exact::<32>(text("x").unwrap_or_default().as_bytes())
                    .ok_or_else(|| bad("`x` is not 32 bytes"))?;
                if has_private {
                    let d = bytes("d")?;
                    let pair = sig::Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                        .map_err(|_| rejected("the Ed25519 JWK"))?;
                    let der = pair.to_pkcs8().map_err(|_| rejected("the Ed25519 JWK"))?;
                    Self::from_private_der(algorithm, der.as_ref(), kid)
                } else {
                    let (verifier, jwk) = Self::ed25519_public(&x)?;
                    Self::assemble(algorithm, kid, None, verifier, jwk, None)
                }
            }
            (Algorithm::ES256, "EC") if text("crv") == Some("P-256") => {
                let x = b64_decode_exact::<32>(text("x").unwrap_or_default().as_bytes())
                    .ok_or_else(|| bad("`x` is not 32 bytes"))?;
                let y = b64_decode_exact::<32>(text("y").unwrap_or_default().as_bytes())
                    .ok_or_else(|| bad("`y` is not 32 bytes"))?;
                let mut point = vec![4u8];
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                if has_private {
                    let d = bytes("d")?;
                    let pair = sig::EcdsaKeyPair::from_private_key_and_public_key(
                        &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
                        &d,
                        &point,
                    )
                    .map_err(|_| rejected("the P-256 JWK"))?;
                    let der = pair.to_pkcs8v1().map_err(|_| rejected("the P-256 JWK"))?;
                    Self::from_private_der(algorithm, der.as_ref(), kid)
                } else {
                    let (verifier, jwk) = Self::p256_public(&point)?;
                    Self::assemble(algorithm, kid, None, verifier, jwk, None)
                }
            }
            (Algorithm::RS256, "RSA") => {
                if has_private {
                    return Err(Error::Config("RSA private JWKs are not supported: import the key as PEM".into()));
                }
                let (verifier, jwk) = Self::rsa_public(&bytes("n")?, &bytes("e")?)?;
                Self::assemble(algorithm, kid, None, verifier, jwk, None)
            }
            _ => Err(bad(&format!("of type {kty:?} does not fit algorithm {algorithm}"))),
        }
    }

    /// The key id carried in token headers.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key accepts.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Whether the private half is present.
    pub fn can_sign(&self) -> bool {
        self.signer.is_some()
    }

    /// The public JWK (with `kid`, `alg`, `use`), or `None` for HS256 secrets, which are never published.
    pub fn public_jwk(&self) -> Option<&Map<String, Value>> {
        self.public_jwk.as_ref()
    }

    /// The private key in the form [`SigningKey::from_private_der`] loads, for a store that shares keys
    /// between instances. Treat it as a secret.
    pub fn private_der(&self) -> Option<&[u8]> {
        self.private_der.as_ref().map(|d| d.as_slice())
    }

    pub(crate) fn header_b64(&self) -> &str {
        &self.header_b64
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        match &self.signer {
            Some(signer) => signature::Signer::try_sign(signer, message)
                .map_err(|_| Error::Config(format!("signing with key {} failed", self.kid))),
            None => Err(Error::Config(format!("key {} is public only and cannot sign", self.kid))),
        }
    }

    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.verifier {
            Verifier::Hmac(key) => hmac::verify(key, message, signature).is_ok(),
            Verifier::Public(key) => key.verify_sig(message, signature).is_ok(),
        }
    }
}

impl signature::Signer<Vec<u8>> for Signer {
    fn try_sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        let failed = |_| signature::Error::new();
        match self {
            Signer::Hmac(key) => Ok(hmac::sign(key, msg).as_ref().to_vec()),
            Signer::Ed25519(pair) => Ok(pair.sign(msg).as_ref().to_vec()),
            Signer::Ecdsa(pair) => Ok(pair.sign(&SystemRandom::new(), msg).map_err(failed)?.as_ref().to_vec()),
            Signer::Rsa(pair) => {
                let mut out = vec![0; pair.public_modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), msg, &mut out).map_err(failed)?;
                Ok(out)
            }
        }
    }
}

impl JwtSigner for Signer {
    fn algorithm(&self) -> jsonwebtoken::Algorithm {
        match self {
            Signer::Hmac(_) => jsonwebtoken::Algorithm::HS256,
            Signer::Ed25519(_) => jsonwebtoken::Algorithm::EdDSA,
            Signer::Ecdsa(_) => jsonwebtoken::Algorithm::ES256,
            Signer::Rsa(_) => jsonwebtoken::Algorithm::RS256,
        }
    }
}

/// A key usable wherever `jsonwebtoken` takes a verifier (e.g. `jsonwebtoken::jws`), pinned to its algorithm.
impl signature::Verifier<Vec<u8>> for SigningKey {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> std::result::Result<(), signature::Error> {
        if SigningKey::verify(self, msg, signature) { Ok(()) } else { Err(signature::Error::new()) }
    }
}

impl JwtVerifier for SigningKey {
    fn algorithm(&self) -> jsonwebtoken::Algorithm {
        self.algorithm.jwt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_exact() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
        }
        for bad in ["none", "None", "NONE", "eddsa", "hs256", "HS512", "RS256 ", ""] {
            assert_eq!(bad.parse::<Algorithm>().unwrap_err().code(), "bad_configuration", "{bad}");
        }
    }

    #[test]
    fn generated_keys_sign_and_verify() {
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let signature = key.sign(b"message").unwrap();
            assert!(key.verify(b"message", &signature), "{alg}");
            assert!(!key.verify(b"messagE", &signature), "{alg}");
            assert_eq!(key.public_jwk().is_none(), alg == Algorithm::HS256);
            let reloaded =
                SigningKey::from_private_der(alg, key.private_der().unwrap(), Some(key.kid().into())).unwrap();
            assert!(reloaded.verify(b"message", &signature), "{alg} reloaded");
            assert!(!format!("{key:?}").contains("der"), "Debug hides key material");
        }
    }

    #[test]
    fn public_jwk_round_trip_verifies_only() {
        for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
            let key = SigningKey::generate(alg).unwrap();
            let jwk = Value::Object(key.public_jwk().unwrap().clone()).to_string();
            let public = SigningKey::from_jwk(&jwk).unwrap();
            assert!(!public.can_sign());
            assert_eq!(public.kid(), key.kid());
            assert!(public.verify(b"m", &key.sign(b"m").unwrap()));
            assert_eq!(public.sign(b"m").unwrap_err().code(), "bad_configuration");
        }
    }

    #[test]
    fn weak_keys_are_refused() {
        assert!(SigningKey::from_secret(&[7u8; 31], None).is_err());
        assert!(SigningKey::from_secret(&[7u8; 32], None).is_ok());
        // The identity point (0, 1) and a point of order 8 (RFC 8032 test vectors of small order).
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(SigningKey::ed25519_public(&identity).is_err());
        let order8 = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a";
        let bytes: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&order8[2 * i..2 * i + 2], 16).unwrap()).collect();
        assert!(SigningKey::ed25519_public(&bytes).is_err());
        // A 1024-bit RSA modulus.
        let mut n = vec![0xC3u8; 128];
        n[127] |= 1;
        assert!(SigningKey::rsa_public(&n, &[1, 0, 1]).err().expect("refused").to_string().contains("1024 bits"));
        assert_eq!(rsa_bits(&[0, 0, 1, 0]), 9);
        assert!(check_kid("bad kid").is_err());
        assert!(check_kid(&"k".repeat(65)).is_err());
    }
}
