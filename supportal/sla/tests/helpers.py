"""Building policies for the SLA tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from supportal.sla.models import SlaPolicy, SlaTarget
from supportal.sla.policies import policies_changed


def make_policy(
    name: str = "Standard",
    *,
    targets: Iterable[tuple[int, str, int, bool]] = (),
    groups: Iterable[Any] = (),
    organizations: Iterable[Any] = (),
    request_types: Iterable[Any] = (),
    **fields: Any,
) -> SlaPolicy:
    """A policy with targets (priority, metric, minutes, business hours); tells the engine."""
    policy = SlaPolicy.objects.create(name=name, **fields)
    policy.groups.set(groups)
    policy.organizations.set(organizations)
    policy.request_types.set(request_types)
    SlaTarget.objects.bulk_create(
        SlaTarget(policy=policy, priority=p, metric=m, minutes=minutes, business_hours=bh)
        for p, m, minutes, bh in targets
    )
    policies_changed()
    return policy
