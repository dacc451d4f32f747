"""Raw RFC 822 bytes to a clean, safe structure for the email channel: parse_message.

The MIME structure is split here, with bytes.find over the raw message, instead of by the
standard library's feedparser, which reads line by line in Python: on this machine it takes
1.6 s for a 50 MB message that we split in ~50 ms, and it cannot give back the exact bytes of an
attached message/rfc822. Header parameters (RFC 2231 continuations and charsets) still go
through email.message.Message with the compat32 policy, on values capped in length: the
default policy's header registry is slow and can be quadratic on pathological headers.

Limits keep time and memory bounded for any input (see the test suite for the hostile ones):

- MAX_PARTS: parts after this many are not walked.
- MAX_DEPTH: multiparts nested deeper are not walked.
- MAX_HEADER_CHARS: only the first this-many bytes of a header are decoded.
- MAX_HEADER_ENCODED_WORDS: RFC 2047 words after this many in one header stay as they are.
- MAX_HEADER_LINES: lines read from one header section; the rest are skipped.
- MAX_TEXT_CHARS: the text and the HTML body are each cut to this length.

Attachments are never decompressed or looked into, so a zip bomb is just bytes kept.
Every such cut is noted in ParsedMail.defects, in short English for the log.
"""

from __future__ import annotations

import binascii
import codecs
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.utils import getaddresses, parsedate_tz
from urllib.parse import unquote

from supportal.lib.mailtext import sanitize_email_html, text_of_sanitized_html

MAX_PARTS = 500
MAX_DEPTH = 30
MAX_HEADER_CHARS = 16_384
MAX_HEADER_ENCODED_WORDS = 1_000
MAX_HEADER_LINES = 10_000
MAX_TEXT_CHARS = 1_000_000
MAX_SUBJECT_CHARS = 998
MAX_FILENAME_CHARS = 255
MAX_DIAGNOSTIC_CHARS = 500
MAX_DEFECTS = 50


@dataclass(frozen=True)
class Address:
    name: str  # decoded display name, "" if none
    email: str  # lower-cased, stripped; "" if unparseable


@dataclass
class MailAttachment:
    filename: str  # decoded, never empty: a name made from the type when none was given
    content_type: str  # lower-case "type/subtype" as declared
    data: bytes
    content_id: str  # Content-ID without <>, "" if none
    inline: bool  # referenced from the HTML via cid:, or inline with a content id


@dataclass
class Bounce:
    recipients: list[str]  # lower-cased addresses that failed (or, for a complaint, complained)
    permanent: bool  # 5.x.x / failed -> True; 4.x.x / delayed -> False
    diagnostic: str  # short human-readable reason, at most MAX_DIAGNOSTIC_CHARS


@dataclass
class ParsedMail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: Address | None = None
    reply_to: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    recipients_hint: list[str] = field(default_factory=list)
    date: datetime | None = None
    text: str = ""
    html: str = ""
    remote_images_removed: bool = False
    attachments: list[MailAttachment] = field(default_factory=list)
    auto_kind: str = ""  # "", "auto_reply", "bounce", "complaint", "bulk" or "mailer_daemon"
    bounce: Bounce | None = None  # for auto_kind "bounce" and "complaint"
    is_spam: bool = False
    defects: list[str] = field(default_factory=list)
    size: int = 0


# --- charsets -------------------------------------------------------------------------------

# Declared names mapped to the codecs tried in order; supersets first, because mail labelled
# EUC-KR, GB2312 or Shift_JIS is nearly always written in Microsoft's extended code page.
_CHARSET_ALIASES: dict[str, tuple[str, ...]] = {
    "ksc56011987": ("cp949",),
    "ksc5601": ("cp949",),
    "ksc56011989": ("cp949",),
    "euckr": ("cp949",),
    "cseuckr": ("cp949",),
    "korean": ("cp949",),
    "cp949": ("cp949",),
    "uhc": ("cp949",),
    "windows949": ("cp949",),
    "gb2312": ("gb18030",),
    "csgb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "xgbk": ("gb18030",),
    "cp936": ("gb18030",),
    "windows936": ("gb18030",),
    "euccn": ("gb18030",),
    "xeuccn": ("gb18030",),
    "gb18030": ("gb18030",),
    "chinese": ("gb18030",),
    "shiftjis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932", "shift_jis_2004"),
    "xsjis": ("cp932", "shift_jis_2004"),
    "csshiftjis": ("cp932", "shift_jis_2004"),
    "mskanji": ("cp932", "shift_jis_2004"),
    "cp932": ("cp932", "shift_jis_2004"),
    "windows31j": ("cp932", "shift_jis_2004"),
    "xmscp932": ("cp932", "shift_jis_2004"),
    "eucjp": ("euc_jp", "euc_jis_2004"),
    "xeucjp": ("euc_jp", "euc_jis_2004"),
    "ujis": ("euc_jp", "euc_jis_2004"),
    "cp51932": ("euc_jp", "euc_jis_2004"),
    "iso2022jp": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "csiso2022jp": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "iso2022jp1": ("iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004"),
    "iso2022jp2": ("iso2022_jp_2", "iso2022_jp_2004"),
    "iso2022jp3": ("iso2022_jp_3", "iso2022_jp_2004"),
    "cp50220": ("iso2022_jp_ext", "iso2022_jp_2"),
    "cp50221": ("iso2022_jp_ext", "iso2022_jp_2"),
    "big5": ("big5hkscs", "cp950"),
    "csbig5": ("big5hkscs", "cp950"),
    "xxbig5": ("big5hkscs", "cp950"),
    "cnbig5": ("big5hkscs", "cp950"),
    "big5hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    # ISO-8859-1 labels are read as windows-1252, as browsers do: its 0x80-0x9F are printable
    # (curly quotes, euro sign) and real mail uses them far more than the C1 controls.
    "iso88591": ("cp1252", "latin_1"),
    "latin1": ("cp1252", "latin_1"),
    "l1": ("cp1252", "latin_1"),
    "cp819": ("cp1252", "latin_1"),
    "usascii": ("cp1252", "latin_1"),
    "ascii": ("cp1252", "latin_1"),
    "ansix341968": ("cp1252", "latin_1"),
    "windows1252": ("cp1252", "latin_1"),
    "cp1252": ("cp1252", "latin_1"),
    "utf8": ("utf_8",),
    "utf8mb4": ("utf_8",),
    "unicode11utf8": ("utf_8",),
}
_UNKNOWN_CHARSETS = frozenset({"", "unknown8bit", "xunknown", "unknown", "default", "none"})
_SINGLE_BYTE_PREFIXES = ("cp125", "iso8859", "latin", "koi8", "mac", "cp437", "cp85", "cp86")
_ASCII_INCOMPATIBLE_PREFIXES = ("utf_16", "utf_32", "utf_7", "iso2022", "hz")
# charset-normalizer chooses among these only: the charsets mail is written in, not EBCDIC.
_GUESS_CANDIDATES = [
    "utf_8", "cp1252", "iso8859_15", "cp1250", "iso8859_2", "cp1251", "koi8_r", "iso8859_5",
    "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "cp874", "cp949", "cp932",
    "euc_jp", "gb18030", "big5",
]  # fmt: skip


