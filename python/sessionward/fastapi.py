"""sessionward for FastAPI: dependencies returning the verified claims, the refresh and sign-out routes, an
exception handler, and sign-in helpers.

.. code-block:: python

    from typing import Annotated, Optional
    from fastapi import Depends, FastAPI, Request, Response
    from sessionward import AccessClaims, HttpSessions, SessionManager, SqliteStore
    from sessionward.fastapi import SessionwardFastAPI

    manager = SessionManager(issuer="https://example.com", audience="example-api", store=SqliteStore("s.db"))
    sessions = SessionwardFastAPI(manager, HttpSessions())          # cookie mode, double-submit CSRF
    app = FastAPI()
    sessions.install(app)             # exception handler + POST /auth/refresh + POST /auth/logout

    @app.post("/login")
    async def login(request: Request, response: Response) -> dict:
        user_id = ...                 # authenticate the user first: not sessionward's job
        issued = await sessions.alogin(response, user_id, request=request, access_claims={"role": "admin"})
        return sessions.login_response_data(issued)

    @app.get("/me")
    def me(claims: Annotated[AccessClaims, Depends(sessions.require_session)]) -> dict:
        return {"user": claims.user_id}

    @app.delete("/users/{uid}", dependencies=[Depends(sessions.require_claim("role", "admin"))])
    async def delete_user(uid: str) -> None: ...

Errors are answered by the installed handler with the status of their code and the body
``{"error": code, "message": ...}`` (see :mod:`sessionward._web`): 401 ``try_refresh`` (refresh, then retry),
401 ``unauthorised`` (sign in again; also a missing or wrong CSRF header), 401 ``token_theft``, 403
``invalid_claim``, 400 ``invalid_argument``, 503 ``store_unavailable``, 500 ``bad_configuration``.
"""

import asyncio
import inspect
import json
from enum import Enum
from typing import Any, Awaitable, Callable, Optional, Sequence, Union

from fastapi import APIRouter, Depends, FastAPI, Request, Response, Security
from fastapi.security import APIKeyCookie, HTTPBearer

from ._native import AccessClaims, HttpSessions, IssuedTokens
from ._native import SessionManager as _NativeSessionManager
from ._web import Sessionward
from .errors import SessionwardError
from .starlette import (
    DEFAULT_LOGOUT_PATH,
    _logout,
    _refresh,
    clear_session_cookies,
    credentials_from_scope,
    error_response,
    set_session_cookies,
)

__all__ = ["SessionwardFastAPI"]

ClaimsDependency = Callable[..., Awaitable[AccessClaims]]
OptionalClaimsDependency = Callable[..., Awaitable[Optional[AccessClaims]]]

_REFRESH_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"refresh_token": {"type": "string", "description": "The current refresh token (swr_...)."}},
}


