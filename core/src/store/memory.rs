//! An in-process store for tests and single-process apps. Nothing survives a restart.

use super::{SessionStore, StoredKeyRing};
use crate::UnixTime;
use crate::error::{Error, Result};
use crate::keyring::StoredKey;
use crate::session::SessionRecord;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Default)]
struct State {
    /// Records by handle.
    sessions: HashMap<String, SessionRecord>,
    /// Handle by refresh lookup.
    by_lookup: HashMap<String, String>,
    keys: Option<StoredKeyRing>,
    /// Insertion counter, to list in creation order.
    order: HashMap<String, u64>,
    next_order: u64,
}

/// A store held in memory behind one mutex; every operation is atomic.
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-written record (each write is one insert), so a
        // poisoned lock is safe to keep using.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    fn remove(&mut self, handle: &str) -> Option<SessionRecord> {
        let record = self.sessions.remove(handle)?;
        self.by_lookup.remove(&record.refresh_lookup);
        self.order.remove(handle);
        Some(record)
    }
}

impl SessionStore for MemoryStore {
    fn insert(&self, record: &SessionRecord) -> Result<()> {
        let mut state = self.lock();
        if state.sessions.contains_key(&record.handle) || state.by_lookup.contains_key(&record.refresh_lookup) {
            return Err(Error::InvalidArgument("a session with this handle or refresh chain already exists".into()));
        }
        state.by_lookup.insert(record.refresh_lookup.clone(), record.handle.clone());
        let order = state.next_order;
        state.next_order += 1;
        state.order.insert(record.handle.clone(), order);
        state.sessions.insert(record.handle.clone(), record.clone());
        Ok(())
    }

    fn get(&self, handle: &str) -> Result<Option<SessionRecord>> {
        Ok(self.lock().sessions.get(handle).cloned())
    }

    fn get_by_refresh_lookup(&self, lookup: &str) -> Result<Option<SessionRecord>> {
        let state = self.lock();
        Ok(state.by_lookup.get(lookup).and_then(|h| state.sessions.get(h)).cloned())
    }

    fn replace(&self, expected_version: u64, record: &SessionRecord) -> Result<bool> {
        let mut state = self.lock();
        match state.sessions.get_mut(&record.handle) {
            Some(stored) if stored.version == expected_version && stored.refresh_lookup == record.refresh_lookup => {
                *stored = record.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn delete(&self, handle: &str, expected_version: Option<u64>) -> Result<bool> {
        let mut state = self.lock();
        let matches = state.sessions.get(handle).is_some_and(|r| expected_version.is_none_or(|v| r.version == v));
        Ok(matches && state.remove(handle).is_some())
    }

    fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let state = self.lock();
        let mut records: Vec<_> = state.sessions.values().filter(|r| r.user_id == user_id).cloned().collect();
        records.sort_by_key(|r| state.order.get(&r.handle).copied());
        Ok(records)
    }

    fn delete_for_user(&self, user_id: &str, keep: Option<&str>) -> Result<u64> {
        let mut state = self.lock();
        let doomed: Vec<String> = state
            .sessions
            .values()
            .filter(|r| r.user_id == user_id && Some(r.handle.as_str()) != keep)
            .map(|r| r.handle.clone())
            .collect();
        for handle in &doomed {
            state.remove(handle);
        }
        Ok(doomed.len() as u64)
    }

    fn purge_expired(&self, now: UnixTime) -> Result<u64> {
        let mut state = self.lock();
        let doomed: Vec<String> =
            state.sessions.values().filter(|r| r.is_expired(now)).map(|r| r.handle.clone()).collect();
        for handle in &doomed {
            state.remove(handle);
        }
        Ok(doomed.len() as u64)
    }

    fn load_keys(&self) -> Result<Option<StoredKeyRing>> {
        Ok(self.lock().keys.clone())
    }

    fn save_keys(&self, expected_version: Option<u64>, keys: &[StoredKey]) -> Result<bool> {
        let mut state = self.lock();
        let current = state.keys.as_ref().map(|k| k.version);
        if current != expected_version {
            return Ok(false);
        }
        state.keys = Some(StoredKeyRing { version: expected_version.map_or(1, |v| v + 1), keys: keys.to_vec() });
        Ok(true)
    }
}
