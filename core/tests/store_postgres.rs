//! The store conformance suite and the session flows against `PostgresStore`, plus migrations, options and a
//! down server.
//!
//! Needs PostgreSQL at `SESSIONWARD_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`). Every
//! store gets its own random table prefix, so the tests run in parallel on one database; the tables are dropped
//! when the test ends. Without a server each test prints a note and passes, unless
//! `SESSIONWARD_REQUIRE_SERVICES` is set, which makes it a failure.
#![cfg(feature = "postgres")]

#[macro_use]
#[allow(dead_code)] // `run_all`: the checks run as separate tests here
mod conformance;
#[macro_use]
mod flows;
mod services;

use conformance::{NOW, record, rich_record, sample_keys};
use sessionward::{PostgresOptions, PostgresStore, SessionStore, StoredKeyRing};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant};

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

fn url() -> String {
    std::env::var("SESSIONWARD_POSTGRES_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| DEFAULT_URL.into())
}

/// Whether the server answers (probed once); see `services::usable`.
fn reachable() -> bool {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        let mut config: postgres::Config = url().parse().map_err(|e| format!("bad URL: {e}"))?;
        config.connect_timeout(Duration::from_secs(3));
        config.connect(postgres::NoTls).map(drop).map_err(|e| describe(&e))
    });
    services::usable(&format!("PostgreSQL at {}", url()), probe, "start it or set SESSIONWARD_POSTGRES_URL")
}