class SessionwardFastAPI(Sessionward):
    """sessionward for one FastAPI application: share one instance, built at import time.

    Dependencies (use with ``Depends``; all are ``async`` and never touch the store unless said so, so they
    cost microseconds and suit sync and async path operations alike):

    - :attr:`require_session` -- the verified :class:`~sessionward.AccessClaims`; raises ``TryRefreshError`` /
      ``UnauthorisedError`` (401), including when the request carries no token. A cookie-borne token on a
      state-changing method also needs the CSRF header (:attr:`HttpSessions.csrf_header`).
    - :attr:`optional_session` -- the claims, or ``None`` only when the request carries **no token at all**. A
      token that is present but expired or invalid still answers 401, so that the client refreshes or signs in
      again instead of silently seeing the anonymous page.
    - :attr:`require_live_session` -- :attr:`require_session` plus a store read checking the session is still
      alive (revocation, sign-out and theft bite at once instead of at the access token's expiry); the read runs
      in a worker thread.
    - :meth:`require_claim` / :meth:`require_scope` -- factories of dependencies answering 403 ``invalid_claim``.

    :meth:`install` registers the exception handler and :attr:`router`: ``POST {http.refresh_path}`` (where the
    refresh cookie is scoped; change it with ``HttpSessions(refresh_path=...)``, not with a router prefix) and
    ``POST {logout_path}``. Their store calls run in a worker thread.

    Sign in with :meth:`login` (sync path operations) or :meth:`alogin` (async ones), which create the session
    and set the cookies; answer with :meth:`login_response_data`.
    """

    require_session: ClaimsDependency
    optional_session: OptionalClaimsDependency
    require_live_session: ClaimsDependency
    router: APIRouter

    def __init__(
        self,
        manager: _NativeSessionManager,
        http: Optional[HttpSessions] = None,
        *,
        logout_path: str = DEFAULT_LOGOUT_PATH,
        tags: Sequence[Union[str, Enum]] = ("auth",),
    ) -> None:
        super().__init__(manager, http)
        self.logout_path = logout_path
        self._security = self._security_parameters()
        self.require_session = self._dependency(self._require_session, "require_session")
        self.optional_session = self._dependency(self._optional_session, "optional_session")
        self.require_live_session = self._dependency(self._require_live_session, "require_live_session")
        self.router = self._build_router(list(tags))

    # -- dependencies -------------------------------------------------------------------------------------

    async def _require_session(self, request: Request) -> AccessClaims:
        """The verified claims of the request (401 when absent, expired or invalid)."""
        return self.authenticate(credentials_from_scope(self, request.scope))

    async def _optional_session(self, request: Request) -> Optional[AccessClaims]:
        """The verified claims of the request, or ``None`` when it carries no token (401 when invalid)."""
        return self.authenticate_optional(credentials_from_scope(self, request.scope))

    async def _require_live_session(self, request: Request) -> AccessClaims:
        """The verified claims of the request, whose session the store confirms is alive."""
        return await self.aauthenticate_live(credentials_from_scope(self, request.scope))

    def require_claim(self, name: str, value: Any) -> ClaimsDependency:
        """A dependency returning the verified claims if custom claim ``name`` equals ``value``, else 403
        ``invalid_claim``. ``value`` must be JSON data (str, number, bool, None, list, dict)."""
        json.dumps(value)  # refuse a value that can never match now, not at the first request

        async def require_claim(claims: AccessClaims = Depends(self.require_session)) -> AccessClaims:
            claims.require_eq(name, value)
            return claims

        return require_claim

    def require_scope(self, item: str, *, claim: str = "scope") -> ClaimsDependency:
        """A dependency returning the verified claims if claim ``claim`` (a list, or a space-separated string
        such as OAuth's ``scope``) contains ``item``, else 403 ``invalid_claim``."""

        async def require_scope(claims: AccessClaims = Depends(self.require_session)) -> AccessClaims:
            claims.require_contains(claim, item)
            return claims

        return require_scope

    def _security_parameters(self) -> list[inspect.Parameter]:
        """Sub-dependencies that only document the credentials in OpenAPI (and let Swagger UI send them): the
        access cookie and/or the bearer header, as the mode allows. Their values are not used."""
        schemes: list[Any] = []
        if self.uses_cookies:
            schemes.append(
                APIKeyCookie(
                    name=self.http.access_cookie,
                    scheme_name="sessionwardCookie",
                    description="The access token cookie; state-changing requests also need the "
                    f"{self.http.csrf_header} header.",
                    auto_error=False,
                )
            )
        if self.returns_tokens:
            schemes.append(
                HTTPBearer(
                    bearerFormat="JWT",
                    scheme_name="sessionwardBearer",
                    description="The access token.",
                    auto_error=False,
                )
            )
        return [
            inspect.Parameter(f"_sessionward_credential_{i}", inspect.Parameter.KEYWORD_ONLY, default=Security(s))
            for i, s in enumerate(schemes)
        ]

    def _dependency(self, func: Callable[[Request], Awaitable[Any]], name: str) -> Callable[..., Awaitable[Any]]:
        async def dependency(request: Request, **_documentation_only: Any) -> Any:
            return await func(request)

        request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
        dependency.__signature__ = inspect.Signature([request, *self._security])  # type: ignore[attr-defined]
        dependency.__name__ = dependency.__qualname__ = name
        dependency.__doc__ = func.__doc__
        return dependency

    # -- routes and errors --------------------------------------------------------------------------------

    def _build_router(self, tags: list[Union[str, Enum]]) -> APIRouter:
        router = APIRouter(tags=tags)
        body: dict[str, Any] = {}
        if self.returns_tokens:
            body = {
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _REFRESH_BODY_SCHEMA}},
                }
            }
        router.add_api_route(
            self.http.refresh_path,
            self._refresh_route,
            methods=["POST"],
            name="sessionward_refresh",
            summary="Refresh the session",
            response_model=None,
            openapi_extra=body or None,
        )
        router.add_api_route(
            self.logout_path,
            self._logout_route,
            methods=["POST"],
            name="sessionward_logout",
            summary="Sign out",
            response_model=None,
            openapi_extra=body or None,
        )
        return router

    async def _refresh_route(self, request: Request) -> Response:
        """Rotate the refresh token: the refresh cookie plus the CSRF header (cookie mode), or
        ``{"refresh_token": "..."}`` (header mode). Answers the new session data and cookies."""
        return await _refresh(self, request)

    async def _logout_route(self, request: Request) -> Response:
        """Revoke the session and delete its cookies; answers ``{"revoked": bool}``."""
        return await _logout(self, request)

    async def exception_handler(self, request: Request, exc: Exception) -> Response:
        """The FastAPI exception handler for :class:`~sessionward.SessionwardError`: the status of its code,
        ``{"error": code, "message": ...}``, and, for a dead session in cookie mode, the cookie deletions."""
        if not isinstance(exc, SessionwardError):
            raise exc
        return error_response(self, exc)

    def install(self, app: FastAPI, *, include_router: bool = True) -> None:
        """Register :meth:`exception_handler` for every ``SessionwardError`` and (unless ``include_router`` is
        false) include :attr:`router`."""
        app.add_exception_handler(SessionwardError, self.exception_handler)
        if include_router:
            app.include_router(self.router)

    # -- sign-in ------------------------------------------------------------------------------------------

    def set_session_cookies(self, response: Response, issued: IssuedTokens) -> None:
        """Add the session cookies (none in header mode) and ``Cache-Control: no-store`` to ``response``."""
        set_session_cookies(response, self.http, issued)

    def clear_session_cookies(self, response: Response) -> None:
        """Add the deletions of the session cookies (none in header mode) to ``response``."""
        clear_session_cookies(response, self.http)

    def login(
        self, response: Response, user_id: str, *, request: Optional[Request] = None, **kwargs: Any
    ) -> IssuedTokens:
        """Create a session for ``user_id`` (already authenticated by the app) and set its cookies on
        ``response``, the ``Response`` parameter of the path operation. ``kwargs`` go to
        ``manager.create_session`` (``access_claims``, ``data``, ``device``, ...); with ``request``, the
        ``User-Agent`` and client address are recorded unless given. Blocks on the store: call it from a sync
        path operation, or use :meth:`alogin`."""
        issued = self.manager.create_session(user_id, **_with_metadata(request, kwargs))
        self.set_session_cookies(response, issued)
        return issued

    async def alogin(
        self, response: Response, user_id: str, *, request: Optional[Request] = None, **kwargs: Any
    ) -> IssuedTokens:
        """:meth:`login` with the store write in a worker thread."""
        create = self.manager.create_session
        issued = await asyncio.to_thread(create, user_id, **_with_metadata(request, kwargs))
        self.set_session_cookies(response, issued)
        return issued


def _with_metadata(request: Optional[Request], kwargs: dict[str, Any]) -> dict[str, Any]:
    if request is not None:
        kwargs.setdefault("user_agent", request.headers.get("user-agent"))
        kwargs.setdefault("ip", request.client.host if request.client else None)
    return kwargs