def _charset_codecs(name: str | None) -> tuple[tuple[str, ...], bool]:
    """(codecs to try, whether the name was known) for a declared charset name."""
    if name is None:
        return (), True
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    if key in _CHARSET_ALIASES:
        return _CHARSET_ALIASES[key], True
    if key in _UNKNOWN_CHARSETS:
        return (), True
    if key.startswith("3d") and key[2:] in _CHARSET_ALIASES:  # "charset=3Dutf-8" from bad QP
        return _CHARSET_ALIASES[key[2:]], True
    try:
        info = codecs.lookup(name.strip().strip("\"'"))
    except (LookupError, ValueError):
        return (), False
    if not getattr(info, "_is_text_encoding", True):
        return (), False  # base64, zlib, rot13 ...: bytes transforms, not charsets
    return (info.name.replace("-", "_"),), True


def _is_single_byte(codec: str) -> bool:
    return codec.startswith(_SINGLE_BYTE_PREFIXES)


def _guess_charset(data: bytes) -> str | None:
    # Imported here: it costs ~50 ms at import and is needed only for mislabelled mail.
    from charset_normalizer import from_bytes

    best = from_bytes(data[:65_536], cp_isolation=_GUESS_CANDIDATES).best()
    return None if best is None else best.encoding


def _utf8(data: bytes, *, cut: bool = False) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        # A value cut at a length limit may end inside a character.
        if cut and error.start >= len(data) - 3 and error.reason == "unexpected end of data":
            return data[: error.start].decode("utf-8", "replace")
        return None


def decode_text(
    data: bytes,
    charset: str | None,
    defects: list[str] | None = None,
    *,
    hint: str | None = None,
    short: bool = False,
) -> str:
    """Bytes in a declared (or missing, or wrong) charset to text, never raising.

    Declared charset strictly (through the aliases above); for single-byte labels, bytes that
    are valid UTF-8 are read as UTF-8 first (the commonest mislabelling); then UTF-8, a
    multi-byte hint (the message's body charset, for raw 8-bit headers), UTF-8 with a stray bad
    byte, a single-byte hint (headers only), charset-normalizer's guess, and at last the
    declared charset with replacement characters.
    """
    if not data:
        return ""
    chain, known = _charset_codecs(charset)
    if not known and defects is not None:
        defects.append(f"unknown charset {charset}")
    if data.isascii() and not (chain and chain[0].startswith(_ASCII_INCOMPATIBLE_PREFIXES)):
        if b"\x1b$" not in data and b"\x1b(" not in data:
            return data.decode("ascii")
        if not chain or not chain[0].startswith("iso2022"):
            chain = _CHARSET_ALIASES["iso2022jp"]  # 7-bit Japanese without its label
    tried: list[str] = []
    if chain and _is_single_byte(chain[0]) and not data.isascii():
        text = _utf8(data, cut=short)
        if text is not None:
            return text
        tried.append("utf_8")
    for codec in chain:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            tried.append(codec)
    hinted = _charset_codecs(hint)[0] if hint else ()
    text = _utf8(data, cut=short) if "utf_8" not in tried else None
    if text is not None:
        _note_misread(defects, charset, "utf_8", chain)
        return _undo_double_encoding(text, [*chain, *hinted])
    tried.append("utf_8")
    # A multi-byte hint first: raw Shift_JIS in a Subject of a Shift_JIS message. A single-byte
    # one (us-ascii, latin-1) reads any bytes, so it comes after the near-UTF-8 test.
    for codec in (c for c in hinted if c not in tried and not _is_single_byte(c)):
        text = _strict(data, codec)
        if text is not None:
            _note_misread(defects, charset, codec, chain)
            return text
        tried.append(codec)
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    if len(text) - len(text.encode("ascii", "ignore")) >= 11 * broken:
        # UTF-8 with a stray bad byte (a name cut mid-character by the sender's software).
        _note_misread(defects, charset, "utf_8", chain)
        return text
    for codec in (c for c in hinted if c not in tried):
        text = _strict(data, codec)
        if text is not None and short:
            return text
    guessed = None if short and len(data) < 8 else _guess_charset(data)
    codec = guessed or (chain[0] if chain else "cp1252")
    _note_misread(defects, charset, codec, chain)
    try:
        return data.decode(codec, "replace")
    except LookupError:
        return data.decode("cp1252", "replace")