/// A `postgres::Error` with its cause (its `Display` alone omits it).
fn describe(err: &postgres::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// Options for a fresh, empty set of tables.
fn options() -> PostgresOptions {
    PostgresOptions { table_prefix: services::unique_prefix("swt_", '_'), pool_size: 4, ..PostgresOptions::new(url()) }
}

/// Hands out stores on fresh tables and drops all their tables when it is dropped.
struct Factory {
    prefixes: Mutex<Vec<String>>,
}

impl Factory {
    /// None (after printing the skip note) if the server is not reachable.
    fn new() -> Option<Self> {
        reachable().then(|| Self { prefixes: Mutex::new(Vec::new()) })
    }

    fn open_with(&self, options: PostgresOptions) -> PostgresStore {
        self.prefixes.lock().unwrap().push(options.table_prefix.clone());
        PostgresStore::open(options).expect("open PostgresStore")
    }

    fn open(&self) -> PostgresStore {
        self.open_with(options())
    }

    /// A prefix whose tables this factory drops.
    fn prefix(&self) -> String {
        let prefix = services::unique_prefix("swt_", '_');
        self.prefixes.lock().unwrap().push(prefix.clone());
        prefix
    }
}

impl Drop for Factory {
    fn drop(&mut self) {
        let prefixes = std::mem::take(&mut *self.prefixes.lock().unwrap_or_else(|e| e.into_inner()));
        if prefixes.is_empty() {
            return;
        }
        let Ok(mut client) = raw() else { return };
        for p in prefixes {
            let _ = client
                .batch_execute(&format!("DROP TABLE IF EXISTS {p}sessions, {p}keys, {p}schema_migrations, {p}probe"));
        }
    }
}

fn raw() -> Result<postgres::Client, postgres::Error> {
    postgres::Client::connect(&url(), postgres::NoTls)
}

/// A `Fn() -> PostgresStore` giving stores on fresh tables, or None when skipping.
fn stores() -> Option<impl Fn() -> PostgresStore> {
    let factory = Factory::new()?;
    Some(move || factory.open())
}

/// One store on fresh tables for a flow, with the factory that drops them; None when skipping.
fn flow_store() -> Option<(Factory, Arc<dyn SessionStore>)> {
    let factory = Factory::new()?;
    let store = Arc::new(factory.open());
    Some((factory, store))
}

// The shared macros paste their argument into each generated test body, so a block that `return`s there ends
// that test early when the server is absent (after `reachable` printed the note, or panicked if required).
conformance_tests!({
    let Some(make) = stores() else { return };
    make
});

flow_tests!({
    let Some((factory, store)) = flow_store() else { return };
    // The closure lives until the end of the test, and with it the factory that then drops the tables.
    move || {
        let _ = &factory;
        store.clone()
    }
});

/// Start of each test below: a factory, or return (skip) without a server.
macro_rules! factory_or_skip {
    () => {
        match Factory::new() {
            Some(factory) => factory,
            None => return,
        }
    };
}

#[test]
fn floats_round_trip_exactly() {
    let Some(make) = stores() else { return };
    conformance::floats_round_trip_exactly(make);
}

#[test]
fn compare_and_swap_across_store_objects_has_one_winner() {
    let factory = factory_or_skip!();
    let opts = options();
    let stores: Vec<_> = (0..4).map(|_| Arc::new(factory.open_with(opts.clone()))).collect();
    conformance::replace_race(&stores, 8, 20);
    conformance::insert_race(&stores, 8);
    conformance::keys_race(&stores, 8);
}

#[test]
fn two_store_objects_on_one_database_see_each_others_writes() {
    let factory = factory_or_skip!();
    let opts = options();
    let one = factory.open_with(opts.clone());
    let two = factory.open_with(opts);
    let a = rich_record("a", "u1", NOW);
    one.insert(&a).unwrap();
    conformance::assert_stored(&two, &a);
    conformance::assert_invalid_argument(two.insert(&a));
    let a2 = conformance::rotated(&a, NOW + 1);
    assert!(two.replace(a.version, &a2).unwrap());
    assert!(!one.replace(a.version, &conformance::rotated(&a, NOW + 2)).unwrap());
    conformance::assert_stored(&one, &a2);
    assert!(two.save_keys(None, &sample_keys("x")).unwrap());
    assert!(!one.save_keys(None, &sample_keys("y")).unwrap());
    assert_eq!(one.load_keys().unwrap(), Some(StoredKeyRing { version: 1, keys: sample_keys("x") }));
}

fn migration_versions(prefix: &str) -> Vec<i32> {
    let mut client = raw().unwrap();
    let rows = client.query(&format!("SELECT version FROM {prefix}schema_migrations ORDER BY version"), &[]).unwrap();
    rows.iter().map(|r| r.get(0)).collect()
}

#[test]
fn migrations_are_idempotent_and_keep_data() {
    let factory = factory_or_skip!();
    let opts = options();
    let a = rich_record("a", "u1", NOW);
    {
        let store = factory.open_with(opts.clone());
        store.insert(&a).unwrap();
        assert!(store.save_keys(None, &sample_keys("k")).unwrap());
    }
    assert_eq!(migration_versions(&opts.table_prefix), [1]);
    let store = factory.open_with(opts.clone());
    assert_eq!(migration_versions(&opts.table_prefix), [1]);
    conformance::assert_stored(&store, &a);
    assert_eq!(store.load_keys().unwrap(), Some(StoredKeyRing { version: 1, keys: sample_keys("k") }));
    // Creation order carries on across opens.
    store.insert(&record("d", "u1", NOW)).unwrap();
    assert_eq!(conformance::handles(&store.list_for_user("u1").unwrap()), ["a", "d"]);
}

#[test]
fn concurrent_first_opens_all_succeed_and_migrate_once() {
    let factory = factory_or_skip!();
    let opts = options();
    let barrier = Barrier::new(6);
    let stores: Vec<PostgresStore> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    factory.open_with(opts.clone())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(migration_versions(&opts.table_prefix), [1]);
    for (i, store) in stores.iter().enumerate() {
        store.insert(&record(&format!("h{i}"), "u1", NOW)).unwrap();
    }
    assert_eq!(stores[0].list_for_user("u1").unwrap().len(), 6);
}

#[test]
fn a_newer_schema_is_refused() {
    let factory = factory_or_skip!();
    let opts = options();
    drop(factory.open_with(opts.clone()));
    raw()
        .unwrap()
        .batch_execute(&format!("INSERT INTO {}schema_migrations (version) VALUES (99)", opts.table_prefix))
        .unwrap();
    let err = PostgresStore::open(opts).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(err.to_string().contains("99"), "{err}");
}

#[test]
fn migrations_sql_builds_the_schema_open_accepts() {
    let sql = PostgresStore::migrations_sql("sessionward_").unwrap();
    assert!(sql.len() >= 2, "{sql:?}");
    assert!(sql.iter().all(|s| !s.trim().is_empty()));
    assert!(sql[0].contains("sessionward_schema_migrations"));
    assert!(sql.iter().any(|s| s.contains("sessionward_sessions")));
    assert!(sql.iter().any(|s| s.contains("sessionward_keys")));
    assert!(sql.iter().all(|s| !s.contains("{p}")));
    assert_eq!(PostgresStore::migrations_sql("Bad-Prefix").unwrap_err().code(), "invalid_argument");

    let factory = factory_or_skip!();
    let prefix = factory.prefix();
    let mut client = raw().unwrap();
    // Applied by hand (twice: re-running is harmless), then opened: the store finds the schema current.
    for _ in 0..2 {
        for statement in PostgresStore::migrations_sql(&prefix).unwrap() {
            client.batch_execute(&statement).unwrap();
        }
    }
    assert_eq!(migration_versions(&prefix), [1]);
    let store = factory.open_with(PostgresOptions { table_prefix: prefix.clone(), ..options() });
    store.insert(&record("a", "u1", NOW)).unwrap();
    assert_eq!(migration_versions(&prefix), [1]);
}

#[test]
fn table_prefix_is_validated() {
    for bad in ["Upper_", "semi;colon_", "dash-", "space ", "1digit_", "quote\"_", &"x".repeat(33)] {
        let err = PostgresStore::open(PostgresOptions { table_prefix: bad.to_string(), ..options() }).unwrap_err();
        assert_eq!(err.code(), "invalid_argument", "{bad:?}: {err}");
    }
    let factory = factory_or_skip!();
    let prefix = factory.prefix();
    assert!(prefix.len() <= 32, "{prefix}");
    let store = factory.open_with(PostgresOptions { table_prefix: prefix, ..options() });
    store.insert(&record("a", "u1", NOW)).unwrap();
}

#[test]
fn options_defaults() {
    let o = PostgresOptions::new("postgres://u:secret@h/db");
    assert_eq!(o.pool_size, 8);
    assert_eq!(o.connect_timeout, Duration::from_secs(5));
    assert_eq!(o.statement_timeout, Duration::from_secs(5));
    assert_eq!(o.table_prefix, "sessionward_");
    assert!(!format!("{o:?}").contains("secret"), "Debug leaks the URL");
    let err = PostgresStore::open(PostgresOptions { pool_size: 0, ..o }).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
}

#[test]
fn a_down_server_fails_fast_with_store_unavailable() {
    let opts = PostgresOptions {
        connect_timeout: Duration::from_secs(1),
        ..PostgresOptions::new("postgres://postgres@127.0.0.1:1/test")
    };
    let started = Instant::now();
    let err = PostgresStore::open(opts).unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(elapsed < Duration::from_secs(5), "open took {elapsed:?}");
    // The message says why (the cause the postgres crate's `Display` leaves out).
    assert!(err.to_string().to_lowercase().contains("refused"), "{err}");
}

/// A statement blocked on a row lock fails after `statement_timeout` instead of hanging.
#[test]
fn statement_timeout_applies() {
    let factory = factory_or_skip!();
    let opts = PostgresOptions { statement_timeout: Duration::from_millis(200), ..options() };
    let p = opts.table_prefix.clone();
    let store = factory.open_with(opts);
    store.insert(&record("a", "u1", NOW)).unwrap();
    let mut locker = raw().unwrap();
    let mut tx = locker.transaction().unwrap();
    tx.execute(&format!("SELECT 1 FROM {p}sessions WHERE handle = 'a' FOR UPDATE"), &[]).unwrap();
    let started = Instant::now();
    let err = store.delete("a", None).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "waited {:?}", started.elapsed());
    tx.rollback().unwrap();
    assert!(store.delete("a", None).unwrap());
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PostgresStore>();
}

