//! Sessions: the stored record and the public view of it.

use crate::UnixTime;
use crate::error::{Error, Result};
use crate::refresh::SecretHash;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Optional facts about the device a session was created on, shown in "your sessions" lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMetadata {
    /// The `User-Agent` at sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The client IP at sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// A label the app or user chose ("Anna's phone").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// Longest metadata field kept.
pub const MAX_METADATA_CHARS: usize = 512;

impl SessionMetadata {
    pub(crate) fn check(&self) -> Result<()> {
        for (name, value) in [("user_agent", &self.user_agent), ("ip", &self.ip), ("device", &self.device)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > MAX_METADATA_CHARS) {
                return Err(Error::InvalidArgument(format!(
                    "metadata `{name}` exceeds {MAX_METADATA_CHARS} characters"
                )));
            }
        }
        Ok(())
    }
}

/// A session as a store keeps it. Holds hashes, never raw refresh tokens.
///
/// Store implementations persist every field and hand it back unchanged; they need not understand it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The session handle (`sid` in access tokens): unguessable, public to the session's own holder.
    pub handle: String,
    /// The user the session belongs to.
    pub user_id: String,
    /// Index of the refresh-token chain: a hash of the family id (unique).
    pub refresh_lookup: String,
    /// Hash of the current refresh secret.
    pub current_hash: SecretHash,
    /// Hash of the refresh secret the current one replaced, if any.
    pub previous_hash: Option<SecretHash>,
    /// The nonce that derives the current secret from the previous one.
    pub rotation_nonce: [u8; 32],
    /// How many rotations the chain has had.
    pub generation: u64,
    /// Incremented by every write; the compare-and-swap guard.
    pub version: u64,
    /// When the session was created.
    pub created_at: UnixTime,
    /// When the current refresh token was issued (creation or last rotation).
    pub refreshed_at: UnixTime,
    /// The session ends if not refreshed before this (moves forward at each refresh).
    pub idle_expires_at: UnixTime,
    /// The session ends at this time whatever happens (never moves).
    pub absolute_expires_at: UnixTime,
    /// The application's claims copied into each access token.
    pub access_claims: Map<String, Value>,
    /// Server-side session data; never put in a token.
    pub data: Value,
    /// Device information.
    pub metadata: SessionMetadata,
}

impl SessionRecord {
    /// When the session stops being refreshable.
    pub fn expires_at(&self) -> UnixTime {
        self.idle_expires_at.min(self.absolute_expires_at)
    }

    /// Whether the session is past its idle timeout or absolute lifetime.
    pub fn is_expired(&self, now: UnixTime) -> bool {
        now >= self.expires_at()
    }

    /// The public view.
    pub fn to_session(&self) -> Session {
        Session {
            handle: self.handle.clone(),
            user_id: self.user_id.clone(),
            created_at: self.created_at,
            refreshed_at: self.refreshed_at,
            idle_expires_at: self.idle_expires_at,
            absolute_expires_at: self.absolute_expires_at,
            access_claims: self.access_claims.clone(),
            data: self.data.clone(),
            metadata: self.metadata.clone(),
        }
    }
}

/// What an application sees of a session: no hashes, no tokens.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// The session handle (`sid`).
    pub handle: String,
    /// The user id (`sub`).
    pub user_id: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last refresh (creation time if never refreshed).
    pub refreshed_at: UnixTime,
    /// Idle expiry (extended by each refresh).
    pub idle_expires_at: UnixTime,
    /// Absolute expiry (never extended).
    pub absolute_expires_at: UnixTime,
    /// The app's access-token claims.
    pub access_claims: Map<String, Value>,
    /// Server-side data.
    pub data: Value,
    /// Device information.
    pub metadata: SessionMetadata,
}

/// What the application passes to create a session.
#[derive(Debug, Clone, Default)]
pub struct NewSession {
    /// The user id; becomes `sub`.
    pub user_id: String,
    /// Claims for every access token of the session (reserved names are refused).
    pub access_claims: Map<String, Value>,
    /// Server-side data.
    pub data: Value,
    /// Device information.
    pub metadata: SessionMetadata,
}

impl NewSession {
    /// A session for `user_id` with no claims, data or metadata.
    pub fn for_user(user_id: impl Into<String>) -> Self {
        Self { user_id: user_id.into(), ..Self::default() }
    }
}
