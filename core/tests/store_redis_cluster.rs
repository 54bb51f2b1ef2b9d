//! The store conformance suite and the session flows against `RedisClusterStore` on a real Redis Cluster,
//! plus what only a cluster can show: a session's keys in several slots, the compare-and-swap on one of them,
//! and 16 threads on four store objects refreshing one token.
//!
//! The cluster is `SESSIONWARD_REDIS_CLUSTER_NODES` (comma-separated, default
//! `redis://127.0.0.1:7101,redis://127.0.0.1:7102,redis://127.0.0.1:7103`; `scripts/start-redis-cluster`
//! starts one). Each store gets its own random key prefix; a test deletes its keys when it ends. If the
//! cluster is unreachable the tests are skipped, unless `SESSIONWARD_REQUIRE_SERVICES` is set (as in CI).
#![cfg(feature = "redis")]

#[allow(unused_macros)]
#[macro_use]
mod conformance;
#[macro_use]
mod flows;
mod services;

use conformance::{NOW, record, rich_record};
use redis::cluster::{ClusterClient, ClusterConnection};
use sessionward::{NewSession, RedisClusterOptions, RedisClusterStore, SessionRecord, SessionStore};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const DEFAULT_NODES: &str = "redis://127.0.0.1:7101,redis://127.0.0.1:7102,redis://127.0.0.1:7103";

fn nodes() -> Vec<String> {
    let text = std::env::var("SESSIONWARD_REDIS_CLUSTER_NODES").ok().filter(|n| !n.is_empty());
    text.as_deref().unwrap_or(DEFAULT_NODES).split(',').map(|n| n.trim().to_owned()).collect()
}

/// Whether the cluster answers (probed once); see `services::usable`.
fn available() -> bool {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        let mut options = RedisClusterOptions::new(nodes());
        options.timeout = Duration::from_secs(2);
        RedisClusterStore::open(options).map(drop).map_err(|e| e.to_string())
    });
    let how = "run scripts/start-redis-cluster or set SESSIONWARD_REDIS_CLUSTER_NODES";
    services::usable(&format!("Redis Cluster at {:?}", nodes()), probe, how)
}

/// Hands out stores on fresh prefixes and deletes every key under them when dropped.
struct Fixture {
    prefixes: Mutex<Vec<String>>,
}

impl Fixture {
    /// A fixture, or `None` (after printing why) if the cluster is unreachable.
    fn new() -> Option<Self> {
        available().then(|| Self { prefixes: Mutex::new(Vec::new()) })
    }

    /// A store on a new, empty prefix.
    fn store(&self) -> RedisClusterStore {
        let prefix = services::unique_prefix("swc:", ':');
        self.prefixes.lock().unwrap().push(prefix.clone());
        self.store_on(&prefix)
    }

    /// Another store object on `prefix` (as another process would open).
    fn store_on(&self, prefix: &str) -> RedisClusterStore {
        let mut options = RedisClusterOptions::new(nodes());
        options.key_prefix = prefix.to_owned();
        RedisClusterStore::open(options).expect("open RedisClusterStore")
    }

    fn last_prefix(&self) -> String {
        self.prefixes.lock().unwrap().last().cloned().expect("a store was made")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let Ok(mut conn) = raw() else { return };
        for prefix in self.prefixes.get_mut().unwrap().iter() {
            // KEYS goes to every primary; the keys live in different slots, so they are deleted one by one.
            let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}*")).query(&mut conn).unwrap_or_default();
            for key in keys {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(key).query(&mut conn);
            }
        }
    }
}

/// A plain cluster connection, to look at keys the way another client would.
fn raw() -> redis::RedisResult<ClusterConnection> {
    ClusterClient::builder(nodes()).connection_timeout(Duration::from_secs(2)).build()?.get_connection()
}

