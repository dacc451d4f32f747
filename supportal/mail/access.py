"""Lookups for the email views: 404 for anything the caller may not open.

Support addresses and the mail log are admin pages (the decorator checks the role), so these
only turn a missing row into a 404; the inbound lookup checks the secret in the URL.
"""

from __future__ import annotations

import secrets

from django.http import Http404, HttpRequest

from supportal.core import crypto
from supportal.mail.models import InboundEmail, Mailbox

# The mail log's detail page shows everything but the stored conversation parts.
_HEAVY = ("html", "quoted_text", "quoted_html")


def get_mailbox_for(request: HttpRequest, pk: int) -> Mailbox:
    mailbox = Mailbox.objects.select_related("group").filter(pk=pk).first()
    if mailbox is None or not request.user.is_admin:  # type: ignore[union-attr]
        raise Http404
    return mailbox


def get_inbound_for(request: HttpRequest, pk: int) -> InboundEmail:
    inbound = InboundEmail.objects.select_related("mailbox").defer(*_HEAVY).filter(pk=pk).first()
    if inbound is None or not request.user.is_admin:  # type: ignore[union-attr]
        raise Http404
    return inbound


def get_spam_for(request: HttpRequest, pk: int) -> InboundEmail | None:
    """A message agents may release: one still marked as spam, else None (already released).

    Spam has made no request yet, so there is no group to scope it by: every agent sees the
    spam of every support address.
    """
    if not request.user.is_agent:  # type: ignore[union-attr]
        raise Http404
    inbound = InboundEmail.objects.defer(*_HEAVY).filter(pk=pk).first()
    if inbound is None:
        raise Http404
    return inbound if inbound.can_release else None


def get_inbound_mailbox(token: str) -> Mailbox:
    """The active HTTP mailbox whose secret is `token`; 404 for anything else.

    The token is the credential; only its SHA-256 is looked up (Mailbox.inbound_token_hash),
    through the unique index, then compared in constant time."""
    if not token or len(token) > 64:
        raise Http404
    digest = crypto.hash_token(token)
    mailbox = Mailbox.objects.filter(
        inbound_token_hash=digest, delivery=Mailbox.Delivery.HTTP, active=True
    ).first()
    if mailbox is None or not secrets.compare_digest(
        mailbox.inbound_token_hash.encode(), digest.encode()
    ):
        raise Http404
    return mailbox
