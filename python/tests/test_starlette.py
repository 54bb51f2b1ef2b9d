"""sessionward.starlette on a plain Starlette app, and the framework-free helpers of sessionward._web."""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

import sessionward
from sessionward import (
    ConfigurationError,
    HttpSessions,
    InvalidArgumentError,
    InvalidClaimError,
    SessionManager,
    SessionwardError,
    StoreUnavailableError,
    TokenTheftError,
    TryRefreshError,
    UnauthorisedError,
)
from sessionward._web import (
    PUBLIC_MESSAGES,
    RequestCredentials,
    Sessionward,
    clears_cookies,
    error_response_body,
    parse_refresh_body,
    status_for,
)
from sessionward.starlette import (
    SessionwardMiddleware,
    get_session,
    require_session,
    session_routes,
    set_session_cookies,
)

BASE_URL = "https://testserver"
LEEWAY = 30
GRACE = 60

SetCookies = Callable[[Any], dict[str, tuple[str, set[str]]]]
FrontToken = Callable[[str], dict[str, Any]]


def error(code: str) -> dict[str, str]:
    return {"error": code, "message": PUBLIC_MESSAGES[code]}


def make_app(manager: SessionManager, http: HttpSessions, *, optional: bool = True) -> Starlette:
    async def login(request: Request) -> Response:
        body = await request.json()
        issued = await manager.acreate_session(body["user_id"], access_claims=body.get("claims", {}))
        response = JSONResponse(Sessionward(manager, http).login_response_data(issued))
        set_session_cookies(response, http, issued)
        return response

    async def maybe(request: Request) -> Response:
        claims = request.state.session
        return JSONResponse({"user_id": claims.user_id if claims is not None else None})

    def me(request: Request) -> Response:  # a sync endpoint (run in the thread pool)
        claims = require_session(request)
        return JSONResponse({"user_id": claims.user_id, "jti": claims.token_id})

    async def items(request: Request) -> Response:
        return JSONResponse({"created_by": require_session(request).user_id})

    async def admin(request: Request) -> Response:
        require_session(request).require_eq("role", "admin")
        return JSONResponse({"admin": True})

    async def scope_key(request: Request) -> Response:
        return JSONResponse({"same": request.scope["sessionward"] is request.state.session})

    return Starlette(
        routes=[
            Route("/login", login, methods=["POST"]),
            Route("/maybe", maybe),
            Route("/me", me),
            Route("/items", items, methods=["POST"]),
            Route("/admin", admin),
            Route("/scope-key", scope_key),
            *session_routes(manager, http),
        ],
        middleware=[Middleware(SessionwardMiddleware, manager=manager, http=http, optional=optional)],
    )


def test_cookie_journey_on_starlette(
    clock: Any, manager: SessionManager, set_cookies: SetCookies, front_token: FrontToken
) -> None:
    client = TestClient(make_app(manager, HttpSessions()), base_url=BASE_URL)
    assert client.get("/maybe").json() == {"user_id": None}
    r = client.get("/me")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))

    r = client.post("/login", json={"user_id": "alice", "claims": {"role": "user"}})
    assert r.status_code == 200, r.text
    body, cookies = r.json(), set_cookies(r)
    assert "access_token" not in body and "refresh_token" not in body
    assert cookies["sw_refresh"][1] >= {"Path=/auth/refresh", "HttpOnly", "Secure", "SameSite=Lax"}
    assert cookies["sw_access"][1] >= {"Path=/", "HttpOnly", "Secure", "SameSite=Lax"}
    assert "HttpOnly" not in cookies["sw_front"][1]
    csrf = front_token(cookies["sw_front"][0])["csrf"]

    assert client.get("/maybe").json() == {"user_id": "alice"}
    assert client.get("/me").json() == {"user_id": "alice", "jti": csrf}
    assert client.get("/scope-key").json() == {"same": True}

    # The middleware applies the CSRF check to state-changing requests.
    r = client.post("/items")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert client.post("/items", headers={"x-csrf-token": csrf}).json() == {"created_by": "alice"}

    # An InvalidClaimError raised by an endpoint is answered by the middleware.
    r = client.get("/admin")
    assert (r.status_code, r.json()) == (403, error("invalid_claim"))

    # Expired: even the optional page says try_refresh, but the refresh route is exempt and works.
    clock.now = body["access_expires_at"] + LEEWAY
    r = client.get("/maybe")
    assert (r.status_code, r.json()) == (401, error("try_refresh"))
    r = client.post("/auth/refresh")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))  # no CSRF header
    r = client.post("/auth/refresh", headers={"x-csrf-token": csrf})
    assert r.status_code == 200, r.text
    new_cookies = set_cookies(r)
    new_csrf = front_token(new_cookies["sw_front"][0])["csrf"]
    assert client.get("/me").json() == {"user_id": "alice", "jti": new_csrf}

    # Theft after the grace window.
    clock.advance(GRACE + 1)
    replay = f"sw_refresh={cookies['sw_refresh'][0]}; sw_front={cookies['sw_front'][0]}"
    thief = TestClient(client.app, base_url=BASE_URL)
    r = thief.post("/auth/refresh", headers={"cookie": replay, "x-csrf-token": csrf})
    assert (r.status_code, r.json()) == (401, error("token_theft"))
    cleared = {name: (value, "Max-Age=0" in attributes) for name, (value, attributes) in set_cookies(r).items()}
    assert cleared == {"sw_access": ("", True), "sw_front": ("", True), "sw_refresh": ("", True)}
    r = client.post("/auth/refresh", headers={"x-csrf-token": new_csrf})
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert {cookie.name for cookie in client.cookies.jar} == set()