def _undo_double_encoding(text: str, codecs_to_try: list[str | None]) -> str:
    """Text whose bytes in a CJK charset were once read as Latin-1 and written out as UTF-8
    ("¤j®a»¡" for "大家說"): the original, if one of the declared codecs reads it strictly."""
    letters = [ch for ch in text if not ch.isspace()]
    foreign = sum(1 for ch in letters if ch > "\x7f")
    if foreign < 4 or foreign * 10 < len(letters) * 3:
        return text
    try:
        original = text.encode("latin-1")
    except UnicodeEncodeError:
        return text
    for codec in codecs_to_try:
        if codec and codec != "utf_8" and not _is_single_byte(codec):
            repaired = _strict(original, codec)
            if repaired is not None:
                return repaired
    return text


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _note_misread(
    defects: list[str] | None, charset: str | None, codec: str, chain: tuple[str, ...]
) -> None:
    if defects is None:
        return
    if chain:
        defects.append(f"undecodable charset {charset}, read as {codec}")
    elif codec != "utf_8":
        defects.append(f"8-bit text without a usable charset, read as {codec}")


# --- headers --------------------------------------------------------------------------------

_FIELD_NAME = re.compile(rb"[!-9;-~]+")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?]*)\?=")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

Headers = list[tuple[str, bytes]]


def _read_headers(
    raw: bytes, start: int, end: int, defects: list[str], *, top: bool = False
) -> tuple[Headers, int]:
    """The header fields of the entity at raw[start:end] (names lower-cased, values unfolded
    and stripped) and the offset where its body starts."""
    headers: Headers = []
    pos = start
    if top and raw.startswith(b"From ", pos, end):  # an mbox separator line
        newline = raw.find(b"\n", pos, end)
        pos = end if newline < 0 else newline + 1
    name: str | None = None
    parts: list[bytes] = []
    size = 0
    body = end
    lines = 0
    while pos < end:
        newline = raw.find(b"\n", pos, end)
        line_end = end if newline < 0 else newline
        following = end if newline < 0 else newline + 1
        line = raw[pos:line_end].rstrip(b"\r")
        if not line:
            body = following
            break
        lines += 1
        if lines > MAX_HEADER_LINES:
            defects.append(f"more than {MAX_HEADER_LINES} header lines")
            blank = min((i for i in (raw.find(b"\n\n", pos, end), raw.find(b"\n\r\n", pos, end))
                         if i >= 0), default=-1)  # fmt: skip
            body = end if blank < 0 else raw.find(b"\n", blank + 1, end) + 1
            break
        if line[0] in b" \t":
            if name is not None and size < MAX_HEADER_CHARS * 2:
                parts.append(line)
                size += len(line)
        else:
            colon = line.find(b":")
            field_name = line[:colon].rstrip() if colon > 0 else b""
            if not field_name or not _FIELD_NAME.fullmatch(field_name):
                if name is not None:
                    defects.append("missing blank line after the headers")
                body = pos
                break
            if name is not None:
                headers.append((name, b"".join(parts).strip()))
            name = field_name.decode("ascii").lower()
            parts = [line[colon + 1 :]]
            size = len(parts[0])
        pos = following
    if name is not None:
        headers.append((name, b"".join(parts).strip()))
    return headers, body


def _get(headers: Headers, name: str) -> bytes | None:
    return next((value for key, value in headers if key == name), None)


def _get_all(headers: Headers, name: str) -> list[bytes]:
    return [value for key, value in headers if key == name]


def _header_text(value: bytes | None, hint: str | None = None) -> str:
    """A header value as text, 8-bit bytes decoded (RFC 2047 words not yet)."""
    if not value:
        return ""
    capped = value[:MAX_HEADER_CHARS]
    if capped.isascii():
        return capped.decode("ascii")
    return decode_text(capped, None, hint=hint, short=True)


def _base64(data: bytes) -> bytes:
    data = data.translate(None, _NOT_BASE64)
    extra = len(data) % 4
    if extra == 1:
        data = data[:-1]
    elif extra:
        data += b"=" * (4 - extra)
    return binascii.a2b_base64(data)


