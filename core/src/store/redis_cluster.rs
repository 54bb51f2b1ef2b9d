//! A store on a Redis Cluster (feature `redis`): every step touches one key, so one hash slot.
//!
//! See [`RedisClusterStore`] for the layout and for what is atomic and what is not.

use super::key_json::encode_keys;
use super::redis_common::{
    LUA_EXTEND, LUA_LE, PURGE_BATCH, Pool, Pooled, SAVE_KEYS, decode_record, encode_record, expire_at, keep_until,
    lookup_key, next_ring_version, ring_from_fields, session_key, user_key,
};
use super::{SessionStore, StoredKeyRing};
use crate::UnixTime;
use crate::error::{Error, Result};
use crate::keyring::StoredKey;
use crate::session::SessionRecord;
use ::redis::Script;
use ::redis::cluster::{ClusterClient, ClusterConnection};
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::time::Duration;

/// Length of the per-insert nonce in hex (16 random bytes).
const NONCE_LEN: usize = 32;
/// How often an insert retries taking over a lookup whose session is gone before giving up.
const CLAIM_ATTEMPTS: usize = 8;

/// Options for [`RedisClusterStore::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisClusterOptions {
    /// Some nodes of the cluster (`redis://[user:password@]host:port`); the rest are found from them.
    pub nodes: Vec<String>,
    /// The most cluster connections open at once (default 8); a call waits up to `timeout` for a free one.
    /// Each holds one socket per node it has talked to.
    pub pool_size: u32,
    /// Connect and response timeout towards every node, and the longest wait for a free connection
    /// (default 5 s).
    pub timeout: Duration,
    /// Prefix of every key (default `sw:`), so several applications can share one cluster.
    pub key_prefix: String,
}

impl RedisClusterOptions {
    /// The defaults for these seed nodes.
    pub fn new<S: Into<String>>(nodes: impl IntoIterator<Item = S>) -> Self {
        Self {
            nodes: nodes.into_iter().map(Into::into).collect(),
            pool_size: 8,
            timeout: Duration::from_secs(5),
            key_prefix: "sw:".into(),
        }
    }
}

/// A session store on a Redis Cluster, shared by every instance of an application.
///
/// # Key layout
/// The keys are named as in [`super::RedisStore`], and every command or script touches exactly one of them,
/// so each step runs in one hash slot:
/// - `sw:s:{<handle>}`: the record hash (`r` JSON, `v` version, `l` lookup, `u` user, `e` expiry), plus `n`,
///   a random nonce written once by the insert, and `x`, how long the lookup and user index must live;
/// - `sw:l:<lookup>`: `<nonce><handle>` of the session on this refresh chain;
/// - `sw:u:{<user_id>}`: a sorted set of `<nonce><handle>` members scored in insertion order;
/// - `sw:exp`: a sorted set of `<nonce><handle>` scored by expiry, walked by purge;
/// - `sw:keys`: the shared key ring (`v`, `k`).
///
/// # Atomicity
/// [`SessionStore::replace`] (the compare-and-swap of every refresh), [`SessionStore::delete`] with a version,
/// and [`SessionStore::save_keys`] are each one script on one key, as atomic as on a single server: under a
/// race exactly one writer wins. A record never changes its refresh lookup, so a rotation needs only the record.
///
/// Insert, delete, delete-for-user and purge write several keys in several slots, which Cluster cannot do
/// atomically. They run single-slot steps in an order where every intermediate state is harmless:
/// - an index entry or lookup counts only if the record it names exists **with the same nonce** (and, in a
///   user index, the same user); anything else is dangling: readers ignore it and remove it lazily. The
///   nonce makes this exact: a handle deleted and inserted again gets a new nonce, so old entries never
///   count for the new record and cleaning them never touches the new one's;
/// - insert writes the record first (refusing a taken handle), then claims the lookup (refusing one held by a
///   live record, taking over one left dangling), then adds the index entries. A refused or failed insert
///   deletes its record again. The record is only reachable by its handle, which no one else knows, until
///   the lookup is claimed;
/// - delete removes the record first (with the version check), then its lookup and index entries.
///
/// An operation interrupted midway (the server or the network failed) returns `store_unavailable` and can
/// leave only dangling entries, which expire with their keys. Concurrent operations on *different* sessions
/// are not isolated from each other: a [`SessionStore::delete_for_user`] running while the same user signs in
/// may leave the new session standing, as if it had been created just after.
///
/// # Expiry
/// As in [`super::RedisStore`]: the record expires at the session's expiry (moved by every rotation); the
/// lookup and the user index live until the absolute expiry (which rotations do not move), so a rotation
/// touches only the record. `sw:exp` holds each session's expiry at insert; purge checks the record's exact
/// expiry and re-scores entries whose session was refreshed since.
///
/// Needs Redis 5 or later in cluster mode. Writes go to the primaries (no reads from replicas, so a refresh
/// always sees the latest rotation). After a failover, a write acknowledged by a primary but not yet copied
/// to its replica can be lost, as with any asynchronous Redis replication: a lost rotation leaves the session
/// at its earlier version, and the client holding the lost successor is refused and signs in again. Redis holds refresh-token hashes
/// and, if shared, private signing keys: protect it as described in [`super::RedisStore`].
pub struct RedisClusterStore {
    client: ClusterClient,
    prefix: String,
    pool: Pool<ClusterConnection>,
    timeout: Duration,
}

