"""Type stubs of ``sessionward._native``, the PyO3 glue over the Rust core.

Applications import from :mod:`sessionward`, whose ``SessionManager`` subclasses the native one and adds the
``a``-prefixed async twins. Every ``now=`` is Unix time in seconds (floored); ``None`` reads ``time.time()``.
"""

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypedDict, final

from typing_extensions import NotRequired, Self, TypeAlias, disjoint_base

__all__ = [
    "SessionManager",
    "HttpSessions",
    "Key",
    "MemoryStore",
    "SqliteStore",
    "PostgresStore",
    "RedisClusterStore",
    "RedisStore",
    "AccessClaims",
    "Session",
    "AccessToken",
    "IssuedTokens",
    "ERROR_CODES",
    "UNAUTHORISED_REASONS",
    "__version__",
]

_Algorithm: TypeAlias = Literal["EdDSA", "ES256", "RS256", "HS256"]
_Mode: TypeAlias = Literal["cookie", "header", "both"]
_SameSite: TypeAlias = Literal["lax", "strict", "none"]
_Csrf: TypeAlias = Literal["double_submit", "custom_header", "none"]
_Jwk: TypeAlias = dict[str, str]

class _TokensDict(TypedDict):
    access_token: str
    access_expires_at: int
    refresh_token: str
    refresh_expires_at: int
    front_token: str
    session_handle: str

class _MetadataDict(TypedDict):
    user_agent: NotRequired[str]
    ip: NotRequired[str]
    device: NotRequired[str]

class _SessionDict(TypedDict):
    handle: str
    user_id: str
    created_at: int
    refreshed_at: int
    idle_expires_at: int
    absolute_expires_at: int
    access_claims: dict[str, Any]
    data: Any
    metadata: _MetadataDict

ERROR_CODES: list[str]
"""Every stable error code, in the order of the core's ``Error::CODES``."""
UNAUTHORISED_REASONS: list[str]
"""Every value of ``UnauthorisedError.reason`` (the core's ``UnauthorisedReason`` variant names)."""
__version__: str

@final
class Key:
    """A signing key pinned to one algorithm. A key from a public PEM or JWK only verifies."""

    @staticmethod
    def generate(algorithm: _Algorithm = "EdDSA") -> Key:
        """A fresh key from the OS random source, with a random ``kid``."""
    @staticmethod
    def from_pem(algorithm: _Algorithm, pem: str, kid: str | None = None) -> Key:
        """A key from PEM text: a private key signs and verifies, a public key only verifies."""
    @staticmethod
    def from_jwk(jwk: str | Mapping[str, Any]) -> Key:
        """A key from a JWK (JSON text or dict); it must carry ``alg``. RSA private JWKs are refused."""
    @staticmethod
    def from_secret(secret: bytes, kid: str | None = None) -> Key:
        """An HS256 key from a shared secret of at least 32 bytes."""
    @property
    def kid(self) -> str:
        """The key id."""
    @property
    def algorithm(self) -> _Algorithm:
        """The pinned algorithm."""
    @property
    def can_sign(self) -> bool:
        """Whether the private half is present."""
    def public_jwk(self) -> _Jwk | None:
        """The public JWK (with ``kid``, ``alg``, ``use``), or ``None`` for HS256 secrets."""

@final
class MemoryStore:
    """Sessions in this process's memory: for tests. Nothing survives a restart."""

    def __new__(cls) -> Self: ...

@final
class SqliteStore:
    """The embedded default: a SQLite file (WAL), safe for several processes on one machine."""

    def __new__(cls, path: str | os.PathLike[str]) -> Self:
        """Open (or create) the file at ``path``; ``":memory:"`` for a private in-memory database."""
    @property
    def path(self) -> str:
        """The file path."""

