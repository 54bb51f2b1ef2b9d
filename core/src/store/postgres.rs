//! A PostgreSQL store, for apps that run on many machines (feature `postgres`).
//!
//! The same design as the SQLite store: every trait method is a single SQL statement (atomic on its own, in
//! autocommit mode); the compare-and-swap operations put the expected version in the `WHERE` clause and count
//! the changed rows.

use super::key_json::{decode_keys, encode_keys};
use super::{SessionStore, StoredKeyRing};
use crate::UnixTime;
use crate::error::{Error, Result};
use crate::keyring::StoredKey;
use crate::session::{SessionMetadata, SessionRecord};
use postgres::error::SqlState;
use postgres::{Client, NoTls, Row};
use r2d2_postgres::PostgresConnectionManager;
use serde_json::{Map, Value};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The key of the transaction-scoped advisory lock that serialises migrations across instances.
const MIGRATION_LOCK: i64 = 0x7365_7373_7761_7264; // "sessward"

/// Longest accepted table prefix.
const MAX_PREFIX_LEN: usize = 32;

/// Schema migrations, applied in order; `{p}` is replaced by the table prefix. Each version applied is a row
/// of `{p}schema_migrations`.
///
/// Never edit a released entry: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: sessions and the shared key ring.
    "CREATE TABLE IF NOT EXISTS {p}sessions (
        handle TEXT NOT NULL PRIMARY KEY,
        seq BIGSERIAL NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        refresh_lookup TEXT NOT NULL UNIQUE,
        current_hash BYTEA NOT NULL,
        previous_hash BYTEA,
        rotation_nonce BYTEA NOT NULL,
        generation BIGINT NOT NULL,
        version BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        refreshed_at BIGINT NOT NULL,
        idle_expires_at BIGINT NOT NULL,
        absolute_expires_at BIGINT NOT NULL,
        access_claims TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS {p}sessions_user ON {p}sessions (user_id, seq);
    CREATE INDEX IF NOT EXISTS {p}sessions_expiry ON {p}sessions ((least(idle_expires_at, absolute_expires_at)));
    CREATE TABLE IF NOT EXISTS {p}keys (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL,
        keys TEXT NOT NULL
    );",
];

/// Every record column, in the order [`read_record`] expects.
const COLUMNS: &str = "handle, user_id, refresh_lookup, current_hash, previous_hash, rotation_nonce, generation, \
    version, created_at, refreshed_at, idle_expires_at, absolute_expires_at, access_claims, data, metadata";

/// How to reach the database.
#[derive(Clone)]
pub struct PostgresOptions {
    /// A libpq-style URL or key/value string, e.g. `postgres://app@db.internal:5432/app`.
    pub url: String,
    /// Most connections the pool holds (default 8).
    pub pool_size: u32,
    /// How long to wait for a connection, new or from the pool, before failing (default 5 s).
    pub connect_timeout: Duration,
    /// `statement_timeout` set on every connection (default 5 s).
    pub statement_timeout: Duration,
    /// Prefix of the table names: lowercase ASCII letters, digits and `_`, at most 32 characters
    /// (default `sessionward_`).
    pub table_prefix: String,
}

impl PostgresOptions {
    /// The defaults, for the database at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            pool_size: 8,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(5),
            table_prefix: "sessionward_".into(),
        }
    }
}

impl std::fmt::Debug for PostgresOptions {
    // The URL may hold a password: it is left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("table_prefix", &self.table_prefix)
            .finish_non_exhaustive()
    }
}

/// The statements, with the table prefix filled in.
struct Sql {
    insert: String,
    by_handle: String,
    by_lookup: String,
    replace: String,
    delete: String,
    delete_version: String,
    list: String,
    delete_for_user: String,
    purge: String,
    load_keys: String,
    insert_keys: String,
    update_keys: String,
}

