"""Django REST framework support: an authentication class, a claim permission, an exception handler.

::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["sessionward.drf.SessionwardAuthentication"],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        # optional: answer "no credentials" with {"error": "unauthorised", ...} like every other failure
        "EXCEPTION_HANDLER": "sessionward.drf.exception_handler",
    }

``request.user`` is the user (a :class:`SessionwardUser`, or what ``SESSIONWARD["USER_LOADER"]`` returns)
and ``request.auth`` the verified :class:`~sessionward.AccessClaims`.

Failures keep sessionward's status and body codes: ``{"error": "try_refresh" | "unauthorised" |
"token_theft" | "invalid_claim" | "store_unavailable", "message": ...}``. A request without any token is
not a failure of this class (it returns ``None``, so other authentication classes may try); DRF then
answers ``not_authenticated``, which :func:`exception_handler` rewrites to ``unauthorised``.

Put ``SessionwardAuthentication`` **first** in the authentication classes: DRF takes the
``WWW-Authenticate`` header (and so the 401 status) from the first class only, and turns 401s into 403s when
that class has none (e.g. ``SessionAuthentication``) — clients would then not know to refresh. Use
:func:`exception_handler` too, so that sessionward errors raised inside views keep their status.

CSRF: DRF views are exempt from Django's ``CsrfViewMiddleware``; for cookie-borne tokens on state-changing
methods this class requires sessionward's CSRF header (the ``csrf`` member of the front cookie), as the
Django middleware does. Bearer tokens need no CSRF check.
"""

from __future__ import annotations

from typing import Any, Optional

from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import exception_handler as drf_exception_handler

from . import AccessClaims, InvalidClaimError, SessionwardError, UnauthorisedError
from ._web import error_response_body, is_missing_token, status_for
from .django import conf
from .django._http import apply_headers
from .django.middleware import authenticate_request

__all__ = [
    "SessionwardAuthentication",
    "SessionwardUser",
    "claim_required",
    "exception_handler",
    "to_api_exception",
]


