//! What [`super::RedisStore`] and [`super::RedisClusterStore`] share: the key names, the record codec, the
//! key-ring script and a fork-safe connection pool.

use super::StoredKeyRing;
use super::key_json::decode_keys;
use crate::UnixTime;
use crate::encoding::{b64_decode_exact, b64_encode};
use crate::error::{Error, Result};
use crate::session::{SessionMetadata, SessionRecord};
use ::redis::{ConnectionLike, RedisError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a session written already expired is kept (so a caller on a past clock can still purge it).
const MIN_RETENTION: i64 = 3_600;
/// The latest expiry time set on a key (the last second of year 9999); Redis refuses much larger ones.
const MAX_EXPIRE_AT: i64 = 253_402_300_799;
/// How many expired sessions one purge batch looks at.
pub(super) const PURGE_BATCH: u64 = 500;

/// `<prefix>s:{<handle>}`: the session record.
pub(super) fn session_key(prefix: &str, handle: &str) -> String {
    format!("{prefix}s:{{{handle}}}")
}

/// `<prefix>l:<lookup>`: which session has this refresh chain.
pub(super) fn lookup_key(prefix: &str, lookup: &str) -> String {
    format!("{prefix}l:{lookup}")
}

/// `<prefix>u:{<user_id>}`: the user's sessions in creation order.
pub(super) fn user_key(prefix: &str, user_id: &str) -> String {
    format!("{prefix}u:{{{user_id}}}")
}

/// Lua: let `key` live at least until `at` (Unix seconds).
pub(super) const LUA_EXTEND: &str = r#"
local function extend(key, at)
  local pttl = redis.call('PTTL', key)
  if pttl < 0 then
    redis.call('EXPIREAT', key, at)
    return
  end
  local t = redis.call('TIME')
  local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  if now_ms + pttl < tonumber(at) * 1000 then
    redis.call('EXPIREAT', key, at)
  end
end
"#;

/// Lua: `a <= b` for decimal integer strings (exact, where doubles are not).
pub(super) const LUA_LE: &str = r#"
local function le(a, b)
  local na, nb = a:sub(1, 1) == '-', b:sub(1, 1) == '-'
  if na ~= nb then return na end
  if na then a, b = b:sub(2), a:sub(2) end
  if #a ~= #b then return #a < #b end
  return a <= b
end
"#;

/// KEYS: the key ring. ARGV: prefix (unused), expected version or '', new version, keys JSON. Returns 1 if saved.
pub(super) const SAVE_KEYS: &str = r#"
local cur = redis.call('HGET', KEYS[1], 'v')
if ARGV[2] == '' then
  if cur then return 0 end
elseif cur ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'k', ARGV[4])
return 1
"#;

/// The version a key-ring save writes, or `None` if `expected` is the last one (no save can win).
pub(super) fn next_ring_version(expected: Option<u64>) -> Option<u64> {
    match expected {
        None => Some(1),
        Some(v) => v.checked_add(1),
    }
}

/// The key ring from the fields `v` and `k` of its hash.
pub(super) fn ring_from_fields(version: Option<String>, keys: Option<String>) -> Result<Option<StoredKeyRing>> {
    match (version, keys) {
        (None, None) => Ok(None),
        (Some(version), Some(keys)) => {
            let version = version
                .parse::<u64>()
                .map_err(|_| Error::StoreUnavailable(format!("the stored key ring is corrupt: version {version:?}")))?;
            Ok(Some(StoredKeyRing { version, keys: decode_keys(&keys)? }))
        }
        _ => Err(Error::StoreUnavailable("the stored key ring is corrupt: half written".into())),
    }
}

/// A record as stored: JSON, byte fields in unpadded base64url.
#[derive(Serialize, Deserialize)]
struct StoredRecord {
    handle: String,
    user_id: String,
    refresh_lookup: String,
    current_hash: String,
    previous_hash: Option<String>,
    rotation_nonce: String,
    generation: u64,
    version: u64,
    created_at: UnixTime,
    refreshed_at: UnixTime,
    idle_expires_at: UnixTime,
    absolute_expires_at: UnixTime,
    access_claims: Map<String, Value>,
    data: Value,
    metadata: SessionMetadata,
}

pub(super) fn encode_record(r: &SessionRecord) -> Result<String> {
    let stored = StoredRecord {
        handle: r.handle.clone(),
        user_id: r.user_id.clone(),
        refresh_lookup: r.refresh_lookup.clone(),
        current_hash: b64_encode(r.current_hash),
        previous_hash: r.previous_hash.map(b64_encode),
        rotation_nonce: b64_encode(r.rotation_nonce),
        generation: r.generation,
        version: r.version,
        created_at: r.created_at,
        refreshed_at: r.refreshed_at,
        idle_expires_at: r.idle_expires_at,
        absolute_expires_at: r.absolute_expires_at,
        access_claims: r.access_claims.clone(),
        data: r.data.clone(),
        metadata: r.metadata.clone(),
    };
    serde_json::to_string(&stored).map_err(|e| Error::store("encoding a session as JSON", e))
}

