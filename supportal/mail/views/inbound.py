"""The HTTP way in: a mail service (SendGrid Inbound Parse "raw", Mailgun, Postmark, our own
relay) posts each message to /mail/inbound/<secret>.

The secret in the URL is the credential (Mailbox.inbound_token); there is no session, so no
CSRF. Answers are small JSON documents for the sender's logs. The message is stored and
processed before we answer 202, so a 2xx means it is safe in our database; 503 tells the sender
to try again later, and nothing here answers 500.
"""

from __future__ import annotations

import binascii
import logging
from base64 import b64decode
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.http import parse_header_parameters
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from supportal.accounts.access import public
from supportal.core import ratelimit
from supportal.mail.access import get_inbound_mailbox
from supportal.mail.models import InboundEmail

logger = logging.getLogger(__name__)

PATH_PREFIX = "/mail/inbound/"
RAW_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# The fields a message may come in, in the order we look: SendGrid's raw mode, Mailgun's MIME
# routes, and a plain file upload.
MESSAGE_FIELDS = ("email", "body-mime", "message")
# A form carries a few small fields besides the message (envelope, spam report, ...).
FORM_ALLOWANCE = 1024 * 1024


def message_limit() -> int:
    return settings.MAIL_MAX_MB * 1024 * 1024


def body_limit() -> int:
    """The largest request body this endpoint reads (RequestSizeLimitMiddleware allows it)."""
    return message_limit() + FORM_ALLOWANCE


class _RefusedError(Exception):
    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _answer(status: int, **content: object) -> JsonResponse:
    response = JsonResponse(content, status=status)
    if status == 503:
        response["Retry-After"] = "60"
    return response


def _senders(request: HttpRequest, token: str) -> list[str]:
    """Counted per mailbox secret and per client address (which also slows down guessing)."""
    return [f"inbound:{token}", f"address:{ratelimit.client_address(request)}"]


def _too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    # Nothing was read or stored: mail services retry a 4xx other than 406/403 (Mailgun,
    # Postmark) or any non-2xx (SendGrid) later, so the message is delayed, not lost.
    response = _answer(429, error="too many requests")
    response["Retry-After"] = str(seconds)
    return response


def form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """The fields of a form body by name, byte for byte (the first of each name).

    Django's parser would decode text fields to str (a raw message in an 8-bit charset such as
    EUC-KR would not survive) and hold them to DATA_UPLOAD_MAX_MEMORY_SIZE, not MAIL_MAX_MB.
    """
    kind, params = parse_header_parameters(content_type)
    fields: dict[str, bytes] = {}
    if kind == "application/x-www-form-urlencoded":
        for pair in body.split(b"&"):
            name, _eq, value = pair.partition(b"=")
            key = unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
            fields.setdefault(key, unquote_to_bytes(value.replace(b"+", b" ")))
        return fields
    boundary = params.get("boundary", "")
    if not boundary:
        return fields
    # Each delimiter is CRLF "--" boundary; the CRLF before it belongs to it, not to the part.
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        chunk = chunk.partition(b"\r\n")[2]  # the rest of the delimiter line
        head, _sep, content = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, _colon, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        field = parse_header_parameters(headers.get("content-disposition", ""))[1].get("name")
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            try:
                content = b64decode(content)
            except (binascii.Error, ValueError):
                continue
        if field:
            fields.setdefault(field, content)
    return fields


def _raw_message(request: HttpRequest) -> bytes:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > body_limit():
        raise _RefusedError(413, "too large")
    body = request.read(body_limit() + 1)
    if len(body) > body_limit():
        raise _RefusedError(413, "too large")
    if not body or body.isspace():
        raise _RefusedError(400, "empty")
    content_type = request.META.get("CONTENT_TYPE", "")
    kind = parse_header_parameters(content_type)[0]
    if kind in FORM_TYPES:
        fields = form_fields(content_type, body)
        body = next((fields[name] for name in MESSAGE_FIELDS if fields.get(name)), b"")
    elif kind not in RAW_TYPES:
        raise _RefusedError(415, "unsupported content type")
    if not body or body.isspace():
        raise _RefusedError(400, "empty")
    if len(body) > message_limit():
        raise _RefusedError(413, "too large")
    return body


@public
@csrf_exempt
@require_POST
@ratelimit.rate_limit("inbound", key=_senders, respond=_too_many)
def inbound(request: HttpRequest, token: str) -> HttpResponse:
    from supportal.mail.services import mail_ingest

    mailbox = None
    try:
        mailbox = get_inbound_mailbox(token)
        raw = _raw_message(request)
        inbound = mail_ingest(raw=raw, mailbox=mailbox, source=InboundEmail.Source.HTTP)
    except Http404:
        return _answer(404, error="not found")
    except _RefusedError as refused:
        return _answer(refused.status, error=refused.error)
    except Exception:
        # The database or the storage is down (or a bug): the sender keeps the message and
        # tries again, which is better than a 500 it may treat as final.
        logger.exception("inbound email for mailbox %s not stored", getattr(mailbox, "pk", "-"))
        return _answer(503, error="unavailable")
    status = 200 if getattr(inbound, "duplicate", False) else 202
    return _answer(status, id=inbound.pk, fate=inbound.fate)
