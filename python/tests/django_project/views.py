"""Views of the test project: sign-in, protected views of every kind, a DRF API."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sessionward import StoreUnavailableError, TheftEvent
from sessionward.django import (
    SessionRequiredMixin,
    alogin,
    claim_contains,
    claim_required,
    login,
    login_response_data,
    logout,
    session_required,
)
from sessionward.drf import SessionwardAuthentication
from sessionward.drf import claim_required as drf_claim_required

THEFTS: list[TheftEvent] = []


def record_theft(event: TheftEvent) -> None:
    """``SESSIONWARD["ON_THEFT"]`` of the tests."""
    THEFTS.append(event)


def _sign_in_body(request: HttpRequest) -> tuple[str, dict[str, Any]]:
    data = json.loads(request.body)
    claims = {key: data[key] for key in ("role", "scope") if key in data}
    return data["user_id"], claims


# A real sign-in view checks credentials and keeps Django's CSRF protection for its form; the tests post
# JSON without a Django CSRF cookie, hence the exemption.
@csrf_exempt
def sign_in(request: HttpRequest) -> HttpResponse:
    user_id, claims = _sign_in_body(request)
    response = JsonResponse({})
    issued = login(response, user_id, request=request, access_claims=claims, device="test")
    response.content = json.dumps(login_response_data(issued)).encode()
    return response


@csrf_exempt
async def asign_in(request: HttpRequest) -> HttpResponse:
    user_id, claims = _sign_in_body(request)
    response = JsonResponse({})
    issued = await alogin(response, user_id, request=request, access_claims=claims, device="test")
    response.content = json.dumps(login_response_data(issued)).encode()
    return response


@csrf_exempt
def sign_out(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({})
    revoked = logout(response, request)
    response.content = json.dumps({"revoked": revoked}).encode()
    return response


def _me(request: HttpRequest, kind: str) -> JsonResponse:
    claims = request.sessionward  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "kind": kind,
            "method": request.method,
            "user_id": claims.user_id,
            "session_handle": claims.session_handle,
            "role": claims.get("role"),
        }
    )


@session_required
def me(request: HttpRequest) -> JsonResponse:
    return _me(request, "sync")


@session_required
async def ame(request: HttpRequest) -> JsonResponse:
    return _me(request, "async")


@session_required(check_store=True)
def me_store(request: HttpRequest) -> JsonResponse:
    return _me(request, "sync-store")


@session_required(check_store=True)
async def ame_store(request: HttpRequest) -> JsonResponse:
    return _me(request, "async-store")


@claim_required("role", "admin")
def admin_only(request: HttpRequest) -> JsonResponse:
    return _me(request, "admin")


@claim_required("role", "admin")
async def aadmin_only(request: HttpRequest) -> JsonResponse:
    return _me(request, "async-admin")


@claim_contains("scope", "write")
def writer(request: HttpRequest) -> JsonResponse:
    return _me(request, "writer")


@session_required
def raises(request: HttpRequest) -> JsonResponse:
    """A protected view whose own sessionward errors are answered by the decorator."""
    if request.GET.get("what") == "claim":
        request.sessionward.require_contains("scope", "root")  # type: ignore[attr-defined]
    raise StoreUnavailableError("session store unavailable: disk on fire; retry later")


def public(request: HttpRequest) -> JsonResponse:
    """An anonymous page: works with or without a session; reports what the middleware attached."""
    if not hasattr(request, "sessionward"):
        return JsonResponse({"middleware": False})
    claims = request.sessionward
    error = request.sessionward_error  # type: ignore[attr-defined]
    return JsonResponse(
        {
            "middleware": True,
            "user_id": None if claims is None else claims.user_id,
            "error": None if error is None else error.code,
            "reason": getattr(error, "reason", None),
        }
    )


def django_protected(request: HttpRequest) -> HttpResponse:
    """Not exempt: Django's CsrfViewMiddleware guards its POSTs."""
    return HttpResponse("ok")


class MeView(SessionRequiredMixin, View):
    def get(self, request: HttpRequest) -> JsonResponse:
        return _me(request, "cbv")

    def post(self, request: HttpRequest) -> JsonResponse:
        return _me(request, "cbv")


class AsyncAdminView(SessionRequiredMixin, View):
    required_claims = {"role": "admin"}
    check_store = True

    async def get(self, request: HttpRequest) -> JsonResponse:
        assert self.claims is request.sessionward  # type: ignore[attr-defined]
        return _me(request, "async-cbv")


class DrfMe(APIView):
    authentication_classes = [SessionwardAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response(
            {
                "pk": request.user.pk,
                "user_class": type(request.user).__name__,
                "username": request.user.get_username(),
                "session_handle": request.auth.session_handle,
                "method": request.method,
            }
        )

    def post(self, request: Request) -> Response:
        return self.get(request)


class StoreCheckedAuthentication(SessionwardAuthentication):
    check_store = True


class DrfMeStore(DrfMe):
    authentication_classes = [StoreCheckedAuthentication]


class DrfAdmin(DrfMe):
    permission_classes = [IsAuthenticated, drf_claim_required("role", "admin")]


def load_user(claims: Any) -> Any:
    """``SESSIONWARD["USER_LOADER"]`` of the tests: an (unsaved) Django user; unknown and inactive users."""
    if claims.user_id == "ghost":
        return None
    return User(username=claims.user_id, is_active=claims.user_id != "banned")


class ApiKeyAuthentication(BaseAuthentication):
    """A second authentication class, tried when sessionward finds no token."""

    def authenticate(self, request: Request) -> Any:
        if request.headers.get("X-Api-Key") == "service-key":
            return User(username="service"), None
        return None


class DrfMeOrApiKey(APIView):
    authentication_classes = [SessionwardAuthentication, ApiKeyAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"user_class": type(request.user).__name__, "username": request.user.get_username()})


class DrfRaises(DrfMe):
    def get(self, request: Request) -> Response:
        if request.query_params.get("what") == "claim":
            request.auth.require_contains("scope", "root")
        raise StoreUnavailableError("session store unavailable: disk on fire; retry later")
