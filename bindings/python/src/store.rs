//! The stores a Python app picks from.

use crate::errors::IntoPy;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyString;
use sessionward::SessionStore;
use std::sync::Arc;
use std::time::Duration;

/// Sessions in this process's memory: for tests. Nothing survives a restart.
#[pyclass(frozen, module = "sessionward._native", name = "MemoryStore")]
pub struct PyMemoryStore {
    pub inner: Arc<sessionward::MemoryStore>,
}

#[pymethods]
impl PyMemoryStore {
    #[new]
    fn new() -> Self {
        Self { inner: Arc::new(sessionward::MemoryStore::new()) }
    }
}

/// The embedded default: a SQLite file (WAL), safe for several processes on one machine.
#[pyclass(frozen, module = "sessionward._native", name = "SqliteStore")]
pub struct PySqliteStore {
    pub inner: Arc<sessionward::SqliteStore>,
    path: String,
}

#[pymethods]
impl PySqliteStore {
    /// Open (or create) the database file at `path`; `":memory:"` for a private in-memory database.
    #[new]
    fn new(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Self> {
        let display = path.display().to_string();
        let store = py.detach(|| {
            if display == ":memory:" {
                sessionward::SqliteStore::open_in_memory()
            } else {
                sessionward::SqliteStore::open(&path)
            }
        });
        Ok(Self { inner: Arc::new(store.py_err()?), path: display })
    }
    /// The file path.
    #[getter]
    fn path(&self) -> &str {
        &self.path
    }
    fn __repr__(&self) -> String {
        format!("SqliteStore({:?})", self.path)
    }
}

/// A timeout given in seconds (Python's unit), as a `Duration`: finite, positive and at most a day; anything
/// else is `InvalidArgumentError` (a `ValueError`), like the core's own option checks.
fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 86_400.0) {
        let message = format!("{name} must be a number of seconds above 0 and at most 86400, got {value}");
        return Err(sessionward::Error::InvalidArgument(message)).py_err();
    }
    Ok(Duration::from_secs_f64(value))
}

/// PostgreSQL, shared by every instance of an application. Creates and migrates its tables on open.
#[pyclass(frozen, module = "sessionward._native", name = "PostgresStore")]
pub struct PyPostgresStore {
    pub inner: Arc<sessionward::PostgresStore>,
    table_prefix: String,
    pool_size: u32,
}

#[pymethods]
impl PyPostgresStore {
    /// Connect to the database at `url` (`postgres://user[:password]@host[:port]/db`) and bring the schema up
    /// to date. Timeouts are in seconds.
    #[new]
    #[pyo3(signature = (url, *, pool_size = 8, connect_timeout = 5.0, statement_timeout = 5.0, table_prefix = "sessionward_"))]
    fn new(
        py: Python<'_>,
        url: String,
        pool_size: u32,
        connect_timeout: f64,
        statement_timeout: f64,
        table_prefix: &str,
    ) -> PyResult<Self> {
        let options = sessionward::PostgresOptions {
            url,
            pool_size,
            connect_timeout: seconds("connect_timeout", connect_timeout)?,
            statement_timeout: seconds("statement_timeout", statement_timeout)?,
            table_prefix: table_prefix.to_owned(),
        };
        let store = py.detach(|| sessionward::PostgresStore::open(options)).py_err()?;
        Ok(Self { inner: Arc::new(store), table_prefix: table_prefix.to_owned(), pool_size })
    }
    /// The SQL that creates and migrates the tables named with `table_prefix`, for teams that run migrations
    /// with their own tooling: run the statements in order (re-running is harmless).
    #[staticmethod]
    #[pyo3(signature = (table_prefix = "sessionward_"))]
    fn migrations_sql(table_prefix: &str) -> PyResult<Vec<String>> {
        sessionward::PostgresStore::migrations_sql(table_prefix).py_err()
    }
    /// The prefix of the table names.
    #[getter]
    fn table_prefix(&self) -> &str {
        &self.table_prefix
    }
    /// The most connections the pool holds.
    #[getter]
    fn pool_size(&self) -> u32 {
        self.pool_size
    }
    fn __repr__(&self) -> String {
        // Not the URL: it may hold a password.
        format!("PostgresStore(table_prefix={:?}, pool_size={})", self.table_prefix, self.pool_size)
    }
}