def test_repeated_cookie_headers_are_joined(manager: SessionManager, front_token: FrontToken) -> None:
    # HTTP/2 clients may split the cookies over several `cookie` headers; refresh needs two of them.
    client = TestClient(make_app(manager, HttpSessions()), base_url=BASE_URL)
    issued = manager.create_session("ann")
    headers = [
        ("cookie", f"sw_refresh={issued.refresh_token}"),
        ("cookie", f"sw_front={issued.access.front_token}"),
        ("x-csrf-token", front_token(issued.access.front_token)["csrf"]),
    ]
    r = client.post("/auth/refresh", headers=headers)
    assert (r.status_code, r.json()["user_id"]) == (200, "ann")


def test_logout_on_starlette(manager: SessionManager, set_cookies: SetCookies, front_token: FrontToken) -> None:
    client = TestClient(make_app(manager, HttpSessions()), base_url=BASE_URL)
    r = client.post("/login", json={"user_id": "bea"})
    handle, csrf = r.json()["session_handle"], front_token(set_cookies(r)["sw_front"][0])["csrf"]
    r = client.post("/auth/logout")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert manager.get_session(handle) is not None
    r = client.post("/auth/logout", headers={"x-csrf-token": csrf})
    assert (r.status_code, r.json()) == (200, {"revoked": True})
    assert all("Max-Age=0" in attributes for _, attributes in set_cookies(r).values())
    assert set(set_cookies(r)) == {"sw_access", "sw_front", "sw_refresh"}
    assert manager.get_session(handle) is None
    assert client.get("/maybe").json() == {"user_id": None}


def test_header_mode_on_starlette(clock: Any, manager: SessionManager) -> None:
    client = TestClient(make_app(manager, HttpSessions(mode="header")), base_url=BASE_URL)
    r = client.post("/login", json={"user_id": "cy"})
    assert "set-cookie" not in r.headers
    tokens = r.json()
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/items", headers=bearer).json() == {"created_by": "cy"}
    clock.now = tokens["access_expires_at"] + LEEWAY
    r = client.get("/me", headers=bearer)
    assert (r.status_code, r.json()) == (401, error("try_refresh"))
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    r = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200 and "set-cookie" not in r.headers
    fresh = r.json()
    assert client.get("/me", headers={"authorization": f"Bearer {fresh['access_token']}"}).json()["user_id"] == "cy"
    r = client.post("/auth/refresh", content=b"[]")
    assert (r.status_code, r.json()) == (400, error("invalid_argument"))


def test_required_middleware(manager: SessionManager) -> None:
    client = TestClient(make_app(manager, HttpSessions(mode="header"), optional=False), base_url=BASE_URL)
    r = client.get("/maybe")
    assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (401, error("unauthorised"), "Bearer")
    # The refresh route is exempt: a client without an access token can still refresh.
    issued = manager.create_session("dee")
    r = client.post("/auth/refresh", json={"refresh_token": issued.refresh_token})
    assert r.status_code == 200, r.text
    bearer = {"authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/maybe", headers=bearer).json() == {"user_id": "dee"}


def test_helpers_without_middleware() -> None:
    async def page(request: Request) -> Response:
        get_session(request)
        return Response()

    client = TestClient(Starlette(routes=[Route("/", page)]))
    with pytest.raises(RuntimeError, match="SessionwardMiddleware is not installed"):
        client.get("/")


def test_errors_raised_after_the_response_started_propagate(manager: SessionManager) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise StoreUnavailableError("late")

    client = TestClient(SessionwardMiddleware(app, manager))
    with pytest.raises(StoreUnavailableError):
        client.get("/")


# -- sessionward._web --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("err", "status"),
    [
        (TryRefreshError("internal detail 1"), 401),
        (UnauthorisedError("internal detail 2", "Signature"), 401),
        (TokenTheftError("internal detail 3", "s1", "u1"), 401),
        (InvalidClaimError("internal detail 4", "role"), 403),
        (InvalidArgumentError("internal detail 5"), 400),
        (StoreUnavailableError("internal detail 6"), 503),
        (ConfigurationError("internal detail 7"), 500),
    ],
)
def test_status_and_public_body(err: SessionwardError, status: int) -> None:
    assert status_for(err) == status == err.status_code
    assert error_response_body(err) == {"error": err.code, "message": PUBLIC_MESSAGES[err.code]}
    assert err.message not in json.dumps(error_response_body(err))
    assert set(PUBLIC_MESSAGES) == set(sessionward.ERROR_CODES)


