"""sessionward for Django: middleware, view decorators, a class-based-view mixin, refresh and sign-out views.

Setup::

    INSTALLED_APPS = [..., "sessionward.django"]
    MIDDLEWARE = [..., "sessionward.django.middleware.SessionwardMiddleware"]
    SESSIONWARD = {"ISSUER": "https://example.com", "AUDIENCE": "example-web", "STORE": BASE_DIR / "sessions.sqlite3"}
    # urls.py
    urlpatterns = [path("", include("sessionward.django.urls")), ...]

Sign in from your own view, protect others::

    from sessionward.django import login, login_response_data, session_required

    @require_POST
    def sign_in(request):
        user = authenticate(...)                       # your credential check
        response = JsonResponse({})
        issued = login(response, str(user.pk), request=request, access_claims={"role": user.role})
        response.content = json.dumps(login_response_data(issued))   # tokens only in header/both modes
        return response

    @session_required
    def me(request):
        return JsonResponse({"user": request.sessionward.user_id})

Errors are answered by :mod:`sessionward._web`, as in every other sessionward integration: JSON
``{"error": code, "message": public sentence}`` with 401 ``try_refresh`` (refresh, then retry), 401
``unauthorised``, 401 ``token_theft``, 403 ``invalid_claim``, 400 ``invalid_argument``, 503
``store_unavailable``; ``Cache-Control: no-store``; ``WWW-Authenticate`` in header and both modes; the
session cookies deleted when the session is dead. The exception's own message (which names the failed
check) goes to the ``sessionward`` logger, not to the client.

CSRF: sessionward protects cookie-borne tokens itself (double submit: the ``X-CSRF-Token`` header must equal
the ``csrf`` member of the JSON in the front cookie, which page scripts can read). Django's
``CsrfViewMiddleware`` protects Django's own session cookie; the views of this package and every view
protected by ``session_required``, ``claim_required`` or ``SessionRequiredMixin`` are ``csrf_exempt`` from it
and rely on sessionward's check. A view that reads ``request.sessionward`` without those protections stays
under Django's check (and ``request.sessionward`` is ``None`` on a state-changing request without the
sessionward CSRF header).

Names are imported lazily so that listing the app in ``INSTALLED_APPS`` imports nothing heavy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .conf import get_http, get_manager, get_sessionward
    from .decorators import claim_contains, claim_required, session_required
    from .middleware import SessionwardMiddleware, authenticate_request
    from .mixins import SessionRequiredMixin
    from .views import (
        alogin,
        alogout,
        alogout_view,
        arefresh_view,
        clear_session_cookies,
        login,
        login_response_data,
        logout,
        logout_view,
        refresh_view,
        set_session_cookies,
    )

_EXPORTS = {
    "get_http": "conf",
    "get_manager": "conf",
    "get_sessionward": "conf",
    "claim_contains": "decorators",
    "claim_required": "decorators",
    "session_required": "decorators",
    "SessionwardMiddleware": "middleware",
    "authenticate_request": "middleware",
    "SessionRequiredMixin": "mixins",
    "alogin": "views",
    "alogout": "views",
    "alogout_view": "views",
    "arefresh_view": "views",
    "clear_session_cookies": "views",
    "login": "views",
    "login_response_data": "views",
    "logout": "views",
    "logout_view": "views",
    "refresh_view": "views",
    "set_session_cookies": "views",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
