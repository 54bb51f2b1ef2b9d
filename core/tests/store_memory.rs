//! The store conformance suite against `MemoryStore`.
#[macro_use]
mod conformance;

use sessionward::MemoryStore;
use std::sync::Arc;

conformance_tests!(MemoryStore::new);

/// The whole suite once more through the `Arc<S>` forwarding impl.
#[test]
fn suite_through_arc() {
    conformance::run_all(|| Arc::new(MemoryStore::new()));
}

#[test]
fn floats_round_trip_exactly() {
    conformance::floats_round_trip_exactly(MemoryStore::new);
}
