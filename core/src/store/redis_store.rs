//! A store on a Redis server (feature `redis`), shared by every instance of an application.
//!
//! See [`RedisStore`] for the key layout, atomicity and expiry.

use super::key_json::encode_keys;
use super::redis_common::{
    LUA_EXTEND, LUA_LE, PURGE_BATCH, Pool, Pooled, SAVE_KEYS, decode_record, encode_record, expire_at, lookup_key,
    next_ring_version, ring_from_fields, session_key, user_key,
};
use super::{SessionStore, StoredKeyRing};
use crate::UnixTime;
use crate::error::{Error, Result};
use crate::keyring::StoredKey;
use crate::session::SessionRecord;
use ::redis::{Client, Connection, RedisError, Script};
use std::sync::OnceLock;
use std::time::Duration;

/// Options for [`RedisStore::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS (if the `redis` crate was built
    /// with a TLS feature).
    pub url: String,
    /// The most connections open at once (default 8); a call waits up to `timeout` for a free one.
    pub pool_size: u32,
    /// Connect, read and write timeout of every connection, and the longest wait for a free one (default 5 s).
    pub timeout: Duration,
    /// Prefix of every key (default `sw:`), so several applications can share one database.
    pub key_prefix: String,
}

impl RedisOptions {
    /// The defaults for this URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), pool_size: 8, timeout: Duration::from_secs(5), key_prefix: "sw:".into() }
    }
}

/// A session store on a Redis server, shared by every instance of an application.
///
/// # Key layout
/// Every key starts with [`RedisOptions::key_prefix`] (`sw:` by default):
/// - `sw:s:{<handle>}`: a hash with the record as JSON text (`r`) and, for the scripts, its version (`v`),
///   refresh lookup (`l`), user id (`u`) and expiry (`e`) as plain strings, so the scripts compare versions
///   and expiry times exactly, as decimal text;
/// - `sw:l:<lookup>`: the handle of the session whose refresh chain has this lookup value;
/// - `sw:u:{<user_id>}`: a sorted set of the user's handles, scored by an insertion counter (`sw:seq`) so
///   [`SessionStore::list_for_user`] answers in creation order;
/// - `sw:exp`: a sorted set of every handle scored by its expiry (the earlier of idle and absolute), which
///   [`SessionStore::purge_expired`] walks;
/// - `sw:keys`: a hash with the shared key ring: version (`v`) and the keys as a JSON array (`k`).
///
/// # Atomicity
/// Every operation that reads before writing, or writes several keys, is one Lua script, which Redis runs
/// without interleaving anything else: insert refuses a taken handle or lookup, replace compares version and
/// refresh lookup, delete compares the version, and the key ring is compare-and-swapped. The one exception is
/// [`SessionStore::purge_expired`], which removes expired sessions in batches of 500 (each batch atomic) so a
/// large purge never blocks the server for long.
///
/// Needs Redis 5 or later (or a compatible server such as Valkey). Supported deployments: a single server, or
/// a primary with replicas and Sentinel (point the URL at the primary). Not Redis Cluster: the scripts touch a
/// session, its lookup key and the user's index, which live in different hash slots. For Cluster use
/// [`super::RedisClusterStore`], which names its keys the same way but runs one-key steps.
///
/// # Expiry
/// Session and lookup keys carry a Redis expiry at the session's expiry, so abandoned sessions disappear by
/// themselves; replace moves it with the record. A session that is already expired when written (only seen
/// with a caller clock in the past, such as tests) is kept one hour from now instead, so the caller can
/// still list and purge it. A user's index expires with its last session; handles of sessions that Redis
/// expired are dropped from it when the user's sessions are next listed or deleted, and from `sw:exp` by
/// [`SessionStore::purge_expired`]: call it periodically, as with every store, to keep that set small.
/// `sw:seq` and `sw:keys` do not expire.
///
/// Redis holds refresh-token hashes (not tokens) and, if the key ring is shared through the store, private
/// signing keys: protect it with a password or ACL user (`redis://user:password@host/`), TLS where the
/// network is not trusted, and do not let it be reached from outside.
pub struct RedisStore {
    client: Client,
    options: RedisOptions,
    pool: Pool<Connection>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisStore").field("key_prefix", &self.options.key_prefix).finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connect with these options. Fails with [`Error::StoreUnavailable`] if the URL is invalid or the server
    /// cannot be reached (or refuses the credentials) within `timeout`.
    pub fn open(options: RedisOptions) -> Result<Self> {
        if options.pool_size == 0 {
            return Err(Error::InvalidArgument("RedisOptions::pool_size must be at least 1".into()));
        }
        if options.timeout.is_zero() {
            return Err(Error::InvalidArgument("RedisOptions::timeout must be positive".into()));
        }
        let client = Client::open(options.url.as_str()).map_err(|e| Error::store("parsing the Redis URL", e))?;
        let pool = Pool::new(options.pool_size, options.timeout);
        let store = Self { client, options, pool };
        // Check the server now rather than at the first call.
        let mut conn = store.conn("connecting to Redis")?;
        conn.run("connecting to Redis", |c| ::redis::cmd("PING").query::<()>(c))?;
        drop(conn);
        Ok(store)
    }

