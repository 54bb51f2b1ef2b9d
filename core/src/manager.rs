//! The session manager: every session operation, on top of a key ring and a store.

use crate::UnixTime;
use crate::error::{Error, Result, UnauthorisedReason};
use crate::keyring::KeyRing;
use crate::keys::{Algorithm, SigningKey};
use crate::refresh::RefreshToken;
use crate::rotation::{self, Decision};
use crate::session::{NewSession, Session, SessionRecord};
use crate::store::SessionStore;
use crate::token::{self, AccessClaims, NewClaims, TokenPolicy};
use crate::transport::{FrontToken, public_claims};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Called when a replayed refresh token revokes a session, so the app can alert or log.
pub type TheftHook = Arc<dyn Fn(&TheftEvent) + Send + Sync>;

/// A detected replay of a superseded refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TheftEvent {
    /// The revoked session.
    pub session_handle: String,
    /// Its user.
    pub user_id: String,
    /// When it was detected.
    pub detected_at: UnixTime,
}

/// How signing keys are made, shared and rotated.
#[derive(Debug, Clone)]
pub struct KeyPolicy {
    /// Algorithm of generated keys. Default EdDSA: on this project's measurements it signs fastest of the
    /// asymmetric algorithms (~21 µs vs 34 ES256, 850 RS256 in `jsonwebtoken`), verifies in ~45 µs (RS256
    /// verifies faster but signs 40x slower with 5x longer signatures), and has no nonce to get wrong.
    pub algorithm: Algorithm,
    /// Keep the key ring in the store, so every instance signs with the same keys and rotates once.
    pub shared: bool,
    /// Rotate automatically this often (seconds); `None` rotates only when asked.
    pub rotate_every: Option<i64>,
    /// A new key is published in the JWKS this long before it signs, so verifiers that cache the JWKS, and
    /// other instances, learn it first.
    pub publish_ahead: i64,
    /// A shared ring is reloaded from the store at most this often: during create and refresh, and when
    /// `verify` meets an unknown `kid` (another instance rotated).
    pub sync_interval: i64,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self { algorithm: Algorithm::EdDSA, shared: true, rotate_every: None, publish_ahead: 600, sync_interval: 60 }
    }
}

