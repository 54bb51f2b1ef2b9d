//! The store conformance suite: the `SessionStore` contract, written once and run against every store.
//!
//! A store's test file does `#[macro_use] mod conformance;` and then either
//! `conformance_tests!(make_store);` (one `#[test]` per check) or calls [`run_all`] from a test.
//! `make_store` is any `Fn() -> S` returning a fresh, empty store on each call.
//!
//! The race helpers ([`replace_race`], [`insert_race`], [`keys_race`]) take several store objects so a
//! store backed by shared storage (one SQLite file, one database server) can be raced across objects, as
//! separate processes would.

use serde_json::{Map, Value, json};
use sessionward::{Error, SessionMetadata, SessionRecord, SessionStore, StoredKey, StoredKeyRing, UnixTime};
use std::sync::{Arc, Barrier};

/// The list of checks, once: expands `$then! { [args] check, check, ... }`.
macro_rules! for_each_check {
    ($then:ident! { [$($args:tt)*] }) => {
        $then! { [$($args)*]
            round_trip_every_field,
            duplicate_insert_refused,
            replace_at_expected_version,
            replace_refuses_stale_version,
            replace_refuses_missing_record,
            replace_refuses_different_refresh_lookup,
            delete_with_and_without_expected_version,
            list_for_user_in_creation_order,
            delete_for_user_with_and_without_keep,
            purge_expired_boundaries,
            keys_compare_and_swap,
            concurrent_replace_has_one_winner,
            concurrent_insert_and_key_save_have_one_winner,
            many_handles,
        }
    };
}

/// One `#[test]` per check, each on stores from `$make` (an expression giving a `Fn() -> S`).
macro_rules! conformance_tests {
    ($make:expr) => {
        for_each_check!(__conformance_tests! { [$make] });
    };
}

#[doc(hidden)]
macro_rules! __conformance_tests {
    ([$make:expr] $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                crate::conformance::$check($make);
            }
        )*
    };
}