def decode_words(text: str, hint: str | None = None) -> str:
    """RFC 2047 encoded words decoded; adjacent words are joined before their charset is
    applied, since encoders split multi-byte characters across words."""
    if "=?" not in text:
        return text
    out: list[str] = []
    run: bytearray = bytearray()
    run_charset: str | None = None
    pos = 0
    previous_was_word = False

    def flush() -> None:
        nonlocal run, run_charset
        if run_charset is not None:
            out.append(decode_text(bytes(run), run_charset, hint=hint, short=True))
        run, run_charset = bytearray(), None

    for count, match in enumerate(_ENCODED_WORD.finditer(text)):
        if count >= MAX_HEADER_ENCODED_WORDS:
            break
        gap = text[pos : match.start()]
        if not (previous_was_word and not gap.strip()):
            flush()
            out.append(gap)
        charset = match.group(1).split("*", 1)[0]
        payload = match.group(3).encode("utf-8", "surrogateescape")
        try:
            if match.group(2) in "bB":
                decoded = _base64(payload)
            else:
                decoded = binascii.a2b_qp(payload, header=True)
        except (binascii.Error, ValueError):
            decoded = payload
        if run_charset is not None and run_charset.lower() != charset.lower():
            flush()
        run_charset = charset
        run += decoded
        pos = match.end()
        previous_was_word = True
    flush()
    out.append(text[pos:])
    return "".join(out)


def _clean_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _clean_email(value: str) -> str:
    address = value.strip().strip("<>\"' ").lower()
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or len(address) > 320
        or any(ch.isspace() or ch in "<>(),;[]\\" for ch in domain)
        or any(ch.isspace() or ch in "<>" or ord(ch) < 32 for ch in local)
    ):
        return ""
    return address


def _addresses(values: list[bytes], hint: str | None) -> list[Address]:
    texts = [_header_text(value, hint) for value in values if value]
    if not texts:
        return []
    found: list[Address] = []
    for text in texts:
        try:
            pairs = getaddresses([text])
        except (RecursionError, IndexError, ValueError, TypeError):
            pairs = []  # the stdlib parser recurses on nested comments: "(((((..."
        parsed = [(name, _clean_email(email)) for name, email in pairs if email]
        if not any(address for _, address in parsed):
            # Not RFC 5322 ("Big Bug bb@bug.com"): take what looks like an address.
            emails = _EMAIL_IN_TEXT.findall(text)
            rest = _EMAIL_IN_TEXT.sub(" ", text).strip(" <>\"',;")
            parsed = [(rest if len(emails) == 1 else "", _clean_email(e)) for e in emails]
        for name, address in parsed:
            if address:
                display = _clean_line(decode_words(name, hint)).strip("\"' ")
                found.append(Address(name=display, email=address))
    return found


def _message_ids(values: list[bytes]) -> list[str]:
    ids: list[str] = []
    for value in values:
        text = _header_text(value)
        tokens = re.findall(r"<([^<>]*)>", text)
        if not tokens:
            tokens = [token for token in re.split(r"[\s,]+", text) if "@" in token]
        for token in tokens:
            token = token.strip()
            if token and not any(ch.isspace() for ch in token) and token not in ids:
                ids.append(token[:998])
    return ids


def _parse_date(value: bytes | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_tz(_header_text(value)[:200])
    except (ValueError, IndexError, TypeError, OverflowError):
        return None
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    offset = parsed[9]
    try:
        zone = UTC if offset is None else timezone(timedelta(seconds=offset))
    except (ValueError, OverflowError):
        zone = UTC
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=zone)
    except (ValueError, OverflowError, TypeError):
        return None


# --- MIME structure -------------------------------------------------------------------------

_TRANSFER_ENCODINGS = {
    "7bit": "7bit", "7-bit": "7bit", "8bit": "8bit", "8-bit": "8bit", "binary": "8bit",
    "base64": "base64", "base-64": "base64", "quoted-printable": "qp", "x-uuencode": "uu",
    "uuencode": "uu", "x-uue": "uu", "uue": "uu",
}  # fmt: skip
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global", "message/news"})
_FALLBACK_NAMES = {
    "message/rfc822": "message.eml",
    "message/global": "message.eml",
    "message/news": "message.eml",
    "message/delivery-status": "delivery-status.txt",
    "message/global-delivery-status": "delivery-status.txt",
    "message/feedback-report": "feedback-report.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "text/rfc822-headers": "headers.txt",
    "application/ms-tnef": "winmail.dat",
    "application/vnd.ms-tnef": "winmail.dat",
    "application/pgp-signature": "signature.asc",
    "application/pkcs7-signature": "smime.p7s",
    "application/x-pkcs7-signature": "smime.p7s",
    "text/calendar": "invite.ics",
}
_EXTENSIONS = {
    "text/plain": ".txt", "text/html": ".html", "image/jpeg": ".jpg", "image/jpg": ".jpg",
    "image/pjpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
    "application/pdf": ".pdf", "application/octet-stream": ".bin", "application/zip": ".zip",
}  # fmt: skip
_BUILTIN_TYPES = mimetypes.MimeTypes()  # Python's own table, not the host's /etc/mime.types
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_CID_REFERENCE = re.compile(r"""cid:([^"'\s>)]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


def _fallback_name(content_type: str) -> str:
    if content_type in _FALLBACK_NAMES:
        return _FALLBACK_NAMES[content_type]
    extension = _EXTENSIONS.get(content_type) or _BUILTIN_TYPES.guess_extension(content_type)
    main = content_type.split("/", 1)[0]
    if not extension:
        extension = ".txt" if main == "text" else ".bin"
    return ("image" if main == "image" else "attachment") + extension


def _safe_filename(name: str) -> str:
    """Only the last path component, no control or bidi-override characters, <= 255 chars."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_UNSAFE_IN_NAME.sub("", name).split()).strip(" .")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME_CHARS - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def _split_multipart(
    raw: bytes, start: int, end: int, boundary: bytes
) -> tuple[list[tuple[int, int]], bool]:
    """Spans of the parts between delimiter lines "--boundary", and whether the closing
    delimiter was found. At most MAX_PARTS + 1 spans: the walk stops there anyway."""
    delimiter = re.compile(rb"--" + re.escape(boundary) + rb"(--)?[ \t]*\r?$", re.MULTILINE)
    spans: list[tuple[int, int]] = []
    part_start: int | None = None
    for match in delimiter.finditer(raw, start, end):
        found = match.start()
        if found > start and raw[found - 1] not in b"\r\n":
            continue  # not at the start of a line
        if part_start is not None:
            content_end = found
            if content_end > part_start and raw[content_end - 1] == 0x0A:
                content_end -= 1
            if content_end > part_start and raw[content_end - 1] == 0x0D:
                content_end -= 1
            spans.append((part_start, content_end))
            if len(spans) > MAX_PARTS:
                return spans, True  # the walk stops here and notes the truncation
        part_start = min(match.end() + 1, end)
        if match.group(1):
            return spans, True
    if part_start is not None:
        spans.append((part_start, end))
    return spans, False


