//! The one error type of sessionward, with stable codes shared by every binding.

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Why a token or session was refused with [`Error::Unauthorised`].
///
/// The reason is for logs and tests; clients see only the stable code `unauthorised`, so that an attacker
/// learns nothing about which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthorisedReason {
    /// The request carried no token.
    Missing,
    /// The token is not a well-formed compact JWS / refresh token.
    Malformed,
    /// The header names an algorithm other than the one pinned to its key, or `none`.
    Algorithm,
    /// The header names a `kid` the key ring does not hold.
    UnknownKey,
    /// The header carries a parameter sessionward refuses (`jwk`, `jku`, `x5u`, `x5c`, `crit`, ...) or a
    /// `typ` other than `at+jwt`.
    Header,
    /// The signature does not verify.
    Signature,
    /// `iss`, `aud` or a time claim is wrong, or a required claim is missing.
    Claims,
    /// A cookie-mode request failed the CSRF check (header missing or not matching).
    Csrf,
    /// The session is unknown or was revoked.
    SessionRevoked,
    /// The session passed its idle timeout or absolute lifetime.
    SessionExpired,
}

impl UnauthorisedReason {
    /// Every reason, for bindings that publish the list.
    pub const ALL: [UnauthorisedReason; 10] = [
        Self::Missing,
        Self::Malformed,
        Self::Algorithm,
        Self::UnknownKey,
        Self::Header,
        Self::Signature,
        Self::Claims,
        Self::Csrf,
        Self::SessionRevoked,
        Self::SessionExpired,
    ];

    fn describe(self) -> &'static str {
        match self {
            Self::Missing => "no token was presented; sign in",
            Self::Malformed => "the token is malformed; sign in again",
            Self::Algorithm => "the token's algorithm is not the one pinned to its key; sign in again",
            Self::UnknownKey => "the token names an unknown signing key; sign in again",
            Self::Header => "the token header carries a parameter that is refused; sign in again",
            Self::Signature => "the token signature does not verify; sign in again",
            Self::Claims => "the token claims are invalid for this issuer/audience; sign in again",
            Self::Csrf => {
                "the CSRF header is missing or does not match; send the front token's csrf value in the CSRF header"
            }
            Self::SessionRevoked => "the session is unknown or was revoked; sign in again",
            Self::SessionExpired => "the session has expired; sign in again",
        }
    }
}

/// Every failure sessionward reports. Each variant has a stable [`Error::code`].
///
/// Messages say what was wrong and what to do; they never contain a token, a secret or a key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The access token has expired (or its signing key was revoked): the client should refresh.
    #[error("access token expired or its signing key was retired: refresh the session and retry")]
    TryRefresh,

    /// The token or session is not valid; the client must sign in again.
    #[error("unauthorised: {}", reason.describe())]
    Unauthorised {
        /// Which check failed (for logs; not sent to clients).
        reason: UnauthorisedReason,
    },

    /// A superseded refresh token was replayed: the session has been revoked.
    #[error(
        "refresh token reuse detected for session {session_handle} (user {user_id}): the session was revoked; \
         the user must sign in again"
    )]
    TokenTheft {
        /// The session that was revoked.
        session_handle: String,
        /// The user the session belonged to.
        user_id: String,
    },

    /// A verified token lacks a claim value the route requires (answer 403).
    #[error("claim `{claim}` check failed: {message}")]
    InvalidClaim {
        /// The claim name.
        claim: String,
        /// What was expected.
        message: String,
    },

    /// The application passed a value sessionward refuses (reserved claim, oversized token, bad id, ...).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// The configuration or a key is unusable (weak key, unknown algorithm, inconsistent lifetimes, ...).
    #[error("bad configuration: {0}")]
    Config(String),

    /// The session store could not be reached or failed; the operation left no partial state and may be retried.
    #[error("session store unavailable: {0}; retry later")]
    StoreUnavailable(String),
}

