"""Framework-free helpers shared by the web integrations (FastAPI, Starlette, Django).

Every integration does the same four things, and does them here so that status codes, bodies and cookies are
identical whatever the framework:

- read a request's credentials (:class:`RequestCredentials`) and hand them to :class:`~sessionward.HttpSessions`;
- turn a :class:`~sessionward.SessionwardError` into a response (:meth:`Sessionward.error_response`): the status
  of its code, a JSON body ``{"error": code, "message": ...}`` whose message is a fixed public sentence (the
  exception's own message names the failed check, the session handle or store internals, which are for logs
  only), ``WWW-Authenticate`` for bearer clients, and cookie deletion when the session is known to be dead;
- answer sign-in and refresh with :meth:`Sessionward.login_response_data` (tokens in the body only for bearer
  clients) and the ``Set-Cookie`` values of :meth:`~sessionward.HttpSessions.session_cookies`;
- parse the refresh/sign-out body of bearer clients (:func:`parse_refresh_body`).

This module imports no web framework.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional

from . import errors
from ._native import AccessClaims, HttpSessions, IssuedTokens, Session
from ._native import SessionManager as _NativeSessionManager
from .errors import (
    InvalidArgumentError,
    InvalidClaimError,
    SessionwardError,
    TokenTheftError,
    TryRefreshError,
    UnauthorisedError,
)

__all__ = [
    "MAX_REFRESH_BODY_BYTES",
    "PUBLIC_MESSAGES",
    "STATUS_BY_CODE",
    "ErrorResponse",
    "RequestCredentials",
    "Sessionward",
    "clears_cookies",
    "error_response_body",
    "is_missing_token",
    "parse_refresh_body",
    "status_for",
]

logger = logging.getLogger("sessionward")

#: The HTTP status of each error code (the same table as the Rust core's ``Error::http_status``).
STATUS_BY_CODE: dict[str, int] = {
    "try_refresh": 401,
    "unauthorised": 401,
    "token_theft": 401,
    "invalid_claim": 403,
    "invalid_argument": 400,
    "bad_configuration": 500,
    "store_unavailable": 503,
}

#: The ``message`` sent to clients for each code. Exception messages are not sent: they name the check that
#: failed (``UnauthorisedError.reason``), the session and user of a theft, or store and configuration details.
PUBLIC_MESSAGES: dict[str, str] = {
    cls.code: cls.public_message
    for cls in (
        errors.TryRefreshError,
        errors.UnauthorisedError,
        errors.TokenTheftError,
        errors.InvalidClaimError,
        errors.InvalidArgumentError,
        errors.ConfigurationError,
        errors.StoreUnavailableError,
    )
}
_GENERIC_MESSAGE = "The session request failed."

#: The largest refresh or sign-out request body read from a bearer client (a refresh token is 68 characters).
MAX_REFRESH_BODY_BYTES = 16_384

# `UnauthorisedError.reason` values for which the session cookies are left alone:
# - "Missing": nothing to delete, and a cross-site request (which carries no SameSite cookies) must not be
#   able to sign the user out by provoking the deletion;
# - "Csrf": the request is presumably forged; the victim's session is fine;
# - "UnknownKey": after a key rotation an instance that has not yet reloaded the shared key ring refuses
#   tokens signed by the new key; the session is fine.
_KEEP_COOKIES_REASONS = frozenset({"Missing", "Csrf", "UnknownKey"})


def status_for(err: SessionwardError) -> int:
    """The HTTP status to answer ``err`` with: 401, 403, 400, 500 or 503 by its code."""
    status = STATUS_BY_CODE.get(err.code)
    if status is not None:
        return status
    return int(getattr(err, "status_code", 500))


def error_response_body(err: SessionwardError) -> dict[str, str]:
    """The JSON body of an error response: ``{"error": code, "message": public sentence}``.

    The message is the fixed sentence of :data:`PUBLIC_MESSAGES`, never ``str(err)`` (see the module doc).
    """
    return {"error": err.code, "message": PUBLIC_MESSAGES.get(err.code, _GENERIC_MESSAGE)}


def is_missing_token(err: SessionwardError) -> bool:
    """Whether ``err`` means "the request carried no token at all" (not "a token was refused")."""
    return isinstance(err, UnauthorisedError) and err.reason == "Missing"


def clears_cookies(err: SessionwardError) -> bool:
    """Whether the response to ``err`` should delete the session cookies (in cookie and both modes).

    Yes for ``token_theft`` (the session was revoked) and for ``unauthorised`` when a token was refused or the
    session is gone, so that a browser stops sending dead or foreign cookies. No when the request carried no
    token, failed the CSRF check, or named a signing key this instance does not know yet.
    """
    if isinstance(err, TokenTheftError):
        return True
    if isinstance(err, UnauthorisedError):
        return err.reason not in _KEEP_COOKIES_REASONS
    return False


def parse_refresh_body(body: bytes, content_type: Optional[str]) -> Optional[str]:
    """The ``refresh_token`` of a bearer client's refresh or sign-out body, ``{"refresh_token": "swr_..."}``.

    An empty body or one without the member gives ``None`` (the core then answers ``unauthorised``). A body
    that is not sent as ``application/json``, is not a JSON object, is larger than
    :data:`MAX_REFRESH_BODY_BYTES`, or whose member is not a string raises
    :class:`~sessionward.InvalidArgumentError` (HTTP 400). Requiring JSON matters: a cross-site form can post
    ``text/plain`` without a CORS preflight, and in ``both`` mode a refresh answered with cookies would sign
    the victim's browser into the attacker's session.
    """
    if len(body) > MAX_REFRESH_BODY_BYTES:
        raise InvalidArgumentError(f"the request body is larger than {MAX_REFRESH_BODY_BYTES} bytes")
    if not body.strip():
        return None
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise InvalidArgumentError("send the refresh token as a JSON body with Content-Type: application/json")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise InvalidArgumentError('the request body must be a JSON object such as {"refresh_token": "..."}') from None
    if not isinstance(data, dict):
        raise InvalidArgumentError('the request body must be a JSON object such as {"refresh_token": "..."}')
    token = data.get("refresh_token")
    if token is None:
        return None
    if not isinstance(token, str):
        raise InvalidArgumentError("refresh_token must be a string")
    return token


@dataclass(frozen=True)
class RequestCredentials:
    """The request headers sessionward reads, as received (``None`` when absent)."""

    method: str
    cookie: Optional[str] = None
    authorization: Optional[str] = None
    csrf: Optional[str] = None


class ErrorResponse(NamedTuple):
    """A framework-neutral error response: status, JSON body, and headers (``Set-Cookie`` may repeat)."""

    status: int
    body: dict[str, str]
    headers: list[tuple[str, str]]


class Sessionward:
    """A :class:`~sessionward.SessionManager` and its :class:`HttpSessions`, with the request/response glue
    every framework integration shares. Holds no per-request state; share one per application.

    Store-touching calls have an ``a``-prefixed twin that runs them in a worker thread (``asyncio.to_thread``)
    so that an event loop never blocks; :meth:`authenticate` touches no store and is always synchronous.
    """

    def __init__(self, manager: _NativeSessionManager, http: Optional[HttpSessions] = None) -> None:
        self.manager = manager
        self.http = http if http is not None else HttpSessions()

    # -- transport mode -----------------------------------------------------------------------------------

    @property
    def uses_cookies(self) -> bool:
        """Whether sessions travel in cookies (modes ``cookie`` and ``both``)."""
        return bool(self.http.mode != "header")

    @property
    def returns_tokens(self) -> bool:
        """Whether response bodies carry the tokens and requests may bring them in headers/bodies (modes
        ``header`` and ``both``)."""
        return bool(self.http.mode != "cookie")

    # -- requests -----------------------------------------------------------------------------------------

    def read_credentials(self, method: str, get_header: Callable[[str], Optional[str]]) -> RequestCredentials:
        """Collect a request's credentials. ``get_header(name)`` returns the value of a header (lower-case name,
        case-insensitive lookup) or ``None``; the CSRF header read is the one :attr:`HttpSessions.csrf_header`
        names. Join repeated ``Cookie`` headers with ``"; "`` before (HTTP/2 may split them)."""
        csrf_header = self.http.csrf_header
        return RequestCredentials(
            method=method,
            cookie=get_header("cookie"),
            authorization=get_header("authorization"),
            csrf=get_header(csrf_header) if csrf_header else None,
        )

    def authenticate(self, credentials: RequestCredentials) -> AccessClaims:
        """The verified claims of the request's access token (and, for a cookie on a state-changing method,
        the CSRF check). Raises ``TryRefreshError`` when expired and ``UnauthorisedError`` otherwise, including
        when the request carries no token."""
        return self.http.authenticate(
            self.manager,
            method=credentials.method,
            cookie=credentials.cookie,
            authorization=credentials.authorization,
            csrf=credentials.csrf,
        )

    def authenticate_optional(self, credentials: RequestCredentials) -> Optional[AccessClaims]:
        """Like :meth:`authenticate`, but ``None`` when the request carries no token at all. A token that is
        present but expired, invalid or failing the CSRF check still raises: the client must refresh or sign in
        again rather than be silently treated as anonymous."""
        try:
            return self.authenticate(credentials)
        except UnauthorisedError as err:
            if is_missing_token(err):
                return None
            raise

    def authenticate_live(self, credentials: RequestCredentials) -> AccessClaims:
        """:meth:`authenticate`, then check in the store that the session is still alive, so that a revocation,
        sign-out or theft verdict takes effect at once instead of when the access token expires. Raises
        ``UnauthorisedError`` (reason ``SessionRevoked``) for a dead session. Blocks on the store."""
        claims = self.authenticate(credentials)
        return _require_live(claims, self.manager.get_session(claims.session_handle))

    async def aauthenticate_live(self, credentials: RequestCredentials) -> AccessClaims:
        """:meth:`authenticate_live` with the store read in a worker thread."""
        claims = self.authenticate(credentials)
        return _require_live(claims, await asyncio.to_thread(self.manager.get_session, claims.session_handle))

    def refresh(self, credentials: RequestCredentials, body_token: Optional[str] = None) -> IssuedTokens:
        """Rotate the request's refresh token: the refresh cookie (CSRF-checked), or ``body_token`` for bearer
        clients. Blocks on the store."""
        return self.http.refresh(
            self.manager,
            method=credentials.method,
            cookie=credentials.cookie,
            authorization=credentials.authorization,
            csrf=credentials.csrf,
            body_token=body_token,
        )

    async def arefresh(self, credentials: RequestCredentials, body_token: Optional[str] = None) -> IssuedTokens:
        """:meth:`refresh` in a worker thread."""
        return await asyncio.to_thread(self.refresh, credentials, body_token)

    def logout(self, credentials: RequestCredentials, body_token: Optional[str] = None) -> bool:
        """Revoke the request's session (named by its access token, even an expired one, or its refresh token);
        returns whether one was revoked. Send :meth:`clear_cookies` with the answer. Blocks on the store."""
        revoked = self.http.logout(
            self.manager,
            method=credentials.method,
            cookie=credentials.cookie,
            authorization=credentials.authorization,
            csrf=credentials.csrf,
            body_token=body_token,
        )
        return bool(revoked)

    async def alogout(self, credentials: RequestCredentials, body_token: Optional[str] = None) -> bool:
        """:meth:`logout` in a worker thread."""
        return await asyncio.to_thread(self.logout, credentials, body_token)

    # -- responses ----------------------------------------------------------------------------------------

    def login_response_data(self, issued: IssuedTokens) -> dict[str, Any]:
        """The JSON body answering sign-in or refresh.

        Always: ``user_id``, ``session_handle``, ``access_expires_at``, ``refresh_expires_at`` and the non-secret
        ``front_token``. In ``header`` and ``both`` modes also ``access_token`` and ``refresh_token``
        (``issued.to_dict()``); in ``cookie`` mode the tokens travel only in ``HttpOnly`` cookies.
        """
        session = issued.session
        access = issued.access
        data: dict[str, Any] = {
            "user_id": session.user_id,
            "session_handle": session.handle,
            "access_expires_at": access.expires_at,
            "refresh_expires_at": issued.refresh_expires_at,
            "front_token": access.front_token,
        }
        if self.returns_tokens:
            data.update(issued.to_dict())
        return data

    def session_cookies(self, issued: IssuedTokens) -> list[str]:
        """The ``Set-Cookie`` values for sign-in or refresh (none in header mode)."""
        return list(self.http.session_cookies(issued))

    def clear_cookies(self) -> list[str]:
        """The ``Set-Cookie`` values deleting the session cookies (none in header mode)."""
        return list(self.http.clear_cookies())

    def token_response_headers(self) -> list[tuple[str, str]]:
        """Headers for any response that sets session cookies or carries tokens."""
        return [("cache-control", "no-store")]

    def error_response(self, err: SessionwardError) -> ErrorResponse:
        """The response to ``err``: status, public JSON body, and headers.

        Headers: ``Cache-Control: no-store``; in ``header``/``both`` mode a ``WWW-Authenticate: Bearer``
        challenge on 401 (RFC 6750: ``error="invalid_token"`` unless no token was sent) and
        ``error="insufficient_scope"`` on 403; in ``cookie``/``both`` mode the cookie deletions when
        :func:`clears_cookies` says so. Server-side failures are logged with their full message.
        """
        status = status_for(err)
        _log(err, status)
        headers: list[tuple[str, str]] = [("cache-control", "no-store")]
        if self.returns_tokens:
            if status == 401:
                if is_missing_token(err):
                    headers.append(("www-authenticate", "Bearer"))
                else:
                    headers.append(("www-authenticate", 'Bearer error="invalid_token"'))
            elif isinstance(err, InvalidClaimError):
                headers.append(("www-authenticate", 'Bearer error="insufficient_scope"'))
        if self.uses_cookies and clears_cookies(err):
            headers.extend(("set-cookie", value) for value in self.clear_cookies())
        return ErrorResponse(status, error_response_body(err), headers)


def _require_live(claims: AccessClaims, session: Optional[Session]) -> AccessClaims:
    if session is None or session.user_id != claims.user_id:
        raise UnauthorisedError("unauthorised: the session is unknown or was revoked; sign in again", "SessionRevoked")
    return claims


def _log(err: SessionwardError, status: int) -> None:
    if status >= 500:
        logger.error("sessionward %s: %s", err.code, err)
    elif isinstance(err, TokenTheftError):
        logger.warning("sessionward: %s", err)
    elif not isinstance(err, TryRefreshError):
        logger.debug("sessionward %s: %s", err.code, err)