impl Sql {
    fn new(p: &str) -> Self {
        Self {
            insert: format!(
                "INSERT INTO {p}sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
                 $13, $14, $15)"
            ),
            by_handle: format!("SELECT {COLUMNS} FROM {p}sessions WHERE handle = $1"),
            by_lookup: format!("SELECT {COLUMNS} FROM {p}sessions WHERE refresh_lookup = $1"),
            replace: format!(
                "UPDATE {p}sessions SET user_id = $4, current_hash = $5, previous_hash = $6, rotation_nonce = $7, \
                 generation = $8, version = $9, created_at = $10, refreshed_at = $11, idle_expires_at = $12, \
                 absolute_expires_at = $13, access_claims = $14, data = $15, metadata = $16 \
                 WHERE handle = $1 AND version = $2 AND refresh_lookup = $3"
            ),
            delete: format!("DELETE FROM {p}sessions WHERE handle = $1"),
            delete_version: format!("DELETE FROM {p}sessions WHERE handle = $1 AND version = $2"),
            list: format!("SELECT {COLUMNS} FROM {p}sessions WHERE user_id = $1 ORDER BY seq"),
            // `handle IS DISTINCT FROM NULL` holds for every row, so `keep = None` deletes them all.
            delete_for_user: format!("DELETE FROM {p}sessions WHERE user_id = $1 AND handle IS DISTINCT FROM $2"),
            // Same expression as the expiry index, so the index serves the scan.
            purge: format!("DELETE FROM {p}sessions WHERE least(idle_expires_at, absolute_expires_at) <= $1"),
            load_keys: format!("SELECT version, keys FROM {p}keys WHERE id = 1"),
            insert_keys: format!(
                "INSERT INTO {p}keys (id, version, keys) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING"
            ),
            update_keys: format!("UPDATE {p}keys SET version = $2, keys = $3 WHERE id = 1 AND version = $1"),
        }
    }
}

/// A database error described in full: `postgres::Error`'s `Display` leaves out the cause (the server's
/// message, or why the connection failed), which is what an operator needs to read.
fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A connection failure, as the pool reports it.
#[derive(Debug)]
struct ConnectError(String);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConnectError {}

/// The `r2d2_postgres` manager, with errors that keep their cause.
#[derive(Debug)]
struct Manager(PostgresConnectionManager<NoTls>);

impl r2d2::ManageConnection for Manager {
    type Connection = Client;
    type Error = ConnectError;

    fn connect(&self) -> std::result::Result<Client, ConnectError> {
        self.0.connect().map_err(|e| ConnectError(describe(&e)))
    }

    fn is_valid(&self, conn: &mut Client) -> std::result::Result<(), ConnectError> {
        self.0.is_valid(conn).map_err(|e| ConnectError(describe(&e)))
    }

    fn has_broken(&self, conn: &mut Client) -> bool {
        self.0.has_broken(conn)
    }
}

/// Sets the statement timeout on every new pooled connection.
#[derive(Debug)]
struct Customizer {
    statement_timeout_ms: u128,
}

impl r2d2::CustomizeConnection<Client, ConnectError> for Customizer {
    fn on_acquire(&self, conn: &mut Client) -> std::result::Result<(), ConnectError> {
        conn.batch_execute(&format!("SET statement_timeout = {}", self.statement_timeout_ms))
            .map_err(|e| ConnectError(format!("setting statement_timeout: {}", describe(&e))))
    }
}

type Pool = r2d2::Pool<Manager>;

/// A session store in PostgreSQL, shared by any number of app instances.
///
/// - Holds an `r2d2` pool of blocking connections (`pool_size`, default 8); each operation takes one
///   connection for one statement. Waiting for a connection is bounded by `connect_timeout` and every statement
///   by `statement_timeout`, so a database that is down or stuck fails fast with [`Error::StoreUnavailable`].
/// - [`PostgresStore::open`] creates the tables on first use and migrates them on later versions: the versions
///   applied are rows of `{prefix}schema_migrations`, and the missing ones are applied in one transaction under
///   a transaction-scoped advisory lock, so concurrent first opens are safe. Teams that manage the schema
///   themselves can take the SQL from [`PostgresStore::migrations_sql`].
/// - Connections do not use TLS: reach the database over a trusted network (or a local TLS proxy).
/// - Safe across `fork()` (pre-fork servers such as gunicorn `--preload`): a forked child opens its own pool on
///   its first call and never touches the connections it inherited.
///
/// The tables hold refresh-token hashes (not tokens) and, if the key ring is shared through the store, private
/// signing keys: grant access to them as to a secret.
pub struct PostgresStore {
    pool: Mutex<ProcessPool>,
    /// Kept to build a new pool in a forked child.
    options: PostgresOptions,
    sql: Sql,
}

