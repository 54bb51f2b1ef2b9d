"""Django request/response plumbing over :mod:`sessionward._web`, the glue every integration shares.

- :func:`credentials` reads a Django request's raw header values;
- :func:`error_response` answers a sessionward error exactly as the other integrations do (status, public
  JSON body ``{"error": code, "message": ...}``, ``Cache-Control: no-store``, ``WWW-Authenticate`` for
  bearer clients, cookie deletion when the session is dead);
- :func:`apply_set_cookies` moves the core's ``Set-Cookie`` strings onto a Django response, attribute for
  attribute;
- :func:`body_token` reads a bearer client's ``{"refresh_token": ...}`` body.
"""

from __future__ import annotations

from http.cookies import Morsel
from typing import Iterable, Optional

from django.http import HttpRequest, HttpResponseBase, JsonResponse

from .._web import MAX_REFRESH_BODY_BYTES, RequestCredentials, Sessionward, parse_refresh_body
from ..errors import InvalidArgumentError, SessionwardError

__all__ = [
    "apply_headers",
    "apply_set_cookies",
    "body_token",
    "credentials",
    "error_response",
    "meta_key",
    "parse_set_cookie",
]


def meta_key(header: str) -> str:
    """The ``request.META`` key of an HTTP header: ``x-csrf-token`` -> ``HTTP_X_CSRF_TOKEN``."""
    return "HTTP_" + header.upper().replace("-", "_")


def credentials(sessionward: Sessionward, request: HttpRequest) -> RequestCredentials:
    """The method, ``Cookie``, ``Authorization`` and CSRF header (the one ``HttpSessions.csrf_header`` names)
    of a Django request, as received. A missing method is passed as ``""``, which the core treats as
    state-changing (so it gets the CSRF check)."""
    meta = request.META
    return sessionward.read_credentials(request.method or "", lambda name: meta.get(meta_key(name)))


def parse_set_cookie(header: str) -> Morsel[str]:
    """A :class:`~http.cookies.Morsel` with exactly the name, value and attributes of a ``Set-Cookie`` value
    built by the core.

    The value is kept as sent (no quoting: the core emits only RFC 6265 cookie-octets). An attribute this
    function does not know raises :class:`ValueError` rather than being dropped silently.
    """
    pair, *attributes = header.split(";")
    name, sep, value = pair.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise ValueError("not a Set-Cookie value: it lacks name=value")
    morsel: Morsel[str] = Morsel()
    morsel.set(name, value, value)
    for attribute in attributes:
        key, has_value, attr_value = attribute.strip().partition("=")
        lower = key.lower()
        if lower in ("secure", "httponly") and not has_value:
            morsel[lower] = True
        elif lower in ("max-age", "expires", "path", "domain", "samesite") and has_value:
            morsel[lower] = attr_value
        else:
            raise ValueError(f"unsupported Set-Cookie attribute {key!r} on cookie {name!r}")
    return morsel


def apply_set_cookies(response: HttpResponseBase, headers: Iterable[str]) -> None:
    """Add the core's ``Set-Cookie`` values to ``response``.

    Django sends cookies only from ``response.cookies`` (one header per cookie name; ``response.headers``
    cannot repeat ``Set-Cookie``), so each value becomes a morsel with the same name, value and attributes.
    Django writes the attributes in its own order (``expires`` in lower case); browsers ignore both.
    """
    for header in headers:
        morsel = parse_set_cookie(header)
        response.cookies[morsel.key] = morsel


def apply_headers(response: HttpResponseBase, headers: Iterable[tuple[str, str]]) -> None:
    """Add ``(name, value)`` headers from :mod:`sessionward._web` to ``response`` (``Set-Cookie`` included)."""
    for name, value in headers:
        if name.lower() == "set-cookie":
            apply_set_cookies(response, [value])
        else:
            response[name] = value


def error_response(sessionward: Sessionward, err: SessionwardError) -> JsonResponse:
    """The JSON response to ``err``: see :meth:`sessionward._web.Sessionward.error_response`."""
    status, body, headers = sessionward.error_response(err)
    response = JsonResponse(body, status=status)
    apply_headers(response, headers)
    return response


def body_token(sessionward: Sessionward, request: HttpRequest) -> Optional[str]:
    """The ``refresh_token`` of a bearer client's JSON body (header and both modes); ``None`` in cookie mode,
    whose requests' bodies are never read. A body over :data:`~sessionward._web.MAX_REFRESH_BODY_BYTES`, not
    a JSON object, or with a non-string member raises :class:`~sessionward.InvalidArgumentError` (400)."""
    if not sessionward.returns_tokens:
        return None
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > MAX_REFRESH_BODY_BYTES:
        raise InvalidArgumentError(f"the request body is larger than {MAX_REFRESH_BODY_BYTES} bytes")
    return parse_refresh_body(request.body, request.META.get("CONTENT_TYPE"))
