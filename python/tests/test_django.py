"""The Django integration and the DRF authentication class, driven through Django's test clients.

The project under test is ``tests/django_project``. Time is frozen and advanced by the ``clock`` fixture of
``conftest.py``, which replaces ``time.time`` (the native manager reads it when no ``now`` is given).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "django_project.settings"

import django  # noqa: E402

django.setup()

from asgiref.sync import iscoroutinefunction  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import checks  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import AsyncClient, Client, RequestFactory, override_settings  # noqa: E402
from django_project import views as project_views  # noqa: E402
from rest_framework import exceptions as drf_exceptions  # noqa: E402

import sessionward  # noqa: E402
from sessionward import (  # noqa: E402
    ConfigurationError,
    HttpSessions,
    InvalidArgumentError,
    InvalidClaimError,
    MemoryStore,
    SessionManager,
    StoreUnavailableError,
    TheftEvent,
    TokenTheftError,
    TryRefreshError,
    UnauthorisedError,
)
from sessionward._web import PUBLIC_MESSAGES  # noqa: E402
from sessionward.django import conf  # noqa: E402
from sessionward.django._http import apply_set_cookies, error_response, parse_set_cookie  # noqa: E402
from sessionward.django.middleware import SessionwardMiddleware, authenticate_request  # noqa: E402
from sessionward.drf import to_api_exception  # noqa: E402

BASE = dict(settings.SESSIONWARD)
ACCESS_TTL = 900
LEEWAY = 30
GRACE = 60
IDLE = 14 * 86_400
EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
COOKIE_NAMES = {"sw_access", "sw_front", "sw_refresh"}
CSRF_LOG = (
    "sessionward unauthorised: unauthorised: the CSRF header is missing or does not match; "
    "send the front token's csrf value in the CSRF header"
)
MISSING_LOG = "sessionward unauthorised: unauthorised: no token was presented; sign in"
REVOKED_LOG = "sessionward unauthorised: unauthorised: the session is unknown or was revoked; sign in again"
INVALID_TOKEN = 'Bearer error="invalid_token"'


# --------------------------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def fresh_manager(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test starts with a new manager (and so a new memory store), and captures sessionward's logs."""
    caplog.set_level(logging.DEBUG, logger="sessionward")
    conf.reset()
    project_views.THEFTS.clear()
    yield
    conf.reset()


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The messages sessionward logged since the last call (they name the failed check; bodies do not)."""
    messages = [r.getMessage() for r in caplog.records if r.name == "sessionward"]
    caplog.clear()
    return messages


def parse_cookie(header: str) -> tuple[str, str, dict[str, Any]]:
    """``name``, ``value`` and the attributes (lower-case names; ``True`` for flags) of a Set-Cookie value."""
    pair, *attributes = [part.strip() for part in header.strip().split(";")]
    name, _, value = pair.partition("=")
    attrs: dict[str, Any] = {}
    for attribute in attributes:
        key, eq, attr_value = attribute.partition("=")
        assert key.lower() not in attrs, f"duplicate attribute in {header!r}"
        attrs[key.lower()] = attr_value if eq else True
    return name, value, attrs


def wire_cookies(response: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """The cookies a response sets, as they go on the wire (Django writes one header per morsel)."""
    out = {}
    for morsel in response.cookies.values():
        name, value, attrs = parse_cookie(morsel.output(header=""))
        out[name] = (value, attrs)
    return out


def cookie_attrs(path: str, http_only: bool, max_age: int = IDLE) -> dict[str, Any]:
    attrs: dict[str, Any] = {"max-age": str(max_age), "path": path, "samesite": "Lax", "secure": True}
    if http_only:
        attrs["httponly"] = True
    return attrs


def assert_session_cookies(response: Any) -> None:
    cookies = wire_cookies(response)
    assert set(cookies) == COOKIE_NAMES
    assert cookies["sw_access"][1] == cookie_attrs("/", http_only=True)
    assert cookies["sw_front"][1] == cookie_attrs("/", http_only=False)
    assert cookies["sw_refresh"][1] == cookie_attrs("/auth/refresh", http_only=True)
    assert cookies["sw_access"][0].count(".") == 2
    assert cookies["sw_refresh"][0].startswith("swr_")


def assert_cleared_cookies(response: Any) -> None:
    cookies = wire_cookies(response)
    assert set(cookies) == COOKIE_NAMES
    for name, path, http_only in [("sw_access", "/", True), ("sw_front", "/", False), ("sw_refresh", "/auth/refresh", True)]:
        value, attrs = cookies[name]
        assert value == ""
        assert attrs == {**cookie_attrs(path, http_only, max_age=0), "expires": EPOCH}


def assert_error(response: Any, status: int, code: str, *, www: Optional[str] = None, cleared: bool = False) -> None:
    """A sessionward error answer: status, public body, ``no-store``, ``WWW-Authenticate`` exactly ``www``
    (absent when ``None``), and the cookies deleted if and only if ``cleared``."""
    assert response.status_code == status, response.content
    assert response.json() == {"error": code, "message": PUBLIC_MESSAGES[code]}
    assert response["Cache-Control"] == "no-store"
    assert response.get("WWW-Authenticate") == www
    if cleared:
        assert_cleared_cookies(response)
    else:
        assert len(response.cookies) == 0, wire_cookies(response)


def decode_front(value: str) -> dict[str, Any]:
    """The JSON of a front token (unpadded base64url), decoded independently of the library."""
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    return decoded


LOGIN_KEYS = {"user_id", "session_handle", "access_expires_at", "refresh_expires_at", "front_token"}
TOKEN_KEYS = {"access_token", "refresh_token"}


class Agent:
    """Drives the test project like a browser (cookie mode) or an API client (header mode), with Django's
    sync ``Client`` or its ``AsyncClient`` (each async request runs in its own event loop)."""

    def __init__(self, mode: str, kind: str = "sync") -> None:
        self.mode = mode
        self.kind = kind
        self.client: Any = AsyncClient(enforce_csrf_checks=True) if kind == "async" else Client(enforce_csrf_checks=True)
        self.tokens: dict[str, Any] = {}

    @property
    def login_path(self) -> str:
        return "/alogin" if self.kind == "async" else "/login"

    def path(self, sync_path: str) -> str:
        """The async twin of a protected route (``/api/me`` -> ``/api/ame``) for async agents."""
        return sync_path.replace("/api/", "/api/a") if self.kind == "async" else sync_path

    def cookie(self, name: str) -> str:
        return self.client.cookies[name].value if name in self.client.cookies else ""

    def csrf(self) -> str:
        return decode_front(self.cookie("sw_front"))["csrf"]

    def request(
        self, method: str, path: str, *, body: Any = None, headers: Optional[dict[str, str]] = None, auth: bool = True
    ) -> Any:
        headers = dict(headers or {})
        if auth and self.mode == "header" and "access_token" in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        if auth and self.mode == "cookie" and method != "GET" and self.cookie("sw_front"):
            headers["X-CSRF-Token"] = self.csrf()
        kwargs: dict[str, Any] = {"headers": headers}
        if method != "GET":
            # Like fetch(): a JSON body, or none at all (the test client would otherwise send an empty form).
            kwargs.update(data="" if body is None else json.dumps(body), content_type="application/json")
        call = getattr(self.client, method.lower())
        if self.kind == "async":
            return asyncio.run(call(path, **kwargs))
        return call(path, **kwargs)

    def login(self, user_id: str = "alice", **claims: Any) -> Any:
        response = self.request("POST", self.login_path, body={"user_id": user_id, **claims}, auth=False)
        assert response.status_code == 200, response.content
        assert response["Cache-Control"] == "no-store"
        if self.mode == "header":
            self.tokens = response.json()
        return response

    def refresh_token(self) -> str:
        return self.cookie("sw_refresh") if self.mode == "cookie" else self.tokens["refresh_token"]

    def refresh(self, token: Optional[str] = None) -> Any:
        if self.mode == "cookie":
            if token is not None:
                self.client.cookies["sw_refresh"] = token
            return self.request("POST", "/auth/refresh")
        response = self.request("POST", "/auth/refresh", body={"refresh_token": token or self.refresh_token()}, auth=False)
        if response.status_code == 200:
            self.tokens = response.json()
        return response


def login_user(client: Client, user_id: str = "alice", **claims: Any) -> Any:
    response = client.post("/login", json.dumps({"user_id": user_id, **claims}), content_type="application/json")
    assert response.status_code == 200, response.content
    return response


def csrf_of(client: Any) -> str:
    return decode_front(client.cookies["sw_front"].value)["csrf"]


def async_twin(client: Client) -> AsyncClient:
    """An ``AsyncClient`` holding a copy of ``client``'s cookies."""
    twin = AsyncClient()
    for morsel in client.cookies.values():
        twin.cookies[morsel.key] = morsel.value
    return twin


