"""Shared helpers for the inbox tests (no tests of its own)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone

from supportal.accounts.models import User
from supportal.test import Personas, make_ticket
from supportal.tickets.models import SavedView, Status, Ticket
from supportal.tickets.services import Changes, ticket_update


@dataclass
class World:
    """Requests in every state the built-in views tell apart."""

    support_new: Ticket  # Support group, unassigned
    billing_new: Ticket  # Billing group, unassigned
    no_group: Ticket  # no group, unassigned
    mine: Ticket  # Support, assigned to the agent
    billing_mine: Ticket  # Billing, but assigned to the agent (so the agent sees it)
    kenji: Ticket  # Billing, assigned to the other agent
    pending: Ticket  # Support, pending, unassigned
    solved: Ticket  # Support, solved just now
    closed: Ticket  # no group, closed just now
    solved_long_ago: Ticket  # Support, solved ten days ago


def set_status(ticket: Ticket, status: str, actor: User) -> Ticket:
    ticket_update(ticket=ticket, actor=actor, changes=Changes(status=status))
    ticket.refresh_from_db()
    return ticket


def assign(ticket: Ticket, assignee: User | None, actor: User) -> Ticket:
    ticket_update(ticket=ticket, actor=actor, changes=Changes(assignee=assignee))
    ticket.refresh_from_db()
    return ticket


def build_world(p: Personas) -> World:
    customer = p.customer
    world = World(
        support_new=make_ticket(customer, "Printer on fire", group=p.support),
        billing_new=make_ticket(customer, "Invoice twice", group=p.billing),
        no_group=make_ticket(p.outsider, "Where is my parcel"),
        mine=assign(make_ticket(customer, "VPN drops", group=p.support), p.agent, p.admin),
        billing_mine=assign(
            make_ticket(customer, "Refund please", group=p.billing), p.agent, p.admin
        ),
        kenji=assign(
            make_ticket(customer, "Card declined", group=p.billing), p.other_agent, p.admin
        ),
        pending=set_status(
            make_ticket(customer, "Waiting on logs", group=p.support), Status.PENDING, p.admin
        ),
        solved=set_status(
            make_ticket(customer, "Password reset", group=p.support), Status.SOLVED, p.admin
        ),
        closed=set_status(make_ticket(p.outsider, "Old question"), Status.CLOSED, p.admin),
        solved_long_ago=set_status(
            make_ticket(customer, "Ancient issue", group=p.support), Status.SOLVED, p.admin
        ),
    )
    long_ago = timezone.now() - timedelta(days=10)
    Ticket.objects.filter(pk=world.solved_long_ago.pk).update(solved_at=long_ago)
    return world


def numbers(response: HttpResponse) -> list[int]:
    """The request numbers the inbox table shows, top to bottom."""
    return [int(n) for n in re.findall(r'class="inbox-number">#(\d+)<', response.content.decode())]


def page_link(response: HttpResponse, rel: str) -> str | None:
    """The "Older" (rel=next) or "Newer" (rel=prev) link of a list page."""
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def saved_view(owner: User | None, name: str = "VIP", **conditions: object) -> SavedView:
    return SavedView.objects.create(name=name, owner=owner, conditions=conditions)


def inbox_urls(saved: SavedView) -> dict[str, list[str]]:
    """Every inbox URL, by the method it answers."""
    return {
        "GET": [
            "/en/agent/",
            "/en/agent/views/mine",
            "/en/agent/views/unassigned",
            "/en/agent/views/open",
            "/en/agent/views/pending",
            "/en/agent/views/solved",
            f"/en/agent/views/saved/{saved.pk}",
            "/en/agent/views/new",
            f"/en/agent/views/saved/{saved.pk}/edit",
            "/en/agent/counts",
            "/en/agent/search?q=printer",
        ],
        "POST": [
            "/en/agent/views/new",
            f"/en/agent/views/saved/{saved.pk}/edit",
            f"/en/agent/views/saved/{saved.pk}/delete",
            "/en/agent/bulk",
        ],
    }
