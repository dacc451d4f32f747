"""The agents' availability switch in the page header, rendered with the page (no query)."""

from __future__ import annotations

from typing import Any

from django import template

from supportal.rules.assignment import availability_shown
from supportal.rules.routing_forms import AvailabilityForm

register = template.Library()


@register.inclusion_tag("rules/_availability_header.html", takes_context=True)
def availability_switch(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    return {
        "form": AvailabilityForm(initial={"availability": availability_shown(request.session)}),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