/// Run every check in sequence, each on a fresh store from `make_store`.
pub fn run_all<S: SessionStore>(make_store: impl Fn() -> S) {
    macro_rules! run_each {
        ([] $($check:ident),* $(,)?) => {
            $(
                eprintln!("store conformance: {}", stringify!($check));
                $check(&make_store);
            )*
        };
    }
    for_each_check!(run_each! { [] });
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

/// A fixed "now" for the checks.
pub const NOW: UnixTime = 1_700_000_000;

/// 32 deterministic bytes, distinct per `(seed, salt)`, spanning the whole byte range.
pub fn bytes(seed: &str, salt: u8) -> [u8; 32] {
    // FNV-1a, then a xorshift stream: no dependency, different for every seed.
    let mut state: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes().chain([salt]) {
        state = (state ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes());
    }
    out
}

/// A minimal record: version 1, no previous hash, no claims, null data, empty metadata.
pub fn record(handle: &str, user: &str, now: UnixTime) -> SessionRecord {
    SessionRecord {
        handle: handle.to_owned(),
        user_id: user.to_owned(),
        refresh_lookup: format!("lookup:{handle}"),
        current_hash: bytes(handle, 1),
        previous_hash: None,
        rotation_nonce: bytes(handle, 2),
        generation: 0,
        version: 1,
        created_at: now,
        refreshed_at: now,
        idle_expires_at: now + 3_600,
        absolute_expires_at: now + 30 * 86_400,
        access_claims: Map::new(),
        data: Value::Null,
        metadata: SessionMetadata::default(),
    }
}

/// A record using every field: previous hash, nested unicode claims and data, full metadata.
pub fn rich_record(handle: &str, user: &str, now: UnixTime) -> SessionRecord {
    SessionRecord {
        previous_hash: Some(bytes(handle, 3)),
        generation: 7,
        version: 12,
        refreshed_at: now + 600,
        idle_expires_at: now + 4_200,
        access_claims: object(json!({
            "role": "admin",
            "tenant": { "id": 42, "name": "Zürich — 東京", "tags": ["a", "ü", "👋"] },
            "scopes": ["read", "write"],
            "negative": -7,
            "big": u64::MAX,
            "ratio": 1.5,
            "flag": false,
            "nothing": null,
        })),
        data: json!({
            "cart": [{ "sku": "X-1", "qty": 2 }, { "sku": "Ωmega", "qty": 1, "notes": "\"quoted\"\n\\ and \u{0} nul" }],
            "prefs": {
                "theme": "dark",
                "lang": "fr-CA",
                "nested": { "deeper": { "deepest": [[], {}, [1, [2, [3]]]] } },
            },
            "greeting": "Grüße 👋 日本語",
            "empty": "",
        }),
        metadata: SessionMetadata {
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Ünïcødé/1.0".into()),
            ip: Some("2001:db8::1".into()),
            device: Some("Anna's phone 📱".into()),
        },
        ..record(handle, user, now)
    }
}

/// A JSON object value as a claims map.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// The record after one rotation at `at`, as the core writes it: version + 1, new hashes, moved expiry.
pub fn rotated(r: &SessionRecord, at: UnixTime) -> SessionRecord {
    let salt = u8::try_from(r.generation % 200).expect("small") + 10;
    SessionRecord {
        previous_hash: Some(r.current_hash),
        current_hash: bytes(&r.handle, salt),
        rotation_nonce: bytes(&r.handle, salt + 1),
        generation: r.generation + 1,
        version: r.version + 1,
        refreshed_at: at,
        idle_expires_at: at + 3_600,
        ..r.clone()
    }
}

/// The handles of some records, in order.
pub fn handles(records: &[SessionRecord]) -> Vec<&str> {
    records.iter().map(|r| r.handle.as_str()).collect()
}

/// Assert a result is the `invalid_argument` error.
#[track_caller]
pub fn assert_invalid_argument<T: std::fmt::Debug>(result: Result<T, Error>) {
    match result {
        Err(err) => assert_eq!(err.code(), "invalid_argument", "wrong error: {err}"),
        Ok(value) => panic!("expected invalid_argument, got Ok({value:?})"),
    }
}

/// Assert the store holds exactly `expected` under its handle and its refresh lookup.
#[track_caller]
pub fn assert_stored<S: SessionStore>(store: &S, expected: &SessionRecord) {
    assert_eq!(store.get(&expected.handle).unwrap().as_ref(), Some(expected), "get({})", expected.handle);
    assert_eq!(
        store.get_by_refresh_lookup(&expected.refresh_lookup).unwrap().as_ref(),
        Some(expected),
        "get_by_refresh_lookup({})",
        expected.refresh_lookup
    );
}

/// Assert the store holds nothing under this handle nor this lookup.
#[track_caller]
pub fn assert_absent<S: SessionStore>(store: &S, handle: &str, lookup: &str) {
    assert_eq!(store.get(handle).unwrap(), None, "get({handle}) should be None");
    assert_eq!(store.get_by_refresh_lookup(lookup).unwrap(), None, "get_by_refresh_lookup({lookup}) should be None");
}

/// A key ring exercising every field: binary DER, `retires_at` None and Some, revoked and not, extreme times.
pub fn sample_keys(tag: &str) -> Vec<StoredKey> {
    vec![
        StoredKey {
            kid: format!("{tag}-ed"),
            algorithm: "EdDSA".into(),
            private_der: (0..=255u8).collect(),
            activates_at: UnixTime::MIN,
            retires_at: Some(NOW),
            revoked: false,
        },
        StoredKey {
            kid: format!("{tag}-ü/2 \"quoted\""),
            algorithm: "ES256".into(),
            private_der: bytes(tag, 9).iter().chain(bytes(tag, 10).iter()).copied().take(61).collect(),
            activates_at: NOW,
            retires_at: None,
            revoked: true,
        },
        StoredKey {
            kid: format!("{tag}-hs"),
            algorithm: "HS256".into(),
            private_der: Vec::new(),
            activates_at: -1,
            retires_at: Some(UnixTime::MAX),
            revoked: false,
        },
    ]
}

fn winners(results: &[bool]) -> usize {
    results.iter().filter(|ok| **ok).count()
}

// ---------------------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------------------

/// insert / get / get_by_refresh_lookup give back every field unchanged.
pub fn round_trip_every_field<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let plain = record("plain", "u1", NOW);
    let rich = rich_record("rich", "u1", NOW);
    let partial = SessionRecord {
        metadata: SessionMetadata { ip: Some("192.0.2.7".into()), ..SessionMetadata::default() },
        data: json!(["a", 1, -2.25, true, null, { "k": "v" }]),
        access_claims: object(json!({ "only": "one" })),
        ..record("partial", "u2", NOW)
    };
    let extremes = SessionRecord {
        generation: i64::MAX as u64,
        version: i64::MAX as u64,
        created_at: UnixTime::MIN,
        refreshed_at: 0,
        idle_expires_at: UnixTime::MAX,
        absolute_expires_at: UnixTime::MAX,
        current_hash: [0xff; 32],
        previous_hash: Some([0; 32]),
        rotation_nonce: [0; 32],
        data: json!("just a string ✓"),
        ..record("extremes ✓ / with spaces", "ü-user", NOW)
    };
    let all = [&plain, &rich, &partial, &extremes];
    for r in all {
        store.insert(r).unwrap();
    }
    for r in all {
        assert_stored(&store, r);
    }
    assert_eq!(store.list_for_user("u1").unwrap(), vec![plain.clone(), rich.clone()]);
    assert_eq!(store.list_for_user("ü-user").unwrap(), vec![extremes.clone()]);

    // Lookups are exact and never cross over between handle and refresh lookup.
    assert_absent(&store, "missing", "missing");
    assert_eq!(store.get(&plain.refresh_lookup).unwrap(), None);
    assert_eq!(store.get_by_refresh_lookup(&plain.handle).unwrap(), None);
    assert_eq!(store.get("PLAIN").unwrap(), None);
    assert_eq!(store.get("plai").unwrap(), None);
    assert_eq!(store.list_for_user("u").unwrap(), vec![]);
    assert_eq!(store.list_for_user("U1").unwrap(), vec![]);

    // What came back is a copy: changing it changes nothing stored.
    let mut copy = store.get("rich").unwrap().unwrap();
    copy.data = json!("changed");
    assert_stored(&store, &rich);
}