/// One `#[test]` per conformance check, skipped when the cluster is unreachable.
macro_rules! cluster_conformance {
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
for_each_check!(cluster_conformance! { [] });

/// One `#[test]` per session flow, skipped when the cluster is unreachable.
macro_rules! cluster_flows {
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
cluster_flows!(
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

fn slot(conn: &mut ClusterConnection, key: &str) -> i64 {
    redis::cmd("CLUSTER").arg("KEYSLOT").arg(key).query(conn).unwrap()
}

fn expire_time(conn: &mut ClusterConnection, key: &str) -> i64 {
    redis::cmd("EXPIRETIME").arg(key).query(conn).unwrap()
}

fn real_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn a_sessions_keys_spread_over_slots_and_the_record_key_alone_carries_a_rotation() {
    let Some(fixture) = Fixture::new() else { return };
    let store = fixture.store();
    let p = fixture.last_prefix();
    let now = real_now();
    let r = SessionRecord {
        idle_expires_at: now + 7_200,
        absolute_expires_at: now + 86_400,
        ..rich_record("h1", "u7", now)
    };
    store.insert(&r).unwrap();
    let mut conn = raw().unwrap();
    let (record_key, lookup_key, user_key) =
        (format!("{p}s:{{h1}}"), format!("{p}l:lookup:h1"), format!("{p}u:{{u7}}"));
    let exp_key = format!("{p}exp");

    // The record and the user index are placed by their hash tags, whatever the prefix; the four differ here.
    assert_eq!(slot(&mut conn, &record_key), slot(&mut conn, "h1"));
    assert_eq!(slot(&mut conn, &user_key), slot(&mut conn, "u7"));
    let slots: std::collections::BTreeSet<i64> =
        [&record_key, &lookup_key, &user_key, &exp_key].iter().map(|k| slot(&mut conn, k)).collect();
    assert!(slots.len() >= 3, "slots {slots:?}");

    // The record key holds the whole record; the others only name it.
    let json: String = redis::cmd("HGET").arg(&record_key).arg("r").query(&mut conn).unwrap();
    assert!(json.contains("\"handle\":\"h1\"") && json.contains("Zürich"), "{json}");
    let pointer: String = redis::cmd("GET").arg(&lookup_key).query(&mut conn).unwrap();
    assert!(pointer.ends_with("h1") && pointer.len() == 34, "{pointer}");
    let members: Vec<String> = redis::cmd("ZRANGE").arg(&user_key).arg(0).arg(-1).query(&mut conn).unwrap();
    assert_eq!(members.as_slice(), std::slice::from_ref(&pointer));

    // A rotation changes the record key and nothing else: not a value, not an expiry.
    let others = |conn: &mut ClusterConnection| {
        let lookup: String = redis::cmd("GET").arg(&lookup_key).query(conn).unwrap();
        let user: Vec<(String, f64)> =
            redis::cmd("ZRANGE").arg(&user_key).arg(0).arg(-1).arg("WITHSCORES").query(conn).unwrap();
        let exp: Option<f64> = redis::cmd("ZSCORE").arg(&exp_key).arg(&pointer).query(conn).unwrap();
        (lookup, user, exp, expire_time(conn, &lookup_key), expire_time(conn, &user_key))
    };
    let before = others(&mut conn);
    assert_eq!(before.3, r.absolute_expires_at, "the lookup lives until the absolute expiry");
    let record_expiry = expire_time(&mut conn, &record_key);
    assert_eq!(record_expiry, r.idle_expires_at);
    let r2 = SessionRecord { idle_expires_at: now + 9_000, ..conformance::rotated(&r, now + 1) };
    assert!(store.replace(r.version, &r2).unwrap());
    assert_eq!(others(&mut conn), before);
    assert_eq!(expire_time(&mut conn, &record_key), r2.idle_expires_at, "the record's expiry moved");
    conformance::assert_stored(&store, &r2);

    // Delete removes every key of the session (the user index with its last entry).
    assert!(store.delete("h1", Some(r2.version)).unwrap());
    for key in [&record_key, &lookup_key, &user_key] {
        let exists: i64 = redis::cmd("EXISTS").arg(key).query(&mut conn).unwrap();
        assert_eq!(exists, 0, "{key} still exists");
    }
    let left: i64 = redis::cmd("ZCARD").arg(&exp_key).query(&mut conn).unwrap();
    assert_eq!(left, 0);
}

#[test]
fn dangling_lookups_and_index_entries_count_for_nothing_and_are_cleaned() {
    let Some(fixture) = Fixture::new() else { return };
    let store = fixture.store();
    let p = fixture.last_prefix();
    let mut conn = raw().unwrap();
    let a = record("a", "u1", NOW);
    let b = record("b", "u1", NOW);
    store.insert(&a).unwrap();
    store.insert(&b).unwrap();
    let stale_pointer: String = redis::cmd("GET").arg(format!("{p}l:lookup:a")).query(&mut conn).unwrap();

    // As if a delete had stopped after its first step (or Redis had expired the record): only the record goes.
    let _: () = redis::cmd("DEL").arg(format!("{p}s:{{a}}")).query(&mut conn).unwrap();
    conformance::assert_absent(&store, "a", &a.refresh_lookup);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![b.clone()]);
    let members: Vec<String> =
        redis::cmd("ZRANGE").arg(format!("{p}u:{{u1}}")).arg(0).arg(-1).query(&mut conn).unwrap();
    assert_eq!(members.len(), 1, "listing removed the dangling entry: {members:?}");
    assert_eq!(store.delete_for_user("u1", Some("b")).unwrap(), 0);
    assert_eq!(store.purge_expired(NOW + 100_000).unwrap(), 1, "only b was still stored");
    let left: i64 = redis::cmd("ZCARD").arg(format!("{p}exp")).query(&mut conn).unwrap();
    assert_eq!(left, 0, "the expiry index is emptied by purge");

    // The dangling lookup does not block a new session on the same chain, and then points at it.
    let other = SessionRecord { refresh_lookup: a.refresh_lookup.clone(), ..record("c", "u2", NOW) };
    store.insert(&other).unwrap();
    conformance::assert_stored(&store, &other);

    // A handle inserted again is a new instance: a pointer left by the old one does not find it.
    store.insert(&a).unwrap_err();
    let a_again = SessionRecord { refresh_lookup: "lookup:a2".into(), ..a.clone() };
    store.insert(&a_again).unwrap();
    let _: () = redis::cmd("SET").arg(format!("{p}l:lookup:a2")).arg(&stale_pointer).query(&mut conn).unwrap();
    assert_eq!(store.get_by_refresh_lookup("lookup:a2").unwrap(), None);
    assert_eq!(store.get("a").unwrap(), Some(a_again));
}

#[test]
fn concurrent_refresh_on_four_instances_converges() {
    let Some(fixture) = Fixture::new() else { return };
    let first: Arc<dyn SessionStore> = Arc::new(fixture.store());
    let prefix = fixture.last_prefix();
    let mut managers = vec![Arc::new(flows::manager(&first))];
    managers[0].ensure_keys(NOW).unwrap();
    for _ in 1..4 {
        let store: Arc<dyn SessionStore> = Arc::new(fixture.store_on(&prefix));
        managers.push(Arc::new(flows::manager(&store)));
    }
    let t0 = managers[0].create_session(NewSession::for_user("ray"), NOW).unwrap();
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let (m, barrier, token) = (managers[i % 4].clone(), barrier.clone(), t0.refresh_token.clone());
            std::thread::spawn(move || {
                barrier.wait();
                m.refresh(&token, NOW + 5).map(|t| t.refresh_token)
            })
        })
        .collect();
    let tokens: Vec<String> =
        handles.into_iter().map(|h| h.join().unwrap().expect("no caller fails or sees theft")).collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "all callers received the same successor");
    let next = managers[1].refresh(&tokens[0], NOW + 6).unwrap();
    assert_ne!(next.refresh_token, tokens[0]);
    assert_eq!(managers[2].refresh(&t0.refresh_token, NOW + 7).unwrap_err().code(), "token_theft");
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