    /// Connect to `url` with the default options.
    pub fn connect(url: &str) -> Result<Self> {
        Self::open(RedisOptions::new(url))
    }

    fn conn(&self, context: &str) -> Result<Pooled<'_, Connection>> {
        self.pool.get(context, || self.new_connection())
    }

    fn new_connection(&self) -> std::result::Result<Connection, RedisError> {
        let timeout = self.options.timeout;
        let conn = self.client.get_connection_with_timeout(timeout)?;
        conn.set_read_timeout(Some(timeout))?;
        conn.set_write_timeout(Some(timeout))?;
        Ok(conn)
    }

    fn session_key(&self, handle: &str) -> String {
        session_key(&self.options.key_prefix, handle)
    }

    fn lookup_key(&self, lookup: &str) -> String {
        lookup_key(&self.options.key_prefix, lookup)
    }

    fn user_key(&self, user_id: &str) -> String {
        user_key(&self.options.key_prefix, user_id)
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.options.key_prefix)
    }
}

/// Lua helpers shared by the scripts. `P` is the key prefix (ARGV[1] of every script).
const LUA_PRELUDE: &str = r#"
local P = ARGV[1]
local function skey(h) return P .. 's:{' .. h .. '}' end
local function lkey(l) return P .. 'l:' .. l end
local function ukey(u) return P .. 'u:{' .. u .. '}' end
-- Remove a session and its index entries.
local function remove(h, lookup, user)
  redis.call('DEL', skey(h))
  if lookup then redis.call('DEL', lkey(lookup)) end
  if user then redis.call('ZREM', ukey(user), h) end
  redis.call('ZREM', P .. 'exp', h)
end
"#;

/// ARGV: prefix, handle, user, lookup, version, json, expiry, expire_at. Returns 1, or 0 if taken.
const INSERT: &str = r#"
local h, user, lookup = ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[6], 'v', ARGV[5], 'l', lookup, 'u', user, 'e', ARGV[7])
redis.call('EXPIREAT', KEYS[1], ARGV[8])
redis.call('SET', KEYS[2], h)
redis.call('EXPIREAT', KEYS[2], ARGV[8])
local seq = redis.call('INCR', P .. 'seq')
redis.call('ZADD', KEYS[3], seq, h)
extend(KEYS[3], ARGV[8])
redis.call('ZADD', P .. 'exp', ARGV[7], h)
return 1
"#;

/// ARGV: prefix, handle, user, lookup, new version, json, expiry, expire_at, expected version.
const REPLACE: &str = r#"
local h, user, lookup = ARGV[2], ARGV[3], ARGV[4]
local cur = redis.call('HMGET', KEYS[1], 'v', 'l', 'u')
if not cur[1] or cur[1] ~= ARGV[9] or cur[2] ~= lookup then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[6], 'v', ARGV[5], 'u', user, 'e', ARGV[7])
redis.call('EXPIREAT', KEYS[1], ARGV[8])
redis.call('EXPIREAT', KEYS[2], ARGV[8])
if cur[3] ~= user then
  -- The core never moves a session to another user, but the contract allows it: keep its place in order.
  local seq = redis.call('ZSCORE', ukey(cur[3]), h)
  redis.call('ZREM', ukey(cur[3]), h)
  if not seq then seq = redis.call('INCR', P .. 'seq') end
  redis.call('ZADD', KEYS[3], seq, h)
