"""The Django app: add ``"sessionward.django"`` to ``INSTALLED_APPS`` to get its system checks."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from django.apps import AppConfig, apps as django_apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

__all__ = ["SessionwardConfig", "check_refresh_route", "check_settings"]


class SessionwardConfig(AppConfig):
    """sessionward's Django app (label ``sessionward``). It has no models."""

    name = "sessionward.django"
    label = "sessionward"
    verbose_name = "sessionward"

    def ready(self) -> None:
        # Importing conf connects the setting_changed receiver that rebuilds the manager.
        from . import conf  # noqa: F401

        checks.register(check_settings, checks.Tags.security)
        checks.register(check_refresh_route, checks.Tags.urls)


def check_settings(app_configs: Optional[Sequence[Any]] = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``sessionward.E001``: ``settings.SESSIONWARD`` is missing, has unknown keys or unusable transport
    values. (The manager itself is not built here: that would open the store.)"""
    from . import conf

    try:
        conf._build_http(conf.get_settings())
    except ImproperlyConfigured as err:
        return [checks.Error(str(err), id="sessionward.E001")]
    return []


def check_refresh_route(app_configs: Optional[Sequence[Any]] = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``sessionward.W001``: the ``sessionward:refresh`` URL differs from ``REFRESH_PATH``, so browsers
    would not send the refresh cookie to it."""
    from . import conf

    if not django_apps.ready:
        return []
    try:
        http = conf._build_http(conf.get_settings())
    except ImproperlyConfigured:
        return []  # reported by check_settings
    try:
        url = reverse("sessionward:refresh")
    except NoReverseMatch:
        return []  # the application routes refresh itself
    if url != http.refresh_path:
        return [
            checks.Warning(
                f"the refresh view is mounted at {url!r} but the refresh cookie's path is {http.refresh_path!r}: "
                "browsers will not send the cookie to the view",
                hint=f'set SESSIONWARD["REFRESH_PATH"] = {url!r}, or include sessionward.django.urls at the root',
                id="sessionward.W001",
            )
        ]
    return []
