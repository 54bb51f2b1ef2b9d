//! Session flows on the in-memory store.
#[macro_use]
mod flows;

use sessionward::{MemoryStore, SessionStore};
use std::sync::Arc;

flow_tests!(|| Arc::new(MemoryStore::new()) as Arc<dyn SessionStore>);
