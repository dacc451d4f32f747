"""Agents' phone pages: log a call on a request, and a new request from a call."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from supportal.accounts.access import agent_required, agent_required_hidden
from supportal.phone import services
from supportal.phone.forms import CallForm, CallRequestForm
from supportal.tickets import selectors
from supportal.tickets.access import get_ticket_for
from supportal.tickets.models import Ticket
from supportal.tickets.views.agent_ticket import conversation_context, page_context


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _view_key(request: HttpRequest) -> str:
    key = request.GET.get("view", "")
    return key if selectors.is_view_key(key) else "open"


def _ticket_url(ticket: Ticket, view: str) -> str:
    return f"{reverse('agent:ticket', args=[ticket.pk])}?view={view}"


@agent_required_hidden
@require_POST
def call_log(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    form = CallForm(request.POST)
    logged = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.call_log(
                ticket=ticket,
                actor=request.user,  # type: ignore[arg-type]
                direction=data["direction"],
                number=data["number"],
                outcome=data["outcome"],
                duration=data["duration"],
                notes=data["notes"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            logged = True
    view = _view_key(request)
    if not _is_htmx(request):
        if logged:
            messages.success(request, _("The call has been logged."))
            return HttpResponseRedirect(_ticket_url(ticket, view))
        context = page_context(request, ticket, call_form=form)
        return render(request, "tickets/agent/ticket.html", context, status=400)
    # htmx swaps only successful answers: the fragment carries the errors with a 200; a logged
    # call brings a blank form and the conversation with the call in it (out of band).
    context: dict[str, Any] = {"ticket": ticket, "view": view, "call_form": form}
    if logged:
        context.update(
            call_form=CallForm(initial={"number": data["number"]}),
            call_logged=True,
            oob=True,
            conflict_ids=set(),
            **conversation_context(ticket),
        )
    return render(request, "phone/_call_logged.html", context)


@agent_required
@require_http_methods(["GET", "POST"])
def call_request_new(request: HttpRequest) -> HttpResponse:
    """A new request from a call: the caller found by number, or by the email given."""
    form = CallRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.ticket_create_from_call(
                number=data["number"],
                actor=request.user,  # type: ignore[arg-type]
                direction=data["direction"],
                outcome=data["outcome"],
                subject=data["subject"],
                duration=data["duration"],
                notes=data["notes"],
                email=data["email"],
                name=data["name"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            ticket = made.ticket
            messages.success(
                request,
                _("Request #%(number)d has been made from the call.") % {"number": ticket.pk},
            )
            if not Ticket.objects.visible_to(request.user).filter(pk=ticket.pk).exists():
                # A routing rule put it in a group the agent is not in.
                return HttpResponseRedirect(reverse("agent:inbox"))
            return HttpResponseRedirect(_ticket_url(ticket, "open"))
    context = {
        "form": form,
        "crumbs": [(_("Inbox"), reverse("agent:inbox")), (_("New request from a call"), None)],
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "phone/call_request_new.html", context, status=status)
