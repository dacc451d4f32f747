from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def section_context(request: HttpRequest) -> dict[str, Any]:
    """What templates/accounts/security/_twofactor.html needs on the Security page."""
    return {}
