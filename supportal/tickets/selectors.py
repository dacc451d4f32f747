"""Permission-aware reads for the agent inbox: views, keyset pages, capped counts, search.

Every list is `Ticket.objects.visible_to(user)` narrowed by a view's conditions and walked in
one of the orders the Ticket indexes serve, newest first. Pages are keyset pages: a cursor is
the sort values of a row and its number, so a deep page costs what the first one does (no
OFFSET), and no page query counts rows. The sidebar's counts stop at INBOX_COUNT_LIMIT + 1 rows
and are kept for a minute in the shared cache.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from supportal.accounts.models import User, normalize_email
from supportal.tickets import search as ticket_search
from supportal.tickets.models import (
    UNSOLVED,
    Priority,
    SavedView,
    Status,
    Ticket,
    TicketFieldValue,
    TicketTag,
)

PAGE_SIZE = 50
SOLVED_DAYS = 7
DATE_KEYS = ("created_after", "created_before", "updated_after", "updated_before")
COUNT_SECONDS = 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_ID = 2**63 - 1


# --- Sorts and cursors -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    """A newest-first order: every field descending, the number last to break ties; or, with
    `earliest_first`, every field ascending (the next SLA breach first). `rule` narrows the
    rows the order can place (the next-breach order lists only requests with a due time)."""

    key: str
    label: Promise
    fields: tuple[str, ...]
    earliest_first: bool = False
    rule: Q = field(default_factory=Q)

    @property
    def descending(self) -> list[str]:
        return [f"-{name}" for name in self.fields]

    @property
    def ascending(self) -> list[str]:
        return list(self.fields)

    @property
    def order(self) -> list[str]:
        """The list's order, top first."""
        return self.ascending if self.earliest_first else self.descending

    @property
    def reverse_order(self) -> list[str]:
        return self.descending if self.earliest_first else self.ascending


SORTS: dict[str, Sort] = {
    "updated": Sort("updated", gettext_lazy("Last updated"), ("updated_at", "id")),
    "created": Sort("created", gettext_lazy("Date created"), ("created_at", "id")),
    "priority": Sort(
        "priority", pgettext_lazy("ticket field", "Priority"), ("priority", "updated_at", "id")
    ),
    "number": Sort("number", gettext_lazy("Number"), ("id",)),
    # Served by the partial index ticket_sla_next_idx (next_due_at, ticket): the tie-break is
    # the TicketSla's own ticket_id (equal to the number) so the index serves the whole ORDER BY.
    "next_breach": Sort(
        "next_breach",
        gettext_lazy("Next breach"),
        ("sla__next_due_at", "sla__ticket_id"),
        earliest_first=True,
        rule=Q(sla__next_due_at__isnull=False),
    ),
}
SOLVED_SORT = Sort("solved", gettext_lazy("Date solved"), ("solved_at", "id"))
# SavedView.sort's default names the ordering; older rows may hold these spellings.
_SORT_ALIASES = {"-updated_at": "updated", "-created_at": "created", "-priority": "priority"}


def sort_named(key: str | None) -> str:
    """A known sort key for `key` (saved views may hold an ordering), else "updated"."""
    key = _SORT_ALIASES.get(key or "", key or "")
    return key if key in SORTS else "updated"


def _to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        return None
    return number if -_MAX_ID <= number <= _MAX_ID else None


def encode_cursor(row: Ticket, sort: Sort) -> str:
    """The row's place in `sort`: its sort values and number, as digits and dots."""
    parts = []
    for name in sort.fields:
        value: Any = row
        for step in name.split("__"):  # "sla__next_due_at": a joined row's field
            value = getattr(value, step)
        if isinstance(value, datetime):
            value = (value - _EPOCH) // timedelta(microseconds=1)
        parts.append(str(value))
    return ".".join(parts)


