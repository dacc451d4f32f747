"""Which versions are current, kept per process so a page view pays nothing for it.

A core.copies.SharedCopy holds, per document kind, the latest published version and the latest
published version that people must accept. Publishing calls `current_changed()`: this process
rebuilds at its next read, the others within 5 seconds of the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from supportal.core.copies import SharedCopy
from supportal.legal.models import PolicyVersion


@dataclass(frozen=True)
class Published:
    pk: int
    kind: str
    number: int
    published_at: datetime


@dataclass(frozen=True)
class Current:
    latest: dict[str, Published] = field(default_factory=dict)
    required: dict[str, Published] = field(default_factory=dict)

    @property
    def token(self) -> str:
        """Names the versions people must have accepted; "" when there are none. A session that
        holds this token has been checked against them."""
        return ",".join(f"{kind}:{p.pk}" for kind, p in sorted(self.required.items()))


def _build() -> Current:
    latest: dict[str, Published] = {}
    required: dict[str, Published] = {}
    rows = PolicyVersion.objects.published().order_by("kind", "-number")
    for row in rows.only("pk", "kind", "number", "published_at", "requires_acceptance"):
        published = Published(row.pk, row.kind, row.number, row.published_at)  # type: ignore[arg-type]
        latest.setdefault(row.kind, published)
        if row.requires_acceptance:
            required.setdefault(row.kind, published)
    return Current(latest=latest, required=required)


_copy = SharedCopy("legal:current", _build, empty=Current())


def current() -> Current:
    return _copy.get()


def current_changed() -> None:
    """Call after publishing: every process sees the new version within 5 seconds."""
    _copy.changed()
