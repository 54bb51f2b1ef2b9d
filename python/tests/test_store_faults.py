"""Faults of a store server: unreachable, going down mid-run, slow. Calls fail with the typed
``StoreUnavailableError`` (code ``store_unavailable``, HTTP 503) without hanging, leave the session as it was,
and work again once the server is back, through the same store object.

"Without hanging" is a generous guard (``without_hanging``), not a measured time: speed belongs to benchmarks.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from sessionward import (
    PostgresStore,
    RedisStore,
    SessionManager,
    StoreUnavailableError,
    TokenTheftError,
)

from _servers import (
    POSTGRES_URL,
    REDIS_URL,
    TIMEOUT,
    Proxy,
    Served,
    ServerStores,
    free_port,
    header_app,
    with_port,
    without_hanging,
)

ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"


def manager(store: Any, now: float, **options: Any) -> SessionManager:
    return SessionManager(issuer=ISSUER, audience=AUDIENCE, store=store, now=now, **options)


def assert_unavailable(err: pytest.ExceptionInfo[StoreUnavailableError]) -> None:
    assert (err.value.code, err.value.status_code) == ("store_unavailable", 503)
    assert err.value.to_dict()["error"] == "store_unavailable"


def test_postgres_on_a_closed_port_is_store_unavailable() -> None:
    url = with_port(POSTGRES_URL, "127.0.0.1", free_port())
    with pytest.raises(StoreUnavailableError) as err:
        without_hanging(lambda: PostgresStore(url, connect_timeout=1.0))
    assert_unavailable(err)
    assert "PostgreSQL" in err.value.message and "refused" in err.value.message


def test_redis_on_a_closed_port_is_store_unavailable() -> None:
    url = with_port(REDIS_URL, "127.0.0.1", free_port())
    with pytest.raises(StoreUnavailableError) as err:
        without_hanging(lambda: RedisStore(url, timeout=1.0))
    assert_unavailable(err)
    assert "Redis" in err.value.message and "refused" in err.value.message


def test_a_port_that_never_answers_is_store_unavailable_after_the_timeout() -> None:
    # A listener that accepts TCP connections and never speaks: a stuck server.
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        with pytest.raises(StoreUnavailableError) as pg:
            without_hanging(lambda: PostgresStore(with_port(POSTGRES_URL, "127.0.0.1", port), connect_timeout=0.5))
        assert_unavailable(pg)
        with pytest.raises(StoreUnavailableError) as redis:
            without_hanging(lambda: RedisStore(with_port(REDIS_URL, "127.0.0.1", port), timeout=0.5))
        assert_unavailable(redis)


@pytest.fixture
def proxied(servers: ServerStores) -> Iterator[tuple[ServerStores, Proxy]]:
    """The server behind a proxy the test can stop and start."""
    proxy = Proxy(servers.address).start()
    yield servers, proxy
    proxy.stop()


def test_server_down_then_back_leaves_the_session_intact(proxied: tuple[ServerStores, Proxy]) -> None:
    servers, proxy = proxied
    t0 = float(int(time.time()))
    thefts: list[Any] = []
    m = manager(servers.open(servers.url_on(proxy.port), **servers.short_timeouts(1.0)), t0, on_theft=thefts.append)
    issued = m.create_session("ada", data={"step": 1}, now=t0)
    first = m.refresh(issued.refresh_token, now=t0 + 1)

    proxy.stop()
    for call in (
        lambda: m.refresh(first.refresh_token, now=t0 + 2),
        lambda: m.create_session("ada", now=t0 + 2),
        lambda: m.verify_with_store(first.access_token, now=t0 + 2),
        lambda: m.revoke_all("ada"),
    ):
        with pytest.raises(StoreUnavailableError) as err:
            without_hanging(call)
        assert_unavailable(err)
    # Offline verification never touches the store.
    assert m.verify(first.access_token, now=t0 + 2).user_id == "ada"

    proxy.start()
    # The failed refresh is retried with the same token and rotates normally: nothing was half-written.
    second = without_hanging(lambda: m.refresh(first.refresh_token, now=t0 + 3))
    assert second.refresh_token != first.refresh_token and second.session.handle == issued.session.handle
    assert second.session.data == {"step": 1}
    sessions = m.list_sessions("ada", now=t0 + 3)
    assert [s.handle for s in sessions] == [issued.session.handle]
    # The chain is still guarded: the token two steps back is theft.
    with pytest.raises(TokenTheftError):
        m.refresh(issued.refresh_token, now=t0 + 200)
    assert len(thefts) == 1


def test_fastapi_answers_503_while_the_store_is_down(proxied: tuple[ServerStores, Proxy]) -> None:
    servers, proxy = proxied
    m = manager(servers.open(servers.url_on(proxy.port), **servers.short_timeouts(1.0)), time.time())
    with Served(header_app(m)) as base, httpx.Client(timeout=TIMEOUT) as http:
        body = http.post(f"{base}/login/ada").json()
        bearer = {"authorization": f"Bearer {body['access_token']}"}
        proxy.stop()
        refreshed = http.post(f"{base}/auth/refresh", json={"refresh_token": body["refresh_token"]})
        assert refreshed.status_code == 503 and refreshed.json()["error"] == "store_unavailable"
        assert "refused" not in refreshed.text  # the public body names no internals
        live = http.get(f"{base}/me", headers=bearer)
        assert (live.status_code, live.json()["error"]) == (503, "store_unavailable")
        login = http.post(f"{base}/login/bob")
        assert login.status_code == 503
        proxy.start()
        assert http.get(f"{base}/me", headers=bearer).json() == {"user_id": "ada"}
        retried = http.post(f"{base}/auth/refresh", json={"refresh_token": body["refresh_token"]})
        assert retried.status_code == 200 and retried.json()["session_handle"] == body["session_handle"]


@pytest.mark.parametrize("servers", ["postgres"], indirect=True)
def test_postgres_statement_stuck_on_a_lock_times_out_and_retry_works(servers: ServerStores) -> None:
    if not shutil.which("psql"):
        pytest.skip("needs psql to hold a lock")
    t0 = float(int(time.time()))
    m = manager(servers.open(statement_timeout=0.5), t0)
    issued = m.create_session("ada", now=t0)
    # Another client holds the sessions table locked: every statement on it waits.
    holder_name = f"{servers.prefix}lock"
    holder = subprocess.Popen(
        ["psql", servers.url, "-q", "-c",
         f"BEGIN; LOCK TABLE {servers.prefix}sessions IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({TIMEOUT}); COMMIT;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PGAPPNAME": holder_name},
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:  # until the lock is held: the read starts failing
            try:
                m.get_session(issued.session.handle, now=t0)
            except StoreUnavailableError as err:
                assert "statement timeout" in err.message
                break
            assert time.monotonic() < deadline and holder.poll() is None, "the lock was never taken"
            time.sleep(0.05)
        with pytest.raises(StoreUnavailableError) as err:
            without_hanging(lambda: m.refresh(issued.refresh_token, now=t0 + 1))
        assert_unavailable(err)
    finally:
        # End the holder's backend (a killed psql alone leaves it sleeping with the lock).
        terminate = f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{holder_name}'"
        subprocess.run(["psql", servers.url, "-q", "-c", terminate], capture_output=True, timeout=TIMEOUT)
        holder.wait(TIMEOUT)
    # Nothing was half-written: the same token rotates now.
    successor = without_hanging(lambda: m.refresh(issued.refresh_token, now=t0 + 2))
    assert successor.session.handle == issued.session.handle


class PrivateRedis:
    """A redis-server of this test's own, with an append-only file so its data survives a restart."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT
        while subprocess.run(["redis-cli", "-p", str(self.port), "PING"], capture_output=True).stdout != b"PONG\n":
            assert time.monotonic() < deadline and self.process.poll() is None, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(TIMEOUT)

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("needs redis-server and redis-cli on PATH")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    assert server.process is not None
    server.process.send_signal(signal.SIGCONT)
    server.process.kill()
    server.process.wait(TIMEOUT)