impl std::fmt::Debug for RedisClusterStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The node URLs may hold a password.
        f.debug_struct("RedisClusterStore").field("key_prefix", &self.prefix).finish_non_exhaustive()
    }
}

/// KEYS: the record. ARGV: json, version, lookup, user, expiry, nonce, index lifetime, record expire_at.
/// Returns 1, or 0 if the handle is taken.
const INSERT: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'v', ARGV[2], 'l', ARGV[3], 'u', ARGV[4], 'e', ARGV[5], 'n', ARGV[6],
  'x', ARGV[7])
redis.call('EXPIREAT', KEYS[1], ARGV[8])
return 1
"#;

/// KEYS: a lookup. ARGV: the new member, the value expected there ('' for none), its lifetime.
/// Returns {1, ''} if set, else {0, the value found}.
const CLAIM: &str = r#"
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[2] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return {1, ''}
"#;

/// KEYS: a lookup. ARGV: member. Deletes the lookup if it still names this member.
const DROP_LOOKUP: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"#;

/// KEYS: a user index. ARGV: member, lifetime. Adds the member after every other.
const USER_ADD: &str = r#"
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local score = 1
if last[2] then score = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[1], score, ARGV[1])
extend(KEYS[1], ARGV[2])
return 1
"#;

/// KEYS: any key. ARGV: lifetime. Lets the key live at least that long.
const EXTEND: &str = r#"
extend(KEYS[1], ARGV[1])
return 1
"#;

/// KEYS: the record. ARGV: json, new version, lookup, user, expiry, index lifetime, record expire_at,
/// expected version. Returns {'0'}, or {'1', '1' if the lookup and index must live longer else '0', old user,
/// nonce}.
const REPLACE: &str = r#"
local cur = redis.call('HMGET', KEYS[1], 'v', 'l', 'u', 'n', 'x')
if not cur[1] or cur[1] ~= ARGV[8] or cur[2] ~= ARGV[3] then return {'0'} end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'v', ARGV[2], 'u', ARGV[4], 'e', ARGV[5])
redis.call('EXPIREAT', KEYS[1], ARGV[7])
local grow = '0'
if tonumber(ARGV[6]) > tonumber(cur[5]) then
  redis.call('HSET', KEYS[1], 'x', ARGV[6])
  grow = '1'
end
return {'1', grow, cur[3], cur[4]}
"#;

/// KEYS: the record. ARGV: expected version, nonce, user, "expired at or before" time (each '' for any).
/// Returns {'0'} if absent or another instance or version, {'2'} if another user's, {'3', expiry} if not
/// expired, or {'1', lookup, user, nonce} after deleting it.
const REMOVE: &str = r#"
local cur = redis.call('HMGET', KEYS[1], 'v', 'l', 'u', 'n', 'e')
if not cur[1] then return {'0'} end
if ARGV[1] ~= '' and cur[1] ~= ARGV[1] then return {'0'} end
if ARGV[2] ~= '' and cur[4] ~= ARGV[2] then return {'0'} end
if ARGV[3] ~= '' and cur[3] ~= ARGV[3] then return {'2'} end
if ARGV[4] ~= '' and not le(cur[5], ARGV[4]) then return {'3', cur[5]} end
redis.call('DEL', KEYS[1])
return {'1', cur[2], cur[3], cur[4]}
"#;

/// KEYS: the record. ARGV: nonce. Deletes the record if this insert wrote it.
const UNDO_INSERT: &str = r#"
if redis.call('HGET', KEYS[1], 'n') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"#;

