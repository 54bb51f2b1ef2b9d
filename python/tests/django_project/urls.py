"""Routes of the test project (sync sessionward views at the root, as REFRESH_PATH expects)."""

from django.urls import include, path

from . import views

app_patterns = [
    path("login", views.sign_in),
    path("alogin", views.asign_in),
    path("signout", views.sign_out),
    path("api/me", views.me),
    path("api/ame", views.ame),
    path("api/me-store", views.me_store),
    path("api/ame-store", views.ame_store),
    path("api/admin", views.admin_only),
    path("api/aadmin", views.aadmin_only),
    path("api/writer", views.writer),
    path("api/cbv", views.MeView.as_view()),
    path("api/acbv", views.AsyncAdminView.as_view()),
    path("api/raises", views.raises),
    path("public", views.public),
    path("django-protected", views.django_protected),
    path("drf/me", views.DrfMe.as_view()),
    path("drf/me-store", views.DrfMeStore.as_view()),
    path("drf/admin", views.DrfAdmin.as_view()),
    path("drf/me-or-key", views.DrfMeOrApiKey.as_view()),
    path("drf/raises", views.DrfRaises.as_view()),
]

urlpatterns = [path("", include("sessionward.django.urls")), *app_patterns]