impl Error {
    /// The stable machine-readable code: the same string in Rust, Python (`.code`) and Node (`err.code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::TryRefresh => "try_refresh",
            Self::Unauthorised { .. } => "unauthorised",
            Self::TokenTheft { .. } => "token_theft",
            Self::InvalidClaim { .. } => "invalid_claim",
            Self::InvalidArgument(_) => "invalid_argument",
            Self::Config(_) => "bad_configuration",
            Self::StoreUnavailable(_) => "store_unavailable",
        }
    }

    /// The HTTP status a web framework should answer with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TryRefresh | Self::Unauthorised { .. } | Self::TokenTheft { .. } => 401,
            Self::InvalidClaim { .. } => 403,
            Self::InvalidArgument(_) => 400,
            Self::Config(_) => 500,
            Self::StoreUnavailable(_) => 503,
        }
    }

    /// The fixed sentence a web framework sends in the JSON body with [`Error::code`]. Unlike the message
    /// (which may name the session, the user or the failed check, and is for logs), it says nothing about
    /// which check failed. The Python and Node packages send these same sentences.
    pub fn public_message(&self) -> &'static str {
        match self {
            Self::TryRefresh => "The access token has expired: refresh the session and retry.",
            Self::Unauthorised { .. } => "Not signed in, or the session is no longer valid: sign in again.",
            Self::TokenTheft { .. } => "The session was ended because a refresh token was used twice: sign in again.",
            Self::InvalidClaim { .. } => "The session does not grant access to this resource.",
            Self::InvalidArgument(_) => "The request was refused as malformed.",
            Self::Config(_) => "The server's session configuration is invalid.",
            Self::StoreUnavailable(_) => "The session store is unavailable: retry later.",
        }
    }

    /// All codes, for bindings and documentation that must list them.
    pub const CODES: [&'static str; 7] = [
        "try_refresh",
        "unauthorised",
        "token_theft",
        "invalid_claim",
        "invalid_argument",
        "bad_configuration",
        "store_unavailable",
    ];

    /// One error of each code, in the order of [`Error::CODES`], with empty details: for bindings and web
    /// integrations that must list every code's [`Error::http_status`] and [`Error::public_message`].
    pub fn one_of_each() -> [Error; 7] {
        [
            Self::TryRefresh,
            Self::unauthorised(UnauthorisedReason::Missing),
            Self::TokenTheft { session_handle: String::new(), user_id: String::new() },
            Self::InvalidClaim { claim: String::new(), message: String::new() },
            Self::InvalidArgument(String::new()),
            Self::Config(String::new()),
            Self::StoreUnavailable(String::new()),
        ]
    }

    pub(crate) fn unauthorised(reason: UnauthorisedReason) -> Self {
        Self::Unauthorised { reason }
    }

    pub(crate) fn store(context: &str, err: impl std::fmt::Display) -> Self {
        Self::StoreUnavailable(format!("{context}: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_listed() {
        let all = [
            Error::TryRefresh,
            Error::unauthorised(UnauthorisedReason::Signature),
            Error::TokenTheft { session_handle: "s".into(), user_id: "u".into() },
            Error::InvalidClaim { claim: "role".into(), message: "x".into() },
            Error::InvalidArgument("x".into()),
            Error::Config("x".into()),
            Error::StoreUnavailable("x".into()),
        ];
        let codes: Vec<_> = all.iter().map(Error::code).collect();
        assert_eq!(codes, Error::CODES);
        let listed: Vec<_> = Error::one_of_each().iter().map(|e| (e.code(), e.http_status())).collect();
        assert_eq!(listed, all.iter().map(|e| (e.code(), e.http_status())).collect::<Vec<_>>());
        assert_eq!(all[3].http_status(), 403);
        assert_eq!(all[2].http_status(), 401);
    }

    #[test]
    fn public_messages_are_fixed_and_name_nothing() {
        let theft = Error::TokenTheft { session_handle: "handle-1".into(), user_id: "user-1".into() };
        assert_eq!(
            theft.public_message(),
            "The session was ended because a refresh token was used twice: sign in again."
        );
        assert!(!theft.public_message().contains("handle-1") && !theft.public_message().contains("user-1"));
        // Every reason gets the same sentence: clients learn nothing about which check failed.
        let sentences: std::collections::HashSet<_> =
            UnauthorisedReason::ALL.iter().map(|r| Error::unauthorised(*r).public_message()).collect();
        assert_eq!(sentences.len(), 1);
        assert_eq!(Error::TryRefresh.public_message(), "The access token has expired: refresh the session and retry.");
        assert_eq!(
            Error::StoreUnavailable("db down".into()).public_message(),
            "The session store is unavailable: retry later."
        );
    }
}
