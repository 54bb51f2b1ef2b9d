"""Every public API of sessionward called once, for ``mypy --strict python/tests/typing_check.py``.

``assert_type`` pins what the stubs (``sessionward/_native.pyi``) and ``sessionward/__init__.py`` promise;
``_misuse`` holds calls mypy must refuse (``warn_unused_ignores`` under ``--strict`` fails if it stops
refusing them). The file also runs (``python python/tests/typing_check.py``), but mypy is the point.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Any
from unittest import mock

from typing_extensions import assert_type

import sessionward
from sessionward import (
    ERROR_CODES,
    AccessClaims,
    AccessToken,
    ConfigurationError,
    HttpSessions,
    InvalidArgumentError,
    InvalidClaimError,
    IssuedTokens,
    Key,
    MemoryStore,
    PostgresStore,
    RedisClusterStore,
    RedisStore,
    Session,
    SessionManager,
    SessionwardError,
    SqliteStore,
    StoreUnavailableError,
    TheftEvent,
    TokenTheftError,
    TryRefreshError,
    UnauthorisedError,
    __version__,
    errors,
)

NOW = 1_700_000_000.0


def on_theft(event: TheftEvent) -> None:
    assert_type(event.session_handle, str)
    assert_type(event.user_id, str)
    assert_type(event.detected_at, int)


def keys() -> list[Key]:
    ed = Key.generate()
    assert_type(ed, Key)
    assert_type(ed.kid, str)
    assert_type(ed.algorithm, "sessionward._native._Algorithm")  # Literal["EdDSA", "ES256", "RS256", "HS256"]
    assert ed.algorithm == "EdDSA"
    assert_type(ed.can_sign, bool)
    jwk = ed.public_jwk()
    assert_type(jwk, "dict[str, str] | None")
    assert jwk is not None
    public = Key.from_jwk(jwk)
    from_text = Key.from_jwk('{"kty":"oct","alg":"HS256","k":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"}')
    secret = Key.from_secret(b"0123456789abcdef0123456789abcdef", kid="hs")
    secret_no_kid = Key.from_secret(b"0123456789abcdef0123456789abcdef")
    assert not public.can_sign and from_text.can_sign and secret.kid == "hs" and secret_no_kid.kid
    try:
        Key.from_pem("ES256", "not a pem", kid="x")
    except ConfigurationError as error:
        assert_type(error.code, str)
    try:
        Key.from_pem("RS256", "not a pem")
    except ConfigurationError:
        pass
    return [ed, Key.generate("ES256")]


def manager_calls(manager: SessionManager) -> None:
    assert_type(manager.issuer, str)
    assert_type(manager.audience, str)
    assert_type(manager.access_ttl, int)

    issued = manager.create_session(
        "user-1",
        access_claims={"role": "editor"},
        data={"cart": [1]},
        user_agent="UA",
        ip="203.0.113.1",
        device="laptop",
        now=NOW,
    )
    assert_type(issued, IssuedTokens)
    assert_type(issued.access, AccessToken)
    assert_type(issued.access_token, str)
    assert_type(issued.refresh_token, str)
    assert_type(issued.refresh_expires_at, int)
    assert_type(issued.session, Session)
    body = issued.to_dict()
    assert_type(body["access_token"], str)
    assert_type(body["access_expires_at"], int)

    access = issued.access
    assert_type(access.token, str)
    assert_type(access.expires_at, int)
    assert_type(access.token_id, str)
    assert_type(access.front_token, str)

    session = issued.session
    assert_type(session.handle, str)
    assert_type(session.user_id, str)
    assert_type(session.created_at, int)
    assert_type(session.refreshed_at, int)
    assert_type(session.idle_expires_at, int)
    assert_type(session.absolute_expires_at, int)
    assert_type(session.access_claims, "dict[str, Any]")
    assert_type(session.data, Any)
    assert_type(session.user_agent, "str | None")
    assert_type(session.ip, "str | None")
    assert_type(session.device, "str | None")
    as_dict = session.to_dict()
    assert_type(as_dict["handle"], str)
    assert_type(as_dict["metadata"].get("device"), "str | None")
    assert_type(session == session, bool)

    claims = manager.verify(issued.access_token, now=NOW)
    assert_type(claims, AccessClaims)
    assert_type(claims.user_id, str)
    assert_type(claims.session_handle, str)
    assert_type(claims.token_id, str)
    assert_type(claims.issuer, str)
    assert_type(claims.audience, "list[str]")
    assert_type(claims.issued_at, int)
    assert_type(claims.expires_at, int)
    assert_type(claims.kid, str)
    assert_type(claims.claims, "dict[str, Any]")
    assert_type(claims.get("role"), Any)
    assert_type(claims.get("missing", 0), Any)
    assert_type(claims["role"], Any)
    assert_type("role" in claims, bool)
    assert_type(claims.to_dict(), "dict[str, Any]")
    claims.require_eq("role", "editor")
    claims.require_contains("role", "editor")
    with mock.patch("time.time", return_value=NOW):
        manager.verify(issued.access_token)  # the default clock

    pair = manager.verify_with_store(issued.access_token, now=NOW)
    assert_type(pair, "tuple[AccessClaims, Session]")
    refreshed = manager.refresh(issued.refresh_token, now=NOW + 1)
    assert_type(refreshed, IssuedTokens)
    assert_type(manager.list_sessions("user-1", now=NOW), "list[Session]")
    assert_type(manager.get_session(session.handle, now=NOW), "Session | None")
    assert_type(manager.update_session_data(session.handle, {"cart": []}, now=NOW), Session)
    assert_type(manager.update_access_claims(session.handle, {"role": "viewer"}, now=NOW), Session)
    assert_type(manager.regenerate_access_token(session.handle, now=NOW), AccessToken)
    jwks = manager.jwks()
    assert_type(jwks, "dict[str, list[dict[str, str]]]")
    kid = manager.rotate_keys(now=NOW)
    assert_type(kid, str)
    assert_type(manager.revoke_key("unknown", now=NOW), bool)
    assert_type(manager.sync_keys(), None)
    assert_type(manager.purge_expired(now=NOW), int)
    assert_type(manager.revoke_by_refresh_token(refreshed.refresh_token), bool)
    other = manager.create_session("user-1", now=NOW)
    assert_type(manager.revoke(other.session.handle), bool)
    assert_type(manager.revoke_all("user-1", keep=session.handle), int)
    assert_type(manager.revoke_all("user-1"), int)


async def async_calls(manager: SessionManager) -> None:
    issued = await manager.acreate_session("user-2", access_claims={"a": 1}, now=NOW)
    assert_type(issued, IssuedTokens)
    handle = issued.session.handle
    assert_type(await manager.averify_with_store(issued.access_token, now=NOW), "tuple[AccessClaims, Session]")
    refreshed = await manager.arefresh(issued.refresh_token, now=NOW + 1)
    assert_type(refreshed, IssuedTokens)
    assert_type(await manager.alist_sessions("user-2", now=NOW), "list[Session]")
    assert_type(await manager.aget_session(handle, now=NOW), "Session | None")
    assert_type(await manager.aupdate_session_data(handle, [1, 2], now=NOW), Session)
    assert_type(await manager.aupdate_access_claims(handle, {"a": 2}, now=NOW), Session)
    assert_type(await manager.aregenerate_access_token(handle, now=NOW), AccessToken)
    assert_type(await manager.arotate_keys(now=NOW), str)
    assert_type(await manager.arevoke_key("unknown", now=NOW), bool)
    assert_type(await manager.async_keys(), None)
    assert_type(await manager.apurge_expired(now=NOW), int)
    assert_type(await manager.arevoke_by_refresh_token(refreshed.refresh_token), bool)
    second = await manager.acreate_session("user-2", now=NOW)
    assert_type(await manager.arevoke(second.session.handle), bool)
    assert_type(await manager.arevoke_all("user-2", keep=handle), int)


def http_calls(manager: SessionManager) -> None:
    http = HttpSessions(
        mode="both",
        access_cookie="sw_access",
        refresh_cookie="sw_refresh",
        front_cookie="sw_front",
        domain=None,
        secure=True,
        same_site="strict",
        access_path="/",
        refresh_path="/auth/refresh",
        host_prefix=True,
        csrf="double_submit",
        csrf_header="x-csrf-token",
    )
    assert_type(http.mode, 'sessionward._native._Mode')
    assert_type(http.csrf_header, "str | None")
    assert_type(http.refresh_path, str)
    assert_type(http.access_cookie, str)
    assert_type(http.front_cookie, str)
    assert_type(http.refresh_cookie, str)
    issued = manager.create_session("user-3", now=NOW)
    cookies = http.session_cookies(issued, now=NOW)
    assert_type(cookies, "list[str]")
    assert_type(http.access_cookies(issued.access, issued.refresh_expires_at, now=NOW), "list[str]")
    assert_type(http.clear_cookies(), "list[str]")
    bearer = f"Bearer {issued.access_token}"
    assert_type(http.authenticate(manager, method="GET", authorization=bearer, now=NOW), AccessClaims)
    refreshed = http.refresh(manager, method="POST", body_token=issued.refresh_token, now=NOW)
    assert_type(refreshed, IssuedTokens)
    logged_out = http.logout(
        manager, method="POST", cookie=None, authorization=f"Bearer {refreshed.access_token}", csrf=None, now=NOW
    )
    assert_type(logged_out, bool)


def error_types() -> None:
    assert_type(ERROR_CODES, "list[str]")
    assert_type(sessionward._native.UNAUTHORISED_REASONS, "list[str]")
    assert_type(__version__, str)
    assert errors.SessionwardError is SessionwardError
    for cls in (TryRefreshError, UnauthorisedError, TokenTheftError, InvalidClaimError, InvalidArgumentError,
                ConfigurationError, StoreUnavailableError):
        assert_type(cls.code, str)
        assert_type(cls.status_code, int)
    theft = TokenTheftError("m", "handle", "user")
    assert_type(theft.session_handle, str)
    assert_type(theft.user_id, str)
    assert_type(UnauthorisedError("m", "Signature").reason, str)
    assert_type(InvalidClaimError("m", "role").claim, str)
    assert_type(SessionwardError("m").to_dict(), "dict[str, str]")
    assert_type(SessionwardError("m").message, str)


def server_stores(postgres_url: str, redis_url: str, cluster_nodes: list[str]) -> None:
    sql = PostgresStore.migrations_sql("app_")
    assert_type(sql, "list[str]")
    assert_type(PostgresStore.migrations_sql(), "list[str]")
    pg = PostgresStore(
        postgres_url, pool_size=4, connect_timeout=2.0, statement_timeout=2, table_prefix="typing_check_"
    )
    assert_type(pg.table_prefix, str)
    assert_type(pg.pool_size, int)
    redis = RedisStore(redis_url, pool_size=4, timeout=2.0, key_prefix="typing_check:")
    assert_type(redis.key_prefix, str)
    assert_type(redis.pool_size, int)
    cluster = RedisClusterStore(cluster_nodes, pool_size=4, timeout=2.0, key_prefix="typing_check:")
    assert_type(cluster.key_prefix, str)
    assert_type(cluster.pool_size, int)
    assert_type(RedisClusterStore(tuple(cluster_nodes)), RedisClusterStore)
    for store in (pg, redis, cluster):
        manager = SessionManager(issuer="i", audience="a", store=store)
        assert_type(manager.jwks(), "dict[str, list[dict[str, str]]]")


def _misuse(manager: SessionManager, issued: IssuedTokens) -> None:  # never called: mypy must refuse each line
    manager.verify(issued.access_token, NOW)  # type: ignore[call-arg]
    manager.verify(42)  # type: ignore[arg-type]
    manager.create_session("u", access_claims=["role"])  # type: ignore[arg-type]
    manager.refresh(issued.refresh_token, now="soon")  # type: ignore[arg-type]
    Key.generate("HS512")  # type: ignore[arg-type]
    Key.from_secret("a str secret")  # type: ignore[arg-type]
    HttpSessions(mode="cookies")  # type: ignore[arg-type]
    HttpSessions(csrf="token")  # type: ignore[arg-type]
    HttpSessions("cookie")  # type: ignore[call-arg]
    issued.refresh_token = "x"  # type: ignore[misc]
    MemoryStore(1)  # type: ignore[call-arg]
    SqliteStore(1)  # type: ignore[arg-type]
    PostgresStore("postgres://h/db", 8)  # type: ignore[call-arg]
    PostgresStore("postgres://h/db", connect_timeout="5s")  # type: ignore[arg-type]
    PostgresStore("postgres://h/db", schema="app")  # type: ignore[call-arg]
    RedisStore("redis://h/", timeout=None)  # type: ignore[arg-type]
    RedisStore(url=b"redis://h/")  # type: ignore[arg-type]
    RedisClusterStore(["redis://h:7000"], 8)  # type: ignore[call-arg]
    RedisClusterStore([b"redis://h:7000"])  # type: ignore[list-item]
    sessionward._native.SessionManager(issuer="i", audience="a", store="x")  # type: ignore[arg-type]


def main() -> None:
    with mock.patch("time.time", return_value=NOW):
        manager = SessionManager(
            issuer="https://auth.example.com",
            audience="example-api",
            store=MemoryStore(),
            algorithm="EdDSA",
            shared_keys=True,
            rotate_keys_every=None,
            publish_keys_ahead=600,
            key_sync_interval=60,
            access_ttl=900,
            idle_timeout=14 * 86_400,
            absolute_lifetime=30 * 86_400,
            grace_period=60,
            leeway=30,
            max_access_token_bytes=3800,
            max_data_bytes=65_536,
            front_token_claims=["role"],
            max_sessions_per_user=10,
            on_theft=on_theft,
        )
        static = SessionManager(issuer="i", audience="a", store=MemoryStore(), keys=keys())
    assert isinstance(static, sessionward._native.SessionManager)
    manager_calls(manager)
    asyncio.run(async_calls(manager))
    http_calls(manager)
    error_types()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.sqlite3")
        store = SqliteStore(path)
        assert_type(store.path, str)
        from pathlib import Path

        SqliteStore(Path(path))
    try:
        cluster = ["redis://127.0.0.1:7101", "redis://127.0.0.1:7102", "redis://127.0.0.1:7103"]
        server_stores("postgres://postgres@127.0.0.1:5432/test", "redis://127.0.0.1:6379/", cluster)
    except StoreUnavailableError as error:
        print(f"typing_check: server stores not called ({error.message})")
    print("typing_check: every public API called")


if __name__ == "__main__":
    main()