/// Settings of a [`SessionManager`]. Build with [`Config::new`] and adjust the public fields.
#[derive(Clone)]
pub struct Config {
    /// `iss` of minted tokens, required on verified ones.
    pub issuer: String,
    /// `aud` of minted tokens, required on verified ones.
    pub audience: String,
    /// Access token lifetime in seconds (default 900).
    pub access_ttl: i64,
    /// A session not refreshed for this long ends (default 14 days).
    pub idle_timeout: i64,
    /// A session ends this long after creation, however active (default 30 days).
    pub absolute_lifetime: i64,
    /// How long after a rotation the previous refresh token still returns the same successor (default 60 s;
    /// raise it for mobile clients on slow networks). It covers the immediate predecessor only.
    pub grace_period: i64,
    /// Clock skew tolerated when verifying (default 30 s).
    pub leeway: i64,
    /// Largest access token minted (default 3800 bytes, so the cookie stays under the 4 KB browser limit).
    pub max_access_token_bytes: usize,
    /// Largest session data, as JSON (default 64 KiB).
    pub max_data_bytes: usize,
    /// Custom claims copied into the front token that browser code may read (default none).
    pub front_token_claims: Vec<String>,
    /// When a user has more live sessions than this, the oldest are revoked at sign-in (default unlimited).
    pub max_sessions_per_user: Option<usize>,
    /// Signing keys.
    pub keys: KeyPolicy,
    /// Called on token theft.
    pub on_theft: Option<TheftHook>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl", &self.access_ttl)
            .field("idle_timeout", &self.idle_timeout)
            .field("absolute_lifetime", &self.absolute_lifetime)
            .field("grace_period", &self.grace_period)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Defaults for an issuer and audience.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            access_ttl: 900,
            idle_timeout: 14 * 86_400,
            absolute_lifetime: 30 * 86_400,
            grace_period: 60,
            leeway: 30,
            max_access_token_bytes: 3800,
            max_data_bytes: 64 * 1024,
            front_token_claims: Vec::new(),
            max_sessions_per_user: None,
            keys: KeyPolicy::default(),
            on_theft: None,
        }
    }

    /// Check the settings are consistent.
    pub fn validate(&self) -> Result<()> {
        let fail = |m: &str| Err(Error::Config(m.into()));
        if self.issuer.is_empty() || self.audience.is_empty() {
            return fail("issuer and audience must not be empty");
        }
        if self.access_ttl <= 0 || self.idle_timeout <= 0 || self.absolute_lifetime <= 0 {
            return fail("access_ttl, idle_timeout and absolute_lifetime must be positive");
        }
        if self.access_ttl > self.idle_timeout.min(self.absolute_lifetime) {
            return fail("access_ttl must not exceed idle_timeout or absolute_lifetime");
        }
        if self.grace_period < 0 || self.leeway < 0 || self.keys.publish_ahead < 0 || self.keys.sync_interval < 0 {
            return fail("grace_period, leeway, publish_ahead and sync_interval must not be negative");
        }
        if self.grace_period >= self.idle_timeout {
            return fail("grace_period must be shorter than idle_timeout");
        }
        if self.keys.rotate_every.is_some_and(|r| r <= self.keys.publish_ahead) {
            return fail("keys.rotate_every must be longer than keys.publish_ahead");
        }
        if self.keys.shared && self.keys.publish_ahead < self.keys.sync_interval {
            return fail(
                "keys.publish_ahead must be at least keys.sync_interval, so every instance knows a key before it signs",
            );
        }
        if self.max_sessions_per_user == Some(0) {
            return fail("max_sessions_per_user must be at least 1");
        }
        Ok(())
    }

    fn token_policy(&self) -> TokenPolicy {
        TokenPolicy { leeway: self.leeway, ..TokenPolicy::new(&self.issuer, &self.audience) }
    }

    /// Longest time a token signed now can still verify.
    fn max_token_lifetime(&self) -> i64 {
        self.access_ttl.saturating_add(self.leeway)
    }
}

/// A freshly minted access token and its companions.
#[derive(Clone)]
pub struct AccessToken {
    /// The compact JWS. Secret: send it only to the client it belongs to.
    pub token: String,
    /// Its `exp`.
    pub expires_at: UnixTime,
    /// Its `jti`, which also serves as the double-submit CSRF token.
    pub token_id: String,
    /// The non-secret front token for browser code (user id, expiry, CSRF token, allowlisted claims).
    pub front_token: String,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
}

/// What sign-in and refresh hand to the client.
#[derive(Clone)]
pub struct IssuedTokens {
    /// The access token.
    pub access: AccessToken,
    /// The refresh token (`swr_...`). Secret; the store holds only its hash.
    pub refresh_token: String,
    /// When the refresh token stops working if not used (the session's idle or absolute expiry).
    pub refresh_expires_at: UnixTime,
    /// The session.
    pub session: Session,
}

impl fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("access", &self.access)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("session", &self.session.handle)
            .finish_non_exhaustive()
    }
}

/// The keys in force, with the store version they were loaded from.
struct LoadedKeys {
    ring: Arc<KeyRing>,
    version: Option<u64>,
}

/// Creates, verifies, refreshes and revokes sessions. Share one per process (`Send + Sync`).
pub struct SessionManager {
    config: Config,
    policy: TokenPolicy,
    store: Box<dyn SessionStore>,
    keys: RwLock<LoadedKeys>,
    last_key_sync: AtomicI64,
    /// Serialises key-ring writes within this process (the store's compare-and-swap serialises across them).
    key_writes: Mutex<()>,
    /// Whether the manager may generate keys (not for a ring the application supplied).
    owns_keys: bool,
}

/// Compare-and-swap retries before giving up; only an absurd write storm on one session exhausts them.
const MAX_RACE_RETRIES: usize = 16;