end
extend(KEYS[3], ARGV[8])
redis.call('ZADD', P .. 'exp', ARGV[7], h)
return 1
"#;

/// ARGV: prefix, handle, expected version or ''. Returns 1 if deleted.
const DELETE: &str = r#"
local cur = redis.call('HMGET', KEYS[1], 'v', 'l', 'u')
if not cur[1] then return 0 end
if ARGV[3] ~= '' and cur[1] ~= ARGV[3] then return 0 end
remove(ARGV[2], cur[2], cur[3])
return 1
"#;

/// ARGV: prefix, lookup. Returns the record JSON or nil.
const GET_BY_LOOKUP: &str = r#"
local h = redis.call('GET', KEYS[1])
if not h then return false end
return redis.call('HGET', skey(h), 'r')
"#;

/// ARGV: prefix, user. Returns the records' JSON in creation order; drops handles Redis expired.
const LIST: &str = r#"
local out = {}
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local r = redis.call('HGET', skey(h), 'r')
  if r then table.insert(out, r) else redis.call('ZREM', KEYS[1], h) end
end
return out
"#;

/// ARGV: prefix, user, '1' to keep a handle or '0', the handle to keep. Returns how many were deleted.
const DELETE_FOR_USER: &str = r#"
local n = 0
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if not (ARGV[3] == '1' and h == ARGV[4]) then
    local cur = redis.call('HMGET', skey(h), 'l', 'u')
    if cur[2] then
      remove(h, cur[1], cur[2])
      n = n + 1
    else
      redis.call('ZREM', KEYS[1], h)
    end
  end
end
return n
"#;

/// ARGV: prefix, now, batch size, offset. Returns {handles looked at, sessions deleted, handles kept}.
///
/// Scores are doubles, so near `i64::MAX` the range is a superset; the exact expiry (`e`) decides, and the
/// handles it keeps are skipped by the next batch's offset.
const PURGE: &str = r#"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', tonumber(ARGV[4]), tonumber(ARGV[3]))
local n, kept = 0, 0
for _, h in ipairs(due) do
  local cur = redis.call('HMGET', skey(h), 'l', 'u', 'e')
  if not cur[2] then
    redis.call('ZREM', KEYS[1], h)
  elseif le(cur[3], ARGV[2]) then
    remove(h, cur[1], cur[2])
    n = n + 1
  else
    kept = kept + 1
  end
