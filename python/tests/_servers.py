"""Helpers for the tests on real PostgreSQL and Redis servers (the ``servers`` fixture is in conftest.py).

The tests connect to SESSIONWARD_POSTGRES_URL / SESSIONWARD_REDIS_URL. Without the server they skip with a
message saying how to run them; with SESSIONWARD_REQUIRE_SERVICES=1 (CI) they fail instead. Every test gets its
own table or key prefix, so parallel runs never share data, and removes what it stored at the end.
"""

import itertools
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from typing import Any, Callable, Optional, TypeVar
from urllib.parse import urlsplit

import pytest

import sessionward

POSTGRES_URL = os.environ.get("SESSIONWARD_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("SESSIONWARD_REDIS_URL") or "redis://127.0.0.1:6379/"
SERVER_KINDS = ["postgres", "redis"]
TIMEOUT = 60.0  # the guard on every wait: a hang fails the test instead of the suite

_prefixes = itertools.count()
_reachable: dict[str, Optional[str]] = {}
T = TypeVar("T")


def unique_prefix() -> str:
    """A prefix no other test, in this or another process, uses (valid as a PostgreSQL table prefix)."""
    return f"swpy_{os.getpid():x}_{secrets.token_hex(3)}_{next(_prefixes)}_"


def with_port(url: str, host: str, port: int) -> str:
    """``url`` with its host and port replaced (user, database and options kept)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}:{port}" if userinfo else f"{host}:{port}"
    return parts._replace(netloc=netloc).geturl()


class ServerStores:
    """Opens stores of one kind on one fresh prefix (each store object is one app instance) and deletes
    everything stored under that prefix when the test ends."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.url = POSTGRES_URL if kind == "postgres" else REDIS_URL
        self.prefix = unique_prefix()

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "127.0.0.1", parts.port or (5432 if self.kind == "postgres" else 6379)

    def url_on(self, port: int, host: str = "127.0.0.1") -> str:
        return with_port(self.url, host, port)

    def open(self, url: Optional[str] = None, **options: Any) -> Any:
        """A new store object on the shared prefix; ``url`` reaches the same server another way (a proxy)."""
        if self.kind == "postgres":
            return sessionward.PostgresStore(url or self.url, table_prefix=self.prefix, **options)
        return sessionward.RedisStore(url or self.url, key_prefix=self.prefix, **options)

    def short_timeouts(self, seconds: float) -> dict[str, float]:
        """The store options that bound every wait by ``seconds``."""
        if self.kind == "postgres":
            return {"connect_timeout": seconds, "statement_timeout": seconds}
        return {"timeout": seconds}

    def cleanup(self) -> None:
        # Through the command-line clients when installed: the package has no API to drop data, on purpose.
        if self.kind == "postgres" and shutil.which("psql"):
            tables = ", ".join(f"{self.prefix}{t}" for t in ("sessions", "keys", "schema_migrations"))
            drop = f"DROP TABLE IF EXISTS {tables}"
            subprocess.run(["psql", self.url, "-q", "-c", drop], capture_output=True, timeout=TIMEOUT)
        elif self.kind == "redis" and shutil.which("redis-cli"):
            scan = ["redis-cli", "-u", self.url, "--scan", "--pattern", f"{self.prefix}*"]
            keys = subprocess.run(scan, capture_output=True, text=True, timeout=TIMEOUT).stdout.split()
            if keys:
                subprocess.run(["redis-cli", "-u", self.url, "DEL", *keys], capture_output=True, timeout=TIMEOUT)


def require_server(kind: str) -> None:
    """Skip (or, with SESSIONWARD_REQUIRE_SERVICES, fail) unless the server answers; checked once per run."""
    if kind not in _reachable:
        probe = ServerStores(kind)
        try:
            probe.open(None, **probe.short_timeouts(3.0))
        except sessionward.StoreUnavailableError as err:
            _reachable[kind] = str(err)
        else:
            _reachable[kind] = None
            probe.cleanup()
    problem = _reachable[kind]
    if problem is None:
        return
    url = POSTGRES_URL if kind == "postgres" else REDIS_URL
    if os.environ.get("SESSIONWARD_REQUIRE_SERVICES"):
        pytest.fail(f"{kind} not reachable at {url} and SESSIONWARD_REQUIRE_SERVICES is set: {problem}")
    variable = "SESSIONWARD_POSTGRES_URL" if kind == "postgres" else "SESSIONWARD_REDIS_URL"
    pytest.skip(f"{kind} not reachable at {url}: start it or set {variable} (CI sets SESSIONWARD_REQUIRE_SERVICES=1)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def without_hanging(call: Callable[[], T], limit: float = TIMEOUT) -> T:
    """``call()`` in a thread; fails the test if it has not returned or raised within ``limit`` seconds (a
    generous guard against a hang, not a measurement)."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as err:  # re-raised in the caller
            outcome.append((False, err))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert outcome, f"the call did not return within {limit} s"
    ok, value = outcome[0]
    if not ok:
        raise value
    result: T = value
    return result


class Proxy:
    """A TCP proxy in front of a server, which the test stops (refusing new connections and cutting open
    ones) and starts again on the same port: to the app, the server goes down and comes back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: Optional[socket.socket] = None
        self._threads: list[threading.Thread] = []

    def start(self) -> "Proxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self._listener = listener
        self._spawn(self._accept, listener)
        return self

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
        for s in [listener, *sockets]:
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
        for thread in self._threads:
            thread.join(TIMEOUT)
        self._threads = []

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=TIMEOUT)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Served:
    """An ASGI app served by uvicorn on a free port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + TIMEOUT
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(TIMEOUT)


def header_app(manager: Any) -> Any:
    """A FastAPI app with sign-in, a route needing a live session, and the refresh and sign-out routes, in
    header mode (tokens in the JSON bodies)."""
    from fastapi import Depends, FastAPI, Request, Response

    from sessionward import AccessClaims
    from sessionward.fastapi import SessionwardFastAPI

    sessions = SessionwardFastAPI(manager, sessionward.HttpSessions(mode="header"))
    app = FastAPI()
    sessions.install(app)

    @app.post("/login/{user_id}")
    async def login(user_id: str, request: Request, response: Response) -> dict[str, Any]:
        issued = await sessions.alogin(response, user_id, request=request)
        return sessions.login_response_data(issued)

    @app.get("/me")
    async def me(claims: AccessClaims = Depends(sessions.require_live_session)) -> dict[str, str]:
        return {"user_id": claims.user_id}

    return app