class SessionwardUser:
    """The user of a request authenticated by sessionward when no ``USER_LOADER`` is configured.

    Not a database row: ``pk`` and ``id`` are the token's user id (``sub``, a string), and the verified
    claims are at ``claims``. It answers the checks Django and DRF make (``is_authenticated``,
    ``is_anonymous``, ``is_active``) and has no Django permissions: authorise with claims instead.
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, claims: AccessClaims) -> None:
        self.claims = claims
        self.pk: str = claims.user_id
        self.id: str = claims.user_id
        self.session_handle: str = claims.session_handle

    def get_username(self) -> str:
        """The user id."""
        return self.pk

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        """Always false: use claims (``claim_required``) or a ``USER_LOADER`` returning Django users."""
        return False

    def __str__(self) -> str:
        return self.pk

    def __repr__(self) -> str:
        return f"SessionwardUser(pk={self.pk!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SessionwardUser) and other.pk == self.pk

    def __hash__(self) -> int:
        return hash(self.pk)


def to_api_exception(err: SessionwardError) -> exceptions.APIException:
    """The DRF exception for a sessionward error: the status of its code and the body
    ``{"error": code, "message": public sentence}`` of every sessionward integration. The original error
    is kept at ``.sessionward_error`` for :func:`exception_handler`."""
    body = error_response_body(err)
    code = status_for(err)
    exc: exceptions.APIException
    if code == status.HTTP_401_UNAUTHORIZED:
        exc = exceptions.AuthenticationFailed(detail=body, code=err.code)
    elif code == status.HTTP_403_FORBIDDEN:
        exc = exceptions.PermissionDenied(detail=body, code=err.code)
    else:
        exc = exceptions.APIException(detail=body, code=err.code)
        exc.status_code = code
    exc.sessionward_error = err  # type: ignore[attr-defined]
    return exc


def _unauthorised(message: str, reason: str) -> exceptions.APIException:
    return to_api_exception(UnauthorisedError(f"unauthorised: {message}; sign in again", reason))


class SessionwardAuthentication(BaseAuthentication):
    """Authenticate a DRF request by its sessionward access token (cookie or ``Authorization: Bearer``, as
    ``SESSIONWARD["MODE"]`` allows). Returns ``(user, claims)``; ``None`` when no token was sent.

    Set ``check_store = True`` on a subclass to also refuse sessions revoked before their access token
    expired (one store read per request).
    """

    check_store: bool = False

    def authenticate(self, request: Request) -> Optional[tuple[Any, AccessClaims]]:
        """Verify the token (reusing the middleware's result when it ran); raise ``AuthenticationFailed``
        with sessionward's code on a bad, expired or CSRF-less token."""
        django_request = request._request
        claims = authenticate_request(django_request)
        if claims is None:
            error: SessionwardError = django_request.sessionward_error
            if is_missing_token(error):
                return None
            raise to_api_exception(error)
        if self.check_store:
            try:
                session = conf.get_manager().get_session(claims.session_handle)
            except SessionwardError as err:
                raise to_api_exception(err) from err
            if session is None or session.user_id != claims.user_id:
                raise _unauthorised("the session is unknown or was revoked", "SessionRevoked")
        return self.get_user(claims), claims

    def get_user(self, claims: AccessClaims) -> Any:
        """The user for verified claims: ``USER_LOADER(claims)`` if configured, else a
        :class:`SessionwardUser`. A loader returning ``None`` or an inactive user gives 401 ``unauthorised``."""
        loader = conf.get_user_loader()
        if loader is None:
            return SessionwardUser(claims)
        user = loader(claims)
        if user is None:
            raise _unauthorised("the user is unknown", "UnknownUser")
        if not getattr(user, "is_active", True):
            raise _unauthorised("the user is inactive", "InactiveUser")
        return user

    def authenticate_header(self, request: Request) -> str:
        """``WWW-Authenticate`` of 401 answers (RFC 6750): ``Bearer`` when no token was sent,
        ``Bearer error="invalid_token"`` when one was refused. DRF needs one in every mode, or it turns 401
        into 403."""
        error = getattr(request._request, "sessionward_error", None)
        if error is not None and is_missing_token(error):
            return "Bearer"
        # A refused token, or a valid one refused by check_store or the user loader.
        return 'Bearer error="invalid_token"'


def claim_required(name: str, value: Any) -> type[BasePermission]:
    """A permission class: the request's claims must have custom claim ``name`` equal to ``value``.

    ``permission_classes = [claim_required("role", "admin")]``. Without sessionward claims the request is
    refused as not authenticated (401); with the wrong claim, 403 ``{"error": "invalid_claim", ...}``.
    """

    class ClaimRequired(BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            claims = request.auth
            if not isinstance(claims, AccessClaims):
                return False
            try:
                claims.require_eq(name, value)
            except InvalidClaimError as err:
                self.message = error_response_body(err)  # type: ignore[assignment]
                self.code = err.code
                return False
            return True

    ClaimRequired.__name__ = ClaimRequired.__qualname__ = f"ClaimRequired[{name}={value!r}]"
    return ClaimRequired


def exception_handler(exc: Exception, context: dict[str, Any]) -> Any:
    """DRF's exception handler, with sessionward's answers where they apply.

    - Errors from :class:`SessionwardAuthentication` get the headers of
      :meth:`sessionward._web.Sessionward.error_response`: ``Cache-Control: no-store`` and, in cookie and
      both modes, the deletion of the cookies of a refused session.
    - A :class:`~sessionward.SessionwardError` raised by a view is answered like any other integration's.
    - "No credentials" (``NotAuthenticated``, 401) answers ``{"error": "unauthorised", "message": ...}``.

    Set it as ``REST_FRAMEWORK["EXCEPTION_HANDLER"] = "sessionward.drf.exception_handler"``.
    """
    if isinstance(exc, SessionwardError):
        exc = to_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    error = getattr(exc, "sessionward_error", None)
    if error is None and isinstance(exc, exceptions.NotAuthenticated) and response.status_code == 401:
        error = UnauthorisedError("unauthorised: no token was presented; sign in", "Missing")
        response.data = error_response_body(error)
    if isinstance(error, SessionwardError):
        _, _, headers = conf.get_sessionward().error_response(error)
        if "WWW-Authenticate" in response:  # set by DRF from authenticate_header
            headers = [(name, value) for name, value in headers if name.lower() != "www-authenticate"]
        apply_headers(response, headers)
    return response