# ----------------------------------------------------------------------------------------- journeys

JOURNEYS = [
    ("sync", "cookie", "sqlite"),
    ("sync", "header", "memory"),
    ("async", "cookie", "memory"),
    ("async", "header", "sqlite"),
]


@pytest.mark.parametrize(("kind", "mode", "store"), JOURNEYS)
def test_journey(kind: str, mode: str, store: str, tmp_path: Path, clock: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Sign in, call, expire, try_refresh, refresh, lost-response retry, theft, sign out."""
    db = tmp_path / "sessions.sqlite3"
    config = {
        **BASE,
        "MODE": mode,
        "STORE": str(db) if store == "sqlite" else "memory",
        "ON_THEFT": "django_project.views.record_theft",
    }
    urlconf = "django_project.async_urls" if kind == "async" else "django_project.urls"
    cookies = mode == "cookie"
    www = None if cookies else INVALID_TOKEN
    with override_settings(SESSIONWARD=config, ROOT_URLCONF=urlconf):
        agent = Agent(mode, kind)
        me, me_store = agent.path("/api/me"), agent.path("/api/me-store")

        # Sign in.
        response = agent.login(role="admin")
        body = response.json()
        handle = body["session_handle"]
        assert body["user_id"] == "alice"
        assert body["access_expires_at"] == int(clock.now) + ACCESS_TTL
        assert body["refresh_expires_at"] == int(clock.now) + IDLE
        if cookies:
            assert_session_cookies(response)
            assert set(body) == LOGIN_KEYS
            assert body["front_token"] == agent.cookie("sw_front")
        else:
            assert len(response.cookies) == 0
            assert set(body) == LOGIN_KEYS | TOKEN_KEYS
        assert db.exists() == (store == "sqlite")
        manager = conf.get_manager()
        session = manager.get_session(handle)
        assert session is not None and (session.user_id, session.device) == ("alice", "test")

        # Authorised, GET and (with the CSRF header or a bearer token) POST.
        for method in ("GET", "POST"):
            response = agent.request(method, me)
            assert response.status_code == 200, response.content
            assert response.json() == {
                "kind": kind, "method": method, "user_id": "alice", "session_handle": handle, "role": "admin",
            }

        # The access token expires: try_refresh, and the cookies stay.
        clock.advance(ACCESS_TTL + LEEWAY + 1)
        assert_error(agent.request("GET", me), 401, "try_refresh", www=www)

        # Refresh.
        first_refresh = agent.refresh_token()
        old_access = agent.cookie("sw_access") if cookies else agent.tokens["access_token"]
        old_csrf = agent.csrf() if cookies else None
        response = agent.refresh()
        assert response.status_code == 200, response.content
        assert response["Cache-Control"] == "no-store"
        second_refresh = agent.refresh_token()
        assert second_refresh.startswith("swr_") and second_refresh != first_refresh
        body = response.json()
        assert (body["session_handle"], body["user_id"]) == (handle, "alice")
        assert body["access_expires_at"] == int(clock.now) + ACCESS_TTL
        if cookies:
            assert_session_cookies(response)
            assert set(body) == LOGIN_KEYS
            assert body["front_token"] == agent.cookie("sw_front")
            assert agent.cookie("sw_access") != old_access and agent.csrf() != old_csrf
        else:
            assert len(response.cookies) == 0
            assert set(body) == LOGIN_KEYS | TOKEN_KEYS
            assert body["access_token"] != old_access
        response = agent.request("GET", me)
        assert response.status_code == 200 and response.json()["user_id"] == "alice"

        # A lost response: the previous token, within the grace window, returns the same successor.
        clock.advance(10)
        response = agent.refresh(first_refresh)
        assert response.status_code == 200, response.content
        assert agent.refresh_token() == second_refresh
        live_access = agent.cookie("sw_access") if cookies else agent.tokens["access_token"]
        live_front = agent.cookie("sw_front")

        # Replayed after the grace window: theft; the session is revoked and its cookies deleted.
        clock.advance(GRACE + 1)
        caplog.clear()
        assert_error(agent.refresh(first_refresh), 401, "token_theft", www=www, cleared=cookies)
        assert logged(caplog) == [
            f"sessionward: refresh token reuse detected for session {handle} (user alice): the session was revoked; "
            "the user must sign in again"
        ]
        assert manager.get_session(handle) is None
        assert project_views.THEFTS == [TheftEvent(session_handle=handle, user_id="alice", detected_at=int(clock.now))]

        # The newest refresh token died with the session (CSRF header present: the refusal is the session's).
        if cookies:
            assert agent.cookie("sw_access") == ""
            agent.client.cookies["sw_front"] = live_front
        assert_error(agent.refresh(second_refresh), 401, "unauthorised", www=www, cleared=cookies)
        assert logged(caplog) == [REVOKED_LOG]

        # An access token still within its lifetime passes the offline check, not the store check.
        if cookies:
            agent.client.cookies["sw_access"] = live_access
            agent.client.cookies["sw_front"] = live_front
        else:
            agent.tokens["access_token"] = live_access
        assert agent.request("GET", me).status_code == 200
        assert_error(agent.request("GET", me_store), 401, "unauthorised", www=www, cleared=cookies)
        assert logged(caplog) == [REVOKED_LOG]

        # Sign in again and sign out.
        handle = agent.login(role="admin").json()["session_handle"]
        assert agent.request("GET", me_store).status_code == 200
        response = agent.request("POST", "/auth/logout")
        assert response.status_code == 200, response.content
        assert response.json() == {"revoked": True}
        assert response["Cache-Control"] == "no-store"
        assert manager.get_session(handle) is None
        if cookies:
            assert_cleared_cookies(response)
            assert_error(agent.request("GET", me), 401, "unauthorised")
            assert logged(caplog) == [MISSING_LOG]
        else:
            assert len(response.cookies) == 0
            assert_error(agent.request("GET", me_store), 401, "unauthorised", www=www)
        signed_out_again = agent.request("POST", "/auth/logout")
        if cookies:
            # The cookies are gone, so no token at all: refused, and no cookie is touched (no cross-site sign-out).
            assert (signed_out_again.status_code, signed_out_again.json()["error"]) == (401, "unauthorised")
            assert len(signed_out_again.cookies) == 0
        else:
            # The client still sends its stale bearer token: it names a session that no longer exists.
            assert signed_out_again.json() == {"revoked": False}

        if not cookies:
            # Sign out with the refresh token alone, in the JSON body.
            handle = agent.login().json()["session_handle"]
            response = agent.request("POST", "/auth/logout", body={"refresh_token": agent.refresh_token()}, auth=False)
            assert response.json() == {"revoked": True}
            assert manager.get_session(handle) is None


# --------------------------------------------------------------------------------------------- CSRF


def test_cookie_mode_csrf_is_sessionwards_own(clock: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(enforce_csrf_checks=True)
    handle = login_user(client, role="admin").json()["session_handle"]
    csrf = csrf_of(client)

    # Safe methods need no header.
    assert client.get("/api/me").status_code == 200
    # State-changing requests need the front cookie's CSRF token; Django's own check does not interfere.
    for path in ("/api/me", "/api/cbv"):
        caplog.clear()
        assert_error(client.post(path), 401, "unauthorised")
        assert_error(client.post(path, headers={"X-CSRF-Token": "not-it"}), 401, "unauthorised")
        assert logged(caplog) == [CSRF_LOG, CSRF_LOG]
        response = client.post(path, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200 and response.json()["method"] == "POST"
    response = client.delete("/api/me", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json()["method"] == "DELETE"
    response = client.post("/drf/me")
    assert_error(response, 401, "unauthorised", www=INVALID_TOKEN)
    assert logged(caplog) == [CSRF_LOG]
    assert client.post("/drf/me", headers={"X-CSRF-Token": csrf}).json()["pk"] == "alice"

    # Django's CsrfViewMiddleware still guards views that are not sessionward's.
    assert client.post("/django-protected", headers={"X-CSRF-Token": csrf}).status_code == 403

    # Refresh without the header: refused, and the cookies are NOT deleted (no cross-site sign-out).
    assert_error(client.post("/auth/refresh"), 401, "unauthorised")
    assert_error(client.post("/auth/refresh", headers={"X-CSRF-Token": "not-it"}), 401, "unauthorised")
    assert logged(caplog) == [CSRF_LOG, CSRF_LOG]
    assert client.post("/auth/refresh", headers={"X-CSRF-Token": csrf}).status_code == 200

    # Sign-out without the header is refused and revokes nothing.
    csrf = csrf_of(client)
    assert_error(client.post("/auth/logout"), 401, "unauthorised")
    assert logged(caplog) == [CSRF_LOG]
    assert conf.get_manager().get_session(handle) is not None
    assert client.post("/auth/logout", headers={"X-CSRF-Token": csrf}).json() == {"revoked": True}
    assert conf.get_manager().get_session(handle) is None


def test_custom_csrf_header_name(clock: Any) -> None:
    with override_settings(SESSIONWARD={**BASE, "CSRF_HEADER": "X-Requested-By"}):
        client = Client(enforce_csrf_checks=True)
        login_user(client)
        csrf = csrf_of(client)
        assert_error(client.post("/api/me", headers={"X-CSRF-Token": csrf}), 401, "unauthorised")
        assert client.post("/api/me", headers={"X-Requested-By": csrf}).status_code == 200


def test_refresh_and_logout_accept_only_post(clock: Any) -> None:
    client = Client()
    handle = login_user(client).json()["session_handle"]
    for path in ("/auth/refresh", "/auth/logout"):
        response = client.get(path)
        assert response.status_code == 405
        assert response["Allow"] == "POST"
    with override_settings(ROOT_URLCONF="django_project.async_urls"):
        twin = async_twin(client)
        for path in ("/auth/refresh", "/auth/logout"):
            response = asyncio.run(twin.get(path))
            assert response.status_code == 405
            assert response["Allow"] == "POST"
    session = conf.get_manager().get_session(handle)
    assert session is not None and session.refreshed_at == session.created_at


def test_logout_with_expired_access_token(clock: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    handle = login_user(client).json()["session_handle"]
    csrf = csrf_of(client)
    clock.advance(ACCESS_TTL + LEEWAY + 1)
    assert_error(client.get("/api/me"), 401, "try_refresh")
    response = client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.json() == {"revoked": True}
    assert_cleared_cookies(response)
    assert conf.get_manager().get_session(handle) is None


def test_app_logout_helper(clock: Any) -> None:
    client = Client()
    handle = login_user(client).json()["session_handle"]
    # The helper raises; the middleware answers it like every other sessionward error, and the session survives.
    assert_error(client.post("/signout"), 401, "unauthorised")
    assert conf.get_manager().get_session(handle) is not None
    response = client.post("/signout", headers={"X-CSRF-Token": csrf_of(client)})
    assert response.json() == {"revoked": True}
    assert_cleared_cookies(response)
    assert conf.get_manager().get_session(handle) is None


def test_refresh_without_token_or_with_bad_body(clock: Any) -> None:
    assert_error(Client().post("/auth/refresh"), 401, "unauthorised")
    client = Client()
    client.cookies["sw_refresh"] = "swr_nope"
    client.cookies["sw_front"] = "x"
    assert_error(client.post("/auth/refresh", headers={"X-CSRF-Token": "x"}), 401, "unauthorised")  # bad front token
    with override_settings(SESSIONWARD={**BASE, "MODE": "header"}):
        client = Client()
        for raw in ("not json", "[1, 2]", '{"refresh_token": 5}', json.dumps({"refresh_token": "x" * 20_000})):
            assert_error(client.post("/auth/refresh", raw, content_type="application/json"), 400, "invalid_argument")
            assert_error(client.post("/auth/logout", raw, content_type="application/json"), 400, "invalid_argument")
        assert_error(client.post("/auth/refresh", "{}", content_type="application/json"), 401, "unauthorised", www="Bearer")
        response = client.post("/auth/refresh", json.dumps({"refresh_token": "swr_nope"}), content_type="application/json")
        assert_error(response, 401, "unauthorised", www=INVALID_TOKEN)


def test_refresh_with_a_malformed_refresh_cookie_clears_cookies(clock: Any) -> None:
    client = Client()
    login_user(client)
    client.cookies["sw_refresh"] = "swr_not-a-real-token"
    assert_error(client.post("/auth/refresh", headers={"X-CSRF-Token": csrf_of(client)}), 401, "unauthorised", cleared=True)


def test_header_mode_ignores_cookies_and_needs_no_csrf(clock: Any) -> None:
    with override_settings(SESSIONWARD={**BASE, "MODE": "header"}):
        client = Client(enforce_csrf_checks=True)
        tokens = login_user(client).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.post("/api/me", headers=bearer).status_code == 200
        assert client.post("/drf/me", headers=bearer).json()["pk"] == "alice"
        client.cookies["sw_access"] = tokens["access_token"]
        assert_error(client.get("/api/me"), 401, "unauthorised", www="Bearer")
        assert_error(client.get("/api/me", headers={"Authorization": "Bearer garbage"}), 401, "unauthorised", www=INVALID_TOKEN)
        assert_error(client.get("/api/admin", headers=bearer), 403, "invalid_claim", www='Bearer error="insufficient_scope"')


def test_both_mode(clock: Any) -> None:
    with override_settings(SESSIONWARD={**BASE, "MODE": "both"}):
        client = Client(enforce_csrf_checks=True)
        response = login_user(client)
        assert_session_cookies(response)
        tokens = response.json()
        assert set(tokens) == LOGIN_KEYS | TOKEN_KEYS
        assert tokens["access_token"] == client.cookies["sw_access"].value
        # Bearer: no CSRF header needed even with cookies present; the cookie alone needs it.
        assert client.post("/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 200
        assert_error(client.post("/api/me"), 401, "unauthorised", www=INVALID_TOKEN)
        # Refresh by body token (no CSRF header): tokens in the body and in cookies.
        body = json.dumps({"refresh_token": tokens["refresh_token"]})
        response = client.post("/auth/refresh", body, content_type="application/json")
        assert response.status_code == 200, response.content
        assert_session_cookies(response)
        assert response.json()["refresh_token"] == client.cookies["sw_refresh"].value != tokens["refresh_token"]


# ------------------------------------------------------------------------------- claims and the mixin


def test_claim_required_and_claim_contains(clock: Any) -> None:
    user = Client()
    login_user(user, role="user", scope="read write")
    assert_error(user.get("/api/admin"), 403, "invalid_claim")
    assert_error(asyncio.run(async_twin(user).get("/api/aadmin")), 403, "invalid_claim")
    assert user.get("/api/writer").json()["kind"] == "writer"
    assert_error(user.get("/api/acbv"), 403, "invalid_claim")

    admin = Client()
    login_user(admin, "root", role="admin", scope="read")
    assert admin.get("/api/admin").json() == {**admin.get("/api/me").json(), "kind": "admin"}
    response = asyncio.run(async_twin(admin).get("/api/aadmin"))
    assert response.status_code == 200 and response.json()["kind"] == "async-admin"
    assert_error(admin.get("/api/writer"), 403, "invalid_claim")

    # Authentication comes before authorisation: no token is 401, an expired one try_refresh.
    assert_error(Client().get("/api/admin"), 401, "unauthorised")
    clock.advance(ACCESS_TTL + LEEWAY + 1)
    assert_error(admin.get("/api/admin"), 401, "try_refresh")
    assert_error(user.get("/api/writer"), 401, "try_refresh")


def test_mixin_sync_and_async(clock: Any) -> None:
    client = Client()
    handle = login_user(client, role="admin").json()["session_handle"]
    assert client.get("/api/cbv").json()["kind"] == "cbv"
    assert_error(Client().get("/api/cbv"), 401, "unauthorised")

    async_client = async_twin(client)
    response = asyncio.run(async_client.get("/api/acbv"))
    assert response.status_code == 200 and response.json()["kind"] == "async-cbv"
    assert client.get("/api/acbv").json()["kind"] == "async-cbv"  # an async view under the sync client too

    # Authenticated but the method has no handler: 405 from Django, in both kinds.
    csrf = {"X-CSRF-Token": csrf_of(client)}
    assert client.put("/api/cbv", headers=csrf).status_code == 405
    assert asyncio.run(async_client.put("/api/acbv", headers=csrf)).status_code == 405
    assert_error(asyncio.run(AsyncClient().put("/api/acbv")), 401, "unauthorised")

    # check_store: a revoked session is refused before its access token expires.
    assert conf.get_manager().revoke(handle) is True
    assert client.get("/api/cbv").status_code == 200
    assert_error(asyncio.run(async_client.get("/api/acbv")), 401, "unauthorised", cleared=True)
    clock.advance(ACCESS_TTL + LEEWAY + 1)
    assert_error(client.get("/api/cbv"), 401, "try_refresh")


def test_errors_raised_by_views_are_answered(clock: Any, caplog: pytest.LogCaptureFixture) -> None:
    client = Client()
    login_user(client)
    for prefix in ("/api", "/drf"):
        caplog.clear()
        assert_error(client.get(f"{prefix}/raises"), 503, "store_unavailable")
        assert logged(caplog) == ["sessionward store_unavailable: session store unavailable: disk on fire; retry later"]
        response = client.get(f"{prefix}/raises", {"what": "claim"})
        assert response.status_code == 403
        assert response.json() == {"error": "invalid_claim", "message": PUBLIC_MESSAGES["invalid_claim"]}
        assert response["Cache-Control"] == "no-store"


# -------------------------------------------------------------------------------------- middleware


def test_anonymous_pages_are_not_blocked(clock: Any) -> None:
    client = Client()
    assert client.get("/public").json() == {"middleware": True, "user_id": None, "error": "unauthorised", "reason": "Missing"}
    login_user(client)
    assert client.get("/public").json() == {"middleware": True, "user_id": "alice", "error": None, "reason": None}
    clock.advance(ACCESS_TTL + LEEWAY + 1)
    assert client.get("/public").json() == {"middleware": True, "user_id": None, "error": "try_refresh", "reason": None}
    client.cookies["sw_access"] = "garbage"
    assert client.get("/public").json() == {"middleware": True, "user_id": None, "error": "unauthorised", "reason": "Malformed"}


def test_decorators_and_drf_work_without_the_middleware(clock: Any) -> None:
    middleware = [m for m in settings.MIDDLEWARE if "sessionward" not in m]
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        login_user(client)
        assert client.get("/public").json() == {"middleware": False}
        assert client.get("/api/me").json()["user_id"] == "alice"
        assert client.get("/api/cbv").json()["user_id"] == "alice"
        assert client.get("/drf/me").json()["pk"] == "alice"
        assert_error(Client().get("/drf/me"), 401, "unauthorised", www="Bearer")
        clock.advance(ACCESS_TTL + LEEWAY + 1)
        assert_error(client.get("/api/me"), 401, "try_refresh")


def test_middleware_sync_and_async_modes(clock: Any) -> None:
    issued = conf.get_manager().create_session("alice")
    cookie = f"sw_access={issued.access_token}"
    seen: list[Any] = []

    def get_response(request: Any) -> HttpResponse:
        seen.append((request.sessionward, request.sessionward_error))
        return HttpResponse("sync")

    async def aget_response(request: Any) -> HttpResponse:
        seen.append((request.sessionward, request.sessionward_error))
        return HttpResponse("async")

    sync_mw = SessionwardMiddleware(get_response)
    async_mw = SessionwardMiddleware(aget_response)
    assert not iscoroutinefunction(sync_mw) and iscoroutinefunction(async_mw)
    factory = RequestFactory()

    assert sync_mw(factory.get("/", HTTP_COOKIE=cookie)).content == b"sync"
    assert asyncio.run(async_mw(factory.get("/", HTTP_COOKIE=cookie))).content == b"async"
    assert [(claims.user_id, claims.session_handle, error) for claims, error in seen] == [
        ("alice", issued.session.handle, None)
    ] * 2

    seen.clear()
    sync_mw(factory.get("/"))
    asyncio.run(async_mw(factory.post("/", HTTP_COOKIE=cookie)))
    sync_mw(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {issued.access_token}"))  # cookie mode: bearer ignored
    clock.advance(ACCESS_TTL + LEEWAY + 1)
    sync_mw(factory.get("/", HTTP_COOKIE=cookie))
    assert all(claims is None for claims, _ in seen)
    errors = [error for _, error in seen]
    assert [type(e) for e in errors] == [UnauthorisedError, UnauthorisedError, UnauthorisedError, TryRefreshError]
    assert [getattr(e, "reason", None) for e in errors] == ["Missing", "Csrf", "Missing", None]

    # The CSRF header is the configured one; a request is verified once.
    clock.advance(-(ACCESS_TTL + LEEWAY + 1))
    request = factory.post("/", HTTP_COOKIE=cookie, HTTP_X_CSRF_TOKEN=issued.access.token_id)
    claims = authenticate_request(request)
    assert claims is not None and claims.user_id == "alice"
    assert authenticate_request(request) is claims


# --------------------------------------------------------------------------------------------- DRF


def test_drf_authentication(clock: Any) -> None:
    assert_error(Client().get("/drf/me"), 401, "unauthorised", www="Bearer")

    user = Client()
    handle = login_user(user, role="user").json()["session_handle"]
    assert user.get("/drf/me").json() == {
        "pk": "alice", "user_class": "SessionwardUser", "username": "alice", "session_handle": handle, "method": "GET",
    }
    response = user.get("/drf/admin")
    assert response.status_code == 403
    assert response.json() == {"error": "invalid_claim", "message": PUBLIC_MESSAGES["invalid_claim"]}

    admin = Client()
    admin_handle = login_user(admin, "root", role="admin").json()["session_handle"]
    assert admin.get("/drf/admin").json()["pk"] == "root"

    user.cookies["sw_access"] = "garbage"
    assert_error(user.get("/drf/me"), 401, "unauthorised", www=INVALID_TOKEN, cleared=True)

    # Revoked: the offline check passes, a store-checking subclass refuses.
    assert conf.get_manager().revoke(admin_handle) is True
    assert admin.get("/drf/me").status_code == 200
    assert_error(admin.get("/drf/me-store"), 401, "unauthorised", www=INVALID_TOKEN, cleared=True)

    admin = Client()
    login_user(admin, "root", role="admin")
    clock.advance(ACCESS_TTL + LEEWAY + 1)
    assert_error(admin.get("/drf/me"), 401, "try_refresh", www=INVALID_TOKEN)
    assert_error(admin.get("/drf/admin"), 401, "try_refresh", www=INVALID_TOKEN)


def test_drf_falls_through_to_other_authenticators_without_a_token(clock: Any) -> None:
    key = {"X-Api-Key": "service-key"}
    assert Client().get("/drf/me-or-key", headers=key).json() == {"user_class": "User", "username": "service"}
    assert_error(Client().get("/drf/me-or-key"), 401, "unauthorised", www="Bearer")
    client = Client()
    login_user(client)
    assert client.get("/drf/me-or-key").json() == {"user_class": "SessionwardUser", "username": "alice"}
    # A refused token is an answer, not a fall-through.
    clock.advance(ACCESS_TTL + LEEWAY + 1)
    assert_error(client.get("/drf/me-or-key", headers=key), 401, "try_refresh", www=INVALID_TOKEN)


def test_drf_without_the_exception_handler(clock: Any) -> None:
    with override_settings(REST_FRAMEWORK={}):
        response = Client().get("/drf/me")
        assert (response.status_code, response["WWW-Authenticate"]) == (401, "Bearer")
        assert response.json() == {"detail": "Authentication credentials were not provided."}  # DRF's own
        client = Client()
        login_user(client)
        clock.advance(ACCESS_TTL + LEEWAY + 1)
        response = client.get("/drf/me")  # sessionward's failures keep their body without the handler
        assert (response.status_code, response["WWW-Authenticate"]) == (401, INVALID_TOKEN)
        assert response.json() == {"error": "try_refresh", "message": PUBLIC_MESSAGES["try_refresh"]}
        assert "Cache-Control" not in response


def test_drf_user_loader(clock: Any, caplog: pytest.LogCaptureFixture) -> None:
    with override_settings(SESSIONWARD={**BASE, "USER_LOADER": "django_project.views.load_user"}):
        client = Client()
        login_user(client, "alice")
        body = client.get("/drf/me").json()
        assert (body["pk"], body["user_class"], body["username"]) == (None, "User", "alice")
        for user_id, message in [("ghost", "the user is unknown"), ("banned", "the user is inactive")]:
            other = Client()
            login_user(other, user_id)
            caplog.clear()
            assert_error(other.get("/drf/me"), 401, "unauthorised", www=INVALID_TOKEN, cleared=True)
            assert logged(caplog) == [f"sessionward unauthorised: unauthorised: {message}; sign in again"]


# -------------------------------------------------------------------------------- errors and cookies


ERRORS = [
    (TryRefreshError("expired"), 401, "try_refresh", False),
    (UnauthorisedError("bad", "Malformed"), 401, "unauthorised", True),
    (UnauthorisedError("none", "Missing"), 401, "unauthorised", False),
    (UnauthorisedError("csrf", "Csrf"), 401, "unauthorised", False),
    (TokenTheftError("theft", "h", "u"), 401, "token_theft", True),
    (InvalidClaimError("claim", "role"), 403, "invalid_claim", False),
    (InvalidArgumentError("arg"), 400, "invalid_argument", False),
    (StoreUnavailableError("down"), 503, "store_unavailable", False),
    (ConfigurationError("bad"), 500, "bad_configuration", False),
]


@pytest.mark.parametrize(("error", "status", "code", "cleared"), ERRORS)
def test_error_mapping(error: sessionward.SessionwardError, status: int, code: str, cleared: bool) -> None:
    response = error_response(conf.get_sessionward(), error)
    assert response.status_code == status
    assert json.loads(response.content) == {"error": code, "message": PUBLIC_MESSAGES[code]}
    assert response["Cache-Control"] == "no-store"
    assert "WWW-Authenticate" not in response  # cookie mode
    if cleared:
        assert_cleared_cookies(response)
    else:
        assert len(response.cookies) == 0
    api_error = to_api_exception(error)
    assert api_error.status_code == status
    assert api_error.detail == {"error": code, "message": PUBLIC_MESSAGES[code]}
    assert api_error.get_codes() == {"error": code, "message": code}
    assert api_error.sessionward_error is error  # type: ignore[attr-defined]
    expected_class = {401: drf_exceptions.AuthenticationFailed, 403: drf_exceptions.PermissionDenied}
    assert type(api_error) is expected_class.get(status, drf_exceptions.APIException)


COOKIE_CONFIGS = [
    {},
    {"secure": False, "same_site": "strict", "domain": "example.com", "access_path": "/app", "refresh_path": "/app/auth/refresh"},
    {"host_prefix": True, "same_site": "none"},
    {"access_cookie": "a", "front_cookie": "f", "refresh_cookie": "r", "mode": "both"},
]


@pytest.mark.parametrize("config", COOKIE_CONFIGS)
def test_set_cookie_values_are_transferred_exactly(config: dict[str, Any]) -> None:
    manager = SessionManager(issuer="i", audience="a", store=MemoryStore(), front_token_claims=["role"])
    issued = manager.create_session("u", access_claims={"role": "admin"}, now=1_000_000)
    http = HttpSessions(**config)
    for native in (http.session_cookies(issued, now=1_000_100), http.clear_cookies()):
        assert len(native) == 3
        response = HttpResponse()
        apply_set_cookies(response, native)
        wire = [morsel.output(header="").strip() for morsel in response.cookies.values()]
        assert sorted(map(parse_cookie, wire)) == sorted(map(parse_cookie, native))


def test_set_cookie_exact_text() -> None:
    manager = SessionManager(issuer="i", audience="a", store=MemoryStore())
    issued = manager.create_session("u", now=1_000_000)
    response = HttpResponse()
    apply_set_cookies(response, HttpSessions().session_cookies(issued, now=1_000_100))
    assert response.cookies["sw_refresh"].output(header="").strip() == (
        f"sw_refresh={issued.refresh_token}; HttpOnly; Max-Age={IDLE - 100}; Path=/auth/refresh; SameSite=Lax; Secure"
    )
    apply_set_cookies(response, HttpSessions().clear_cookies())
    assert response.cookies["sw_front"].output(header="").strip() == (
        f"sw_front=; expires={EPOCH}; Max-Age=0; Path=/; SameSite=Lax; Secure"
    )


@pytest.mark.parametrize("bad", ["no-equals-sign", "=value", "a=b; Partitioned", "a=b; Max-Age", "a=b; Secure=yes"])
def test_parse_set_cookie_refuses_what_it_cannot_carry(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_set_cookie(bad)


# -------------------------------------------------------------------------------------------- conf


def test_one_manager_per_process_rebuilt_on_setting_change() -> None:
    barrier = threading.Barrier(8)
    built: list[tuple[Any, Any, Any]] = []

    def build() -> None:
        barrier.wait()
        built.append((conf.get_manager(), conf.get_http(), conf.get_sessionward()))

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 8
    for index in range(3):
        assert len({id(objects[index]) for objects in built}) == 1
    first, http, glue = built[0]
    assert (glue.manager, glue.http) == (first, http)
    assert conf.get_manager() is first

    with override_settings(SESSIONWARD={**BASE, "ACCESS_TTL": 120, "MODE": "header", "REFRESH_PATH": "/x/refresh"}):
        inside = conf.get_manager()
        assert inside is not first and inside.access_ttl == 120
        assert (inside.issuer, inside.audience) == ("https://tests.example", "tests")
        assert (conf.get_http().mode, conf.get_http().refresh_path) == ("header", "/x/refresh")
        assert conf.get_sessionward().manager is inside
    after = conf.get_manager()
    assert after is not inside and after is not first and after.access_ttl == ACCESS_TTL
    assert conf.get_http().mode == "cookie"


def test_store_setting_accepts_paths_and_objects(tmp_path: Path) -> None:
    path = tmp_path / "as-path.sqlite3"
    with override_settings(SESSIONWARD={**BASE, "STORE": path}):
        handle = conf.get_manager().create_session("alice").session.handle
        assert path.exists()
    with override_settings(SESSIONWARD={**BASE, "STORE": sessionward.SqliteStore(path)}):
        session = conf.get_manager().get_session(handle)
        assert session is not None and session.user_id == "alice"  # the same file: the session survived


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "settings.SESSIONWARD is not set"),
        ("oops", "must be a dict"),
        ({**BASE, "ISSUR": "x"}, "unknown keys: ISSUR"),
        ({"ISSUER": "x"}, "must set AUDIENCE"),
        ({**BASE, "STORE": 42}, 'SESSIONWARD["STORE"] must be'),
        ({**BASE, "ACCESS_TTL": -5}, "SESSIONWARD: bad configuration"),
        ({**BASE, "ON_THEFT": "django_project.views.nope"}, 'SESSIONWARD["ON_THEFT"]: cannot import'),
    ],
)
def test_bad_manager_settings(value: Any, message: str) -> None:
    with override_settings(SESSIONWARD=value):
        with pytest.raises(ImproperlyConfigured) as raised:
            conf.get_manager()
        assert message in str(raised.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({**BASE, "MODE": "carrier-pigeon"}, "mode must be"),
        ({**BASE, "SAME_SITE": "none", "COOKIE_SECURE": False}, "SameSite=None cookies must be Secure"),
        ({**BASE, "CSRF_HEADER": "bad header"}, "CSRF header name"),
    ],
)
def test_bad_transport_settings(value: Any, message: str) -> None:
    with override_settings(SESSIONWARD=value):
        with pytest.raises(ImproperlyConfigured) as raised:
            conf.get_http()
        assert message in str(raised.value)
        assert [m.id for m in checks.run_checks() if m.id.startswith("sessionward")] == ["sessionward.E001"]


def test_system_checks() -> None:
    assert [m for m in checks.run_checks() if m.id.startswith("sessionward")] == []
    with override_settings(SESSIONWARD={**BASE, "REFRESH_PATH": "/api/auth/refresh"}):
        messages = [m for m in checks.run_checks() if m.id.startswith("sessionward")]
        assert [m.id for m in messages] == ["sessionward.W001"]
        assert "'/auth/refresh'" in messages[0].msg and "'/api/auth/refresh'" in messages[0].msg
    with override_settings(SESSIONWARD={**BASE, "TYPO": 1}):
        assert [m.id for m in checks.run_checks() if m.id.startswith("sessionward")] == ["sessionward.E001"]


def test_logout_without_any_token_is_refused_and_keeps_cookies(clock: Any) -> None:
    # A cross-site form carries no SameSite cookie: it must not get a "signed out" answer with cookie deletions.
    response = Client().post("/auth/logout")
    assert (response.status_code, response.json()["error"]) == (401, "unauthorised")
    assert len(response.cookies) == 0
