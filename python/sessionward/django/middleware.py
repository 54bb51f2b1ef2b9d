"""``SessionwardMiddleware``: verify the request's access token and attach the result to the request.

Add it to ``MIDDLEWARE`` (anywhere; it depends on no other middleware)::

    MIDDLEWARE = [
        ...,
        "sessionward.django.middleware.SessionwardMiddleware",
    ]

Every request then carries:

- ``request.sessionward``: the verified :class:`~sessionward.AccessClaims`, or ``None``;
- ``request.sessionward_error``: ``None`` when a valid token was presented, otherwise the
  :class:`~sessionward.SessionwardError` a protected view answers with — an ``UnauthorisedError`` with
  ``reason == "Missing"`` when the request carried no token, ``TryRefreshError`` when the access token
  expired (the client should call the refresh route), another ``UnauthorisedError`` for a bad token or a
  failed CSRF check.

The middleware never answers by itself: anonymous pages keep working, and ``@session_required``,
``SessionRequiredMixin`` and the DRF class turn ``sessionward_error`` into a 401. The check is offline (a
signature and the claims; no store access), so it is cheap enough to run on every request.

CSRF: a token read from the access *cookie* on a state-changing method (anything but GET, HEAD, OPTIONS,
TRACE) is only accepted with the CSRF header (``X-CSRF-Token`` by default) equal to the ``csrf`` member of
the front cookie; otherwise ``request.sessionward`` is ``None`` and the error is ``unauthorised``. This is
sessionward's own CSRF protection; Django's ``CsrfViewMiddleware`` protects Django's session cookie and is
skipped by the views of this package (they are ``csrf_exempt``).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional, Union

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from .. import AccessClaims, SessionwardError
from . import conf
from ._http import credentials, error_response

__all__ = ["SessionwardMiddleware", "authenticate_request"]

_CHECKED = "_sessionward_checked"


def authenticate_request(request: HttpRequest) -> Optional[AccessClaims]:
    """Verify the request's access token once and set ``request.sessionward`` and
    ``request.sessionward_error`` (see the module documentation); returns ``request.sessionward``.

    The middleware calls it for every request; the decorators, the mixin and the DRF class call it too, so
    they work without the middleware. Later calls on the same request return the first result.
    """
    if getattr(request, _CHECKED, False):
        return request.sessionward  # type: ignore[attr-defined, no-any-return]
    sessionward = conf.get_sessionward()
    claims: Optional[AccessClaims] = None
    error: Optional[SessionwardError] = None
    try:
        claims = sessionward.authenticate(credentials(sessionward, request))
    except SessionwardError as err:
        error = err
    request.sessionward = claims  # type: ignore[attr-defined]
    request.sessionward_error = error  # type: ignore[attr-defined]
    setattr(request, _CHECKED, True)
    return claims


_GetResponse = Callable[[HttpRequest], Union[HttpResponseBase, Awaitable[HttpResponseBase]]]


class SessionwardMiddleware:
    """Attach ``request.sessionward`` (verified claims or ``None``) and ``request.sessionward_error``.

    Works in both sync (WSGI) and async (ASGI) middleware chains without a thread switch: verification
    touches no store, except a rate-limited reload of a shared key ring when a token names an unknown key.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: _GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        authenticate_request(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        """The async path: same work, then awaits the next handler."""
        authenticate_request(request)
        return await self.get_response(request)  # type: ignore[no-any-return, misc]

    def process_exception(self, request: HttpRequest, exception: Exception) -> Optional[HttpResponseBase]:
        """Answer a sessionward error raised by any view with the same status and body as everywhere else
        (instead of Django's 500)."""
        if isinstance(exception, SessionwardError):
            return error_response(conf.get_sessionward(), exception)
        return None