/// A duplicate handle or refresh lookup is refused with `invalid_argument`, and nothing changes.
pub fn duplicate_insert_refused<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let original = rich_record("dup", "u1", NOW);
    store.insert(&original).unwrap();

    // The very same record again.
    assert_invalid_argument(store.insert(&original));
    // Same handle, everything else different.
    let same_handle = SessionRecord { refresh_lookup: "lookup:other".into(), ..record("dup", "u2", NOW + 5) };
    assert_invalid_argument(store.insert(&same_handle));
    // Same refresh lookup, everything else different.
    let same_lookup = SessionRecord { refresh_lookup: original.refresh_lookup.clone(), ..record("other", "u3", NOW) };
    assert_invalid_argument(store.insert(&same_lookup));

    assert_stored(&store, &original);
    assert_absent(&store, "other", "lookup:other");
    assert_eq!(store.list_for_user("u1").unwrap(), vec![original.clone()]);
    assert_eq!(store.list_for_user("u2").unwrap(), vec![]);
    assert_eq!(store.list_for_user("u3").unwrap(), vec![]);

    // The store still works normally afterwards.
    let fresh = record("fresh", "u1", NOW);
    store.insert(&fresh).unwrap();
    assert_eq!(handles(&store.list_for_user("u1").unwrap()), ["dup", "fresh"]);
}

/// replace writes the whole record at the expected version, every field included.
pub fn replace_at_expected_version<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let first = record("r", "u1", NOW);
    store.insert(&first).unwrap();

    let second = SessionRecord {
        access_claims: object(json!({ "role": "editor", "tenant": { "id": 7 } })),
        data: json!({ "visits": 2, "name": "Łukasz" }),
        metadata: SessionMetadata { device: Some("laptop".into()), ..SessionMetadata::default() },
        ..rotated(&first, NOW + 60)
    };
    assert_eq!(second.version, 2);
    assert!(store.replace(1, &second).unwrap());
    assert_stored(&store, &second);

    // Again from the new version; fields may also go back to None / empty.
    let third = SessionRecord {
        previous_hash: None,
        access_claims: Map::new(),
        data: Value::Null,
        metadata: SessionMetadata::default(),
        absolute_expires_at: NOW + 100,
        ..rotated(&second, NOW + 120)
    };
    assert!(store.replace(2, &third).unwrap());
    assert_stored(&store, &third);

    // The record is replaced whole, the owner included (the core never does this, but the store must not
    // interpret records).
    let moved = SessionRecord { user_id: "u2".into(), ..rotated(&third, NOW + 180) };
    assert!(store.replace(3, &moved).unwrap());
    assert_stored(&store, &moved);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![]);
    assert_eq!(store.list_for_user("u2").unwrap(), vec![moved.clone()]);

    // The stored version is whatever the record says (the core increments it).
    let jump = SessionRecord { version: 100, ..moved.clone() };
    assert!(store.replace(4, &jump).unwrap());
    assert_stored(&store, &jump);
    assert!(!store.replace(4, &jump).unwrap());
    assert!(store.replace(100, &SessionRecord { version: 101, ..jump.clone() }).unwrap());
}