def decode_cursor(text: str | None, sort: Sort) -> tuple[Any, ...] | None:
    """The values encode_cursor wrote, or None for anything malformed."""
    if not text:
        return None
    parts = text.split(".")
    if len(parts) != len(sort.fields):
        return None
    values: list[Any] = []
    for name, part in zip(sort.fields, parts, strict=True):
        number = _to_int(part)
        if number is None:
            return None
        if name.endswith("_at"):
            try:
                values.append(_EPOCH + timedelta(microseconds=number))
            except OverflowError:
                return None
        else:
            values.append(number)
    return tuple(values)


def _keyset_q(sort: Sort, values: Sequence[Any], *, older: bool) -> Q:
    """Rows after (`older`) or before `values` in `sort`.

    The leading bound repeats the first comparison so that both databases start the index
    scan at the cursor instead of filtering from the top.
    """
    op = "lt" if older != sort.earliest_first else "gt"
    first = sort.fields[0]
    rule = Q()
    for index, name in enumerate(sort.fields):
        equal = {sort.fields[i]: values[i] for i in range(index)}
        rule |= Q(**equal, **{f"{name}__{op}": values[index]})
    return Q(**{f"{first}__{op}e": values[0]}) & rule


# --- Views -------------------------------------------------------------------------------------


@dataclass
class InboxView:
    key: str  # "mine", ... or "saved-12"
    name: str
    rule: Q
    sort: Sort
    personal: bool  # the rows depend on who looks, even for admins
    saved: SavedView | None = None
    version: str = ""  # changes when a saved view's conditions do, for the count cache

    @property
    def url(self) -> str:
        return view_url(self.key)

    def sorts(self) -> list[Sort]:
        return [SOLVED_SORT] if self.key == "solved" else list(SORTS.values())

    def sort_for(self, key: str | None) -> Sort:
        return next((sort for sort in self.sorts() if sort.key == key), self.sort)


BUILTIN_VIEWS: dict[str, Promise] = {
    "mine": gettext_lazy("My open requests"),
    "unassigned": gettext_lazy("Unassigned"),
    "open": gettext_lazy("All open"),
    "pending": gettext_lazy("Pending"),
    "solved": gettext_lazy("Recently solved"),
    "breaching": gettext_lazy("SLA breaching in the next hour"),
}
BREACHING_WITHIN = timedelta(hours=1)


# SQLite reads a bare `WHERE is_open` (what is_open=True becomes) as no index term, so it
# cannot walk (is_open, updated_at, id) in order; "IN (true)" is an equality on both databases.
IS_OPEN = Q(is_open__in=[True])


def builtin_view(user: User, key: str) -> InboxView | None:
    updated = SORTS["updated"]
    if key == "mine":
        return InboxView(key, str(BUILTIN_VIEWS[key]), Q(assignee=user) & IS_OPEN, updated, True)
    if key == "unassigned":
        rule = Q(assignee__isnull=True) & IS_OPEN
        return InboxView(key, str(BUILTIN_VIEWS[key]), rule, updated, False)
    if key == "open":
        return InboxView(key, str(BUILTIN_VIEWS[key]), IS_OPEN, updated, False)
    if key == "pending":
        return InboxView(key, str(BUILTIN_VIEWS[key]), Q(status=Status.PENDING), updated, False)
    if key == "solved":
        since = timezone.now() - timedelta(days=SOLVED_DAYS)
        # "Not unsolved" rather than "solved or closed": without statistics SQLite would pick the
        # status index for an IN list over the solved_at one that serves this order.
        rule = Q(solved_at__gte=since) & ~Q(status__in=UNSOLVED)
        return InboxView(key, str(BUILTIN_VIEWS[key]), rule, SOLVED_SORT, False)
    if key == "breaching":
        # Overdue ones included: every running clock due within the hour, earliest first.
        rule = Q(sla__next_due_at__lte=timezone.now() + BREACHING_WITHIN) & IS_OPEN
        return InboxView(key, str(BUILTIN_VIEWS[key]), rule, SORTS["next_breach"], False)
    return None


def saved_views_for(user: User) -> list[SavedView]:
    """The user's own saved views and the shared ones (one query)."""
    return list(SavedView.objects.filter(Q(owner=user) | Q(owner__isnull=True)))