/// Redis, shared by every instance of an application (a single server or a Sentinel primary; for Cluster see
/// `RedisClusterStore`).
#[pyclass(frozen, module = "sessionward._native", name = "RedisStore")]
pub struct PyRedisStore {
    pub inner: Arc<sessionward::RedisStore>,
    key_prefix: String,
    pool_size: u32,
}

#[pymethods]
impl PyRedisStore {
    /// Connect to the server at `url` (`redis://[user:password@]host[:port][/db]`). `timeout` (seconds)
    /// bounds connecting, every read and write, and the wait for a free pooled connection.
    #[new]
    #[pyo3(signature = (url, *, pool_size = 8, timeout = 5.0, key_prefix = "sw:"))]
    fn new(py: Python<'_>, url: String, pool_size: u32, timeout: f64, key_prefix: &str) -> PyResult<Self> {
        let options = sessionward::RedisOptions {
            url,
            pool_size,
            timeout: seconds("timeout", timeout)?,
            key_prefix: key_prefix.to_owned(),
        };
        let store = py.detach(|| sessionward::RedisStore::open(options)).py_err()?;
        Ok(Self { inner: Arc::new(store), key_prefix: key_prefix.to_owned(), pool_size })
    }
    /// The prefix of every key.
    #[getter]
    fn key_prefix(&self) -> &str {
        &self.key_prefix
    }
    /// The most connections open at once.
    #[getter]
    fn pool_size(&self) -> u32 {
        self.pool_size
    }
    fn __repr__(&self) -> String {
        // Not the URL: it may hold a password.
        format!("RedisStore(key_prefix={:?}, pool_size={})", self.key_prefix, self.pool_size)
    }
}

/// A Redis Cluster, shared by every instance of an application.
#[pyclass(frozen, module = "sessionward._native", name = "RedisClusterStore")]
pub struct PyRedisClusterStore {
    pub inner: Arc<sessionward::RedisClusterStore>,
    key_prefix: String,
    pool_size: u32,
}

#[pymethods]
impl PyRedisClusterStore {
    /// Connect to the cluster through some of its nodes (`redis://[user:password@]host:port`; the others are
    /// found from them). `timeout` (seconds) bounds connecting and every response from each node, and the
    /// wait for a free pooled connection.
    #[new]
    #[pyo3(signature = (nodes, *, pool_size = 8, timeout = 5.0, key_prefix = "sw:"))]
    fn new(py: Python<'_>, nodes: &Bound<'_, PyAny>, pool_size: u32, timeout: f64, key_prefix: &str) -> PyResult<Self> {
        // A str is a sequence too: one URL would otherwise be refused with a cryptic message.
        if nodes.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err("nodes must be a sequence of node URLs, not one str"));
        }
        let mut options = sessionward::RedisClusterOptions::new(nodes.extract::<Vec<String>>()?);
        options.pool_size = pool_size;
        options.timeout = seconds("timeout", timeout)?;
        options.key_prefix = key_prefix.to_owned();
        let store = py.detach(|| sessionward::RedisClusterStore::open(options)).py_err()?;
        Ok(Self { inner: Arc::new(store), key_prefix: key_prefix.to_owned(), pool_size })
    }
    /// The prefix of every key.
    #[getter]
    fn key_prefix(&self) -> &str {
        &self.key_prefix
    }
    /// The most cluster connections open at once.
    #[getter]
    fn pool_size(&self) -> u32 {
        self.pool_size
    }
    fn __repr__(&self) -> String {
        // Not the node URLs: they may hold a password.
        format!("RedisClusterStore(key_prefix={:?}, pool_size={})", self.key_prefix, self.pool_size)
    }
}

/// The core store behind a Python store object.
pub fn extract_store(store: &Bound<'_, PyAny>) -> PyResult<Arc<dyn SessionStore>> {
    if let Ok(s) = store.cast::<PyMemoryStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = store.cast::<PySqliteStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = store.cast::<PyPostgresStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = store.cast::<PyRedisStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = store.cast::<PyRedisClusterStore>() {
        return Ok(s.get().inner.clone());
    }
    Err(PyTypeError::new_err(
        "store must be a sessionward MemoryStore, SqliteStore, PostgresStore, RedisStore or RedisClusterStore",
    ))
}
