"""What an uploaded file really is, from its bytes, and how to name it safely.

Pure helpers (no Django models): the name a client sends and the type it claims are both
hostile input, so the type is read from the first bytes (magic numbers) and the name is cut
down to something that cannot traverse paths, hide its extension or break a header.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

# How many bytes `sniff` wants to see: enough for every signature and the markup check.
HEAD_BYTES = 2048
MAX_NAME_CHARS = 120

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
PDF = "application/pdf"
ZIP = "application/zip"  # also docx, xlsx, pptx, odt, ods: all ZIP containers
OLE = "application/x-ole-storage"  # doc, xls, ppt (Office 97-2003)
TEXT = "text/plain"
MARKUP = "text/html"  # HTML, SVG, XML: text a browser would render or run
EXECUTABLE = "application/x-executable"
OCTET = "application/octet-stream"

IMAGE_TYPES = frozenset({PNG, JPEG, GIF, WEBP})
# The only types ever shown inline (and then only after Pillow re-encoded them). PDF is not
# among them: a browser's PDF viewer runs the document's scripts and does not work under the
# `sandbox` CSP, so PDFs are downloaded like everything else.
INLINE_TYPES = IMAGE_TYPES

# Extension -> the sniffed types its content may have.
EXTENSION_TYPES: dict[str, frozenset[str]] = {
    "png": frozenset({PNG}),
    "jpg": frozenset({JPEG}),
    "jpeg": frozenset({JPEG}),
    "gif": frozenset({GIF}),
    "webp": frozenset({WEBP}),
    "pdf": frozenset({PDF}),
    "zip": frozenset({ZIP}),
    "docx": frozenset({ZIP}),
    "xlsx": frozenset({ZIP}),
    "pptx": frozenset({ZIP}),
    "odt": frozenset({ZIP}),
    "ods": frozenset({ZIP}),
    "odp": frozenset({ZIP}),
    "doc": frozenset({OLE}),
    "xls": frozenset({OLE}),
    "ppt": frozenset({OLE}),
    # Text formats: any text will do, markup included (it is only ever downloaded).
    **{ext: frozenset({TEXT, MARKUP}) for ext in ("txt", "log", "csv", "json", "eml", "ics")},
    "xml": frozenset({TEXT, MARKUP}),
}

# What the name of a type is in an error message ("is not a PNG image").
TYPE_NAMES = {
    PNG: "PNG",
    JPEG: "JPEG",
    GIF: "GIF",
    WEBP: "WebP",
    PDF: "PDF",
    ZIP: "ZIP",
    OLE: "Office",
    TEXT: "text",
    MARKUP: "text",
}

_MARKUP = re.compile(
    rb"<\s*(?:!doctype\s+html|html|head|body|script|svg|iframe|object|embed|\?xml|style|meta"
    rb"|a\s|img\s|div|title)",
    re.IGNORECASE,
)
_EXECUTABLE_SIGNATURES = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"#!",
    b"\x00asm",  # WebAssembly
)
# Control and format characters (bidi overrides, zero-width joiners...) are dropped; these are
# replaced because Windows or a header could read them as syntax.
_RESERVED = re.compile(r'[<>:"/\\|?*;]')
_SPACES = re.compile(r"\s+")


def sniff(head: bytes) -> str:
    """The type of a file from its first bytes (at least HEAD_BYTES when the file is longer).

    Returns one of the constants above; OCTET when nothing is recognised."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    if head.startswith(_EXECUTABLE_SIGNATURES):
        return EXECUTABLE
    text = _as_text(head)
    if text is None:
        return OCTET
    return MARKUP if _MARKUP.search(head[:HEAD_BYTES]) else TEXT


def _as_text(head: bytes) -> str | None:
    """The head as text when it is text (UTF-8, UTF-16 with a BOM or a legacy 8-bit charset
    without NULs); None for binary data."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still text.
        if error.start >= len(head) - 3:
            return head[: error.start].decode("utf-8", "replace")
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13, 27))
    return None if controls > len(head) // 100 else head.decode("latin-1")


def extension(name: str) -> str:
    return PurePosixPath(name).suffix.lower().lstrip(".")


def content_matches(name: str, sniffed: str) -> bool:
    """Whether content of type `sniffed` may carry this name; names we know nothing about
    accept any content that is not an executable (it is only ever downloaded)."""
    expected = EXTENSION_TYPES.get(extension(name))
    if expected is None:
        return sniffed != EXECUTABLE
    return sniffed in expected


def served_type(sniffed: str) -> str:
    """The Content-Type a file of this sniffed type is served with: the real type for images,
    PDF, archives and plain text; application/octet-stream for markup, executables and
    anything unknown, so that no browser ever renders or runs them from our origin."""
    if sniffed in (MARKUP, EXECUTABLE, OLE):
        return OCTET
    return sniffed


def safe_filename(name: str, *, fallback: str = "file") -> str:
    """A client-given file name made harmless: its last path part only, without control or
    bidi characters, reserved punctuation or leading dots, at most MAX_NAME_CHARS characters
    (the extension kept). Letters of every script are kept."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _SPACES.sub(" ", name)  # tabs and line breaks become spaces before controls go
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    name = _SPACES.sub(" ", _RESERVED.sub("_", name)).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 16 and stem:
            name = stem[: MAX_NAME_CHARS - len(suffix) - 1].rstrip(" .") + "." + suffix
        else:
            name = name[:MAX_NAME_CHARS].rstrip(" .")
    return name or fallback


def content_disposition(filename: str, *, inline: bool) -> str:
    """An RFC 6266 Content-Disposition value: an ASCII `filename` for old clients and the
    exact UTF-8 name as `filename*`."""
    name = safe_filename(filename)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    ascii_stem = _ascii(stem) or "file"
    ascii_suffix = _ascii(suffix)
    ascii_name = f"{ascii_stem}.{ascii_suffix}" if ascii_suffix else ascii_stem
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._ ()+,=@-]", "_", text).strip(" ._")


def is_safe_relative_path(path: str) -> bool:
    """Whether a path from a URL names a file below a storage root: no absolute paths, no
    `..` or empty parts, no backslashes, NULs or other control characters."""
    if not path or path.startswith("/") or "\\" in path or ":" in path:
        return False
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))
