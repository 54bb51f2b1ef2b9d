//! Session flows on the SQLite store (a real file per test).
#[macro_use]
mod flows;

use sessionward::{SessionStore, SqliteStore};
use std::sync::Arc;

fn fresh_store() -> Arc<dyn SessionStore> {
    // A real file per test; the directory is left for the OS to clean so it outlives the store.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("sessions.db")).expect("open");
    std::mem::forget(dir);
    Arc::new(store)
}

flow_tests!(fresh_store);