/// A pool and the process that built it: a forked child must not use its parent's connections.
struct ProcessPool {
    pool: Pool,
    pid: u32,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("table_prefix", &self.options.table_prefix)
            .field("pool_size", &self.options.pool_size)
            .finish_non_exhaustive()
    }
}

/// An [`Error::StoreUnavailable`] for a failed database call, with the server's message when there is one.
fn pg(context: &str, err: &postgres::Error) -> Error {
    Error::StoreUnavailable(format!("{context}: {}", describe(err)))
}

fn check_prefix(prefix: &str) -> Result<()> {
    let valid = prefix.len() <= MAX_PREFIX_LEN
        && prefix.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !prefix.starts_with(|c: char| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "table prefix {prefix:?}: use at most {MAX_PREFIX_LEN} lowercase ASCII letters, digits and `_`, not \
             starting with a digit"
        )))
    }
}

/// The migrations with `prefix` filled in.
fn migrations(prefix: &str) -> Vec<String> {
    MIGRATIONS.iter().map(|m| m.replace("{p}", prefix)).collect()
}

fn create_migrations_table(prefix: &str) -> String {
    format!("CREATE TABLE IF NOT EXISTS {prefix}schema_migrations (version INTEGER PRIMARY KEY)")
}

/// A pool of connections to the database `options` names, with one connection open (so a bad URL, login or
/// unreachable server fails here).
fn build_pool(options: &PostgresOptions) -> Result<Pool> {
    let mut config: postgres::Config =
        options.url.parse().map_err(|e| Error::InvalidArgument(format!("the PostgreSQL URL is not valid: {e}")))?;
    config.connect_timeout(options.connect_timeout);
    if config.get_application_name().is_none() {
        config.application_name("sessionward");
    }
    r2d2::Pool::builder()
        .max_size(options.pool_size)
        .min_idle(Some(1))
        .connection_timeout(options.connect_timeout)
        .connection_customizer(Box::new(Customizer {
            statement_timeout_ms: options.statement_timeout.as_millis().max(1),
        }))
        .build(Manager(PostgresConnectionManager::new(config, NoTls)))
        .map_err(|e| Error::store("connecting to PostgreSQL", e))
}

impl PostgresStore {
    /// Connect to the database at `url` with the default options and bring the schema up to date.
    pub fn connect(url: &str) -> Result<Self> {
        Self::open(PostgresOptions::new(url))
    }

    /// Connect with `options` and bring the schema up to date.
    ///
    /// Fails with [`Error::InvalidArgument`] for a bad URL, prefix or pool size, and with
    /// [`Error::StoreUnavailable`] if the database cannot be reached within `connect_timeout`, refuses the
    /// login, or has a schema newer than this version of sessionward knows.
    pub fn open(options: PostgresOptions) -> Result<Self> {
        check_prefix(&options.table_prefix)?;
        if options.pool_size == 0 {
            return Err(Error::InvalidArgument("pool_size must be at least 1".into()));
        }
        let pool = ProcessPool { pool: build_pool(&options)?, pid: std::process::id() };
        let store = Self { pool: Mutex::new(pool), sql: Sql::new(&options.table_prefix), options };
        store.migrate()?;
        Ok(store)
    }

