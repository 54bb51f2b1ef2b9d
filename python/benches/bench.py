#!/usr/bin/env python3
"""Sign and verify per algorithm: sessionward vs PyJWT vs joserfc (and oxyjwt when installed), plus session
create/refresh on MemoryStore and SqliteStore. Not part of the test suite; run it explicitly:

    .venv/bin/python python/benches/bench.py            # prints Markdown tables
    .venv/bin/python python/benches/bench.py --quick    # a smoke run with short rounds

Method:
- every library gets the SAME key (generated once with `cryptography`, then loaded once into each library's own
  key type) and the SAME claims: sub, sid, iat, exp, iss, aud, jti plus a ~100-byte custom object;
- before timing, every library's token is verified by every library (and must decode to the same claims);
- each figure is the median of 5 `timeit` rounds, each round sized to last about --round-seconds;
- sessionward "sign" is `manager.regenerate_access_token(handle)`: it also reads the session from the store
  (a MemoryStore here), draws a fresh `jti` and builds the front token. The other libraries sign a ready-made
  dict. sessionward "verify" is `manager.verify(token, now=...)` (signature, pinned alg, typ, iss, aud, times);
  the others decode with the same checks (audience, issuer, required claims).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import timeit
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jwt as jose_jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

import sessionward
from sessionward import Key, MemoryStore, SessionManager, SqliteStore

oxyjwt: Any
try:  # optional competitor
    import oxyjwt
except ImportError:  # pragma: no cover - reported in the output
    oxyjwt = None

ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"
ALGORITHMS = ["EdDSA", "ES256", "RS256", "HS256"]
CUSTOM = {
    "role": "editor",
    "org": {"id": 1234, "name": "Example Org Ltd"},
    "scopes": ["read", "write", "admin"],
    "plan": "pro",
}
REQUIRED = ["exp", "iat", "sub", "jti", "iss", "aud"]
SECRET = b"bench-shared-secret-0123456789-abcdef"
ACCESS_TTL = 3600  # headroom: PyJWT and oxyjwt verify at the real clock

# joserfc warns on every EdDSA use that RFC 9864 deprecates the name; the warning filter itself is not timed away.
warnings.simplefilter("ignore", SecurityWarning)


def calibrate(fn: Callable[[], object], round_seconds: float) -> int:
    """How many calls make one round of about round_seconds."""
    number = 1
    while True:
        elapsed = timeit.timeit(fn, number=number)
        if elapsed >= round_seconds / 10:
            return max(1, round(number * round_seconds / elapsed))
        number *= 4


def measure(fns: dict[str, Callable[[], object]], round_seconds: float) -> dict[str, float]:
    """Median seconds per call over 5 timeit rounds each. The rounds of the competitors are interleaved
    (round 1 of each, then round 2 of each, ...) so that a burst of load on the machine hits them alike."""
    numbers = {name: calibrate(fn, round_seconds) for name, fn in fns.items()}
    rounds: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(5):
        for name, fn in fns.items():
            rounds[name].append(timeit.timeit(fn, number=numbers[name]) / numbers[name])
    return {name: statistics.median(times) for name, times in rounds.items()}


@dataclass
class Material:
    """One key in every library's form."""

    algorithm: str
    kid: str
    sessionward_key: Key
    pyjwt_sign: Any
    pyjwt_verify: Any
    jose_sign: Any
    jose_verify: Any
    oxy_sign: Any
    oxy_verify: Any


