"""Request search for agents and customers: subject, conversation, requester name and email,
and ticket number.

Text goes through the help center's analysis (supportal.lib.textanalysis), so "refunds" finds
"refund" and Korean, Japanese and Chinese match as they do in the help center. The analysed terms
of a ticket are one space-separated string in TicketSearch; SQLite matches them through an FTS5
table kept in step by triggers (migration 0002), PostgreSQL through a stored tsvector column
`vector` = array_to_tsvector(terms) with a GIN index (migration 0003). Every term must
match; newest tickets come first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet

from supportal.accounts.models import User, normalize_email
from supportal.lib import textanalysis
from supportal.tickets import vectors
from supportal.tickets.models import Message, Ticket, TicketCC, TicketSearch

MAX_QUERY_TERMS = 16
FTS_TABLE = "tickets_search_fts"
_NUMBER = re.compile(r"^\s*#?\s*(\d{1,12})\s*$")
_EMAIL = re.compile(r"^\s*([^@\s]+@[^@\s]+\.[^@\s]+)\s*$")


def _encode(term: str) -> str:
    # Korean morphemes are marked "~" by the analyser; both engines split on "~", so the
    # marker becomes a leading "0", which no other term of Hangul letters can start with.
    return "0" + term[1:] if term.startswith("~") else term


def analyze(text: str) -> list[str]:
    return [_encode(term) for term in textanalysis.analyze(text)]


def ticket_terms(ticket: Ticket, messages: Iterable[str]) -> str:
    requester = ticket.requester
    parts = [ticket.subject, requester.name, requester.email, *messages]
    seen: dict[str, None] = {}
    for part in parts:
        for term in analyze(part):
            seen.setdefault(term, None)
    return " ".join(seen)


def index_ticket(ticket: Ticket) -> None:
    """(Re)writes a ticket's terms; call inside the transaction that changed it."""
    bodies = Message.objects.filter(ticket=ticket).order_by("pk").values_list("body", flat=True)
    terms = ticket_terms(ticket, bodies)
    TicketSearch.objects.update_or_create(ticket=ticket, defaults={"terms": terms})


def index_new_ticket(ticket: Ticket, description: str) -> None:
    """The terms of a ticket just made, whose one message is `description`: one insert, no
    reads (email ingestion makes requests by the hundred a second)."""
    TicketSearch.objects.create(ticket=ticket, terms=ticket_terms(ticket, [description]))
    vectors.changed([ticket.pk])


def query_number(query: str) -> int | None:
    match = _NUMBER.match(query)
    return int(match.group(1)) if match else None


def matching(queryset: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """`queryset` narrowed to the tickets matching every term of `query` (or its number)."""
    number = query_number(query)
    if number is not None:
        return queryset.filter(pk=number)
    email = _EMAIL.match(query)
    if email:
        # An address is a person: their requests and those they are CC'd on. As words, its
        # domain parts match nearly every request and PostgreSQL walked them all (11 s).
        # The ids are read first (two index lookups): as subqueries in an OR, PostgreSQL
        # scanned every request instead (0.25 s).
        people = list(
            User.objects.filter(email=normalize_email(email.group(1))).values_list("pk", flat=True)
        )
        copied = list(
            TicketCC.objects.filter(user__in=people).values_list("ticket_id", flat=True)[:1000]
        )
        return queryset.filter(Q(requester__in=people) | Q(pk__in=copied))
    terms = list(dict.fromkeys(analyze(query)))[:MAX_QUERY_TERMS]
    if not terms:
        return queryset.none()
    if connection.vendor == "postgresql":
        tsquery = " & ".join(
            "'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms
        )
        ids = TicketSearch.objects.extra(
            where=["vector @@ %s::tsquery"],
            params=[tsquery],
        ).values("ticket_id")
    else:
        match = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        ids = TicketSearch.objects.extra(  # noqa: S610 - the query is a bound parameter
            where=[f"ticket_id IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"],  # noqa: S608
            params=[match],
        ).values("ticket_id")
    return queryset.filter(pk__in=ids)
