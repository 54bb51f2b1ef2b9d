//! Where sessions and shared keys live.
//!
//! # Why the trait is blocking
//! Store calls are plain blocking functions on `Send + Sync` stores. SQLite is blocking by nature; network
//! stores hold a connection pool and block the calling thread for one round trip. The bindings run every
//! store call off the event loop: Python releases the GIL and its `async` forms run the call in a worker
//! thread; Node runs it on the libuv thread pool and returns a Promise. That keeps one model for every store
//! and every language, and no binding has to start or share an async runtime behind the user's back.
//!
//! # What a store must guarantee
//! Only two things are subtle, and both are single atomic steps:
//! - [`SessionStore::replace`] writes a record only if the stored version is still the expected one
//!   (compare-and-swap). All rotation logic lives in the core; the store never interprets a record.
//! - [`SessionStore::delete`] with an expected version deletes only that version (revoking on theft).
//!
//! The conformance suite in `core/tests/conformance` checks every implementation against these rules.

mod key_json;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis_cluster;
#[cfg(feature = "redis")]
mod redis_common;
#[cfg(feature = "redis")]
mod redis_store;
mod sqlite;

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};
#[cfg(feature = "redis")]
pub use redis_cluster::{RedisClusterOptions, RedisClusterStore};
#[cfg(feature = "redis")]
pub use redis_store::{RedisOptions, RedisStore};
pub use sqlite::SqliteStore;

use crate::UnixTime;
use crate::error::Result;
use crate::keyring::StoredKey;
use crate::session::SessionRecord;

/// The shared key ring as stored, with its compare-and-swap version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKeyRing {
    /// Incremented by every save.
    pub version: u64,
    /// The keys.
    pub keys: Vec<StoredKey>,
}

/// A session store. Every method is one atomic operation; errors are [`crate::Error::StoreUnavailable`]
/// (or `InvalidArgument` for a duplicate insert) and leave no partial state.
pub trait SessionStore: Send + Sync {
    /// Insert a new record. Fails if a record with the same handle or refresh lookup exists.
    fn insert(&self, record: &SessionRecord) -> Result<()>;

    /// The record with this handle.
    fn get(&self, handle: &str) -> Result<Option<SessionRecord>>;

    /// The record whose refresh chain has this lookup value.
    fn get_by_refresh_lookup(&self, lookup: &str) -> Result<Option<SessionRecord>>;

    /// Replace the record with `record.handle` by `record` if the stored version equals `expected_version`
    /// and the stored `refresh_lookup` equals `record.refresh_lookup` (a record never changes chains).
    /// Returns false (and changes nothing) if the version moved on or the record is gone.
    fn replace(&self, expected_version: u64, record: &SessionRecord) -> Result<bool>;

    /// Delete the record with this handle; with `expected_version`, only if the stored version equals it.
    /// Returns whether a record was deleted.
    fn delete(&self, handle: &str, expected_version: Option<u64>) -> Result<bool>;

    /// All records of a user, in creation order (expired ones included; the caller filters).
    fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>>;

    /// Delete every record of a user except `keep` (a handle). Returns how many were deleted.
    fn delete_for_user(&self, user_id: &str, keep: Option<&str>) -> Result<u64>;

    /// Delete records whose idle or absolute expiry is at or before `now`. Returns how many.
    fn purge_expired(&self, now: UnixTime) -> Result<u64>;

    /// The shared key ring, if one was saved.
    fn load_keys(&self) -> Result<Option<StoredKeyRing>>;

    /// Save the key ring if the stored version equals `expected_version` (`None`: only if none is stored).
    /// The stored version becomes `expected_version + 1` (or 1). Returns false if another writer won.
    fn save_keys(&self, expected_version: Option<u64>, keys: &[StoredKey]) -> Result<bool>;
}

impl<S: SessionStore + ?Sized> SessionStore for std::sync::Arc<S> {
    fn insert(&self, record: &SessionRecord) -> Result<()> {
        (**self).insert(record)
    }
    fn get(&self, handle: &str) -> Result<Option<SessionRecord>> {
        (**self).get(handle)
    }
    fn get_by_refresh_lookup(&self, lookup: &str) -> Result<Option<SessionRecord>> {
        (**self).get_by_refresh_lookup(lookup)
    }
    fn replace(&self, expected_version: u64, record: &SessionRecord) -> Result<bool> {
        (**self).replace(expected_version, record)
    }
    fn delete(&self, handle: &str, expected_version: Option<u64>) -> Result<bool> {
        (**self).delete(handle, expected_version)
    }
    fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        (**self).list_for_user(user_id)
    }
    fn delete_for_user(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        (**self).delete_for_user(user_id, keep)
    }
    fn purge_expired(&self, now: UnixTime) -> Result<u64> {
        (**self).purge_expired(now)
    }
    fn load_keys(&self) -> Result<Option<StoredKeyRing>> {
        (**self).load_keys()
    }
    fn save_keys(&self, expected_version: Option<u64>, keys: &[StoredKey]) -> Result<bool> {
        (**self).save_keys(expected_version, keys)
    }
}
