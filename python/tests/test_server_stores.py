"""PostgresStore, RedisStore and RedisClusterStore from Python: the session journey across two app instances, a
shared key ring, concurrent refreshes, and a FastAPI app on PostgreSQL served over real HTTP.

Each test runs on both servers and on the Redis Cluster (the ``servers`` fixture in conftest.py: skipped without
the server, failed instead under SESSIONWARD_REQUIRE_SERVICES=1) with a prefix of its own. Every store object stands for one app
instance: two of them on one prefix share the sessions and the key ring as two machines would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import httpx
import pytest

import sessionward
from sessionward import (
    InvalidArgumentError,
    IssuedTokens,
    PostgresStore,
    RedisClusterStore,
    RedisStore,
    SessionManager,
    StoreUnavailableError,
    TokenTheftError,
    UnauthorisedError,
)

from _servers import REDIS_URL, SERVER_KINDS, TIMEOUT, Served, ServerStores, header_app

ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"
THREADS = 16
# PostgreSQL, Redis and Redis Cluster (the fixture's default is the two single servers).
on_every_server = pytest.mark.parametrize("servers", [*SERVER_KINDS, "redis-cluster"], indirect=True)


def manager(store: Any, now: float, **options: Any) -> SessionManager:
    return SessionManager(issuer=ISSUER, audience=AUDIENCE, store=store, now=now, **options)


def instances(servers: ServerStores, now: float, **options: Any) -> tuple[SessionManager, SessionManager]:
    """Two app instances: two managers, each with its own store object (pool) on the same prefix."""
    return manager(servers.open(), now, **options), manager(servers.open(), now, **options)


@on_every_server
def test_session_journey_across_two_instances(servers: ServerStores) -> None:
    t0 = float(int(time.time()))
    a, b = instances(servers, t0)
    assert a.jwks() == b.jwks() and len(a.jwks()["keys"]) == 1  # one ring, created once

    issued = a.create_session(
        "alice", access_claims={"role": "editor"}, data={"cart": [1, 2.5, "é"]}, user_agent="UA", now=t0
    )
    handle = issued.session.handle
    assert b.verify(issued.access_token, now=t0).user_id == "alice"
    claims, session = b.verify_with_store(issued.access_token, now=t0)
    assert claims.get("role") == "editor"
    assert (session.handle, session.data, session.user_agent) == (handle, {"cart": [1, 2.5, "é"]}, "UA")

    # Refreshed on B; a retry of the same token on A within the grace window gets the same successor.
    first = b.refresh(issued.refresh_token, now=t0 + 10)
    again = a.refresh(issued.refresh_token, now=t0 + 11)
    assert first.refresh_token == again.refresh_token != issued.refresh_token
    assert first.session.handle == handle
    assert a.verify(first.access_token, now=t0 + 10).session_handle == handle
    second = a.refresh(first.refresh_token, now=t0 + 100)

    # The first token, two rotations old, replayed on B: theft, the session is gone for both instances.
    with pytest.raises(TokenTheftError) as theft:
        b.refresh(issued.refresh_token, now=t0 + 101)
    assert (theft.value.code, theft.value.session_handle, theft.value.user_id) == ("token_theft", handle, "alice")
    assert a.get_session(handle, now=t0 + 101) is None
    with pytest.raises(UnauthorisedError):
        a.refresh(second.refresh_token, now=t0 + 102)
    with pytest.raises(UnauthorisedError) as revoked:
        a.verify_with_store(second.access_token, now=t0 + 102)
    assert revoked.value.reason == "SessionRevoked"


@on_every_server
def test_list_revoke_all_and_purge_across_instances(servers: ServerStores) -> None:
    t0 = float(int(time.time()))
    a, b = instances(servers, t0, idle_timeout=3600, absolute_lifetime=7200)
    bob = [a.create_session("bob", device=f"d{i}", now=t0 + i).session.handle for i in range(3)]
    carol = b.create_session("carol", now=t0).session.handle
    assert [s.handle for s in b.list_sessions("bob", now=t0 + 5)] == bob  # creation order
    assert b.revoke(bob[1]) is True and a.revoke(bob[1]) is False
    assert a.revoke_all("bob", keep=bob[0]) == 1
    assert [s.device for s in b.list_sessions("bob", now=t0 + 5)] == ["d0"]
    # Refreshing moves dave's idle expiry on; a purge after bob's and carol's expiry removes those two only.
    refreshed = a.refresh(a.create_session("dave", now=t0).refresh_token, now=t0 + 3000)
    assert b.purge_expired(now=t0 + 3601) == 2  # bob's d0 and carol's
    assert a.list_sessions("bob", now=t0 + 3601) == [] and a.get_session(carol, now=t0 + 3601) is None
    assert b.get_session(refreshed.session.handle, now=t0 + 3601) is not None
    assert b.revoke_all("dave") == 1 and a.list_sessions("dave", now=t0 + 3601) == []


@on_every_server
def test_key_rotation_happens_once_for_all_instances(servers: ServerStores) -> None:
    t0 = float(int(time.time()))
    options = {"rotate_keys_every": 3600, "publish_keys_ahead": 600, "key_sync_interval": 60}
    a, b = instances(servers, t0, **options)
    old_kid = a.verify(a.create_session("u", now=t0).access_token, now=t0).kid
    # Both instances find the rotation due at the same time: the ring's compare-and-swap lets one rotate.
    due = t0 + 3600
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda m: m.create_session("u", now=due), [a, b]))
    a.sync_keys()
    b.sync_keys()
    assert a.jwks() == b.jwks()
    kids = [k["kid"] for k in a.jwks()["keys"]]
    assert len(kids) == 2 and old_kid in kids
    # Once the new key signs (publish_ahead later), a token from A verifies on B.
    issued = a.create_session("u", now=due + 601)
    claims = b.verify(issued.access_token, now=due + 601)
    assert claims.kid != old_kid and claims.kid in kids
    # An explicit rotation on B reaches A without a restart.
    new_kid = b.rotate_keys(now=due + 700)
    a.sync_keys()
    assert new_kid in [k["kid"] for k in a.jwks()["keys"]]


@on_every_server
def test_sixteen_threads_refreshing_one_token_get_one_successor(servers: ServerStores) -> None:
    t0 = float(int(time.time()))
    thefts: list[Any] = []
    a, b = instances(servers, t0, on_theft=thefts.append)
    issued = a.create_session("erin", now=t0)
    barrier = threading.Barrier(THREADS, timeout=TIMEOUT)

    def refresh(i: int) -> IssuedTokens:
        barrier.wait()
        return (a if i % 2 else b).refresh(issued.refresh_token, now=t0 + 1)

    with ThreadPoolExecutor(THREADS) as pool:
        results = [f.result(timeout=TIMEOUT) for f in [pool.submit(refresh, i) for i in range(THREADS)]]
    assert len({r.refresh_token for r in results}) == 1 and thefts == []
    successor = results[0].refresh_token
    assert b.refresh(successor, now=t0 + 2).session.handle == issued.session.handle


@on_every_server
def test_async_twins_refreshing_one_token_get_one_successor(servers: ServerStores) -> None:
    t0 = float(int(time.time()))
    a, b = instances(servers, t0)

    async def run() -> list[IssuedTokens]:
        issued = await a.acreate_session("frank", now=t0)
        refreshes = [(a if i % 2 else b).arefresh(issued.refresh_token, now=t0 + 1) for i in range(THREADS)]
        results = await asyncio.wait_for(asyncio.gather(*refreshes), TIMEOUT)
        assert await b.aget_session(issued.session.handle, now=t0 + 1) is not None
        assert await a.arevoke_all("frank") == 1
        return results

    results = asyncio.run(run())
    assert len({r.refresh_token for r in results}) == 1


@on_every_server
def test_store_options_and_repr(servers: ServerStores) -> None:
    store = servers.open(pool_size=2)
    assert store.pool_size == 2
    text = repr(store)
    assert servers.prefix in text and "postgres://" not in text and "redis://" not in text
    if servers.kind == "postgres":
        assert isinstance(store, PostgresStore) and store.table_prefix == servers.prefix
        # Reopening a current schema changes nothing, and the published SQL matches what open applied.
        assert servers.open().table_prefix == servers.prefix
        sql = PostgresStore.migrations_sql(servers.prefix)
        assert sql[0].startswith(f"CREATE TABLE IF NOT EXISTS {servers.prefix}schema_migrations")
        assert all(servers.prefix in statement for statement in sql)
    elif servers.kind == "redis":
        assert isinstance(store, RedisStore) and store.key_prefix == servers.prefix
    else:
        assert isinstance(store, RedisClusterStore) and store.key_prefix == servers.prefix
        assert text == f'RedisClusterStore(key_prefix="{servers.prefix}", pool_size=2)'
    m = manager(store, time.time())
    # Two pooled connections serve many threads.
    with ThreadPoolExecutor(8) as pool:
        handles = list(pool.map(lambda i: m.create_session(f"u{i}").session.handle, range(32)))
    assert len(set(handles)) == 32


def test_bad_options_are_refused_before_connecting() -> None:
    # No server needed: each of these fails on its arguments.
    for bad in (0.0, -1.0, float("nan"), float("inf"), 86_401.0):
        with pytest.raises(InvalidArgumentError, match="connect_timeout"):
            PostgresStore("postgres://u@127.0.0.1:1/db", connect_timeout=bad)
        with pytest.raises(InvalidArgumentError, match="statement_timeout"):
            PostgresStore("postgres://u@127.0.0.1:1/db", statement_timeout=bad)
        with pytest.raises(InvalidArgumentError, match="timeout"):
            RedisStore("redis://127.0.0.1:1/", timeout=bad)
        with pytest.raises(InvalidArgumentError, match="timeout"):
            RedisClusterStore(["redis://127.0.0.1:1"], timeout=bad)
    for prefix in ("A_", "a-b", "a;drop table x", "1a", "x" * 33):
        with pytest.raises(InvalidArgumentError, match="table prefix"):
            PostgresStore("postgres://u@127.0.0.1:1/db", table_prefix=prefix)
        with pytest.raises(InvalidArgumentError):
            PostgresStore.migrations_sql(prefix)
    with pytest.raises(InvalidArgumentError, match="pool_size"):
        PostgresStore("postgres://u@127.0.0.1:1/db", pool_size=0)
    with pytest.raises(InvalidArgumentError, match="pool_size"):
        RedisStore(REDIS_URL, pool_size=0)
    with pytest.raises(InvalidArgumentError, match="pool_size"):
        RedisClusterStore(["redis://127.0.0.1:1"], pool_size=0)
    with pytest.raises(InvalidArgumentError, match="nodes"):
        RedisClusterStore([])
    with pytest.raises(TypeError, match="not one str"):
        RedisClusterStore("redis://127.0.0.1:1")  # a str is a Sequence[str] to mypy: refused at run time
    with pytest.raises(TypeError):
        RedisClusterStore([b"redis://127.0.0.1:1"])  # type: ignore[list-item]
    with pytest.raises(InvalidArgumentError, match="URL"):
        PostgresStore("postgres://u@127.0.0.1:notaport/db")
    with pytest.raises(OverflowError):
        RedisStore(REDIS_URL, pool_size=-1)
    with pytest.raises(OverflowError):
        RedisClusterStore(["redis://127.0.0.1:1"], pool_size=-1)
    with pytest.raises(TypeError, match="PostgresStore, RedisStore or RedisClusterStore"):
        SessionManager(issuer=ISSUER, audience=AUDIENCE, store=object())
    assert PostgresStore.migrations_sql() == PostgresStore.migrations_sql("sessionward_")


# -- FastAPI on PostgreSQL over real HTTP ---------------------------------------------------------------


@pytest.fixture
def two_apps(servers: ServerStores) -> Iterator[tuple[str, str]]:
    """Two app instances on one PostgreSQL prefix, each its own uvicorn server."""
    now = time.time()
    with Served(header_app(manager(servers.open(), now))) as one, Served(
        header_app(manager(servers.open(), now))
    ) as two:
        yield one, two


@pytest.mark.parametrize("servers", ["postgres"], indirect=True)
def test_fastapi_on_postgres_over_http(two_apps: tuple[str, str]) -> None:
    one, two = two_apps
    with httpx.Client(timeout=TIMEOUT) as http:
        body = http.post(f"{one}/login/grace").json()
        bearer = {"authorization": f"Bearer {body['access_token']}"}
        assert http.get(f"{two}/me", headers=bearer).json() == {"user_id": "grace"}

        # The same refresh token sent to both instances at once: one successor, no theft.
        def refresh(base: str) -> httpx.Response:
            return http.post(f"{base}/auth/refresh", json={"refresh_token": body["refresh_token"]})

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(refresh, [one, two] * 4))
        assert {r.status_code for r in answers} == {200}
        successors = {r.json()["refresh_token"] for r in answers}
        assert len(successors) == 1
        (successor,) = successors
        renewed = {"authorization": f"Bearer {answers[0].json()['access_token']}"}
        assert http.get(f"{one}/me", headers=renewed).status_code == 200

        # Sign-out on one instance ends the session for the other.
        out = http.post(f"{two}/auth/logout", headers=renewed, json={"refresh_token": successor})
        assert (out.status_code, out.json()) == (200, {"revoked": True})
        gone = http.get(f"{one}/me", headers=renewed)
        assert (gone.status_code, gone.json()["error"]) == (401, "unauthorised")
        again = http.post(f"{one}/auth/refresh", json={"refresh_token": successor})
        assert (again.status_code, again.json()["error"]) == (401, "unauthorised")


def test_cluster_node_urls_stay_out_of_errors() -> None:
    # Nothing listens on port 1: the error names the failure, never the password in a node URL.
    with pytest.raises(StoreUnavailableError) as unreachable:
        RedisClusterStore(["redis://app:hunter2-secret@127.0.0.1:1"], timeout=1.0)
    with pytest.raises(StoreUnavailableError) as malformed:
        RedisClusterStore(["rediss//app:hunter2-secret@nowhere"], timeout=1.0)
    for err in (unreachable, malformed):
        assert err.value.code == "store_unavailable" and "hunter2" not in str(err.value)


def test_exported_names() -> None:
    assert sessionward.PostgresStore is PostgresStore and sessionward.RedisStore is RedisStore
    assert sessionward.RedisClusterStore is RedisClusterStore
    assert {"PostgresStore", "RedisStore", "RedisClusterStore"} <= set(sessionward.__all__)
