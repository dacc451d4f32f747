"""Routing: a new request goes to the group of the first routing rule that matches it, and a
group that assigns automatically gives it to one of its available agents (assignment.py).

The rules are read from a process copy (core.copies), so a new request costs no query here
when no rule exists. Routing is a preparer (tickets.hooks): it completes a new request before
the change receivers (service levels, triggers, surveys) hear of it, so they see one creation
with the group and assignee it ends up with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from supportal.core.copies import SharedCopy
from supportal.tickets import hooks
from supportal.tickets.models import Channel, Ticket


@dataclass(frozen=True)
class Rule:
    pk: int
    name: str
    group_id: int
    channels: frozenset[str]
    mailbox_ids: frozenset[int]
    type_ids: frozenset[int]
    organization_ids: frozenset[int]
    languages: frozenset[str]
    words: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    rules: tuple[Rule, ...] = ()
    auto_groups: frozenset[int] = frozenset()  # groups that assign new requests themselves


def _build() -> Config:
    from supportal.rules.models import GroupRouting, RoutingRule

    rows = RoutingRule.objects.filter(active=True).prefetch_related(
        "mailboxes", "request_types", "organizations"
    )
    rules = tuple(
        Rule(
            pk=row.pk,
            name=row.name,
            group_id=row.group_id,
            channels=frozenset(row.channels or ()),
            mailbox_ids=frozenset(m.pk for m in row.mailboxes.all()),
            type_ids=frozenset(t.pk for t in row.request_types.all()),
            organization_ids=frozenset(o.pk for o in row.organizations.all()),
            languages=frozenset(row.languages or ()),
            words=tuple(word.lower() for word in row.words or () if word.strip()),
        )
        for row in rows
    )
    auto = frozenset(
        GroupRouting.objects.filter(round_robin=True).values_list("group_id", flat=True)
    )
    return Config(rules=rules, auto_groups=auto)


config = SharedCopy("rules:routing", _build, empty=Config())


@dataclass(frozen=True)
class Facts:
    """What routing reads of a new request."""

    channel: str
    mailbox_id: int | None
    type_id: int | None
    organization_id: int | None
    language: str
    text: str  # subject and first message, lower case


def facts_for(ticket: Ticket, description: str = "") -> Facts:
    from supportal.mail.models import TicketMailbox

    link = TicketMailbox.objects.filter(ticket=ticket).values_list("mailbox_id", flat=True)
    if not description:
        first = ticket.messages.order_by("pk").values_list("body", flat=True).first()
        description = first or ""
    return Facts(
        channel=ticket.channel,
        mailbox_id=link.first() if ticket.channel == Channel.EMAIL else None,
        type_id=ticket.type_id,
        organization_id=ticket.organization_id,
        language=ticket.requester.language,
        text=f"{ticket.subject}\n{description}".lower(),
    )


def _word_in(word: str, text: str) -> bool:
    # Whole words for Latin script ("bill" is not "billing"); a substring for CJK, which has
    # no spaces between words.
    if word.isascii():
        return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None
    return word in text


def explain(rule: Rule, facts: Facts) -> list[tuple[bool, str]]:
    """Each condition of the rule that is set, whether it holds, in words."""
    checks: list[tuple[bool, str]] = []
    if rule.channels:
        checks.append((facts.channel in rule.channels, _("Channel")))
    if rule.mailbox_ids:
        checks.append((facts.mailbox_id in rule.mailbox_ids, _("Support address")))
    if rule.type_ids:
        checks.append((facts.type_id in rule.type_ids, _("Request type")))
    if rule.organization_ids:
        checks.append((facts.organization_id in rule.organization_ids, _("Organization")))
    if rule.languages:
        checks.append((facts.language in rule.languages, _("Requester's language")))
    if rule.words:
        found = [word for word in rule.words if _word_in(word, facts.text)]
        checks.append((bool(found), _("Words in the subject or message")))
    return checks


def matches(rule: Rule, facts: Facts) -> bool:
    return all(held for held, _label in explain(rule, facts))


def first_match(facts: Facts, rules: tuple[Rule, ...] | None = None) -> Rule | None:
    for rule in config.get().rules if rules is None else rules:
        if matches(rule, facts):
            return rule
    return None


def prepare_new(change: hooks.TicketChange) -> None:
    """A new request, before anyone else hears of it: the first matching rule's group, then,
    in a group that assigns automatically, the next available agent."""
    current = config.get()
    if not current.rules and not current.auto_groups:
        return
    from supportal.tickets.services import ticket_set_on_create

    ticket = change.ticket
    if current.rules:
        body = change.message.body if change.message else ""
        rule = first_match(facts_for(ticket, body), current.rules)
        if rule is not None and rule.group_id != ticket.group_id:
            from supportal.tickets.models import Group

            group = Group.objects.get(pk=rule.group_id)
            ticket_set_on_create(change, via=f"routing:{rule.pk}", group=group)
    if ticket.group_id in current.auto_groups and ticket.assignee_id is None:
        from supportal.rules.assignment import choose

        agent = choose(ticket.group_id)
        if agent is not None:
            via = f"assignment:{ticket.group_id}"
            ticket_set_on_create(change, via=via, assignee=agent)


def on_ticket_changed(change: hooks.TicketChange) -> None:
    """A request moved into a group that assigns automatically, without an assignee."""
    if change.created or change.changed("group") is None:
        return
    ticket = change.ticket
    if ticket.assignee_id is None and ticket.group_id in config.get().auto_groups:
        from supportal.rules.assignment import assign_next

        assign_next(ticket)


@dataclass(frozen=True)
class RuleCheck:
    rule: Rule
    matched: bool
    checks: list[tuple[bool, str]]


def explain_ticket(ticket: Ticket) -> list[RuleCheck]:
    """For the settings' test view: each active routing rule in order, whether it matches the
    request as it is now, and why (the first match is the one a new request gets)."""
    facts = facts_for(ticket)
    found = []
    for rule in config.get().rules:
        checks = explain(rule, facts)
        found.append(RuleCheck(rule, all(held for held, _label in checks), checks))
    return found
