"""Which service level policy applies to a request, and why.

Policies are tried in order (position, then age); the first active one whose conditions all
hold applies. Each condition is a list meaning "any of these"; an empty one holds for every
request. Conditions: priority, request type, group, organization (the requester's, as recorded
on the request), channel, tags (the request has any of them) and custom field values
(`SlaPolicy.field_values` is {"<field key>": ["value", ...]}: for each key, the request's value
is one of those).

`policy_for` is the engine's hot path: it reads the per-process copy of the policies
(supportal.sla.policies) and loads a request's tags or field values only when some active
policy reads them. `explain` is for people: a sentence per condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from supportal.accounts.models import Organization
from supportal.sla import policies as policy_cache
from supportal.sla.models import SlaPolicy
from supportal.sla.policies import Policy
from supportal.tickets.models import (
    Channel,
    CustomField,
    Group,
    Priority,
    RequestType,
    Ticket,
    TicketFieldValue,
)


@dataclass
class Facts:
    """What the conditions read from a request; tags and field values loaded on first use."""

    ticket: Ticket
    _tags: frozenset[str] | None = None
    _fields: dict[str, str] | None = None

    @property
    def tags(self) -> frozenset[str]:
        if self._tags is None:
            self._tags = frozenset(self.ticket.tags.values_list("name", flat=True))
        return self._tags

    @property
    def fields(self) -> dict[str, str]:
        if self._fields is None:
            self._fields = dict(
                TicketFieldValue.objects.filter(ticket_id=self.ticket.pk).values_list(
                    "field__key", "value"
                )
            )
        return self._fields


def matches(policy: Policy, facts: Facts) -> bool:
    ticket = facts.ticket
    if policy.priorities and ticket.priority not in policy.priorities:
        return False
    if policy.channels and ticket.channel not in policy.channels:
        return False
    if policy.request_type_ids and ticket.type_id not in policy.request_type_ids:
        return False
    if policy.group_ids and ticket.group_id not in policy.group_ids:
        return False
    if policy.organization_ids and ticket.organization_id not in policy.organization_ids:
        return False
    if policy.tags and not (policy.tags & facts.tags):
        return False
    return all(facts.fields.get(key, "") in values for key, values in policy.field_values.items())


def match(facts: Facts) -> Policy | None:
    """The first active policy (engine form) whose conditions hold."""
    for policy in policy_cache.active_policies():
        if matches(policy, facts):
            return policy
    return None


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The policy that applies to `ticket`: the first active one whose conditions all hold."""
    policy = match(Facts(ticket))
    return policy.row if policy else None


# --- Explanations ------------------------------------------------------------------------


@dataclass
class ConditionCheck:
    name: (
        str  # "priority", "channel", "request_type", "group", "organization", "tags", "field:<key>"
    )
    matched: bool
    sentence: str


@dataclass
class PolicyCheck:
    policy: SlaPolicy
    matches: bool
    conditions: list[ConditionCheck] = field(default_factory=list)


def _listed(names: list[str]) -> str:
    return pgettext("list separator", ", ").join(str(name) for name in names)


def _one_of(label: str, value: str | None, accepted: list[str], matched: bool) -> str:
    values = {"field": label, "value": value, "values": _listed(accepted)}
    if value is None:
        return _("%(field)s is not set, not one of %(values)s") % values
    if matched:
        return _("%(field)s is %(value)s, one of %(values)s") % values
    return _("%(field)s is %(value)s, not one of %(values)s") % values


def _names(model: type, ids: frozenset[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row.pk: str(row) for row in model.objects.filter(pk__in=ids)}


def _check_ids(
    name: str, label: str, value_id: int | None, ids: frozenset[int], names: dict[int, str]
) -> ConditionCheck:
    matched = value_id in ids
    accepted = [names.get(i, f"#{i}") for i in sorted(ids, key=lambda i: names.get(i, ""))]
    value = None if value_id is None else names.get(value_id)
    if value_id is not None and value is None:
        value = _value_name(name, value_id)
    return ConditionCheck(name, matched, _one_of(label, value, accepted, matched))


def _value_name(name: str, value_id: int) -> str:
    model = {"request_type": RequestType, "group": Group, "organization": Organization}[name]
    row = model.objects.filter(pk=value_id).first()
    return str(row) if row else f"#{value_id}"


def _explain_policy(policy: Policy, facts: Facts) -> list[ConditionCheck]:
    ticket = facts.ticket
    checks: list[ConditionCheck] = []
    if policy.priorities:
        matched = ticket.priority in policy.priorities
        accepted = [Priority(p).label for p in sorted(policy.priorities, reverse=True)]
        value = Priority(ticket.priority).label
        checks.append(
            ConditionCheck("priority", matched, _one_of(_("Priority"), value, accepted, matched))
        )
    if policy.request_type_ids:
        names = _names(RequestType, policy.request_type_ids)
        checks.append(
            _check_ids(
                "request_type", _("Request type"), ticket.type_id, policy.request_type_ids, names
            )
        )
    if policy.group_ids:
        names = _names(Group, policy.group_ids)
        checks.append(_check_ids("group", _("Group"), ticket.group_id, policy.group_ids, names))
    if policy.organization_ids:
        names = _names(Organization, policy.organization_ids)
        checks.append(
            _check_ids(
                "organization",
                _("Organization"),
                ticket.organization_id,
                policy.organization_ids,
                names,
            )
        )
    if policy.channels:
        matched = ticket.channel in policy.channels
        accepted = [_channel_label(c) for c in sorted(policy.channels)]
        value = _channel_label(ticket.channel)
        checks.append(
            ConditionCheck("channel", matched, _one_of(_("Channel"), value, accepted, matched))
        )
    if policy.tags:
        common = sorted(policy.tags & facts.tags)
        accepted = _listed(sorted(policy.tags))
        if common:
            sentence = _("Has the tag %(tags)s, one of %(values)s") % {
                "tags": _listed(common),
                "values": accepted,
            }
        else:
            sentence = _("Has none of the tags %(values)s") % {"values": accepted}
        checks.append(ConditionCheck("tags", bool(common), sentence))
    if policy.field_values:
        fields = {f.key: f for f in CustomField.objects.filter(key__in=policy.field_values)}
        for key, values in sorted(policy.field_values.items()):
            custom = fields.get(key)
            label = custom.label if custom else key
            show = custom.display if custom else str
            value = facts.fields.get(key, "")
            matched = value in values
            accepted = [show(v) if v else _("(empty)") for v in sorted(values)]
            shown = show(value) if value else None
            if shown is None and matched:
                shown = _("(empty)")
            checks.append(
                ConditionCheck(f"field:{key}", matched, _one_of(label, shown, accepted, matched))
            )
    if not checks:
        checks.append(ConditionCheck("", True, _("No conditions: applies to every request")))
    return checks


def _channel_label(value: str) -> str:
    try:
        return str(Channel(value).label)
    except ValueError:
        return value


def explain(ticket: Ticket) -> list[PolicyCheck]:
    """For each active policy in order: whether it matches `ticket` and a sentence per
    condition saying why. The first one that matches is the one that applies."""
    facts = Facts(ticket)
    return [
        PolicyCheck(policy.row, matches(policy, facts), _explain_policy(policy, facts))
        for policy in policy_cache.active_policies()
    ]
