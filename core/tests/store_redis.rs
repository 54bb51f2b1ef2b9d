//! The store conformance suite and the session flows against `RedisStore` on a real Redis server, plus what
//! only Redis can show: key expiry, several store objects on one server, and an unreachable server.
//!
//! The server is `SESSIONWARD_REDIS_URL` (default `redis://127.0.0.1:6379/`). Each store gets its own random
//! key prefix, so tests run in parallel and next to other data; a test deletes its keys when it ends. If the
//! server is unreachable the tests are skipped, unless `SESSIONWARD_REQUIRE_SERVICES` is set (as in CI).
#![cfg(feature = "redis")]

// `conformance_tests!` takes a constructor and cannot skip; the suite runs through `redis_conformance!`.
#[allow(unused_macros)]
#[macro_use]
mod conformance;
#[macro_use]
mod flows;
mod services;

use conformance::{NOW, record, rich_record, sample_keys};
use sessionward::{RedisOptions, RedisStore, SessionRecord, SessionStore, StoredKeyRing};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DEFAULT_URL: &str = "redis://127.0.0.1:6379/";

fn url() -> String {
    std::env::var("SESSIONWARD_REDIS_URL").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| DEFAULT_URL.into())
}

/// Whether the server answers (probed once); see `services::usable`.
fn available() -> bool {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        let mut options = RedisOptions::new(url());
        options.timeout = Duration::from_secs(2);
        RedisStore::open(options).map(drop).map_err(|e| e.to_string())
    });
    services::usable(&format!("Redis at {}", url()), probe, "start it or set SESSIONWARD_REDIS_URL")
}

/// Hands out stores on fresh prefixes and deletes every key under them when dropped.
struct Fixture {
    prefixes: Mutex<Vec<String>>,
}

impl Fixture {
    /// A fixture, or `None` (after printing why) if the server is unreachable.
    fn new() -> Option<Self> {
        available().then(|| Self { prefixes: Mutex::new(Vec::new()) })
    }

    /// A store on a new, empty prefix.
    fn store(&self) -> RedisStore {
        let prefix = services::unique_prefix("swt:", ':');
        self.prefixes.lock().unwrap().push(prefix.clone());
        self.store_on(&prefix)
    }

    /// Another store object on `prefix` (as another process would open).
    fn store_on(&self, prefix: &str) -> RedisStore {
        let mut options = RedisOptions::new(url());
        options.key_prefix = prefix.to_owned();
        RedisStore::open(options).expect("open RedisStore")
    }

    fn last_prefix(&self) -> String {
        self.prefixes.lock().unwrap().last().cloned().expect("a store was made")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let Ok(mut conn) = raw() else { return };
        for prefix in self.prefixes.get_mut().unwrap().iter() {
            let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query(&mut conn).unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
            }
        }
    }
}

/// A plain connection, to look at keys the way another client would.
fn raw() -> redis::RedisResult<redis::Connection> {
    redis::Client::open(url().as_str())?.get_connection_with_timeout(Duration::from_secs(2))
}

/// One `#[test]` per conformance check, skipped when the server is unreachable.
macro_rules! redis_conformance {
    ([] $($check:ident),* $(,)?) => {
        mod conformance_suite {
            $(
                #[test]
                fn $check() {
                    let Some(fixture) = crate::Fixture::new() else { return };
                    crate::conformance::$check(|| fixture.store());
                }
            )*
        }
    };
}
for_each_check!(redis_conformance! { [] });

/// One `#[test]` per session flow, skipped when the server is unreachable.
macro_rules! redis_flows {
    ($($name:ident),* $(,)?) => {
        mod flow_suite {
            $(
                #[test]
                fn $name() {
                    let Some(fixture) = crate::Fixture::new() else { return };
                    let store: std::sync::Arc<dyn sessionward::SessionStore> = std::sync::Arc::new(fixture.store());
                    crate::flows::$name(store);
                }
            )*
        }
    };
}
redis_flows!(
    login_verify_expire_refresh,
    retry_in_grace_returns_same_successor,
    replay_after_grace_is_theft,
    two_generations_back_is_theft_even_in_grace,
    thief_first_then_victim,
    garbage_and_unknown_tokens_change_nothing,
    idle_and_absolute_expiry,
    revoke_list_and_sign_out_others,
    update_data_claims_and_regenerate,
    bad_input_changes_no_state,
    max_sessions_per_user,
    purge_expired,
    key_rotation_keeps_users_signed_in,
    revoked_key_means_try_refresh,
    instances_share_keys_and_sessions,
    scheduled_rotation_happens_once,
    concurrent_refresh_converges,
);

fn real_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn pttl(conn: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(conn).unwrap()
}