def _guess_boundary(raw: bytes, start: int, end: int) -> bytes | None:
    match = re.search(
        rb"(?m)^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", raw[start : min(end, start + 65_536)]
    )
    return match.group(1) if match else None


def _uudecode(data: bytes) -> bytes:
    out = bytearray()
    inside = False
    for line in data.splitlines():
        if not inside:
            inside = line.startswith(b"begin ")
            continue
        if line.strip() in (b"end", b"`"):
            break
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            continue
    return bytes(out) if inside else data


@dataclass
class _Part:
    headers: Headers
    body_start: int
    end: int
    params: Message
    content_type: str


class _Walker:
    """Walks the MIME tree once, collecting the body, attachments and report parts."""

    def __init__(self, raw: bytes, defects: list[str]) -> None:
        self.raw = raw
        self.defects = defects
        self.parts = 0
        self.text: list[str] = []
        self.html: list[str] = []
        self.body_charset: str | None = None
        self.attachments: list[tuple[MailAttachment, str, str]] = []  # + disposition, parent
        self.content_types: set[str] = set()
        self.delivery_status: list[bytes] = []
        self.feedback_report: bytes | None = None
        self.original_headers: bytes | None = None
        self._noted: set[str] = set()

    def _note_once(self, defect: str) -> None:
        if defect not in self._noted:
            self._noted.add(defect)
            self.defects.append(defect)

    def _part(
        self, start: int, end: int, parent: str, top_headers: tuple[Headers, int] | None
    ) -> _Part:
        if top_headers is None:
            headers, body_start = _read_headers(self.raw, start, end, self.defects)
        else:
            headers, body_start = top_headers
        params = Message()
        if parent == "multipart/digest":
            params.set_default_type("message/rfc822")
        content_type = _get(headers, "content-type")
        disposition = _get(headers, "content-disposition")
        # The body charset, when known, is the best guess for raw 8-bit attachment names.
        if content_type:
            params["Content-Type"] = _header_text(content_type[:8192], self.body_charset)
        if disposition:
            params["Content-Disposition"] = _header_text(disposition[:8192], self.body_charset)
        return _Part(headers, body_start, end, params, params.get_content_type())

    def walk(
        self,
        start: int,
        end: int,
        depth: int = 0,
        parent: str = "",
        alternative: dict[str, bool] | None = None,
        top_headers: tuple[Headers, int] | None = None,
    ) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            self._note_once(f"truncated at {MAX_PARTS} parts")
            return
        part = self._part(start, end, parent, top_headers)
        self.content_types.add(part.content_type)
        if part.content_type.startswith("multipart/"):
            if depth >= MAX_DEPTH:
                self._note_once(f"nesting deeper than {MAX_DEPTH}")
                return
            boundary = (part.params.get_boundary() or "").encode("utf-8", "surrogateescape")
            spans, closed = (
                _split_multipart(self.raw, part.body_start, end, boundary)
                if boundary
                else ([], False)
            )
            if not spans:
                guessed = _guess_boundary(self.raw, part.body_start, end)
                if guessed:
                    spans, closed = _split_multipart(self.raw, part.body_start, end, guessed)
                self._note_once("broken boundary" if boundary else "multipart without boundary")
            if not spans:
                self._leaf(part, "text/plain", parent, alternative)
                return
            if not closed:
                self._note_once("missing final boundary")
            if part.content_type == "multipart/alternative":
                alternative = {}
            for child_start, child_end in spans:
                self.walk(child_start, child_end, depth + 1, part.content_type, alternative)
                if self.parts > MAX_PARTS:
                    self._note_once(f"truncated at {MAX_PARTS} parts")
                    return
            return
        self._leaf(part, part.content_type, parent, alternative)

    def _payload(self, part: _Part, limit: int | None = None) -> bytes:
        encoding_value = _header_text(_get(part.headers, "content-transfer-encoding"))
        token = re.match(r"\s*([A-Za-z0-9-]*)", encoding_value)
        name = token.group(1).lower() if token else ""
        encoding = _TRANSFER_ENCODINGS.get(name, "8bit")
        if name and name not in _TRANSFER_ENCODINGS:
            self._note_once(f"unknown transfer encoding {name[:40]}")
        end = part.end
        if limit is not None:
            end = min(end, part.body_start + limit * 3)
        data = self.raw[part.body_start : end]
        try:
            if encoding == "base64":
                data = _base64(data)
            elif encoding == "qp":
                data = binascii.a2b_qp(data)
            elif encoding == "uu":
                data = _uudecode(data)
        except (binascii.Error, ValueError):
            self._note_once(f"undecodable {encoding} content")
        return data if limit is None else data[:limit]

    def _leaf(
        self, part: _Part, content_type: str, parent: str, alternative: dict[str, bool] | None
    ) -> None:
        params = part.params
        disposition = params.get_content_disposition() or ""
        filename = self._filename(params)
        if (
            content_type in ("text/plain", "text/html")
            and disposition != "attachment"
            and not filename
        ):
            if alternative is not None:
                if alternative.get(content_type):
                    return  # a second rendition of the same kind: the first one wins
                alternative[content_type] = True
            self._body(part, content_type)
            return
        if (
            alternative is not None
            and content_type.startswith("text/")
            and content_type != "text/calendar"
            and disposition != "attachment"
            and not filename
        ):
            return  # text/enriched, text/watch-html: other renditions of the body
        data = self._payload(part)
        if content_type == "message/delivery-status":
            self.delivery_status.append(data)
        elif content_type == "message/feedback-report":
            self.feedback_report = data
        elif (
            content_type in ("message/rfc822", "text/rfc822-headers")
            and parent == "multipart/report"
            and self.original_headers is None
        ):
            self.original_headers = data
        if not filename and content_type in _MESSAGE_TYPES:
            inner, _ = _read_headers(data, 0, len(data), [])
            subject = _clean_line(decode_words(_header_text(_get(inner, "subject"))))
            filename = _safe_filename(subject[:150].translate(str.maketrans('/\\:*?"<>|', "_" * 9)))
            filename = f"{filename}.eml" if filename else ""
        content_id = _clean_line(_header_text(_get(part.headers, "content-id"))).strip("<> ")
        attachment = MailAttachment(
            filename=filename or _fallback_name(content_type),
            content_type=content_type,
            data=data,
            content_id=content_id[:998],
            inline=False,
        )
        self.attachments.append((attachment, disposition, parent))

    def _filename(self, params: Message) -> str:
        value = params.get_param("filename", header="content-disposition")
        if not value:
            value = params.get_param("name")
        if not value:
            return ""
        if isinstance(value, tuple):  # RFC 2231: (charset, language, text)
            charset, _, text = value
            raw = text.encode("raw-unicode-escape")
            name = decode_text(raw, charset or None, hint=self.body_charset, short=True)
        else:
            name = value.strip('"')
        return _safe_filename(decode_words(name, self.body_charset))

    def _body(self, part: _Part, content_type: str) -> None:
        data = self._payload(part, limit=MAX_TEXT_CHARS * 4)
        charset = part.params.get_param("charset")
        if isinstance(charset, tuple):
            charset = charset[2]
        if not charset and content_type == "text/html":
            meta = _META_CHARSET.search(data[:4096])
            charset = meta.group(1).decode("ascii") if meta else None
        if charset and self.body_charset is None:
            self.body_charset = charset
        text = decode_text(data, charset, self.defects)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            self._note_once(f"body truncated at {MAX_TEXT_CHARS} characters")
        if content_type == "text/plain":
            if (part.params.get_param("format") or "").lower() == "flowed":
                delsp = (part.params.get_param("delsp") or "").lower() == "yes"
                text = _unflow(text, delete_space=delsp)
            self.text.append(text)
        else:
            self.html.append(text)


