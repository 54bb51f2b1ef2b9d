"""Two app instances, one Python and one Node, sharing one session store (SQLite file, PostgreSQL, Redis).

A session created by either instance is verified, refreshed and revoked by the other, and both instances
refreshing the same token at the same moment all receive one successor, with no theft flagged and no session
lost. This is the promise of one Rust core behind both packages: there is one rotation state machine and one
key ring, wherever the call comes from.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest

import sessionward

ROOT = Path(__file__).resolve().parents[2]
NODE_INSTANCE = Path(__file__).with_name("node_instance.js")
POSTGRES_URL = os.environ.get("SESSIONWARD_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SESSIONWARD_REDIS_URL", "redis://127.0.0.1:6379/")
REQUIRE_SERVICES = os.environ.get("SESSIONWARD_REQUIRE_SERVICES") == "1"
ISSUER, AUDIENCE = "https://multi.test", "multi-api"


def _unavailable(why: str) -> None:
    """Skip on a developer's machine; fail where CI requires every service (SESSIONWARD_REQUIRE_SERVICES=1)."""
    if REQUIRE_SERVICES or os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


class NodeInstance:
    """The Node instance (`node_instance.js`), spoken to in JSON lines."""

    def __init__(self, kind: str, url: str, prefix: str) -> None:
        self.process = subprocess.Popen(
            ["node", str(NODE_INSTANCE), kind, url, prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.thefts: list[str] = []
        self._next_id = 0
        assert self._read()["ready"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the Node instance exited with {self.process.wait()}")
        message: dict[str, Any] = json.loads(line)
        return message

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self._next_id += 1
        self.process.stdin.write(json.dumps({"id": self._next_id, "op": op, **args}) + "\n")
        self.process.stdin.flush()
        while True:
            message = self._read()
            if "event" in message:
                self.thefts.append(message["session_handle"])
                continue
            assert message["id"] == self._next_id
            return message

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            # The addon must leave no handle open: with stdin closed, the process ends by itself.
            assert self.process.wait(timeout=30) == 0
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()


@pytest.fixture(params=["sqlite", "postgres", "redis"])
def shared_store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, str]:
    """(kind, url, prefix) of a store both instances open; a fresh prefix per test keeps runs apart."""
    prefix = f"mi_{uuid.uuid4().hex[:10]}_"
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "shared.db"), prefix
    if request.param == "postgres":
        if not _reachable(POSTGRES_URL, 5432):
            _unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}: start it or set SESSIONWARD_POSTGRES_URL")
        return "postgres", POSTGRES_URL, prefix
    if not _reachable(REDIS_URL, 6379):
        _unavailable(f"Redis is not reachable at {REDIS_URL}: start it or set SESSIONWARD_REDIS_URL")
    return "redis", REDIS_URL, prefix.replace("_", ":")


def _python_store(kind: str, url: str, prefix: str) -> Any:
    if kind == "sqlite":
        return sessionward.SqliteStore(url)
    if kind == "postgres":
        return sessionward.PostgresStore(url, table_prefix=prefix)
    return sessionward.RedisStore(url, key_prefix=prefix)


@pytest.fixture
def instances(shared_store: tuple[str, str, str]) -> Iterator[tuple[sessionward.SessionManager, NodeInstance]]:
    if shutil.which("node") is None:
        _unavailable("node is not on PATH: install Node.js 20+ to run the multi-instance tests")
    if not (ROOT / "node" / "sessionward.node").exists():
        _unavailable("the Node addon is not built: run `npm ci` in node/ first")
    python = sessionward.SessionManager(issuer=ISSUER, audience=AUDIENCE, store=_python_store(*shared_store))
    node = NodeInstance(*shared_store)
    try:
        yield python, node
    finally:
        node.close()


def test_a_session_moves_between_instances(instances: tuple[sessionward.SessionManager, NodeInstance]) -> None:
    python, node = instances

    # Created in Python, verified offline and against the store in Node: one key ring, shared through the store.
    issued = python.create_session("user-py")
    assert node.call("verify", token=issued.access_token)["user_id"] == "user-py"
    assert node.call("verify_live", token=issued.access_token)["session_handle"] == issued.session.handle

    # Refreshed in Node; the successor works in Python, and Python refreshes it in turn.
    refreshed = node.call("refresh", token=issued.refresh_token)["tokens"]
    assert python.verify(refreshed["access_token"]).session_handle == issued.session.handle
    again = python.refresh(refreshed["refresh_token"])
    assert node.call("verify", token=again.access_token)["ok"]

    # Revoked in Node: gone for Python too.
    assert node.call("revoke", handle=issued.session.handle)["revoked"]
    assert python.get_session(issued.session.handle) is None
    with pytest.raises(sessionward.UnauthorisedError):
        python.verify_with_store(again.access_token)

    # And the other way round: made in Node, revoked in Python.
    made = node.call("create", user_id="user-node")["tokens"]
    assert python.verify(made["access_token"]).user_id == "user-node"
    assert python.revoke(made["session_handle"])
    assert node.call("get_session", handle=made["session_handle"])["session"] is None


def test_both_instances_refreshing_one_token_agree(instances: tuple[sessionward.SessionManager, NodeInstance]) -> None:
    python, node = instances
    issued = python.create_session("user-race")
    # Rotate once so the race happens on a token that itself has a predecessor.
    current = python.refresh(issued.refresh_token).refresh_token

    per_side = 8
    start_at = time.time() + 0.5
    python_results: list[Any] = []

    def python_refresh() -> None:
        time.sleep(max(0.0, start_at - time.time()))
        try:
            python_results.append(python.refresh(current).refresh_token)
        except sessionward.SessionwardError as err:  # recorded, then asserted on below
            python_results.append(err.code)

    threads = [threading.Thread(target=python_refresh) for _ in range(per_side)]
    for thread in threads:
        thread.start()
    node_answer = node.call("refresh_many", token=current, count=per_side, start_at_ms=int(start_at * 1000))
    for thread in threads:
        thread.join()

    node_results = [r["tokens"]["refresh_token"] if r["ok"] else r["code"] for r in node_answer["results"]]
    successors = set(python_results) | set(node_results)
    assert len(successors) == 1, f"expected one successor for all {2 * per_side} callers, got {successors}"
    (successor,) = successors
    assert successor.startswith("swr_")
    assert node.thefts == []

    # No session lost: the successor rotates again, from either instance.
    follow_up = node.call("refresh", token=successor)
    assert follow_up["ok"], follow_up
    assert python.get_session(issued.session.handle) is not None


def test_theft_seen_by_one_instance_revokes_for_both(
    instances: tuple[sessionward.SessionManager, NodeInstance],
) -> None:
    python, node = instances
    issued = python.create_session("user-theft")
    stolen = issued.refresh_token
    successor = node.call("refresh", token=stolen)["tokens"]
    # Rotate again so that `stolen` is two generations old: past any grace window of its own successor.
    python.refresh(successor["refresh_token"])

    answer = node.call("refresh", token=stolen)
    assert (answer["ok"], answer["code"]) == (False, "token_theft")
    assert python.get_session(issued.session.handle) is None
    # The Node app was told (its on_theft hook ran), in order before the answer to a later call.
    assert node.call("get_session", handle=issued.session.handle)["session"] is None
    assert node.thefts == [issued.session.handle]
