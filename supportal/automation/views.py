"""Macros: the settings pages (an agent's own, an admin's shared ones) and applying one to a
request (preview, then apply)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import agent_required, agent_required_hidden
from supportal.automation import services
from supportal.automation.access import get_macro_to_manage, get_macro_to_use
from supportal.automation.forms import ApplyForm, MacroFilterForm, MacroForm
from supportal.automation.models import Macro
from supportal.tickets import selectors
from supportal.tickets.access import get_ticket_for
from supportal.tickets.models import Message, Ticket


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _crumbs(title: str | None = None) -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = [(_("Inbox"), reverse("agent:inbox"))]
    crumbs.append((_("Macros"), reverse("automation:macros") if title else None))
    if title:
        crumbs.append((title, None))
    return crumbs


# --- Settings ----------------------------------------------------------------------------------


@agent_required
@require_GET
def macros(request: HttpRequest) -> HttpResponse:
    filters = MacroFilterForm(request.GET)
    rows = Macro.objects.manageable_by(request.user).select_related("group")
    context = {
        "rows": list(filters.filter(rows).order_by("title", "pk")),
        "filters": filters,
        "filtered": any(request.GET.get(name) for name in filters.fields),
        "crumbs": _crumbs(),
    }
    return render(request, "automation/macros.html", context)


@agent_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    macro = get_macro_to_manage(request, pk) if pk else None
    initial = MacroForm.initial_for(macro) if macro else {}
    data = request.POST if request.method == "POST" else None
    form = MacroForm(data, actor=request.user, macro=macro, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            services.macro_save(macro=macro, actor=request.user, **form.save_kwargs())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The macro has been saved."))
            return HttpResponseRedirect(reverse("automation:macros"))
    title = macro.title if macro else _("New macro")
    context = {
        "form": form,
        "macro": macro,
        "crumbs": _crumbs(title),
        "placeholders": services.PLACEHOLDERS,
        "article_placeholder": services.ARTICLE_PLACEHOLDER,
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "automation/macro_form.html", context, status=status)


@agent_required_hidden
@require_http_methods(["GET", "POST"])
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    macro = get_macro_to_manage(request, pk)
    if request.method == "POST":
        services.macro_delete(macro=macro, actor=request.user)
        messages.success(request, _("The macro “%(title)s” has been deleted.") % {"title": macro})
        return HttpResponseRedirect(reverse("automation:macros"))
    context = {"macro": macro, "crumbs": _crumbs(macro.title)}
    return render(request, "automation/macro_delete.html", context)


@agent_required_hidden
@require_POST
def macro_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    macro = get_macro_to_manage(request, pk)
    services.macro_set_active(macro=macro, actor=request.user, active=not macro.active)
    if macro.active:
        messages.success(request, _("The macro “%(title)s” is active.") % {"title": macro})
    else:
        messages.success(request, _("The macro “%(title)s” is inactive.") % {"title": macro})
    return HttpResponseRedirect(reverse("automation:macros"))


# --- On a request ------------------------------------------------------------------------------


def _view(request: HttpRequest) -> str:
    key = request.GET.get("view", "")
    return key if selectors.is_view_key(key) else "open"


def _latest_message(ticket: Ticket) -> int:
    return (
        Message.objects.filter(ticket=ticket).order_by("-pk").values_list("pk", flat=True).first()
        or 0
    )


def _preview(
    request: HttpRequest,
    ticket: Ticket,
    macro: Macro,
    form: ApplyForm,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    preview = services.macro_preview(macro=macro, ticket=ticket, actor=request.user)
    attrs = form.fields["body"].widget.attrs
    attrs["lang"] = preview.language or preview.wanted_language
    if not extra:  # straight into the text; a warning is read first
        attrs["autofocus"] = True
    context = {
        "ticket": ticket,
        "macro": macro,
        "preview": preview,
        "form": form,
        "view": _view(request),
        "crumbs": [
            (_("Inbox"), selectors.view_url(_view(request))),
            (f"#{ticket.pk}", f"{reverse('agent:ticket', args=[ticket.pk])}?view={_view(request)}"),
            (macro.title, None),
        ],
        **extra,
    }
    template = "automation/_preview.html" if _is_htmx(request) else "automation/preview.html"
    return render(request, template, context, status=status)


@agent_required_hidden
@require_GET
def macro_preview(request: HttpRequest, number: int) -> HttpResponse:
    """The chosen macro filled in for this request; nothing is written."""
    ticket = get_ticket_for(request, number)
    macro = get_macro_to_use(request, request.GET.get("macro", ""))
    preview = services.macro_preview(macro=macro, ticket=ticket, actor=request.user)
    seen = request.GET.get("seen", "")
    initial = {
        "body": preview.body,
        "kind": "public" if preview.public else "note",
        "seen": int(seen) if seen.isdigit() else _latest_message(ticket),
        "events": services.latest_event(ticket),
    }
    return _preview(request, ticket, macro, ApplyForm(ticket=ticket, initial=initial))


@agent_required_hidden
@require_POST
def macro_apply(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    macro = get_macro_to_use(request, pk)
    form = ApplyForm(request.POST, ticket=ticket)
    if not form.is_valid():
        return _preview(request, ticket, macro, form, 400)
    newer, changed = form.newer(request.user)
    if newer or changed:
        # Someone wrote or changed the request meanwhile: show the new state, keep the text.
        data = request.POST.copy()
        data["seen"], data["events"] = (
            str(_latest_message(ticket)),
            str(services.latest_event(ticket)),
        )
        data["confirm"] = "1"
        form = ApplyForm(data, ticket=ticket)
        form.is_valid()
        return _preview(request, ticket, macro, form, 409, conflict=newer, changed=changed)
    try:
        services.macro_apply(
            macro=macro,
            ticket=ticket,
            actor=request.user,
            body=form.cleaned_data["body"],
            public=form.public,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _preview(request, ticket, macro, form, 400)
    messages.success(request, _("The macro “%(title)s” has been applied.") % {"title": macro})
    if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
        messages.info(
            request, _("Request #%(number)d is no longer in your groups.") % {"number": ticket.pk}
        )
        return HttpResponseRedirect(selectors.view_url(_view(request)))
    return HttpResponseRedirect(
        f"{reverse('agent:ticket', args=[ticket.pk])}?view={_view(request)}"
    )
