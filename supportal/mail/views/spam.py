"""The spam folder for agents: messages marked as spam, and "Not spam" to process them.

Spam has made no request yet, so there is no group to scope it by: every agent sees the spam
of every support address.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supportal.accounts.access import agent_required
from supportal.mail.access import get_spam_for
from supportal.mail.models import InboundEmail
from supportal.mail.views.pages import crumbs, keyset_page, page_links

COLUMNS = ("id", "received_at", "mailbox__address", "sender", "subject", "fate")


def _released_message(inbound: InboundEmail) -> str:
    number = {"number": inbound.ticket_id}
    if inbound.fate == InboundEmail.Fate.CREATED and inbound.ticket_id:
        return _("Moved out of spam: it became request #%(number)d.") % number
    if inbound.fate == InboundEmail.Fate.APPENDED and inbound.ticket_id:
        return _("Moved out of spam: it was added to request #%(number)d.") % number
    return _("Moved out of spam: %(fate)s.") % {"fate": inbound.get_fate_display()}


@agent_required
@require_GET
def spam(request: HttpRequest) -> HttpResponse:
    rows = (
        InboundEmail.objects.filter(fate=InboundEmail.Fate.SPAM)
        .select_related("mailbox")
        .only(*COLUMNS)
    )
    page = keyset_page(rows, request)
    context = {"page": page, "crumbs": crumbs((_("Spam"), None)), **page_links(request, page, {})}
    return render(request, "mail/spam.html", context)


@agent_required
@require_POST
def spam_release(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = get_spam_for(request, pk)
    if inbound is None:
        messages.info(request, _("That message is no longer marked as spam."))
    else:
        from supportal.mail.services import inbound_release

        inbound = inbound_release(inbound=inbound, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _released_message(inbound))
    return HttpResponseRedirect(reverse("mail:spam"))
