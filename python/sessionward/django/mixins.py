"""``SessionRequiredMixin`` for class-based views (sync or async handlers)."""

from __future__ import annotations

from typing import Any, ClassVar, Mapping

from django.http import HttpRequest, HttpResponseBase

from .. import AccessClaims, SessionwardError
from . import conf
from ._http import error_response
from .decorators import acheck_session, check_session

__all__ = ["SessionRequiredMixin"]


class SessionRequiredMixin:
    """Answer 401/403 like :func:`~sessionward.django.decorators.session_required` before dispatching.

    Put it first among the bases::

        class AccountView(SessionRequiredMixin, View):
            required_claims = {"role": "admin"}      # optional: 403 invalid_claim otherwise
            check_store = True                       # optional: refuse revoked sessions at once

            async def get(self, request):             # sync handlers work too
                return JsonResponse({"user": request.sessionward.user_id})

    The verified claims are at ``request.sessionward`` (and ``self.claims``). A
    :class:`~sessionward.SessionwardError` raised by a handler is answered as JSON too. The view is exempt
    from Django's ``CsrfViewMiddleware``: sessionward checks CSRF itself for cookie-borne tokens.
    """

    #: Custom claims the token must carry, name -> exact value.
    required_claims: ClassVar[Mapping[str, Any]] = {}
    #: Also check in the store that the session is still live (one store read per request).
    check_store: ClassVar[bool] = False

    claims: AccessClaims

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        """The view function, marked ``csrf_exempt``."""
        view = super().as_view(**initkwargs)  # type: ignore[misc]
        view.csrf_exempt = True
        return view

    def _checks(self) -> tuple[Any, ...]:
        return tuple(
            (lambda claims, name=name, value=value: claims.require_eq(name, value))
            for name, value in self.required_claims.items()
        )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        """Check the session, then dispatch; for async views, returns a coroutine."""
        if getattr(self, "view_is_async", False):
            return self._adispatch(request, *args, **kwargs)
        try:
            self.claims = check_session(request, check_store=self.check_store, checks=self._checks())
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except SessionwardError as err:
            return error_response(conf.get_sessionward(), err)

    async def _adispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            self.claims = await acheck_session(request, check_store=self.check_store, checks=self._checks())
            return await super().dispatch(request, *args, **kwargs)  # type: ignore[misc, no-any-return]
        except SessionwardError as err:
            return error_response(conf.get_sessionward(), err)
