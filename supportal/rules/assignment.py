"""Automatic assignment within a group: round-robin among its available agents.

The agent who has waited longest since automatic assignment last gave them a request gets the
next one; agents away, offline or at the group's cap of open requests are skipped and keep
their place, so being skipped costs them nothing. The group's GroupRouting row is locked while
choosing, so two requests arriving together never go to the same agent by a race.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from supportal.accounts.models import User
from supportal.rules.models import AgentStatus, Availability, GroupRouting
from supportal.tickets.models import Channel, Ticket


def candidates(group_id: int) -> list[User]:
    """The group's available agents in the order they would get the next request."""
    routing = GroupRouting.objects.filter(group_id=group_id, round_robin=True).first()
    if routing is None:
        return []
    agents = (
        User.objects.filter(
            ticket_groups=group_id,
            is_active=True,
            status__availability=Availability.AVAILABLE,
        )
        .select_related("status")
        .annotate(
            open_count=Count(
                "assigned_requests", filter=Q(assigned_requests__is_open=True), distinct=True
            )
        )
    )
    if routing.max_open is not None:
        agents = agents.filter(open_count__lt=routing.max_open)
    epoch = datetime.min.replace(tzinfo=timezone.get_current_timezone())

    def waited(agent: User) -> tuple[datetime, int]:
        return (agent.status.last_assigned_at or epoch, agent.pk)

    return sorted(agents, key=waited)


def choose(group_id: int) -> User | None:
    """The agent who gets the group's next request, marked as just served; None when the group
    does not assign automatically or nobody is available. Call inside a transaction."""
    # Locks the group's row: two requests arriving together are served one after the other.
    locked = GroupRouting.objects.select_for_update().filter(group_id=group_id).first()
    if locked is None or not locked.round_robin:
        return None
    queue = candidates(group_id)
    if not queue:
        return None
    agent = queue[0]
    AgentStatus.objects.filter(pk=agent.pk).update(last_assigned_at=timezone.now())
    return agent


def assign_next(ticket: Ticket) -> User | None:
    """Gives `ticket` to the next agent of its group, if the group assigns automatically and
    someone is available; the assignment is an event via "assignment:<group id>"."""
    from supportal.tickets.services import Changes, ticket_update

    if ticket.group_id is None:
        return None
    agent = choose(ticket.group_id)
    if agent is not None:
        ticket_update(
            ticket=ticket,
            actor=None,
            changes=Changes(assignee=agent),
            channel=Channel.SYSTEM,
            via=f"assignment:{ticket.group_id}",
        )
    return agent


def availability_set(*, user: User, availability: str) -> AgentStatus:
    status, _created = AgentStatus.objects.get_or_create(user=user)
    if status.availability != availability:
        status.availability = availability
        status.changed_at = timezone.now()
        status.save(update_fields=["availability", "changed_at"])
        if availability == Availability.AVAILABLE:
            # Visitors waiting in the chat queue go to the agent who just became available.
            from supportal.chat.services import assign_waiting

            assign_waiting()
    return status


def availability_of(user: User) -> str:
    row = AgentStatus.objects.filter(pk=user.pk).values_list("availability", flat=True).first()
    return row or Availability.OFFLINE


# The agent's availability as this session last saw it: the header's switch is rendered with the
# page from it (no query, `rules/templatetags/availability.py`); htmx then asks once whether it
# changed elsewhere (another browser).
SESSION_KEY = "availability"


def availability_shown(session: Any) -> str:
    return session.get(SESSION_KEY, Availability.OFFLINE)


def remember_shown(session: Any, availability: str) -> None:
    """Keeps what the switch shows for this session's next page."""
    if session.get(SESSION_KEY) != availability:
        session[SESSION_KEY] = availability
