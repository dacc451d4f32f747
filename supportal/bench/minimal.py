"""The yardstick of `make bench`: a one-view Django app, run by gunicorn like Supportal.

No middleware, no database, no templates: what any Django page costs at the least on this
machine under the same server settings. Pages are reported as a share of it.

    DJANGO_SETTINGS_MODULE=supportal.bench.minimal gunicorn supportal.bench.minimal:application
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path

SECRET_KEY = "minimal-bench-app-not-a-secret"  # noqa: S105 - serves one constant page
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_I18N = False


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world.\n", content_type="text/plain")


urlpatterns = [path("", hello)]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", __name__)
application = get_wsgi_application()