/// replace from a version that moved on (or never was) returns false and changes nothing.
pub fn replace_refuses_stale_version<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let v1 = rich_record("s", "u1", NOW);
    let v1 = SessionRecord { version: 1, ..v1 };
    store.insert(&v1).unwrap();
    let v2 = rotated(&v1, NOW + 10);
    assert!(store.replace(1, &v2).unwrap());

    // A second writer that also read version 1.
    let loser = SessionRecord { data: json!("loser"), ..rotated(&v1, NOW + 11) };
    assert!(!store.replace(1, &loser).unwrap());
    assert_stored(&store, &v2);
    // Versions that never were stored.
    for expected in [0, 3, 999, u64::MAX] {
        assert!(!store.replace(expected, &loser).unwrap(), "replace({expected}) should fail");
    }
    assert_stored(&store, &v2);
    // The right version still works.
    let v3 = rotated(&v2, NOW + 20);
    assert!(store.replace(2, &v3).unwrap());
    assert_stored(&store, &v3);
}

/// replace of a record that does not exist (never inserted, or deleted) returns false and creates nothing.
pub fn replace_refuses_missing_record<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let ghost = record("ghost", "u1", NOW);
    assert!(!store.replace(0, &ghost).unwrap());
    assert!(!store.replace(1, &ghost).unwrap());
    assert_absent(&store, &ghost.handle, &ghost.refresh_lookup);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![]);

    let gone = record("gone", "u1", NOW);
    store.insert(&gone).unwrap();
    assert!(store.delete("gone", None).unwrap());
    assert!(!store.replace(1, &rotated(&gone, NOW + 1)).unwrap());
    assert_absent(&store, &gone.handle, &gone.refresh_lookup);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![]);
}

/// replace never moves a record to another refresh chain: a different lookup returns false, unchanged.
pub fn replace_refuses_different_refresh_lookup<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let x = record("x", "u1", NOW);
    let y = record("y", "u1", NOW);
    store.insert(&x).unwrap();
    store.insert(&y).unwrap();

    // A new, unused lookup.
    let relinked = SessionRecord { refresh_lookup: "lookup:new".into(), ..rotated(&x, NOW + 1) };
    assert!(!store.replace(1, &relinked).unwrap());
    assert_stored(&store, &x);
    assert_eq!(store.get_by_refresh_lookup("lookup:new").unwrap(), None);

    // Another record's lookup.
    let stolen = SessionRecord { refresh_lookup: y.refresh_lookup.clone(), ..rotated(&x, NOW + 1) };
    assert!(!store.replace(1, &stolen).unwrap());
    assert_stored(&store, &x);
    assert_stored(&store, &y);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![x.clone(), y.clone()]);
}

/// delete with an expected version deletes only that version; without, any version.
pub fn delete_with_and_without_expected_version<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let a = record("a", "u1", NOW);
    let b = record("b", "u1", NOW);
    store.insert(&a).unwrap();
    store.insert(&b).unwrap();

    for wrong in [0, 2, u64::MAX] {
        assert!(!store.delete("a", Some(wrong)).unwrap(), "delete(a, Some({wrong})) should fail");
    }
    assert_stored(&store, &a);
    assert!(store.delete("a", Some(1)).unwrap());
    assert_absent(&store, "a", &a.refresh_lookup);
    assert!(!store.delete("a", Some(1)).unwrap());
    assert!(!store.delete("a", None).unwrap());
    assert_stored(&store, &b);

    assert!(store.delete("b", None).unwrap());
    assert_absent(&store, "b", &b.refresh_lookup);
    assert!(!store.delete("b", None).unwrap());
    assert!(!store.delete("never", None).unwrap());
    assert!(!store.delete("never", Some(1)).unwrap());
    assert_eq!(store.list_for_user("u1").unwrap(), vec![]);

    // After rotations the old versions no longer delete.
    store.insert(&a).unwrap();
    let a2 = rotated(&a, NOW + 1);
    let a3 = rotated(&a2, NOW + 2);
    assert!(store.replace(1, &a2).unwrap());
    assert!(store.replace(2, &a3).unwrap());
    assert!(!store.delete("a", Some(1)).unwrap());
    assert!(!store.delete("a", Some(2)).unwrap());
    assert_stored(&store, &a3);
    assert!(store.delete("a", Some(3)).unwrap());
    assert_absent(&store, "a", &a.refresh_lookup);

    // Deleting frees both the handle and the lookup for reuse.
    store.insert(&a).unwrap();
    assert_stored(&store, &a);
}

