"""sessionward.fastapi driven over HTTP: real FastAPI apps, TestClient's cookie jar, both stores, a fake clock."""

import logging
import threading
from typing import Annotated, Any, Callable, Optional

import pytest
from fastapi import Depends, FastAPI, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

import sessionward
from sessionward import AccessClaims, HttpSessions, SessionManager, StoreUnavailableError, TheftEvent
from sessionward._web import PUBLIC_MESSAGES
from sessionward.fastapi import SessionwardFastAPI

BASE_URL = "https://testserver"  # the cookies are Secure: the jar sends them over https only
LEEWAY = 30  # SessionManager's default
GRACE = 60  # SessionManager's default grace_period
CLEARED = {"Max-Age=0", "Expires=Thu, 01 Jan 1970 00:00:00 GMT", "Secure", "SameSite=Lax"}

SetCookies = Callable[[Any], dict[str, tuple[str, set[str]]]]
FrontToken = Callable[[str], dict[str, Any]]


class Login(BaseModel):
    user_id: str
    claims: dict[str, Any] = {}


def make_app(manager: SessionManager, http: HttpSessions, **options: Any) -> FastAPI:
    """An app using every part of the integration, with sync and async path operations side by side."""
    sessions = SessionwardFastAPI(manager, http, **options)
    app = FastAPI()
    sessions.install(app)

    @app.post("/login")
    def login(body: Login, request: Request, response: Response) -> dict[str, Any]:
        issued = sessions.login(response, body.user_id, request=request, access_claims=body.claims)
        return sessions.login_response_data(issued)

    @app.post("/alogin")
    async def alogin(body: Login, request: Request, response: Response) -> dict[str, Any]:
        issued = await sessions.alogin(response, body.user_id, request=request, access_claims=body.claims)
        return sessions.login_response_data(issued)

    @app.get("/me")
    def me(claims: Annotated[AccessClaims, Depends(sessions.require_session)]) -> dict[str, Any]:
        return {"user_id": claims.user_id, "jti": claims.token_id, "sid": claims.session_handle}

    @app.get("/ame")
    async def ame(claims: Annotated[AccessClaims, Depends(sessions.require_session)]) -> dict[str, Any]:
        return {"user_id": claims.user_id, "jti": claims.token_id, "sid": claims.session_handle}

    @app.post("/items")
    def create_item(claims: Annotated[AccessClaims, Depends(sessions.require_session)]) -> dict[str, str]:
        return {"created_by": claims.user_id}

    @app.post("/aitems")
    async def acreate_item(claims: Annotated[AccessClaims, Depends(sessions.require_session)]) -> dict[str, str]:
        return {"created_by": claims.user_id}

    @app.get("/maybe")
    async def maybe(claims: Annotated[Optional[AccessClaims], Depends(sessions.optional_session)]) -> dict[str, Any]:
        return {"user_id": claims.user_id if claims is not None else None}

    @app.get("/admin", dependencies=[Depends(sessions.require_claim("role", "admin"))])
    def admin() -> dict[str, bool]:
        return {"admin": True}

    @app.get("/write")
    async def write(claims: Annotated[AccessClaims, Depends(sessions.require_scope("write"))]) -> dict[str, str]:
        return {"writer": claims.user_id}

    @app.get("/live")
    async def live(claims: Annotated[AccessClaims, Depends(sessions.require_live_session)]) -> dict[str, str]:
        return {"user_id": claims.user_id}

    @app.get("/cookies")
    def cookies(request: Request) -> list[str]:
        return sorted(request.cookies)

    @app.get("/loop-thread")
    async def loop_thread() -> int:
        return threading.get_ident()

    @app.get("/store-down")
    def store_down() -> None:
        raise StoreUnavailableError("session store unavailable: disk I/O error in /srv/secret.db; retry later")

    return app


def error(code: str) -> dict[str, str]:
    return {"error": code, "message": PUBLIC_MESSAGES[code]}


def jar_names(client: TestClient) -> set[str]:
    return {cookie.name for cookie in client.cookies.jar}


