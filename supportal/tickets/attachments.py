"""Checks on uploaded attachments. Uploads are hostile: the name, the size and the content
are all checked before anything is stored, and files are stored under random names."""

from __future__ import annotations

import mimetypes
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportal.tickets.models import SAFE_IMAGE_TYPES

# Magic bytes of the image types shown inline; an "image" without them is served as a download.
_IMAGE_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def max_bytes() -> int:
    return settings.ATTACHMENT_MAX_MB * 1024 * 1024


def safe_filename(name: str) -> str:
    """The last path part of a client-given name, without control characters, at most 255."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return (name.strip(" .") or "file")[-255:]


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def sniff_type(name: str, head: bytes) -> str:
    """The content type we will serve the file with: an image type only if the bytes agree."""
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if guessed in SAFE_IMAGE_TYPES:
        signatures = _IMAGE_SIGNATURES[guessed]
        if not any(head.startswith(signature) for signature in signatures):
            return "application/octet-stream"
        if guessed == "image/webp" and head[8:12] != b"WEBP":
            return "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/xhtml+xml", "image/svg+xml"):
        # Never let a browser render uploaded markup from our origin.
        return "text/plain" if guessed == "text/plain" else "application/octet-stream"
    return guessed


def validate_uploads(files: list[UploadedFile]) -> None:
    """Raises one ValidationError listing every problem with the files, or returns."""
    problems: list[str] = []
    limit = settings.ATTACHMENT_MAX_FILES
    if len(files) > limit:
        problems.append(
            ngettext(
                "You can attach at most %(count)d file.",
                "You can attach at most %(count)d files.",
                limit,
            )
            % {"count": limit}
        )
    allowed = settings.ATTACHMENT_TYPES
    for upload in files:
        name = safe_filename(upload.name or "")
        if extension(name) not in allowed:
            problems.append(
                _("“%(name)s” is not a file type we accept. Allowed: %(types)s.")
                % {"name": name, "types": ", ".join(allowed)}
            )
        elif upload.size is None or upload.size > max_bytes():
            problems.append(
                _("“%(name)s” is larger than %(size)d MB.")
                % {"name": name, "size": settings.ATTACHMENT_MAX_MB}
            )
        elif upload.size == 0:
            problems.append(_("“%(name)s” is empty.") % {"name": name})
    if problems:
        raise ValidationError(problems)
