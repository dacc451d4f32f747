"""What the email pages share: breadcrumbs and newest-first keyset pages of the mail log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from supportal.mail.models import InboundEmail
from supportal.tickets.selectors import Sort, decode_cursor, encode_cursor

PAGE_SIZE = 50
# The order every mail-log index serves (received_at, id), newest first.
RECEIVED = Sort(
    "received", InboundEmail._meta.get_field("received_at").verbose_name, ("received_at", "id")
)


def crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Inbox"), reverse("agent:inbox")), *trail]


@dataclass
class Page:
    rows: list[InboundEmail]
    older: str | None = None  # cursor for the next page down the list
    newer: str | None = None  # cursor for the page above
    sort: Sort = RECEIVED


def _beyond(values: tuple[Any, ...], *, older: bool) -> Q:
    """Rows after (`older`) or before the cursor; the leading bound lets the index scan start
    at the cursor on both databases."""
    op = "lt" if older else "gt"
    at, pk = values
    return Q(**{f"received_at__{op}e": at}) & (
        Q(**{f"received_at__{op}": at}) | Q(received_at=at, **{f"id__{op}": pk})
    )


def keyset_page(queryset: QuerySet[InboundEmail], request: HttpRequest) -> Page:
    """One page of `queryset`, newest first, from the cursor in ?after= or ?before=: no
    OFFSET and no COUNT, so page 20,000 costs what the first does."""
    after = decode_cursor(request.GET.get("after"), RECEIVED)
    before = None if after else decode_cursor(request.GET.get("before"), RECEIVED)
    if before is not None:
        rows = list(
            queryset.filter(_beyond(before, older=False)).order_by("received_at", "id")[
                : PAGE_SIZE + 1
            ]
        )
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE][::-1]
            return Page(rows, encode_cursor(rows[-1], RECEIVED), encode_cursor(rows[0], RECEIVED))
        after = None  # back at the top: a whole first page rather than a short one
    if after is not None:
        queryset = queryset.filter(_beyond(after, older=True))
    rows = list(queryset.order_by("-received_at", "-id")[: PAGE_SIZE + 1])
    older = encode_cursor(rows[PAGE_SIZE - 1], RECEIVED) if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    newer = None
    if after is not None:
        newer = encode_cursor(rows[0], RECEIVED) if rows else request.GET.get("after")
    return Page(rows, older, newer)


def page_links(request: HttpRequest, page: Page, keep: dict[str, Any]) -> dict[str, str]:
    """Newer/older URLs that keep the filters."""
    keep = {name: value for name, value in keep.items() if value not in (None, "")}
    links = {}
    if page.newer:
        links["newer_url"] = f"{request.path}?{urlencode({**keep, 'before': page.newer})}"
    if page.older:
        links["older_url"] = f"{request.path}?{urlencode({**keep, 'after': page.older})}"
    return links
