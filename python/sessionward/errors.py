"""The exceptions sessionward raises. Each carries a stable ``code`` and the HTTP ``status_code`` to answer with.

The same codes appear in Rust (``Error::code``) and Node (``err.code``).
"""

from __future__ import annotations

__all__ = [
    "UNAUTHORISED_REASONS",
    "SessionwardError",
    "TryRefreshError",
    "UnauthorisedError",
    "TokenTheftError",
    "InvalidClaimError",
    "InvalidArgumentError",
    "ConfigurationError",
    "StoreUnavailableError",
]


#: The values of :attr:`UnauthorisedError.reason` (the names of the Rust ``UnauthorisedReason`` variants).
UNAUTHORISED_REASONS = frozenset(
    {"Missing", "Malformed", "Algorithm", "UnknownKey", "Header", "Signature", "Claims", "Csrf", "SessionRevoked", "SessionExpired"}
)


class SessionwardError(Exception):
    """Base class of every sessionward error."""

    code: str = "sessionward_error"
    status_code: int = 500
    public_message: str = "The session request failed."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The JSON body a web framework sends: the code and a fixed public sentence. ``message`` (which may
        name the session, the user or the failed check) is for logs only."""
        return {"error": self.code, "message": self.public_message}


class TryRefreshError(SessionwardError):
    """The access token expired (or its key was retired): refresh and retry."""

    code = "try_refresh"
    status_code = 401
    public_message = "The access token has expired: refresh the session and retry."


class UnauthorisedError(SessionwardError):
    """The token or session is not valid: sign in again.

    ``reason`` says which check failed, for logs and integrations (never send it to clients). It is one of
    :data:`UNAUTHORISED_REASONS`: ``"Missing"`` (no token), ``"Malformed"``, ``"Algorithm"``, ``"UnknownKey"``,
    ``"Header"``, ``"Signature"``, ``"Claims"``, ``"Csrf"`` (CSRF header missing or wrong), ``"SessionRevoked"``,
    ``"SessionExpired"``.
    """

    code = "unauthorised"
    status_code = 401
    public_message = "Not signed in, or the session is no longer valid: sign in again."

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class TokenTheftError(SessionwardError):
    """A superseded refresh token was replayed; the session has been revoked."""

    code = "token_theft"
    status_code = 401
    public_message = "The session was ended because a refresh token was used twice: sign in again."

    def __init__(self, message: str, session_handle: str, user_id: str) -> None:
        super().__init__(message)
        self.session_handle = session_handle
        self.user_id = user_id


class InvalidClaimError(SessionwardError):
    """A verified token lacks a claim the route requires (HTTP 403)."""

    code = "invalid_claim"
    status_code = 403
    public_message = "The session does not grant access to this resource."

    def __init__(self, message: str, claim: str = "") -> None:
        super().__init__(message)
        self.claim = claim


class InvalidArgumentError(SessionwardError, ValueError):
    """The application passed a value sessionward refuses (reserved claim, oversized token, ...)."""

    code = "invalid_argument"
    status_code = 400
    public_message = "The request was refused as malformed."


class ConfigurationError(SessionwardError, ValueError):
    """The configuration or a key is unusable (weak key, unknown algorithm, inconsistent lifetimes)."""

    code = "bad_configuration"
    status_code = 500
    public_message = "The server's session configuration is invalid."


class StoreUnavailableError(SessionwardError):
    """The session store failed; nothing was half-written and the call may be retried (HTTP 503)."""

    code = "store_unavailable"
    status_code = 503
    public_message = "The session store is unavailable: retry later."
