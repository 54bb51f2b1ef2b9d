"""URLs of the refresh and sign-out views: ``auth/refresh`` and ``auth/logout`` (names ``sessionward:refresh``
and ``sessionward:logout``).

Include them at the root so that the refresh route matches the refresh cookie's path (``REFRESH_PATH``,
default ``/auth/refresh``)::

    urlpatterns = [path("", include("sessionward.django.urls")), ...]

Mounted elsewhere (``path("api/", include(...))``), set ``REFRESH_PATH`` to match (``"/api/auth/refresh"``);
the system check ``sessionward.W001`` warns when they differ. For async views (ASGI), route to
:func:`~sessionward.django.views.arefresh_view` and :func:`~sessionward.django.views.alogout_view` yourself.
"""

from __future__ import annotations

from django.urls import path

from .views import logout_view, refresh_view

app_name = "sessionward"

urlpatterns = [
    path("auth/refresh", refresh_view, name="refresh"),
    path("auth/logout", logout_view, name="logout"),
]
