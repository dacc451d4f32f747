"""SLA on agent pages: the inbox's next target (from the row's joined TicketSla, no query) and
the request page's clocks (one query), so the tickets views stay as they are."""

from __future__ import annotations

from typing import Any

from django import template

from supportal.sla import display

register = template.Library()


@register.simple_tag
def sla_next(ticket: Any) -> display.Clock | None:
    return display.next_clock(ticket)


@register.simple_tag
def ticket_sla_clocks(ticket: Any) -> display.TicketClocks:
    return display.ticket_clocks(ticket)
