"""Stores across ``fork()``, as pre-fork servers use them (gunicorn ``--preload``, uWSGI): the app and its store
are created in the parent, then worker processes are forked from it. Each worker must open connections of its
own, work concurrently with the parent and its siblings, and leave the parent's connections untouched.

Runs on both servers and on the Redis Cluster (the ``servers`` fixture: skipped without the server, failed instead under
SESSIONWARD_REQUIRE_SERVICES=1). POSIX only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from typing import Callable

import pytest

from sessionward import SessionManager

from _servers import SERVER_KINDS, TIMEOUT, ServerStores, unique_prefix, without_hanging

ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"
CHILDREN = 4
ROUNDS = 10

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork"),
    # The store's pool threads make the process multi-threaded, which Python 3.12+ warns about on fork: that is
    # exactly the pre-fork server's situation under test.
    pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning"),
]


def churn(manager: SessionManager, user: str) -> None:
    """Create a session for ``user``, rotate it ROUNDS times and check it against the store at each step."""
    now = time.time()
    issued = manager.create_session(user, now=now)
    for _ in range(ROUNDS):
        issued = manager.refresh(issued.refresh_token, now=now)
        _, session = manager.verify_with_store(issued.access_token, now=now)
        assert session.user_id == user


def in_child(work: Callable[[], None], gate: int) -> None:
    """Run ``work`` in this forked child once the parent opens ``gate``, and exit: status 0 only on success."""
    status = 1
    try:
        signal.alarm(int(TIMEOUT))  # a child that hangs dies, and the parent sees it fail
        os.read(gate, 1)
        work()
        status = 0
    except BaseException:
        os.write(2, traceback.format_exc().encode())
    finally:
        os._exit(status)


def postgres_backends(url: str, application_name: str) -> set[int]:
    """The server process ids of the connections opened under ``application_name`` (through psql)."""
    query = f"SELECT pid FROM pg_stat_activity WHERE application_name = '{application_name}'"
    out = subprocess.run(["psql", url, "-At", "-c", query], capture_output=True, text=True, timeout=TIMEOUT, check=True)
    return {int(line) for line in out.stdout.split()}


@pytest.mark.parametrize("servers", [*SERVER_KINDS, "redis-cluster"], indirect=True)
def test_forked_workers_open_their_own_connections(servers: ServerStores) -> None:
    # On PostgreSQL a unique application_name lets psql list this store's server sessions.
    app_name = unique_prefix()
    url = f"{servers.url}{'&' if '?' in servers.url else '?'}application_name={app_name}"
    store = servers.open(url) if servers.kind == "postgres" else servers.open()
    manager = SessionManager(issuer=ISSUER, audience=AUDIENCE, store=store)
    now = time.time()
    issued = manager.create_session("parent", data={"n": 1}, now=now)
    see_backends = servers.kind == "postgres" and shutil.which("psql") is not None
    parent_backends = postgres_backends(servers.url, app_name) if see_backends else set()
    assert parent_backends or not see_backends

    def child_work(i: int) -> None:
        # The parent's session, through the store, then sessions of the child's own.
        claims, session = manager.verify_with_store(issued.access_token, now=time.time())
        assert (claims.user_id, session.data) == ("parent", {"n": 1})
        churn(manager, f"child-{i}")
        assert len(manager.list_sessions(f"child-{i}", now=time.time())) == 1

    gate_read, gate_write = os.pipe()
    pids = []
    for i in range(CHILDREN):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            in_child(lambda: child_work(i), gate_read)
        pids.append(pid)
    os.close(gate_read)
    os.write(gate_write, b"x" * CHILDREN)  # all go at once
    os.close(gate_write)
    # Concurrently with the children. A connection shared with a child could leave a call waiting forever for a
    # reply the child read: the guard makes that a failure.
    try:
        without_hanging(lambda: churn(manager, "parent-during"))
    finally:
        statuses = {pid: os.waitpid(pid, 0)[1] for pid in pids}
    assert all(os.waitstatus_to_exitcode(s) == 0 for s in statuses.values()), statuses
    # What the children wrote is in the shared store, and the parent's connections still work.
    def parent_after() -> None:
        for i in range(CHILDREN):
            assert len(manager.list_sessions(f"child-{i}", now=time.time())) == 1
        refreshed = manager.refresh(issued.refresh_token, now=time.time())
        _, session = manager.verify_with_store(refreshed.access_token, now=time.time())
        assert session.handle == issued.session.handle
        churn(manager, "parent-after")

    without_hanging(parent_after)
    if see_backends:
        # No child closed a connection it inherited (that would end the parent's server session).
        alive = postgres_backends(servers.url, app_name)
        assert parent_backends <= alive, (parent_backends, alive)