impl SessionManager {
    /// A manager whose keys follow `config.keys`: with `shared` (the default) the ring lives in the store and
    /// is loaded from it; otherwise it lives in this process. A missing ring is created by
    /// [`SessionManager::ensure_keys`], which create and refresh call, so the first key's schedule starts at a
    /// known `now`.
    pub fn new(config: Config, store: impl SessionStore + 'static) -> Result<Self> {
        config.validate()?;
        let manager = Self::build(config, Box::new(store), KeyRing::new(), true);
        manager.sync_keys()?;
        Ok(manager)
    }

    /// A manager with a key ring the application supplies (imported PEM/JWK keys). The ring is used as given
    /// and never written to the store (`config.keys.shared` is ignored); no key is generated for it except by
    /// an explicit [`SessionManager::rotate_keys`] or [`SessionManager::revoke_key`].
    pub fn with_key_ring(config: Config, store: impl SessionStore + 'static, ring: KeyRing) -> Result<Self> {
        config.validate()?;
        if ring.entries().is_empty() {
            return Err(Error::Config("the key ring is empty: add at least one key".into()));
        }
        let mut config = config;
        config.keys.shared = false;
        Ok(Self::build(config, Box::new(store), ring, false))
    }

    fn build(config: Config, store: Box<dyn SessionStore>, ring: KeyRing, owns_keys: bool) -> Self {
        Self {
            policy: config.token_policy(),
            config,
            store,
            keys: RwLock::new(LoadedKeys { ring: Arc::new(ring), version: None }),
            last_key_sync: AtomicI64::new(UnixTime::MIN),
            key_writes: Mutex::new(()),
            owns_keys,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The key ring in force (a snapshot).
    pub fn ring(&self) -> Arc<KeyRing> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).ring.clone()
    }

    // ----- access tokens -----

    /// Verify an access token offline: signature, algorithm pinned by `kid`, `iss`, `aud`, `typ` and times.
    /// No store access. Expired → [`Error::TryRefresh`]; anything else wrong → [`Error::Unauthorised`].
    pub fn verify(&self, access_token: &str, now: UnixTime) -> Result<AccessClaims> {
        let ring = self.ring();
        match token::verify(access_token, &ring, &self.policy, now) {
            // Another instance may have rotated: reload a shared ring once per sync interval and retry. This
            // is the only store read on the verify path, and a flood of unknown kids cannot make it more often.
            Err(Error::Unauthorised { reason: UnauthorisedReason::UnknownKey }) if self.sync_due(now) => {
                self.sync_keys()?;
                token::verify(access_token, &self.ring(), &self.policy, now)
            }
            result => result,
        }
    }

