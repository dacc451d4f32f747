"""Keyset pages for admin lists (the audit log, people): no OFFSET and no COUNT, so the last
page costs what the first does. The cursor is the edge row's sort values, base64 JSON."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


@dataclass
class Page:
    rows: list[Any]
    next: str | None = None  # cursor for the page after this one
    previous: str | None = None  # cursor for the page before it
    links: dict[str, str] = field(default_factory=dict)


def _names(order: tuple[str, ...]) -> list[tuple[str, bool]]:
    return [(name.lstrip("-"), name.startswith("-")) for name in order]


def encode(row: Model, order: tuple[str, ...]) -> str:
    values = [getattr(row, name) for name, _desc in _names(order)]
    text = json.dumps(values, cls=DjangoJSONEncoder, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(text: str | None, model: type[Model], order: tuple[str, ...]) -> list[Any] | None:
    """The values `encode` wrote, or None for anything malformed (the first page is shown)."""
    if not text or len(text) > 2000:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        names = _names(order)
        if not isinstance(raw, list) or len(raw) != len(names):
            return None
        return [
            model._meta.get_field(name).to_python(value)  # type: ignore[union-attr]
            for (name, _desc), value in zip(names, raw, strict=True)
        ]
    except (ValueError, TypeError, ValidationError, binascii.Error, UnicodeDecodeError):
        return None


def _beyond(order: tuple[str, ...], values: list[Any], *, forward: bool) -> Q:
    """Rows past `values` in `order` (forward) or before them."""
    names = _names(order)
    result = Q()
    for index, (name, desc) in enumerate(names):
        op = "lt" if desc == forward else "gt"
        step = Q(**{f"{name}__{op}": values[index]})
        for earlier in range(index):
            step &= Q(**{names[earlier][0]: values[earlier]})
        result |= step
    return result


def keyset_page(
    queryset: QuerySet[Any],
    request: HttpRequest,
    *,
    order: tuple[str, ...],
    keep: dict[str, Any],
    size: int = PAGE_SIZE,
) -> Page:
    """One page of `queryset` in `order` from ?after= or ?before=, with links to the pages on
    either side that keep the filters in `keep`."""
    model = queryset.model
    reverse = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in order)
    after = decode(request.GET.get("after"), model, order)
    before = None if after else decode(request.GET.get("before"), model, order)
    page: Page | None = None
    if before is not None:
        rows = list(
            queryset.filter(_beyond(order, before, forward=False)).order_by(*reverse)[: size + 1]
        )
        if len(rows) > size:
            rows = rows[:size][::-1]
            page = Page(rows, encode(rows[-1], order), encode(rows[0], order))
    if page is None:
        if before is not None:
            after = None  # back at the start: a whole first page rather than a short one
        scoped = queryset.filter(_beyond(order, after, forward=True)) if after else queryset
        rows = list(scoped.order_by(*order)[: size + 1])
        following = encode(rows[size - 1], order) if len(rows) > size else None
        rows = rows[:size]
        previous = None
        if after is not None:
            previous = encode(rows[0], order) if rows else request.GET.get("after")
        page = Page(rows, following, previous)
    kept = {name: value for name, value in keep.items() if value not in (None, "")}
    if page.previous:
        page.links["previous_url"] = (
            f"{request.path}?{urlencode({**kept, 'before': page.previous})}"
        )
    if page.next:
        page.links["next_url"] = f"{request.path}?{urlencode({**kept, 'after': page.next})}"
    return page
