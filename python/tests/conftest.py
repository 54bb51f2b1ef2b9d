"""Fixtures shared by the tests: a controllable clock, the embedded stores, a manager, and stores on real
PostgreSQL and Redis servers."""

from __future__ import annotations

import base64
import json
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import sessionward
from _servers import SERVER_KINDS, ServerStores, require_server

# Starlette 1.x warns when its TestClient runs on `httpx` instead of `httpx2`; requirements-test.txt pins httpx.
# Import the client once with that single warning silenced so that `filterwarnings = error` holds for the rest.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    try:
        import starlette.testclient  # noqa: F401
    except ImportError:  # pragma: no cover - the Django tests do not need it
        pass


class Clock:
    """Replaces ``time.time`` (which the native manager reads when ``now`` is not given)."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(float(int(time.time())))
    monkeypatch.setattr(time, "time", fake)
    return fake


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "memory":
        return sessionward.MemoryStore()
    return sessionward.SqliteStore(tmp_path / "s.db")


@pytest.fixture
def manager(clock: Clock, store: Any) -> sessionward.SessionManager:
    """A manager with the default lifetimes on ``store``, created under the fake clock."""
    return sessionward.SessionManager(issuer="https://issuer.test", audience="api.test", store=store)


def _set_cookies(response: Any) -> dict[str, tuple[str, set[str]]]:
    """The ``Set-Cookie`` headers of an httpx response: ``{name: (value, {attributes})}``; names must not repeat."""
    out: dict[str, tuple[str, set[str]]] = {}
    for header in response.headers.get_list("set-cookie"):
        pair, *attributes = header.split("; ")
        name, _, value = pair.partition("=")
        assert name not in out, f"cookie {name} set twice"
        out[name] = (value, set(attributes))
    return out


def _front_token(value: str) -> dict[str, Any]:
    """Decode a front token (unpadded base64url JSON) independently of the library."""
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    return decoded


@pytest.fixture
def set_cookies() -> Callable[[Any], dict[str, tuple[str, set[str]]]]:
    return _set_cookies


@pytest.fixture
def front_token() -> Callable[[str], dict[str, Any]]:
    return _front_token


@pytest.fixture(params=SERVER_KINDS)
def servers(request: pytest.FixtureRequest) -> Iterator[ServerStores]:
    """Stores on a real PostgreSQL or Redis server (see ``_servers.py``), on a prefix of this test's own."""
    require_server(request.param)
    stores = ServerStores(request.param)
    yield stores
    stores.cleanup()