/// list_for_user returns only that user's records, in the order they were inserted.
pub fn list_for_user_in_creation_order<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    // Same created_at for all (several sign-ins in one second), handles not in alphabetical order, users whose
    // ids are prefixes or case variants of each other.
    for (handle, user) in [("m", "u1"), ("z", "u10"), ("c", "u1"), ("x", "U1"), ("a", "u1"), ("y", "u"), ("q", "u1")] {
        store.insert(&record(handle, user, NOW)).unwrap();
    }
    assert_eq!(handles(&store.list_for_user("u1").unwrap()), ["m", "c", "a", "q"]);
    assert_eq!(handles(&store.list_for_user("u10").unwrap()), ["z"]);
    assert_eq!(handles(&store.list_for_user("U1").unwrap()), ["x"]);
    assert_eq!(handles(&store.list_for_user("u").unwrap()), ["y"]);
    assert_eq!(store.list_for_user("nobody").unwrap(), vec![]);
    assert_eq!(store.list_for_user("").unwrap(), vec![]);

    // Whole records come back.
    assert_eq!(store.list_for_user("u1").unwrap()[1], record("c", "u1", NOW));

    // A replace keeps the record's place; a delete and re-insert moves it to the end.
    let m2 = rotated(&record("m", "u1", NOW), NOW + 5);
    assert!(store.replace(1, &m2).unwrap());
    let listed = store.list_for_user("u1").unwrap();
    assert_eq!(handles(&listed), ["m", "c", "a", "q"]);
    assert_eq!(listed[0], m2);
    assert!(store.delete("c", None).unwrap());
    store.insert(&record("c", "u1", NOW)).unwrap();
    store.insert(&record("b", "u1", NOW)).unwrap();
    assert_eq!(handles(&store.list_for_user("u1").unwrap()), ["m", "a", "q", "c", "b"]);

    // Expired records are listed too (the caller filters).
    store.insert(&SessionRecord { idle_expires_at: NOW - 1, ..record("old", "u1", NOW - 10) }).unwrap();
    assert_eq!(handles(&store.list_for_user("u1").unwrap()), ["m", "a", "q", "c", "b", "old"]);
}

/// delete_for_user deletes all of one user's records, or all but `keep`, and counts them.
pub fn delete_for_user_with_and_without_keep<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let u1: Vec<_> = ["a", "b", "c"].iter().map(|h| record(h, "u1", NOW)).collect();
    let u2: Vec<_> = ["d", "e"].iter().map(|h| record(h, "u2", NOW)).collect();
    let others = [record("f", "u3", NOW), record("g", "u4", NOW), record("h", "u10", NOW)];
    for r in u1.iter().chain(&u2).chain(&others) {
        store.insert(r).unwrap();
    }

    // Keep one.
    assert_eq!(store.delete_for_user("u1", Some("b")).unwrap(), 2);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![u1[1].clone()]);
    assert_absent(&store, "a", &u1[0].refresh_lookup);
    assert_absent(&store, "c", &u1[2].refresh_lookup);
    assert_eq!(store.list_for_user("u2").unwrap(), u2);
    assert_eq!(store.delete_for_user("u1", Some("b")).unwrap(), 0);
    // Then the rest.
    assert_eq!(store.delete_for_user("u1", None).unwrap(), 1);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![]);
    assert_eq!(store.delete_for_user("u1", None).unwrap(), 0);

    // `keep` naming a missing handle, or another user's, protects nothing of this user and nothing else.
    assert_eq!(store.delete_for_user("u2", Some("missing")).unwrap(), 2);
    assert_eq!(store.list_for_user("u2").unwrap(), vec![]);
    assert_eq!(store.delete_for_user("u3", Some("g")).unwrap(), 1);
    assert_stored(&store, &others[1]);
    assert_eq!(store.delete_for_user("nobody", None).unwrap(), 0);
    assert_eq!(store.delete_for_user("u", None).unwrap(), 0);
    assert_eq!(store.list_for_user("u10").unwrap(), vec![others[2].clone()]);
    assert_stored(&store, &others[2]);

    // Deleted handles and lookups are free again.
    store.insert(&u1[0]).unwrap();
    assert_stored(&store, &u1[0]);
}