/// The whole suite in sequence, as a smoke test of `run_all`.
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
    let mut options = RedisClusterOptions::new(["redis://127.0.0.1:1"]);
    options.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = RedisClusterStore::open(options).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[test]
fn a_node_that_never_answers_is_store_unavailable_after_the_timeout() {
    // Accepts connections (the kernel completes the handshake) but never replies.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = RedisClusterOptions::new([format!("redis://{}", listener.local_addr().unwrap())]);
    options.timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = RedisClusterStore::open(options).unwrap_err();
    eprintln!("a silent node failed after {:?}: {err}", started.elapsed());
    assert_eq!(err.code(), "store_unavailable", "{err}");
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    drop(listener);
}

#[test]
fn bad_nodes_and_options_are_refused() {
    let err = RedisClusterStore::open(RedisClusterOptions::new(["not a url"])).unwrap_err();
    assert_eq!(err.code(), "store_unavailable", "{err}");
    let none: [&str; 0] = [];
    assert_eq!(RedisClusterStore::open(RedisClusterOptions::new(none)).unwrap_err().code(), "invalid_argument");
    let mut options = RedisClusterOptions::new(nodes());
    options.pool_size = 0;
    assert_eq!(RedisClusterStore::open(options).unwrap_err().code(), "invalid_argument");
}

#[test]
fn options_defaults() {
    let options = RedisClusterOptions::new(["redis://example.invalid:7000"]);
    assert_eq!(options.nodes, ["redis://example.invalid:7000"]);
    assert_eq!(options.pool_size, 8);
    assert_eq!(options.timeout, Duration::from_secs(5));
    assert_eq!(options.key_prefix, "sw:");
}

#[test]
fn store_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RedisClusterStore>();
}
