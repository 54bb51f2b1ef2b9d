"""Several processes on one SQLite file, as pre-fork servers (gunicorn, uvicorn workers) run them."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

import sessionward as sw

NOW = 1_700_000_000.0


def _manager(path: Path) -> sw.SessionManager:
    return sw.SessionManager(issuer="https://auth.test", audience="api", store=sw.SqliteStore(path))


def _child_refreshes(path: str, refresh_token: str, conn: "multiprocessing.connection.Connection") -> None:
    # A new process sharing nothing but the file: it rotates the parent's token and signs a user in.
    manager = _manager(Path(path))
    rotated = manager.refresh(refresh_token, now=NOW + 10)
    created = manager.create_session("child-user", now=NOW + 10)
    conn.send((rotated.refresh_token, created.access_token))
    conn.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_forked_worker_shares_sessions_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    # The manager is built before the fork, as with gunicorn --preload; the child must reopen the database.
    manager = _manager(path)
    issued = manager.create_session("alice", now=NOW)
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()
    proc = ctx.Process(target=_child_refreshes, args=(str(path), issued.refresh_token, child_end))
    proc.start()
    rotated_token, child_access = parent_end.recv()
    proc.join(timeout=30)
    assert proc.exitcode == 0

    # The parent sees the child's rotation: a retry of the old token inside the grace window converges on it.
    assert manager.refresh(issued.refresh_token, now=NOW + 20).refresh_token == rotated_token
    # Both processes use the one shared key ring, so the parent verifies what the child signed.
    assert manager.verify(child_access, now=NOW + 20).user_id == "child-user"
    # After the window the old token is a replay, wherever it is presented.
    with pytest.raises(sw.TokenTheftError):
        manager.refresh(issued.refresh_token, now=NOW + 100)


def _child_uses_inherited_manager(manager: sw.SessionManager, token: str, conn: "multiprocessing.connection.Connection") -> None:
    rotated = manager.refresh(token, now=NOW + 5)
    conn.send(rotated.refresh_token)
    conn.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_manager_inherited_across_fork_keeps_working(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    manager = _manager(path)
    issued = manager.create_session("bob", now=NOW)
    ctx = multiprocessing.get_context("fork")
    parent_end, child_end = ctx.Pipe()
    proc = ctx.Process(target=_child_uses_inherited_manager, args=(manager, issued.refresh_token, child_end))
    proc.start()
    child_token = parent_end.recv()
    proc.join(timeout=30)
    assert proc.exitcode == 0
    # The parent's connection still works after the child used (its own reopened copy of) the store.
    nxt = manager.refresh(child_token, now=NOW + 6)
    assert nxt.refresh_token != child_token
    assert [s.user_id for s in manager.list_sessions("bob", now=NOW + 6)] == ["bob"]

