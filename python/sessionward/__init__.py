"""sessionward: JWT sessions done right.

Short-lived access tokens verified offline, refresh tokens rotated on every use with theft detection, key
rotation with a public JWKS, and safe cookie transport — one Rust core shared with the Node package.

Every store-touching method exists in two forms: ``manager.refresh(...)`` blocks (with the GIL released) and
``await manager.arefresh(...)`` runs the same call in a worker thread so the event loop never blocks. The
``a`` prefix is Django's convention for async twins. Verification is always synchronous: it touches no store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Optional

from . import errors
from ._native import (
    ERROR_CODES,
    AccessClaims,
    AccessToken,
    HttpSessions,
    IssuedTokens,
    Key,
    MemoryStore,
    PostgresStore,
    RedisClusterStore,
    RedisStore,
    Session,
    SqliteStore,
    __version__,
)
from ._native import SessionManager as _NativeSessionManager
from .errors import (
    ConfigurationError,
    InvalidArgumentError,
    InvalidClaimError,
    SessionwardError,
    StoreUnavailableError,
    TokenTheftError,
    TryRefreshError,
    UnauthorisedError,
)

__all__ = [
    "ERROR_CODES",
    "AccessClaims",
    "AccessToken",
    "ConfigurationError",
    "HttpSessions",
    "InvalidArgumentError",
    "InvalidClaimError",
    "IssuedTokens",
    "Key",
    "MemoryStore",
    "PostgresStore",
    "RedisClusterStore",
    "RedisStore",
    "Session",
    "SessionManager",
    "SessionwardError",
    "SqliteStore",
    "StoreUnavailableError",
    "TheftEvent",
    "TokenTheftError",
    "TryRefreshError",
    "UnauthorisedError",
    "__version__",
    "errors",
]


@dataclass(frozen=True)
class TheftEvent:
    """A replayed refresh token revoked a session; passed to the ``on_theft`` callback."""

    session_handle: str
    user_id: str
    detected_at: int


class SessionManager(_NativeSessionManager):
    """Creates, verifies, refreshes and revokes sessions. Share one instance per process.

    Keyword arguments: ``issuer`` and ``audience`` (required); ``store`` (a :class:`SqliteStore`,
    :class:`PostgresStore`, :class:`RedisStore`, :class:`RedisClusterStore` or :class:`MemoryStore`; default
    ``SqliteStore("sessionward.sqlite3")``); ``algorithm`` for generated keys
    (``"EdDSA"``); ``keys`` (imported :class:`Key` objects instead of generated, shared ones); lifetimes in
    seconds: ``access_ttl`` (900), ``idle_timeout`` (14 days), ``absolute_lifetime`` (30 days),
    ``grace_period`` (60), ``leeway`` (30); ``front_token_claims`` (claims browser code may read);
    ``max_sessions_per_user``; ``on_theft`` (called with a :class:`TheftEvent`); ``now`` (the time the first
    generated key signs from; default ``time.time()``).
    """

    def __new__(cls, *, on_theft: Optional[Callable[[TheftEvent], Any]] = None, **kwargs: Any) -> "SessionManager":
        hook = None
        if on_theft is not None:
            callback = on_theft

            def hook(event: dict[str, Any]) -> None:
                callback(TheftEvent(**event))

        return super().__new__(cls, on_theft=hook, **kwargs)

    async def acreate_session(
        self,
        user_id: str,
        *,
        access_claims: Optional[dict[str, Any]] = None,
        data: Any = None,
        user_agent: Optional[str] = None,
        ip: Optional[str] = None,
        device: Optional[str] = None,
        now: Optional[float] = None,
    ) -> IssuedTokens:
        """Async :meth:`create_session`."""
        return await asyncio.to_thread(
            self.create_session,
            user_id,
            access_claims=access_claims,
            data=data,
            user_agent=user_agent,
            ip=ip,
            device=device,
            now=now,
        )

    async def arefresh(self, refresh_token: str, *, now: Optional[float] = None) -> IssuedTokens:
        """Async :meth:`refresh`."""
        return await asyncio.to_thread(self.refresh, refresh_token, now=now)

    async def averify_with_store(self, token: str, *, now: Optional[float] = None) -> tuple[AccessClaims, Session]:
        """Async :meth:`verify_with_store`."""
        return await asyncio.to_thread(self.verify_with_store, token, now=now)

    async def arevoke(self, session_handle: str) -> bool:
        """Async :meth:`revoke`."""
        return await asyncio.to_thread(self.revoke, session_handle)

    async def arevoke_by_refresh_token(self, refresh_token: str) -> bool:
        """Async :meth:`revoke_by_refresh_token`."""
        return await asyncio.to_thread(self.revoke_by_refresh_token, refresh_token)

    async def arevoke_all(self, user_id: str, *, keep: Optional[str] = None) -> int:
        """Async :meth:`revoke_all`."""
        return await asyncio.to_thread(self.revoke_all, user_id, keep=keep)

    async def alist_sessions(self, user_id: str, *, now: Optional[float] = None) -> list[Session]:
        """Async :meth:`list_sessions`."""
        return await asyncio.to_thread(self.list_sessions, user_id, now=now)

    async def aget_session(self, session_handle: str, *, now: Optional[float] = None) -> Optional[Session]:
        """Async :meth:`get_session`."""
        return await asyncio.to_thread(self.get_session, session_handle, now=now)

    async def aupdate_session_data(self, session_handle: str, data: Any, *, now: Optional[float] = None) -> Session:
        """Async :meth:`update_session_data`."""
        return await asyncio.to_thread(self.update_session_data, session_handle, data, now=now)

    async def aupdate_access_claims(
        self, session_handle: str, claims: dict[str, Any], *, now: Optional[float] = None
    ) -> Session:
        """Async :meth:`update_access_claims`."""
        return await asyncio.to_thread(self.update_access_claims, session_handle, claims, now=now)

    async def aregenerate_access_token(self, session_handle: str, *, now: Optional[float] = None) -> AccessToken:
        """Async :meth:`regenerate_access_token`."""
        return await asyncio.to_thread(self.regenerate_access_token, session_handle, now=now)

    async def apurge_expired(self, *, now: Optional[float] = None) -> int:
        """Async :meth:`purge_expired`."""
        return await asyncio.to_thread(self.purge_expired, now=now)

    async def arotate_keys(self, *, now: Optional[float] = None) -> str:
        """Async :meth:`rotate_keys`."""
        return await asyncio.to_thread(self.rotate_keys, now=now)

    async def arevoke_key(self, kid: str, *, now: Optional[float] = None) -> bool:
        """Async :meth:`revoke_key`."""
        return await asyncio.to_thread(self.revoke_key, kid, now=now)

    async def async_keys(self) -> None:
        """Async :meth:`sync_keys`."""
        await asyncio.to_thread(self.sync_keys)
