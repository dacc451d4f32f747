"""For the settings' test view ("which policy, rules and triggers apply to request #N, and
why"): the routing rules and triggers as they would judge the request now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supportal.rules import conditions, routing, triggers
from supportal.tickets.models import Ticket


@dataclass(frozen=True)
class ConditionCheck:
    text: str
    held: bool | None  # None: it reads what a change did, so it depends on the change


@dataclass(frozen=True)
class TriggerCheck:
    name: str
    pk: int
    verdict: str  # "fires", "depends" (on what the change does), "no"
    all: list[ConditionCheck]
    any: list[ConditionCheck]


def _check(row: Any, facts: conditions.Facts, choices: conditions.Choices) -> ConditionCheck:
    text = conditions.describe(row, choices)
    if conditions.reads_change([row]):
        return ConditionCheck(text, None)
    return ConditionCheck(text, conditions.holds(row, facts))


def trigger_checks(ticket: Ticket) -> list[TriggerCheck]:
    """Each active trigger in order: whether its conditions hold for the request as it is now
    (on an update; those about what changed depend on the change)."""
    rules = triggers.active_triggers()
    if not rules:
        return []
    choices = conditions.Choices.load()
    facts = conditions.Facts(ticket)
    found = []
    for rule in rules:
        every = [_check(row, facts, choices) for row in rule.conditions_all]
        some = [_check(row, facts, choices) for row in rule.conditions_any]
        failed = any(c.held is False for c in every) or (
            some and all(c.held is False for c in some)
        )
        unknown = any(c.held is None for c in every) or (
            some and not any(c.held for c in some) and any(c.held is None for c in some)
        )
        verdict = "no" if failed else "depends" if unknown else "fires"
        found.append(TriggerCheck(rule.name, rule.pk, verdict, every, some))
    return found


def test_context(ticket: Ticket) -> dict[str, Any]:
    """What the test view shows of business rules for `ticket`."""
    return {
        "routing_checks": routing.explain_ticket(ticket),
        "trigger_checks": trigger_checks(ticket),
    }