    /// The SQL that creates and migrates the schema for tables named with `table_prefix`, for teams that apply
    /// migrations with their own tooling. The first statement creates `{prefix}schema_migrations`; each
    /// following one applies one migration and records its version there. Run them in order, each once
    /// (re-running is harmless); [`PostgresStore::open`] then finds the schema current and changes nothing.
    pub fn migrations_sql(table_prefix: &str) -> Result<Vec<String>> {
        check_prefix(table_prefix)?;
        let mut out = vec![format!("{};", create_migrations_table(table_prefix))];
        for (i, migration) in migrations(table_prefix).into_iter().enumerate() {
            out.push(format!(
                "{migration}\nINSERT INTO {table_prefix}schema_migrations (version) VALUES ({}) ON CONFLICT DO \
                 NOTHING;",
                i + 1
            ));
        }
        Ok(out)
    }

    /// This process's pool.
    fn pool(&self) -> Result<Pool> {
        // Only the pid check and an `Arc` clone happen under the lock: no statement runs while it is held.
        let mut current = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        // A pool must not cross fork() (pre-fork servers such as gunicorn --preload): its sockets are the
        // parent's and r2d2's worker threads did not survive. A forked child builds its own pool. The inherited
        // one is leaked, not dropped: dropping a `postgres::Client` sends Terminate on the socket it holds, which
        // would end the parent's database session. Failing to connect leaves it in place (unused) for a retry.
        if current.pid != std::process::id() {
            let fresh = ProcessPool { pool: build_pool(&self.options)?, pid: std::process::id() };
            std::mem::forget(std::mem::replace(&mut *current, fresh));
        }
        Ok(current.pool.clone())
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>> {
        self.pool()?.get().map_err(|e| Error::store("getting a PostgreSQL connection", e))
    }

    /// Apply the migrations not yet applied, in one transaction under the migration advisory lock.
    fn migrate(&self) -> Result<()> {
        let fail = |e: postgres::Error| pg("migrating the PostgreSQL schema", &e);
        let p = &self.options.table_prefix;
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(fail)?;
        tx.batch_execute(&create_migrations_table(p)).map_err(fail)?;
        let applied: Option<i32> =
            tx.query_one(&format!("SELECT max(version) FROM {p}schema_migrations"), &[]).map_err(fail)?.get(0);
        let applied = usize::try_from(applied.unwrap_or(0)).unwrap_or(usize::MAX);
        let latest = MIGRATIONS.len();
        if applied > latest {
            return Err(Error::StoreUnavailable(format!(
                "the PostgreSQL tables {p}* have schema version {applied}, newer than the {latest} this version \
                 of sessionward knows: upgrade sessionward"
            )));
        }
        for (i, migration) in migrations(p).iter().enumerate().skip(applied) {
            tx.batch_execute(migration).map_err(fail)?;
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute(&format!("INSERT INTO {p}schema_migrations (version) VALUES ($1)"), &[&version])
                .map_err(fail)?;
        }
        tx.commit().map_err(fail)
    }
}

/// A `u64` as PostgreSQL stores it (`bigint`).
fn to_i64(value: u64, what: &str) -> Result<i64> {
    i64::try_from(value)
        .map_err(|_| Error::StoreUnavailable(format!("{what} {value} is larger than PostgreSQL can store")))
}

/// A record's columns in SQL form.
struct Encoded {
    generation: i64,
    version: i64,
    previous_hash: Option<Vec<u8>>,
    access_claims: String,
    data: String,
    metadata: String,
}

impl Encoded {
    fn new(record: &SessionRecord) -> Result<Self> {
        let json = |e| Error::store("encoding a session as JSON", e);
        Ok(Self {
            generation: to_i64(record.generation, "session generation")?,
            version: to_i64(record.version, "session version")?,
            previous_hash: record.previous_hash.map(|h| h.to_vec()),
            access_claims: serde_json::to_string(&record.access_claims).map_err(json)?,
            data: serde_json::to_string(&record.data).map_err(json)?,
            metadata: serde_json::to_string(&record.metadata).map_err(json)?,
        })
    }
}

/// Read a record from a row of [`COLUMNS`]; a value of the wrong shape is corruption.
fn read_record(row: &Row) -> Result<SessionRecord> {
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        Error::StoreUnavailable(format!("reading a session: column {what} is corrupt: {e}"))
    };
    let get_err = |what: &str, e: postgres::Error| corrupt(what, &e);
    let unsigned = |idx: usize, what: &str| -> Result<u64> {
        let value: i64 = row.try_get(idx).map_err(|e| get_err(what, e))?;
        u64::try_from(value).map_err(|e| corrupt(what, &e))
    };
    let hash = |bytes: Vec<u8>, what: &str| -> Result<[u8; 32]> {
        <[u8; 32]>::try_from(bytes).map_err(|b| corrupt(what, &format!("{} bytes, expected 32", b.len())))
    };
    fn json<T: serde::de::DeserializeOwned>(row: &Row, idx: usize, what: &str) -> Result<T> {
        let text: String = row.try_get(idx).map_err(|e| pg(&format!("reading session column {what}"), &e))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::StoreUnavailable(format!("reading a session: column {what} is corrupt: {e}")))
    }
    let previous: Option<Vec<u8>> = row.try_get(4).map_err(|e| get_err("previous_hash", e))?;
    Ok(SessionRecord {
        handle: row.try_get(0).map_err(|e| get_err("handle", e))?,
        user_id: row.try_get(1).map_err(|e| get_err("user_id", e))?,
        refresh_lookup: row.try_get(2).map_err(|e| get_err("refresh_lookup", e))?,
        current_hash: hash(row.try_get(3).map_err(|e| get_err("current_hash", e))?, "current_hash")?,
        previous_hash: previous.map(|b| hash(b, "previous_hash")).transpose()?,
        rotation_nonce: hash(row.try_get(5).map_err(|e| get_err("rotation_nonce", e))?, "rotation_nonce")?,
        generation: unsigned(6, "generation")?,
        version: unsigned(7, "version")?,
        created_at: row.try_get(8).map_err(|e| get_err("created_at", e))?,
        refreshed_at: row.try_get(9).map_err(|e| get_err("refreshed_at", e))?,
        idle_expires_at: row.try_get(10).map_err(|e| get_err("idle_expires_at", e))?,
        absolute_expires_at: row.try_get(11).map_err(|e| get_err("absolute_expires_at", e))?,
        access_claims: json::<Map<String, Value>>(row, 12, "access_claims")?,
        data: json::<Value>(row, 13, "data")?,
        metadata: json::<SessionMetadata>(row, 14, "metadata")?,
    })
}

