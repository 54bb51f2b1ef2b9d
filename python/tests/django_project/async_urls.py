"""The same project with the async refresh and sign-out views (as an ASGI deployment would route them)."""

from django.urls import path

from sessionward.django.views import alogout_view, arefresh_view

from .urls import app_patterns

urlpatterns = [
    path("auth/refresh", arefresh_view),
    path("auth/logout", alogout_view),
    *app_patterns,
]