def test_redis_restart_mid_run(private_redis: PrivateRedis) -> None:
    t0 = float(int(time.time()))
    m = manager(RedisStore(private_redis.url, timeout=1.0), t0)
    issued = m.create_session("ada", now=t0)
    private_redis.stop()
    with pytest.raises(StoreUnavailableError) as err:
        without_hanging(lambda: m.refresh(issued.refresh_token, now=t0 + 1))
    assert_unavailable(err)
    private_redis.start()
    # The pool drops its dead connections and reconnects by itself.
    successor = without_hanging(lambda: m.refresh(issued.refresh_token, now=t0 + 2))
    assert successor.session.handle == issued.session.handle
    assert m.refresh(successor.refresh_token, now=t0 + 3).session.handle == issued.session.handle


def test_redis_that_stops_answering_times_out_and_retry_works(private_redis: PrivateRedis) -> None:
    t0 = float(int(time.time()))
    m = manager(RedisStore(private_redis.url, timeout=0.5), t0)
    issued = m.create_session("ada", now=t0)
    private_redis.signal(signal.SIGSTOP)  # the process is frozen: connections stay open, nothing answers
    try:
        with pytest.raises(StoreUnavailableError) as err:
            without_hanging(lambda: m.refresh(issued.refresh_token, now=t0 + 1))
        assert_unavailable(err)
    finally:
        private_redis.signal(signal.SIGCONT)
    successor = without_hanging(lambda: m.refresh(issued.refresh_token, now=t0 + 2))
    assert successor.session.handle == issued.session.handle