impl SessionStore for PostgresStore {
    fn insert(&self, record: &SessionRecord) -> Result<()> {
        let enc = Encoded::new(record)?;
        let result = self.conn()?.execute(
            &self.sql.insert,
            &[
                &record.handle,
                &record.user_id,
                &record.refresh_lookup,
                &&record.current_hash[..],
                &enc.previous_hash,
                &&record.rotation_nonce[..],
                &enc.generation,
                &enc.version,
                &record.created_at,
                &record.refreshed_at,
                &record.idle_expires_at,
                &record.absolute_expires_at,
                &enc.access_claims,
                &enc.data,
                &enc.metadata,
            ],
        );
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                Err(Error::InvalidArgument("a session with this handle or refresh chain already exists".into()))
            }
            Err(e) => Err(pg("inserting a session", &e)),
        }
    }

    fn get(&self, handle: &str) -> Result<Option<SessionRecord>> {
        let row = self.conn()?.query_opt(&self.sql.by_handle, &[&handle]).map_err(|e| pg("reading a session", &e))?;
        row.as_ref().map(read_record).transpose()
    }

    fn get_by_refresh_lookup(&self, lookup: &str) -> Result<Option<SessionRecord>> {
        let row = self.conn()?.query_opt(&self.sql.by_lookup, &[&lookup]).map_err(|e| pg("reading a session", &e))?;
        row.as_ref().map(read_record).transpose()
    }

    fn replace(&self, expected_version: u64, record: &SessionRecord) -> Result<bool> {
        // No stored version exceeds i64::MAX, so such an expectation cannot match.
        let Ok(expected) = i64::try_from(expected_version) else { return Ok(false) };
        let enc = Encoded::new(record)?;
        let changed = self
            .conn()?
            .execute(
                &self.sql.replace,
                &[
                    &record.handle,
                    &expected,
                    &record.refresh_lookup,
                    &record.user_id,
                    &&record.current_hash[..],
                    &enc.previous_hash,
                    &&record.rotation_nonce[..],
                    &enc.generation,
                    &enc.version,
                    &record.created_at,
                    &record.refreshed_at,
                    &record.idle_expires_at,
                    &record.absolute_expires_at,
                    &enc.access_claims,
                    &enc.data,
                    &enc.metadata,
                ],
            )
            .map_err(|e| pg("replacing a session", &e))?;
        Ok(changed == 1)
    }

    fn delete(&self, handle: &str, expected_version: Option<u64>) -> Result<bool> {
        let fail = |e: postgres::Error| pg("deleting a session", &e);
        let changed = match expected_version {
            None => self.conn()?.execute(&self.sql.delete, &[&handle]).map_err(fail)?,
            Some(version) => {
                let Ok(version) = i64::try_from(version) else { return Ok(false) };
                self.conn()?.execute(&self.sql.delete_version, &[&handle, &version]).map_err(fail)?
            }
        };
        Ok(changed == 1)
    }

    fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let rows = self.conn()?.query(&self.sql.list, &[&user_id]).map_err(|e| pg("listing sessions", &e))?;
        rows.iter().map(read_record).collect()
    }

    fn delete_for_user(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        self.conn()?
            .execute(&self.sql.delete_for_user, &[&user_id, &keep])
            .map_err(|e| pg("deleting a user's sessions", &e))
    }

    fn purge_expired(&self, now: UnixTime) -> Result<u64> {
        self.conn()?.execute(&self.sql.purge, &[&now]).map_err(|e| pg("purging expired sessions", &e))
    }

    fn load_keys(&self) -> Result<Option<StoredKeyRing>> {
        let fail = |e: postgres::Error| pg("reading the key ring", &e);
        let Some(row) = self.conn()?.query_opt(&self.sql.load_keys, &[]).map_err(fail)? else { return Ok(None) };
        let version: i64 = row.try_get(0).map_err(fail)?;
        let keys: String = row.try_get(1).map_err(fail)?;
        let version = u64::try_from(version)
            .map_err(|_| Error::StoreUnavailable(format!("the stored key ring version {version} is corrupt")))?;
        Ok(Some(StoredKeyRing { version, keys: decode_keys(&keys)? }))
    }

    fn save_keys(&self, expected_version: Option<u64>, keys: &[StoredKey]) -> Result<bool> {
        let fail = |e: postgres::Error| pg("saving the key ring", &e);
        let (expected, next) = match expected_version {
            None => (None, 1),
            Some(v) => match (i64::try_from(v), v.checked_add(1)) {
                (Ok(expected), Some(next)) => (Some(expected), to_i64(next, "key ring version")?),
                // No stored version exceeds i64::MAX, so such an expectation cannot match.
                (Err(_), _) | (_, None) => return Ok(false),
            },
        };
        let text = encode_keys(keys)?;
        let mut conn = self.conn()?;
        let changed = match expected {
            None => conn.execute(&self.sql.insert_keys, &[&next, &text]),
            Some(expected) => conn.execute(&self.sql.update_keys, &[&expected, &next, &text]),
        }
        .map_err(fail)?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        for ok in ["", "sessionward_", "a1_", "x".repeat(32).as_str()] {
            assert!(check_prefix(ok).is_ok(), "{ok:?}");
        }
        for bad in ["A_", "a-b", "a b", "a;drop", "é", "1a", "x".repeat(33).as_str()] {
            assert!(check_prefix(bad).is_err(), "{bad:?}");
        }
    }
}
