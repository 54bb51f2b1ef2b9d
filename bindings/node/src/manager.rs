//! `SessionManager`: every session operation. `verify` is synchronous (microseconds, no store); every call
//! that touches the store returns a Promise run on the libuv thread pool, with a `...Sync` twin.

use crate::claims;
use crate::convert::{self, Options};
use crate::errors::{IntoJs, type_error};
use crate::keys::Key;
use crate::store;
use crate::task::Op;
use crate::types::{AccessToken, IssuedTokens, Session, Verified, VerifiedSession};
use napi::bindgen_prelude::{Array, AsyncTask, ClassInstance, FromNapiValue, Function, FunctionRef, Unknown};
use napi::{Env, JsValue, Result, ValueType};
use napi_derive::napi;
use serde_json::{Map, Value, json};
use sessionward::{Config, KeyRing, NewSession, SessionMetadata, SessionStore, TheftEvent};
use std::sync::{Arc, Mutex};

/// Theft events wait here until a call settles on the JavaScript thread, where `onTheft` is called: the
/// core detects theft on a pool thread, and calling back from there would need a threadsafe function that
/// keeps the process alive.
pub struct Thefts {
    queue: Mutex<Vec<TheftEvent>>,
    hook: Option<FunctionRef<Value, Unknown<'static>>>,
}

impl Thefts {
    fn push(&self, event: &TheftEvent) {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).push(event.clone());
    }

    /// Call `onTheft` for every event detected so far. A throwing hook must not turn the refresh's answer
    /// (the theft error) into another one, so its exception is reported on stderr and dropped.
    pub fn deliver(&self, env: &Env) {
        let Some(hook) = &self.hook else { return };
        let events = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()));
        for event in events {
            let arg = json!({
                "sessionHandle": event.session_handle,
                "userId": event.user_id,
                "detectedAt": event.detected_at,
            });
            if let Err(err) = hook.borrow_back(env).and_then(|f| f.call(arg)) {
                eprintln!("sessionward: the onTheft hook threw: {}", err.reason);
            }
        }
    }
}

/// Options of `new SessionManager(...)`. Every time is in seconds.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct SessionManagerOptions {
    /// `iss` of minted tokens, required on verified ones.
    pub issuer: String,
    /// `aud` of minted tokens, required on verified ones.
    pub audience: String,
    /// Where sessions (and a shared key ring) live; default a `SqliteStore` on `sessionward.sqlite3`.
    #[napi(ts_type = "MemoryStore | SqliteStore | PostgresStore | RedisStore")]
    pub store: Option<Value>,
    /// Algorithm of generated keys (default `EdDSA`).
    #[napi(ts_type = "Algorithm")]
    pub algorithm: Option<String>,
    /// Keys the application supplies (imported PEM/JWK/secret keys), used as given and never stored.
    #[napi(ts_type = "Key[]")]
    pub keys: Option<Value>,
    /// Keep the key ring in the store so every instance signs with the same keys (default true).
    pub shared_keys: Option<bool>,
    /// Rotate keys automatically this often (default: only when asked).
    pub rotate_keys_every: Option<f64>,
    /// A new key is published this long before it signs (default 600).
    pub publish_keys_ahead: Option<f64>,
    /// A shared ring is reloaded from the store at most this often (default 60).
    pub key_sync_interval: Option<f64>,
    /// Access token lifetime (default 900).
    pub access_ttl: Option<f64>,
    /// A session not refreshed for this long ends (default 14 days).
    pub idle_timeout: Option<f64>,
    /// A session ends this long after creation, however active (default 30 days).
    pub absolute_lifetime: Option<f64>,
    /// How long after a rotation the previous refresh token still returns the same successor (default 60).
    pub grace_period: Option<f64>,
    /// Clock skew tolerated when verifying (default 30).
    pub leeway: Option<f64>,
    /// Largest access token minted, in bytes (default 3800, so the cookie stays under 4 KB).
    pub max_access_token_bytes: Option<f64>,
    /// Largest session data as JSON, in bytes (default 65536).
    pub max_data_bytes: Option<f64>,
    /// Custom claims copied into the front token that browser code may read (default none).
    pub front_token_claims: Option<Vec<String>>,
    /// When a user has more live sessions than this, the oldest are revoked at sign-in (default unlimited).
    pub max_sessions_per_user: Option<f64>,
    /// Called on the JavaScript thread when a replayed refresh token revokes a session.
    #[napi(ts_type = "(event: TheftEvent) => void")]
    pub on_theft: Option<Value>,
    /// The time the first key of a new ring signs from (default now); for tests with a fixed clock.
    pub now: Option<f64>,
}

