//! The stores a Python app picks from.

use crate::errors::IntoPy;
use pyo3::prelude::*;
use sessionward::SessionStore;
use std::sync::Arc;

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

/// The core store behind a Python store object.
pub fn extract_store(store: &Bound<'_, PyAny>) -> PyResult<Arc<dyn SessionStore>> {
    if let Ok(s) = store.cast::<PyMemoryStore>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(s) = store.cast::<PySqliteStore>() {
        return Ok(s.get().inner.clone());
    }
    Err(pyo3::exceptions::PyTypeError::new_err("store must be a sessionward MemoryStore or SqliteStore"))
}
