"""Store throughput and latency from Python: ``create_session`` and ``refresh`` on every store with 1, 8 and 64
concurrent callers, the Python side of ``core/benches/stores.rs`` (same operations, same table layout).

- ``Python (threads)``: N threads calling the blocking API on one shared ``SessionManager`` (store calls run
  with the GIL released).
- ``Python (asyncio)``: N tasks on one event loop awaiting the ``a``-prefixed twins, which run each call in
  ``asyncio.to_thread``: the loop's default executor, ``min(32, cpus + 4)`` threads, bounds the real
  concurrency, as it does in an app that keeps the default.

Run against the installed package (``scripts/test-all`` installs it into .venv)::

    .venv/bin/python python/benches/stores.py                 # ~2 s per cell
    SESSIONWARD_BENCH_SECONDS=5 .venv/bin/python python/benches/stores.py

Servers from SESSIONWARD_POSTGRES_URL / SESSIONWARD_REDIS_URL; one that does not answer is left out with a note.
Each network store gets a pool of one connection per caller; every run uses its own prefix (cleaned up with
psql / redis-cli when they are installed).
"""

import asyncio
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable

import sessionward

CALLERS = [1, 8, 64]
SECONDS = float(os.environ.get("SESSIONWARD_BENCH_SECONDS") or 2)
POSTGRES_URL = os.environ.get("SESSIONWARD_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("SESSIONWARD_REDIS_URL") or "redis://127.0.0.1:6379/"
PREFIX = f"swpybench_{os.getpid():x}_{time.time_ns() % 10**9:x}_"


def cell(latencies: list[float], elapsed: float) -> str:
    latencies.sort()

    def at(q: float) -> float:
        return latencies[max(1, math.ceil(len(latencies) * q)) - 1] * 1e3

    return f"{len(latencies) / elapsed:.0f}/s ({at(0.50):.2f} / {at(0.99):.2f} ms)"


def threads(callers: int, setup: Callable[[int], Any], op: Callable[[Any], Any]) -> str:
    """``op(state)`` in a loop on ``callers`` threads for SECONDS, all released at once."""
    barrier = threading.Barrier(callers + 1)
    results: list[list[float]] = [[] for _ in range(callers)]

    def work(i: int) -> None:
        state = [setup(i)]
        out = results[i]
        barrier.wait()
        end = time.perf_counter() + SECONDS
        while (start := time.perf_counter()) < end:
            state[0] = op(state[0])
            out.append(time.perf_counter() - start)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(callers)]
    for w in workers:
        w.start()
    barrier.wait()
    began = time.perf_counter()
    for w in workers:
        w.join()
    return cell([x for r in results for x in r], time.perf_counter() - began)


def tasks(callers: int, setup: Callable[[int], Any], op: Callable[[Any], Any]) -> str:
    """``await op(state)`` in a loop on ``callers`` tasks of one event loop for SECONDS."""

    async def main() -> str:
        states = [await setup(i) for i in range(callers)]
        results: list[list[float]] = [[] for _ in range(callers)]

        async def work(i: int) -> None:
            end = time.perf_counter() + SECONDS
            while (start := time.perf_counter()) < end:
                states[i] = await op(states[i])
                results[i].append(time.perf_counter() - start)

        began = time.perf_counter()
        await asyncio.gather(*(work(i) for i in range(callers)))
        return cell([x for r in results for x in r], time.perf_counter() - began)

    return asyncio.run(main())


def manager(store: Any) -> sessionward.SessionManager:
    return sessionward.SessionManager(issuer="https://auth.example.com", audience="example-api", store=store)


def rows(name: str, open_store: Callable[[int], Any]) -> None:
    claims = {"role": "editor"}
    for label, runner, sync in (("Python (threads)", threads, True), ("Python (asyncio)", tasks, False)):
        create, refresh = [], []
        for callers in CALLERS:
            m = manager(open_store(callers))
            if sync:

                def create_one(i: int) -> int:
                    m.create_session(f"user-{i}", access_claims=claims)
                    return i

                def first_token(i: int) -> str:
                    return m.create_session(f"user-{i}", access_claims=claims).refresh_token

                def refresh_one(token: str) -> str:
                    return m.refresh(token).refresh_token

                create.append(runner(callers, lambda i: i, create_one))
                # Each caller rotates its own session's chain: every call is a real rotation.
                refresh.append(runner(callers, first_token, refresh_one))
            else:

                async def start(i: int) -> int:
                    return i

                async def acreate_one(i: int) -> int:
                    await m.acreate_session(f"user-{i}", access_claims=claims)
                    return i

                async def afirst_token(i: int) -> str:
                    return (await m.acreate_session(f"user-{i}", access_claims=claims)).refresh_token

                async def arefresh_one(token: str) -> str:
                    return (await m.arefresh(token)).refresh_token

                create.append(runner(callers, start, acreate_one))
                refresh.append(runner(callers, afirst_token, arefresh_one))
        print(f"| {label} | {name} | create | {' | '.join(create)} |", flush=True)
        print(f"| {label} | {name} | refresh | {' | '.join(refresh)} |", flush=True)


def reachable(open_store: Callable[[int], Any], what: str) -> bool:
    try:
        open_store(1)
        return True
    except sessionward.StoreUnavailableError as err:
        print(f"{what} left out: {err.message}", file=sys.stderr)
        return False


def cleanup() -> None:
    if shutil.which("psql"):
        tables = ", ".join(f"{PREFIX}{t}" for t in ("sessions", "keys", "schema_migrations"))
        subprocess.run(["psql", POSTGRES_URL, "-q", "-c", f"DROP TABLE IF EXISTS {tables}"], capture_output=True)
    if shutil.which("redis-cli"):
        scan = ["redis-cli", "-u", REDIS_URL, "--scan", "--pattern", f"{PREFIX}*"]
        keys = subprocess.run(scan, capture_output=True, text=True).stdout.split()
        for i in range(0, len(keys), 500):
            subprocess.run(["redis-cli", "-u", REDIS_URL, "DEL", *keys[i : i + 500]], capture_output=True)


def main() -> None:
    print(f"{SECONDS:g} s per cell; cells: ops/s (p50 / p99 latency)\n")
    print("| binding | store | operation | 1 caller | 8 callers | 64 callers |")
    print("|---|---|---|---|---|---|")
    rows("memory", lambda _: sessionward.MemoryStore())
    with tempfile.TemporaryDirectory() as tmp:
        count = iter(range(1_000_000))
        rows("SQLite (file, WAL)", lambda _: sessionward.SqliteStore(os.path.join(tmp, f"s{next(count)}.db")))

    def postgres(callers: int) -> Any:
        return sessionward.PostgresStore(POSTGRES_URL, pool_size=callers, table_prefix=PREFIX)

    def redis(callers: int) -> Any:
        return sessionward.RedisStore(REDIS_URL, pool_size=callers, key_prefix=PREFIX)

    try:
        if reachable(postgres, "PostgreSQL"):
            rows("PostgreSQL", postgres)
        if reachable(redis, "Redis"):
            rows("Redis", redis)
    finally:
        cleanup()


if __name__ == "__main__":
    main()