    /// Whether a shared ring should be reloaded now; claims the slot if so.
    fn sync_due(&self, now: UnixTime) -> bool {
        let interval = self.config.keys.sync_interval;
        let last = self.last_key_sync.load(Ordering::Relaxed);
        self.config.keys.shared
            && now.saturating_sub(last) >= interval
            && self.last_key_sync.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    /// [`SessionManager::verify`], then check in the store that the session is still alive — for sensitive
    /// routes where a revocation must take effect before the access token expires.
    pub fn verify_with_store(&self, access_token: &str, now: UnixTime) -> Result<(AccessClaims, Session)> {
        let claims = self.verify(access_token, now)?;
        match self.store.get(&claims.session_handle)? {
            Some(record) if record.user_id == claims.subject && !record.is_expired(now) => {
                Ok((claims, record.to_session()))
            }
            Some(record) if record.user_id == claims.subject => {
                Err(Error::unauthorised(UnauthorisedReason::SessionExpired))
            }
            _ => Err(Error::unauthorised(UnauthorisedReason::SessionRevoked)),
        }
    }

    fn mint(&self, record: &SessionRecord, now: UnixTime) -> Result<AccessToken> {
        let ring = self.ring();
        let key = ring.signing_key(now)?;
        let token_id = crate::random::token::<16>()?;
        // An access token never outlives its session.
        let expires_at = now.saturating_add(self.config.access_ttl).min(record.absolute_expires_at);
        let claims = NewClaims {
            iss: &self.config.issuer,
            sub: &record.user_id,
            aud: &self.config.audience,
            sid: &record.handle,
            jti: &token_id,
            iat: now,
            exp: expires_at,
            custom: &record.access_claims,
        };
        let token = token::sign(key, &claims)?;
        if token.len() > self.config.max_access_token_bytes {
            return Err(Error::InvalidArgument(format!(
                "the access token would be {} bytes, over the {}-byte budget that keeps its cookie under the \
                 browsers' 4 KB limit: move large values from access claims to session data",
                token.len(),
                self.config.max_access_token_bytes
            )));
        }
        let front_token = FrontToken {
            user_id: record.user_id.clone(),
            access_expires_at: expires_at,
            csrf: token_id.clone(),
            claims: public_claims(&record.access_claims, &self.config.front_token_claims),
        }
        .encode();
        Ok(AccessToken { token, expires_at, token_id, front_token })
    }

    fn issue(&self, record: &SessionRecord, refresh: &RefreshToken, now: UnixTime) -> Result<IssuedTokens> {
        Ok(IssuedTokens {
            access: self.mint(record, now)?,
            refresh_token: refresh.encode(),
            refresh_expires_at: record.expires_at(),
            session: record.to_session(),
        })
    }

    // ----- sessions -----

    fn check_data(&self, data: &Value) -> Result<()> {
        let size = serde_json::to_vec(data).map(|v| v.len()).unwrap_or(usize::MAX);
        if size > self.config.max_data_bytes {
            return Err(Error::InvalidArgument(format!(
                "session data is {size} bytes, over max_data_bytes ({})",
                self.config.max_data_bytes
            )));
        }
        Ok(())
    }

    /// Sign a user in: create a session and issue its first access and refresh tokens.
    ///
    /// Reserved claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, `sid`) in `access_claims`, an empty
    /// user id, oversized data or an access token over budget are refused before anything is stored.
    pub fn create_session(&self, new: NewSession, now: UnixTime) -> Result<IssuedTokens> {
        if new.user_id.is_empty() || new.user_id.len() > 255 {
            return Err(Error::InvalidArgument("user_id must be 1 to 255 bytes".into()));
        }
        token::check_custom_claims(&new.access_claims)?;
        self.check_data(&new.data)?;
        new.metadata.check()?;
        self.maintain_keys(now)?;
        let refresh = RefreshToken::generate()?;
        let absolute_expires_at = now.saturating_add(self.config.absolute_lifetime);
        let record = SessionRecord {
            handle: crate::random::token::<16>()?,
            user_id: new.user_id,
            refresh_lookup: refresh.lookup(),
            current_hash: refresh.secret_hash(),
            previous_hash: None,
            rotation_nonce: [0; 32],
            generation: 0,
            version: 1,
            created_at: now,
            refreshed_at: now,
            idle_expires_at: now.saturating_add(self.config.idle_timeout).min(absolute_expires_at),
            absolute_expires_at,
            access_claims: new.access_claims,
            data: new.data,
            metadata: new.metadata,
        };
        // Mint first: an over-budget token must not leave a session behind.
        let issued = self.issue(&record, &refresh, now)?;
        self.store.insert(&record)?;
        if let Some(limit) = self.config.max_sessions_per_user {
            self.enforce_session_limit(&record.user_id, limit, now)?;
        }
        Ok(issued)
    }

    fn enforce_session_limit(&self, user_id: &str, limit: usize, now: UnixTime) -> Result<()> {
        let live: Vec<SessionRecord> =
            self.store.list_for_user(user_id)?.into_iter().filter(|r| !r.is_expired(now)).collect();
        for oldest in live.iter().take(live.len().saturating_sub(limit)) {
            self.store.delete(&oldest.handle, None)?;
        }
        Ok(())
    }

    /// Exchange a refresh token for a new access token and a new refresh token (rotation).
    ///
    /// - The current token rotates: a new successor is issued and the idle expiry moves forward.
    /// - The immediately previous token, within `grace_period` of the rotation, returns *the same*
    ///   successor again (a lost response, two tabs, parallel requests), so clients converge on one chain.
    /// - Any other token of the session's chain is a replay: the session is revoked in the same atomic step,
    ///   `on_theft` is called and [`Error::TokenTheft`] returned.
    /// - An unknown, revoked or malformed token, or an expired session, gives [`Error::Unauthorised`].
    pub fn refresh(&self, refresh_token: &str, now: UnixTime) -> Result<IssuedTokens> {
        let token = RefreshToken::parse(refresh_token)?;
        let lookup = token.lookup();
        self.maintain_keys(now)?;
        for _ in 0..MAX_RACE_RETRIES {
            let record = self
                .store
                .get_by_refresh_lookup(&lookup)?
                .ok_or(Error::unauthorised(UnauthorisedReason::SessionRevoked))?;
            match rotation::decide(&record, &token, now, self.config.grace_period) {
                Decision::Rotate => {
                    let nonce = crate::random::bytes::<32>()?;
                    let (updated, next) = rotation::rotate(&record, &token, nonce, now, self.config.idle_timeout);
                    if self.store.replace(record.version, &updated)? {
                        return self.issue(&updated, &next, now);
                    }
                }
                Decision::ReplayInGrace(successor) => return self.issue(&record, &successor, now),
                Decision::Theft => {
                    if self.store.delete(&record.handle, Some(record.version))? {
                        let event = TheftEvent {
                            session_handle: record.handle.clone(),
                            user_id: record.user_id.clone(),
                            detected_at: now,
                        };
                        if let Some(hook) = &self.config.on_theft {
                            hook(&event);
                        }
                        return Err(Error::TokenTheft { session_handle: record.handle, user_id: record.user_id });
                    }
                }
                Decision::Expired => {
                    self.store.delete(&record.handle, Some(record.version))?;
                    return Err(Error::unauthorised(UnauthorisedReason::SessionExpired));
                }
            }
            // Another writer changed the record between our read and write: read it again and re-decide.
        }
        Err(Error::StoreUnavailable("the session kept changing during refresh; retry".into()))
    }

    /// Identify the session of a genuine access token even if it has expired, for sign-out: every check but
    /// expiry applies, so only a token this service signed names a session to revoke.
    pub fn verify_for_logout(&self, access_token: &str, now: UnixTime) -> Result<AccessClaims> {
        token::verify_inner(access_token, &self.ring(), &self.policy, now, true)
    }

    /// Revoke the session a refresh token belongs to (sign-out by refresh token; no theft check, since the
    /// session ends either way). Returns whether a session was revoked.
    pub fn revoke_by_refresh_token(&self, refresh_token: &str) -> Result<bool> {
        let token = RefreshToken::parse(refresh_token)?;
        match self.store.get_by_refresh_lookup(&token.lookup())? {
            Some(record) => self.store.delete(&record.handle, None),
            None => Ok(false),
        }
    }

    /// Revoke one session. Returns whether it existed.
    pub fn revoke(&self, session_handle: &str) -> Result<bool> {
        self.store.delete(session_handle, None)
    }

    /// Revoke every session of a user, except `keep` (e.g. the current one, for "sign out all others").
    /// Returns how many were revoked.
    pub fn revoke_all(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        self.store.delete_for_user(user_id, keep)
    }

    /// A user's live sessions, oldest first.
    pub fn list_sessions(&self, user_id: &str, now: UnixTime) -> Result<Vec<Session>> {
        Ok(self
            .store
            .list_for_user(user_id)?
            .iter()
            .filter(|r| !r.is_expired(now))
            .map(SessionRecord::to_session)
            .collect())
    }

    /// One live session by handle.
    pub fn get_session(&self, session_handle: &str, now: UnixTime) -> Result<Option<Session>> {
        Ok(self.store.get(session_handle)?.filter(|r| !r.is_expired(now)).map(|r| r.to_session()))
    }

    /// Read-modify-write a live session with compare-and-swap, retrying on concurrent writes.
    fn update(
        &self,
        session_handle: &str,
        now: UnixTime,
        change: impl Fn(&mut SessionRecord) -> Result<()>,
    ) -> Result<SessionRecord> {
        for _ in 0..MAX_RACE_RETRIES {
            let record = self
                .store
                .get(session_handle)?
                .filter(|r| !r.is_expired(now))
                .ok_or(Error::unauthorised(UnauthorisedReason::SessionRevoked))?;
            let mut updated = record.clone();
            change(&mut updated)?;
            updated.version = record.version + 1;
            if self.store.replace(record.version, &updated)? {
                return Ok(updated);
            }
        }
        Err(Error::StoreUnavailable("the session kept changing during the update; retry".into()))
    }

    /// Replace a session's server-side data.
    pub fn update_session_data(&self, session_handle: &str, data: Value, now: UnixTime) -> Result<Session> {
        self.check_data(&data)?;
        Ok(self
            .update(session_handle, now, |r| {
                r.data = data.clone();
                Ok(())
            })?
            .to_session())
    }

    /// Replace a session's access claims. They appear in access tokens minted from now on (at the next
    /// refresh, or at once with [`SessionManager::regenerate_access_token`]).
    pub fn update_access_claims(
        &self,
        session_handle: &str,
        claims: Map<String, Value>,
        now: UnixTime,
    ) -> Result<Session> {
        token::check_custom_claims(&claims)?;
        self.maintain_keys(now)?;
        Ok(self
            .update(session_handle, now, |r| {
                r.access_claims = claims.clone();
                // A trial mint refuses claims that would push the token over budget before anything is stored.
                self.mint(r, now).map(drop)
            })?
            .to_session())
    }

    /// Mint a new access token for a live session from its current claims, without rotating the refresh token.
    pub fn regenerate_access_token(&self, session_handle: &str, now: UnixTime) -> Result<AccessToken> {
        self.maintain_keys(now)?;
        let record = self
            .store
            .get(session_handle)?
            .filter(|r| !r.is_expired(now))
            .ok_or(Error::unauthorised(UnauthorisedReason::SessionRevoked))?;
        self.mint(&record, now)
    }

    /// Delete expired sessions from the store, and drop retired keys whose tokens have all expired.
    /// Returns how many sessions were deleted.
    pub fn purge_expired(&self, now: UnixTime) -> Result<u64> {
        let purged = self.store.purge_expired(now)?;
        let lifetime = self.config.max_token_lifetime();
        if self.ring().entries().iter().any(|e| e.retires_at.is_some_and(|r| r.saturating_add(lifetime) <= now)) {
            self.write_keys(|ring| {
                ring.purge(now, lifetime);
                Ok(())
            })?;
        }
        Ok(purged)
    }

    // ----- keys -----

    /// The public JWKS (`{"keys": [...]}`) for other services to verify tokens with.
    pub fn jwks(&self) -> Value {
        self.ring().jwks()
    }

    /// Start a key rotation now: a new key is published at once and signs from `now + publish_ahead`; the
    /// current key stops signing then and verifies until its last token expires. Returns the new `kid`.
    pub fn rotate_keys(&self, now: UnixTime) -> Result<String> {
        let algorithm = self.config.keys.algorithm;
        let publish_ahead = self.config.keys.publish_ahead;
        let lifetime = self.config.max_token_lifetime();
        let mut kid = String::new();
        self.write_keys(|ring| {
            kid = ring.rotate(SigningKey::generate(algorithm)?, now, publish_ahead)?;
            ring.purge(now, lifetime);
            Ok(())
        })?;
        Ok(kid)
    }

    /// Revoke a signing key at once (e.g. it leaked). Tokens it signed answer "try refresh"; if it was the
    /// signing key, a new key signs immediately so refreshes keep working. Returns false for an unknown kid.
    pub fn revoke_key(&self, kid: &str, now: UnixTime) -> Result<bool> {
        let algorithm = self.config.keys.algorithm;
        let mut found = false;
        self.write_keys(|ring| {
            found = ring.revoke(kid, now);
            if found && ring.signing_key(now).is_err() {
                ring.rotate(SigningKey::generate(algorithm)?, now, 0)?;
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// Reload a shared key ring from the store now (other instances may have rotated). No-op for
    /// unshared rings.
    pub fn sync_keys(&self) -> Result<()> {
        if !self.config.keys.shared {
            return Ok(());
        }
        let Some(stored) = self.store.load_keys()? else { return Ok(()) };
        // Parse outside the lock so verifies are not held up, and never replace a newer ring with an older one.
        if self.keys.read().unwrap_or_else(|p| p.into_inner()).version.is_some_and(|v| v >= stored.version) {
            return Ok(());
        }
        let ring = Arc::new(KeyRing::from_stored(&stored.keys)?);
        let mut loaded = self.keys.write().unwrap_or_else(|p| p.into_inner());
        if loaded.version.is_none_or(|v| v < stored.version) {
            *loaded = LoadedKeys { ring, version: Some(stored.version) };
        }
        Ok(())
    }

    /// Apply `change` to the key ring: for a shared ring, as a compare-and-swap on the stored ring (retried
    /// when another instance wrote first); otherwise in memory.
    fn write_keys(&self, change: impl FnMut(&mut KeyRing) -> Result<()>) -> Result<()> {
        let mut change = change;
        let _guard = self.key_writes.lock().unwrap_or_else(|p| p.into_inner());
        if !self.config.keys.shared {
            let mut ring = (*self.ring()).clone();
            change(&mut ring)?;
            self.keys.write().unwrap_or_else(|p| p.into_inner()).ring = Arc::new(ring);
            return Ok(());
        }
        for _ in 0..MAX_RACE_RETRIES {
            let stored = self.store.load_keys()?;
            let version = stored.as_ref().map(|s| s.version);
            let mut ring = match &stored {
                Some(s) => KeyRing::from_stored(&s.keys)?,
                None => KeyRing::new(),
            };
            change(&mut ring)?;
            if self.store.save_keys(version, &ring.to_stored())? {
                let new_version = Some(version.map_or(1, |v| v + 1));
                *self.keys.write().unwrap_or_else(|p| p.into_inner()) =
                    LoadedKeys { ring: Arc::new(ring), version: new_version };
                return Ok(());
            }
        }
        Err(Error::StoreUnavailable("the shared key ring kept changing; retry".into()))
    }

    /// Make sure a signing key exists, generating the first one (signing from `now`) if the ring is empty.
    /// Call it at start-up so the JWKS is populated before the first sign-in.
    pub fn ensure_keys(&self, now: UnixTime) -> Result<()> {
        if !self.owns_keys || self.ring().signing_key(now).is_ok() {
            return Ok(());
        }
        let algorithm = self.config.keys.algorithm;
        self.write_keys(|ring| {
            if ring.signing_key(now).is_err() {
                ring.rotate(SigningKey::generate(algorithm)?, now, 0)?;
            }
            Ok(())
        })
    }

    /// Keep a shared ring fresh and run scheduled rotation; called on create and refresh, not on verify.
    fn maintain_keys(&self, now: UnixTime) -> Result<()> {
        let policy = &self.config.keys;
        if self.sync_due(now) {
            self.sync_keys()?;
        }
        self.ensure_keys(now)?;
        let Some(every) = policy.rotate_every.filter(|_| self.owns_keys) else { return Ok(()) };
        let due = |ring: &KeyRing| {
            let pending = ring.entries().iter().any(|e| e.activates_at > now && !e.revoked);
            !pending && ring.active_since(now).is_none_or(|since| now.saturating_sub(since) >= every)
        };
        if due(&self.ring()) {
            let (algorithm, ahead, lifetime) =
                (policy.algorithm, policy.publish_ahead, self.config.max_token_lifetime());
            self.write_keys(|ring| {
                // Re-checked on the freshly loaded ring, so only one instance rotates.
                if due(ring) {
                    ring.rotate(SigningKey::generate(algorithm)?, now, ahead)?;
                    ring.purge(now, lifetime);
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}
