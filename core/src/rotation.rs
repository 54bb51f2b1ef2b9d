//! The refresh-token rotation rules as a pure state machine (see `docs/rotation.md`).
//!
//! [`decide`] looks at a session record and a presented token and says what must happen; the manager then
//! applies the outcome with one compare-and-swap in the store. If the swap loses a race, the manager reads
//! the record again and asks again, so concurrent refreshes converge: the loser finds its token is now the
//! *previous* one and is handed the winner's successor.

use crate::UnixTime;
use crate::refresh::{RefreshToken, hashes_equal};
use crate::session::SessionRecord;

/// What a refresh attempt leads to.
#[derive(Debug)]
pub(crate) enum Decision {
    /// The current token: rotate to a new generation.
    Rotate,
    /// The immediate predecessor, inside the grace window: hand back the existing successor unchanged.
    ReplayInGrace(RefreshToken),
    /// Any other token of the chain (outside the window, or two or more generations back): revoke.
    Theft,
    /// The session is past its idle or absolute expiry.
    Expired,
}

/// Decide the outcome of presenting `token` for `record` at `now`.
pub(crate) fn decide(record: &SessionRecord, token: &RefreshToken, now: UnixTime, grace_period: i64) -> Decision {
    if record.is_expired(now) {
        return Decision::Expired;
    }
    let presented = token.secret_hash();
    if hashes_equal(&presented, &record.current_hash) {
        return Decision::Rotate;
    }
    let is_previous = record.previous_hash.is_some_and(|prev| hashes_equal(&presented, &prev));
    if is_previous && now < record.refreshed_at.saturating_add(grace_period) {
        let successor = token.successor(&record.rotation_nonce);
        // The derivation must land on the stored current hash; anything else is not our chain.
        if hashes_equal(&successor.secret_hash(), &record.current_hash) {
            return Decision::ReplayInGrace(successor);
        }
    }
    Decision::Theft
}

/// The record after rotating from `token` at `now`, and the new token.
pub(crate) fn rotate(
    record: &SessionRecord,
    token: &RefreshToken,
    nonce: [u8; 32],
    now: UnixTime,
    idle_timeout: i64,
) -> (SessionRecord, RefreshToken) {
    let next = token.successor(&nonce);
    let mut updated = record.clone();
    updated.previous_hash = Some(record.current_hash);
    updated.current_hash = next.secret_hash();
    updated.rotation_nonce = nonce;
    updated.generation += 1;
    updated.version += 1;
    updated.refreshed_at = now;
    updated.idle_expires_at = now.saturating_add(idle_timeout).min(record.absolute_expires_at);
    (updated, next)
}