# -- cookie mode ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("login_path", ["/login", "/alogin"])
def test_cookie_mode_journey(
    clock: Any, store: Any, set_cookies: SetCookies, front_token: FrontToken, login_path: str
) -> None:
    thefts: list[tuple[TheftEvent, int]] = []
    manager = SessionManager(
        issuer="https://issuer.test",
        audience="api.test",
        store=store,
        on_theft=lambda event: thefts.append((event, threading.get_ident())),
    )
    app = make_app(manager, HttpSessions())
    with TestClient(app, base_url=BASE_URL) as client:
        # Sign in: tokens only in HttpOnly cookies, non-secret data in the body.
        r = client.post(login_path, json={"user_id": "alice"}, headers={"user-agent": "pytest-browser"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"user_id", "session_handle", "access_expires_at", "refresh_expires_at", "front_token"}
        assert body["user_id"] == "alice"
        assert body["access_expires_at"] == int(clock.now) + manager.access_ttl
        assert r.headers["cache-control"] == "no-store"
        cookies = set_cookies(r)
        assert set(cookies) == {"sw_access", "sw_front", "sw_refresh"}
        lifetime = body["refresh_expires_at"] - int(clock.now)
        assert lifetime == 14 * 86_400
        common = {f"Max-Age={lifetime}", "Secure", "SameSite=Lax"}
        assert cookies["sw_access"][1] == common | {"Path=/", "HttpOnly"}
        assert cookies["sw_front"][1] == common | {"Path=/"}
        assert cookies["sw_refresh"][1] == common | {"Path=/auth/refresh", "HttpOnly"}
        assert cookies["sw_refresh"][0].startswith("swr_") and len(cookies["sw_refresh"][0]) == 68
        assert cookies["sw_front"][0] == body["front_token"]
        front = front_token(cookies["sw_front"][0])
        assert front["uid"] == "alice" and front["exp"] == body["access_expires_at"]
        session = manager.get_session(body["session_handle"])
        assert session is not None and session.user_agent == "pytest-browser" and session.ip == "testclient"

        # Authorised calls, sync and async; the refresh cookie never leaves its path.
        for path in ("/me", "/ame"):
            r = client.get(path)
            assert r.status_code == 200, r.text
            assert r.json() == {"user_id": "alice", "jti": front["csrf"], "sid": body["session_handle"]}
        assert client.get("/cookies").json() == ["sw_access", "sw_front"]

        # State-changing requests need the double-submit CSRF header; GET did not.
        for path in ("/items", "/aitems"):
            r = client.post(path)
            assert (r.status_code, r.json()) == (401, error("unauthorised"))
            assert "set-cookie" not in r.headers and "www-authenticate" not in r.headers
            r = client.post(path, headers={"x-csrf-token": "not-the-token"})
            assert (r.status_code, r.json()) == (401, error("unauthorised"))
            r = client.post(path, headers={"x-csrf-token": front["csrf"]})
            assert (r.status_code, r.json()) == (200, {"created_by": "alice"})

        # Expiry: accepted until exp + leeway, then "try_refresh" (cookies kept).
        clock.now = body["access_expires_at"] + LEEWAY - 1
        assert client.get("/me").status_code == 200
        clock.now = body["access_expires_at"] + LEEWAY
        for path in ("/me", "/ame"):
            r = client.get(path)
            assert (r.status_code, r.json()) == (401, error("try_refresh"))
            assert "set-cookie" not in r.headers
        assert jar_names(client) == {"sw_access", "sw_front", "sw_refresh"}

        # Refresh: the cookie alone is not enough, the CSRF header must match the front token.
        r = client.post("/auth/refresh")
        assert (r.status_code, r.json()) == (401, error("unauthorised"))
        assert "set-cookie" not in r.headers
        r = client.post("/auth/refresh", headers={"x-csrf-token": "forged"})
        assert (r.status_code, r.json()) == (401, error("unauthorised"))
        r = client.post("/auth/refresh", headers={"x-csrf-token": front["csrf"]})
        assert r.status_code == 200, r.text
        refreshed = r.json()
        assert set(refreshed) == set(body)
        assert refreshed["session_handle"] == body["session_handle"]
        assert refreshed["access_expires_at"] == int(clock.now) + manager.access_ttl
        assert r.headers["cache-control"] == "no-store"
        new_cookies = set_cookies(r)
        assert set(new_cookies) == {"sw_access", "sw_front", "sw_refresh"}
        for name in new_cookies:
            assert new_cookies[name][0] != cookies[name][0]
        assert new_cookies["sw_refresh"][1] == cookies["sw_refresh"][1] - {f"Max-Age={lifetime}"} | {
            f"Max-Age={refreshed['refresh_expires_at'] - int(clock.now)}"
        }
        new_front = front_token(new_cookies["sw_front"][0])
        assert new_front["csrf"] != front["csrf"]

        # Authorised again, with the new token (and the new CSRF value only).
        r = client.get("/me")
        assert (r.status_code, r.json()["jti"]) == (200, new_front["csrf"])
        assert client.post("/items", headers={"x-csrf-token": front["csrf"]}).status_code == 401
        assert client.post("/items", headers={"x-csrf-token": new_front["csrf"]}).status_code == 200

        # Theft: the old refresh token replayed after the grace window revokes the session.
        clock.advance(GRACE + 1)
        with TestClient(app, base_url=BASE_URL) as thief:
            loop_thread = thief.get("/loop-thread").json()
            r = thief.post(
                "/auth/refresh",
                headers={
                    "cookie": f"sw_refresh={cookies['sw_refresh'][0]}; sw_front={cookies['sw_front'][0]}",
                    "x-csrf-token": front["csrf"],
                },
            )
        assert (r.status_code, r.json()) == (401, error("token_theft"))
        assert body["session_handle"] not in r.text and "alice" not in r.text
        cleared = set_cookies(r)
        assert cleared == {
            "sw_access": ("", CLEARED | {"Path=/", "HttpOnly"}),
            "sw_front": ("", CLEARED | {"Path=/"}),
            "sw_refresh": ("", CLEARED | {"Path=/auth/refresh", "HttpOnly"}),
        }
        [(event, hook_thread)] = thefts
        assert event == TheftEvent(session_handle=body["session_handle"], user_id="alice", detected_at=int(clock.now))
        assert hook_thread != loop_thread  # the store call ran in a worker thread, not on the event loop
        assert manager.get_session(body["session_handle"]) is None

        # The victim's new refresh token is dead too; the answer deletes the cookies from the jar.
        r = client.post("/auth/refresh", headers={"x-csrf-token": new_front["csrf"]})
        assert (r.status_code, r.json()) == (401, error("unauthorised"))
        assert set(set_cookies(r)) == {"sw_access", "sw_front", "sw_refresh"}
        assert jar_names(client) == set()
        r = client.get("/me")
        assert (r.status_code, r.json()) == (401, error("unauthorised"))

        # The already-minted access token verifies offline until it expires; the live check refuses it now.
        stolen_access = {"cookie": f"sw_access={new_cookies['sw_access'][0]}"}
        assert client.get("/me", headers=stolen_access).status_code == 200
        r = client.get("/live", headers=stolen_access)
        assert (r.status_code, r.json()) == (401, error("unauthorised"))


def test_cookie_mode_logout(
    manager: SessionManager, clock: Any, set_cookies: SetCookies, front_token: FrontToken
) -> None:
    client = TestClient(make_app(manager, HttpSessions()), base_url=BASE_URL)
    r = client.post("/login", json={"user_id": "carol"})
    body, cookies = r.json(), set_cookies(r)
    csrf = front_token(cookies["sw_front"][0])["csrf"]
    assert client.get("/live").json() == {"user_id": "carol"}

    # A forged sign-out (no CSRF header) is refused and changes nothing.
    r = client.post("/auth/logout")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert "set-cookie" not in r.headers
    assert manager.get_session(body["session_handle"]) is not None

    # Sign-out works with an expired access token too, and deletes the cookies.
    clock.now = body["access_expires_at"] + 3600
    r = client.post("/auth/logout", headers={"x-csrf-token": csrf})
    assert (r.status_code, r.json()) == (200, {"revoked": True})
    assert r.headers["cache-control"] == "no-store"
    assert set_cookies(r) == {
        "sw_access": ("", CLEARED | {"Path=/", "HttpOnly"}),
        "sw_front": ("", CLEARED | {"Path=/"}),
        "sw_refresh": ("", CLEARED | {"Path=/auth/refresh", "HttpOnly"}),
    }
    assert jar_names(client) == set()
    assert manager.get_session(body["session_handle"]) is None

    assert client.get("/me").status_code == 401
    # With no token at all, sign-out is refused and deletes no cookie (no cross-site sign-out).
    r = client.post("/auth/logout")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert "set-cookie" not in r.headers
    replay = f"sw_refresh={cookies['sw_refresh'][0]}; sw_front={cookies['sw_front'][0]}"
    r = client.post("/auth/refresh", headers={"cookie": replay, "x-csrf-token": csrf})
    assert (r.status_code, r.json()) == (401, error("unauthorised"))


def test_cookie_mode_deletes_foreign_cookies_but_not_for_unknown_keys(
    manager: SessionManager, set_cookies: SetCookies
) -> None:
    client = TestClient(make_app(manager, HttpSessions()), base_url=BASE_URL)

    # A garbage access cookie (another deployment's, a stale format) is refused and deleted.
    r = client.get("/me", headers={"cookie": "sw_access=garbage"})
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert set(set_cookies(r)) == {"sw_access", "sw_front", "sw_refresh"}

    # A token signed by a key this instance does not know yet (key rotation on another instance) is refused,
    # but the cookies stay: the session may be fine.
    other = SessionManager(issuer="https://issuer.test", audience="api.test", store=sessionward.MemoryStore())
    foreign = other.create_session("dave").access_token
    r = client.get("/me", headers={"cookie": f"sw_access={foreign}"})
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert "set-cookie" not in r.headers

    # No token at all: nothing to delete (and a cross-site request must not be able to sign anyone out).
    r = client.get("/me")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert "set-cookie" not in r.headers


# -- header mode ------------------------------------------------------------------------------------------


def test_header_mode_journey(clock: Any, manager: SessionManager) -> None:
    client = TestClient(make_app(manager, HttpSessions(mode="header")), base_url=BASE_URL)
    r = client.post("/alogin", json={"user_id": "bob"})
    assert r.status_code == 200, r.text
    assert "set-cookie" not in r.headers and r.headers["cache-control"] == "no-store"
    tokens = r.json()
    assert set(tokens) == {
        "user_id", "session_handle", "access_expires_at", "refresh_expires_at", "front_token", "access_token",
        "refresh_token",
    }
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}

    for path in ("/me", "/ame"):
        r = client.get(path, headers=bearer)
        assert (r.status_code, r.json()["user_id"]) == (200, "bob")
    assert client.post("/items", headers=bearer).json() == {"created_by": "bob"}  # no CSRF for bearer tokens

    r = client.get("/me")
    assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (401, error("unauthorised"), "Bearer")
    # Header mode ignores cookies.
    r = client.get("/me", headers={"cookie": f"sw_access={tokens['access_token']}"})
    assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (401, error("unauthorised"), "Bearer")
    r = client.get("/me", headers={"authorization": "Bearer not.a.token"})
    assert (r.status_code, r.headers["www-authenticate"]) == (401, 'Bearer error="invalid_token"')

    clock.now = tokens["access_expires_at"] + LEEWAY
    r = client.get("/ame", headers=bearer)
    assert (r.status_code, r.json()) == (401, error("try_refresh"))
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'

    # Refresh with the token in the JSON body; the new tokens come back in the body, no cookies.
    r = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200, r.text
    assert "set-cookie" not in r.headers and r.headers["cache-control"] == "no-store"
    fresh = r.json()
    assert set(fresh) == set(tokens) and fresh["session_handle"] == tokens["session_handle"]
    assert fresh["refresh_token"] != tokens["refresh_token"] and fresh["access_token"] != tokens["access_token"]
    new_bearer = {"authorization": f"Bearer {fresh['access_token']}"}
    assert client.get("/me", headers=new_bearer).status_code == 200

    # Malformed bodies are 400, a missing token 401.
    malformed: list[dict[str, Any]] = [
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"json": ["swr_x"]},
        {"json": {"refresh_token": 5}},
        {"content": b'{"refresh_token": "' + b"a" * 20_000 + b'"}'},
    ]
    for kwargs in malformed:
        r = client.post("/auth/refresh", **kwargs)
        assert (r.status_code, r.json()) == (400, error("invalid_argument")), kwargs
    empty: list[dict[str, Any]] = [{}, {"json": {}}, {"json": {"refresh_token": ""}}]
    for kwargs in empty:
        r = client.post("/auth/refresh", **kwargs)
        assert (r.status_code, r.json(), r.headers["www-authenticate"]) == (401, error("unauthorised"), "Bearer")

    # Theft: replay of the old refresh token after the grace window.
    clock.advance(GRACE + 1)
    r = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert (r.status_code, r.json()) == (401, error("token_theft"))
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"' and "set-cookie" not in r.headers
    r = client.post("/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert client.get("/live", headers=new_bearer).status_code == 401


def test_header_mode_logout(manager: SessionManager) -> None:
    client = TestClient(make_app(manager, HttpSessions(mode="header")), base_url=BASE_URL)
    first = client.post("/login", json={"user_id": "erin"}).json()
    second = client.post("/login", json={"user_id": "erin"}).json()

    # By access token.
    r = client.post("/auth/logout", headers={"authorization": f"Bearer {first['access_token']}"})
    assert (r.status_code, r.json()) == (200, {"revoked": True})
    assert "set-cookie" not in r.headers
    assert manager.get_session(first["session_handle"]) is None
    # By refresh token in the body.
    r = client.post("/auth/logout", json={"refresh_token": second["refresh_token"]})
    assert (r.status_code, r.json()) == (200, {"revoked": True})
    assert manager.get_session(second["session_handle"]) is None
    r = client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    # With no token at all, sign-out is refused and deletes no cookie (no cross-site sign-out).
    r = client.post("/auth/logout")
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    assert "set-cookie" not in r.headers


def test_both_mode_sets_cookies_and_returns_tokens(
    manager: SessionManager, set_cookies: SetCookies, front_token: FrontToken
) -> None:
    client = TestClient(make_app(manager, HttpSessions(mode="both")), base_url=BASE_URL)
    r = client.post("/login", json={"user_id": "frank"})
    tokens, cookies = r.json(), set_cookies(r)
    assert cookies["sw_access"][0] == tokens["access_token"] and cookies["sw_refresh"][0] == tokens["refresh_token"]
    assert client.get("/me").json()["user_id"] == "frank"  # by cookie
    r = client.get("/me", headers={"authorization": f"Bearer {tokens['access_token']}", "cookie": ""})
    assert r.json()["user_id"] == "frank"
    csrf = front_token(cookies["sw_front"][0])["csrf"]
    r = client.post("/auth/refresh", headers={"x-csrf-token": csrf})  # by cookie
    assert r.status_code == 200 and set(set_cookies(r)) == {"sw_access", "sw_front", "sw_refresh"}
    assert r.json()["refresh_token"] == set_cookies(r)["sw_refresh"][0]


# -- dependencies -----------------------------------------------------------------------------------------


def test_claim_and_scope_dependencies(manager: SessionManager) -> None:
    client = TestClient(make_app(manager, HttpSessions(mode="header")), base_url=BASE_URL)

    def bearer(claims: dict[str, Any]) -> dict[str, str]:
        token = client.post("/login", json={"user_id": "gina", "claims": claims}).json()["access_token"]
        return {"authorization": f"Bearer {token}"}

    admin = bearer({"role": "admin", "scope": "read write"})
    user = bearer({"role": "user", "scope": ["read"]})
    bare = bearer({})

    assert client.get("/admin", headers=admin).json() == {"admin": True}
    assert client.get("/write", headers=admin).json() == {"writer": "gina"}
    for path, headers in (("/admin", user), ("/admin", bare), ("/write", user), ("/write", bare)):
        r = client.get(path, headers=headers)
        assert (r.status_code, r.json()) == (403, error("invalid_claim")), path
        assert r.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    # Without a token the claim check never runs: 401.
    assert client.get("/admin").status_code == 401
    # A value that is not JSON data could never match: refused when the dependency is built.
    with pytest.raises(TypeError):
        SessionwardFastAPI(manager).require_claim("role", object())


def test_optional_session(clock: Any, manager: SessionManager) -> None:
    client = TestClient(make_app(manager, HttpSessions(mode="header")), base_url=BASE_URL)
    assert client.get("/maybe").json() == {"user_id": None}
    tokens = client.post("/login", json={"user_id": "hal"}).json()
    bearer = {"authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/maybe", headers=bearer).json() == {"user_id": "hal"}
    # A token that is present but refused is an error, not anonymity.
    r = client.get("/maybe", headers={"authorization": "Bearer garbage"})
    assert (r.status_code, r.json()) == (401, error("unauthorised"))
    clock.now = tokens["access_expires_at"] + LEEWAY
    r = client.get("/maybe", headers=bearer)
    assert (r.status_code, r.json()) == (401, error("try_refresh"))


def test_optional_session_cookie_mode(manager: SessionManager) -> None:
    client = TestClient(make_app(manager, HttpSessions()), base_url=BASE_URL)
    assert client.get("/maybe").json() == {"user_id": None}
    client.post("/login", json={"user_id": "ivy"})
    assert client.get("/maybe").json() == {"user_id": "ivy"}


# -- errors, configuration, documentation -----------------------------------------------------------------


def test_errors_outside_sessionward_routes(manager: SessionManager, caplog: pytest.LogCaptureFixture) -> None:
    client = TestClient(make_app(manager, HttpSessions()), base_url=BASE_URL)
    with caplog.at_level(logging.ERROR, logger="sessionward"):
        r = client.get("/store-down")
    assert (r.status_code, r.json()) == (503, error("store_unavailable"))
    assert "secret" not in r.text
    assert [record.getMessage() for record in caplog.records] == [
        "sessionward store_unavailable: session store unavailable: disk I/O error in /srv/secret.db; retry later"
    ]
    # The application passing a reserved claim name: 400, no session created, no cookie.
    r = client.post("/login", json={"user_id": "jo", "claims": {"sub": "root"}})
    assert (r.status_code, r.json()) == (400, error("invalid_argument"))
    assert "set-cookie" not in r.headers
    assert manager.list_sessions("jo") == []


def test_custom_paths(manager: SessionManager, set_cookies: SetCookies, front_token: FrontToken) -> None:
    http = HttpSessions(refresh_path="/api/session/refresh", same_site="strict")
    client = TestClient(make_app(manager, http, logout_path="/api/session/logout"), base_url=BASE_URL)
    cookies = set_cookies(client.post("/login", json={"user_id": "kim"}))
    assert "Path=/api/session/refresh" in cookies["sw_refresh"][1] and "SameSite=Strict" in cookies["sw_refresh"][1]
    csrf = front_token(cookies["sw_front"][0])["csrf"]
    assert client.post("/auth/refresh", headers={"x-csrf-token": csrf}).status_code == 404
    r = client.post("/api/session/refresh", headers={"x-csrf-token": csrf})
    assert r.status_code == 200, r.text
    csrf = front_token(set_cookies(r)["sw_front"][0])["csrf"]
    r = client.post("/api/session/logout", headers={"x-csrf-token": csrf})
    assert (r.status_code, r.json()) == (200, {"revoked": True})


def test_openapi_documents_the_credentials(manager: SessionManager) -> None:
    cookie_doc = TestClient(make_app(manager, HttpSessions())).get("/openapi.json").json()
    assert cookie_doc["components"]["securitySchemes"] == {
        "sessionwardCookie": {
            "type": "apiKey",
            "in": "cookie",
            "name": "sw_access",
            "description": "The access token cookie; state-changing requests also need the x-csrf-token header.",
        }
    }
    for path, method in (("/me", "get"), ("/maybe", "get"), ("/admin", "get"), ("/live", "get")):
        assert cookie_doc["paths"][path][method]["security"] == [{"sessionwardCookie": []}], path
    assert "security" not in cookie_doc["paths"]["/cookies"]["get"]
    assert "requestBody" not in cookie_doc["paths"]["/auth/refresh"]["post"]
    assert set(cookie_doc["paths"]["/auth/logout"]) == {"post"}

    header_doc = TestClient(make_app(manager, HttpSessions(mode="header"))).get("/openapi.json").json()
    assert header_doc["components"]["securitySchemes"] == {
        "sessionwardBearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "The access token.",
        }
    }
    assert header_doc["paths"]["/write"]["get"]["security"] == [{"sessionwardBearer": []}]
    schema = header_doc["paths"]["/auth/refresh"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"refresh_token"}
