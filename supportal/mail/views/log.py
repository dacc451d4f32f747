"""Admin pages: the mail log (every inbound message and its fate) and one message in it."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supportal.accounts.access import admin_required
from supportal.core.downloads import FILE_CSP
from supportal.mail.access import get_inbound_for
from supportal.mail.forms import MailLogFilterForm
from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.views.pages import crumbs, keyset_page, page_links

# What a row of the list shows; the rest of the row (parts, detail) stays in the database.
LIST_COLUMNS = (
    "id",
    "received_at",
    "mailbox__address",
    "sender",
    "subject",
    "fate",
    "reason",
    "ticket_id",
)


def _explain(inbound: InboundEmail) -> InboundEmail:
    from supportal.mail.services import REASONS

    inbound.reason_text = REASONS.get(inbound.reason, inbound.reason)  # type: ignore[attr-defined]
    return inbound


def _processed_message(inbound: InboundEmail) -> str:
    fate = inbound.get_fate_display()
    if inbound.ticket_id:
        return _("Processed again: %(fate)s (request #%(number)d).") % {
            "fate": fate,
            "number": inbound.ticket_id,
        }
    return _("Processed again: %(fate)s.") % {"fate": fate}


@admin_required
@require_GET
def log(request: HttpRequest) -> HttpResponse:
    mailboxes = list(Mailbox.objects.only("id", "address"))
    form = MailLogFilterForm(request.GET, mailboxes=mailboxes)
    form.is_valid()  # an invalid filter is shown with its error and not applied
    wanted = {name: form.cleaned_data.get(name) for name in ("fate", "mailbox", "sender")}
    rows = InboundEmail.objects.select_related("mailbox").only(*LIST_COLUMNS)
    if wanted["fate"]:
        rows = rows.filter(fate=wanted["fate"])
    if wanted["mailbox"]:
        rows = rows.filter(mailbox_id=wanted["mailbox"])
    if wanted["sender"]:
        rows = rows.filter(sender=wanted["sender"])
    page = keyset_page(rows, request)
    for row in page.rows:
        _explain(row)
    context = {
        "form": form,
        "page": page,
        "filtered": any(wanted.values()),
        "crumbs": crumbs((_("Mail log"), None)),
        **page_links(request, page, wanted),
    }
    return render(request, "mail/log.html", context)


@admin_required
@require_GET
def log_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = _explain(get_inbound_for(request, pk))
    title = inbound.subject or _("(no subject)")
    context = {
        "inbound": inbound,
        "crumbs": crumbs((_("Mail log"), reverse("mail:log")), (title, None)),
    }
    return render(request, "mail/log_detail.html", context)


@admin_required
@require_GET
def log_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The original message as received, for a mail program to open: never shown inline."""
    inbound = get_inbound_for(request, pk)
    if not inbound.raw:
        raise Http404
    try:
        handle = inbound.raw.open("rb")
    except OSError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"message-{inbound.pk}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, no-store"
    return response


@admin_required
@require_POST
def log_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    inbound = get_inbound_for(request, pk)
    if inbound.can_reprocess:
        from supportal.mail.services import inbound_reprocess

        inbound = inbound_reprocess(inbound=inbound, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _processed_message(inbound))
    else:
        messages.error(request, _("Only failed, rejected or held messages can be processed again."))
    return HttpResponseRedirect(reverse("mail:log_detail", args=[inbound.pk]))