@pytest.mark.parametrize(
    ("err", "clears"),
    [
        (TokenTheftError("t", "s", "u"), True),
        (UnauthorisedError("u", "SessionRevoked"), True),
        (UnauthorisedError("u", "SessionExpired"), True),
        (UnauthorisedError("u", "Signature"), True),
        (UnauthorisedError("u", "Malformed"), True),
        (UnauthorisedError("u", "Missing"), False),
        (UnauthorisedError("u", "Csrf"), False),
        (UnauthorisedError("u", "UnknownKey"), False),
        (TryRefreshError("t"), False),
        (InvalidClaimError("c", "role"), False),
        (StoreUnavailableError("s"), False),
    ],
)
def test_clears_cookies(err: SessionwardError, clears: bool) -> None:
    assert clears_cookies(err) is clears


def test_error_response_headers(manager: SessionManager) -> None:
    theft = TokenTheftError("t", "s", "u")
    cookie = Sessionward(manager, HttpSessions()).error_response(theft)
    assert cookie.status == 401
    clearing = [("set-cookie", value) for value in HttpSessions().clear_cookies()]
    assert len(clearing) == 3 and cookie.headers == [("cache-control", "no-store"), *clearing]
    header = Sessionward(manager, HttpSessions(mode="header")).error_response(theft)
    assert header.headers == [("cache-control", "no-store"), ("www-authenticate", 'Bearer error="invalid_token"')]
    both = Sessionward(manager, HttpSessions(mode="both")).error_response(UnauthorisedError("u", "Missing"))
    assert both.headers == [("cache-control", "no-store"), ("www-authenticate", "Bearer")]
    claim = Sessionward(manager, HttpSessions(mode="both")).error_response(InvalidClaimError("c", "role"))
    assert claim.status == 403
    assert claim.headers == [("cache-control", "no-store"), ("www-authenticate", 'Bearer error="insufficient_scope"')]


@pytest.mark.parametrize(
    ("body", "token"),
    [
        (b"", None),
        (b"  \n", None),
        (b"{}", None),
        (b'{"refresh_token": null}', None),
        (b'{"refresh_token": "swr_a"}', "swr_a"),
    ],
)
def test_parse_refresh_body(body: bytes, token: Optional[str]) -> None:
    assert parse_refresh_body(body, "application/json") == token
    assert parse_refresh_body(body, "Application/JSON; charset=utf-8") == token


@pytest.mark.parametrize("body", [b"{", b"[]", b'"swr_a"', b'{"refresh_token": 1}', b"\xff", b"{}" + b" " * 20_000])
def test_parse_refresh_body_refuses(body: bytes) -> None:
    with pytest.raises(InvalidArgumentError):
        parse_refresh_body(body, "application/json")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_parse_refresh_body_requires_json_content_type(content_type: Optional[str]) -> None:
    # A cross-site form can send these without a CORS preflight (login CSRF in "both" mode).
    with pytest.raises(InvalidArgumentError, match="application/json"):
        parse_refresh_body(b'{"refresh_token": "swr_a"}', content_type)


def test_facade_authenticate_and_login_data(manager: SessionManager) -> None:
    cookie_mode = Sessionward(manager, HttpSessions())
    issued = manager.create_session("eve", access_claims={"role": "user"})
    data = cookie_mode.login_response_data(issued)
    assert data == {
        "user_id": "eve",
        "session_handle": issued.session.handle,
        "access_expires_at": issued.access.expires_at,
        "refresh_expires_at": issued.refresh_expires_at,
        "front_token": issued.access.front_token,
    }
    assert Sessionward(manager, HttpSessions(mode="header")).login_response_data(issued) == {**data, **issued.to_dict()}

    credentials = cookie_mode.read_credentials("GET", {"cookie": f"sw_access={issued.access_token}"}.get)
    assert credentials == RequestCredentials("GET", cookie=f"sw_access={issued.access_token}")
    assert cookie_mode.authenticate(credentials).user_id == "eve"
    assert cookie_mode.authenticate_optional(RequestCredentials("GET")) is None
    assert cookie_mode.authenticate_live(credentials).user_id == "eve"
    manager.revoke(issued.session.handle)
    with pytest.raises(UnauthorisedError) as caught:
        cookie_mode.authenticate_live(credentials)
    assert caught.value.reason == "SessionRevoked"
    with pytest.raises(UnauthorisedError):
        cookie_mode.authenticate_optional(RequestCredentials("POST", cookie=f"sw_access={issued.access_token}"))
