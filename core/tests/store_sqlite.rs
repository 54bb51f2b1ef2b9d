//! The store conformance suite against `SqliteStore` (a fresh file per store), plus what only a file-backed
//! store can show: persistence, several store objects (as several processes) on one file, migrations.
#[macro_use]
mod conformance;

use conformance::{NOW, record, rich_record, sample_keys};
use sessionward::{SessionStore, SqliteStore, StoredKeyRing};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// A factory of stores, each on a new file in one temporary directory that lives as long as the factory.
fn temp_files() -> impl Fn() -> SqliteStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let count = AtomicUsize::new(0);
    move || {
        let path = dir.path().join(format!("store-{}.db", count.fetch_add(1, Ordering::Relaxed)));
        SqliteStore::open(path).expect("open")
    }
}

conformance_tests!(temp_files());

/// The whole suite on in-memory databases.
#[test]
fn suite_in_memory() {
    conformance::run_all(|| SqliteStore::open_in_memory().expect("open in memory"));
}

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sessions.db");
    (dir, path)
}

/// A raw connection, to look at the file the way another tool would.
fn raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("raw open");
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn
}

fn user_version(path: &Path) -> i64 {
    raw(path).pragma_query_value(None, "user_version", |row| row.get(0)).unwrap()
}

fn schema(path: &Path) -> Vec<(String, String)> {
    let conn = raw(path);
    let mut stmt = conn.prepare("SELECT name, COALESCE(sql, '') FROM sqlite_master ORDER BY name").unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn data_survives_reopening_the_file() {
    let (_dir, path) = temp_db();
    let a = rich_record("a", "u1", NOW);
    let b = record("b", "u1", NOW);
    let c = record("c", "u2", NOW);
    let b2 = conformance::rotated(&b, NOW + 60);
    {
        let store = SqliteStore::open(&path).unwrap();
        for r in [&a, &b, &c] {
            store.insert(r).unwrap();
        }
        assert!(store.replace(b.version, &b2).unwrap());
        assert!(store.delete("c", None).unwrap());
        assert!(store.save_keys(None, &sample_keys("k")).unwrap());
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.list_for_user("u1").unwrap(), vec![a.clone(), b2.clone()]);
    conformance::assert_stored(&store, &a);
    conformance::assert_stored(&store, &b2);
    conformance::assert_absent(&store, "c", &c.refresh_lookup);
    assert_eq!(store.load_keys().unwrap(), Some(StoredKeyRing { version: 1, keys: sample_keys("k") }));
    // Creation order carries on across opens.
    store.insert(&record("d", "u1", NOW)).unwrap();
    assert_eq!(conformance::handles(&store.list_for_user("u1").unwrap()), ["a", "b", "d"]);
}

#[test]
fn file_is_in_wal_mode() {
    let (_dir, path) = temp_db();
    let _store = SqliteStore::open(&path).unwrap();
    let mode: String = raw(&path).query_row("PRAGMA journal_mode", [], |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn two_store_objects_on_one_file_see_each_others_writes() {
    let (_dir, path) = temp_db();
    let one = SqliteStore::open(&path).unwrap();
    let two = SqliteStore::open(&path).unwrap();

    let a = rich_record("a", "u1", NOW);
    one.insert(&a).unwrap();
    conformance::assert_stored(&two, &a);
    // A duplicate is refused across objects too.
    conformance::assert_invalid_argument(two.insert(&a));

    let a2 = conformance::rotated(&a, NOW + 1);
    assert!(two.replace(a.version, &a2).unwrap());
    conformance::assert_stored(&one, &a2);
    assert!(!one.replace(a.version, &conformance::rotated(&a, NOW + 2)).unwrap());
    conformance::assert_stored(&two, &a2);

    assert!(two.save_keys(None, &sample_keys("x")).unwrap());
    assert!(!one.save_keys(None, &sample_keys("y")).unwrap());
    assert_eq!(one.load_keys().unwrap(), Some(StoredKeyRing { version: 1, keys: sample_keys("x") }));
    assert!(one.save_keys(Some(1), &sample_keys("y")).unwrap());
    assert_eq!(two.load_keys().unwrap(), Some(StoredKeyRing { version: 2, keys: sample_keys("y") }));

    two.insert(&record("b", "u1", NOW)).unwrap();
    assert_eq!(conformance::handles(&one.list_for_user("u1").unwrap()), ["a", "b"]);
    assert_eq!(one.delete_for_user("u1", Some("b")).unwrap(), 1);
    conformance::assert_absent(&two, "a", &a.refresh_lookup);
    assert_eq!(two.purge_expired(NOW + 1_000_000_000).unwrap(), 1);
    assert_eq!(one.list_for_user("u1").unwrap(), vec![]);
    assert!(!one.delete("b", None).unwrap());
}

#[test]
fn compare_and_swap_across_two_store_objects_has_one_winner() {
    let (_dir, path) = temp_db();
    let stores = [Arc::new(SqliteStore::open(&path).unwrap()), Arc::new(SqliteStore::open(&path).unwrap())];
    conformance::replace_race(&stores, 8, 20);
    conformance::insert_race(&stores, 8);
    conformance::keys_race(&stores, 8);
}

#[test]
fn compare_and_swap_with_one_store_object_per_thread_has_one_winner() {
    let (_dir, path) = temp_db();
    let stores: Vec<_> = (0..8).map(|_| Arc::new(SqliteStore::open(&path).unwrap())).collect();
    conformance::replace_race(&stores, 8, 20);
    conformance::insert_race(&stores, 8);
    conformance::keys_race(&stores, 8);
}

#[test]
fn concurrent_first_opens_of_a_new_file_all_succeed_and_migrate_once() {
    let (_dir, path) = temp_db();
    let barrier = Barrier::new(8);
    let stores: Vec<SqliteStore> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    SqliteStore::open(&path).expect("concurrent open")
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(user_version(&path), 1);
    for (i, store) in stores.iter().enumerate() {
        store.insert(&record(&format!("h{i}"), "u1", NOW)).unwrap();
    }
    for store in &stores {
        assert_eq!(store.list_for_user("u1").unwrap().len(), 8);
    }
}

#[test]
fn reopening_a_current_file_keeps_data_and_does_not_migrate() {
    let (_dir, path) = temp_db();
    let a = rich_record("a", "u1", NOW);
    {
        let store = SqliteStore::open(&path).unwrap();
        store.insert(&a).unwrap();
        assert!(store.save_keys(None, &sample_keys("k")).unwrap());
    }
    let version = user_version(&path);
    let before = schema(&path);
    assert_eq!(version, 1);
    assert!(before.iter().any(|(name, _)| name == "sessionward_sessions"));
    assert!(before.iter().any(|(name, _)| name == "sessionward_keys"));

    // Another process holds the write lock: an open that tried to migrate would have to wait for it (and
    // time out after 5 s); an up-to-date file opens at once.
    let writer = raw(&path);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = Instant::now();
    let store = SqliteStore::open(&path).unwrap();
    assert!(started.elapsed() < Duration::from_secs(2), "open waited {:?} for the write lock", started.elapsed());
    conformance::assert_stored(&store, &a);
    writer.execute_batch("ROLLBACK").unwrap();

    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), version);
    assert_eq!(schema(&path), before);
    conformance::assert_stored(&store, &a);
    assert_eq!(store.load_keys().unwrap(), Some(StoredKeyRing { version: 1, keys: sample_keys("k") }));
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let (_dir, path) = temp_db();
    {
        let store = SqliteStore::open(&path).unwrap();
        store.insert(&record("a", "u1", NOW)).unwrap();
    }
    raw(&path).pragma_update(None, "user_version", 99).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(err.to_string().contains("99"), "{err}");
    assert_eq!(user_version(&path), 99);
    let count: i64 = raw(&path).query_row("SELECT COUNT(*) FROM sessionward_sessions", [], |row| row.get(0)).unwrap();
    assert_eq!(count, 1);
}

#[test]
fn open_in_a_missing_directory_is_store_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(dir.path().join("no/such/dir/sessions.db")).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
}

#[test]
fn open_on_a_file_that_is_not_a_database_is_store_unavailable() {
    let (_dir, path) = temp_db();
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    // And the file was not overwritten.
    assert_eq!(std::fs::read(&path).unwrap(), vec![0x5a; 8192]);
}

#[test]
fn in_memory_stores_are_independent() {
    let one = SqliteStore::open_in_memory().unwrap();
    let two = SqliteStore::open_in_memory().unwrap();
    one.insert(&record("a", "u1", NOW)).unwrap();
    assert_eq!(two.get("a").unwrap(), None);
    two.insert(&record("a", "u1", NOW)).unwrap();
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SqliteStore>();
}

/// Session data is JSON text in the file; serde_json's default float parser can be one ulp off, so this needs
/// `serde_json = { features = ["float_roundtrip"] }` in the workspace dependencies.
#[test]
fn floats_round_trip_exactly() {
    conformance::floats_round_trip_exactly(temp_files());
}