/// purge_expired deletes records whose idle or absolute expiry is at or before `now`, and counts them.
pub fn purge_expired_boundaries<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let far = NOW + 100_000;
    let with = |handle: &str, idle: UnixTime, absolute: UnixTime| SessionRecord {
        idle_expires_at: idle,
        absolute_expires_at: absolute,
        ..record(handle, "u1", NOW - 50_000)
    };
    let cases = [
        (with("idle-at-now", NOW, far), true),
        (with("idle-past", NOW - 1, far), true),
        (with("idle-next-second", NOW + 1, far), false),
        (with("absolute-at-now", far, NOW), true),
        (with("absolute-past", far, NOW - 5_000), true),
        (with("absolute-next-second", far, NOW + 1), false),
        (with("both-future", NOW + 10, NOW + 20), false),
        (with("both-past", NOW - 20, NOW - 10), true),
        (with("never", UnixTime::MAX, UnixTime::MAX), false),
    ];
    for (r, expired) in &cases {
        assert_eq!(r.is_expired(NOW), *expired, "test data for {}", r.handle);
        store.insert(r).unwrap();
    }

    // Nothing has expired long before.
    assert_eq!(store.purge_expired(NOW - 100_000).unwrap(), 0);
    assert_eq!(store.list_for_user("u1").unwrap().len(), cases.len());

    assert_eq!(store.purge_expired(NOW).unwrap(), 5);
    for (r, expired) in &cases {
        if *expired {
            assert_absent(&store, &r.handle, &r.refresh_lookup);
        } else {
            assert_stored(&store, r);
        }
    }
    assert_eq!(store.purge_expired(NOW).unwrap(), 0);

    // One second later the "next second" ones go.
    assert_eq!(store.purge_expired(NOW + 1).unwrap(), 2);
    assert_eq!(handles(&store.list_for_user("u1").unwrap()), ["both-future", "never"]);
    assert_eq!(store.purge_expired(UnixTime::MAX - 1).unwrap(), 1);
    assert_eq!(handles(&store.list_for_user("u1").unwrap()), ["never"]);
    assert_eq!(store.purge_expired(UnixTime::MAX).unwrap(), 1);
    assert_eq!(store.list_for_user("u1").unwrap(), vec![]);
}

/// load_keys / save_keys: compare-and-swap on the version, and a faithful round trip of the keys.
pub fn keys_compare_and_swap<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    let (k1, k2, k3) = (sample_keys("one"), sample_keys("two"), sample_keys("three"));
    assert_eq!(store.load_keys().unwrap(), None);

    // Nothing stored: only `None` may save.
    for wrong in [0, 1, u64::MAX] {
        assert!(!store.save_keys(Some(wrong), &k1).unwrap(), "save_keys(Some({wrong})) on an empty store");
    }
    assert_eq!(store.load_keys().unwrap(), None);
    assert!(store.save_keys(None, &k1).unwrap());
    let ring = |version, keys: &Vec<StoredKey>| Some(StoredKeyRing { version, keys: keys.clone() });
    assert_eq!(store.load_keys().unwrap(), ring(1, &k1));

    // Something stored: `None` and wrong versions are refused, unchanged.
    assert!(!store.save_keys(None, &k2).unwrap());
    for wrong in [0, 2, u64::MAX] {
        assert!(!store.save_keys(Some(wrong), &k2).unwrap(), "save_keys(Some({wrong})) at version 1");
    }
    assert_eq!(store.load_keys().unwrap(), ring(1, &k1));

    assert!(store.save_keys(Some(1), &k2).unwrap());
    assert_eq!(store.load_keys().unwrap(), ring(2, &k2));
    // The writer that also read version 1 loses.
    assert!(!store.save_keys(Some(1), &k3).unwrap());
    assert_eq!(store.load_keys().unwrap(), ring(2, &k2));

    // An empty ring is a ring.
    assert!(store.save_keys(Some(2), &[]).unwrap());
    assert_eq!(store.load_keys().unwrap(), ring(3, &vec![]));
    assert!(store.save_keys(Some(3), &k3).unwrap());
    let loaded = store.load_keys().unwrap().unwrap();
    assert_eq!(loaded.version, 4);
    assert_eq!(loaded.keys, k3);
    // Field by field (StoredKey's Debug hides the key material, so say which field differs).
    for (got, want) in loaded.keys.iter().zip(&k3) {
        assert_eq!(got.kid, want.kid);
        assert_eq!(got.algorithm, want.algorithm);
        assert_eq!(got.private_der, want.private_der, "private_der of {}", want.kid);
        assert_eq!((got.activates_at, got.retires_at, got.revoked), (want.activates_at, want.retires_at, want.revoked));
    }

    // Keys and sessions are independent.
    store.insert(&record("s", "u1", NOW)).unwrap();
    assert_eq!(store.delete_for_user("u1", None).unwrap(), 1);
    assert_eq!(store.purge_expired(UnixTime::MAX).unwrap(), 0);
    assert_eq!(store.load_keys().unwrap().unwrap().version, 4);
}

/// Threads sharing one store all replace from the same version at once: exactly one wins.
pub fn concurrent_replace_has_one_winner<S: SessionStore>(make_store: impl Fn() -> S) {
    replace_race(&[Arc::new(make_store())], 8, 20);
}

/// Threads insert the same handle / the same lookup / the first key ring at once: exactly one wins each.
pub fn concurrent_insert_and_key_save_have_one_winner<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = Arc::new(make_store());
    insert_race(std::slice::from_ref(&store), 8);
    keys_race(&[store], 8);
}