@final
class PostgresStore:
    """PostgreSQL, shared by every instance of an application. Creates and migrates its tables on open.

    Raises ``StoreUnavailableError`` if the database cannot be reached within ``connect_timeout`` (or refuses
    the login), and ``InvalidArgumentError`` for a bad URL, prefix or pool size. Connections do not use TLS.
    """

    def __new__(
        cls,
        url: str,
        *,
        pool_size: int = 8,
        connect_timeout: float = 5.0,
        statement_timeout: float = 5.0,
        table_prefix: str = "sessionward_",
    ) -> Self:
        """Connect to ``postgres://user[:password]@host[:port]/db``. ``pool_size``: most pooled connections;
        ``connect_timeout``: seconds to wait for a connection, new or pooled; ``statement_timeout``: seconds
        any statement may run; ``table_prefix``: lowercase letters, digits and ``_``, at most 32."""
    @staticmethod
    def migrations_sql(table_prefix: str = "sessionward_") -> list[str]:
        """The SQL that creates and migrates the tables, for teams that run their own migrations."""
    @property
    def table_prefix(self) -> str: ...
    @property
    def pool_size(self) -> int: ...

@final
class RedisStore:
    """Redis, shared by every instance of an application (a single server or a Sentinel primary; for Cluster see
    ``RedisClusterStore``).

    Raises ``StoreUnavailableError`` if the URL is invalid or the server cannot be reached within
    ``timeout``, and ``InvalidArgumentError`` for a bad pool size.
    """

    def __new__(cls, url: str, *, pool_size: int = 8, timeout: float = 5.0, key_prefix: str = "sw:") -> Self:
        """Connect to ``redis://[user:password@]host[:port][/db]``. ``pool_size``: most connections open at
        once; ``timeout``: seconds for connecting, each read and write, and waiting for a free connection;
        ``key_prefix``: the prefix of every key."""
    @property
    def key_prefix(self) -> str: ...
    @property
    def pool_size(self) -> int: ...

@final
class RedisClusterStore:
    """A Redis Cluster, shared by every instance of an application.

    Raises ``StoreUnavailableError`` if a node URL is invalid or the cluster cannot be reached within
    ``timeout``, ``InvalidArgumentError`` for no nodes or a bad pool size, and ``TypeError`` for one str
    instead of a sequence of them.
    """

    def __new__(
        cls, nodes: Sequence[str], *, pool_size: int = 8, timeout: float = 5.0, key_prefix: str = "sw:"
    ) -> Self:
        """Connect through some nodes of the cluster (``redis://[user:password@]host:port``; the others are
        found from them). ``pool_size``: most cluster connections open at once; ``timeout``: seconds for
        connecting, each response from a node, and waiting for a free connection; ``key_prefix``: the prefix
        of every key."""
    @property
    def key_prefix(self) -> str: ...
    @property
    def pool_size(self) -> int: ...

_Store: TypeAlias = MemoryStore | SqliteStore | PostgresStore | RedisStore | RedisClusterStore

@final
class AccessClaims:
    """The verified claims of an access token (returned by ``verify``; not constructed directly)."""

    @property
    def user_id(self) -> str:
        """``sub``."""
    @property
    def session_handle(self) -> str:
        """``sid``."""
    @property
    def token_id(self) -> str:
        """``jti`` (also the double-submit CSRF token)."""
    @property
    def issuer(self) -> str:
        """``iss``."""
    @property
    def audience(self) -> list[str]:
        """``aud``, as a list."""
    @property
    def issued_at(self) -> int:
        """``iat``."""
    @property
    def expires_at(self) -> int:
        """``exp``."""
    @property
    def kid(self) -> str:
        """The ``kid`` of the signing key."""
    @property
    def claims(self) -> dict[str, Any]:
        """The application's own claims, as a new dict."""
    def get(self, name: str, default: Any = None) -> Any:
        """One custom claim, or ``default``."""
    def __getitem__(self, name: str, /) -> Any:
        """One custom claim; ``KeyError`` if absent."""
    def __contains__(self, name: str, /) -> bool: ...
    def require_eq(self, name: str, value: Any) -> None:
        """Raise ``InvalidClaimError`` (403) unless custom claim ``name`` equals ``value``."""
    def require_contains(self, name: str, item: str) -> None:
        """Raise ``InvalidClaimError`` (403) unless claim ``name`` (list or space-separated) contains ``item``."""
    def to_dict(self) -> dict[str, Any]:
        """All claims, registered ones (``sub sid jti iss aud iat exp``) included."""

