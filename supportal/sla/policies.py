"""The active service level policies, kept per process so a request change pays nothing for
them when there are none (core.copies.SharedCopy: a copy per process, checked against a shared
version token at most every 5 seconds).

Every policy write calls `policies_changed()` (supportal.sla services and the policy settings
pages): this process rebuilds at its next use, the others within 5 seconds of the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from supportal.core.copies import SharedCopy
from supportal.sla.models import SlaPolicy, SlaTarget


@dataclass(frozen=True)
class Policy:
    """One active policy with what matching and the clocks need, read once."""

    row: SlaPolicy
    priorities: frozenset[int]
    channels: frozenset[str]
    request_type_ids: frozenset[int]
    group_ids: frozenset[int]
    organization_ids: frozenset[int]
    tags: frozenset[str]
    field_values: dict[str, frozenset[str]]  # custom field key -> accepted values (any of)
    targets: dict[tuple[int, str], SlaTarget] = field(default_factory=dict)

    @property
    def pk(self) -> int:
        return self.row.pk

    def targets_for(self, priority: int) -> dict[str, SlaTarget]:
        """metric -> target for requests of `priority`."""
        return {metric: t for (p, metric), t in self.targets.items() if p == priority}


@dataclass(frozen=True)
class _Copy:
    policies: tuple[Policy, ...] = ()
    reads_tags: bool = False
    reads_fields: bool = False


def _field_values(raw: object) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        return {}
    values = {}
    for key, accepted in raw.items():
        if isinstance(accepted, str):
            accepted = [accepted]
        if isinstance(accepted, list | tuple) and accepted:
            values[str(key)] = frozenset(str(v) for v in accepted)
    return values


def _build() -> _Copy:
    rows = (
        SlaPolicy.objects.filter(active=True)
        .select_related("escalate_to_group")
        .prefetch_related("targets", "request_types", "groups", "organizations")
        .order_by("position", "pk")
    )
    policies = []
    for row in rows:
        policies.append(
            Policy(
                row=row,
                priorities=frozenset(int(p) for p in row.priorities or ()),
                channels=frozenset(str(c) for c in row.channels or ()),
                request_type_ids=frozenset(t.pk for t in row.request_types.all()),
                group_ids=frozenset(g.pk for g in row.groups.all()),
                organization_ids=frozenset(o.pk for o in row.organizations.all()),
                tags=frozenset(str(t).strip().lower() for t in row.tags or () if str(t).strip()),
                field_values=_field_values(row.field_values),
                targets={(t.priority, t.metric): t for t in row.targets.all()},
            )
        )
    return _Copy(
        policies=tuple(policies),
        reads_tags=any(p.tags for p in policies),
        reads_fields=any(p.field_values for p in policies),
    )


_copy = SharedCopy("sla:policies", _build, empty=_Copy())


def active_policies() -> tuple[Policy, ...]:
    """The active policies in order (position, then age)."""
    return _copy.get().policies


def reads_tags() -> bool:
    return _copy.get().reads_tags


def reads_fields() -> bool:
    return _copy.get().reads_fields


def policies_changed() -> None:
    """Call after any write to policies, their targets or conditions: this process rebuilds
    its copy at its next use, every other process within 5 seconds of the commit."""
    _copy.changed()


def pin_empty() -> None:
    """For the test suite: no policies until the next `policies_changed()`, and no shared
    cache reads meanwhile (so a query count is the same in every test)."""
    _copy.pin_empty()
