"""One manager under many threads, and managers across forked processes.

Every wait has a timeout, so a deadlock fails the test instead of hanging the suite.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable
from unittest import mock

import pytest

from sessionward import (
    IssuedTokens,
    Key,
    MemoryStore,
    SessionManager,
    SqliteStore,
    TokenTheftError,
)

NOW = 1_700_000_000.0
T0 = int(NOW)
ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"
WORKERS = 16
TIMEOUT = 60.0
FORK_WARNING = "ignore:.*fork.*:DeprecationWarning"  # Python >= 3.12 warns when forking with threads alive

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def make_manager(**kwargs: Any) -> SessionManager:
    kwargs.setdefault("store", MemoryStore())
    with mock.patch("time.time", return_value=NOW):
        return SessionManager(issuer=ISSUER, audience=AUDIENCE, **kwargs)


@pytest.fixture(params=["memory", "sqlite"])
def manager(request: pytest.FixtureRequest, tmp_path: Path) -> SessionManager:
    store = MemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "sessions.sqlite3")
    return make_manager(store=store)


def run_all(fn: Callable[[int], Any], count: int) -> list[Any]:
    """Run fn(0..count-1) on WORKERS threads, all released at once; fail on any hang."""
    barrier = threading.Barrier(min(count, WORKERS), timeout=TIMEOUT)

    def task(i: int) -> Any:
        if i < WORKERS:
            barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(task, i) for i in range(count)]
        return [f.result(timeout=TIMEOUT) for f in futures]


def test_concurrent_refresh_of_one_token_converges(manager: SessionManager) -> None:
    issued = manager.create_session("u", now=NOW)
    results: list[IssuedTokens] = run_all(lambda _: manager.refresh(issued.refresh_token, now=NOW + 10), 64)
    assert len({r.refresh_token for r in results}) == 1, "concurrent refreshes forked the chain"
    successor = results[0]
    assert successor.refresh_token != issued.refresh_token
    assert {r.session.handle for r in results} == {issued.session.handle}
    # Exactly one rotation happened: the successor is current, the original is its grace predecessor.
    assert manager.refresh(issued.refresh_token, now=NOW + 20).refresh_token == successor.refresh_token
    nxt = manager.refresh(successor.refresh_token, now=NOW + 30)
    assert nxt.refresh_token != successor.refresh_token
    session = manager.get_session(issued.session.handle, now=NOW + 30)
    assert session is not None and session.refreshed_at == T0 + 30


def test_concurrent_refresh_then_replay_is_theft(manager: SessionManager) -> None:
    issued = manager.create_session("u", now=NOW)
    results = run_all(lambda _: manager.refresh(issued.refresh_token, now=NOW + 10), 32)
    manager.refresh(results[0].refresh_token, now=NOW + 11)
    outcomes = run_all(lambda _: _refresh_outcome(manager, issued.refresh_token, NOW + 12), 32)
    # One caller detects the theft and revokes; the others find the session gone.
    assert outcomes.count("theft") == 1
    assert set(outcomes) == {"theft", "unauthorised"}
    assert manager.get_session(issued.session.handle, now=NOW + 12) is None


def _refresh_outcome(manager: SessionManager, token: str, now: float) -> str:
    try:
        manager.refresh(token, now=now)
    except TokenTheftError:
        return "theft"
    except Exception as error:  # noqa: BLE001 - the outcome is the point
        return str(getattr(error, "code", type(error).__name__))
    return "ok"


def test_concurrent_verify_and_refresh_chains(manager: SessionManager) -> None:
    sessions = [manager.create_session(f"user-{i}", access_claims={"i": i}, now=NOW) for i in range(WORKERS)]

    def chain(i: int) -> list[str]:
        tokens = []
        current = sessions[i]
        for step in range(1, 21):
            claims = manager.verify(current.access_token, now=NOW + step)
            assert (claims.user_id, claims["i"]) == (f"user-{i}", i)
            current = manager.refresh(current.refresh_token, now=NOW + step)
            tokens.append(current.refresh_token)
        return tokens

    chains = run_all(chain, WORKERS)
    every = [t for c in chains for t in c]
    assert len(set(every)) == WORKERS * 20
    for i, s in enumerate(sessions):
        got = manager.get_session(s.session.handle, now=NOW + 21)
        assert got is not None and got.refreshed_at == T0 + 20 and got.user_id == f"user-{i}"


def test_concurrent_verify_many(manager: SessionManager) -> None:
    tokens = [manager.create_session(f"u{i}", now=NOW).access_token for i in range(32)]
    users = run_all(lambda i: manager.verify(tokens[i % 32], now=NOW + 1).user_id, 2000)
    assert users == [f"u{i % 32}" for i in range(2000)]


def test_concurrent_writes_on_one_session(manager: SessionManager) -> None:
    handle = manager.create_session("u", now=NOW).session.handle
    run_all(lambda i: manager.update_session_data(handle, {"writer": i}, now=NOW + 1), 64)
    session = manager.get_session(handle, now=NOW + 1)
    assert session is not None and session.data["writer"] in range(64)


def test_concurrent_create_list_revoke(manager: SessionManager) -> None:
    created = run_all(lambda i: manager.create_session(f"u{i % 4}", now=NOW).session.handle, 200)
    assert len(set(created)) == 200
    counts = [len(manager.list_sessions(f"u{k}", now=NOW)) for k in range(4)]
    assert counts == [50, 50, 50, 50]
    revoked = run_all(lambda k: manager.revoke_all(f"u{k % 4}"), 16)
    assert sum(revoked) == 200


def test_concurrent_key_rotation_keeps_tokens_valid(manager: SessionManager) -> None:
    tokens = [manager.create_session("u", now=NOW).access_token for _ in range(8)]

    def work(i: int) -> str:
        if i % 8 == 0:
            return manager.rotate_keys(now=NOW + 1)
        return manager.verify(tokens[i % 8], now=NOW + 1).user_id

    results = run_all(work, 64)
    kids = {k["kid"] for k in manager.jwks()["keys"]}
    assert {r for i, r in enumerate(results) if i % 8 == 0} <= kids
    assert {r for i, r in enumerate(results) if i % 8} == {"u"}


def test_native_calls_release_the_gil() -> None:
    """A pure-Python thread keeps counting while the main thread is inside one long native call.

    RSA key generation runs in one ``py.detach`` (tens to hundreds of ms); were the GIL held, the main
    thread would reach no bytecode boundary during the call and the counter could not advance at all.
    """
    count = 0
    stop = threading.Event()

    def counter() -> None:
        nonlocal count
        while not stop.is_set():
            count += 1

    thread = threading.Thread(target=counter)
    thread.start()
    try:
        time.sleep(0.02)
        start, t = count, time.perf_counter()
        time.sleep(0.1)  # calibrate: the counter's rate while the main thread sleeps (GIL released)
        rate = (count - start) / (time.perf_counter() - t)
        ratios = []
        for _ in range(3):
            before, t = count, time.perf_counter()
            Key.generate("RS256")
            elapsed = time.perf_counter() - t
            ratios.append((count - before) / (rate * elapsed))
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert max(ratios) > 0.3, f"the counter barely ran during native calls (ratios {ratios}): the GIL was held"


# ----- fork -----


def _fork(work: Callable[[], Any]) -> tuple[int, int]:
    """Fork a child that runs work() and writes its JSON result to a pipe; returns (pid, read fd)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            payload = json.dumps({"ok": work()}).encode()
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            payload = json.dumps({"error": repr(error)}).encode()
            code = 1
        try:
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _collect(children: list[tuple[int, int]]) -> list[Any]:
    """Read each child's result, waiting at most TIMEOUT overall; kill and fail on a hang."""
    deadline = time.monotonic() + TIMEOUT
    results = []
    for pid, read_fd in children:
        chunks = []
        with os.fdopen(read_fd, "rb") as pipe:
            os.set_blocking(read_fd, False)
            while True:
                try:
                    chunk = pipe.read()
                except BlockingIOError:
                    chunk = None
                if chunk:
                    chunks.append(chunk)
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    rest = pipe.read()
                    if rest:
                        chunks.append(rest)
                    break
                if time.monotonic() > deadline:
                    for other, _ in children:
                        try:
                            os.kill(other, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    pytest.fail(f"forked child {pid} hung")
                time.sleep(0.01)
        result = json.loads(b"".join(chunks) or b"{}")
        assert "error" not in result, f"child {pid} failed: {result.get('error')}"
        assert os.waitstatus_to_exitcode(status) == 0
        results.append(result["ok"])
    return results


def _sessions_and_tokens(manager: SessionManager, label: str, count: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"refresh": [], "jti": [], "handles": [], "access": []}
    for i in range(count):
        issued = manager.create_session(f"{label}-{i}", now=NOW)
        refreshed = manager.refresh(issued.refresh_token, now=NOW + 1)
        for tokens in (issued, refreshed):
            out["refresh"].append(tokens.refresh_token)
            out["jti"].append(tokens.access.token_id)
            out["access"].append(tokens.access_token)
        out["handles"].append(issued.session.handle)
    return out


@pytest.mark.filterwarnings(FORK_WARNING)
def test_fork_children_mint_distinct_tokens() -> None:
    """A manager created before fork (gunicorn --preload): parent and children draw fresh randomness."""
    manager = make_manager()
    manager.create_session("before-fork", now=NOW)
    children = [_fork(functools.partial(_sessions_and_tokens, manager, f"child{n}", 20)) for n in range(4)]
    mine = _sessions_and_tokens(manager, "parent", 20)
    results = [mine, *_collect(children)]
    for field in ("refresh", "jti", "handles"):
        every = [value for result in results for value in result[field]]
        assert len(every) == len(set(every)), f"duplicate {field} across forked processes"
    # The children inherited the key ring: their tokens verify in the parent.
    for result in results[1:]:
        for token in result["access"][:4]:
            assert manager.verify(token, now=NOW + 1).user_id.startswith("child")


@pytest.mark.filterwarnings(FORK_WARNING)
def test_fork_workers_share_one_sqlite_file(tmp_path: Path) -> None:
    """Each forked worker opens its own SqliteStore after fork; all share sessions and keys via the file."""
    path = tmp_path / "sessions.sqlite3"
    parent = make_manager(store=SqliteStore(path))
    kid = parent.jwks()["keys"][0]["kid"]

    def worker(n: int) -> dict[str, Any]:
        own = make_manager(store=SqliteStore(path))
        result: dict[str, Any] = _sessions_and_tokens(own, f"worker{n}", 10)
        result["kids"] = [k["kid"] for k in own.jwks()["keys"]]
        return result

    children = [_fork(functools.partial(worker, n)) for n in range(3)]
    mine = _sessions_and_tokens(parent, "parent", 10)
    results = [mine, *_collect(children)]
    for result in results[1:]:
        assert result["kids"] == [kid]
    for field in ("refresh", "jti", "handles"):
        every = [value for result in results for value in result[field]]
        assert len(every) == len(set(every))
    # The parent sees every worker's sessions in the shared file, with their latest tokens.
    for n, result in enumerate(results[1:]):
        for i, handle in enumerate(result["handles"]):
            session = parent.get_session(handle, now=NOW + 2)
            assert session is not None and session.user_id == f"worker{n}-{i}" and session.refreshed_at == T0 + 1
        assert parent.verify(result["access"][-1], now=NOW + 2).user_id == f"worker{n}-9"
        current = result["refresh"][-1]  # the last rotation's successor
        assert parent.refresh(current, now=NOW + 2).session.user_id == f"worker{n}-9"


@pytest.mark.filterwarnings(FORK_WARNING)
def test_fork_preloaded_sqlite_manager(tmp_path: Path) -> None:
    """gunicorn --preload: one manager on a SqliteStore created before fork, used by parent and children at once
    (the store opens a fresh connection in a forked child instead of using the inherited one)."""
    manager = make_manager(store=SqliteStore(tmp_path / "sessions.sqlite3"))
    before = manager.create_session("before-fork", now=NOW)
    children = [_fork(functools.partial(_sessions_and_tokens, manager, f"child{n}", 10)) for n in range(3)]
    mine = _sessions_and_tokens(manager, "parent", 10)
    results = [mine, *_collect(children)]
    for field in ("refresh", "jti", "handles"):
        every = [value for result in results for value in result[field]]
        assert len(every) == len(set(every))
    for n, result in enumerate(results[1:]):
        for i, handle in enumerate(result["handles"]):
            session = manager.get_session(handle, now=NOW + 2)
            assert session is not None and session.user_id == f"child{n}-{i}"
    assert manager.refresh(before.refresh_token, now=NOW + 3).session.handle == before.session.handle
