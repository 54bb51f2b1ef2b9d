"""The refresh and sign-out views, and the helpers an application's own sign-in view calls.

Views (POST only, exempt from Django's ``CsrfViewMiddleware`` — sessionward checks CSRF itself):

- :func:`refresh_view` / :func:`arefresh_view`: rotate the refresh token. Cookie mode reads the refresh
  cookie and requires the CSRF header (the ``csrf`` member of the front cookie); header mode reads
  ``{"refresh_token": "..."}`` from the JSON body. Answers 200 with new cookies (cookie and both modes)
  and the body of :meth:`sessionward._web.Sessionward.login_response_data` (user id, session handle,
  expiries, front token; the tokens too in header and both modes), or the error: 401 ``unauthorised`` /
  ``token_theft`` (cookies cleared, except after a failed CSRF check, which must not let another site sign
  the user out), 400 ``invalid_argument``, 503 ``store_unavailable``.
- :func:`logout_view` / :func:`alogout_view`: revoke the session named by the access token (even an
  expired one) or by the refresh token; 200 ``{"revoked": true|false}`` and cookies cleared.

The refresh cookie is scoped to ``REFRESH_PATH`` (default ``/auth/refresh``): mount the refresh view there,
e.g. ``path("", include("sessionward.django.urls"))``. The async views suit ASGI deployments; the store
call runs in a worker thread.

Helpers: :func:`login` / :func:`alogin` create a session and set its cookies on a response;
:func:`logout` / :func:`alogout` revoke and clear; :func:`set_session_cookies` and
:func:`clear_session_cookies` only touch cookies.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed, JsonResponse

from .. import IssuedTokens, SessionwardError
from .._web import RequestCredentials, Sessionward
from . import conf
from ._http import apply_headers, apply_set_cookies, body_token, credentials, error_response

__all__ = [
    "alogin",
    "alogout",
    "alogout_view",
    "arefresh_view",
    "clear_session_cookies",
    "login",
    "login_response_data",
    "logout",
    "logout_view",
    "refresh_view",
    "set_session_cookies",
]


def _csrf_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    # Django's csrf_exempt decorator handles async views only from Django 5.0; the attribute is what
    # CsrfViewMiddleware reads.
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def set_session_cookies(response: HttpResponseBase, issued: IssuedTokens) -> None:
    """Set the access, front and refresh cookies of ``issued`` on ``response`` (none in header mode) and
    mark it ``Cache-Control: no-store``. For sign-in and refresh done by the application itself."""
    sessionward = conf.get_sessionward()
    apply_set_cookies(response, sessionward.session_cookies(issued))
    apply_headers(response, sessionward.token_response_headers())


def clear_session_cookies(response: HttpResponseBase) -> None:
    """Delete the session cookies (``Max-Age=0``, same path and domain as when set; none in header mode)."""
    apply_set_cookies(response, conf.get_sessionward().clear_cookies())


def _session_kwargs(request: Optional[HttpRequest], **kwargs: Any) -> dict[str, Any]:
    if request is not None:
        if kwargs["user_agent"] is None:
            kwargs["user_agent"] = request.META.get("HTTP_USER_AGENT")
        if kwargs["ip"] is None:
            kwargs["ip"] = request.META.get("REMOTE_ADDR")
    return kwargs


def login(
    response: HttpResponseBase,
    user_id: str,
    *,
    request: Optional[HttpRequest] = None,
    access_claims: Optional[dict[str, Any]] = None,
    data: Any = None,
    device: Optional[str] = None,
    user_agent: Optional[str] = None,
    ip: Optional[str] = None,
) -> IssuedTokens:
    """Sign ``user_id`` in: create a session and set its cookies on ``response`` (``no-store``).

    Call it from your own sign-in view once the credentials are checked. ``request`` (optional) supplies the
    session's ``User-Agent`` and IP (``REMOTE_ADDR``: behind a proxy, pass ``ip`` yourself). Returns the
    tokens; answer with :func:`login_response_data` as the JSON body, which carries the tokens in header and
    both modes (no cookies are set in header mode). Raises :class:`~sessionward.SessionwardError` (e.g.
    ``InvalidArgumentError`` for a reserved claim or an oversized cookie, ``StoreUnavailableError``).
    """
    kwargs = _session_kwargs(request, access_claims=access_claims, data=data, device=device, user_agent=user_agent, ip=ip)
    issued = conf.get_manager().create_session(user_id, **kwargs)
    set_session_cookies(response, issued)
    return issued


async def alogin(
    response: HttpResponseBase,
    user_id: str,
    *,
    request: Optional[HttpRequest] = None,
    access_claims: Optional[dict[str, Any]] = None,
    data: Any = None,
    device: Optional[str] = None,
    user_agent: Optional[str] = None,
    ip: Optional[str] = None,
) -> IssuedTokens:
    """Async :func:`login`: the store write runs in a worker thread."""
    kwargs = _session_kwargs(request, access_claims=access_claims, data=data, device=device, user_agent=user_agent, ip=ip)
    issued = await conf.get_manager().acreate_session(user_id, **kwargs)
    set_session_cookies(response, issued)
    return issued


def login_response_data(issued: IssuedTokens) -> dict[str, Any]:
    """The JSON body answering sign-in, the same as the refresh view's: ``user_id``, ``session_handle``,
    expiries and ``front_token``, plus ``access_token`` and ``refresh_token`` in header and both modes."""
    return conf.get_sessionward().login_response_data(issued)


def _request_parts(sessionward: Sessionward, request: HttpRequest) -> tuple[RequestCredentials, Optional[str]]:
    return credentials(sessionward, request), body_token(sessionward, request)


def logout(response: HttpResponseBase, request: Optional[HttpRequest] = None) -> bool:
    """Clear the session cookies on ``response``; with ``request``, first revoke its session.

    The session is found from the access token (even an expired one), else the refresh token (cookie, or
    ``refresh_token`` in a JSON body in header mode). Returns whether a session was revoked. Raises
    :class:`~sessionward.SessionwardError` without touching ``response`` if revoking fails (a cookie-borne
    token without the CSRF header gives ``UnauthorisedError``).
    """
    revoked = False
    if request is not None:
        sessionward = conf.get_sessionward()
        revoked = sessionward.logout(*_request_parts(sessionward, request))
    clear_session_cookies(response)
    return revoked


async def alogout(response: HttpResponseBase, request: Optional[HttpRequest] = None) -> bool:
    """Async :func:`logout`: the store write runs in a worker thread."""
    revoked = False
    if request is not None:
        sessionward = conf.get_sessionward()
        revoked = await sessionward.alogout(*_request_parts(sessionward, request))
    clear_session_cookies(response)
    return revoked


def _refreshed(sessionward: Sessionward, issued: IssuedTokens) -> JsonResponse:
    response = JsonResponse(sessionward.login_response_data(issued))
    apply_set_cookies(response, sessionward.session_cookies(issued))
    apply_headers(response, sessionward.token_response_headers())
    return response


def _logged_out(sessionward: Sessionward, revoked: bool) -> JsonResponse:
    response = JsonResponse({"revoked": revoked})
    apply_set_cookies(response, sessionward.clear_cookies())
    apply_headers(response, sessionward.token_response_headers())
    return response


@_csrf_exempt
def refresh_view(request: HttpRequest) -> HttpResponseBase:
    """``POST`` the refresh route (see the module documentation)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    sessionward = conf.get_sessionward()
    try:
        issued = sessionward.refresh(*_request_parts(sessionward, request))
    except SessionwardError as err:
        return error_response(sessionward, err)
    return _refreshed(sessionward, issued)


@_csrf_exempt
async def arefresh_view(request: HttpRequest) -> HttpResponseBase:
    """Async :func:`refresh_view`: the store call runs in a worker thread."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    sessionward = conf.get_sessionward()
    try:
        issued = await sessionward.arefresh(*_request_parts(sessionward, request))
    except SessionwardError as err:
        return error_response(sessionward, err)
    return _refreshed(sessionward, issued)


@_csrf_exempt
def logout_view(request: HttpRequest) -> HttpResponseBase:
    """``POST`` the sign-out route (see the module documentation)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    sessionward = conf.get_sessionward()
    try:
        revoked = sessionward.logout(*_request_parts(sessionward, request))
    except SessionwardError as err:
        return error_response(sessionward, err)
    return _logged_out(sessionward, revoked)


@_csrf_exempt
async def alogout_view(request: HttpRequest) -> HttpResponseBase:
    """Async :func:`logout_view`: the store call runs in a worker thread."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    sessionward = conf.get_sessionward()
    try:
        revoked = await sessionward.alogout(*_request_parts(sessionward, request))
    except SessionwardError as err:
        return error_response(sessionward, err)
    return _logged_out(sessionward, revoked)
