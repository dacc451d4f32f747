from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from supportal.accounts.access import public


@public
@require_GET
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """Serves uploaded help-center media after checking the viewer may see its article."""
    raise Http404