/// A pooled connection the server closed (a restart, an idle timeout, `pg_terminate_backend`) is found on
/// checkout and replaced: the next call succeeds. (Guards the pool's check on checkout, which costs a round
/// trip: a cheaper check must still pass this.)
#[test]
fn connections_the_server_closed_are_replaced() {
    let factory = factory_or_skip!();
    // A unique application_name tells this store's server sessions apart from everyone else's.
    let app = services::unique_prefix("swt_", '_');
    let base = url();
    let url = format!("{base}{}application_name={app}", if base.contains('?') { '&' } else { '?' });
    let store = factory.open_with(PostgresOptions { url, ..options() });
    store.insert(&record("a", "u1", NOW)).unwrap();
    let mut admin = raw().unwrap();
    // With a timeout, pg_terminate_backend waits until the server process has ended (and closed its socket).
    let kill = "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = $1";
    for _ in 0..2 {
        let killed: Vec<bool> = admin.query(kill, &[&app]).unwrap().iter().map(|r| r.get(0)).collect();
        assert!(!killed.is_empty() && killed.iter().all(|k| *k), "{killed:?}");
        assert_eq!(store.get("a").unwrap().unwrap().user_id, "u1");
        assert!(store.delete("a", None).unwrap());
        store.insert(&record("a", "u1", NOW)).unwrap();
    }
}