def may_edit(user: User, saved: SavedView) -> bool:
    return saved.owner_id == user.pk if saved.owner_id else user.is_admin


def saved_inbox_view(user: User, saved: SavedView) -> InboxView:
    conditions = saved.conditions if isinstance(saved.conditions, dict) else {}
    version = hashlib.sha256(
        json.dumps([conditions, saved.sort], sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return InboxView(
        key=f"saved-{saved.pk}",
        name=saved.name,
        rule=conditions_q(conditions, user),
        sort=SORTS[sort_named(saved.sort)],
        # "me" and dates (read in the viewer's time zone) depend on who looks.
        personal=conditions.get("assignee") == "me" or any(key in conditions for key in DATE_KEYS),
        saved=saved,
        version=version,
    )


_SAVED_KEY = re.compile(r"^saved-(\d{1,18})$")


def is_view_key(key: str) -> bool:
    """Whether `key` names a view ("mine", ..., "saved-12"); not whether the user may use it."""
    return key in BUILTIN_VIEWS or bool(_SAVED_KEY.match(key))


def view_url(key: str) -> str:
    saved = _SAVED_KEY.match(key)
    if saved:
        return reverse("agent:saved_view", args=[int(saved.group(1))])
    return reverse("agent:view", args=[key])


def all_views(user: User, saved: Iterable[SavedView] | None = None) -> list[InboxView]:
    views = [builtin_view(user, key) for key in BUILTIN_VIEWS]
    saved = saved_views_for(user) if saved is None else saved
    return [view for view in views if view] + [saved_inbox_view(user, row) for row in saved]


def view_for(user: User, key: str, saved: Iterable[SavedView] | None = None) -> InboxView | None:
    """A built-in view, or "saved-<pk>" when that saved view is the user's or shared."""
    if key.startswith("saved-"):
        pk = _to_int(key.removeprefix("saved-"))
        rows = saved_views_for(user) if saved is None else saved
        found = next((row for row in rows if row.pk == pk), None)
        return saved_inbox_view(user, found) if found else None
    return builtin_view(user, key)


def tickets_in(user: User, view: InboxView, sort: Sort | None = None) -> QuerySet[Ticket]:
    """The view's requests the user may see, for listing in `sort` (the view's own if None)."""
    rule = view.rule
    if (sort or view.sort).key == "next_breach":
        rule = _open_as_filter(rule)
    return Ticket.objects.visible_to(user).filter(rule)


def _open_as_filter(rule: Q) -> Q:
    """The rule with "is open" in its bare form, which SQLite reads as a filter, not an index
    term: ordered by next breach, the (next_due_at, ticket) index of the SLA rows should drive
    the query (0.5 ms at a million requests) rather than the open-requests one and a sort of
    every open request (0.23 s). A due time is only ever set on open requests anyway."""
    children = [
        _open_as_filter(child)
        if isinstance(child, Q)
        else ("is_open", True)
        if child == ("is_open__in", [True])
        else child
        for child in rule.children
    ]
    swapped = Q(*children, _connector=rule.connector, _negated=rule.negated)
    return swapped


# --- Saved view conditions ---------------------------------------------------------------------


def _ints(value: Any, allowed: Iterable[int] | None = None) -> list[int]:
    values = value if isinstance(value, list) else [value]
    numbers = [n for n in (_to_int(v) for v in values) if n is not None]
    if allowed is not None:
        known = set(allowed)
        numbers = [n for n in numbers if n in known]
    return numbers


def _day_start(value: Any, later_days: int = 0) -> datetime | None:
    """The start of the day `value` names ("2025-03-01"), in the reader's time zone."""
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if day is None:
        return None
    day += timedelta(days=later_days)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _reference(value: Any, rule: str, none_rule: Q, user: User | None = None) -> Q | None:
    """An id condition that may also be "none" (and "me" for people)."""
    if value == "none":
        return none_rule
    if value == "me" and user is not None:
        return Q(**{rule: user.pk})
    number = _to_int(value)
    return Q(**{rule: number}) if number is not None else None


def conditions_q(conditions: Any, user: User) -> Q:
    """The rule for a saved view's conditions. Unknown keys and malformed values are ignored;
    ids are plain numbers, so a deleted group or field simply matches nothing."""
    rule = Q()
    if not isinstance(conditions, dict):
        return rule
    statuses = conditions.get("status")
    if isinstance(statuses, list):
        known = [s for s in statuses if isinstance(s, str) and s in Status.values]
        if known:
            rule &= Q(status__in=known)
    priorities = _ints(conditions.get("priority") or [], Priority.values)
    if priorities:
        rule &= Q(priority__in=priorities)
    for key, column, none_rule in (
        ("group", "group_id", Q(group__isnull=True)),
        ("assignee", "assignee_id", Q(assignee__isnull=True)),
        ("type", "type_id", Q(type__isnull=True)),
        ("organization", "organization_id", Q(organization__isnull=True)),
    ):
        if key in conditions:
            part = _reference(conditions[key], column, none_rule, user)
            if part is not None:
                rule &= part
    tags = conditions.get("tags")
    if isinstance(tags, list):
        names = [t.strip().lower() for t in tags if isinstance(t, str) and t.strip()]
        if names:
            tagged = TicketTag.objects.filter(tag__name__in=names).values("ticket_id")
            rule &= Q(pk__in=tagged)
    for condition in conditions.get("fields") or []:
        rule &= _field_q(condition)
    requester = conditions.get("requester")
    if isinstance(requester, str) and requester.strip():
        rule &= Q(requester__email=normalize_email(requester))
    for key, column, lookup, days in (
        ("created_after", "created_at", "gte", 0),
        ("created_before", "created_at", "lt", 1),
        ("updated_after", "updated_at", "gte", 0),
        ("updated_before", "updated_at", "lt", 1),
    ):
        # "before" includes the day named: up to the start of the next one.
        moment = _day_start(conditions.get(key), days)
        if moment is not None:
            rule &= Q(**{f"{column}__{lookup}": moment})
    return rule


def _field_q(condition: Any) -> Q:
    """field = value; an empty value means the field is empty (has no stored value)."""
    if not isinstance(condition, dict):
        return Q()
    field_id = _to_int(condition.get("field"))
    value = condition.get("value")
    if field_id is None or not isinstance(value, str):
        return Q()
    rows = TicketFieldValue.objects.filter(ticket=OuterRef("pk"), field_id=field_id)
    if value == "":
        return ~Exists(rows)
    return Exists(rows.filter(value=value))


# --- Pages -------------------------------------------------------------------------------------


@dataclass
class Page:
    rows: list[Ticket]
    older: str | None = None  # cursor for the next page down the list
    newer: str | None = None  # cursor for the page above
    sort: Sort = field(default_factory=lambda: SORTS["updated"])


def _keyset_page(
    queryset: QuerySet[Ticket], sort: Sort, after: str | None, before: str | None
) -> Page:
    queryset = queryset.filter(sort.rule)
    after_values = decode_cursor(after, sort)
    before_values = None if after_values else decode_cursor(before, sort)
    if before_values is not None:
        rows = list(
            queryset.filter(_keyset_q(sort, before_values, older=False)).order_by(
                *sort.reverse_order
            )[: PAGE_SIZE + 1]
        )
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE][::-1]
            return Page(rows, encode_cursor(rows[-1], sort), encode_cursor(rows[0], sort), sort)
        # Back at the top: show a whole first page rather than a short one.
        after_values = None
    if after_values is not None:
        queryset = queryset.filter(_keyset_q(sort, after_values, older=True))
    rows = list(queryset.order_by(*sort.order)[: PAGE_SIZE + 1])
    older = encode_cursor(rows[PAGE_SIZE - 1], sort) if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE]
    newer = None
    if after_values is not None:
        # Past the last row (it moved or went away): "Newer" still leads back up.
        newer = encode_cursor(rows[0], sort) if rows else after
    return Page(rows, older, newer, sort)