def _unflow(text: str, *, delete_space: bool) -> str:
    """RFC 3676 format=flowed: soft line breaks (a trailing space) joined again."""
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if paragraph and depth != paragraph_depth:
            out.append(
                ">" * paragraph_depth + (" " if paragraph_depth else "") + "".join(paragraph)
            )
            paragraph = []
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delete_space:
            content = content[:-1]
        paragraph.append(content)
        paragraph_depth = depth
        if not flowed:
            out.append(">" * depth + (" " if depth else "") + "".join(paragraph))
            paragraph = []
    if paragraph:
        out.append(">" * paragraph_depth + (" " if paragraph_depth else "") + "".join(paragraph))
    return "\n".join(out)


# --- noise: bounces, complaints, auto-replies -----------------------------------------------

_STATUS_CODE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
_SMTP_CODE = re.compile(r"\b([45])\d\d[ -]")
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery (?:has )?failed|"
    r"mail delivery failed|returned mail|failure notice|could not be delivered|non-?delivery|"
    r"delivery failure|delayed mail|delivery delayed|could not send message|mail system error|"
    r"delivery notification|not delivered|rejected",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"delay|warning|still being retried|will retry", re.IGNORECASE)
_AUTO_SUBJECT = re.compile(
    r"^(?:auto:|automatic reply|autoreply|auto-reply|auto reply|auto response"
    r"|out of (?:the )?office|자동 ?회신|自動応答|自動返信|自动回复|自動回覆|abwesenheitsnotiz"
    r"|réponse automatique|respuesta automática|risposta automatica)",
    re.IGNORECASE,
)
_DAEMONS = frozenset({"mailer-daemon", "postmaster", "noreply-dsn", "mail-daemon"})
_DAEMON_IN_FROM = re.compile(
    r"(?:^|[\s<\"])(?:mailer-daemon|postmaster|noreply-dsn)(?:@|[\s>\"]|$)", re.IGNORECASE
)
_ORIGINAL_MARKER = re.compile(
    r"^-+ ?(?:original message|this is a copy|below this line)|original message follows|"
    r"^-+ ?(?:undelivered|returned) message",
    re.IGNORECASE | re.MULTILINE,
)
_EMAIL_IN_TEXT = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")


