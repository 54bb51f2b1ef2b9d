//! The key ring: which key signs now, which keys still verify, and the public JWKS.
//!
//! Rotation never logs anyone out: a new key is published (in the JWKS) before it signs, and a retired key
//! keeps verifying until every token it signed has expired. Revoking a key makes its (genuine) tokens fail
//! as "try refresh", so clients get new tokens signed by a good key and users stay signed in.

use crate::UnixTime;
use crate::error::{Error, Result, UnauthorisedReason};
use crate::keys::{Algorithm, SigningKey};
use serde_json::{Value, json};
use std::sync::Arc;

/// One key and its schedule.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The key itself.
    pub key: Arc<SigningKey>,
    /// From when the key may sign (it is published in the JWKS before that).
    pub activates_at: UnixTime,
    /// When the key stopped signing, if it has been superseded.
    pub retires_at: Option<UnixTime>,
    /// A revoked key neither signs nor verifies.
    pub revoked: bool,
}

/// A set of signing keys with a schedule. Cheap to clone (keys are shared).
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    entries: Vec<KeyEntry>,
}

/// A key as kept in a shared store, so every instance of an app uses the same ring.
///
/// `private_der` is secret key material: protect the store accordingly.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Key id.
    pub kid: String,
    /// Algorithm name (`EdDSA`, `ES256`, `RS256`, `HS256`).
    pub algorithm: String,
    /// Private key, as [`SigningKey::private_der`].
    pub private_der: Vec<u8>,
    /// From when it signs.
    pub activates_at: UnixTime,
    /// When it stopped signing.
    pub retires_at: Option<UnixTime>,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey").field("kid", &self.kid).field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// A ring holding one key that signs from the start.
    pub fn with_key(key: SigningKey) -> Self {
        let mut ring = Self::new();
        ring.entries.push(KeyEntry {
            key: Arc::new(key),
            activates_at: UnixTime::MIN,
            retires_at: None,
            revoked: false,
        });
        ring
    }

    /// Add a key that signs from `activates_at` (verify-only keys, e.g. another service's public keys, never sign).
    pub fn add(&mut self, key: impl Into<Arc<SigningKey>>, activates_at: UnixTime) -> Result<()> {
        let key = key.into();
        if self.entries.iter().any(|e| e.key.kid() == key.kid()) {
            return Err(Error::Config(format!("key id {:?} is already in the key ring", key.kid())));
        }
        self.entries.push(KeyEntry { key, activates_at, retires_at: None, revoked: false });
        Ok(())
    }

    /// All entries, oldest first.
    pub fn entries(&self) -> &[KeyEntry] {
        &self.entries
    }

    /// The key that signs at `now`: the most recently activated key that can sign and is neither retired nor
    /// revoked.
    pub fn signing_key(&self, now: UnixTime) -> Result<&Arc<SigningKey>> {
        self.signing_entry(now).map(|e| &e.key).ok_or_else(|| {
            Error::Config("the key ring has no active signing key: add or generate a private key".into())
        })
    }

    fn signing_entry(&self, now: UnixTime) -> Option<&KeyEntry> {
        self.entries
            .iter()
            .filter(|e| e.key.can_sign() && !e.revoked && e.activates_at <= now && e.retires_at.is_none_or(|r| now < r))
            .max_by_key(|e| e.activates_at)
    }

    /// The entry for `kid`, revoked or not. A token naming an unknown `kid` is unauthorised.
    pub fn entry(&self, kid: &str) -> Result<&KeyEntry> {
        self.entries.iter().find(|e| e.key.kid() == kid).ok_or(Error::unauthorised(UnauthorisedReason::UnknownKey))
    }

    /// Schedule `new_key` to sign from `now + publish_ahead`; the current signing key retires at that moment.
    /// Returns the new key's id.
    pub fn rotate(&mut self, new_key: SigningKey, now: UnixTime, publish_ahead: i64) -> Result<String> {
        let activates_at = now.saturating_add(publish_ahead.max(0));
        let kid = new_key.kid().to_owned();
        // Retire every key that would otherwise still sign at or after the switch.
        for entry in &mut self.entries {
            if entry.key.can_sign() && !entry.revoked && entry.retires_at.is_none_or(|r| r > activates_at) {
                entry.retires_at = Some(activates_at);
            }
        }
        self.add(new_key, activates_at)?;
        Ok(kid)
    }

    /// Revoke a key at `now`: it stops signing and verifying; genuine tokens it signed answer "try refresh"
    /// until [`KeyRing::purge`] drops it. Returns false when no key has that id.
    pub fn revoke(&mut self, kid: &str, now: UnixTime) -> bool {
        match self.entries.iter_mut().find(|e| e.key.kid() == kid) {
            Some(entry) => {
                entry.revoked = true;
                entry.retires_at = Some(entry.retires_at.map_or(now, |r| r.min(now)));
                true
            }
            None => false,
        }
    }

    /// Drop keys that retired more than `max_token_lifetime` ago (every token they signed has expired), and
    /// revoked keys older than that. Returns how many were dropped.
    pub fn purge(&mut self, now: UnixTime, max_token_lifetime: i64) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.retires_at.is_none_or(|r| r.saturating_add(max_token_lifetime) > now));
        before - self.entries.len()
    }

    /// When the current signing key started signing (for scheduled rotation).
    pub fn active_since(&self, now: UnixTime) -> Option<UnixTime> {
        self.signing_entry(now).map(|e| e.activates_at)
    }

    /// The public JWKS (`{"keys": [...]}`): every published, non-revoked asymmetric key, including keys
    /// scheduled to sign soon. Never contains private parts or HMAC secrets.
    pub fn jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .entries
            .iter()
            .filter(|e| !e.revoked)
            .filter_map(|e| e.key.public_jwk().map(|jwk| Value::Object(jwk.clone())))
            .collect();
        json!({ "keys": keys })
    }

    /// The ring in storable form. Verify-only keys (no private part) are not stored.
    pub fn to_stored(&self) -> Vec<StoredKey> {
        self.entries
            .iter()
            .filter_map(|e| {
                Some(StoredKey {
                    kid: e.key.kid().to_owned(),
                    algorithm: e.key.algorithm().as_str().to_owned(),
                    private_der: e.key.private_der()?.to_vec(),
                    activates_at: e.activates_at,
                    retires_at: e.retires_at,
                    revoked: e.revoked,
                })
            })
            .collect()
    }

    /// Rebuild a ring from its stored form.
    pub fn from_stored(stored: &[StoredKey]) -> Result<Self> {
        let mut ring = Self::new();
        for s in stored {
            let algorithm: Algorithm = s.algorithm.parse()?;
            let key = SigningKey::from_private_der(algorithm, &s.private_der, Some(s.kid.clone()))?;
            ring.add(key, s.activates_at)?;
            let entry = ring.entries.last_mut().expect("just added");
            entry.retires_at = s.retires_at;
            entry.revoked = s.revoked;
        }
        Ok(ring)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_publishes_before_signing_and_keeps_old_key_verifying() {
        let old = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let old_kid = old.kid().to_owned();
        let mut ring = KeyRing::with_key(old);
        let new_kid = ring.rotate(SigningKey::generate(Algorithm::EdDSA).unwrap(), 1000, 300).unwrap();
        // Published at once, signs only after 300 s.
        assert_eq!(ring.jwks()["keys"].as_array().unwrap().len(), 2);
        assert_eq!(ring.signing_key(1299).unwrap().kid(), old_kid);
        assert_eq!(ring.signing_key(1300).unwrap().kid(), new_kid);
        assert!(ring.entry(&old_kid).is_ok());
        // The old key goes once its last token (15 min) has expired.
        assert_eq!(ring.purge(1300 + 899, 900), 0);
        assert_eq!(ring.purge(1300 + 900, 900), 1);
        assert_eq!(ring.entry(&old_kid).unwrap_err().code(), "unauthorised");
    }

    #[test]
    fn revoked_key_stops_signing_and_leaves_jwks() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap();
        let kid = key.kid().to_owned();
        let mut ring = KeyRing::with_key(key);
        assert!(ring.revoke(&kid, 5));
        assert!(!ring.revoke("nope", 5));
        assert!(ring.entry(&kid).unwrap().revoked);
        assert!(ring.signing_key(0).is_err());
        assert_eq!(ring.jwks()["keys"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn stored_form_round_trips() {
        let mut ring = KeyRing::with_key(SigningKey::generate(Algorithm::HS256).unwrap());
        ring.rotate(SigningKey::generate(Algorithm::RS256).unwrap(), 10, 5).unwrap();
        let stored = ring.to_stored();
        let back = KeyRing::from_stored(&stored).unwrap();
        assert_eq!(back.to_stored(), stored);
        assert_eq!(ring.jwks(), back.jwks());
        assert!(
            ring.add(
                SigningKey::from_private_der(Algorithm::HS256, &stored[0].private_der, Some(stored[0].kid.clone()))
                    .unwrap(),
                0
            )
            .is_err()
        );
    }
}