def inbox_page(
    user: User, view: InboxView, sort: Sort, after: str | None = None, before: str | None = None
) -> Page:
    """One page of a view's rows with what the table shows (one query)."""
    queryset = tickets_in(user, view, sort).select_related(
        "requester", "group", "assignee", "sla__policy"
    )
    return _keyset_page(queryset, sort, after, before)


def search_page(
    user: User, query: str, after: str | None = None, before: str | None = None
) -> Page:
    """Requests matching `query` that `user` may see, newest first."""
    queryset = ticket_search.matching(Ticket.objects.visible_to(user), query)
    queryset = queryset.select_related("requester", "group", "assignee", "sla__policy")
    return _keyset_page(queryset, SORTS["number"], after, before)


def visible_number(user: User, query: str) -> int | None:
    """The request `query` names by number ("#1042" or "1042") if `user` may see it."""
    number = ticket_search.query_number(query)
    if number is None:
        return None
    if Ticket.objects.visible_to(user).filter(pk=number).exists():
        return number
    return None


def neighbour(user: User, view: str, ticket: Ticket, direction: str) -> int | None:
    """The number of the request after ("next") or before ("previous") `ticket` in inbox view
    `view` ("mine", "unassigned", "open", "pending", "solved" or "saved-<pk>") as `user` sees
    it, in the view's sort order; None at either end or when `ticket` is not in the view."""
    if direction not in ("next", "previous"):
        return None
    found = view_for(user, view)
    if found is None:
        return None
    sort = found.sort
    queryset = tickets_in(user, found, sort).filter(sort.rule)
    values = queryset.filter(pk=ticket.pk).values_list(*sort.fields).first()
    if values is None:
        return None
    older = direction == "next"
    order = sort.order if older else sort.reverse_order
    return (
        queryset.filter(_keyset_q(sort, values, older=older))
        .order_by(*order)
        .values_list("pk", flat=True)
        .first()
    )


