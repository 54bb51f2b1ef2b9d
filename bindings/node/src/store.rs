//! The stores an application picks from.

use crate::convert::{self, Options};
use crate::errors::{IntoJs, range_error, type_error};
use napi::bindgen_prelude::{ClassInstance, FromNapiValue, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use sessionward::SessionStore;
use std::sync::Arc;

/// Sessions in this process's memory: for tests. Nothing survives a restart.
#[napi]
pub struct MemoryStore {
    inner: Arc<sessionward::MemoryStore>,
}

#[napi]
impl MemoryStore {
    /// An empty store.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self { inner: Arc::new(sessionward::MemoryStore::new()) }
    }
}

/// The embedded default: a SQLite file (WAL), safe for several processes on one machine.
#[napi]
pub struct SqliteStore {
    inner: Arc<sessionward::SqliteStore>,
    path: String,
}

#[napi]
impl SqliteStore {
    /// Open (or create) the database file at `path`; `":memory:"` for a private in-memory database.
    #[napi(constructor, ts_args_type = "path: string")]
    pub fn new(env: Env, path: Unknown<'_>) -> Result<Self> {
        let path = convert::string(&env, path, "path")?;
        let store = if path == ":memory:" {
            sessionward::SqliteStore::open_in_memory()
        } else {
            sessionward::SqliteStore::open(&path)
        };
        Ok(Self { inner: Arc::new(store.js(&env)?), path })
    }

    /// The file path.
    #[napi(getter)]
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Options of a `PostgresStore`. Timeouts are in seconds, as in the Python package.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct PostgresStoreOptions {
    /// Most pooled connections (default 8).
    pub pool_size: Option<u32>,
    /// Seconds to wait for a connection, new or pooled (default 5).
    pub connect_timeout: Option<f64>,
    /// Seconds any statement may run (default 5).
    pub statement_timeout: Option<f64>,
    /// Prefix of the table names: lowercase letters, digits and `_`, at most 32 (default `sessionward_`).
    pub table_prefix: Option<String>,
}

fn pool_size(env: &Env, options: &Options<'_>) -> Result<u32> {
    match options.get("poolSize")? {
        Some(v) => Ok(convert::integer(env, v, "poolSize", 1, 1024)? as u32),
        None => Ok(8),
    }
}

/// PostgreSQL, shared by every instance of an application. Creates and migrates its tables on open.
///
/// Throws `store_unavailable` if the database cannot be reached within `connectTimeout` (or refuses the
/// login), and `invalid_argument` for a bad URL or prefix. Connections do not use TLS.
#[napi]
pub struct PostgresStore {
    inner: Arc<sessionward::PostgresStore>,
    table_prefix: String,
    pool_size: u32,
}

#[napi]
impl PostgresStore {
    /// Connect to `postgres://user[:password]@host[:port]/db` and bring the schema up to date. This blocks
    /// until connected: create stores at start-up.
    #[napi(constructor, ts_args_type = "url: string, options?: PostgresStoreOptions")]
    pub fn new(env: Env, url: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Self> {
        let url = convert::string(&env, url, "url")?;
        let options = Options::new(&env, options, "options")?;
        let mut core = sessionward::PostgresOptions::new(url);
        core.pool_size = pool_size(&env, &options)?;
        if let Some(v) = options.get("connectTimeout")? {
            core.connect_timeout = convert::timeout(&env, v, "connectTimeout")?;
        }
        if let Some(v) = options.get("statementTimeout")? {
            core.statement_timeout = convert::timeout(&env, v, "statementTimeout")?;
        }
        if let Some(v) = options.get("tablePrefix")? {
            core.table_prefix = convert::string(&env, v, "tablePrefix")?;
        }
        let (table_prefix, pool_size) = (core.table_prefix.clone(), core.pool_size);
        let store = sessionward::PostgresStore::open(core).js(&env)?;
        Ok(Self { inner: Arc::new(store), table_prefix, pool_size })
    }

    /// The SQL that creates and migrates the tables, for teams that run migrations with their own tooling:
    /// run the statements in order (re-running is harmless).
    #[napi(ts_args_type = "tablePrefix?: string")]
    pub fn migrations_sql(env: Env, table_prefix: Option<Unknown<'_>>) -> Result<Vec<String>> {
        let prefix = convert::opt_string(&env, table_prefix, "tablePrefix")?.unwrap_or_else(|| "sessionward_".into());
        sessionward::PostgresStore::migrations_sql(&prefix).js(&env)
    }

    /// The prefix of the table names.
    #[napi(getter)]
    pub fn table_prefix(&self) -> &str {
        &self.table_prefix
    }

    /// The most connections the pool holds.
    #[napi(getter)]
    pub fn pool_size(&self) -> u32 {
        self.pool_size
    }
}

/// Options of a `RedisStore` or `RedisClusterStore`. The timeout is in seconds, as in the Python package.
#[napi(object, object_to_js = false)]
#[allow(dead_code)] // Declares the TypeScript type only: the values are read and checked field by field.
pub struct RedisStoreOptions {
    /// Most connections open at once (default 8).
    pub pool_size: Option<u32>,
    /// Seconds for connecting, each read and write, and waiting for a free connection (default 5).
    pub timeout: Option<f64>,
    /// The prefix of every key (default `sw:`).
    pub key_prefix: Option<String>,
}

/// What both Redis stores read from their options object, over the core's defaults.
struct RedisSettings {
    pool_size: u32,
    timeout: std::time::Duration,
    key_prefix: String,
}

impl RedisSettings {
    fn read(env: &Env, options: Option<Unknown<'_>>, timeout: std::time::Duration, key_prefix: &str) -> Result<Self> {
        let options = Options::new(env, options, "options")?;
        Ok(Self {
            pool_size: pool_size(env, &options)?,
            timeout: options
                .get("timeout")?
                .map(|v| convert::timeout(env, v, "timeout"))
                .transpose()?
                .unwrap_or(timeout),
            key_prefix: match options.get("keyPrefix")? {
                Some(v) => convert::string(env, v, "keyPrefix")?,
                None => key_prefix.to_owned(),
            },
        })
    }
}

/// Redis, shared by every instance of an application (a single server or a Sentinel primary; for Redis
/// Cluster, `RedisClusterStore`).
///
/// Throws `store_unavailable` if the URL is invalid or the server cannot be reached within `timeout`.
#[napi]
pub struct RedisStore {
    inner: Arc<sessionward::RedisStore>,
    key_prefix: String,
    pool_size: u32,
}

#[napi]
impl RedisStore {
    /// Connect to `redis://[user:password@]host[:port][/db]`. This blocks until connected: create stores at
    /// start-up.
    #[napi(constructor, ts_args_type = "url: string, options?: RedisStoreOptions")]
    pub fn new(env: Env, url: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Self> {
        let url = convert::string(&env, url, "url")?;
        let mut core = sessionward::RedisOptions::new(url);
        let settings = RedisSettings::read(&env, options, core.timeout, &core.key_prefix)?;
        (core.pool_size, core.timeout, core.key_prefix) = (settings.pool_size, settings.timeout, settings.key_prefix);
        let (key_prefix, pool_size) = (core.key_prefix.clone(), core.pool_size);
        let store = sessionward::RedisStore::open(core).js(&env)?;
        Ok(Self { inner: Arc::new(store), key_prefix, pool_size })
    }

    /// The prefix of every key.
    #[napi(getter)]
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// The most connections open at once.
    #[napi(getter)]
    pub fn pool_size(&self) -> u32 {
        self.pool_size
    }
}

/// Redis Cluster, shared by every instance of an application. Rotation stays one atomic step; sign-in and
/// sign-out write several slots in a safe order (see docs/stores.md).
///
/// Throws `store_unavailable` if no seed node can be reached within `timeout`.
#[napi]
pub struct RedisClusterStore {
    inner: Arc<sessionward::RedisClusterStore>,
    key_prefix: String,
    pool_size: u32,
}

#[napi]
impl RedisClusterStore {
    /// Connect to a cluster through some of its nodes (`redis://[user:password@]host:port`); the rest are
    /// found from them. This blocks until connected: create stores at start-up.
    #[napi(constructor, ts_args_type = "nodes: string[], options?: RedisStoreOptions")]
    pub fn new(env: Env, nodes: Unknown<'_>, options: Option<Unknown<'_>>) -> Result<Self> {
        let nodes = convert::string_list(&env, nodes, "nodes")?;
        if nodes.is_empty() {
            return Err(range_error(&env, "nodes must name at least one cluster node".into()));
        }
        let mut core = sessionward::RedisClusterOptions::new(nodes);
        let settings = RedisSettings::read(&env, options, core.timeout, &core.key_prefix)?;
        (core.pool_size, core.timeout, core.key_prefix) = (settings.pool_size, settings.timeout, settings.key_prefix);
        let (key_prefix, pool_size) = (core.key_prefix.clone(), core.pool_size);
        let store = sessionward::RedisClusterStore::open(core).js(&env)?;
        Ok(Self { inner: Arc::new(store), key_prefix, pool_size })
    }

