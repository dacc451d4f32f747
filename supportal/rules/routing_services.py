"""Writes for routing: routing rules (ordered), groups' automatic assignment."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from supportal.accounts.models import Organization
from supportal.core import ordering
from supportal.mail.models import Mailbox
from supportal.rules.models import GroupRouting, RoutingRule
from supportal.rules.routing import config
from supportal.tickets.models import Group, RequestType


@transaction.atomic
def routing_rule_save(
    *,
    rule: RoutingRule | None,
    name: str,
    group: Group,
    active: bool = True,
    channels: Iterable[str] = (),
    mailboxes: Iterable[Mailbox] = (),
    request_types: Iterable[RequestType] = (),
    organizations: Iterable[Organization] = (),
    languages: Iterable[str] = (),
    words: Iterable[str] = (),
) -> RoutingRule:
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the rule a name."))
    if rule is None:
        rule = RoutingRule(position=ordering.next_position(RoutingRule))
    rule.name, rule.group, rule.active = name[:100], group, active
    rule.channels = sorted(set(channels))
    rule.languages = sorted(set(languages))
    rule.words = list(dict.fromkeys(w.strip().lower() for w in words if w.strip()))[:50]
    rule.save()
    rule.mailboxes.set(mailboxes)
    rule.request_types.set(request_types)
    rule.organizations.set(organizations)
    config.changed()
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule) -> None:
    rule.delete()
    ordering.renumber(RoutingRule)
    config.changed()


@transaction.atomic
def routing_rule_move(*, rule: RoutingRule, direction: str) -> int | None:
    place = ordering.move(rule, direction)
    config.changed()
    return place


@transaction.atomic
def routing_rule_set_active(*, rule: RoutingRule, active: bool) -> None:
    RoutingRule.objects.filter(pk=rule.pk).update(active=active)
    config.changed()


@transaction.atomic
def group_routing_save(*, settings: Mapping[Group, tuple[bool, int | None]]) -> None:
    """Per group: (assign new requests automatically, open requests per agent at most)."""
    for group, (round_robin, max_open) in settings.items():
        if max_open is not None and max_open < 1:
            raise ValidationError(_("A limit of open requests must be at least 1."))
        GroupRouting.objects.update_or_create(
            group=group, defaults={"round_robin": round_robin, "max_open": max_open}
        )
    config.changed()
