//! What the tests of server-backed stores share: whether a server may be skipped, and unique name prefixes.
//!
//! A test binary probes its server once. When the server does not answer, its tests are skipped with a message
//! saying how to run them, unless `SESSIONWARD_REQUIRE_SERVICES` is set (CI sets it): then they fail.

use std::io::Write;
use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Whether `SESSIONWARD_REQUIRE_SERVICES` turns a missing server into a failure.
pub fn required() -> bool {
    std::env::var_os("SESSIONWARD_REQUIRE_SERVICES").is_some_and(|v| !v.is_empty())
}

/// The verdict on one probe of `what` (e.g. `"Redis at redis://…"`): `true` if it answered; `false` (after
/// printing `how` to run the tests) if not; a panic if not and servers are required.
pub fn usable(what: &str, probe: &Result<(), String>, how: &str) -> bool {
    match probe {
        Ok(()) => true,
        Err(err) if required() => panic!("{what} not reachable ({err}) and SESSIONWARD_REQUIRE_SERVICES is set"),
        Err(err) => {
            // Once per test binary, and straight to stderr, past the test harness's capture.
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping: {what} not reachable; {how} (CI sets SESSIONWARD_REQUIRE_SERVICES=1 to make this a \
                     failure) [{err}]"
                );
            });
            false
        }
    }
}

/// A name prefix no other test, in this process or another, uses: `{tag}{pid}{time}{count}{separator}`.
pub fn unique_prefix(tag: &str, separator: char) -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    // 48 bits of the clock keep the prefix short (PostgreSQL table prefixes are limited to 32 characters).
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() & 0xffff_ffff_ffff;
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    format!("{tag}{:x}{nanos:x}{separator}{n}{separator}", std::process::id())
}
