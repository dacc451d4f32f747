"""Triggers: act on a request right after it is created or changed.

`on_ticket_changed` is connected to supportal.tickets.hooks in RulesConfig.ready(), so it runs
inside the transaction of every request change. It must cost nothing when there are no
triggers (emailed requests arrive through it at 200+ a second), so the active triggers are kept
per process in a SharedCopy (supportal.core.copies): each save drops this process's copy and,
after the commit, writes a new version token to the shared cache, which other processes check
at most every few seconds.

Loop safety. A trigger's changes go through the request services with via="trigger:<id>", which
calls the receivers again with the new change. So:
- a change made by trigger N never fires trigger N again (each trigger fires at most once for
  one change, and never for its own);
- a trigger that already fired somewhere in the chain started by a change is not fired again
  for that change once the chain returns (it already saw the newer state);
- in one chain, a trigger that reads only the request's state (not what a change did) fires
  once: its conditions would hold again on every later change while doing nothing new;
- a chain of changes made by triggers stops at MAX_DEPTH, with a warning saying why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.core import ordering
from supportal.core.copies import SharedCopy
from supportal.rules import actions as rule_actions
from supportal.rules import conditions
from supportal.rules.models import Automation, Trigger
from supportal.tickets.hooks import TicketChange

logger = logging.getLogger(__name__)

MAX_DEPTH = 5


@dataclass(frozen=True)
class Rule:
    """An active trigger as evaluated: its id, when it runs, conditions and actions."""

    pk: int
    name: str
    runs_on: str
    conditions_all: tuple[Mapping[str, Any], ...]
    conditions_any: tuple[Mapping[str, Any], ...]
    actions: tuple[Mapping[str, Any], ...]

    @property
    def reacts_to_changes(self) -> bool:
        """Whether it reads what a change did ("priority changed to", "a note was added"),
        rather than only the request's state."""
        every = (*self.conditions_all, *self.conditions_any)
        return any(
            c.get("op") in conditions.CHANGE_OPS or c.get("field") == "message" for c in every
        )

    def runs_for(self, change: TicketChange) -> bool:
        if self.runs_on == Trigger.RunsOn.BOTH:
            return True
        return (self.runs_on == Trigger.RunsOn.CREATED) == change.created


def _build() -> tuple[Rule, ...]:
    rows = Trigger.objects.filter(active=True).order_by("position", "pk")
    return tuple(
        Rule(
            pk=row.pk,
            name=row.name,
            runs_on=row.runs_on,
            conditions_all=tuple(row.conditions_all or ()),
            conditions_any=tuple(row.conditions_any or ()),
            actions=tuple(row.actions or ()),
        )
        for row in rows
    )


copy: SharedCopy[tuple[Rule, ...]] = SharedCopy("rules:triggers", _build, empty=())


def active_triggers() -> tuple[Rule, ...]:
    """The active triggers in order; reads the shared cache at most every few seconds."""
    return copy.get()


def triggers_changed() -> None:
    """Call after any write to triggers: this process reads them again at its next use, every
    other process within a few seconds of the commit."""
    copy.changed()


# --- Running them ------------------------------------------------------------------------------


@dataclass
class _Frame:
    change: TicketChange
    fired: set[int] = field(default_factory=set)  # triggers fired for this change or below


_local = threading.local()


def _stack() -> list[_Frame]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


@contextmanager
def _frame(change: TicketChange) -> Iterator[list[_Frame]]:
    stack = _stack()
    stack.append(_Frame(change))
    try:
        yield stack
    finally:
        stack.pop()


def _own_trigger(change: TicketChange) -> int | None:
    kind, _sep, pk = change.via.partition(":")
    return int(pk) if kind == "trigger" and pk.isdigit() else None