/// What `onTheft` receives.
#[napi(object, object_from_js = false, js_name = "TheftEvent")]
#[allow(dead_code)] // Declares the TypeScript type only: the hook receives the same fields as JSON.
pub struct TheftEventJs {
    /// The revoked session.
    pub session_handle: String,
    /// Its user.
    pub user_id: String,
    /// When the replay was detected (Unix seconds).
    pub detected_at: i64,
}

/// Options of `createSession`.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct CreateSessionOptions {
    /// Claims copied into every access token of the session (reserved names are refused).
    #[napi(ts_type = "Record<string, any>")]
    pub access_claims: Option<Value>,
    /// Server-side session data (any JSON value); never put in a token.
    #[napi(ts_type = "any")]
    pub data: Option<Value>,
    /// `User-Agent` at sign-in.
    pub user_agent: Option<String>,
    /// Client IP at sign-in.
    pub ip: Option<String>,
    /// A device label ("Anna's phone").
    pub device: Option<String>,
    /// Unix time in seconds (default the system clock).
    pub now: Option<f64>,
}

/// The `{ now }` option of time-dependent calls: Unix seconds, for tests; default the system clock.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct NowOptions {
    /// Unix time in seconds (fractions floored).
    pub now: Option<f64>,
}

/// Options of `revokeAll`.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct RevokeAllOptions {
    /// A session handle to spare (e.g. the current one, for "sign out all other sessions").
    pub keep: Option<String>,
}

/// The public JWKS.
#[napi(object, object_from_js = false)]
pub struct Jwks {
    /// The public keys (never HS256 secrets).
    #[napi(ts_type = "Record<string, string>[]")]
    pub keys: Vec<Value>,
}

fn config_seconds(env: &Env, options: &Options<'_>, name: &str, target: &mut i64) -> Result<()> {
    if let Some(v) = options.get(name)? {
        *target = convert::seconds(env, v, name)?;
    }
    Ok(())
}

fn config_bytes(env: &Env, options: &Options<'_>, name: &str, target: &mut usize) -> Result<()> {
    if let Some(v) = options.get(name)? {
        *target = convert::integer(env, v, name, 1, 1 << 30)? as usize;
    }
    Ok(())
}

fn key_ring(env: &Env, value: Unknown<'_>) -> Result<KeyRing> {
    if !value.is_array()? {
        return Err(type_error(env, "keys must be an array of Key objects".into()));
    }
    let array = Array::from_unknown(value)?;
    let mut ring = KeyRing::new();
    for i in 0..array.len() {
        let item = array.get::<Unknown>(i)?.unwrap_or(value);
        let key: ClassInstance<Key> = convert::instance(env, item, "keys[]", "a Key")?;
        ring.add(key.inner.clone(), i64::MIN).js(env)?;
    }
    Ok(ring)
}