pub(super) fn decode_record(text: &str) -> Result<SessionRecord> {
    let corrupt = |what: &str| Error::StoreUnavailable(format!("a stored session is corrupt: {what}"));
    let s: StoredRecord = serde_json::from_str(text).map_err(|e| corrupt(&e.to_string()))?;
    let hash = |text: &str, name: &str| b64_decode_exact::<32>(text.as_bytes()).ok_or_else(|| corrupt(name));
    Ok(SessionRecord {
        current_hash: hash(&s.current_hash, "current_hash")?,
        previous_hash: s.previous_hash.as_deref().map(|p| hash(p, "previous_hash")).transpose()?,
        rotation_nonce: hash(&s.rotation_nonce, "rotation_nonce")?,
        handle: s.handle,
        user_id: s.user_id,
        refresh_lookup: s.refresh_lookup,
        generation: s.generation,
        version: s.version,
        created_at: s.created_at,
        refreshed_at: s.refreshed_at,
        idle_expires_at: s.idle_expires_at,
        absolute_expires_at: s.absolute_expires_at,
        access_claims: s.access_claims,
        data: s.data,
        metadata: s.metadata,
    })
}

/// When Redis should drop a key that must live until `at`: then, but not before an hour from now.
pub(super) fn keep_until(at: UnixTime) -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    at.max(now.saturating_add(MIN_RETENTION)).min(MAX_EXPIRE_AT)
}

/// When Redis should drop a session's record: at its expiry, but not before an hour from now.
pub(super) fn expire_at(record: &SessionRecord) -> i64 {
    keep_until(record.expires_at())
}

/// At most `size` connections, each made on demand; a call waits up to `timeout` for a free one.
pub(super) struct Pool<C> {
    state: Mutex<PoolState<C>>,
    freed: Condvar,
    size: u32,
    timeout: Duration,
}

struct PoolState<C> {
    idle: Vec<C>,
    /// Connections handed out or idle.
    open: u32,
    /// The process that opened the connections: a forked child must not share its parent's sockets.
    pid: u32,
}

impl<C> PoolState<C> {
    fn new() -> Self {
        Self { idle: Vec::new(), open: 0, pid: std::process::id() }
    }
}

/// A connection borrowed from the pool; returned on drop unless it failed.
pub(super) struct Pooled<'a, C: ConnectionLike> {
    pool: &'a Pool<C>,
    conn: Option<C>,
    broken: bool,
    /// The process that borrowed it (see [`PoolState::pid`]).
    pid: u32,
}

impl<C: ConnectionLike> Drop for Pooled<'_, C> {
    fn drop(&mut self) {
        let mut state = self.pool.lock();
        let conn = self.conn.take();
        if state.pid != self.pid {
            // Borrowed before a fork: the child's pool never counted it.
            std::mem::forget(conn);
        } else {
            match conn {
                Some(conn) if !self.broken && conn.is_open() => state.idle.push(conn),
                _ => state.open -= 1,
            }
        }
        drop(state);
        self.pool.freed.notify_one();
    }
}

impl<C: ConnectionLike> Pooled<'_, C> {
    /// Run `f` on the connection; any error drops the connection instead of returning it to the pool.
    pub(super) fn run<T>(
        &mut self,
        context: &str,
        f: impl FnOnce(&mut C) -> std::result::Result<T, RedisError>,
    ) -> Result<T> {
        let conn = self.conn.as_mut().expect("connection present until drop");
        f(conn).map_err(|e| {
            self.broken = true;
            Error::store(context, e)
        })
    }
}

impl<C: ConnectionLike> Pool<C> {
    pub(super) fn new(size: u32, timeout: Duration) -> Self {
        Self { state: Mutex::new(PoolState::new()), freed: Condvar::new(), size, timeout }
    }

    fn lock(&self) -> MutexGuard<'_, PoolState<C>> {
        // The pool's state is updated in single steps; a poisoned lock is safe to keep using.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        // After fork() (pre-fork servers such as gunicorn) the child opens its own connections; the inherited
        // sockets are leaked rather than closed, so nothing the child does can disturb the parent's.
        if state.pid != std::process::id() {
            std::mem::forget(std::mem::replace(&mut *state, PoolState::new()));
        }
        state
    }

    /// An idle connection, or a new one from `connect` if fewer than `size` are open.
    pub(super) fn get(
        &self,
        context: &str,
        connect: impl FnOnce() -> std::result::Result<C, RedisError>,
    ) -> Result<Pooled<'_, C>> {
        let deadline = Instant::now() + self.timeout;
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Ok(Pooled { pool: self, conn: Some(conn), broken: false, pid: state.pid });
            }
            if state.open < self.size {
                state.open += 1;
                let pid = state.pid;
                drop(state);
                // From here the slot is counted: a failed connect gives it back through the guard's drop.
                let mut guard = Pooled { pool: self, conn: None, broken: true, pid };
                let conn = connect().map_err(|e| Error::store(context, e))?;
                guard.conn = Some(conn);
                guard.broken = false;
                return Ok(guard);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::StoreUnavailable(format!(
                    "{context}: no free Redis connection within {:?} (all {} in use)",
                    self.timeout, self.size
                )));
            }
            state = self.freed.wait_timeout(state, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}