def _fields(text: str) -> list[dict[str, str]]:
    """Blocks of "Name: value" fields (DSN, ARF), names lower-cased, values unfolded."""
    blocks: list[dict[str, str]] = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        current: dict[str, str] = {}
        last = ""
        for line in block.split("\n"):
            if line[:1] in (" ", "\t") and last:
                current[last] += " " + line.strip()
            elif ":" in line:
                name, _, value = line.partition(":")
                last = name.strip().lower()
                current.setdefault(last, value.strip())
        if current:
            blocks.append(current)
    return blocks


def _short(text: str) -> str:
    return _clean_line(text)[:MAX_DIAGNOSTIC_CHARS]


def _dsn_bounce(reports: list[bytes]) -> Bounce | None:
    recipients: list[str] = []
    permanent = False
    diagnostic = ""
    for report in reports:
        for block in _fields(decode_text(report[:MAX_TEXT_CHARS], None)):
            recipient = block.get("final-recipient") or block.get("original-recipient")
            action = block.get("action", "").lower()
            if recipient is None and not action:
                continue
            if action.startswith(("delivered", "relayed", "expanded")):
                continue
            status = _STATUS_CODE.search(block.get("status", ""))
            if action.startswith("delayed"):
                failed_for_good = False
            elif status is not None:
                failed_for_good = status.group(1) == "5"
            else:
                failed_for_good = action.startswith("failed")
            permanent = permanent or failed_for_good
            address = _clean_email((recipient or "").rpartition(";")[2])
            if address and address not in recipients:
                recipients.append(address)
            if not diagnostic:
                code = block.get("diagnostic-code", "")
                diagnostic = code.partition(";")[2] if ";" in code else code
                diagnostic = diagnostic or " ".join(
                    x for x in (action, block.get("status", "")) if x
                )
    if not recipients and not diagnostic:
        return None
    return Bounce(recipients=recipients, permanent=permanent, diagnostic=_short(diagnostic))


def _text_bounce(text: str, subject: str, failed: list[str], own: set[str]) -> Bounce:
    """Best effort for bounces that are not DSNs: addresses and codes from the text."""
    marker = _ORIGINAL_MARKER.search(text)
    report = text[: marker.start()] if marker else text
    recipients = [address for address in failed if address]
    for scope in (report, text):
        if recipients:
            break
        for candidate in _EMAIL_IN_TEXT.findall(scope[:100_000]):
            address = _clean_email(candidate)
            local = address.partition("@")[0]
            if address and address not in own and local not in _DAEMONS:
                if address not in recipients:
                    recipients.append(address)
                if len(recipients) >= 20:
                    break
    status = _STATUS_CODE.search(report) or _SMTP_CODE.search(report)
    if _DELAY_SUBJECT.search(subject):
        permanent = False
    elif status is not None:
        permanent = status.group(1) == "5"
    else:
        permanent = not re.search(r"temporar|will (?:be )?retr", report, re.IGNORECASE)
    diagnostic = subject
    for line in report.split("\n"):
        if _STATUS_CODE.search(line) or _SMTP_CODE.search(line):
            diagnostic = line
            break
    return Bounce(recipients=recipients, permanent=permanent, diagnostic=_short(diagnostic))


def _complaint(walker: _Walker, hint: str | None) -> Bounce:
    fields = _fields(decode_text((walker.feedback_report or b"")[:65_536], None))
    report = fields[0] if fields else {}
    recipients = [
        address for address in (_clean_email(report.get("original-rcpt-to", "")),) if address
    ]
    if not recipients and walker.original_headers:
        original, _ = _read_headers(walker.original_headers, 0, len(walker.original_headers), [])
        recipients = [address.email for address in _addresses(_get_all(original, "to"), hint)]
    kind = report.get("feedback-type", "abuse") or "abuse"
    agent = report.get("user-agent", "")
    diagnostic = f"complaint: {kind}" + (f" ({agent})" if agent else "")
    return Bounce(recipients=recipients, permanent=True, diagnostic=_short(diagnostic))


