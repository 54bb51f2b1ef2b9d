//! # sessionward
//!
//! User sessions built on JWTs done right, in one Rust core shared by the Python and Node packages:
//!
//! - a **short-lived signed access token** (compact JWS, `typ: at+jwt`) verified offline in microseconds,
//!   carrying `iss`, `aud`, `sub`, `sid`, `jti`, `iat`, `exp` and the application's own claims;
//! - a **long-lived opaque refresh token**, stored only as a hash and **rotated on every use**; replaying a
//!   superseded token revokes the session ([`Error::TokenTheft`]), while a lost response or two tabs
//!   refreshing at once converge on one successor inside a grace window;
//! - sessions that can be listed, revoked one by one or all for a user, with server-side data;
//! - a [`KeyRing`] of signing keys with `kid`s, rotation without logging anyone out, and a public JWKS;
//! - [`transport`] helpers for safe cookies, bearer headers, CSRF checks and a non-secret front token;
//! - stores behind one [`SessionStore`] trait: [`MemoryStore`] for tests, [`SqliteStore`] as the embedded
//!   default.
//!
//! Every call that depends on time takes an explicit `now` ([`UnixTime`], seconds since the epoch); use
//! [`unix_now`] in production and a fixed value in tests.
//!
//! ```
//! use sessionward::{Config, MemoryStore, NewSession, SessionManager, unix_now};
//!
//! let manager = SessionManager::new(Config::new("https://auth.example.com", "example-api"), MemoryStore::new())?;
//! let now = unix_now();
//! let issued = manager.create_session(NewSession::for_user("user-42"), now)?;
//! let claims = manager.verify(&issued.access.token, now)?;
//! assert_eq!(claims.subject, "user-42");
//! let refreshed = manager.refresh(&issued.refresh_token, now + 60)?;
//! assert_ne!(refreshed.refresh_token, issued.refresh_token);
//! # Ok::<(), sessionward::Error>(())
//! ```

mod encoding;
mod error;
pub mod http;
mod keyring;
mod keys;
mod manager;
mod random;
mod refresh;
mod rotation;
mod session;
pub mod store;
mod token;
pub mod transport;

pub use error::{Error, Result, UnauthorisedReason};
pub use http::{HttpSessions, RequestHeaders, TransportMode};
pub use keyring::{KeyEntry, KeyRing, StoredKey};
pub use keys::{Algorithm, MIN_HMAC_SECRET_BYTES, MIN_RSA_BITS, SigningKey};
pub use manager::{AccessToken, Config, IssuedTokens, KeyPolicy, SessionManager, TheftEvent, TheftHook};
pub use refresh::REFRESH_TOKEN_LEN;
pub use session::{NewSession, Session, SessionMetadata, SessionRecord};
pub use store::{MemoryStore, SessionStore, SqliteStore, StoredKeyRing};
#[cfg(feature = "postgres")]
pub use store::{PostgresOptions, PostgresStore};
#[cfg(feature = "redis")]
pub use store::{RedisClusterOptions, RedisClusterStore, RedisOptions, RedisStore};
pub use token::{ACCESS_TOKEN_TYP, AccessClaims, RESERVED_CLAIMS, TokenPolicy, verify as verify_access_token};

/// Seconds since the Unix epoch.
pub type UnixTime = i64;

/// The current time from the system clock.
pub fn unix_now() -> UnixTime {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as UnixTime)
}
