"""sessionward for Starlette and other ASGI apps: a middleware that verifies the access token of every request,
and the refresh and sign-out endpoints.

.. code-block:: python

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from sessionward import HttpSessions, SessionManager, SqliteStore
    from sessionward.starlette import SessionwardMiddleware, require_session, session_routes, set_session_cookies

    manager = SessionManager(issuer="https://example.com", audience="example-api", store=SqliteStore("s.db"))
    http = HttpSessions()

    async def login(request):
        user_id = ...                              # authenticate the user first: not sessionward's job
        issued = await manager.acreate_session(user_id)
        response = JSONResponse({"user": user_id})
        set_session_cookies(response, http, issued)
        return response

    async def me(request):
        claims = require_session(request)          # 401 "unauthorised" when signed out
        return JSONResponse({"user": claims.user_id})

    app = Starlette(
        routes=[Route("/login", login, methods=["POST"]), Route("/me", me), *session_routes(manager, http)],
        middleware=[Middleware(SessionwardMiddleware, manager=manager, http=http)],
    )

The middleware puts the verified :class:`~sessionward.AccessClaims` (or ``None``) on ``request.state.session``
and in ``scope["sessionward"]``, and answers every :class:`~sessionward.SessionwardError` -- its own and those
raised by endpoints -- with the JSON body and status of :mod:`sessionward._web`. List ``CORSMiddleware``
before it (outside), so that CORS preflight requests, which carry no credentials, are answered first.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Iterable, Optional

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._native import AccessClaims, HttpSessions, IssuedTokens
from ._native import SessionManager as _NativeSessionManager
from ._web import MAX_REFRESH_BODY_BYTES, RequestCredentials, Sessionward, is_missing_token, parse_refresh_body
from .errors import InvalidArgumentError, SessionwardError, UnauthorisedError

__all__ = [
    "DEFAULT_LOGOUT_PATH",
    "SCOPE_KEY",
    "SessionwardMiddleware",
    "clear_session_cookies",
    "credentials_from_scope",
    "error_response",
    "get_session",
    "logout_endpoint",
    "refresh_endpoint",
    "require_session",
    "session_routes",
    "set_session_cookies",
]

#: Where the sign-out route is mounted unless told otherwise (the refresh route lives at
#: ``HttpSessions.refresh_path``, the path its cookie is scoped to).
DEFAULT_LOGOUT_PATH = "/auth/logout"
#: The ASGI scope key holding the request's verified claims (or ``None``).
SCOPE_KEY = "sessionward"

Endpoint = Callable[[Request], Awaitable[Response]]


# -- request and response glue (also used by sessionward.fastapi) ------------------------------------------


def credentials_from_scope(sessionward: Sessionward, scope: Scope) -> RequestCredentials:
    """The credentials of an HTTP request scope. Repeated ``Cookie`` headers (HTTP/2) are joined."""
    headers = Headers(scope=scope)

    def get_header(name: str) -> Optional[str]:
        if name == "cookie":
            values = headers.getlist("cookie")
            return "; ".join(values) if values else None
        return headers.get(name)

    return sessionward.read_credentials(scope["method"], get_header)


def error_response(sessionward: Sessionward, err: SessionwardError) -> JSONResponse:
    """The JSON response to ``err``: see :meth:`sessionward._web.Sessionward.error_response`."""
    status, body, headers = sessionward.error_response(err)
    response = JSONResponse(body, status_code=status)
    for name, value in headers:
        response.headers.append(name, value)
    return response


def set_session_cookies(response: Response, http: HttpSessions, issued: IssuedTokens) -> None:
    """Add the session's ``Set-Cookie`` headers (none in header mode) and ``Cache-Control: no-store`` to
    ``response``, after sign-in or refresh."""
    response.headers["cache-control"] = "no-store"
    for value in http.session_cookies(issued):
        response.headers.append("set-cookie", value)


def clear_session_cookies(response: Response, http: HttpSessions) -> None:
    """Add the ``Set-Cookie`` headers deleting the session cookies (none in header mode) to ``response``."""
    for value in http.clear_cookies():
        response.headers.append("set-cookie", value)


async def _read_body_token(sessionward: Sessionward, request: Request) -> Optional[str]:
    """The ``refresh_token`` of a bearer client's JSON body; cookie mode never reads the body."""
    if not sessionward.returns_tokens:
        return None
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_REFRESH_BODY_BYTES:
        raise InvalidArgumentError(f"the request body is larger than {MAX_REFRESH_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REFRESH_BODY_BYTES:
            raise InvalidArgumentError(f"the request body is larger than {MAX_REFRESH_BODY_BYTES} bytes")
        chunks.append(chunk)
    return parse_refresh_body(b"".join(chunks), request.headers.get("content-type"))


async def _refresh(sessionward: Sessionward, request: Request) -> Response:
    try:
        body_token = await _read_body_token(sessionward, request)
        issued = await sessionward.arefresh(credentials_from_scope(sessionward, request.scope), body_token)
    except SessionwardError as err:
        return error_response(sessionward, err)
    response = JSONResponse(sessionward.login_response_data(issued))
    set_session_cookies(response, sessionward.http, issued)
    return response


async def _logout(sessionward: Sessionward, request: Request) -> Response:
    try:
        body_token = await _read_body_token(sessionward, request)
        revoked = await sessionward.alogout(credentials_from_scope(sessionward, request.scope), body_token)
    except SessionwardError as err:
        return error_response(sessionward, err)
    response = JSONResponse({"revoked": revoked}, headers={"cache-control": "no-store"})
    clear_session_cookies(response, sessionward.http)
    return response


# -- endpoints ------------------------------------------------------------------------------------------


def refresh_endpoint(manager: _NativeSessionManager, http: Optional[HttpSessions] = None) -> Endpoint:
    """A Starlette endpoint rotating the session's refresh token; mount it with ``methods=["POST"]`` at
    ``http.refresh_path``, the only path the refresh cookie is sent to.

    Cookie mode reads the refresh cookie and requires the CSRF header (double submit: the ``csrf`` of the front
    token); header mode reads ``{"refresh_token": "..."}`` from the JSON body. Answers 200 with
    :meth:`~sessionward._web.Sessionward.login_response_data` and new cookies, or the error response. The store
    call runs in a worker thread.
    """
    sessionward = Sessionward(manager, http)

    async def refresh(request: Request) -> Response:
        return await _refresh(sessionward, request)

    return refresh


def logout_endpoint(manager: _NativeSessionManager, http: Optional[HttpSessions] = None) -> Endpoint:
    """A Starlette endpoint signing out: revokes the session named by the access token (even an expired one)
    or the refresh token, answers ``{"revoked": bool}`` and deletes the cookies. A cookie-borne request needs
    the CSRF header; a forged one is refused (401) and changes nothing."""
    sessionward = Sessionward(manager, http)

    async def logout(request: Request) -> Response:
        return await _logout(sessionward, request)

    return logout


def session_routes(
    manager: _NativeSessionManager, http: Optional[HttpSessions] = None, *, logout_path: str = DEFAULT_LOGOUT_PATH
) -> list[Route]:
    """``POST http.refresh_path`` (:func:`refresh_endpoint`) and ``POST logout_path`` (:func:`logout_endpoint`)."""
    http = http if http is not None else HttpSessions()
    return [
        Route(http.refresh_path, refresh_endpoint(manager, http), methods=["POST"], name="sessionward_refresh"),
        Route(logout_path, logout_endpoint(manager, http), methods=["POST"], name="sessionward_logout"),
    ]


# -- middleware -----------------------------------------------------------------------------------------


def get_session(request: HTTPConnection) -> Optional[AccessClaims]:
    """The verified claims :class:`SessionwardMiddleware` put on this request, or ``None`` (no token, or an
    exempt path)."""
    try:
        claims: Optional[AccessClaims] = request.scope[SCOPE_KEY]
    except KeyError:
        raise RuntimeError("SessionwardMiddleware is not installed (it handles HTTP requests only)") from None
    return claims


def require_session(request: HTTPConnection) -> AccessClaims:
    """The verified claims of this request; raises ``UnauthorisedError`` (401) when it carried no token.

    Check claims with ``claims.require_eq(name, value)`` / ``claims.require_contains(name, item)``; the
    ``InvalidClaimError`` they raise is answered with 403 by the middleware.
    """
    claims = get_session(request)
    if claims is None:
        raise UnauthorisedError("unauthorised: no token was presented; sign in", "Missing")
    return claims


class SessionwardMiddleware:
    """Verify the access token of every HTTP request and answer sessionward errors as JSON.

    - A valid token: its :class:`~sessionward.AccessClaims` go to ``request.state.session`` and
      ``scope["sessionward"]``.
    - No token: ``None`` there if ``optional`` (the default; endpoints call :func:`require_session`), otherwise
      401 ``unauthorised``.
    - A token that is expired (401 ``try_refresh``), invalid, or cookie-borne on a state-changing request
      without the CSRF header (401 ``unauthorised``): answered at once, even if ``optional``.
    - ``exempt_paths`` (default: ``http.refresh_path`` and ``/auth/logout``; pass them when
      :func:`session_routes` gets another ``logout_path``) are not authenticated, so that a client with an
      expired access token can still refresh and sign out. Their ``request.state.session`` is ``None``.
    - A :class:`~sessionward.SessionwardError` raised by the app before its response started is answered with
      :func:`error_response` too.

    Verification is offline and synchronous (microseconds, no store). WebSocket and lifespan scopes pass
    through untouched.
    """

    def __init__(
        self,
        app: ASGIApp,
        manager: _NativeSessionManager,
        http: Optional[HttpSessions] = None,
        *,
        optional: bool = True,
        exempt_paths: Optional[Iterable[str]] = None,
    ) -> None:
        self.app = app
        self.sessionward = Sessionward(manager, http)
        self.optional = optional
        if exempt_paths is None:
            exempt_paths = (self.sessionward.http.refresh_path, DEFAULT_LOGOUT_PATH)
        self.exempt_paths = frozenset(exempt_paths)

    def _is_exempt(self, scope: Scope) -> bool:
        path: str = scope["path"]
        root_path: str = scope.get("root_path", "")
        if path in self.exempt_paths:
            return True
        return bool(root_path) and path.startswith(root_path) and path[len(root_path) :] in self.exempt_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        claims: Optional[AccessClaims] = None
        if not self._is_exempt(scope):
            try:
                claims = self.sessionward.authenticate(credentials_from_scope(self.sessionward, scope))
            except SessionwardError as err:
                if not (self.optional and is_missing_token(err)):
                    await error_response(self.sessionward, err)(scope, receive, send)
                    return
        scope[SCOPE_KEY] = claims
        scope.setdefault("state", {})["session"] = claims

        response_started = False

        async def send_tracking(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except SessionwardError as err:
            if response_started:
                raise
            await error_response(self.sessionward, err)(scope, receive, send)