#[test]
fn session_keys_expire_with_the_session() {
    let Some(fixture) = Fixture::new() else { return };
    let store = fixture.store();
    let prefix = fixture.last_prefix();
    let now = real_now();
    let live = SessionRecord { idle_expires_at: now + 2 * 86_400, ..record("live", "u1", now) };
    store.insert(&live).unwrap();
    let mut conn = raw().unwrap();
    let to_expiry_ms = (live.expires_at() - now + 1) * 1000;
    for key in [format!("{prefix}s:{{live}}"), format!("{prefix}l:lookup:live"), format!("{prefix}u:{{u1}}")] {
        let ttl = pttl(&mut conn, &key);
        assert!(ttl > 0 && ttl <= to_expiry_ms, "{key}: PTTL {ttl} ms, expiry in {to_expiry_ms} ms");
        assert!(ttl > to_expiry_ms - 60_000, "{key}: PTTL {ttl} ms is well before the expiry");
    }

    // A rotation moves the expiry forward, on the record and its lookup.
    let later = SessionRecord { idle_expires_at: now + 5 * 86_400, ..conformance::rotated(&live, now + 10) };
    assert!(store.replace(live.version, &later).unwrap());
    let to_expiry_ms = (later.expires_at() - now + 1) * 1000;
    for key in [format!("{prefix}s:{{live}}"), format!("{prefix}l:lookup:live"), format!("{prefix}u:{{u1}}")] {
        let ttl = pttl(&mut conn, &key);
        assert!(ttl > to_expiry_ms - 60_000 && ttl <= to_expiry_ms, "{key}: PTTL {ttl} ms after replace");
    }

    // A record written already expired (a caller clock in the past) is kept for an hour, not forever.
    store.insert(&record("old", "u2", NOW)).unwrap();
    let ttl = pttl(&mut conn, &format!("{prefix}s:{{old}}"));
    assert!(ttl > 3_500_000 && ttl <= 3_600_000, "PTTL {ttl} ms");

    // Deleting removes every key of the session.
    assert!(store.delete("live", None).unwrap());
    for key in [format!("{prefix}s:{{live}}"), format!("{prefix}l:lookup:live")] {
        assert_eq!(pttl(&mut conn, &key), -2, "{key} still exists");
    }
}

#[test]
fn sessions_that_redis_expired_are_gone_everywhere() {
    let Some(fixture) = Fixture::new() else { return };
    let store = fixture.store();
    let prefix = fixture.last_prefix();
    let a = record("a", "u1", NOW);
    let b = record("b", "u1", NOW);
    store.insert(&a).unwrap();
    store.insert(&b).unwrap();
    // As if Redis had expired `a`: its keys vanish without the scripts running.
    let mut conn = raw().unwrap();
    let _: () =
        redis::cmd("DEL").arg(format!("{prefix}s:{{a}}")).arg(format!("{prefix}l:lookup:a")).query(&mut conn).unwrap();
    conformance::assert_absent(&store, "a", &a.refresh_lookup);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![b.clone()]);
    assert_eq!(store.delete_for_user("u1", Some("b")).unwrap(), 0);
    assert_eq!(store.purge_expired(NOW + 100_000).unwrap(), 1, "only b was still stored");
    let left: i64 = redis::cmd("ZCARD").arg(format!("{prefix}exp")).query(&mut conn).unwrap();
    assert_eq!(left, 0, "the expiry index is emptied by purge");
    // The handle is free again.
    store.insert(&a).unwrap();
    conformance::assert_stored(&store, &a);
}

#[test]
fn two_store_objects_on_one_prefix_see_each_others_writes() {
    let Some(fixture) = Fixture::new() else { return };
    let one = fixture.store();
    let two = fixture.store_on(&fixture.last_prefix());
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
    two.insert(&record("b", "u1", NOW)).unwrap();
    assert_eq!(conformance::handles(&one.list_for_user("u1").unwrap()), ["a", "b"]);
    // Another prefix is another store.
    let other = fixture.store();
    assert_eq!(other.get("a").unwrap(), None);
    assert_eq!(other.load_keys().unwrap(), None);
}

#[test]
fn compare_and_swap_across_store_objects_has_one_winner() {
    let Some(fixture) = Fixture::new() else { return };
    let first = fixture.store();
    let prefix = fixture.last_prefix();
    let mut stores = vec![Arc::new(first)];
    stores.extend((1..4).map(|_| Arc::new(fixture.store_on(&prefix))));
    conformance::replace_race(&stores, 8, 20);
    conformance::insert_race(&stores, 8);
    conformance::keys_race(&stores, 8);
}

#[test]
fn a_small_pool_serves_many_threads() {
    let Some(fixture) = Fixture::new() else { return };
    let mut options = RedisOptions::new(url());
    options.key_prefix = services::unique_prefix("swt:", ':');
    fixture.prefixes.lock().unwrap().push(options.key_prefix.clone());
    options.pool_size = 2;
    let store = Arc::new(RedisStore::open(options).unwrap());
    conformance::replace_race(&[store], 8, 10);
}

/// The whole suite in sequence on one server connection pool per store, as a smoke test of `run_all`.
#[test]
fn suite_in_sequence() {
    let Some(fixture) = Fixture::new() else { return };
    conformance::run_all(|| fixture.store());
}

#[test]
fn floats_round_trip_exactly() {
    let Some(fixture) = Fixture::new() else { return };
    conformance::floats_round_trip_exactly(|| fixture.store());
}

#[test]
fn closed_port_is_store_unavailable_quickly() {
    let mut options = RedisOptions::new("redis://127.0.0.1:1/");
    options.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = RedisStore::open(options).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[test]
fn a_server_that_never_answers_is_store_unavailable_after_the_timeout() {
    // Accepts connections (the kernel completes the handshake) but never replies.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = RedisOptions::new(format!("redis://{}/", listener.local_addr().unwrap()));
    options.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = RedisStore::open(options).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    drop(listener);
}

#[test]
fn bad_url_and_options_are_refused() {
    let err = RedisStore::connect("not a url").unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    let mut options = RedisOptions::new(DEFAULT_URL);
    options.pool_size = 0;
    assert_eq!(RedisStore::open(options).unwrap_err().code(), "invalid_argument");
}

#[test]
fn options_defaults() {
    let options = RedisOptions::new("redis://example.invalid/");
    assert_eq!(options.pool_size, 8);
    assert_eq!(options.timeout, Duration::from_secs(5));
    assert_eq!(options.key_prefix, "sw:");
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RedisStore>();
}
