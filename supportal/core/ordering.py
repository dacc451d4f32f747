"""Ordered settings rows (policies, rules, triggers): append, move up or down, renumber.

Each model has a `position`; positions are renumbered 0, 1, 2, ... on every move and delete,
under a lock on the rows, so the order shown is the order used and ties cannot arise.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Max


def next_position(model: type[models.Model]) -> int:
    last = model._default_manager.aggregate(last=Max("position"))["last"]  # type: ignore[attr-defined]
    return 0 if last is None else last + 1


def renumber(model: type[models.Model]) -> None:
    rows = list(model._default_manager.select_for_update().order_by("position", "pk"))  # type: ignore[attr-defined]
    _write(model, rows)


def _write(model: type[models.Model], rows: list[Any]) -> None:
    changed = []
    for position, row in enumerate(rows):
        if row.position != position:
            row.position = position
            changed.append(row)
    model._default_manager.bulk_update(changed, ["position"])  # type: ignore[attr-defined]


def move(row: Any, direction: str) -> int | None:
    """Moves `row` one place "up" (earlier) or "down"; its new 1-based place, or None when it
    is already at that end. Call inside a transaction. ValueError for another direction."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    model = type(row)
    rows = list(model._default_manager.select_for_update().order_by("position", "pk"))
    index = next(i for i, other in enumerate(rows) if other.pk == row.pk)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(rows):
        return None
    rows[index], rows[target] = rows[target], rows[index]
    _write(model, rows)
    return target + 1
