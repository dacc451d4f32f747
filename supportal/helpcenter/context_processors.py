from __future__ import annotations

from django.http import HttpRequest


def notice(request: HttpRequest) -> dict[str, object]:
    """The site-wide notice to show on this page, if any (filled in by the help-center work)."""
    return {"site_notice": None}