# --- Counts ------------------------------------------------------------------------------------


@dataclass
class ViewCount:
    view: InboxView
    count: int

    @property
    def label(self) -> str:
        """ "1,234", or "10,000+" past the limit, in the reader's number format."""
        limit = settings.INBOX_COUNT_LIMIT
        if self.count > limit:
            return _("%(count)s+") % {"count": number_format(limit, force_grouping=True)}
        return number_format(self.count, force_grouping=True)

    @property
    def capped(self) -> bool:
        return self.count > settings.INBOX_COUNT_LIMIT


def _count_key(user: User, view: InboxView) -> str:
    scope = "all" if user.is_admin and not view.personal else f"u{user.pk}"
    return f"inbox-count:{view.key}:{view.version}:{scope}"


def count_view(user: User, view: InboxView) -> int:
    """Rows in the view, counted up to INBOX_COUNT_LIMIT + 1 only."""
    limit = settings.INBOX_COUNT_LIMIT
    return tickets_in(user, view).order_by()[: limit + 1].count()


def view_counts(user: User, views: Sequence[InboxView]) -> list[ViewCount]:
    """Each view's capped count, from the shared cache when counted in the last minute."""
    cache = caches[settings.SHARED_CACHE]
    keys = {view.key: _count_key(user, view) for view in views}
    cached = cache.get_many(list(keys.values()))
    missing: dict[str, tuple[int, float]] = {}
    result = []
    now = timezone.now().timestamp()
    for view in views:
        key = keys[view.key]
        entry = cached.get(key)
        # The time is kept in the value too: the age is judged here, not by the cache's expiry.
        if isinstance(entry, tuple) and len(entry) == 2 and now - entry[1] < COUNT_SECONDS:
            count = entry[0]
        else:
            count = count_view(user, view)
            missing[key] = (count, now)
        result.append(ViewCount(view, count))
    if missing:
        cache.set_many(missing, COUNT_SECONDS)
    return result
