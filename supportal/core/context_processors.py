from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_URL": settings.SITE_URL,
        "LANGUAGES_NATIVE": settings.LANGUAGES,
        "EMAIL_DELIVERY_CONFIGURED": bool(settings.EMAIL_HOST),
    }
