"""Checks on uploaded attachments. Uploads are hostile: the name, the size and the content
are all checked before anything is stored, and files are stored under random names.

The type is read from the bytes (supportal/lib/filetypes.py), never from the name or the
client's Content-Type; images are re-encoded without their metadata (supportal/lib/images.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportal.lib import filetypes, images


def max_bytes() -> int:
    return settings.ATTACHMENT_MAX_MB * 1024 * 1024


def safe_filename(name: str) -> str:
    """The client-given name made harmless (supportal/lib/filetypes.py)."""
    return filetypes.safe_filename(name)


def extension(name: str) -> str:
    return filetypes.extension(name)


def _read(upload: UploadedFile, limit: int = -1) -> bytes:
    upload.seek(0)
    data = upload.read(limit)
    upload.seek(0)
    return data


@dataclass
class Prepared:
    """What is stored for one upload: the content (re-encoded for images) and the type it is
    served with."""

    name: str
    content: File
    content_type: str
    size: int


def prepare(upload: UploadedFile) -> Prepared:
    """The file to store for an upload that passed validate_uploads (or, for email, did not
    have its content checked). Images whose content agrees with their name are re-encoded
    without metadata and may be shown inline; content that does not agree with its name, and
    every dangerous type, is stored untouched and only ever downloaded."""
    name = safe_filename(upload.name or "")
    sniffed = filetypes.sniff(_read(upload, filetypes.HEAD_BYTES))
    if not filetypes.content_matches(name, sniffed):
        return Prepared(name, upload, filetypes.OCTET, upload.size or 0)
    if sniffed in filetypes.IMAGE_TYPES:
        try:
            data, content_type = images.reencode(_read(upload))
        except images.BadImageError:
            return Prepared(name, upload, filetypes.OCTET, upload.size or 0)
        return Prepared(name, ContentFile(data), content_type, len(data))
    if extension(name) not in filetypes.EXTENSION_TYPES:
        # An extension an admin allowed but we cannot check (svg, js, exe...): unknown.
        return Prepared(name, upload, filetypes.OCTET, upload.size or 0)
    return Prepared(name, upload, filetypes.served_type(sniffed), upload.size or 0)


def _content_problem(upload: UploadedFile, name: str) -> str | None:
    """Why the content of a web upload is refused, or None when it is what its name says."""
    sniffed = filetypes.sniff(_read(upload, filetypes.HEAD_BYTES))
    expected = filetypes.EXTENSION_TYPES.get(extension(name), frozenset())
    if not filetypes.content_matches(name, sniffed):
        kind = next(iter(sorted({filetypes.TYPE_NAMES[t] for t in expected})), "")
        if expected and expected <= filetypes.IMAGE_TYPES:
            return _("“%(name)s” is not a %(kind)s image: its content does not match its name.") % {
                "name": name,
                "kind": kind,
            }
        if sniffed == filetypes.EXECUTABLE:
            return _("“%(name)s” is a program. Programs cannot be attached.") % {"name": name}
        return _(
            "The content of “%(name)s” does not match its name (a .%(extension)s file). "
            "Check the file and attach it again."
        ) % {"name": name, "extension": extension(name)}
    if sniffed in filetypes.IMAGE_TYPES:
        try:
            images.probe(_read(upload))
        except images.BadImageError as bad:
            if bad.reason == "too_large":
                return _("“%(name)s” has too many pixels. Attach an image under 40 megapixels.") % {
                    "name": name
                }
            return _("“%(name)s” is a damaged image that cannot be read.") % {"name": name}
    return None


def validate_uploads(files: list[UploadedFile], *, check_content: bool = True) -> None:
    """Raises one ValidationError listing every problem with the files, or returns.

    The content is checked against the name (and images are decoded) for uploads from our own
    forms; email attachments skip that check (`check_content=False`): they are kept, and
    whatever does not match is only ever downloaded (see `prepare`)."""
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
        elif check_content and (problem := _content_problem(upload, name)):
            problems.append(problem)
    if problems:
        raise ValidationError(problems)