fn config(env: &Env, options: &Options<'_>, thefts: &Arc<Thefts>) -> Result<Config> {
    let issuer = convert::string(env, convert::required(env, options.get("issuer")?, "issuer", "a string")?, "issuer")?;
    let audience =
        convert::string(env, convert::required(env, options.get("audience")?, "audience", "a string")?, "audience")?;
    let mut config = Config::new(issuer, audience);
    if let Some(v) = options.get("algorithm")? {
        config.keys.algorithm = convert::string(env, v, "algorithm")?.parse().js(env)?;
    }
    if let Some(v) = options.get("sharedKeys")? {
        config.keys.shared = convert::boolean(env, v, "sharedKeys")?;
    }
    if let Some(v) = options.get("rotateKeysEvery")? {
        config.keys.rotate_every = Some(convert::seconds(env, v, "rotateKeysEvery")?);
    }
    config_seconds(env, options, "publishKeysAhead", &mut config.keys.publish_ahead)?;
    config_seconds(env, options, "keySyncInterval", &mut config.keys.sync_interval)?;
    config_seconds(env, options, "accessTtl", &mut config.access_ttl)?;
    config_seconds(env, options, "idleTimeout", &mut config.idle_timeout)?;
    config_seconds(env, options, "absoluteLifetime", &mut config.absolute_lifetime)?;
    config_seconds(env, options, "gracePeriod", &mut config.grace_period)?;
    config_seconds(env, options, "leeway", &mut config.leeway)?;
    config_bytes(env, options, "maxAccessTokenBytes", &mut config.max_access_token_bytes)?;
    config_bytes(env, options, "maxDataBytes", &mut config.max_data_bytes)?;
    if let Some(v) = options.get("frontTokenClaims")? {
        config.front_token_claims = convert::string_list(env, v, "frontTokenClaims")?;
    }
    if let Some(v) = options.get("maxSessionsPerUser")? {
        config.max_sessions_per_user = Some(convert::integer(env, v, "maxSessionsPerUser", 0, 1 << 30)? as usize);
    }
    if thefts.hook.is_some() {
        let queue = thefts.clone();
        config.on_theft = Some(Arc::new(move |event: &TheftEvent| queue.push(event)));
    }
    Ok(config)
}

