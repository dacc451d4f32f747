from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from supportal.accounts.access import public
from supportal.core.downloads import file_response
from supportal.helpcenter.models import ArticleMedia, ArticleTranslation, visibilities_for
from supportal.lib import filetypes

VARIANT_NAME = re.compile(r"^(?P<stem>.+)-\d+\.(?:webp|jpg|png|gif)$")
INLINE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/webm", "text/vtt"}
)
SUFFIX_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
YEAR = 60 * 60 * 24 * 365


def _find(path: str) -> tuple[ArticleMedia, str] | None:
    """The media row a stored name belongs to, and that file's content type."""
    item = ArticleMedia.objects.filter(Q(file=path) | Q(captions=path)).first()
    if item is not None:
        return item, "text/vtt" if item.captions.name == path else item.content_type
    match = VARIANT_NAME.match(path)
    if match is None:
        return None
    for item in ArticleMedia.objects.filter(file__startswith=f"{match['stem']}."):
        if any(variant.get("name") == path for variant in item.variants):
            return item, SUFFIX_TYPES[path.rsplit(".", 1)[-1]]
    return None


@public
@require_GET
def serve_media(request: HttpRequest, path: str) -> HttpResponse:
    """Serves uploaded help-center media after checking the viewer may see its article."""
    # Traversal (`..`, absolute paths, backslashes, NULs) never reaches the database or storage.
    safe = path.startswith("helpcenter/") and filetypes.is_safe_relative_path(path)
    found = _find(path) if safe else None
    if found is None:
        raise Http404
    item, content_type = found
    article = item.article
    if article.visibility not in visibilities_for(request.user):
        raise Http404
    is_agent = getattr(request.user, "is_agent", False)
    if not is_agent and not ArticleTranslation.objects.live().filter(article=article).exists():
        raise Http404  # a draft's pictures are as private as its words
    try:
        handle = default_storage.open(path, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    # Stored names are random and never reused, so a file can be cached for good; only
    # public articles' files may be kept by shared caches.
    scope = "public" if article.visibility == "everyone" else "private"
    # Never the upload's own name; anything unexpected is downloaded, not displayed.
    return file_response(
        handle,
        filename=path.rsplit("/", 1)[-1],
        content_type=content_type,
        inline_types=INLINE_TYPES,
        cache=f"{scope}, max-age={YEAR}, immutable",
    )