struct Scripts {
    insert: Script,
    claim: Script,
    drop_lookup: Script,
    user_add: Script,
    extend: Script,
    replace: Script,
    remove: Script,
    undo_insert: Script,
    save_keys: Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: OnceLock<Scripts> = OnceLock::new();
    SCRIPTS.get_or_init(|| {
        let make = |body: &str| Script::new(&format!("{LUA_EXTEND}{LUA_LE}{body}"));
        Scripts {
            insert: make(INSERT),
            claim: make(CLAIM),
            drop_lookup: make(DROP_LOOKUP),
            user_add: make(USER_ADD),
            extend: make(EXTEND),
            replace: make(REPLACE),
            remove: make(REMOVE),
            undo_insert: make(UNDO_INSERT),
            save_keys: make(SAVE_KEYS),
        }
    })
}

/// `<nonce><handle>`: one inserted instance of a session, as the lookup and the indexes name it.
fn member(nonce: &str, handle: &str) -> String {
    format!("{nonce}{handle}")
}

/// The nonce and handle of a member, or `None` if it is not one.
fn split_member(member: &str) -> Option<(&str, &str)> {
    member.split_at_checked(NONCE_LEN).filter(|(nonce, _)| nonce.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn new_nonce() -> Result<String> {
    let bytes = crate::random::bytes::<16>()?;
    let mut hex = String::with_capacity(NONCE_LEN);
    for b in bytes {
        let _ = write!(hex, "{b:02x}");
    }
    Ok(hex)
}

/// How long a session's lookup and user index must live: until its absolute expiry (at least an hour).
fn index_lifetime(record: &SessionRecord) -> i64 {
    keep_until(record.absolute_expires_at)
}

type Conn<'a> = Pooled<'a, ClusterConnection>;

impl RedisClusterStore {
    /// Connect with these options. Fails with [`Error::StoreUnavailable`] if a node URL is invalid or the
    /// cluster cannot be reached (or refuses the credentials) within `timeout`.
    pub fn open(options: RedisClusterOptions) -> Result<Self> {
        if options.nodes.is_empty() {
            return Err(Error::InvalidArgument("RedisClusterOptions::nodes must name at least one node".into()));
        }
        if options.pool_size == 0 {
            return Err(Error::InvalidArgument("RedisClusterOptions::pool_size must be at least 1".into()));
        }
        if options.timeout.is_zero() {
            return Err(Error::InvalidArgument("RedisClusterOptions::timeout must be positive".into()));
        }
        let client = ClusterClient::builder(options.nodes.iter().map(String::as_str))
            .connection_timeout(options.timeout)
            .response_timeout(options.timeout)
            // One retry follows a MOVED/ASK redirection after a resharding; more would multiply the timeout.
            .retries(1)
            .build()
            .map_err(|e| Error::store("parsing the Redis Cluster node URLs", e))?;
        let store = Self {
            client,
            prefix: options.key_prefix,
            pool: Pool::new(options.pool_size, options.timeout),
            timeout: options.timeout,
        };
        // Check the cluster now rather than at the first call.
        let mut conn = store.conn("connecting to Redis Cluster")?;
        conn.run("connecting to Redis Cluster", |c| ::redis::cmd("PING").query::<()>(c))?;
        drop(conn);
        Ok(store)
    }

    fn conn(&self, context: &str) -> Result<Conn<'_>> {
        self.pool.get(context, || {
            let conn = self.client.get_connection()?;
            conn.set_read_timeout(Some(self.timeout))?;
            conn.set_write_timeout(Some(self.timeout))?;
            Ok(conn)
        })
    }

    fn exp_key(&self) -> String {
        format!("{}exp", self.prefix)
    }

    /// Run `script` on `key` with `args`.
    fn eval<T: ::redis::FromRedisValue>(
        conn: &mut Conn<'_>,
        context: &str,
        script: &Script,
        key: &str,
        args: &[&str],
    ) -> Result<T> {
        let mut invocation = script.prepare_invoke();
        invocation.key(key);
        for arg in args {
            invocation.arg(*arg);
        }
        conn.run(context, |c| invocation.invoke(c))
    }

    fn cmd<T: ::redis::FromRedisValue>(conn: &mut Conn<'_>, context: &str, cmd: &::redis::Cmd) -> Result<T> {
        conn.run(context, |c| cmd.query(c))
    }

    /// The JSON and user of the record under `handle` if it is the live instance `nonce`.
    fn live_record(
        &self,
        conn: &mut Conn<'_>,
        context: &str,
        nonce: &str,
        handle: &str,
    ) -> Result<Option<(String, String)>> {
        let (r, n, u): (Option<String>, Option<String>, Option<String>) = Self::cmd(
            conn,
            context,
            ::redis::cmd("HMGET").arg(session_key(&self.prefix, handle)).arg("r").arg("n").arg("u"),
        )?;
        match (r, n, u) {
            (Some(r), Some(n), Some(u)) if n == nonce => Ok(Some((r, u))),
            _ => Ok(None),
        }
    }

    /// Point the record's lookup at `me`, unless a live record holds it. Returns whether it was claimed.
    fn claim_lookup(&self, conn: &mut Conn<'_>, record: &SessionRecord, me: &str, lifetime: &str) -> Result<bool> {
        let context = "inserting a session";
        let key = lookup_key(&self.prefix, &record.refresh_lookup);
        let mut expected = String::new();
        for _ in 0..CLAIM_ATTEMPTS {
            let (done, found): (i64, String) =
                Self::eval(conn, context, &scripts().claim, &key, &[me, &expected, lifetime])?;
            if done == 1 {
                return Ok(true);
            }
            // Taken: by a live record (refuse), or left by one that is gone (take it over if still so).
            if let Some((nonce, handle)) = split_member(&found)
                && self.live_record(conn, context, nonce, handle)?.is_some()
            {
                return Ok(false);
            }
            expected = found;
        }
        Err(Error::StoreUnavailable(format!(
            "{context}: the refresh lookup changed hands {CLAIM_ATTEMPTS} times while being claimed"
        )))
    }

    /// The steps of insert after the record is written.
    fn insert_rest(&self, conn: &mut Conn<'_>, record: &SessionRecord, me: &str, lifetime: &str) -> Result<bool> {
        let context = "inserting a session";
        if !self.claim_lookup(conn, record, me, lifetime)? {
            return Ok(false);
        }
        Self::eval::<()>(
            conn,
            context,
            &scripts().user_add,
            &user_key(&self.prefix, &record.user_id),
            &[me, lifetime],
        )?;
        Self::cmd::<()>(
            conn,
            context,
            ::redis::cmd("ZADD").arg(self.exp_key()).arg(record.expires_at().to_string()).arg(me),
        )?;
        Ok(true)
    }

    /// Remove the lookup and index entries of a deleted record.
    fn remove_entries(&self, conn: &mut Conn<'_>, context: &str, lookup: &str, user: &str, me: &str) -> Result<()> {
        Self::eval::<()>(conn, context, &scripts().drop_lookup, &lookup_key(&self.prefix, lookup), &[me])?;
        Self::cmd::<()>(conn, context, ::redis::cmd("ZREM").arg(user_key(&self.prefix, user)).arg(me))?;
        Self::cmd::<()>(conn, context, ::redis::cmd("ZREM").arg(self.exp_key()).arg(me))?;
        Ok(())
    }

    /// Run the remove script on `handle`; on success, remove its entries. Returns the script's answer.
    fn remove(&self, conn: &mut Conn<'_>, context: &str, handle: &str, args: [&str; 4]) -> Result<Vec<String>> {
        let answer: Vec<String> =
            Self::eval(conn, context, &scripts().remove, &session_key(&self.prefix, handle), &args)?;
        if let [done, lookup, user, nonce] = answer.as_slice()
            && done == "1"
        {
            self.remove_entries(conn, context, lookup, user, &member(nonce, handle))?;
        }
        Ok(answer)
    }
}

impl SessionStore for RedisClusterStore {
    fn insert(&self, record: &SessionRecord) -> Result<()> {
        let context = "inserting a session";
        let json = encode_record(record)?;
        let nonce = new_nonce()?;
        let me = member(&nonce, &record.handle);
        let lifetime = index_lifetime(record).to_string();
        let key = session_key(&self.prefix, &record.handle);
        let mut conn = self.conn(context)?;
        let version = record.version.to_string();
        let expiry = record.expires_at().to_string();
        let expire = expire_at(record).to_string();
        let args = [&json, &version, &record.refresh_lookup, &record.user_id, &expiry, &nonce, &lifetime, &expire];
        let written: i64 = Self::eval(&mut conn, context, &scripts().insert, &key, &args.map(String::as_str))?;
        if written != 1 {
            return Err(Error::InvalidArgument("a session with this handle or refresh chain already exists".into()));
        }
        match self.insert_rest(&mut conn, record, &me, &lifetime) {
            Ok(true) => Ok(()),
            outcome => {
                // Refused or failed after the record was written: take it back (best effort on failure; what
                // remains is a record nobody holds a token for, which expires).
                drop(conn);
                let undo = self.conn(context).and_then(|mut conn| {
                    Self::eval::<()>(&mut conn, context, &scripts().undo_insert, &key, &[&nonce])?;
                    Self::eval::<()>(
                        &mut conn,
                        context,
                        &scripts().drop_lookup,
                        &lookup_key(&self.prefix, &record.refresh_lookup),
                        &[&me],
                    )
                });
                match outcome {
                    Ok(_) => {
                        undo?;
                        Err(Error::InvalidArgument("a session with this handle or refresh chain already exists".into()))
                    }
                    Err(err) => Err(err),
                }
            }
        }
    }

    fn get(&self, handle: &str) -> Result<Option<SessionRecord>> {
        let context = "reading a session";
        let key = session_key(&self.prefix, handle);
        let mut conn = self.conn(context)?;
        let text: Option<String> = Self::cmd(&mut conn, context, ::redis::cmd("HGET").arg(&key).arg("r"))?;
        text.as_deref().map(decode_record).transpose()
    }

    fn get_by_refresh_lookup(&self, lookup: &str) -> Result<Option<SessionRecord>> {
        let context = "reading a session";
        let mut conn = self.conn(context)?;
        let found: Option<String> =
            Self::cmd(&mut conn, context, ::redis::cmd("GET").arg(lookup_key(&self.prefix, lookup)))?;
        let Some((nonce, handle)) = found.as_deref().and_then(split_member) else { return Ok(None) };
        match self.live_record(&mut conn, context, nonce, handle)? {
            Some((text, _)) => decode_record(&text).map(Some),
            None => Ok(None),
        }
    }

    fn replace(&self, expected_version: u64, record: &SessionRecord) -> Result<bool> {
        let context = "replacing a session";
        let json = encode_record(record)?;
        let lifetime = index_lifetime(record).to_string();
        let (version, expiry) = (record.version.to_string(), record.expires_at().to_string());
        let (expire, expected) = (expire_at(record).to_string(), expected_version.to_string());
        let args = [&json, &version, &record.refresh_lookup, &record.user_id, &expiry, &lifetime, &expire, &expected];
        let key = session_key(&self.prefix, &record.handle);
        let mut conn = self.conn(context)?;
        let answer: Vec<String> = Self::eval(&mut conn, context, &scripts().replace, &key, &args.map(String::as_str))?;
        let [done, grow, old_user, nonce] = answer.as_slice() else { return Ok(false) };
        if done != "1" {
            return Ok(false);
        }
        // The record is replaced. What follows only keeps the other keys in step, rarely needed: the core never
        // moves an absolute expiry later nor a session to another user.
        let me = member(nonce, &record.handle);
        let new_index = user_key(&self.prefix, &record.user_id);
        if grow == "1" {
            let lookup = lookup_key(&self.prefix, &record.refresh_lookup);
            Self::eval::<()>(&mut conn, context, &scripts().extend, &lookup, &[&lifetime])?;
            Self::eval::<()>(&mut conn, context, &scripts().extend, &new_index, &[&lifetime])?;
        }
        if *old_user != record.user_id {
            Self::eval::<()>(&mut conn, context, &scripts().user_add, &new_index, &[&me, &lifetime])?;
            let old_index = user_key(&self.prefix, old_user);
            Self::cmd::<()>(&mut conn, context, ::redis::cmd("ZREM").arg(old_index).arg(&me))?;
        }
        Ok(true)
    }

    fn delete(&self, handle: &str, expected_version: Option<u64>) -> Result<bool> {
        let context = "deleting a session";
        let expected = expected_version.map(|v| v.to_string()).unwrap_or_default();
        let mut conn = self.conn(context)?;
        let answer = self.remove(&mut conn, context, handle, [&expected, "", "", ""])?;
        Ok(answer.first().is_some_and(|done| done == "1"))
    }

    fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let context = "listing sessions";
        let index = user_key(&self.prefix, user_id);
        let mut conn = self.conn(context)?;
        let members: Vec<String> = Self::cmd(&mut conn, context, ::redis::cmd("ZRANGE").arg(&index).arg(0).arg(-1))?;
        let mut out = Vec::with_capacity(members.len());
        for m in &members {
            let live = match split_member(m) {
                Some((nonce, handle)) => self.live_record(&mut conn, context, nonce, handle)?,
                None => None,
            };
            match live {
                Some((text, user)) if user == user_id => out.push(decode_record(&text)?),
                // Moved to another user by a replace, which removes this entry itself.
                Some(_) => {}
                // The record is gone or is another instance: this entry can never count again.
                None => Self::cmd::<()>(&mut conn, context, ::redis::cmd("ZREM").arg(&index).arg(m))?,
            }
        }
        Ok(out)
    }

    fn delete_for_user(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        let context = "deleting a user's sessions";
        let index = user_key(&self.prefix, user_id);
        let mut conn = self.conn(context)?;
        let members: Vec<String> = Self::cmd(&mut conn, context, ::redis::cmd("ZRANGE").arg(&index).arg(0).arg(-1))?;
        let mut deleted = 0;
        for m in &members {
            let Some((nonce, handle)) = split_member(m) else {
                Self::cmd::<()>(&mut conn, context, ::redis::cmd("ZREM").arg(&index).arg(m))?;
                continue;
            };
            if keep == Some(handle) {
                continue;
            }
            let answer = self.remove(&mut conn, context, handle, ["", nonce, user_id, ""])?;
            match answer.first().map(String::as_str) {
                Some("1") => deleted += 1,
                Some("0") => Self::cmd::<()>(&mut conn, context, ::redis::cmd("ZREM").arg(&index).arg(m))?,
                _ => {}
            }
        }
        Ok(deleted)
    }

    fn purge_expired(&self, now: UnixTime) -> Result<u64> {
        let context = "purging expired sessions";
        let exp = self.exp_key();
        let now_text = now.to_string();
        let mut conn = self.conn(context)?;
        let (mut deleted, mut offset) = (0, 0u64);
        loop {
            let due: Vec<String> = Self::cmd(
                &mut conn,
                context,
                ::redis::cmd("ZRANGEBYSCORE")
                    .arg(&exp)
                    .arg("-inf")
                    .arg(&now_text)
                    .arg("LIMIT")
                    .arg(offset)
                    .arg(PURGE_BATCH),
            )?;
            for m in &due {
                let Some((nonce, handle)) = split_member(m) else {
                    Self::cmd::<()>(&mut conn, context, ::redis::cmd("ZREM").arg(&exp).arg(m))?;
                    continue;
                };
                let answer = self.remove(&mut conn, context, handle, ["", nonce, "", &now_text])?;
                match answer.as_slice() {
                    [done, ..] if done == "1" => deleted += 1,
                    [kept, expiry] if kept == "3" => {
                        // Refreshed since it was indexed: move the entry to its current expiry. Scores are
                        // doubles; one that still compares at or below `now` stays in range and is skipped.
                        Self::cmd::<()>(
                            &mut conn,
                            context,
                            ::redis::cmd("ZADD").arg(&exp).arg("XX").arg(expiry).arg(m),
                        )?;
                        let still_due = expiry.parse::<i64>().is_ok_and(|e| e as f64 <= now as f64);
                        offset += u64::from(still_due);
                    }
                    _ => Self::cmd::<()>(&mut conn, context, ::redis::cmd("ZREM").arg(&exp).arg(m))?,
                }
            }
            if (due.len() as u64) < PURGE_BATCH {
                return Ok(deleted);
            }
        }
    }

    fn load_keys(&self) -> Result<Option<StoredKeyRing>> {
        let context = "reading the key ring";
        let key = format!("{}keys", self.prefix);
        let mut conn = self.conn(context)?;
        let (version, keys) = Self::cmd(&mut conn, context, ::redis::cmd("HMGET").arg(&key).arg("v").arg("k"))?;
        ring_from_fields(version, keys)
    }

    fn save_keys(&self, expected_version: Option<u64>, keys: &[StoredKey]) -> Result<bool> {
        let context = "saving the key ring";
        let Some(next) = next_ring_version(expected_version) else { return Ok(false) };
        let text = encode_keys(keys)?;
        let key = format!("{}keys", self.prefix);
        let expected = expected_version.map(|v| v.to_string()).unwrap_or_default();
        let mut conn = self.conn(context)?;
        let done: i64 = Self::eval(
            &mut conn,
            context,
            &scripts().save_keys,
            &key,
            &[&self.prefix, &expected, &next.to_string(), &text],
        )?;
        Ok(done == 1)
    }
}
