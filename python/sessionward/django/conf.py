"""Configuration of the Django integration, read from ``settings.SESSIONWARD`` (a dict).

One :class:`~sessionward.SessionManager` and one :class:`~sessionward.HttpSessions` are built lazily per
process, on first use, under a lock; they are rebuilt after a change of the ``SESSIONWARD`` setting (Django's
``setting_changed`` signal, sent by ``override_settings`` in tests).

Example::

    SESSIONWARD = {
        "ISSUER": "https://example.com",
        "AUDIENCE": "example-web",
        "STORE": BASE_DIR / "sessionward.sqlite3",  # or "memory" (tests only)
        "MODE": "cookie",                           # "cookie", "header" or "both"
        "COOKIE_SECURE": not DEBUG,
        "ACCESS_TTL": 900,
    }

Keys (all but ``ISSUER`` and ``AUDIENCE`` optional; an unset key takes the core's default):

Session manager
    ``ISSUER``, ``AUDIENCE``; ``STORE`` (path of a SQLite file, ``"memory"``, or a ``SqliteStore`` /
    ``MemoryStore`` object; default ``"sessionward.sqlite3"`` in the working directory); ``ALGORITHM``;
    ``KEYS`` (a list of :class:`~sessionward.Key`); ``SHARED_KEYS``; ``ROTATE_KEYS_EVERY``;
    ``PUBLISH_KEYS_AHEAD``; ``KEY_SYNC_INTERVAL``; ``ACCESS_TTL``; ``IDLE_TIMEOUT``; ``ABSOLUTE_LIFETIME``;
    ``GRACE_PERIOD``; ``LEEWAY``; ``MAX_ACCESS_TOKEN_BYTES``; ``MAX_DATA_BYTES``; ``FRONT_TOKEN_CLAIMS``;
    ``MAX_SESSIONS_PER_USER``; ``ON_THEFT`` (a callable taking a :class:`~sessionward.TheftEvent`, or its
    dotted path).
Transport
    ``MODE``; ``ACCESS_COOKIE``, ``REFRESH_COOKIE``, ``FRONT_COOKIE`` (names); ``COOKIE_DOMAIN``;
    ``COOKIE_SECURE``; ``SAME_SITE`` (``"lax"``, ``"strict"``, ``"none"``); ``ACCESS_PATH``; ``REFRESH_PATH``
    (where :func:`sessionward.django.views.refresh_view` is mounted; default ``"/auth/refresh"``);
    ``HOST_PREFIX``; ``CSRF`` (``"double_submit"``, ``"custom_header"``, ``"none"``); ``CSRF_HEADER``.
Django
    ``USER_LOADER``: a callable ``(claims) -> user or None`` (or its dotted path) the DRF authentication
    class uses to turn verified claims into a user; without it, DRF gets a :class:`SessionwardUser`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Optional, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .. import HttpSessions, MemoryStore, SessionManager, SessionwardError, SqliteStore
from .._web import Sessionward

__all__ = [
    "HTTP_SETTINGS",
    "MANAGER_SETTINGS",
    "get_http",
    "get_manager",
    "get_sessionward",
    "get_settings",
    "get_user_loader",
    "reset",
]

SETTING_NAME = "SESSIONWARD"

#: ``SESSIONWARD`` keys passed to :class:`~sessionward.SessionManager`, and the keyword each becomes.
MANAGER_SETTINGS: dict[str, str] = {
    "ISSUER": "issuer",
    "AUDIENCE": "audience",
    "STORE": "store",
    "ALGORITHM": "algorithm",
    "KEYS": "keys",
    "SHARED_KEYS": "shared_keys",
    "ROTATE_KEYS_EVERY": "rotate_keys_every",
    "PUBLISH_KEYS_AHEAD": "publish_keys_ahead",
    "KEY_SYNC_INTERVAL": "key_sync_interval",
    "ACCESS_TTL": "access_ttl",
    "IDLE_TIMEOUT": "idle_timeout",
    "ABSOLUTE_LIFETIME": "absolute_lifetime",
    "GRACE_PERIOD": "grace_period",
    "LEEWAY": "leeway",
    "MAX_ACCESS_TOKEN_BYTES": "max_access_token_bytes",
    "MAX_DATA_BYTES": "max_data_bytes",
    "FRONT_TOKEN_CLAIMS": "front_token_claims",
    "MAX_SESSIONS_PER_USER": "max_sessions_per_user",
    "ON_THEFT": "on_theft",
}

#: ``SESSIONWARD`` keys passed to :class:`~sessionward.HttpSessions`, and the keyword each becomes.
HTTP_SETTINGS: dict[str, str] = {
    "MODE": "mode",
    "ACCESS_COOKIE": "access_cookie",
    "REFRESH_COOKIE": "refresh_cookie",
    "FRONT_COOKIE": "front_cookie",
    "COOKIE_DOMAIN": "domain",
    "COOKIE_SECURE": "secure",
    "SAME_SITE": "same_site",
    "ACCESS_PATH": "access_path",
    "REFRESH_PATH": "refresh_path",
    "HOST_PREFIX": "host_prefix",
    "CSRF": "csrf",
    "CSRF_HEADER": "csrf_header",
}

DJANGO_SETTINGS: frozenset[str] = frozenset({"USER_LOADER"})
REQUIRED_SETTINGS: tuple[str, ...] = ("ISSUER", "AUDIENCE")
DEFAULT_STORE = "sessionward.sqlite3"

_lock = threading.Lock()
_manager: Optional[SessionManager] = None
_http: Optional[HttpSessions] = None
_sessionward: Optional[Sessionward] = None


def get_settings() -> dict[str, Any]:
    """A copy of ``settings.SESSIONWARD``, checked: it must be a dict of known keys with ``ISSUER`` and
    ``AUDIENCE``. Raises :class:`~django.core.exceptions.ImproperlyConfigured` otherwise."""
    raw = getattr(settings, SETTING_NAME, None)
    if raw is None:
        raise ImproperlyConfigured(f"settings.{SETTING_NAME} is not set: give at least ISSUER and AUDIENCE")
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(f"settings.{SETTING_NAME} must be a dict, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(MANAGER_SETTINGS) - set(HTTP_SETTINGS) - DJANGO_SETTINGS)
    if unknown:
        raise ImproperlyConfigured(f"settings.{SETTING_NAME} has unknown keys: {', '.join(map(str, unknown))}")
    missing = [name for name in REQUIRED_SETTINGS if not raw.get(name)]
    if missing:
        raise ImproperlyConfigured(f"settings.{SETTING_NAME} must set {' and '.join(missing)}")
    return dict(raw)


def _store(value: Any) -> Any:
    if isinstance(value, (SqliteStore, MemoryStore)):
        return value
    if value == "memory":
        return MemoryStore()
    if isinstance(value, (str, Path)) and str(value):
        return SqliteStore(value)
    raise ImproperlyConfigured(
        f'settings.{SETTING_NAME}["STORE"] must be a SQLite file path, "memory", or a store object; got {value!r}'
    )


def _callable(name: str, value: Any) -> Callable[..., Any]:
    if isinstance(value, str):
        try:
            value = import_string(value)
        except ImportError as err:
            raise ImproperlyConfigured(f'settings.{SETTING_NAME}["{name}"]: cannot import {value!r}: {err}') from err
    if not callable(value):
        raise ImproperlyConfigured(f'settings.{SETTING_NAME}["{name}"] must be a callable or its dotted path')
    return cast(Callable[..., Any], value)


def _build_http(config: dict[str, Any]) -> HttpSessions:
    kwargs = {HTTP_SETTINGS[key]: value for key, value in config.items() if key in HTTP_SETTINGS}
    try:
        return HttpSessions(**kwargs)
    except (SessionwardError, ValueError, TypeError) as err:
        raise ImproperlyConfigured(f"settings.{SETTING_NAME}: {err}") from err


def _build_manager(config: dict[str, Any]) -> SessionManager:
    kwargs = {MANAGER_SETTINGS[key]: value for key, value in config.items() if key in MANAGER_SETTINGS}
    kwargs["store"] = _store(config.get("STORE", DEFAULT_STORE))
    if kwargs.get("on_theft") is not None:
        kwargs["on_theft"] = _callable("ON_THEFT", kwargs["on_theft"])
    try:
        return SessionManager(**kwargs)
    except (SessionwardError, ValueError, TypeError) as err:
        # ConfigurationError and InvalidArgumentError are ValueErrors; TypeError covers a wrong value type.
        # StoreUnavailableError (the SQLite file cannot be opened) is a SessionwardError too.
        raise ImproperlyConfigured(f"settings.{SETTING_NAME}: {err}") from err


def get_manager() -> SessionManager:
    """The process's :class:`~sessionward.SessionManager`, built from ``settings.SESSIONWARD`` on first call.

    Thread-safe: concurrent first calls build it once. The first call opens the store and may create the
    signing keys, so it blocks briefly; later calls return the same object.
    """
    global _manager
    manager = _manager
    if manager is None:
        with _lock:
            if _manager is None:
                _manager = _build_manager(get_settings())
            manager = _manager
    return manager


def get_http() -> HttpSessions:
    """The process's :class:`~sessionward.HttpSessions` (transport settings), built on first call."""
    global _http
    http = _http
    if http is None:
        with _lock:
            if _http is None:
                _http = _build_http(get_settings())
            http = _http
    return http


def get_sessionward() -> Sessionward:
    """The process's :class:`sessionward._web.Sessionward`: the manager and transport settings with the
    request/response glue shared by every integration (error responses, response bodies)."""
    global _sessionward
    glue = _sessionward
    if glue is None:
        manager, http = get_manager(), get_http()
        with _lock:
            if _sessionward is None:
                _sessionward = Sessionward(manager, http)
            glue = _sessionward
    return glue


def get_user_loader() -> Optional[Callable[[Any], Any]]:
    """The ``USER_LOADER`` callable, or ``None`` when not configured."""
    value = get_settings().get("USER_LOADER")
    return None if value is None else _callable("USER_LOADER", value)


def reset() -> None:
    """Forget the built manager and transport settings: the next call rebuilds them from the settings."""
    global _manager, _http, _sessionward
    with _lock:
        _manager = None
        _http = None
        _sessionward = None


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTING_NAME:
        reset()

