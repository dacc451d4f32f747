"""The request page's suggestions (supportal/tickets/suggestions.py): suggested articles,
similar requests and possible duplicates. The page loads them with htmx after its first paint
(the index and the model stay out of the page's own time); without JavaScript the page links
here and the same panels come as a page of their own."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportal.accounts.access import agent_required_hidden
from supportal.tickets import suggestions
from supportal.tickets.access import get_ticket_for
from supportal.tickets.views.agent_ticket import _view_key


@agent_required_hidden
@require_GET
def ticket_suggestions(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    context = {
        "ticket": ticket,
        "view": _view_key(request),
        "suggestions": suggestions.for_ticket(request.user, ticket),
        "inline": request.headers.get("HX-Request") == "true",
    }
    if context["inline"]:
        return render(request, "tickets/agent/_suggestions.html", context)
    return render(request, "tickets/agent/suggestions.html", context)