fn theft_hook(env: &Env, options: &Options<'_>) -> Result<Option<FunctionRef<Value, Unknown<'static>>>> {
    match options.get("onTheft")? {
        Some(v) if v.get_type()? == ValueType::Function => Ok(Some(Function::from_unknown(v)?.create_ref()?)),
        Some(_) => Err(type_error(env, "onTheft must be a function".into())),
        None => Ok(None),
    }
}

/// Creates, verifies, refreshes and revokes sessions. Share one per process.
#[napi]
pub struct SessionManager {
    pub(crate) inner: Arc<sessionward::SessionManager>,
    pub(crate) thefts: Arc<Thefts>,
}

/// Wrap core sessions for JavaScript.
fn sessions(list: Vec<sessionward::Session>) -> Vec<Session> {
    list.into_iter().map(|inner| Session { inner }).collect()
}

impl SessionManager {
    fn string(env: &Env, value: Unknown<'_>, what: &str) -> Result<String> {
        convert::string(env, value, what)
    }

    fn prepare_create(
        &self,
        env: &Env,
        user_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<(NewSession, i64)> {
        let user_id = Self::string(env, user_id, "userId")?;
        let options = Options::new(env, options, "options")?;
        let access_claims = convert::json_object(env, options.get("accessClaims")?, "accessClaims")?;
        let data = match options.get("data")? {
            Some(v) => convert::json(env, v, "data")?,
            None => Value::Null,
        };
        let metadata = SessionMetadata {
            user_agent: convert::opt_string(env, options.get("userAgent")?, "userAgent")?,
            ip: convert::opt_string(env, options.get("ip")?, "ip")?,
            device: convert::opt_string(env, options.get("device")?, "device")?,
        };
        let now = options.now(env)?;
        Ok((NewSession { user_id, access_claims, data, metadata }, now))
    }

    fn keep(env: &Env, options: Option<Unknown<'_>>) -> Result<Option<String>> {
        convert::opt_string(env, Options::new(env, options, "options")?.get("keep")?, "keep")
    }

    fn claims_object(env: &Env, claims: Unknown<'_>) -> Result<Map<String, Value>> {
        if convert::is_nullish(&claims) {
            return Err(type_error(env, "claims must be a plain object (use {} for none)".into()));
        }
        convert::json_object(env, Some(claims), "claims")
    }
}

#[napi]
impl SessionManager {
    /// A manager. With `keys` it uses that key ring as given; otherwise keys are generated and (with
    /// `sharedKeys`, the default) kept in the store. Opening the store and loading keys block: create one
    /// manager at start-up and share it.
    #[napi(constructor, ts_args_type = "options: SessionManagerOptions")]
    pub fn new(env: Env, options: Unknown<'_>) -> Result<Self> {
        let options = convert::required(&env, Some(options), "options", "an object")?;
        let options = Options::new(&env, Some(options), "options")?;
        let thefts = Arc::new(Thefts { queue: Mutex::new(Vec::new()), hook: theft_hook(&env, &options)? });
        let config = config(&env, &options, &thefts)?;
        let store: Arc<dyn SessionStore> = match options.get("store")? {
            Some(v) => store::extract(&env, v)?,
            None => Arc::new(sessionward::SqliteStore::open("sessionward.sqlite3").js(&env)?),
        };
        let now = options.now(&env)?;
        let manager = match options.get("keys")? {
            Some(keys) => sessionward::SessionManager::with_key_ring(config, store, key_ring(&env, keys)?),
            None => sessionward::SessionManager::new(config, store),
        }
        .js(&env)?;
        // The first key of a new ring signs from `now`, so tests that pass a fixed `now` pass it here too.
        manager.ensure_keys(now).js(&env)?;
        Ok(Self { inner: Arc::new(manager), thefts })
    }

    /// Verify an access token offline, synchronously: signature, algorithm pinned by `kid`, `iss`, `aud`,
    /// `typ` and times. Throws `try_refresh` when expired (or its key was revoked), `unauthorised`
    /// otherwise.
    #[napi(ts_args_type = "token: string, options?: NowOptions", ts_return_type = "import('./claims').AccessClaims")]
    pub fn verify(&self, env: Env, token: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Unknown<'static>> {
        let token = Self::string(&env, token, "token")?;
        let now = convert::now_option(&env, options)?;
        claims::to_js(&env, self.inner.verify(&token, now).js(&env)?)
    }

    /// `verify`, then check in the store that the session is still alive (for sensitive routes).
    #[napi(ts_args_type = "token: string, options?: NowOptions", ts_return_type = "Promise<VerifiedSession>")]
    pub fn verify_with_store(
        &self,
        env: Env,
        token: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<Verified>>> {
        let (token, now) = (Self::string(&env, token, "token")?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || verified(m.verify_with_store(&token, now))))
    }

    /// `verifyWithStore`, synchronously.
    #[napi(ts_args_type = "token: string, options?: NowOptions")]
    pub fn verify_with_store_sync(
        &self,
        env: Env,
        token: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<VerifiedSession> {
        let (token, now) = (Self::string(&env, token, "token")?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || verified(self.inner.verify_with_store(&token, now)))
    }

    /// Sign a user in: a new session and its first tokens.
    #[napi(ts_args_type = "userId: string, options?: CreateSessionOptions", ts_return_type = "Promise<IssuedTokens>")]
    pub fn create_session(
        &self,
        env: Env,
        user_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<IssuedTokens>>> {
        let (new, now) = self.prepare_create(&env, user_id, options)?;
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.create_session(new, now).map(|inner| IssuedTokens { inner })))
    }

    /// `createSession`, synchronously.
    #[napi(ts_args_type = "userId: string, options?: CreateSessionOptions")]
    pub fn create_session_sync(
        &self,
        env: Env,
        user_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<IssuedTokens> {
        let (new, now) = self.prepare_create(&env, user_id, options)?;
        Op::run(&env, &self.thefts, || self.inner.create_session(new, now).map(|inner| IssuedTokens { inner }))
    }

    /// Rotate a refresh token: new access and refresh tokens. Replaying a superseded token revokes the
    /// session and throws `token_theft` (after calling `onTheft`); the previous token inside the grace
    /// period returns the same successor again.
    #[napi(ts_args_type = "refreshToken: string, options?: NowOptions", ts_return_type = "Promise<IssuedTokens>")]
    pub fn refresh(
        &self,
        env: Env,
        refresh_token: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<IssuedTokens>>> {
        let (token, now) = (Self::string(&env, refresh_token, "refreshToken")?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.refresh(&token, now).map(|inner| IssuedTokens { inner })))
    }

    /// `refresh`, synchronously.
    #[napi(ts_args_type = "refreshToken: string, options?: NowOptions")]
    pub fn refresh_sync(
        &self,
        env: Env,
        refresh_token: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<IssuedTokens> {
        let (token, now) = (Self::string(&env, refresh_token, "refreshToken")?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || self.inner.refresh(&token, now).map(|inner| IssuedTokens { inner }))
    }

    /// Revoke one session; whether it existed.
    #[napi(ts_args_type = "sessionHandle: string", ts_return_type = "Promise<boolean>")]
    pub fn revoke(&self, env: Env, session_handle: Unknown<'_>) -> Result<AsyncTask<Op<bool>>> {
        let handle = Self::string(&env, session_handle, "sessionHandle")?;
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.revoke(&handle)))
    }

    /// `revoke`, synchronously.
    #[napi(ts_args_type = "sessionHandle: string")]
    pub fn revoke_sync(&self, env: Env, session_handle: Unknown<'_>) -> Result<bool> {
        let handle = Self::string(&env, session_handle, "sessionHandle")?;
        Op::run(&env, &self.thefts, || self.inner.revoke(&handle))
    }

    /// Revoke the session a refresh token belongs to (sign-out by refresh token); whether one was revoked.
    #[napi(ts_args_type = "refreshToken: string", ts_return_type = "Promise<boolean>")]
    pub fn revoke_by_refresh_token(&self, env: Env, refresh_token: Unknown<'_>) -> Result<AsyncTask<Op<bool>>> {
        let token = Self::string(&env, refresh_token, "refreshToken")?;
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.revoke_by_refresh_token(&token)))
    }

    /// `revokeByRefreshToken`, synchronously.
    #[napi(ts_args_type = "refreshToken: string")]
    pub fn revoke_by_refresh_token_sync(&self, env: Env, refresh_token: Unknown<'_>) -> Result<bool> {
        let token = Self::string(&env, refresh_token, "refreshToken")?;
        Op::run(&env, &self.thefts, || self.inner.revoke_by_refresh_token(&token))
    }

    /// Revoke every session of a user except `keep`; how many were revoked.
    #[napi(ts_args_type = "userId: string, options?: RevokeAllOptions", ts_return_type = "Promise<number>")]
    pub fn revoke_all(
        &self,
        env: Env,
        user_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<i64>>> {
        let (user, keep) = (Self::string(&env, user_id, "userId")?, Self::keep(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.revoke_all(&user, keep.as_deref()).map(|n| n as i64)))
    }

    /// `revokeAll`, synchronously.
    #[napi(ts_args_type = "userId: string, options?: RevokeAllOptions")]
    pub fn revoke_all_sync(&self, env: Env, user_id: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<i64> {
        let (user, keep) = (Self::string(&env, user_id, "userId")?, Self::keep(&env, options)?);
        Op::run(&env, &self.thefts, || self.inner.revoke_all(&user, keep.as_deref()).map(|n| n as i64))
    }

    /// A user's live sessions, oldest first.
    #[napi(ts_args_type = "userId: string, options?: NowOptions", ts_return_type = "Promise<Session[]>")]
    pub fn list_sessions(
        &self,
        env: Env,
        user_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<Vec<Session>>>> {
        let (user, now) = (Self::string(&env, user_id, "userId")?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.list_sessions(&user, now).map(sessions)))
    }

    /// `listSessions`, synchronously.
    #[napi(ts_args_type = "userId: string, options?: NowOptions")]
    pub fn list_sessions_sync(
        &self,
        env: Env,
        user_id: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Vec<Session>> {
        let (user, now) = (Self::string(&env, user_id, "userId")?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || self.inner.list_sessions(&user, now).map(sessions))
    }

    /// One live session, or `null`.
    #[napi(ts_args_type = "sessionHandle: string, options?: NowOptions", ts_return_type = "Promise<Session | null>")]
    pub fn get_session(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<Option<Session>>>> {
        let (handle, now) = (Self::string(&env, session_handle, "sessionHandle")?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || Ok(m.get_session(&handle, now)?.map(|inner| Session { inner }))))
    }

    /// `getSession`, synchronously.
    #[napi(ts_args_type = "sessionHandle: string, options?: NowOptions")]
    pub fn get_session_sync(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Option<Session>> {
        let (handle, now) = (Self::string(&env, session_handle, "sessionHandle")?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || Ok(self.inner.get_session(&handle, now)?.map(|inner| Session { inner })))
    }

    /// Replace a session's server-side data (any JSON value).
    #[napi(
        ts_args_type = "sessionHandle: string, data: any, options?: NowOptions",
        ts_return_type = "Promise<Session>"
    )]
    pub fn update_session_data(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        data: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<Session>>> {
        let handle = Self::string(&env, session_handle, "sessionHandle")?;
        let (data, now) = (convert::json(&env, data, "data")?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.update_session_data(&handle, data, now).map(|inner| Session { inner })))
    }

    /// `updateSessionData`, synchronously.
    #[napi(ts_args_type = "sessionHandle: string, data: any, options?: NowOptions")]
    pub fn update_session_data_sync(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        data: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Session> {
        let handle = Self::string(&env, session_handle, "sessionHandle")?;
        let (data, now) = (convert::json(&env, data, "data")?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || {
            self.inner.update_session_data(&handle, data, now).map(|inner| Session { inner })
        })
    }

    /// Replace a session's access claims; they appear in access tokens minted from now on.
    #[napi(
        ts_args_type = "sessionHandle: string, claims: Record<string, any>, options?: NowOptions",
        ts_return_type = "Promise<Session>"
    )]
    pub fn update_access_claims(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        claims: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<Session>>> {
        let handle = Self::string(&env, session_handle, "sessionHandle")?;
        let (claims, now) = (Self::claims_object(&env, claims)?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.update_access_claims(&handle, claims, now).map(|inner| Session { inner })))
    }

    /// `updateAccessClaims`, synchronously.
    #[napi(ts_args_type = "sessionHandle: string, claims: Record<string, any>, options?: NowOptions")]
    pub fn update_access_claims_sync(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        claims: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<Session> {
        let handle = Self::string(&env, session_handle, "sessionHandle")?;
        let (claims, now) = (Self::claims_object(&env, claims)?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || {
            self.inner.update_access_claims(&handle, claims, now).map(|inner| Session { inner })
        })
    }

    /// A new access token from the session's current claims, without rotating the refresh token.
    #[napi(ts_args_type = "sessionHandle: string, options?: NowOptions", ts_return_type = "Promise<AccessToken>")]
    pub fn regenerate_access_token(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AsyncTask<Op<AccessToken>>> {
        let (handle, now) = (Self::string(&env, session_handle, "sessionHandle")?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.regenerate_access_token(&handle, now).map(|inner| AccessToken { inner })))
    }

    /// `regenerateAccessToken`, synchronously.
    #[napi(ts_args_type = "sessionHandle: string, options?: NowOptions")]
    pub fn regenerate_access_token_sync(
        &self,
        env: Env,
        session_handle: Unknown<'_>,
        options: Option<Unknown<'_>>,
    ) -> Result<AccessToken> {
        let (handle, now) = (Self::string(&env, session_handle, "sessionHandle")?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || {
            self.inner.regenerate_access_token(&handle, now).map(|inner| AccessToken { inner })
        })
    }

    /// Delete expired sessions and drop retired keys; how many sessions were deleted.
    #[napi(ts_args_type = "options?: NowOptions", ts_return_type = "Promise<number>")]
    pub fn purge_expired(&self, env: Env, options: Option<Unknown<'_>>) -> Result<AsyncTask<Op<i64>>> {
        let now = convert::now_option(&env, options)?;
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.purge_expired(now).map(|n| n as i64)))
    }

    /// `purgeExpired`, synchronously.
    #[napi(ts_args_type = "options?: NowOptions")]
    pub fn purge_expired_sync(&self, env: Env, options: Option<Unknown<'_>>) -> Result<i64> {
        let now = convert::now_option(&env, options)?;
        Op::run(&env, &self.thefts, || self.inner.purge_expired(now).map(|n| n as i64))
    }

    /// Start a key rotation: the new key is published at once and signs after `publishKeysAhead`; returns
    /// its `kid`.
    #[napi(ts_args_type = "options?: NowOptions", ts_return_type = "Promise<string>")]
    pub fn rotate_keys(&self, env: Env, options: Option<Unknown<'_>>) -> Result<AsyncTask<Op<String>>> {
        let now = convert::now_option(&env, options)?;
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.rotate_keys(now)))
    }

    /// `rotateKeys`, synchronously.
    #[napi(ts_args_type = "options?: NowOptions")]
    pub fn rotate_keys_sync(&self, env: Env, options: Option<Unknown<'_>>) -> Result<String> {
        let now = convert::now_option(&env, options)?;
        Op::run(&env, &self.thefts, || self.inner.rotate_keys(now))
    }

    /// Revoke a signing key now (e.g. it leaked); `false` for an unknown kid.
    #[napi(ts_args_type = "kid: string, options?: NowOptions", ts_return_type = "Promise<boolean>")]
    pub fn revoke_key(&self, env: Env, kid: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<AsyncTask<Op<bool>>> {
        let (kid, now) = (Self::string(&env, kid, "kid")?, convert::now_option(&env, options)?);
        let m = self.inner.clone();
        Ok(Op::spawn(&self.thefts, move || m.revoke_key(&kid, now)))
    }

    /// `revokeKey`, synchronously.
    #[napi(ts_args_type = "kid: string, options?: NowOptions")]
    pub fn revoke_key_sync(&self, env: Env, kid: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<bool> {
        let (kid, now) = (Self::string(&env, kid, "kid")?, convert::now_option(&env, options)?);
        Op::run(&env, &self.thefts, || self.inner.revoke_key(&kid, now))
    }

    /// Reload a shared key ring from the store (other instances may have rotated).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn sync_keys(&self) -> AsyncTask<Op<()>> {
        let m = self.inner.clone();
        Op::spawn(&self.thefts, move || m.sync_keys())
    }

    /// `syncKeys`, synchronously.
    #[napi]
    pub fn sync_keys_sync(&self, env: Env) -> Result<()> {
        Op::run(&env, &self.thefts, || self.inner.sync_keys())
    }

    /// The public JWKS (`{ keys: [...] }`) for other services to verify tokens with; never HS256 secrets.
    #[napi]
    pub fn jwks(&self) -> Jwks {
        let keys = match self.inner.jwks() {
            Value::Object(mut map) => match map.remove("keys") {
                Some(Value::Array(keys)) => keys,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        Jwks { keys }
    }

    /// The issuer.
    #[napi(getter)]
    pub fn issuer(&self) -> &str {
        &self.inner.config().issuer
    }

    /// The audience.
    #[napi(getter)]
    pub fn audience(&self) -> &str {
        &self.inner.config().audience
    }

    /// Access token lifetime in seconds.
    #[napi(getter)]
    pub fn access_ttl(&self) -> i64 {
        self.inner.config().access_ttl
    }
}

fn verified(
    result: sessionward::Result<(sessionward::AccessClaims, sessionward::Session)>,
) -> sessionward::Result<Verified> {
    result.map(|(claims, session)| Verified { claims, session })
}
