from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from supportal.core.mail import delivery_configured


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_URL": settings.SITE_URL,
        "EMAIL_DELIVERY_CONFIGURED": delivery_configured(),
    }