    /// The prefix of every key.
    #[napi(getter)]
    pub fn key_prefix(&self) -> &str {
        &self.key_prefix
    }

    /// The most cluster connections open at once.
    #[napi(getter)]
    pub fn pool_size(&self) -> u32 {
        self.pool_size
    }
}

/// The core store behind a JavaScript store object.
pub fn extract(env: &Env, store: Unknown<'_>) -> Result<Arc<dyn SessionStore>> {
    use napi::bindgen_prelude::JavaScriptClassExt;
    if MemoryStore::instance_of(env, &store)? {
        return Ok(<ClassInstance<MemoryStore> as FromNapiValue>::from_unknown(store)?.inner.clone());
    }
    if SqliteStore::instance_of(env, &store)? {
        return Ok(<ClassInstance<SqliteStore> as FromNapiValue>::from_unknown(store)?.inner.clone());
    }
    if PostgresStore::instance_of(env, &store)? {
        return Ok(<ClassInstance<PostgresStore> as FromNapiValue>::from_unknown(store)?.inner.clone());
    }
    if RedisStore::instance_of(env, &store)? {
        return Ok(<ClassInstance<RedisStore> as FromNapiValue>::from_unknown(store)?.inner.clone());
    }
    if RedisClusterStore::instance_of(env, &store)? {
        return Ok(<ClassInstance<RedisClusterStore> as FromNapiValue>::from_unknown(store)?.inner.clone());
    }
    Err(type_error(
        env,
        "store must be a MemoryStore, SqliteStore, PostgresStore, RedisStore or RedisClusterStore".into(),
    ))
}