@final
class Session:
    """A session as the application sees it: no hashes, no tokens."""

    __hash__: ClassVar[None]  # type: ignore[assignment]
    @property
    def handle(self) -> str:
        """The session handle (``sid``)."""
    @property
    def user_id(self) -> str: ...
    @property
    def created_at(self) -> int: ...
    @property
    def refreshed_at(self) -> int:
        """Last refresh (creation time if never refreshed)."""
    @property
    def idle_expires_at(self) -> int:
        """Idle expiry (moves forward at each refresh)."""
    @property
    def absolute_expires_at(self) -> int:
        """Absolute expiry (never moves)."""
    @property
    def access_claims(self) -> dict[str, Any]:
        """The claims copied into every access token."""
    @property
    def data(self) -> Any:
        """Server-side session data (any JSON value)."""
    @property
    def user_agent(self) -> str | None: ...
    @property
    def ip(self) -> str | None: ...
    @property
    def device(self) -> str | None: ...
    def to_dict(self) -> _SessionDict:
        """Everything as a dict (metadata nested under ``"metadata"``)."""
    def __eq__(self, other: object, /) -> bool: ...

@final
class AccessToken:
    """A freshly minted access token."""

    @property
    def token(self) -> str:
        """The compact JWS (secret: send it only to its client)."""
    @property
    def expires_at(self) -> int:
        """Its ``exp``."""
    @property
    def token_id(self) -> str:
        """Its ``jti`` (also the double-submit CSRF token)."""
    @property
    def front_token(self) -> str:
        """The non-secret front token for browser code."""

@final
class IssuedTokens:
    """What sign-in and refresh hand to the client."""

    @property
    def access(self) -> AccessToken: ...
    @property
    def access_token(self) -> str:
        """Shortcut for ``access.token``."""
    @property
    def refresh_token(self) -> str:
        """The refresh token (``swr_...``; secret, stored only as a hash)."""
    @property
    def refresh_expires_at(self) -> int:
        """When the refresh token stops working if unused."""
    @property
    def session(self) -> Session: ...
    def to_dict(self) -> _TokensDict:
        """The body a header-mode client receives."""

@disjoint_base
class SessionManager:
    """Creates, verifies, refreshes and revokes sessions. Store calls and signatures release the GIL."""

    def __new__(
        cls,
        *,
        issuer: str,
        audience: str,
        store: _Store | None = None,
        algorithm: _Algorithm = "EdDSA",
        keys: Sequence[Key] | None = None,
        shared_keys: bool = True,
        rotate_keys_every: int | None = None,
        publish_keys_ahead: int = 600,
        key_sync_interval: int = 60,
        access_ttl: int = 900,
        idle_timeout: int = ...,  # 14 days
        absolute_lifetime: int = ...,  # 30 days
        grace_period: int = 60,
        leeway: int = 30,
        max_access_token_bytes: int = 3800,
        max_data_bytes: int = 65536,
        front_token_claims: Sequence[str] = ...,
        max_sessions_per_user: int | None = None,
        on_theft: Callable[[dict[str, Any]], object] | None = None,
        now: float | None = None,
    ) -> Self: ...
    def verify(self, token: str, *, now: float | None = None) -> AccessClaims:
        """Verify offline: ``TryRefreshError`` when expired, ``UnauthorisedError`` otherwise."""
    def verify_with_store(self, token: str, *, now: float | None = None) -> tuple[AccessClaims, Session]:
        """``verify``, then check that the session is still alive in the store."""
    def create_session(
        self,
        user_id: str,
        *,
        access_claims: Mapping[str, Any] | None = None,
        data: Any = None,
        user_agent: str | None = None,
        ip: str | None = None,
        device: str | None = None,
        now: float | None = None,
    ) -> IssuedTokens:
        """Sign a user in: a new session and its first tokens."""
    def refresh(self, refresh_token: str, *, now: float | None = None) -> IssuedTokens:
        """Rotate a refresh token. ``TokenTheftError`` on replay of a superseded one."""
    def revoke(self, session_handle: str) -> bool:
        """Revoke one session; whether it existed."""
    def revoke_by_refresh_token(self, refresh_token: str) -> bool:
        """Revoke the session of a refresh token; whether one was revoked."""
    def revoke_all(self, user_id: str, *, keep: str | None = None) -> int:
        """Revoke every session of a user except ``keep``; how many."""
    def list_sessions(self, user_id: str, *, now: float | None = None) -> list[Session]:
        """A user's live sessions, oldest first."""
    def get_session(self, session_handle: str, *, now: float | None = None) -> Session | None:
        """One live session, or ``None``."""
    def update_session_data(self, session_handle: str, data: Any, *, now: float | None = None) -> Session:
        """Replace a session's server-side data."""
    def update_access_claims(
        self, session_handle: str, claims: Mapping[str, Any], *, now: float | None = None
    ) -> Session:
        """Replace a session's access claims (in tokens minted from now on)."""
    def regenerate_access_token(self, session_handle: str, *, now: float | None = None) -> AccessToken:
        """A new access token from the session's current claims, without rotating the refresh token."""
    def purge_expired(self, *, now: float | None = None) -> int:
        """Delete expired sessions and drop retired keys; how many sessions."""
    def jwks(self) -> dict[str, list[_Jwk]]:
        """The public JWKS, ``{"keys": [...]}`` (never HS256 secrets)."""
    def rotate_keys(self, *, now: float | None = None) -> str:
        """Start a key rotation; the new ``kid``."""
    def revoke_key(self, kid: str, *, now: float | None = None) -> bool:
        """Revoke a signing key now; ``False`` for an unknown kid."""
    def sync_keys(self) -> None:
        """Reload a shared key ring from the store."""
    @property
    def issuer(self) -> str: ...
    @property
    def audience(self) -> str: ...
    @property
    def access_ttl(self) -> int:
        """Access token lifetime in seconds."""

