//! The embedded default store: one SQLite file, shared safely by several processes on one machine.
//!
//! Every trait method is a single SQL statement, so each is atomic without an explicit transaction; the
//! compare-and-swap operations put the expected version in the `WHERE` clause and count the changed rows.

use super::key_json::{decode_keys, encode_keys};
use super::{SessionStore, StoredKeyRing};
use crate::UnixTime;
use crate::error::{Error, Result};
use crate::keyring::StoredKey;
use crate::session::{SessionMetadata, SessionRecord};
use rusqlite::types::Type;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior, params};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long a statement waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Schema migrations, applied in order; `PRAGMA user_version` is the number already applied.
///
/// Never edit a released entry: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: sessions and the shared key ring.
    "CREATE TABLE sessionward_sessions (
        handle TEXT NOT NULL PRIMARY KEY,
        seq INTEGER NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        refresh_lookup TEXT NOT NULL UNIQUE,
        current_hash BLOB NOT NULL,
        previous_hash BLOB,
        rotation_nonce BLOB NOT NULL,
        generation INTEGER NOT NULL,
        version INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        refreshed_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL,
        absolute_expires_at INTEGER NOT NULL,
        access_claims TEXT NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL
    ) STRICT;
    CREATE INDEX sessionward_sessions_user ON sessionward_sessions (user_id, seq);
    CREATE INDEX sessionward_sessions_expiry ON sessionward_sessions (min(idle_expires_at, absolute_expires_at));
    CREATE TABLE sessionward_keys (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        keys TEXT NOT NULL
    ) STRICT;",
];

/// A `SELECT` of every record column (in the order [`read_record`] expects), followed by `$tail`.
macro_rules! select_records {
    ($tail:literal) => {
        concat!(
            "SELECT handle, user_id, refresh_lookup, current_hash, previous_hash, rotation_nonce, generation, \
             version, created_at, refreshed_at, idle_expires_at, absolute_expires_at, access_claims, data, \
             metadata FROM sessionward_sessions ",
            $tail
        )
    };
}

const INSERT: &str = "INSERT INTO sessionward_sessions (handle, user_id, refresh_lookup, current_hash, \
    previous_hash, rotation_nonce, generation, version, created_at, refreshed_at, idle_expires_at, \
    absolute_expires_at, access_claims, data, metadata, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
    ?11, ?12, ?13, ?14, ?15, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sessionward_sessions))";

const REPLACE: &str = "UPDATE sessionward_sessions SET user_id = ?4, current_hash = ?5, previous_hash = ?6, \
    rotation_nonce = ?7, generation = ?8, version = ?9, created_at = ?10, refreshed_at = ?11, \
    idle_expires_at = ?12, absolute_expires_at = ?13, access_claims = ?14, data = ?15, metadata = ?16 \
    WHERE handle = ?1 AND version = ?2 AND refresh_lookup = ?3";

/// A session store in one SQLite file.
///
/// - The database runs in WAL mode: readers never block the writer, and several processes on one machine (or
///   several `SqliteStore` objects) may share the file; a writer waits up to 5 seconds for another's lock
///   instead of failing. Do not put the file on a network file system (WAL needs shared memory between the
///   processes). `synchronous=NORMAL`: a power loss may undo the last commits but never corrupts the file.
/// - The crate creates the schema on first open and migrates it on later versions (tracked by
///   `PRAGMA user_version`, applied in one transaction, so concurrent first opens are safe).
/// - Each store object holds one connection behind a mutex; every operation is one atomic statement.
///
/// The file holds refresh-token hashes (not tokens) and, if the key ring is shared through the store, private
/// signing keys: give it the permissions of a secret.
pub struct SqliteStore {
    conn: Mutex<Opened>,
    path: Option<PathBuf>,
}

/// A connection and the process that opened it.
struct Opened {
    conn: Connection,
    pid: u32,
}

impl std::ops::Deref for Opened {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Open (creating if needed) the database file at `path` and bring its schema up to date.
    ///
    /// Fails with [`Error::StoreUnavailable`] if the file cannot be opened or created, is not a SQLite
    /// database, or has a schema newer than this version of sessionward knows.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let conn = Self::connect(path)?;
        Ok(Self { conn: Mutex::new(Opened { conn, pid: std::process::id() }), path: Some(path.to_owned()) })
    }

    fn connect(path: &Path) -> Result<Connection> {
        let conn = Connection::open(path)
            .map_err(|e| Error::store(&format!("opening SQLite database {}", path.display()), e))?;
        Self::setup(conn)
    }

    /// A private database in memory, gone when the store is dropped (for tests).
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(|e| Error::store("opening in-memory SQLite database", e))?;
        let conn = Self::setup(conn)?;
        Ok(Self { conn: Mutex::new(Opened { conn, pid: std::process::id() }), path: None })
    }

    fn setup(mut conn: Connection) -> Result<Connection> {
        let fail = |e| Error::store("configuring SQLite database", e);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // Answers the mode now in force: "memory" for in-memory databases, where WAL does not apply.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(fail)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", true).map_err(fail)?;
        conn.set_prepared_statement_cache_capacity(32);
        migrate(&mut conn)?;
        Ok(conn)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Opened>> {
        // Every write is one autocommit statement, so a panic while holding the lock cannot leave a transaction
        // open or a record half-written: a poisoned lock is safe to keep using.
        let mut opened = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        // A connection must not cross fork() (pre-fork servers such as gunicorn): a forked child opens its own.
        // The inherited one is leaked, not closed, since closing it could release the parent's file locks.
        if opened.pid != std::process::id()
            && let Some(path) = &self.path
        {
            let fresh = Opened { conn: Self::connect(path)?, pid: std::process::id() };
            std::mem::forget(std::mem::replace(&mut *opened, fresh));
        }
        Ok(opened)
    }
}