def _classify(
    headers: Headers,
    walker: _Walker,
    top_type: Message,
    sender: Address | None,
    subject: str,
    text: str,
    own: set[str],
) -> tuple[str, Bounce | None]:
    report_type = str(top_type.get_param("report-type") or "").lower()
    local = sender.email.partition("@")[0] if sender else ""
    # "From: MAILER-DAEMON (Mail Delivery System)" has no domain, so no sender address.
    from_daemon = local in _DAEMONS or bool(
        _DAEMON_IN_FROM.search(_header_text(_get(headers, "from")))
    )
    if report_type == "delivery-status" or "message/delivery-status" in walker.content_types:
        bounce = _dsn_bounce(walker.delivery_status)
        if bounce is None or not bounce.recipients:
            failed = [a.email for a in _addresses(_get_all(headers, "x-failed-recipients"), None)]
            fallback = _text_bounce(text, subject, failed, own)
            if bounce is None:
                bounce = fallback
            else:
                bounce.recipients = fallback.recipients
        return "bounce", bounce
    if from_daemon and _BOUNCE_SUBJECT.search(subject):
        failed = [a.email for a in _addresses(_get_all(headers, "x-failed-recipients"), None)]
        return "bounce", _text_bounce(text, subject, failed, own)
    if report_type == "feedback-report" or walker.feedback_report is not None:
        return "complaint", _complaint(walker, None)
    if (
        report_type == "disposition-notification"
        or "message/disposition-notification" in walker.content_types
    ):
        return "auto_reply", None
    auto_submitted = _header_text(_get(headers, "auto-submitted")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply", None
    # X-Auto-Response-Suppress is not read: it asks others not to auto-reply (Exchange sets it
    # on ordinary mail too, and so do we), it does not mark a message as automatic.
    precedence = _header_text(_get(headers, "precedence")).strip().lower()
    if (
        _get(headers, "x-autoreply") is not None
        or _get(headers, "x-autorespond") is not None
        or _header_text(_get(headers, "x-autogenerated")).strip().lower() == "reply"
        or precedence == "auto_reply"
        or _AUTO_SUBJECT.match(subject)
    ):
        return "auto_reply", None
    if (
        precedence in ("bulk", "junk", "list")
        or _get(headers, "list-id") is not None
        or _get(headers, "list-unsubscribe") is not None
    ):
        return "bulk", None
    if from_daemon:
        return "mailer_daemon", None
    return "", None


# --- the message ----------------------------------------------------------------------------


def parse_message(raw: bytes) -> ParsedMail:
    """Never raises for any input (fuzz it): a malformed message gives what could be read."""
    try:
        return _parse(bytes(raw))
    except Exception as error:  # the contract: whatever the input, the caller gets a result
        return ParsedMail(defects=[f"unreadable message ({type(error).__name__})"], size=len(raw))


def _parse(raw: bytes) -> ParsedMail:
    defects: list[str] = []
    headers, body_start = _read_headers(raw, 0, len(raw), defects, top=True)
    walker = _Walker(raw, defects)
    walker.walk(0, len(raw), top_headers=(headers, body_start))
    hint = walker.body_charset

    top_type = Message()
    if content_type := _get(headers, "content-type"):
        top_type["Content-Type"] = _header_text(content_type[:8192])

    senders = _addresses(_get_all(headers, "from")[:1], hint)
    sender = senders[0] if senders else None
    subject = _clean_line(decode_words(_header_text(_get(headers, "subject"), hint), hint))
    to = _addresses(_get_all(headers, "to"), hint)
    cc = _addresses(_get_all(headers, "cc"), hint)

    raw_html = "\n".join(walker.html)
    html, remote_images = sanitize_email_html(raw_html) if raw_html.strip() else ("", False)
    text = "\n\n".join(part for part in walker.text if part.strip())
    if not text and html:
        text = text_of_sanitized_html(html)
    text = text[:MAX_TEXT_CHARS]

    references = set()
    for match in _CID_REFERENCE.finditer(raw_html[:MAX_TEXT_CHARS]):
        references.add(unquote(match.group(1)).strip("<>"))
    attachments = []
    for attachment, disposition, parent in walker.attachments:
        if attachment.content_id:
            attachment.inline = (
                attachment.content_id in references
                or disposition == "inline"
                or (parent == "multipart/related" and disposition != "attachment")
            )
        attachments.append(attachment)

    hints: list[str] = []
    for name in ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to"):
        for address in _addresses(_get_all(headers, name), hint):
            if address.email not in hints:
                hints.append(address.email)

    own = {address.email for address in [*to, *cc, *senders]}
    auto_kind, bounce = _classify(headers, walker, top_type, sender, subject, text, own)
    spam_flag = _header_text(_get(headers, "x-spam-flag")).strip().lower()
    spam_status = _header_text(_get(headers, "x-spam-status")).strip().lower()

    unique_defects = list(dict.fromkeys(defects))[:MAX_DEFECTS]
    return ParsedMail(
        message_id=next(iter(_message_ids(_get_all(headers, "message-id")[:1])), ""),
        in_reply_to=_message_ids(_get_all(headers, "in-reply-to")),
        references=_message_ids(_get_all(headers, "references")),
        subject=subject[:MAX_SUBJECT_CHARS],
        sender=sender,
        reply_to=_addresses(_get_all(headers, "reply-to"), hint),
        to=to,
        cc=cc,
        recipients_hint=hints,
        date=_parse_date(_get(headers, "date")),
        text=text,
        html=html,
        remote_images_removed=remote_images,
        attachments=attachments,
        auto_kind=auto_kind,
        bounce=bounce,
        is_spam=spam_flag == "yes" or spam_status.startswith("yes"),
        defects=unique_defects,
        size=len(raw),
    )
