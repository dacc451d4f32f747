"""Admin settings: the support addresses (mailboxes) and how their mail reaches us."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import admin_required
from supportal.mail import settings_services
from supportal.mail.access import get_mailbox_for
from supportal.mail.forms import MailboxForm
from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.views.pages import crumbs

FORM_TEMPLATE = "mail/mailbox_form.html"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _form(request: HttpRequest, mailbox: Mailbox | None) -> MailboxForm:
    data = request.POST if request.method == "POST" else None
    return MailboxForm(data, mailbox=mailbox, initial=MailboxForm.initial_for(mailbox))


def _form_context(mailbox: Mailbox | None, form: MailboxForm, **extra: Any) -> dict[str, Any]:
    title = mailbox.address if mailbox else _("New support address")
    context: dict[str, Any] = {
        "mailbox": mailbox,
        "form": form,
        "crumbs": crumbs((_("Support addresses"), reverse("mail:mailboxes")), (title, None)),
        "test_url": reverse("mail:mailbox_test", args=[mailbox.pk] if mailbox else []),
        "test_result": None,
        **extra,
    }
    # The secret is kept encrypted; after a lost key it cannot be shown, only replaced.
    token = mailbox.inbound_token if mailbox is not None else ""
    if mailbox is not None and mailbox.delivery == Mailbox.Delivery.HTTP and token:
        path = reverse("mail_inbound", args=[token])
        context["inbound_url"] = f"{settings.SITE_URL}{path}"
    return context


@admin_required
@require_GET
def mailboxes(request: HttpRequest) -> HttpResponse:
    rows = list(Mailbox.objects.select_related("group").defer("imap_password_encrypted"))
    for row in rows:
        # The short name ("IMAP") fits the table; the form explains each way at length.
        row.delivery_name = InboundEmail.Source(row.delivery).label  # type: ignore[attr-defined]
    heading = _("Support addresses")
    context = {"heading": heading, "rows": rows, "crumbs": crumbs((heading, None))}
    return render(request, "mail/mailboxes.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    mailbox = get_mailbox_for(request, pk) if pk else None
    form = _form(request, mailbox)
    if form.is_bound and form.is_valid():
        password = form.cleaned_data["imap_password"]
        try:
            saved = settings_services.mailbox_save(
                mailbox=mailbox, password=password, **form.service_fields()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The support address has been saved."))
            if saved.delivery == Mailbox.Delivery.IMAP:
                return HttpResponseRedirect(reverse("mail:mailboxes"))
            # The page shows the address or command to configure at the mail service.
            return HttpResponseRedirect(reverse("mail:mailbox_edit", args=[saved.pk]))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, FORM_TEMPLATE, _form_context(mailbox, form), status=status)


@admin_required
@require_POST
def mailbox_test(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Tries the IMAP values in the form as they are, saved or not; saves nothing."""
    mailbox = get_mailbox_for(request, pk) if pk else None
    form = _form(request, mailbox)
    if form.imap_valid():
        from supportal.mail.imap import imap_test

        problem = imap_test(form.unsaved_mailbox())
        ok = not problem
        message = problem or _("The server, the sign-in and the folder all work.")
    else:
        ok = False
        message = _("Fill in the IMAP server, port, user name and password first.")
    result = {"ok": ok, "message": message}
    if _is_htmx(request):
        return render(request, "mail/_test_result.html", {"test_result": result})
    return render(request, FORM_TEMPLATE, _form_context(mailbox, form, test_result=result))


@admin_required
@require_POST
def mailbox_token(request: HttpRequest, pk: int) -> HttpResponse:
    mailbox = get_mailbox_for(request, pk)
    settings_services.mailbox_new_token(mailbox=mailbox)
    messages.success(
        request,
        _(
            "The inbound address has a new secret. The old address no longer works: "
            "update it at your mail service."
        ),
    )
    return HttpResponseRedirect(reverse("mail:mailbox_edit", args=[mailbox.pk]))
