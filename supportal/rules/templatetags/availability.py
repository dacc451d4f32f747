"""The agents' availability switch in the page header, rendered with the page."""

from __future__ import annotations

from typing import Any

from django import template

from supportal.rules.models import Availability
from supportal.rules.routing_forms import AvailabilityForm

register = template.Library()

# The agent's availability as this session last saw it: the header's switch is rendered with the
# page from it (no query); htmx then asks once whether it changed elsewhere (another browser).
SESSION_KEY = "availability"


@register.inclusion_tag("rules/_availability_header.html", takes_context=True)
def availability_switch(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    known = request.session.get(SESSION_KEY, Availability.OFFLINE)
    return {
        "form": AvailabilityForm(initial={"availability": known}),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


def remember(request: Any, availability: str) -> None:
    """Keeps what the switch shows for this session's next page."""
    if request.session.get(SESSION_KEY) != availability:
        request.session[SESSION_KEY] = availability
