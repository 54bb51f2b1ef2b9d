//! Result objects: typed, with getters, and a `toJSON()` where plain data is handy. Values are turned into
//! JavaScript only when read. (`AccessClaims` is a JavaScript class: see `claims.rs`.)

use crate::claims;
use crate::task::Settle;
use napi::bindgen_prelude::Unknown;
use napi::{Env, Result};
use napi_derive::napi;
use serde_json::{Map, Value};

/// A session as the application sees it: no hashes, no tokens.
#[napi]
pub struct Session {
    pub(crate) inner: sessionward::Session,
}

#[napi]
impl Session {
    /// The session handle (`sid`).
    #[napi(getter)]
    pub fn handle(&self) -> &str {
        &self.inner.handle
    }
    /// The user id.
    #[napi(getter)]
    pub fn user_id(&self) -> &str {
        &self.inner.user_id
    }
    /// Creation time.
    #[napi(getter)]
    pub fn created_at(&self) -> i64 {
        self.inner.created_at
    }
    /// Last refresh (creation time if never refreshed).
    #[napi(getter)]
    pub fn refreshed_at(&self) -> i64 {
        self.inner.refreshed_at
    }
    /// Idle expiry (moves forward at each refresh).
    #[napi(getter)]
    pub fn idle_expires_at(&self) -> i64 {
        self.inner.idle_expires_at
    }
    /// Absolute expiry (never moves).
    #[napi(getter)]
    pub fn absolute_expires_at(&self) -> i64 {
        self.inner.absolute_expires_at
    }
    /// The claims copied into every access token.
    #[napi(getter, ts_return_type = "Record<string, any>")]
    pub fn access_claims(&self) -> &Map<String, Value> {
        &self.inner.access_claims
    }
    /// Server-side session data (any JSON value).
    #[napi(getter, ts_return_type = "any")]
    pub fn data(&self) -> &Value {
        &self.inner.data
    }
    /// `User-Agent` at sign-in.
    #[napi(getter)]
    pub fn user_agent(&self) -> Option<&str> {
        self.inner.metadata.user_agent.as_deref()
    }
    /// Client IP at sign-in.
    #[napi(getter)]
    pub fn ip(&self) -> Option<&str> {
        self.inner.metadata.ip.as_deref()
    }
    /// Device label.
    #[napi(getter)]
    pub fn device(&self) -> Option<&str> {
        self.inner.metadata.device.as_deref()
    }
    /// Everything as plain data, with the same snake_case keys as Python's `Session.to_dict()` (metadata
    /// nested under `metadata`).
    #[napi(js_name = "toJSON", ts_return_type = "SessionJson")]
    pub fn to_json(&self) -> Value {
        serde_json::to_value(&self.inner).unwrap_or(Value::Null)
    }
}

/// `Session.toJSON()`: the same keys as the Python package's `Session.to_dict()`.
#[napi(object, object_from_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: `toJSON` serialises the core's session.
pub struct SessionJson {
    pub handle: String,
    #[napi(js_name = "user_id")]
    pub user_id: String,
    #[napi(js_name = "created_at")]
    pub created_at: i64,
    #[napi(js_name = "refreshed_at")]
    pub refreshed_at: i64,
    #[napi(js_name = "idle_expires_at")]
    pub idle_expires_at: i64,
    #[napi(js_name = "absolute_expires_at")]
    pub absolute_expires_at: i64,
    #[napi(js_name = "access_claims", ts_type = "Record<string, any>")]
    pub access_claims: Value,
    #[napi(ts_type = "any")]
    pub data: Value,
    #[napi(ts_type = "{ user_agent?: string; ip?: string; device?: string }")]
    pub metadata: Value,
}

/// A freshly minted access token.
#[napi]
pub struct AccessToken {
    pub(crate) inner: sessionward::AccessToken,
}

#[napi]
impl AccessToken {
    /// The compact JWS (secret: send it only to its client).
    #[napi(getter)]
    pub fn token(&self) -> &str {
        &self.inner.token
    }
    /// Its `exp`.
    #[napi(getter)]
    pub fn expires_at(&self) -> i64 {
        self.inner.expires_at
    }
    /// Its `jti` (also the double-submit CSRF token).
    #[napi(getter)]
    pub fn token_id(&self) -> &str {
        &self.inner.token_id
    }
    /// The non-secret front token for browser code.
    #[napi(getter)]
    pub fn front_token(&self) -> &str {
        &self.inner.front_token
    }
}

/// What sign-in and refresh hand to the client.
#[napi]
pub struct IssuedTokens {
    pub(crate) inner: sessionward::IssuedTokens,
}

#[napi]
impl IssuedTokens {
    /// The access token.
    #[napi(getter)]
    pub fn access(&self) -> AccessToken {
        AccessToken { inner: self.inner.access.clone() }
    }
    /// Shortcut for `access.token`.
    #[napi(getter)]
    pub fn access_token(&self) -> &str {
        &self.inner.access.token
    }
    /// The refresh token (`swr_...`; secret, stored only as a hash).
    #[napi(getter)]
    pub fn refresh_token(&self) -> &str {
        &self.inner.refresh_token
    }
    /// When the refresh token stops working if unused.
    #[napi(getter)]
    pub fn refresh_expires_at(&self) -> i64 {
        self.inner.refresh_expires_at
    }
    /// The session.
    #[napi(getter)]
    pub fn session(&self) -> Session {
        Session { inner: self.inner.session.clone() }
    }
    /// The body a header-mode client receives, with the same snake_case keys as Python's
    /// `IssuedTokens.to_dict()`: the wire format is the same in every language.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> TokensJson {
        let i = &self.inner;
        TokensJson {
            access_token: i.access.token.clone(),
            access_expires_at: i.access.expires_at,
            refresh_token: i.refresh_token.clone(),
            refresh_expires_at: i.refresh_expires_at,
            front_token: i.access.front_token.clone(),
            session_handle: i.session.handle.clone(),
        }
    }
}

/// `IssuedTokens.toJSON()`: the header-mode response body.
#[napi(object, object_from_js = false)]
pub struct TokensJson {
    #[napi(js_name = "access_token")]
    pub access_token: String,
    #[napi(js_name = "access_expires_at")]
    pub access_expires_at: i64,
    #[napi(js_name = "refresh_token")]
    pub refresh_token: String,
    #[napi(js_name = "refresh_expires_at")]
    pub refresh_expires_at: i64,
    #[napi(js_name = "front_token")]
    pub front_token: String,
    #[napi(js_name = "session_handle")]
    pub session_handle: String,
}

/// What `verifyWithStore` computes off the JavaScript thread; it becomes a `VerifiedSession` when it settles.
pub struct Verified {
    pub claims: sessionward::AccessClaims,
    pub session: sessionward::Session,
}

/// What `verifyWithStore` returns: the claims and the live session.
#[napi(object, object_from_js = false)]
pub struct VerifiedSession {
    #[napi(ts_type = "import('./claims').AccessClaims")]
    pub claims: Unknown<'static>,
    pub session: Session,
}

impl Settle for Verified {
    type Js = VerifiedSession;

    fn settle(self, env: &Env) -> Result<VerifiedSession> {
        Ok(VerifiedSession { claims: claims::to_js(env, self.claims)?, session: Session { inner: self.session } })
    }
}
