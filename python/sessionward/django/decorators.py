"""View decorators: ``@session_required``, ``@claim_required(name, value)``, ``@claim_contains(name, item)``.

Each works on sync and async function views (the wrapper has the view's kind) and answers, without calling
the view::

    401 {"error": "try_refresh", ...}    the access token expired: call the refresh route, then retry
    401 {"error": "unauthorised", ...}   no token, a bad token, a failed CSRF check, or (check_store) an ended session
    403 {"error": "invalid_claim", ...}  the token is valid but lacks the required claim

with the headers of :meth:`sessionward._web.Sessionward.error_response` (``Cache-Control: no-store``,
``WWW-Authenticate`` in header and both modes, cookie deletion for a refused token in cookie and both modes).
A :class:`~sessionward.SessionwardError` raised by the view itself (``claims.require_eq(...)``,
``StoreUnavailableError`` from a manager call) is answered the same way.

The verified claims are at ``request.sessionward``. The decorated view is exempt from Django's
``CsrfViewMiddleware``: it only runs for requests that passed sessionward's own CSRF check (cookie-borne
tokens on state-changing methods) or that carried a bearer token, which browsers never attach on their own.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar, Union, overload

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from .. import AccessClaims, SessionwardError, UnauthorisedError
from . import conf
from ._http import error_response
from .middleware import authenticate_request

__all__ = ["check_session", "acheck_session", "claim_contains", "claim_required", "session_required"]

_View = TypeVar("_View", bound=Callable[..., Any])
_Check = Callable[[AccessClaims], None]

_ENDED = "unauthorised: the session is unknown or was revoked; sign in again"


def _ended() -> UnauthorisedError:
    return UnauthorisedError(_ENDED, "SessionRevoked")


def _respond(err: SessionwardError) -> HttpResponseBase:
    return error_response(conf.get_sessionward(), err)


def _claims_or_error(request: HttpRequest) -> AccessClaims:
    claims = authenticate_request(request)
    if claims is None:
        error = request.sessionward_error  # type: ignore[attr-defined]
        raise error if error is not None else _ended()
    return claims


def check_session(request: HttpRequest, *, check_store: bool = False, checks: tuple[_Check, ...] = ()) -> AccessClaims:
    """The request's verified claims, or raise the :class:`~sessionward.SessionwardError` to answer with.

    ``check_store=True`` also asks the store whether the session is still live, so a revoked session (sign
    out elsewhere, theft detected) is refused before its access token expires; it costs a store read.
    ``checks`` are callables run on the claims (such as ``lambda c: c.require_eq("role", "admin")``).
    """
    claims = _claims_or_error(request)
    if check_store:
        session = conf.get_manager().get_session(claims.session_handle)
        if session is None or session.user_id != claims.user_id:
            raise _ended()
    for check in checks:
        check(claims)
    return claims


async def acheck_session(
    request: HttpRequest, *, check_store: bool = False, checks: tuple[_Check, ...] = ()
) -> AccessClaims:
    """Async :func:`check_session`: the store read runs in a worker thread."""
    claims = _claims_or_error(request)
    if check_store:
        session = await conf.get_manager().aget_session(claims.session_handle)
        if session is None or session.user_id != claims.user_id:
            raise _ended()
    for check in checks:
        check(claims)
    return claims


def _protect(view: _View, check_store: bool, checks: tuple[_Check, ...]) -> _View:
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                await acheck_session(request, check_store=check_store, checks=checks)
                return await view(request, *args, **kwargs)  # type: ignore[no-any-return]
            except SessionwardError as err:
                return _respond(err)

        wrapper: Callable[..., Any] = async_wrapper
    else:

        @functools.wraps(view)
        def sync_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                check_session(request, check_store=check_store, checks=checks)
                return view(request, *args, **kwargs)  # type: ignore[no-any-return]
            except SessionwardError as err:
                return _respond(err)

        wrapper = sync_wrapper
    # Set directly rather than with django.views.decorators.csrf.csrf_exempt, which wraps async views
    # correctly only from Django 5.0.
    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@overload
def session_required(view: _View, /) -> _View: ...
@overload
def session_required(*, check_store: bool = False) -> Callable[[_View], _View]: ...
def session_required(
    view: Optional[_View] = None, /, *, check_store: bool = False
) -> Union[_View, Callable[[_View], _View]]:
    """Require a valid sessionward access token; use bare (``@session_required``) or with options
    (``@session_required(check_store=True)``). See the module documentation for the answers."""
    if view is not None:
        return _protect(view, check_store, ())
    return lambda v: _protect(v, check_store, ())


def claim_required(name: str, value: Any, *, check_store: bool = False) -> Callable[[_View], _View]:
    """Require a valid session whose custom claim ``name`` equals ``value`` (any JSON value); otherwise 403
    ``invalid_claim`` (or 401 when there is no valid session)."""

    def check(claims: AccessClaims) -> None:
        claims.require_eq(name, value)

    return lambda v: _protect(v, check_store, (check,))


def claim_contains(name: str, item: str, *, check_store: bool = False) -> Callable[[_View], _View]:
    """Require a valid session whose claim ``name`` is a list (or space-separated string, like OAuth
    ``scope``) containing ``item``; otherwise 403 ``invalid_claim``."""

    def check(claims: AccessClaims) -> None:
        claims.require_contains(name, item)

    return lambda v: _protect(v, check_store, (check,))