end
return {#due, n, kept}
"#;

/// The compiled scripts (each is the prelude plus its body), made once.
struct Scripts {
    insert: Script,
    replace: Script,
    delete: Script,
    get_by_lookup: Script,
    list: Script,
    delete_for_user: Script,
    purge: Script,
    save_keys: Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: OnceLock<Scripts> = OnceLock::new();
    SCRIPTS.get_or_init(|| {
        let make = |body: &str| Script::new(&format!("{LUA_EXTEND}{LUA_LE}{LUA_PRELUDE}{body}"));
        Scripts {
            insert: make(INSERT),
            replace: make(REPLACE),
            delete: make(DELETE),
            get_by_lookup: make(GET_BY_LOOKUP),
            list: make(LIST),
            delete_for_user: make(DELETE_FOR_USER),
            purge: make(PURGE),
            save_keys: make(SAVE_KEYS),
        }
    })
}

impl RedisStore {
    /// Run the insert or replace script for `record`.
    fn write(&self, script: &Script, record: &SessionRecord, expected: Option<u64>, context: &str) -> Result<bool> {
        let json = encode_record(record)?;
        let mut invocation = script.prepare_invoke();
        invocation
            .key(self.session_key(&record.handle))
            .key(self.lookup_key(&record.refresh_lookup))
            .key(self.user_key(&record.user_id))
            .arg(&self.options.key_prefix)
            .arg(&record.handle)
            .arg(&record.user_id)
            .arg(&record.refresh_lookup)
            .arg(record.version.to_string())
            .arg(json)
            .arg(record.expires_at())
            .arg(expire_at(record));
        if let Some(expected) = expected {
            invocation.arg(expected.to_string());
        }
        let done: i64 = self.conn(context)?.run(context, |c| invocation.invoke(c))?;
        Ok(done == 1)
    }
}

impl SessionStore for RedisStore {
    fn insert(&self, record: &SessionRecord) -> Result<()> {
        if self.write(&scripts().insert, record, None, "inserting a session")? {
            Ok(())
        } else {
            Err(Error::InvalidArgument("a session with this handle or refresh chain already exists".into()))
        }
    }

    fn get(&self, handle: &str) -> Result<Option<SessionRecord>> {
        let context = "reading a session";
        let key = self.session_key(handle);
        let text: Option<String> =
            self.conn(context)?.run(context, |c| ::redis::cmd("HGET").arg(&key).arg("r").query(c))?;
        text.as_deref().map(decode_record).transpose()
    }

    fn get_by_refresh_lookup(&self, lookup: &str) -> Result<Option<SessionRecord>> {
        let context = "reading a session";
        let mut invocation = scripts().get_by_lookup.prepare_invoke();
        invocation.key(self.lookup_key(lookup)).arg(&self.options.key_prefix).arg(lookup);
        let text: Option<String> = self.conn(context)?.run(context, |c| invocation.invoke(c))?;
        text.as_deref().map(decode_record).transpose()
    }

    fn replace(&self, expected_version: u64, record: &SessionRecord) -> Result<bool> {
        self.write(&scripts().replace, record, Some(expected_version), "replacing a session")
    }

    fn delete(&self, handle: &str, expected_version: Option<u64>) -> Result<bool> {
        let context = "deleting a session";
        let mut invocation = scripts().delete.prepare_invoke();
        invocation
            .key(self.session_key(handle))
            .arg(&self.options.key_prefix)
            .arg(handle)
            .arg(expected_version.map(|v| v.to_string()).unwrap_or_default());
        let done: i64 = self.conn(context)?.run(context, |c| invocation.invoke(c))?;
        Ok(done == 1)
    }

    fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let context = "listing sessions";
        let mut invocation = scripts().list.prepare_invoke();
        invocation.key(self.user_key(user_id)).arg(&self.options.key_prefix).arg(user_id);
        let texts: Vec<String> = self.conn(context)?.run(context, |c| invocation.invoke(c))?;
        texts.iter().map(|t| decode_record(t)).collect()
    }

    fn delete_for_user(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        let context = "deleting a user's sessions";
        let mut invocation = scripts().delete_for_user.prepare_invoke();
        invocation
            .key(self.user_key(user_id))
            .arg(&self.options.key_prefix)
            .arg(user_id)
            .arg(if keep.is_some() { "1" } else { "0" })
            .arg(keep.unwrap_or_default());
        self.conn(context)?.run(context, |c| invocation.invoke(c))
    }

    fn purge_expired(&self, now: UnixTime) -> Result<u64> {
        let context = "purging expired sessions";
        let mut conn = self.conn(context)?;
        let (mut deleted, mut offset) = (0, 0);
        loop {
            let mut invocation = scripts().purge.prepare_invoke();
            invocation.key(self.key("exp")).arg(&self.options.key_prefix).arg(now).arg(PURGE_BATCH).arg(offset);
            let (seen, n, kept): (u64, u64, u64) = conn.run(context, |c| invocation.invoke(c))?;
            deleted += n;
            offset += kept;
            if seen < PURGE_BATCH {
                return Ok(deleted);
            }
        }
    }

    fn load_keys(&self) -> Result<Option<StoredKeyRing>> {
        let context = "reading the key ring";
        let key = self.key("keys");
        let (version, keys): (Option<String>, Option<String>) =
            self.conn(context)?.run(context, |c| ::redis::cmd("HMGET").arg(&key).arg("v").arg("k").query(c))?;
        ring_from_fields(version, keys)
    }

    fn save_keys(&self, expected_version: Option<u64>, keys: &[StoredKey]) -> Result<bool> {
        let context = "saving the key ring";
        let Some(next) = next_ring_version(expected_version) else { return Ok(false) };
        let text = encode_keys(keys)?;
        let mut invocation = scripts().save_keys.prepare_invoke();
        invocation
            .key(self.key("keys"))
            .arg(&self.options.key_prefix)
            .arg(expected_version.map(|v| v.to_string()).unwrap_or_default())
            .arg(next.to_string())
            .arg(text);
        let done: i64 = self.conn(context)?.run(context, |c| invocation.invoke(c))?;
        Ok(done == 1)
    }
}