/// Apply the migrations not yet applied, inside one `BEGIN IMMEDIATE` transaction.
fn migrate(conn: &mut Connection) -> Result<()> {
    let fail = |e| Error::store("migrating the SQLite schema", e);
    let latest = MIGRATIONS.len();
    let applied = schema_version(conn).map_err(fail)?;
    if applied == latest {
        return Ok(());
    }
    // Take the write lock, then look again: another process may have migrated while we waited.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fail)?;
    let applied = schema_version(&tx).map_err(fail)?;
    if applied > latest {
        return Err(Error::StoreUnavailable(format!(
            "the SQLite database has schema version {applied}, newer than the {latest} this version of \
             sessionward knows: upgrade sessionward"
        )));
    }
    for migration in &MIGRATIONS[applied..] {
        tx.execute_batch(migration).map_err(fail)?;
    }
    tx.pragma_update(None, "user_version", latest as i64).map_err(fail)?;
    tx.commit().map_err(fail)
}

fn schema_version(conn: &Connection) -> rusqlite::Result<usize> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    // A negative user_version is not ours: treat it as "newer than known" so nothing is touched.
    Ok(usize::try_from(version).unwrap_or(usize::MAX))
}

/// A `u64` as SQLite stores it.
fn to_i64(value: u64, what: &str) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::StoreUnavailable(format!("{what} {value} is larger than SQLite can store")))
}

/// Whether an insert failed because the handle or refresh lookup is already taken.
fn is_duplicate(err: &rusqlite::Error) -> bool {
    err.sqlite_error().is_some_and(|e| {
        e.code == ErrorCode::ConstraintViolation
            && matches!(
                e.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            )
    })
}

/// A record's columns in SQL form, computed before taking the lock.
struct Encoded {
    generation: i64,
    version: i64,
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
            access_claims: serde_json::to_string(&record.access_claims).map_err(json)?,
            data: serde_json::to_string(&record.data).map_err(json)?,
            metadata: serde_json::to_string(&record.metadata).map_err(json)?,
        })
    }
}

/// A `u64` column (stored as `i64`); a negative value is corruption.
fn unsigned(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(idx)?;
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, value))
}

/// Read a record from a row of [`select_records!`].
fn read_record(row: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    fn json<T: serde::de::DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
        let text: String = row.get(idx)?;
        serde_json::from_str(&text).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
    }
    Ok(SessionRecord {
        handle: row.get(0)?,
        user_id: row.get(1)?,
        refresh_lookup: row.get(2)?,
        current_hash: row.get(3)?,
        previous_hash: row.get(4)?,
        rotation_nonce: row.get(5)?,
        generation: unsigned(row, 6)?,
        version: unsigned(row, 7)?,
        created_at: row.get(8)?,
        refreshed_at: row.get(9)?,
        idle_expires_at: row.get(10)?,
        absolute_expires_at: row.get(11)?,
        access_claims: json::<Map<String, Value>>(row, 12)?,
        data: json::<Value>(row, 13)?,
        metadata: json::<SessionMetadata>(row, 14)?,
    })
}

