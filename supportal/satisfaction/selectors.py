"""Reading ratings: what an agent may see, and the report's figures (computed in the database)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from supportal.accounts.models import User
from supportal.satisfaction.models import Rating, Score
from supportal.tickets.models import Ticket

GOOD = Q(score=Score.GOOD)


def rating_for(ticket: Ticket) -> Rating | None:
    return Rating.objects.filter(ticket_id=ticket.pk).first()


def ratings_visible_to(user: User) -> QuerySet[Rating]:
    """The ratings of the requests `user` may see (the same rules as the requests)."""
    if user.is_admin:
        return Rating.objects.all()
    return Rating.objects.filter(ticket__in=Ticket.objects.visible_to(user).values("pk"))


@dataclass(frozen=True)
class Filters:
    start: datetime.datetime  # inclusive
    end: datetime.datetime  # exclusive
    score: str = ""
    group_id: int | None = None
    assignee_id: int | None = None


def filtered(ratings: QuerySet[Rating], filters: Filters) -> QuerySet[Rating]:
    ratings = ratings.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.score:
        ratings = ratings.filter(score=filters.score)
    if filters.group_id:
        ratings = ratings.filter(group_id=filters.group_id)
    if filters.assignee_id:
        ratings = ratings.filter(assignee_id=filters.assignee_id)
    return ratings


@dataclass(frozen=True)
class Share:
    """Good ratings out of all ratings, for everyone or one agent or group."""

    label: str
    good: int
    total: int

    @property
    def bad(self) -> int:
        return self.total - self.good

    @property
    def percent(self) -> int | None:
        """CSAT: the share of good ratings, rounded; None without ratings."""
        return round(100 * self.good / self.total) if self.total else None


def _share(label: str, row: dict[str, Any]) -> Share:
    return Share(label=label, good=row["good"] or 0, total=row["total"] or 0)


@dataclass(frozen=True)
class Summary:
    overall: Share
    by_agent: list[Share]
    by_group: list[Share]


def summary(ratings: QuerySet[Rating], *, no_agent: str, no_group: str) -> Summary:
    """Three aggregate queries, whatever the number of ratings, agents and groups."""
    counts = {"total": Count("id"), "good": Count("id", filter=GOOD)}
    overall = ratings.order_by().aggregate(**counts)
    agents = (
        ratings.order_by()
        .values("assignee_id", "assignee__name", "assignee__email")
        .annotate(**counts)
        .order_by(F("assignee__name").asc(nulls_last=True), "assignee_id")
    )
    groups = (
        ratings.order_by()
        .values("group_id", "group__name")
        .annotate(**counts)
        .order_by(F("group__name").asc(nulls_last=True), "group_id")
    )
    return Summary(
        overall=_share("", overall),
        by_agent=[
            _share(row["assignee__name"] or row["assignee__email"] or no_agent, row)
            for row in agents
        ],
        by_group=[_share(row["group__name"] or no_group, row) for row in groups],
    )