def on_ticket_changed(change: TicketChange) -> None:
    rules = active_triggers()
    if not rules:
        return
    with _frame(change) as stack:
        frame = stack[-1]
        # The changes above this one were made by triggers, each by the one below it.
        depth = len(stack) - 1
        own = _own_trigger(change)
        facts = conditions.Facts(change.ticket, change)
        for rule in rules:
            if rule.pk == own or rule.pk in frame.fired or not rule.runs_for(change):
                continue
            if rule.pk in stack[0].fired and not rule.reacts_to_changes:
                continue
            if not _matches(rule, facts):
                continue
            if depth >= MAX_DEPTH:
                logger.warning(
                    "trigger %s (%s) not fired on request #%s: a chain of %s changes made by "
                    "triggers stops here (triggers that keep changing what the others react to)",
                    rule.pk,
                    rule.name,
                    change.ticket.pk,
                    depth,
                )
                continue
            for above in stack:
                above.fired.add(rule.pk)
            _fire(rule, change)
            # The request may have changed: read it again for the next trigger.
            facts = conditions.Facts(change.ticket, change)


def _matches(rule: Rule, facts: conditions.Facts) -> bool:
    try:
        return conditions.matches(rule.conditions_all, rule.conditions_any, facts)
    except (KeyError, TypeError, ValueError):
        # Saved rules are checked; one written some other way must not stop request changes.
        logger.exception("trigger %s (%s) has a condition that cannot be read", rule.pk, rule.name)
        return False


def _fire(rule: Rule, change: TicketChange) -> None:
    rule_actions.actions_apply(
        ticket=change.ticket,
        actions=rule.actions,
        via=f"trigger:{rule.pk}",
        answers_new_request=change.created,
        actor=change.actor,
    )
    # Counted after the commit: an update of the trigger's row inside the request's
    # transaction would hold its lock until then, making concurrent request changes that fire
    # the same trigger (emailed requests arriving together) wait for each other.
    pk, now = rule.pk, timezone.now()
    transaction.on_commit(
        lambda: Trigger.objects.filter(pk=pk).update(
            fired_count=F("fired_count") + 1, last_fired_at=now
        ),
        robust=True,
    )


# --- Checking and saving -----------------------------------------------------------------------


def _value_label(name: str, value: str, choices: conditions.Choices) -> str:
    spec = conditions.field_kind(name, choices)
    allowed = choices.values(spec[0]) if spec else None
    return (allowed or {}).get(value, value)


def consistency_problems(
    *,
    runs_on: str,
    conditions_all: Sequence[Mapping[str, Any]],
    conditions_any: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
    choices: conditions.Choices,
) -> list[str]:
    """What makes a trigger's configuration inconsistent, as messages."""
    problems = []
    if not actions:
        problems.append(_("Add at least one action."))
    every = [*conditions_all, *conditions_any]
    if runs_on == Trigger.RunsOn.CREATED and (
        any(c.get("op") in conditions.CHANGE_OPS for c in every)
        or any(c.get("field") == "message" for c in every)
    ):
        problems.append(
            _(
                "A trigger that runs only when a request is created cannot react to changes "
                "or added messages: a new request has none yet. Run it on updates too, or "
                "remove those conditions."
            )
        )
    sets = rule_actions.changed_fields(actions)
    for condition in conditions_all:
        name, op, value = condition.get("field"), condition.get("op"), condition.get("value")
        if op == "changed_to" and name in sets and sets[name] != value:
            problems.append(
                _(
                    "This trigger would undo the change it reacts to: it sets “%(field)s” "
                    "again right after it changed to “%(value)s”."
                )
                % {
                    "field": conditions.field_label(name, choices),
                    "value": _value_label(name, value, choices),
                }
            )
    if actions and all(_is_noop(a, conditions_all) for a in actions):
        problems.append(
            _(
                "This trigger's actions would change nothing: its own conditions already "
                "require the values it sets. It would fire on every change without doing "
                "anything."
            )
        )
    return problems


