"""Writes to the service level policies and the group leads admins manage.

Every policy write ends with `policies_changed()`, so each process's copy of the active
policies (supportal.sla.policies) is rebuilt: this one at once, the others within seconds of
the commit. Positions are renumbered 0, 1, 2, ... on every move, so the order shown is the
order the engine tries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import Organization, User
from supportal.audit.services import audit_record
from supportal.core import ordering
from supportal.sla.models import GroupLead, Metric, SlaPolicy, SlaTarget
from supportal.sla.policies import policies_changed
from supportal.tickets.models import Channel, Group, Priority, RequestType

# (priority, metric, minutes, business hours)
Target = tuple[int, str, int, bool]


def _check_targets(targets: Sequence[Target]) -> None:
    if not targets:
        raise ValidationError(_("Set at least one target."))
    for priority, metric, minutes, _business in targets:
        if priority not in Priority.values or metric not in Metric.values:
            raise ValidationError(_("Unknown priority or target."))
        if minutes <= 0:
            raise ValidationError(_("A target must be longer than zero."))


@transaction.atomic
def sla_policy_save(
    *,
    policy: SlaPolicy | None,
    name: str,
    description: str = "",
    active: bool = True,
    priorities: Iterable[int] = (),
    channels: Iterable[str] = (),
    request_types: Iterable[RequestType] = (),
    groups: Iterable[Group] = (),
    organizations: Iterable[Organization] = (),
    tags: Iterable[str] = (),
    field_values: Mapping[str, Sequence[str]] | None = None,
    targets: Sequence[Target],
    pause_when_pending: bool = True,
    pause_when_on_hold: bool = False,
    warn_minutes: int = 60,
    notify_on_breach: bool = True,
    raise_priority_on_breach: bool = False,
    escalate_to_group: Group | None = None,
) -> SlaPolicy:
    """Creates a policy (last in the order) or changes one, with its conditions and targets."""
    name = name.strip()
    if not name:
        raise ValidationError(_("A policy needs a name."))
    _check_targets(targets)
    if policy is None:
        policy = SlaPolicy(position=ordering.next_position(SlaPolicy))
    policy.name = name[:100]
    policy.description = description.strip()[:300]
    policy.active = active
    policy.priorities = sorted({int(p) for p in priorities if p in Priority.values}, reverse=True)
    policy.channels = [c for c in Channel.values if c in set(channels)]
    policy.tags = list(dict.fromkeys(t.strip().lower() for t in tags if t.strip()))
    policy.field_values = {key: list(values) for key, values in (field_values or {}).items()}
    policy.pause_when_pending = pause_when_pending
    policy.pause_when_on_hold = pause_when_on_hold
    policy.warn_minutes = max(0, warn_minutes)
    policy.notify_on_breach = notify_on_breach
    policy.raise_priority_on_breach = raise_priority_on_breach
    policy.escalate_to_group = escalate_to_group
    policy.updated_at = timezone.now()
    policy.save()
    policy.request_types.set(request_types)
    policy.groups.set(groups)
    policy.organizations.set(organizations)
    before = _target_lines(policy)
    policy.targets.all().delete()
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy, priority=priority, metric=metric, minutes=minutes, business_hours=biz
        )
        for priority, metric, minutes, biz in targets
    )
    after = _target_lines(policy)
    if after != before:  # written in bulk, so the audit log's model tracking cannot see them
        audit_record(
            action="sla_policy.targets",
            target=policy,
            before={"targets": before},
            after={"targets": after},
        )
    policies_changed()
    return policy


def _target_lines(policy: SlaPolicy) -> list[str]:
    """The targets as the audit log shows them: "priority 3 first_reply 60 min business"."""
    if policy.pk is None:
        return []
    return [
        f"priority {t.priority} {t.metric} {t.minutes} min "
        + ("business hours" if t.business_hours else "calendar hours")
        for t in policy.targets.order_by("-priority", "metric")
    ]


@transaction.atomic
def sla_policy_delete(*, policy: SlaPolicy) -> None:
    """Deletes a policy. Clocks it started keep running to their due times; their requests
    match again on their next change."""
    policy.delete()
    ordering.renumber(SlaPolicy)
    policies_changed()


@transaction.atomic
def sla_policy_set_active(*, policy: SlaPolicy, active: bool) -> SlaPolicy:
    policy.active = active
    policy.updated_at = timezone.now()
    policy.save(update_fields=["active", "updated_at"])
    policies_changed()
    return policy


@transaction.atomic
def sla_policy_move(*, policy: SlaPolicy, direction: str) -> bool:
    """Moves a policy one place "up" (tried earlier) or "down"; False at either end."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a policy up or down."))
    if ordering.move(policy, direction) is None:
        return False
    policies_changed()
    return True


@transaction.atomic
def sla_group_leads_save(*, leads: Mapping[Group, Iterable[User]]) -> None:
    """Sets the leads of each group named (agents only)."""
    for group, users in leads.items():
        chosen = list(users)
        if any(not user.is_agent for user in chosen):
            raise ValidationError(_("Only agents can lead a group."))
        GroupLead.objects.filter(group=group).exclude(user__in=chosen).delete()
        known = set(GroupLead.objects.filter(group=group).values_list("user_id", flat=True))
        GroupLead.objects.bulk_create(
            GroupLead(group=group, user=user) for user in chosen if user.pk not in known
        )