def key_material(algorithm: str) -> Material:
    kid = f"bench-{algorithm.lower()}"
    oxy: tuple[Any, Any] = (None, None)
    if algorithm == "HS256":
        if oxyjwt is not None:
            oxy = (oxyjwt.EncodingKey.from_secret(SECRET), oxyjwt.DecodingKey.from_secret(SECRET))
        octet = OctKey.import_key(SECRET)
        return Material(algorithm, kid, Key.from_secret(SECRET, kid=kid), SECRET, SECRET, octet, octet, *oxy)
    private: Any = {
        "EdDSA": lambda: ed25519.Ed25519PrivateKey.generate(),
        "ES256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "RS256": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }[algorithm]()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jose_cls: Any = {"EdDSA": OKPKey, "ES256": ECKey, "RS256": RSAKey}[algorithm]
    if oxyjwt is not None:
        loader = {"EdDSA": "ed", "ES256": "ec", "RS256": "rsa"}[algorithm]
        oxy = (
            getattr(oxyjwt.EncodingKey, f"from_{loader}_pem")(private_pem),
            getattr(oxyjwt.DecodingKey, f"from_{loader}_pem")(public_pem),
        )
    return Material(
        algorithm,
        kid,
        Key.from_pem(algorithm, private_pem.decode(), kid=kid),  # type: ignore[arg-type]
        private,  # PyJWT takes cryptography key objects as they are: no parsing per call
        private.public_key(),
        jose_cls.import_key(private_pem),
        jose_cls.import_key(public_pem),
        *oxy,
    )


@dataclass
class Library:
    name: str
    sign: Callable[[], str]
    verify: Callable[[str], dict[str, Any]]  # for the correctness check: the claims as a plain dict
    timed_verify: Optional[Callable[[str], object]] = None  # what is timed, when not `verify`


def libraries(
    material: Material, payload: dict[str, Any], manager: SessionManager, handle: str, now: int
) -> list[Library]:
    alg, kid = material.algorithm, material.kid
    headers = {"kid": kid, "typ": "at+jwt"}

    def sw_verify(token: str) -> dict[str, Any]:
        claims = manager.verify(token, now=now).to_dict()
        claims["aud"] = claims["aud"][0] if claims["aud"] == [AUDIENCE] else claims["aud"]
        return claims

    def pyjwt_verify(token: str) -> dict[str, Any]:
        decoded: dict[str, Any] = pyjwt.decode(
            token, material.pyjwt_verify, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER,
            options={"require": REQUIRED},
        )
        return decoded

    registry = jose_jwt.JWTClaimsRegistry(
        now=now,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        sub={"essential": True},
        jti={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    jose_header = {"alg": alg, **headers}

    def jose_verify(token: str) -> dict[str, Any]:
        decoded = jose_jwt.decode(token, material.jose_verify, algorithms=[alg])
        registry.validate(decoded.claims)
        return dict(decoded.claims)

    libs = [
        Library(
            "sessionward",
            lambda: manager.regenerate_access_token(handle, now=now).token,
            sw_verify,
            lambda token: manager.verify(token, now=now),
        ),
        Library(
            "PyJWT", lambda: pyjwt.encode(payload, material.pyjwt_sign, algorithm=alg, headers=headers), pyjwt_verify
        ),
        Library(
            "joserfc",
            lambda: jose_jwt.encode(jose_header, payload, material.jose_sign, algorithms=[alg]),
            jose_verify,
        ),
    ]
    if oxyjwt is not None:
        oxy_sign, oxy_verify = material.oxy_sign, material.oxy_verify

        def oxy_decode(token: str) -> dict[str, Any]:
            decoded: dict[str, Any] = oxyjwt.decode(
                token, oxy_verify, algorithms=[alg], audience=AUDIENCE, issuer=ISSUER, require=REQUIRED
            )
            return decoded

        libs.append(
            Library("oxyjwt", lambda: oxyjwt.encode(payload, oxy_sign, algorithm=alg, headers=headers), oxy_decode)
        )
    return libs


def check_correctness(libs: list[Library], payload: dict[str, Any]) -> None:
    """Every library's token verifies in every library, to the same claims (jti aside for sessionward's)."""
    tokens = {lib.name: lib.sign() for lib in libs}
    for signer, token in tokens.items():
        header = pyjwt.get_unverified_header(token)
        assert header["typ"] == "at+jwt" and header["kid"], (signer, header)
        for verifier in libs:
            claims = verifier.verify(token)
            expected = dict(payload)
            if signer == "sessionward":  # a fresh jti per minted token
                expected["jti"] = claims["jti"]
            assert claims == expected, f"{verifier.name} decoded {signer}'s token differently: {claims} != {expected}"
        # A tampered signature must be refused by every verifier.
        head, body, signature = token.split(".")
        forged = f"{head}.{body}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
        for verifier in libs:
            try:
                verifier.verify(forged)
            except Exception:  # noqa: BLE001 - any refusal will do
                continue
            raise AssertionError(f"{verifier.name} accepted a forged {signer} token")


def bench_jws(round_seconds: float) -> tuple[list[str], dict[tuple[str, str], dict[str, float]]]:
    now = int(time.time())
    results: dict[tuple[str, str], dict[str, float]] = {}
    names: list[str] = []
    for algorithm in ALGORITHMS:
        material = key_material(algorithm)
        manager = SessionManager(
            issuer=ISSUER,
            audience=AUDIENCE,
            store=MemoryStore(),
            keys=[material.sessionward_key],
            access_ttl=ACCESS_TTL,
        )
        issued = manager.create_session("user-42", access_claims=CUSTOM, now=now)
        payload = manager.verify(issued.access_token, now=now).to_dict()
        payload["aud"] = AUDIENCE  # as minted: one string
        libs = libraries(material, payload, manager, issued.session.handle, now)
        names = [lib.name for lib in libs]
        check_correctness(libs, payload)
        tokens = {lib.name: lib.sign() for lib in libs}
        results[(algorithm, "sign")] = measure({lib.name: lib.sign for lib in libs}, round_seconds)
        verifiers: dict[str, Callable[[], object]] = {}
        for lib in libs:
            verify, token = lib.timed_verify or lib.verify, tokens[lib.name]
            verifiers[lib.name] = lambda verify=verify, token=token: verify(token)  # type: ignore[misc]
        results[(algorithm, "verify")] = measure(verifiers, round_seconds)
        sw_token = tokens["sessionward"]
        results[(algorithm, "verify + claims dict")] = measure(
            {"sessionward": lambda: manager.verify(sw_token, now=now).to_dict()}, round_seconds
        )
        for op in ("sign", "verify"):
            row = ", ".join(f"{name} {t * 1e6:.1f}" for name, t in results[(algorithm, op)].items())
            print(f"  {algorithm:<6} {op:<7} µs: {row}", file=sys.stderr)
    return names, results


IN_FLIGHT = 16


def session_ops(store: Any, now: float, loop: asyncio.AbstractEventLoop) -> dict[str, Callable[[], object]]:
    """The timed session operations on one store (a function of its own, so each closure keeps its manager)."""
    manager = SessionManager(issuer=ISSUER, audience=AUDIENCE, store=store)
    first = manager.create_session("user-42", access_claims=CUSTOM, now=now)
    handle, token = first.session.handle, first.access_token
    chain = [first.refresh_token]
    batch = [manager.create_session(f"user-{i}", now=now).refresh_token for i in range(IN_FLIGHT)]

    def refresh() -> None:
        chain[0] = manager.refresh(chain[0], now=now).refresh_token

    async def concurrent_refreshes() -> None:
        results = await asyncio.gather(*(manager.arefresh(t, now=now) for t in batch))
        batch[:] = [r.refresh_token for r in results]

    return {
        "create_session": lambda: manager.create_session("user-42", access_claims=CUSTOM, device="bench", now=now),
        "refresh (rotation)": refresh,
        "verify_with_store": lambda: manager.verify_with_store(token, now=now),
        "regenerate_access_token": lambda: manager.regenerate_access_token(handle, now=now),
        f"arefresh, {IN_FLIGHT} in flight (per refresh)": lambda: loop.run_until_complete(concurrent_refreshes()),
    }


def bench_sessions(round_seconds: float) -> dict[str, dict[str, float]]:
    """create_session and refresh (and store-backed reads) on MemoryStore and a SqliteStore file (WAL)."""
    now = float(int(time.time()))
    out: dict[str, dict[str, float]] = {}
    loop = asyncio.new_event_loop()  # one loop (and its default thread pool) for all rounds
    try:
        with tempfile.TemporaryDirectory() as tmp:
            per_store = {
                "MemoryStore": session_ops(MemoryStore(), now, loop),
                "SqliteStore (file)": session_ops(SqliteStore(Path(tmp) / "bench.sqlite3"), now, loop),
            }
            for op in per_store["MemoryStore"]:
                row = measure({label: ops[op] for label, ops in per_store.items()}, round_seconds)
                if op.startswith("arefresh"):
                    row = {label: seconds / IN_FLIGHT for label, seconds in row.items()}
                out[op] = row
                print(f"  {op:<38} µs: " + ", ".join(f"{k} {v * 1e6:.1f}" for k, v in row.items()), file=sys.stderr)
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    return out


def fmt_cell(seconds: Optional[float], baseline: Optional[float]) -> str:
    if seconds is None:
        return "—"
    us = seconds * 1e6
    ops = 1 / seconds
    ops_text = f"{ops / 1000:.1f}k/s" if ops >= 1000 else f"{ops:.0f}/s"
    ratio = f" · {baseline / seconds:.2f}×" if baseline else ""
    return f"{us:.1f} µs · {ops_text}{ratio}"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = [
        f"sessionward {sessionward.__version__}",
        f"PyJWT {pyjwt.__version__}",
        f"joserfc {__import__('joserfc').__version__}",
        f"oxyjwt {getattr(oxyjwt, '__version__', '?')}" if oxyjwt else "oxyjwt not installed",
    ]
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return (
        f"{dt.date.today().isoformat()}, {os.cpu_count()} vCPU ({cpu}), {platform.system()} {platform.release()}, "
        f"CPython {platform.python_version()}{load}; {', '.join(versions)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--round-seconds", type=float, default=0.25, help="length of one timeit round (default 0.25)")
    parser.add_argument("--quick", action="store_true", help="short rounds, for a smoke run")
    args = parser.parse_args()
    round_seconds = 0.02 if args.quick else args.round_seconds

    print("JWS sign/verify (correctness checked first) ...", file=sys.stderr)
    names, jws = bench_jws(round_seconds)
    print("sessions ...", file=sys.stderr)
    sessions = bench_sessions(round_seconds)

    print(f"Machine: {machine()}\n")
    print("Cells: µs per operation · operations per second · speed-up vs PyJWT (>1 is faster). "
          "Median of 5 timeit rounds.\n")
    print("| algorithm | operation | " + " | ".join(names) + " |")
    print("|---|---|" + "---:|" * len(names))
    for (algorithm, op), row in jws.items():
        baseline = row.get("PyJWT")
        cells = [fmt_cell(row.get(name), baseline) for name in names]
        print(f"| {algorithm} | {op} | " + " | ".join(cells) + " |")
    labels = list(next(iter(sessions.values())))
    print("\nSessions (EdDSA keys, same custom claims):\n")
    print("| operation | " + " | ".join(labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for op, row in sessions.items():
        print(f"| {op} | " + " | ".join(fmt_cell(row.get(label), None) for label in labels) + " |")


if __name__ == "__main__":
    main()