/// `threads` threads (thread `i` using `stores[i % len]`) race `replace` from the same version, `rounds` times,
/// then race `replace` against `delete` with the expected version. Exactly one wins every race.
pub fn replace_race<S: SessionStore>(stores: &[Arc<S>], threads: usize, rounds: u64) {
    let base = rich_record("race", "racer", NOW);
    let base = SessionRecord { version: 1, ..base };
    stores[0].insert(&base).unwrap();
    let mut current = base;
    for round in 0..rounds {
        let barrier = Barrier::new(threads);
        let candidates: Vec<SessionRecord> = (0..threads)
            .map(|i| SessionRecord { data: json!({ "writer": i, "round": round }), ..rotated(&current, NOW + 1) })
            .collect();
        let results: Vec<bool> = std::thread::scope(|scope| {
            let handles: Vec<_> = candidates
                .iter()
                .enumerate()
                .map(|(i, candidate)| {
                    let store = Arc::clone(&stores[i % stores.len()]);
                    let (barrier, expected) = (&barrier, current.version);
                    scope.spawn(move || {
                        barrier.wait();
                        store.replace(expected, candidate).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(winners(&results), 1, "round {round}: replace results {results:?}");
        let winner = &candidates[results.iter().position(|ok| *ok).unwrap()];
        for store in stores {
            assert_stored(&**store, winner);
        }
        current = winner.clone();
    }

    // replace against delete, both guarded by the same version: one wins, and the outcome is consistent.
    let barrier = Barrier::new(threads);
    let successor = rotated(&current, NOW + 2);
    let results: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let store = Arc::clone(&stores[i % stores.len()]);
                let (barrier, current, successor) = (&barrier, &current, &successor);
                scope.spawn(move || {
                    barrier.wait();
                    if i % 2 == 0 {
                        store.delete(&current.handle, Some(current.version)).unwrap()
                    } else {
                        store.replace(current.version, successor).unwrap()
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(winners(&results), 1, "replace/delete results {results:?}");
    let deleted = results.iter().step_by(2).any(|ok| *ok);
    for store in stores {
        if deleted {
            assert_absent(&**store, &current.handle, &current.refresh_lookup);
        } else {
            assert_stored(&**store, &successor);
        }
    }
}

/// `threads` threads race to insert records sharing a handle, then records sharing a refresh lookup:
/// exactly one insert succeeds each time, the others fail with `invalid_argument`.
pub fn insert_race<S: SessionStore>(stores: &[Arc<S>], threads: usize) {
    fn same_handle(i: usize) -> SessionRecord {
        SessionRecord { refresh_lookup: format!("lookup:h{i}"), ..record("one-handle", "u1", NOW) }
    }
    fn same_lookup(i: usize) -> SessionRecord {
        SessionRecord { refresh_lookup: "lookup:shared".into(), ..record(&format!("h{i}"), "u2", NOW) }
    }
    for (kind, make) in [("same handle", same_handle as fn(usize) -> SessionRecord), ("same lookup", same_lookup)] {
        let barrier = Barrier::new(threads);
        let candidates: Vec<SessionRecord> = (0..threads).map(make).collect();
        let results: Vec<Result<(), Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = candidates
                .iter()
                .enumerate()
                .map(|(i, candidate)| {
                    let store = Arc::clone(&stores[i % stores.len()]);
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        store.insert(candidate)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ok: Vec<bool> = results.iter().map(Result::is_ok).collect();
        assert_eq!(winners(&ok), 1, "{kind}: insert results {results:?}");
        for result in results.into_iter().filter(Result::is_err) {
            assert_invalid_argument(result);
        }
        let winner = &candidates[ok.iter().position(|ok| *ok).unwrap()];
        for store in stores {
            assert_stored(&**store, winner);
            assert_eq!(store.list_for_user(&winner.user_id).unwrap(), vec![winner.clone()]);
        }
    }
}

/// `threads` threads race to save the first key ring, then to save over version 1: one wins each time.
pub fn keys_race<S: SessionStore>(stores: &[Arc<S>], threads: usize) {
    for expected in [None, Some(1)] {
        let barrier = Barrier::new(threads);
        let candidates: Vec<Vec<StoredKey>> =
            (0..threads).map(|i| sample_keys(&format!("t{i}-{expected:?}"))).collect();
        let results: Vec<bool> = std::thread::scope(|scope| {
            let handles: Vec<_> = candidates
                .iter()
                .enumerate()
                .map(|(i, keys)| {
                    let store = Arc::clone(&stores[i % stores.len()]);
                    let barrier = &barrier;
                    scope.spawn(move || {
                        barrier.wait();
                        store.save_keys(expected, keys).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(winners(&results), 1, "save_keys({expected:?}) results {results:?}");
        let winner = &candidates[results.iter().position(|ok| *ok).unwrap()];
        let version = expected.map_or(1, |v| v + 1);
        for store in stores {
            assert_eq!(store.load_keys().unwrap(), Some(StoredKeyRing { version, keys: winner.clone() }));
        }
    }
}

/// 200 records across 5 users: lookups, listing, delete_for_user and purge stay exact at scale.
pub fn many_handles<S: SessionStore>(make_store: impl Fn() -> S) {
    const RECORDS: usize = 200;
    const USERS: usize = 5;
    let store = make_store();
    let all: Vec<SessionRecord> = (0..RECORDS)
        .map(|i| {
            // Handles in scrambled alphabetical order; expiries spread out.
            let handle = format!("s-{:04x}-{i}", (i * 7919) % 65_521);
            SessionRecord {
                idle_expires_at: NOW + i as UnixTime,
                data: json!({ "i": i }),
                ..record(&handle, &format!("user-{}", i % USERS), NOW)
            }
        })
        .collect();
    for r in &all {
        store.insert(r).unwrap();
    }
    let of_user =
        |u: usize| -> Vec<SessionRecord> { all.iter().filter(|r| r.user_id == format!("user-{u}")).cloned().collect() };
    for u in 0..USERS {
        assert_eq!(store.list_for_user(&format!("user-{u}")).unwrap(), of_user(u), "user-{u}");
    }
    for r in all.iter().step_by(7) {
        assert_stored(&store, r);
    }

    // Keep the third session of user-0, drop the rest of user-0 and all of user-1.
    let keep = of_user(0)[2].clone();
    assert_eq!(store.delete_for_user("user-0", Some(&keep.handle)).unwrap(), (RECORDS / USERS - 1) as u64);
    assert_eq!(store.list_for_user("user-0").unwrap(), vec![keep.clone()]);
    assert_eq!(store.delete_for_user("user-1", None).unwrap(), (RECORDS / USERS) as u64);
    assert_eq!(store.list_for_user("user-1").unwrap(), vec![]);
    for u in 2..USERS {
        assert_eq!(store.list_for_user(&format!("user-{u}")).unwrap(), of_user(u), "user-{u} untouched");
    }

    // Purge at NOW + 100: the survivors with idle expiry at or before it go.
    let survivors: Vec<&SessionRecord> =
        all.iter().filter(|r| *r == &keep || !["user-0", "user-1"].contains(&r.user_id.as_str())).collect();
    let cutoff = NOW + 100;
    let expected = survivors.iter().filter(|r| r.is_expired(cutoff)).count();
    assert!(expected > 0 && expected < survivors.len());
    assert_eq!(store.purge_expired(cutoff).unwrap(), expected as u64);
    for r in survivors {
        if r.is_expired(cutoff) {
            assert_absent(&store, &r.handle, &r.refresh_lookup);
        } else {
            assert_stored(&store, r);
        }
    }
    for u in 2..USERS {
        let want: Vec<_> = of_user(u).into_iter().filter(|r| !r.is_expired(cutoff)).collect();
        assert_eq!(store.list_for_user(&format!("user-{u}")).unwrap(), want);
    }
}

/// Floating-point numbers in claims and data come back bit for bit (not in the default list: a store that
/// keeps JSON as text needs serde_json's `float_roundtrip` feature for this).
pub fn floats_round_trip_exactly<S: SessionStore>(make_store: impl Fn() -> S) {
    let store = make_store();
    // Values whose shortest decimal form the default (fast, approximate) serde_json parser gets wrong by one ulp,
    // plus a spread of ordinary ones.
    let mut floats = vec![0.9856906946328695, 0.21291890726713458, 1.0715660391465826e-75, 0.1, 1.0 / 3.0, -2.5e300];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        floats.push((state >> 11) as f64 / (1u64 << 53) as f64);
    }
    let r = SessionRecord {
        access_claims: object(json!({ "score": floats[0] })),
        data: json!({ "floats": floats }),
        ..record("floats", "u1", NOW)
    };
    store.insert(&r).unwrap();
    let back = store.get("floats").unwrap().unwrap();
    let got: Vec<u64> = back.data["floats"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap().to_bits()).collect();
    let want: Vec<u64> = floats.iter().map(|f| f.to_bits()).collect();
    let wrong = got.iter().zip(&want).filter(|(g, w)| g != w).count();
    assert_eq!(wrong, 0, "{wrong} of {} floats changed in the store", want.len());
    assert_eq!(back, r);
}
