//! Refresh tokens: opaque, 384 bits from the OS, stored only as hashes.
//!
//! A token is `swr_` + base64url(family id ‖ secret). The 16-byte family id is constant for a session's
//! whole rotation chain and lets the store find the session directly (it is stored hashed too); the 32-byte
//! secret changes at every rotation. Only someone who has held a token of the chain knows the family id,
//! so a wrong secret under a known family id is a replay of a superseded token: theft.
//!
//! Successors are derived, not stored: `next = HMAC-SHA256(key = previous secret, nonce)` with a fresh
//! random nonce kept in the session record. A retry with the previous token inside the grace window can
//! therefore be given back *the same* successor, although the store never holds a raw token. Stealing a
//! token does not reveal its successor (the nonce is server-side), and reading the store does not either
//! (it holds no secret).

use crate::encoding::{b64_decode_exact, b64_encode, hex};
use crate::error::{Error, Result, UnauthorisedReason};
use aws_lc_rs::{digest, hmac};
use zeroize::{Zeroize, ZeroizeOnDrop};

const PREFIX: &str = "swr_";
const FAMILY_BYTES: usize = 16;
const SECRET_BYTES: usize = 32;
/// Length of an encoded refresh token.
pub const REFRESH_TOKEN_LEN: usize = PREFIX.len() + 64;

/// A SHA-256 digest of a refresh secret: what the store keeps.
pub type SecretHash = [u8; 32];

/// A parsed refresh token. Wiped from memory on drop; `Debug` shows nothing secret.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RefreshToken {
    family: [u8; FAMILY_BYTES],
    secret: [u8; SECRET_BYTES],
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshToken(..)")
    }
}

impl RefreshToken {
    /// A new chain: fresh family id and secret.
    pub fn generate() -> Result<Self> {
        Ok(Self { family: crate::random::bytes()?, secret: crate::random::bytes()? })
    }

    /// Parse the wire form; anything but the exact canonical form is refused.
    pub fn parse(text: &str) -> Result<Self> {
        let malformed = || Error::unauthorised(UnauthorisedReason::Malformed);
        let body = text.strip_prefix(PREFIX).filter(|b| b.len() == 64).ok_or_else(malformed)?;
        let mut raw = b64_decode_exact::<{ FAMILY_BYTES + SECRET_BYTES }>(body.as_bytes()).ok_or_else(malformed)?;
        let mut token = Self { family: [0; FAMILY_BYTES], secret: [0; SECRET_BYTES] };
        token.family.copy_from_slice(&raw[..FAMILY_BYTES]);
        token.secret.copy_from_slice(&raw[FAMILY_BYTES..]);
        raw.zeroize();
        Ok(token)
    }

    /// The wire form, handed to the client once.
    pub fn encode(&self) -> String {
        let mut raw = [0u8; FAMILY_BYTES + SECRET_BYTES];
        raw[..FAMILY_BYTES].copy_from_slice(&self.family);
        raw[FAMILY_BYTES..].copy_from_slice(&self.secret);
        let text = format!("{PREFIX}{}", b64_encode(raw));
        raw.zeroize();
        text
    }

    /// The store's index for this chain: a hash of the family id, so the store holds no usable token part.
    pub fn lookup(&self) -> String {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(b"sessionward/refresh-lookup/v1\0");
        ctx.update(&self.family);
        hex(ctx.finish().as_ref())
    }

    /// The hash of the secret, as stored.
    pub fn secret_hash(&self) -> SecretHash {
        let digest = digest::digest(&digest::SHA256, &self.secret);
        digest.as_ref().try_into().expect("SHA-256 is 32 bytes")
    }

    /// The successor in the chain for a rotation `nonce`.
    pub fn successor(&self, nonce: &[u8; 32]) -> Self {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.secret);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(b"sessionward/refresh-rotate/v1\0");
        ctx.update(nonce);
        let tag = ctx.sign();
        Self { family: self.family, secret: tag.as_ref().try_into().expect("HMAC-SHA256 is 32 bytes") }
    }
}

/// Constant-time equality of two secret hashes.
pub(crate) fn hashes_equal(a: &SecretHash, b: &SecretHash) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strict_parse() {
        let token = RefreshToken::generate().unwrap();
        let text = token.encode();
        assert_eq!(text.len(), REFRESH_TOKEN_LEN);
        let back = RefreshToken::parse(&text).unwrap();
        assert_eq!(back.lookup(), token.lookup());
        assert!(hashes_equal(&back.secret_hash(), &token.secret_hash()));
        assert!(RefreshToken::parse(&text[1..]).is_err());
        assert!(RefreshToken::parse(&format!("{text}=")).is_err());
        assert!(RefreshToken::parse(&text.replace("swr_", "swx_")).is_err());
        assert!(!format!("{token:?}").contains(&text[4..]));
    }

    #[test]
    fn successor_is_deterministic_per_nonce_and_keeps_family() {
        let token = RefreshToken::generate().unwrap();
        let a = token.successor(&[1; 32]);
        assert!(hashes_equal(&a.secret_hash(), &token.successor(&[1; 32]).secret_hash()));
        assert!(!hashes_equal(&a.secret_hash(), &token.successor(&[2; 32]).secret_hash()));
        assert!(!hashes_equal(&a.secret_hash(), &token.secret_hash()));
        assert_eq!(a.lookup(), token.lookup());
    }
}
