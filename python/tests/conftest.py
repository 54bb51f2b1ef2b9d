"""Fixtures shared by the tests: a controllable clock, the embedded stores, a manager, and stores on real
PostgreSQL and Redis servers and on a real Redis Cluster."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Iterator, Optional
from urllib.parse import urlsplit

import pytest

import sessionward
from _servers import SERVER_KINDS, TIMEOUT, ServerStores, require_server

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


CLUSTER = "redis-cluster"
CLUSTER_NODES = [
    node.strip()
    for node in (
        os.environ.get("SESSIONWARD_REDIS_CLUSTER_NODES")
        or "redis://127.0.0.1:7101,redis://127.0.0.1:7102,redis://127.0.0.1:7103"
    ).split(",")
]
_cluster_problem: list[Optional[str]] = []  # filled by the first probe


class ClusterStores(ServerStores):
    """``ServerStores`` on the Redis Cluster at SESSIONWARD_REDIS_CLUSTER_NODES (``scripts/start-redis-cluster``
    starts one). There is no single address to put a proxy in front of, so ``address`` and ``url_on`` do not
    apply: the fault tests run on the single servers only."""

    def __init__(self) -> None:
        super().__init__(CLUSTER)
        self.url = CLUSTER_NODES[0]

    def open(self, url: Optional[str] = None, **options: Any) -> Any:
        assert url is None, "a cluster is reached through its node list"
        return sessionward.RedisClusterStore(CLUSTER_NODES, key_prefix=self.prefix, **options)

    def short_timeouts(self, seconds: float) -> dict[str, float]:
        return {"timeout": seconds}

    def cleanup(self) -> None:
        # Every master holds some of the keys: scan each and delete its keys there, one command a key (one
        # DEL of keys in several slots is refused).
        if not shutil.which("redis-cli"):
            return
        for master in self._masters():
            scan = ["redis-cli", "-u", master, "--scan", "--pattern", f"{self.prefix}*"]
            keys = subprocess.run(scan, capture_output=True, text=True, timeout=TIMEOUT).stdout.split()
            if keys:
                commands = "".join(f"DEL {key}\n" for key in keys)
                subprocess.run(["redis-cli", "-u", master], input=commands, capture_output=True, text=True,
                               timeout=TIMEOUT)

    def _masters(self) -> list[str]:
        """The URLs of the cluster's masters, as the first seed node sees them (credentials kept)."""
        out = subprocess.run(["redis-cli", "-u", self.url, "CLUSTER", "NODES"], capture_output=True, text=True,
                             timeout=TIMEOUT).stdout
        parts = urlsplit(self.url)
        userinfo = parts.netloc.rpartition("@")[0]
        masters = []
        for line in out.splitlines():
            fields = line.split()
            if len(fields) > 2 and "master" in fields[2].split(","):
                address = fields[1].split("@")[0]
                masters.append(parts._replace(netloc=f"{userinfo}@{address}" if userinfo else address).geturl())
        return masters


def require_cluster() -> None:
    """Skip (or, with SESSIONWARD_REQUIRE_SERVICES, fail) unless the cluster answers; checked once per run."""
    if not _cluster_problem:
        try:
            sessionward.RedisClusterStore(CLUSTER_NODES, timeout=3.0, key_prefix="swpy_probe:")
        except sessionward.StoreUnavailableError as err:
            _cluster_problem.append(str(err))
        else:
            _cluster_problem.append(None)
    problem = _cluster_problem[0]
    if problem is None:
        return
    nodes = ",".join(urlsplit(node).netloc.rpartition("@")[2] for node in CLUSTER_NODES)  # no passwords
    if os.environ.get("SESSIONWARD_REQUIRE_SERVICES"):
        pytest.fail(f"Redis Cluster not reachable at {nodes} and SESSIONWARD_REQUIRE_SERVICES is set: {problem}")
    pytest.skip(
        f"Redis Cluster not reachable at {nodes}: run scripts/start-redis-cluster or set "
        "SESSIONWARD_REDIS_CLUSTER_NODES (CI sets SESSIONWARD_REQUIRE_SERVICES=1)"
    )


@pytest.fixture(params=SERVER_KINDS)
def servers(request: pytest.FixtureRequest) -> Iterator[ServerStores]:
    """Stores on a real PostgreSQL or Redis server (see ``_servers.py``), on a prefix of this test's own.

    A test that also runs on the Redis Cluster says so with ``@pytest.mark.parametrize("servers",
    [*SERVER_KINDS, "redis-cluster"], indirect=True)``; the fault tests, which need one address, do not."""
    stores: ServerStores
    if request.param == CLUSTER:
        require_cluster()
        stores = ClusterStores()
    else:
        require_server(request.param)
        stores = ServerStores(request.param)
    yield stores
    stores.cleanup()