def _is_noop(action: Mapping[str, Any], conditions_all: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the action can never change anything while the conditions hold."""
    if action.get("action", "") in rule_actions.NOTIFY_ACTIONS:
        return False
    for target, value in rule_actions.changed_fields([action]).items():
        for c in conditions_all:
            name, op, required = c.get("field"), c.get("op"), c.get("value", "")
            if name == target and op in ("is", "changed_to") and required == value:
                return True
            # "Tags contain at least one of: x" + "add tags: x"; "none of: x y" + "remove: x".
            if name == "tags" and op == "includes" and target == "tags+" and value == required:
                return True
            removes = target == "tags-" and set(value.split()) <= set(required.split())
            if name == "tags" and op == "excludes" and removes:
                return True
    return False


def trigger_clean(
    *,
    runs_on: str,
    conditions_all: Sequence[Mapping[str, Any]],
    conditions_any: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
    choices: conditions.Choices | None = None,
) -> dict[str, Any]:
    """Cleaned conditions and actions; ValidationError (a dict by part) when anything is
    wrong."""
    choices = choices or conditions.Choices.load()
    errors: dict[str, list[str]] = {}
    all_rows, problems = conditions.clean_conditions(conditions_all, choices, automation=False)
    if problems:
        errors["conditions_all"] = problems
    any_rows, problems = conditions.clean_conditions(conditions_any, choices, automation=False)
    if problems:
        errors["conditions_any"] = problems
    action_rows, problems = rule_actions.clean_actions(actions, choices)
    if problems:
        errors["actions"] = problems
    if not errors:
        problems = consistency_problems(
            runs_on=runs_on,
            conditions_all=all_rows,
            conditions_any=any_rows,
            actions=action_rows,
            choices=choices,
        )
        if problems:
            errors["__all__"] = problems
    if errors:
        raise ValidationError(errors)
    return {"conditions_all": all_rows, "conditions_any": any_rows, "actions": action_rows}


@transaction.atomic
def trigger_save(
    *,
    trigger: Trigger | None,
    name: str,
    description: str = "",
    runs_on: str = Trigger.RunsOn.BOTH,
    active: bool = True,
    conditions_all: Sequence[Mapping[str, Any]] = (),
    conditions_any: Sequence[Mapping[str, Any]] = (),
    actions: Sequence[Mapping[str, Any]] = (),
    choices: conditions.Choices | None = None,
) -> Trigger:
    """Creates or updates a trigger (a new one goes last); ValidationError when inconsistent."""
    name = name.strip()[:100]
    if not name:
        raise ValidationError({"name": [_("Give the trigger a name.")]})
    if runs_on not in Trigger.RunsOn.values:
        raise ValidationError({"runs_on": [_("Choose when the trigger runs.")]})
    cleaned = trigger_clean(
        runs_on=runs_on,
        conditions_all=conditions_all,
        conditions_any=conditions_any,
        actions=actions,
        choices=choices,
    )
    trigger = trigger or Trigger(position=ordering.next_position(Trigger))
    trigger.runs_on = runs_on
    rule_store(trigger, name=name, description=description, active=active, cleaned=cleaned)
    triggers_changed()
    return trigger


def rule_store(
    row: Trigger | Automation, *, name: str, description: str, active: bool, cleaned: Mapping
) -> None:
    """Writes what triggers and automations share: name, description, state, the checked
    conditions and actions (a new row has its position already)."""
    row.name = name
    row.description = description.strip()[:300]
    row.active = active
    row.conditions_all = cleaned["conditions_all"]
    row.conditions_any = cleaned["conditions_any"]
    row.actions = cleaned["actions"]
    row.updated_at = timezone.now()
    row.save()


@transaction.atomic
def trigger_delete(*, trigger: Trigger) -> None:
    trigger.delete()
    triggers_changed()


@transaction.atomic
def trigger_set_active(*, trigger: Trigger, active: bool) -> None:
    trigger.active = active
    trigger.updated_at = timezone.now()
    trigger.save(update_fields=["active", "updated_at"])
    triggers_changed()


def move(obj: Any, direction: str) -> None:
    """One place up or down in the order (core.ordering); ValidationError for another way."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move up or down."))
    ordering.move(obj, direction)


@transaction.atomic
def trigger_move(*, trigger: Trigger, direction: str) -> None:
    move(trigger, direction)
    triggers_changed()
