"""The one way an uploaded file leaves the site: headers that keep a hostile file harmless.

Every file response carries `X-Content-Type-Options: nosniff` (the browser believes our type)
and `Content-Security-Policy: sandbox; default-src 'none'` (opened directly, even a file that
slipped through runs no script, loads nothing and has an opaque origin). Only re-encoded images
(and the help center's checked videos and captions) are shown inline; everything else is a
download with an RFC 6266 file name, and markup or unknown types are application/octet-stream.
"""

from __future__ import annotations

from typing import IO

from django.http import FileResponse

from supportal.lib import filetypes

FILE_CSP = "sandbox; default-src 'none'"
# Types served under their own name; anything else (HTML, SVG, XML, scripts, programs,
# unknown) is application/octet-stream.
KNOWN_TYPES = frozenset(
    {
        *filetypes.IMAGE_TYPES,
        filetypes.PDF,
        filetypes.ZIP,
        filetypes.TEXT,
        "video/mp4",
        "video/webm",
        "text/vtt",
    }
)


def file_response(
    handle: IO[bytes],
    *,
    filename: str,
    content_type: str,
    inline_types: frozenset[str] = filetypes.INLINE_TYPES,
    cache: str = "private, no-cache",
) -> FileResponse:
    """A streamed file: inline only when `content_type` is one of `inline_types`."""
    served = content_type if content_type in KNOWN_TYPES else filetypes.OCTET
    inline = served in inline_types
    if served == filetypes.TEXT:
        # Text is only downloaded, but say which charset so an opened download reads right.
        served = "text/plain; charset=utf-8"
    response = FileResponse(handle, content_type=served)
    response["Content-Disposition"] = filetypes.content_disposition(filename, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = cache
    return response