impl SessionStore for SqliteStore {
    fn insert(&self, record: &SessionRecord) -> Result<()> {
        let fail = |e| Error::store("inserting a session", e);
        let enc = Encoded::new(record)?;
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(INSERT).map_err(fail)?;
        let result = stmt.execute(params![
            record.handle,
            record.user_id,
            record.refresh_lookup,
            record.current_hash,
            record.previous_hash,
            record.rotation_nonce,
            enc.generation,
            enc.version,
            record.created_at,
            record.refreshed_at,
            record.idle_expires_at,
            record.absolute_expires_at,
            enc.access_claims,
            enc.data,
            enc.metadata,
        ]);
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_duplicate(&e) => {
                Err(Error::InvalidArgument("a session with this handle or refresh chain already exists".into()))
            }
            Err(e) => Err(fail(e)),
        }
    }

    fn get(&self, handle: &str) -> Result<Option<SessionRecord>> {
        let fail = |e| Error::store("reading a session", e);
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(select_records!("WHERE handle = ?1")).map_err(fail)?;
        stmt.query_row([handle], read_record).optional().map_err(fail)
    }

    fn get_by_refresh_lookup(&self, lookup: &str) -> Result<Option<SessionRecord>> {
        let fail = |e| Error::store("reading a session", e);
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(select_records!("WHERE refresh_lookup = ?1")).map_err(fail)?;
        stmt.query_row([lookup], read_record).optional().map_err(fail)
    }

    fn replace(&self, expected_version: u64, record: &SessionRecord) -> Result<bool> {
        let fail = |e| Error::store("replacing a session", e);
        // No stored version exceeds i64::MAX, so such an expectation cannot match.
        let Ok(expected) = i64::try_from(expected_version) else { return Ok(false) };
        let enc = Encoded::new(record)?;
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(REPLACE).map_err(fail)?;
        let changed = stmt
            .execute(params![
                record.handle,
                expected,
                record.refresh_lookup,
                record.user_id,
                record.current_hash,
                record.previous_hash,
                record.rotation_nonce,
                enc.generation,
                enc.version,
                record.created_at,
                record.refreshed_at,
                record.idle_expires_at,
                record.absolute_expires_at,
                enc.access_claims,
                enc.data,
                enc.metadata,
            ])
            .map_err(fail)?;
        Ok(changed == 1)
    }

    fn delete(&self, handle: &str, expected_version: Option<u64>) -> Result<bool> {
        let fail = |e| Error::store("deleting a session", e);
        let conn = self.lock()?;
        let changed = match expected_version {
            None => conn
                .prepare_cached("DELETE FROM sessionward_sessions WHERE handle = ?1")
                .and_then(|mut stmt| stmt.execute([handle]))
                .map_err(fail)?,
            Some(version) => {
                let Ok(version) = i64::try_from(version) else { return Ok(false) };
                conn.prepare_cached("DELETE FROM sessionward_sessions WHERE handle = ?1 AND version = ?2")
                    .and_then(|mut stmt| stmt.execute(params![handle, version]))
                    .map_err(fail)?
            }
        };
        Ok(changed == 1)
    }

    fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let fail = |e| Error::store("listing sessions", e);
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(select_records!("WHERE user_id = ?1 ORDER BY seq")).map_err(fail)?;
        let rows = stmt.query_map([user_id], read_record).map_err(fail)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(fail)
    }

    fn delete_for_user(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        let conn = self.lock()?;
        // `handle IS NOT NULL` holds for every row, so `keep = None` deletes them all.
        let changed = conn
            .prepare_cached("DELETE FROM sessionward_sessions WHERE user_id = ?1 AND handle IS NOT ?2")
            .and_then(|mut stmt| stmt.execute(params![user_id, keep]))
            .map_err(|e| Error::store("deleting a user's sessions", e))?;
        Ok(changed as u64)
    }

    fn purge_expired(&self, now: UnixTime) -> Result<u64> {
        let conn = self.lock()?;
        // Same expression as the expiry index, so the index serves the scan.
        let changed = conn
            .prepare_cached("DELETE FROM sessionward_sessions WHERE min(idle_expires_at, absolute_expires_at) <= ?1")
            .and_then(|mut stmt| stmt.execute([now]))
            .map_err(|e| Error::store("purging expired sessions", e))?;
        Ok(changed as u64)
    }

    fn load_keys(&self) -> Result<Option<StoredKeyRing>> {
        let row: Option<(u64, String)> = {
            let conn = self.lock()?;
            conn.prepare_cached("SELECT version, keys FROM sessionward_keys WHERE id = 1")
                .and_then(|mut stmt| stmt.query_row([], |row| Ok((unsigned(row, 0)?, row.get(1)?))).optional())
                .map_err(|e| Error::store("reading the key ring", e))?
        };
        row.map(|(version, keys)| Ok(StoredKeyRing { version, keys: decode_keys(&keys)? })).transpose()
    }

    fn save_keys(&self, expected_version: Option<u64>, keys: &[StoredKey]) -> Result<bool> {
        let fail = |e| Error::store("saving the key ring", e);
        let (expected, next) = match expected_version {
            None => (None, 1),
            Some(v) => match (i64::try_from(v), v.checked_add(1)) {
                (Ok(expected), Some(next)) => (Some(expected), to_i64(next, "key ring version")?),
                // No stored version exceeds i64::MAX, so such an expectation cannot match.
                (Err(_), _) | (_, None) => return Ok(false),
            },
        };
        let text = encode_keys(keys)?;
        let conn = self.lock()?;
        let changed = match expected {
            None => conn
                .prepare_cached(
                    "INSERT INTO sessionward_keys (id, version, keys) VALUES (1, ?1, ?2) ON CONFLICT (id) DO NOTHING",
                )
                .and_then(|mut stmt| stmt.execute(params![next, text])),
            Some(expected) => conn
                .prepare_cached("UPDATE sessionward_keys SET version = ?2, keys = ?3 WHERE id = 1 AND version = ?1")
                .and_then(|mut stmt| stmt.execute(params![expected, next, text])),
        }
        .map_err(fail)?;
        Ok(changed == 1)
    }
}