@final
class HttpSessions:
    """Transport settings: mode, cookie names and attributes, CSRF protection."""

    def __new__(
        cls,
        *,
        mode: _Mode = "cookie",
        access_cookie: str = "sw_access",
        refresh_cookie: str = "sw_refresh",
        front_cookie: str = "sw_front",
        domain: str | None = None,
        secure: bool = True,
        same_site: _SameSite = "lax",
        access_path: str = "/",
        refresh_path: str = "/auth/refresh",
        host_prefix: bool = False,
        csrf: _Csrf = "double_submit",
        csrf_header: str = "x-csrf-token",
    ) -> Self: ...
    @property
    def mode(self) -> _Mode: ...
    @property
    def csrf_header(self) -> str | None:
        """The CSRF request header, or ``None`` when CSRF checks are off."""
    @property
    def refresh_path(self) -> str: ...
    @property
    def access_cookie(self) -> str:
        """The effective access cookie name (with ``__Host-`` under ``host_prefix``)."""
    @property
    def front_cookie(self) -> str:
        """The effective front cookie name."""
    @property
    def refresh_cookie(self) -> str:
        """The effective refresh cookie name (with ``__Secure-`` under ``host_prefix``)."""
    def authenticate(
        self,
        manager: SessionManager,
        *,
        method: str,
        cookie: str | None = None,
        authorization: str | None = None,
        csrf: str | None = None,
        now: float | None = None,
    ) -> AccessClaims:
        """Verify a request's access token (and CSRF for cookie-borne tokens on state-changing methods)."""
    def refresh(
        self,
        manager: SessionManager,
        *,
        method: str = "POST",
        cookie: str | None = None,
        authorization: str | None = None,
        csrf: str | None = None,
        body_token: str | None = None,
        now: float | None = None,
    ) -> IssuedTokens:
        """Handle a refresh request: the refresh cookie (CSRF-checked) or ``body_token``."""
    def logout(
        self,
        manager: SessionManager,
        *,
        method: str = "POST",
        cookie: str | None = None,
        authorization: str | None = None,
        csrf: str | None = None,
        body_token: str | None = None,
        now: float | None = None,
    ) -> bool:
        """Handle sign-out; whether a session was revoked. Always send ``clear_cookies()``."""
    def session_cookies(self, issued: IssuedTokens, *, now: float | None = None) -> list[str]:
        """``Set-Cookie`` values for sign-in or refresh (empty in header mode)."""
    def access_cookies(self, access: AccessToken, session_expires_at: int, *, now: float | None = None) -> list[str]:
        """``Set-Cookie`` values after ``regenerate_access_token`` (empty in header mode)."""
    def clear_cookies(self) -> list[str]:
        """``Set-Cookie`` values deleting the session cookies (empty in header mode)."""
