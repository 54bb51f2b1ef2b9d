"""SessionManager: sessions, rotation, theft, revocation, claims, keys, errors, async twins, SQLite persistence.

Every call takes a fixed ``now`` (and managers are built with ``time.time`` frozen at NOW, because the
constructor creates the first key at the wall clock), so the suite is deterministic.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import sessionward
from sessionward import (
    ERROR_CODES,
    AccessClaims,
    AccessToken,
    ConfigurationError,
    InvalidArgumentError,
    InvalidClaimError,
    IssuedTokens,
    MemoryStore,
    Session,
    SessionManager,
    SessionwardError,
    SqliteStore,
    StoreUnavailableError,
    TheftEvent,
    TokenTheftError,
    TryRefreshError,
    UnauthorisedError,
)

NOW = 1_700_000_000.0
T0 = int(NOW)
ISSUER = "https://auth.example.com"
AUDIENCE = "example-api"
DAY = 86_400
RESERVED = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid"]


def make_manager(**kwargs: Any) -> SessionManager:
    """A manager on a MemoryStore whose first key was created at NOW."""
    kwargs.setdefault("store", MemoryStore())
    with mock.patch("time.time", return_value=NOW):
        return SessionManager(issuer=ISSUER, audience=AUDIENCE, **kwargs)


def b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture
def manager() -> SessionManager:
    return make_manager()


# ----- create / verify -----


def test_create_session_returns_tokens_and_session(manager: SessionManager) -> None:
    issued = manager.create_session(
        "user-42",
        access_claims={"role": "editor"},
        data={"cart": [1, 2]},
        user_agent="Firefox",
        ip="203.0.113.7",
        device="Anna's laptop",
        now=NOW,
    )
    assert isinstance(issued, IssuedTokens)
    assert isinstance(issued.access, AccessToken)
    assert issued.access_token == issued.access.token
    assert issued.access.expires_at == T0 + 900
    assert issued.refresh_token.startswith("swr_") and len(issued.refresh_token) == 68
    assert issued.refresh_expires_at == T0 + 14 * DAY

    session = issued.session
    assert isinstance(session, Session)
    assert session.user_id == "user-42"
    assert len(session.handle) >= 16
    assert (session.created_at, session.refreshed_at) == (T0, T0)
    assert session.idle_expires_at == T0 + 14 * DAY
    assert session.absolute_expires_at == T0 + 30 * DAY
    assert session.access_claims == {"role": "editor"}
    assert session.data == {"cart": [1, 2]}
    assert (session.user_agent, session.ip, session.device) == ("Firefox", "203.0.113.7", "Anna's laptop")
    assert session.to_dict() == {
        "handle": session.handle,
        "user_id": "user-42",
        "created_at": T0,
        "refreshed_at": T0,
        "idle_expires_at": T0 + 14 * DAY,
        "absolute_expires_at": T0 + 30 * DAY,
        "access_claims": {"role": "editor"},
        "data": {"cart": [1, 2]},
        "metadata": {"user_agent": "Firefox", "ip": "203.0.113.7", "device": "Anna's laptop"},
    }
    assert issued.to_dict() == {
        "access_token": issued.access_token,
        "access_expires_at": T0 + 900,
        "refresh_token": issued.refresh_token,
        "refresh_expires_at": T0 + 14 * DAY,
        "front_token": issued.access.front_token,
        "session_handle": session.handle,
    }
    # The front token is readable by browser code and carries no secret.
    assert b64json(issued.access.front_token) == {
        "uid": "user-42",
        "exp": T0 + 900,
        "csrf": issued.access.token_id,
        "claims": {},
    }
    # Reprs never show a token.
    for text in (repr(issued), repr(issued.access)):
        assert issued.access_token not in text and issued.refresh_token not in text


def test_session_without_data_or_metadata(manager: SessionManager) -> None:
    session = manager.create_session("u", now=NOW).session
    assert session.data is None
    assert session.access_claims == {}
    assert (session.user_agent, session.ip, session.device) == (None, None, None)
    assert session.to_dict()["metadata"] == {}


def test_front_token_claims_allowlist() -> None:
    manager = make_manager(front_token_claims=["role"])
    issued = manager.create_session("u", access_claims={"role": "admin", "secret": "x"}, now=NOW)
    assert b64json(issued.access.front_token)["claims"] == {"role": "admin"}


def test_verify_returns_claims(manager: SessionManager) -> None:
    claims_in = {"role": "editor", "scopes": ["read", "write"], "scope": "a b", "org": {"id": 7}}
    issued = manager.create_session("user-42", access_claims=claims_in, now=NOW)
    claims = manager.verify(issued.access_token, now=NOW + 10)
    assert isinstance(claims, AccessClaims)
    assert claims.user_id == "user-42"
    assert claims.session_handle == issued.session.handle
    assert claims.token_id == issued.access.token_id
    assert claims.issuer == ISSUER
    assert claims.audience == [AUDIENCE]
    assert (claims.issued_at, claims.expires_at) == (T0, T0 + 900)
    assert claims.kid == manager.jwks()["keys"][0]["kid"]
    assert claims.claims == claims_in
    assert claims.to_dict() == {
        **claims_in,
        "iss": ISSUER,
        "sub": "user-42",
        "aud": [AUDIENCE],
        "sid": issued.session.handle,
        "jti": issued.access.token_id,
        "iat": T0,
        "exp": T0 + 900,
    }
    assert claims["role"] == "editor"
    assert claims.get("org") == {"id": 7}
    assert claims.get("missing") is None
    assert claims.get("missing", 5) == 5
    assert "role" in claims and "missing" not in claims
    assert "sub" not in claims  # registered claims are properties, not custom claims
    with pytest.raises(KeyError):
        claims["missing"]
    claims.require_eq("role", "editor")
    claims.require_eq("org", {"id": 7})
    claims.require_contains("scopes", "write")
    claims.require_contains("scope", "b")
    with pytest.raises(InvalidClaimError) as info:
        claims.require_eq("role", "admin")
    assert (info.value.code, info.value.status_code, info.value.claim) == ("invalid_claim", 403, "role")
    with pytest.raises(InvalidClaimError) as info:
        claims.require_contains("scopes", "admin")
    assert info.value.claim == "scopes"
    with pytest.raises(InvalidClaimError):
        claims.require_contains("missing", "x")


def test_verify_time_window(manager: SessionManager) -> None:
    token = manager.create_session("u", now=NOW).access_token
    manager.verify(token, now=NOW + 929)  # exp + leeway (30 s) not yet reached
    manager.verify(token, now=NOW - 30)  # iat up to leeway in the future
    with pytest.raises(TryRefreshError) as info:
        manager.verify(token, now=NOW + 930)
    assert (info.value.code, info.value.status_code) == ("try_refresh", 401)
    with pytest.raises(UnauthorisedError) as unauthorised:
        manager.verify(token, now=NOW - 31)
    assert unauthorised.value.reason == "Claims"


def _b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("header_change", "reason"),
    [
        ({"alg": "HS256"}, "Algorithm"),
        ({"alg": "none"}, "Algorithm"),
        ({"typ": "JWT"}, "Header"),
        ({"jku": "https://evil.example/jwks"}, "Header"),
        ({"kid": "not-a-kid"}, "UnknownKey"),
    ],
)
def test_verify_refuses_tampered_headers(manager: SessionManager, header_change: dict[str, str], reason: str) -> None:
    header, payload, signature = manager.create_session("u", now=NOW).access_token.split(".")
    forged = f"{_b64({**b64json(header), **header_change})}.{payload}.{signature}"
    with pytest.raises(UnauthorisedError) as info:
        manager.verify(forged, now=NOW)
    assert (info.value.code, info.value.status_code, info.value.reason) == ("unauthorised", 401, reason)


def test_verify_refuses_bad_tokens(manager: SessionManager) -> None:
    token = manager.create_session("u", now=NOW).access_token
    header, payload, signature = token.split(".")
    elevated = _b64({**b64json(payload), "sub": "admin"})
    cases = {
        "Malformed": "not-a-jwt",
        "Signature": f"{header}.{elevated}.{signature}",
    }
    for reason, bad in cases.items():
        with pytest.raises(UnauthorisedError) as info:
            manager.verify(bad, now=NOW)
        assert info.value.reason == reason
        assert bad not in str(info.value) and token not in str(info.value)
    # Another issuer's token (other keys): unknown kid.
    other = make_manager().create_session("u", now=NOW).access_token
    with pytest.raises(UnauthorisedError) as info:
        manager.verify(other, now=NOW)
    assert info.value.reason == "UnknownKey"


def test_verify_checks_issuer_and_audience() -> None:
    key = sessionward.Key.generate("EdDSA")
    minted = make_manager(keys=[key]).create_session("u", now=NOW).access_token
    variants: list[dict[str, Any]] = [
        {"issuer": "https://other.example.com", "audience": AUDIENCE},
        {"issuer": ISSUER, "audience": "other"},
    ]
    for kwargs in variants:
        with mock.patch("time.time", return_value=NOW):
            verifier = SessionManager(store=MemoryStore(), keys=[key], **kwargs)
        with pytest.raises(UnauthorisedError) as info:
            verifier.verify(minted, now=NOW)
        assert info.value.reason == "Claims"


def test_verify_with_store(manager: SessionManager) -> None:
    issued = manager.create_session("u", data={"x": 1}, now=NOW)
    claims, session = manager.verify_with_store(issued.access_token, now=NOW + 1)
    assert claims.session_handle == session.handle == issued.session.handle
    assert session == manager.get_session(issued.session.handle, now=NOW + 1)
    assert manager.revoke(issued.session.handle) is True
    manager.verify(issued.access_token, now=NOW + 2)  # offline: still valid until it expires
    with pytest.raises(UnauthorisedError) as info:
        manager.verify_with_store(issued.access_token, now=NOW + 2)
    assert info.value.reason == "SessionRevoked"


def test_verify_with_store_expired_session() -> None:
    manager = make_manager(idle_timeout=1000, access_ttl=1000)
    issued = manager.create_session("u", now=NOW)
    with pytest.raises(UnauthorisedError) as info:
        manager.verify_with_store(issued.access_token, now=NOW + 1010)  # token within leeway, session idle
    assert info.value.reason == "SessionExpired"


# ----- refresh, grace, theft -----


def test_refresh_rotates(manager: SessionManager) -> None:
    first = manager.create_session("u", access_claims={"role": "r"}, now=NOW)
    second = manager.refresh(first.refresh_token, now=NOW + 100)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert second.access.token_id != first.access.token_id
    assert second.session.handle == first.session.handle
    assert second.session.refreshed_at == T0 + 100
    assert second.session.idle_expires_at == T0 + 100 + 14 * DAY
    assert second.session.absolute_expires_at == T0 + 30 * DAY
    assert second.refresh_expires_at == T0 + 100 + 14 * DAY
    assert second.access.expires_at == T0 + 100 + 900
    claims = manager.verify(second.access_token, now=NOW + 100)
    assert (claims.user_id, claims.session_handle, claims.claims) == ("u", first.session.handle, {"role": "r"})
    third = manager.refresh(second.refresh_token, now=NOW + 200)
    assert len({first.refresh_token, second.refresh_token, third.refresh_token}) == 3


def test_refresh_never_outlives_absolute_lifetime() -> None:
    manager = make_manager(idle_timeout=10 * DAY, absolute_lifetime=11 * DAY)
    first = manager.create_session("u", now=NOW)
    later = manager.refresh(first.refresh_token, now=NOW + 5 * DAY)
    assert later.refresh_expires_at == T0 + 11 * DAY
    last = manager.refresh(later.refresh_token, now=NOW + 11 * DAY - 300)
    assert last.access.expires_at == T0 + 11 * DAY  # capped at the absolute expiry
    with pytest.raises(UnauthorisedError) as info:
        manager.refresh(last.refresh_token, now=NOW + 11 * DAY)
    assert info.value.reason == "SessionExpired"


def test_retry_in_grace_returns_same_successor(manager: SessionManager) -> None:
    first = manager.create_session("u", now=NOW)
    second = manager.refresh(first.refresh_token, now=NOW + 100)
    again = manager.refresh(first.refresh_token, now=NOW + 159)  # inside grace_period (60 s)
    assert again.refresh_token == second.refresh_token
    assert again.session.handle == second.session.handle
    manager.verify(again.access_token, now=NOW + 160)
    # The successor is still the current token.
    third = manager.refresh(second.refresh_token, now=NOW + 170)
    assert third.refresh_token not in {first.refresh_token, second.refresh_token}


def test_replay_after_grace_is_theft() -> None:
    events: list[TheftEvent] = []
    manager = make_manager(on_theft=events.append)
    first = manager.create_session("user-7", now=NOW)
    second = manager.refresh(first.refresh_token, now=NOW + 100)
    with pytest.raises(TokenTheftError) as info:
        manager.refresh(first.refresh_token, now=NOW + 160)  # grace ends 60 s after the rotation
    error = info.value
    assert (error.code, error.status_code) == ("token_theft", 401)
    assert (error.session_handle, error.user_id) == (first.session.handle, "user-7")
    assert first.refresh_token not in str(error)
    assert events == [TheftEvent(session_handle=first.session.handle, user_id="user-7", detected_at=T0 + 160)]
    # The session is revoked: the legitimate holder of the successor must sign in again.
    assert manager.get_session(first.session.handle, now=NOW + 162) is None
    with pytest.raises(UnauthorisedError) as revoked:
        manager.refresh(second.refresh_token, now=NOW + 162)
    assert revoked.value.reason == "SessionRevoked"
    assert len(events) == 1


def test_replay_of_older_generation_is_theft_even_in_grace() -> None:
    events: list[TheftEvent] = []
    manager = make_manager(on_theft=events.append)
    first = manager.create_session("u", now=NOW)
    second = manager.refresh(first.refresh_token, now=NOW + 1)
    manager.refresh(second.refresh_token, now=NOW + 2)
    with pytest.raises(TokenTheftError) as info:
        manager.refresh(first.refresh_token, now=NOW + 3)
    assert info.value.session_handle == first.session.handle
    assert [e.detected_at for e in events] == [T0 + 3]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_on_theft_callback_that_raises_does_not_break_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[TheftEvent] = []

    def callback(event: TheftEvent) -> None:
        seen.append(event)
        raise RuntimeError("alerting is down")

    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    manager = make_manager(on_theft=callback)
    first = manager.create_session("u", now=NOW)
    manager.refresh(first.refresh_token, now=NOW + 1)
    with pytest.raises(TokenTheftError) as info:
        manager.refresh(first.refresh_token, now=NOW + 100)
    assert info.value.session_handle == first.session.handle
    assert len(seen) == 1 and seen[0].session_handle == first.session.handle
    assert len(unraisable) == 1
    assert unraisable[0].exc_type is RuntimeError
    assert str(unraisable[0].exc_value) == "alerting is down"
    # The manager keeps working.
    manager.verify(manager.create_session("v", now=NOW + 101).access_token, now=NOW + 101)


def test_refresh_refuses_bad_tokens(manager: SessionManager) -> None:
    for token, reason in [("nope", "Malformed"), ("swr_" + "A" * 64, "SessionRevoked"), ("", "Malformed")]:
        with pytest.raises(UnauthorisedError) as info:
            manager.refresh(token, now=NOW)
        assert info.value.reason == reason
    access = manager.create_session("u", now=NOW).access_token
    with pytest.raises(UnauthorisedError):
        manager.refresh(access, now=NOW)


def test_refresh_of_idle_session_fails_and_deletes_it() -> None:
    manager = make_manager(idle_timeout=1000, access_ttl=500)
    issued = manager.create_session("u", now=NOW)
    with pytest.raises(UnauthorisedError) as info:
        manager.refresh(issued.refresh_token, now=NOW + 1000)
    assert info.value.reason == "SessionExpired"
    assert manager.purge_expired(now=NOW + 2000) == 0  # already deleted by the failed refresh


# ----- revoke, list, get -----


def test_revoke_and_revoke_by_refresh_token(manager: SessionManager) -> None:
    a = manager.create_session("u", now=NOW)
    b = manager.create_session("u", now=NOW)
    assert manager.revoke(a.session.handle) is True
    assert manager.revoke(a.session.handle) is False
    assert manager.revoke("unknown") is False
    with pytest.raises(UnauthorisedError) as info:
        manager.refresh(a.refresh_token, now=NOW + 1)
    assert info.value.reason == "SessionRevoked"
    assert manager.revoke_by_refresh_token(b.refresh_token) is True
    assert manager.revoke_by_refresh_token(b.refresh_token) is False
    assert manager.list_sessions("u", now=NOW) == []
    with pytest.raises(UnauthorisedError):
        manager.revoke_by_refresh_token("not-a-refresh-token")


def test_revoke_all_with_keep(manager: SessionManager) -> None:
    sessions = [manager.create_session("u", now=NOW + i).session for i in range(4)]
    other = manager.create_session("someone-else", now=NOW).session
    current = sessions[2]
    assert manager.revoke_all("u", keep=current.handle) == 3
    assert [s.handle for s in manager.list_sessions("u", now=NOW + 10)] == [current.handle]
    assert manager.revoke_all("u") == 1
    assert manager.revoke_all("u") == 0
    assert manager.list_sessions("u", now=NOW + 10) == []
    assert [s.handle for s in manager.list_sessions("someone-else", now=NOW + 10)] == [other.handle]


def test_list_and_get_sessions(manager: SessionManager) -> None:
    handles = [manager.create_session("u", device=f"d{i}", now=NOW + i).session.handle for i in range(3)]
    listed = manager.list_sessions("u", now=NOW + 5)
    assert [s.handle for s in listed] == handles  # oldest first
    assert [s.device for s in listed] == ["d0", "d1", "d2"]
    assert [s.created_at for s in listed] == [T0, T0 + 1, T0 + 2]
    assert manager.list_sessions("nobody", now=NOW) == []
    got = manager.get_session(handles[1], now=NOW + 5)
    assert got is not None and got == listed[1]
    assert got != listed[0]
    assert manager.get_session("unknown", now=NOW) is None
    # Expired sessions are neither listed nor returned.
    later = NOW + 14 * DAY + 2  # the newest idles out at T0 + 2 + 14 days
    assert manager.list_sessions("u", now=later) == []
    assert manager.get_session(handles[0], now=later) is None
    with pytest.raises(TypeError):
        hash(got)


def test_max_sessions_per_user_revokes_oldest() -> None:
    manager = make_manager(max_sessions_per_user=2)
    handles = [manager.create_session("u", now=NOW + i).session.handle for i in range(3)]
    assert [s.handle for s in manager.list_sessions("u", now=NOW + 5)] == handles[1:]


def test_purge_expired(manager: SessionManager) -> None:
    manager.create_session("u", now=NOW)
    manager.create_session("u", now=NOW + DAY)
    assert manager.purge_expired(now=NOW + 14 * DAY) == 1
    assert manager.purge_expired(now=NOW + 14 * DAY) == 0
    assert manager.purge_expired(now=NOW + 15 * DAY) == 1


# ----- session data and claims -----


def test_update_session_data(manager: SessionManager) -> None:
    issued = manager.create_session("u", data={"v": 1}, now=NOW)
    updated = manager.update_session_data(issued.session.handle, {"v": 2, "list": [None, True, 1.5]}, now=NOW + 1)
    assert updated.data == {"v": 2, "list": [None, True, 1.5]}
    assert manager.get_session(issued.session.handle, now=NOW + 1) == updated
    assert manager.update_session_data(issued.session.handle, "plain string", now=NOW + 2).data == "plain string"
    with pytest.raises(UnauthorisedError) as info:
        manager.update_session_data("unknown", {}, now=NOW)
    assert info.value.reason == "SessionRevoked"


def test_oversized_data_is_refused() -> None:
    manager = make_manager(max_data_bytes=100)
    with pytest.raises(InvalidArgumentError):
        manager.create_session("u", data={"x": "y" * 100}, now=NOW)
    assert manager.list_sessions("u", now=NOW) == []
    handle = manager.create_session("u", data={"x": 1}, now=NOW).session.handle
    with pytest.raises(InvalidArgumentError):
        manager.update_session_data(handle, "z" * 200, now=NOW)
    session = manager.get_session(handle, now=NOW)
    assert session is not None and session.data == {"x": 1}


def test_update_access_claims_and_regenerate(manager: SessionManager) -> None:
    issued = manager.create_session("u", access_claims={"role": "viewer"}, now=NOW)
    session = manager.update_access_claims(issued.session.handle, {"role": "editor", "n": 3}, now=NOW + 1)
    assert session.access_claims == {"role": "editor", "n": 3}
    # Old tokens keep their claims; a regenerated one carries the new ones.
    assert manager.verify(issued.access_token, now=NOW + 1)["role"] == "viewer"
    access = manager.regenerate_access_token(issued.session.handle, now=NOW + 2)
    assert isinstance(access, AccessToken)
    assert access.expires_at == T0 + 2 + 900
    assert access.token_id != issued.access.token_id
    claims = manager.verify(access.token, now=NOW + 2)
    assert claims.claims == {"role": "editor", "n": 3}
    assert claims.session_handle == issued.session.handle
    assert claims.token_id == access.token_id
    # No rotation happened: the original refresh token is still the current one.
    refreshed = manager.refresh(issued.refresh_token, now=NOW + 3)
    assert manager.verify(refreshed.access_token, now=NOW + 3)["n"] == 3
    with pytest.raises(UnauthorisedError) as info:
        manager.regenerate_access_token("unknown", now=NOW)
    assert info.value.reason == "SessionRevoked"


@pytest.mark.parametrize("name", RESERVED)
def test_reserved_claims_are_refused(manager: SessionManager, name: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        manager.create_session("u", access_claims={name: "x"}, now=NOW)
    error = info.value
    assert isinstance(error, ValueError) and isinstance(error, SessionwardError)
    assert (error.code, error.status_code) == ("invalid_argument", 400)
    assert f"`{name}`" in str(error)
    assert manager.list_sessions("u", now=NOW) == []
    handle = manager.create_session("u", access_claims={"ok": 1}, now=NOW).session.handle
    with pytest.raises(InvalidArgumentError):
        manager.update_access_claims(handle, {name: "x"}, now=NOW)
    session = manager.get_session(handle, now=NOW)
    assert session is not None and session.access_claims == {"ok": 1}


def test_oversized_access_token_is_refused_before_storing() -> None:
    manager = make_manager(max_access_token_bytes=400)
    with pytest.raises(InvalidArgumentError) as info:
        manager.create_session("u", access_claims={"blob": "x" * 400}, now=NOW)
    assert "budget" in str(info.value)
    assert manager.list_sessions("u", now=NOW) == []
    handle = manager.create_session("u", now=NOW).session.handle
    with pytest.raises(InvalidArgumentError):
        manager.update_access_claims(handle, {"blob": "x" * 400}, now=NOW)
    session = manager.get_session(handle, now=NOW)
    assert session is not None and session.access_claims == {}


@pytest.mark.parametrize("user_id", ["", "x" * 256])
def test_bad_user_id_is_refused(manager: SessionManager, user_id: str) -> None:
    with pytest.raises(InvalidArgumentError):
        manager.create_session(user_id, now=NOW)


def test_metadata_too_long_is_refused(manager: SessionManager) -> None:
    with pytest.raises(InvalidArgumentError):
        manager.create_session("u", user_agent="x" * 513, now=NOW)
    manager.create_session("u", user_agent="x" * 512, now=NOW)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"access_claims": ["not", "a", "dict"]},
        {"access_claims": {1: "non-str key"}},
        {"access_claims": "role=admin"},
        {"data": object()},
        {"data": b"bytes are not JSON"},
        {"data": {"n": 2**70}},
        {"user_agent": 5},
        {"now": "soon"},
    ],
)
def test_bad_types_raise_type_error(manager: SessionManager, kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("now", NOW)
    with pytest.raises(TypeError):
        manager.create_session("u", **kwargs)


def test_other_bad_types(manager: SessionManager) -> None:
    issued = manager.create_session("u", now=NOW)
    with pytest.raises(TypeError):
        manager.create_session(42, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.verify(b"token", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.update_access_claims(issued.session.handle, ["x"], now=NOW)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        manager.refresh(issued.refresh_token, NOW)  # type: ignore[misc]  # now is keyword-only
    with pytest.raises(TypeError):
        make_manager(store="sessions.db")
    with pytest.raises(TypeError):
        SessionManager(ISSUER, AUDIENCE)  # type: ignore[call-arg, arg-type]  # keyword-only
    with pytest.raises(ValueError):
        manager.verify(issued.access_token, now=float("nan"))
    with pytest.raises(ValueError):
        manager.verify(issued.access_token, now=float("inf"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algorithm": "none"},
        {"algorithm": "HS512"},
        {"access_ttl": 0},
        {"access_ttl": 20 * DAY},
        {"grace_period": -1},
        {"grace_period": 14 * DAY},
        {"leeway": -1},
        {"max_sessions_per_user": 0},
        {"rotate_keys_every": 600},
        {"publish_keys_ahead": 10, "key_sync_interval": 60},
    ],
)
def test_bad_configuration(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as info:
        make_manager(**kwargs)
    assert (info.value.code, info.value.status_code) == ("bad_configuration", 500)
    assert isinstance(info.value, ValueError)


def test_empty_issuer_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        SessionManager(issuer="", audience=AUDIENCE, store=MemoryStore())


def test_properties(manager: SessionManager) -> None:
    assert (manager.issuer, manager.audience, manager.access_ttl) == (ISSUER, AUDIENCE, 900)
    assert make_manager(access_ttl=60).access_ttl == 60
    assert isinstance(manager, sessionward._native.SessionManager)


# ----- keys -----


@pytest.mark.parametrize(
    ("algorithm", "members"),
    [
        ("EdDSA", {"kty": "OKP", "crv": "Ed25519"}),
        ("ES256", {"kty": "EC", "crv": "P-256"}),
        ("RS256", {"kty": "RSA", "e": "AQAB"}),
    ],
)
def test_jwks(algorithm: str, members: dict[str, str]) -> None:
    manager = make_manager(algorithm=algorithm)
    jwks = manager.jwks()
    assert list(jwks) == ["keys"] and len(jwks["keys"]) == 1
    jwk = jwks["keys"][0]
    assert {k: jwk[k] for k in members} == members
    assert (jwk["alg"], jwk["use"]) == (algorithm, "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(jwk)
    header = b64json(manager.create_session("u", now=NOW).access_token.split(".")[0])
    assert header == {"alg": algorithm, "kid": jwk["kid"], "typ": "at+jwt"}


def test_hs256_keys_are_never_published() -> None:
    manager = make_manager(algorithm="HS256")
    assert manager.jwks() == {"keys": []}
    token = manager.create_session("u", now=NOW).access_token
    assert b64json(token.split(".")[0])["alg"] == "HS256"
    assert manager.verify(token, now=NOW).user_id == "u"


def test_rotate_keys(manager: SessionManager) -> None:
    old_kid = manager.jwks()["keys"][0]["kid"]
    issued = manager.create_session("u", now=NOW)
    new_kid = manager.rotate_keys(now=NOW + 100)
    assert new_kid != old_kid
    assert [k["kid"] for k in manager.jwks()["keys"]] == [old_kid, new_kid]  # published before it signs
    # The old key signs until publish_keys_ahead (600 s) has passed.
    before = manager.regenerate_access_token(issued.session.handle, now=NOW + 699)
    assert manager.verify(before.token, now=NOW + 699).kid == old_kid
    after = manager.refresh(issued.refresh_token, now=NOW + 700)
    assert manager.verify(after.access_token, now=NOW + 700).kid == new_kid
    # Tokens of the old key keep verifying until they expire.
    assert manager.verify(before.token, now=NOW + 1000).kid == old_kid
    # Once every old token has expired, purge drops the old key.
    manager.purge_expired(now=NOW + 700 + 900 + 30)
    assert [k["kid"] for k in manager.jwks()["keys"]] == [new_kid]


def test_revoke_key(manager: SessionManager) -> None:
    issued = manager.create_session("u", now=NOW)
    kid = manager.verify(issued.access_token, now=NOW).kid
    assert manager.revoke_key("unknown", now=NOW + 1) is False
    assert manager.revoke_key(kid, now=NOW + 1) is True
    assert kid not in [k["kid"] for k in manager.jwks()["keys"]]
    # Genuine tokens of a revoked key ask the client to refresh; refresh signs with a new key at once.
    with pytest.raises(TryRefreshError):
        manager.verify(issued.access_token, now=NOW + 2)
    refreshed = manager.refresh(issued.refresh_token, now=NOW + 2)
    new_kid = manager.verify(refreshed.access_token, now=NOW + 2).kid
    assert new_kid != kid
    assert [k["kid"] for k in manager.jwks()["keys"]] == [new_kid]


def test_sync_keys_picks_up_another_instance_rotation(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    a = make_manager(store=SqliteStore(path))
    b = make_manager(store=SqliteStore(path))
    assert a.jwks() == b.jwks()
    new_kid = a.rotate_keys(now=NOW + 10)
    assert new_kid not in [k["kid"] for k in b.jwks()["keys"]]
    b.sync_keys()
    assert [k["kid"] for k in b.jwks()["keys"]] == [k["kid"] for k in a.jwks()["keys"]]


# ----- errors -----


def test_exception_table() -> None:
    table = {
        TryRefreshError: ("try_refresh", 401),
        UnauthorisedError: ("unauthorised", 401),
        TokenTheftError: ("token_theft", 401),
        InvalidClaimError: ("invalid_claim", 403),
        InvalidArgumentError: ("invalid_argument", 400),
        ConfigurationError: ("bad_configuration", 500),
        StoreUnavailableError: ("store_unavailable", 503),
    }
    assert [code for code, _ in table.values()] == ERROR_CODES
    for cls, (code, status) in table.items():
        assert issubclass(cls, SessionwardError)
        assert (cls.code, cls.status_code) == (code, status)
    assert issubclass(InvalidArgumentError, ValueError) and issubclass(ConfigurationError, ValueError)
    assert not issubclass(UnauthorisedError, ValueError)
    error = TokenTheftError("theft in session handle of user", "handle", "user")
    assert error.to_dict() == {"error": "token_theft", "message": TokenTheftError.public_message}
    assert "handle" not in error.to_dict()["message"] and "user" not in error.to_dict()["message"]
    assert sessionward.errors.TokenTheftError is TokenTheftError


def test_unauthorised_error_to_dict_hides_reason(manager: SessionManager) -> None:
    with pytest.raises(UnauthorisedError) as info:
        manager.verify("x.y.z", now=NOW)
    assert info.value.reason == "Malformed"
    assert "malformed" in str(info.value), "the log message names the failed check"
    assert info.value.to_dict() == {"error": "unauthorised", "message": UnauthorisedError.public_message}
    assert "malformed" not in info.value.to_dict()["message"].lower(), "the client body does not"


def test_store_unavailable_on_unwritable_path(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError) as info:
        SqliteStore(tmp_path / "missing-dir" / "db.sqlite3")
    assert (info.value.code, info.value.status_code) == ("store_unavailable", 503)
    not_a_db = tmp_path / "garbage.sqlite3"
    not_a_db.write_bytes(b"this is not a SQLite database" * 100)
    with pytest.raises(StoreUnavailableError):
        SqliteStore(not_a_db)


# ----- clock -----


def test_time_time_is_the_default_clock(manager: SessionManager, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW + 5.75)
    issued = manager.create_session("u")
    assert issued.session.created_at == T0 + 5  # floored
    assert manager.verify(issued.access_token).issued_at == T0 + 5
    monkeypatch.setattr(time, "time", lambda: NOW + 5 + 930)
    with pytest.raises(TryRefreshError):
        manager.verify(issued.access_token)
    refreshed = manager.refresh(issued.refresh_token)
    assert refreshed.session.refreshed_at == T0 + 935
    assert [s.handle for s in manager.list_sessions("u")] == [issued.session.handle]
    monkeypatch.setattr(time, "time", lambda: NOW + 15 * DAY + 935)
    assert manager.get_session(issued.session.handle) is None
    assert manager.purge_expired() == 1


def test_default_store_is_sqlite_file_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with mock.patch("time.time", return_value=NOW):
        manager = SessionManager(issuer=ISSUER, audience=AUDIENCE)
    manager.create_session("u", now=NOW)
    assert (tmp_path / "sessionward.sqlite3").is_file()


# ----- SQLite persistence across "processes" -----


def test_sqlite_store_persists_across_managers(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    store = SqliteStore(path)
    assert store.path == str(path)
    assert repr(store) == f"SqliteStore({str(path)!r})".replace("'", '"')
    app1 = make_manager(store=store)
    issued = app1.create_session("u", access_claims={"role": "r"}, data={"d": 1}, device="phone", now=NOW)
    # A second app process on the same file: same shared keys, same sessions.
    app2 = make_manager(store=SqliteStore(str(path)))
    assert app2.jwks() == app1.jwks()
    assert app2.verify(issued.access_token, now=NOW + 1).claims == {"role": "r"}
    session = app2.get_session(issued.session.handle, now=NOW + 1)
    assert session is not None and session == issued.session
    refreshed = app2.refresh(issued.refresh_token, now=NOW + 10)
    assert app1.verify(refreshed.access_token, now=NOW + 10).session_handle == issued.session.handle
    # The grace retry is answered identically by the other process.
    assert app1.refresh(issued.refresh_token, now=NOW + 20).refresh_token == refreshed.refresh_token
    app1.update_session_data(issued.session.handle, {"d": 2}, now=NOW + 30)
    updated = app2.get_session(issued.session.handle, now=NOW + 30)
    assert updated is not None and updated.data == {"d": 2}
    # Theft detected in one process revokes the session for both.
    app1.refresh(refreshed.refresh_token, now=NOW + 40)
    with pytest.raises(TokenTheftError):
        app2.refresh(issued.refresh_token, now=NOW + 200)
    assert app1.get_session(issued.session.handle, now=NOW + 201) is None
    # A manager opened after everything happened still sees the keys.
    app3 = make_manager(store=SqliteStore(path))
    assert app3.jwks() == app1.jwks()


def test_sqlite_in_memory_is_private() -> None:
    a = make_manager(store=SqliteStore(":memory:"))
    b = make_manager(store=SqliteStore(":memory:"))
    issued = a.create_session("u", now=NOW)
    assert b.get_session(issued.session.handle, now=NOW) is None
    assert a.jwks() != b.jwks()


# ----- async twins -----


def test_async_twins() -> None:
    manager = make_manager()

    async def scenario() -> None:
        issued = await manager.acreate_session("u", access_claims={"role": "r"}, data={"x": 1}, now=NOW)
        assert isinstance(issued, IssuedTokens)
        claims, session = await manager.averify_with_store(issued.access_token, now=NOW)
        assert claims.user_id == "u" and session.handle == issued.session.handle
        refreshed = await manager.arefresh(issued.refresh_token, now=NOW + 10)
        assert refreshed.session.refreshed_at == T0 + 10
        listed = await manager.alist_sessions("u", now=NOW + 10)
        assert [s.handle for s in listed] == [issued.session.handle]
        got = await manager.aget_session(issued.session.handle, now=NOW + 10)
        assert got is not None and got.handle == issued.session.handle
        assert (await manager.aupdate_session_data(issued.session.handle, {"x": 2}, now=NOW + 11)).data == {"x": 2}
        updated = await manager.aupdate_access_claims(issued.session.handle, {"role": "s"}, now=NOW + 12)
        assert updated.access_claims == {"role": "s"}
        access = await manager.aregenerate_access_token(issued.session.handle, now=NOW + 13)
        assert manager.verify(access.token, now=NOW + 13)["role"] == "s"
        kid = await manager.arotate_keys(now=NOW + 14)
        assert kid in [k["kid"] for k in manager.jwks()["keys"]]
        assert await manager.arevoke_key("unknown", now=NOW + 15) is False
        await manager.async_keys()
        second = await manager.acreate_session("u", now=NOW + 16)
        third = await manager.acreate_session("u", now=NOW + 17)
        assert await manager.arevoke(second.session.handle) is True
        assert await manager.arevoke_by_refresh_token(third.refresh_token) is True
        assert await manager.arevoke_all("u", keep=issued.session.handle) == 0
        assert await manager.arevoke_all("u") == 1
        await manager.acreate_session("old", now=NOW)
        assert await manager.apurge_expired(now=NOW + 15 * DAY) == 1
        # Errors propagate unchanged.
        with pytest.raises(TokenTheftError):
            ok = await manager.acreate_session("v", now=NOW + 20)
            await manager.arefresh(ok.refresh_token, now=NOW + 21)
            await manager.arefresh(ok.refresh_token, now=NOW + 200)
        with pytest.raises(InvalidArgumentError):
            await manager.acreate_session("v", access_claims={"sub": "x"}, now=NOW)

    asyncio.run(scenario())


def test_async_twins_run_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ticker task keeps running while a batch of arefresh calls is in flight, in worker threads."""
    manager = make_manager()
    tokens = [manager.create_session(f"u{i}", now=NOW).refresh_token for i in range(8)]
    main_thread = threading.get_ident()
    clock_threads: list[int] = []

    def slow_clock() -> float:  # called by the native code for the default `now`: simulates a slow store
        clock_threads.append(threading.get_ident())
        time.sleep(0.05)
        return NOW + 10

    async def scenario() -> tuple[int, int, list[IssuedTokens]]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        monkeypatch.setattr(time, "time", slow_clock)
        try:
            results = await asyncio.wait_for(asyncio.gather(*(manager.arefresh(t) for t in tokens)), timeout=30)
        finally:
            monkeypatch.undo()
        during = ticks - before
        stop.set()
        await task
        return before, during, results

    _, during, results = asyncio.run(scenario())
    assert len(clock_threads) == len(tokens)
    assert main_thread not in clock_threads
    assert during >= 5, f"the event loop was blocked: the ticker advanced only {during} times"
    assert [r.session.refreshed_at for r in results] == [T0 + 10] * len(tokens)
    assert len({r.refresh_token for r in results}) == len(tokens)
