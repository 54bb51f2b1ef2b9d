"""Settings of the test project. No database: sessionward keeps sessions in its own store."""

SECRET_KEY = "sessionward-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
ROOT_URLCONF = "django_project.urls"
DATABASES: dict = {}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "sessionward.django",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    # Kept on purpose: the tests prove sessionward's views are exempt from it and other views are not.
    "django.middleware.csrf.CsrfViewMiddleware",
    "sessionward.django.middleware.SessionwardMiddleware",
]

SESSIONWARD = {
    "ISSUER": "https://tests.example",
    "AUDIENCE": "tests",
    "STORE": "memory",
    "FRONT_TOKEN_CLAIMS": ["role"],
}

REST_FRAMEWORK = {
    "EXCEPTION_HANDLER": "sessionward.drf.exception_handler",
}
