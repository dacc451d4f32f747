"""Time-based automations: checked hourly by the worker (rules/tasks.py) or `supportal
run_automations`.

Each pass finds candidates in SQL first (status and the other plain conditions, the calendar
cut-off of every "at least N hours" condition, which business hours can only make later), then
checks each candidate exactly in Python with what was loaded in bulk for the whole batch. Each
firing is one transaction holding the AutomationRun row (automation, request, since), the
request's changes and the outbox rows of its mail: a pass run twice, or killed and started
again, never fires twice for the same request in the same state, nor sends a mail twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.core import ordering
from supportal.rules import actions as rule_actions
from supportal.rules import conditions
from supportal.rules.models import Automation, AutomationRun
from supportal.rules.triggers import move, rule_store
from supportal.tickets.models import Status, Ticket, TicketEvent, TicketFieldValue, TicketTag

logger = logging.getLogger(__name__)

BATCH = 500
# Plain conditions that become SQL filters: condition field -> Ticket column.
_COLUMNS = {
    "status": "status",
    "priority": "priority",
    "type": "type_id",
    "group": "group_id",
    "assignee": "assignee_id",
    "channel": "channel",
    "organization": "organization_id",
}


def anchor_field(conditions_all: Sequence[Mapping[str, Any]]) -> str:
    """The time condition whose start a firing is recorded by (AutomationRun.since): the first
    "at least" one, else the first of any."""
    times = conditions.time_conditions(conditions_all)
    for condition in times:
        if condition["op"] in ("gte", "business_gte"):
            return condition["field"]
    return times[0]["field"]


def _column_value(name: str, value: str) -> Any:
    if value == conditions.NONE:
        return None
    numeric = ("priority", "type", "group", "assignee", "organization")
    return int(value) if name in numeric else value


def candidates(automation: Automation, now: datetime) -> QuerySet[Ticket]:
    """Requests that may match, by the conditions SQL can check; never a closed one."""
    rows = Ticket.objects.exclude(status=Status.CLOSED)
    for condition in automation.conditions_all:
        name, op, value = condition["field"], condition["op"], condition.get("value", "")
        if name in _COLUMNS and op in conditions.IS_OPS:
            lookup = {_COLUMNS[name]: _column_value(name, value)}
            if lookup[_COLUMNS[name]] is None:
                lookup = {f"{_COLUMNS[name]}__isnull": True}
            rows = rows.filter(**lookup) if op == "is" else rows.exclude(**lookup)
        elif name in conditions.TIME_FIELDS:
            rows = _time_filter(rows, name, op, int(value), now)
    anchor = anchor_field(automation.conditions_all)
    column = {
        "hours_since_created": "created_at",
        "hours_since_updated": "updated_at",
        "hours_since_solved": "solved_at",
    }.get(anchor)
    if column:
        done = AutomationRun.objects.filter(
            automation=automation, ticket=OuterRef("pk"), since=OuterRef(column)
        )
        rows = rows.exclude(Exists(done))
    return rows


def _time_filter(rows: QuerySet[Ticket], name: str, op: str, hours: int, now: datetime) -> Any:
    cutoff = now - timedelta(hours=hours)
    at_least = op in ("gte", "business_gte")
    if name == "hours_since_pending":
        rows = rows.filter(status=Status.PENDING)
        if at_least:
            # Business hours only come later than calendar ones: pending since before the
            # cut-off, so created then and with no change to pending since.
            recent = TicketEvent.objects.filter(
                ticket=OuterRef("pk"),
                field="status",
                new_value=Status.PENDING,
                created_at__gt=cutoff,
            )
            rows = rows.filter(created_at__lte=cutoff).exclude(Exists(recent))
        return rows
    if name == "hours_since_solved":
        rows = rows.filter(status=Status.SOLVED)
        column = "solved_at"
    else:
        column = "created_at" if name == "hours_since_created" else "updated_at"
    if at_least:
        return rows.filter(**{f"{column}__lte": cutoff})
    if op == "lt":  # business "less than" can hold past the calendar cut-off
        return rows.filter(**{f"{column}__gt": cutoff})
    return rows


@dataclass
class Result:
    automation: int
    fired: int


def _preloads(automation: Automation, tickets: list[Ticket]) -> dict[int, dict[str, Any]]:
    """What the conditions read beyond the request rows, for a whole batch in a few queries."""
    ids = [t.pk for t in tickets]
    every = [*automation.conditions_all, *automation.conditions_any]
    names = {c.get("field", "") for c in every}
    loaded: dict[int, dict[str, Any]] = {pk: {} for pk in ids}
    if "hours_since_pending" in names:
        for pk in ids:
            loaded[pk]["since:pending"] = None
        rows = (
            TicketEvent.objects.filter(ticket_id__in=ids, field="status", new_value=Status.PENDING)
            .values("ticket_id")
            .annotate(at=Max("created_at"))
        )
        for row in rows:
            loaded[row["ticket_id"]]["since:pending"] = row["at"]
        for ticket in tickets:
            if loaded[ticket.pk]["since:pending"] is None:
                loaded[ticket.pk]["since:pending"] = ticket.created_at
    if "tags" in names:
        for pk in ids:
            loaded[pk]["tags"] = set()
        for ticket_id, tag in TicketTag.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "tag__name"
        ):
            loaded[ticket_id]["tags"].add(tag)
    if any(name.startswith(conditions.CUSTOM_PREFIX) for name in names):
        for pk in ids:
            loaded[pk]["fields"] = {}
        for ticket_id, key, value in TicketFieldValue.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "field__key", "value"
        ):
            loaded[ticket_id]["fields"][key] = value
    if "language" in names:
        for ticket in tickets:
            loaded[ticket.pk]["language"] = ticket.requester.language
    return loaded


def _matches(automation: Automation, facts: conditions.Facts, now: datetime) -> bool:
    return conditions.matches(automation.conditions_all, automation.conditions_any, facts, now)


def automation_run(*, automation: Automation, now: datetime | None = None) -> int:
    """One automation over every request it applies to; returns how many it acted on."""
    now = now or timezone.now()
    anchor = anchor_field(automation.conditions_all)
    last, fired = 0, 0
    base = candidates(automation, now).select_related("requester").order_by("pk")
    while True:
        batch = list(base.filter(pk__gt=last)[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        loaded = _preloads(automation, batch)
        for ticket in batch:
            facts = conditions.Facts(ticket, preload=loaded[ticket.pk])
            if _matches(automation, facts, now) and _fire(automation, ticket.pk, anchor, now):
                fired += 1
    Automation.objects.filter(pk=automation.pk).update(last_run_at=now)
    return fired


def _fire(automation: Automation, ticket_id: int, anchor: str, now: datetime) -> bool:
    """Acts on one request in one transaction, claimed by its AutomationRun row."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None or ticket.status == Status.CLOSED:
            return False
        facts = conditions.Facts(ticket)
        # Checked again on the locked row: a person may have changed it since the batch.
        if not _matches(automation, facts, now):
            return False
        since = facts.since(anchor)
        if since is None:
            return False
        try:
            with transaction.atomic():
                AutomationRun.objects.create(
                    automation=automation, ticket=ticket, since=since, fired_at=now
                )
        except IntegrityError:
            return False  # fired already for this request in this state
        rule_actions.actions_apply(
            ticket=ticket, actions=automation.actions, via=f"automation:{automation.pk}"
        )
        Automation.objects.filter(pk=automation.pk).update(fired_count=F("fired_count") + 1)
    return True


def automations_run(now: datetime | None = None) -> list[Result]:
    """Every active automation in order; one failing is logged and does not stop the others."""
    now = now or timezone.now()
    results = []
    for automation in Automation.objects.filter(active=True).order_by("position", "pk"):
        try:
            results.append(Result(automation.pk, automation_run(automation=automation, now=now)))
        except Exception:
            logger.exception("automation %s (%s) failed", automation.pk, automation.name)
    return results


# --- Checking and saving -----------------------------------------------------------------------


def _nullified(
    conditions_all: Sequence[Mapping[str, Any]], actions: Sequence[Mapping[str, Any]]
) -> bool:
    """Whether carrying out the actions makes one of the conditions false (so the automation
    cannot fire again on the same request until someone changes it back)."""
    sets = rule_actions.changed_fields(actions)
    for condition in conditions_all:
        name, op, value = condition["field"], condition["op"], condition.get("value", "")
        if name in sets and op == "is" and sets[name] != value:
            return True
        if name in sets and op == "is_not" and sets[name] == value:
            return True
        if (
            name == "tags"
            and op == "excludes"
            and set(sets.get("tags+", "").split()) & set(value.split())
        ):
            return True
        if (
            name == "tags"
            and op == "includes"
            and set(value.split()) <= set(sets.get("tags-", "").split())
        ):
            return True
        status = {"hours_since_pending": Status.PENDING, "hours_since_solved": Status.SOLVED}
        if name in status and "status" in sets and sets["status"] != status[name]:
            return True
    return False


def consistency_problems(
    *,
    conditions_all: Sequence[Mapping[str, Any]],
    conditions_any: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
) -> list[str]:
    problems = []
    if not actions:
        problems.append(_("Add at least one action."))
    if not conditions.time_conditions(conditions_all):
        problems.append(
            _(
                "An automation needs at least one time condition among “all of these "
                "conditions”, such as “Hours since pending is at least 72”."
            )
        )
        return problems
    changes_request = any(a["action"] not in rule_actions.NOTIFY_ACTIONS for a in actions)
    restarts = anchor_field(conditions_all) == "hours_since_updated"
    if changes_request and restarts and not _nullified(conditions_all, actions):
        problems.append(
            _(
                "This automation would fire again and again: its actions update the request, "
                "which starts its “Hours since updated” count anew. Add a condition that its "
                "actions make false, such as “Tags contain none of: reminded” with the action "
                "“Add tags: reminded”."
            )
        )
    return problems


def automation_clean(
    *,
    conditions_all: Sequence[Mapping[str, Any]],
    conditions_any: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
    choices: conditions.Choices | None = None,
) -> dict[str, Any]:
    choices = choices or conditions.Choices.load()
    errors: dict[str, list[str]] = {}
    all_rows, problems = conditions.clean_conditions(conditions_all, choices, automation=True)
    if problems:
        errors["conditions_all"] = problems
    any_rows, problems = conditions.clean_conditions(conditions_any, choices, automation=True)
    if problems:
        errors["conditions_any"] = problems
    action_rows, problems = rule_actions.clean_actions(actions, choices, automation=True)
    if problems:
        errors["actions"] = problems
    if not errors:
        problems = consistency_problems(
            conditions_all=all_rows, conditions_any=any_rows, actions=action_rows
        )
        if problems:
            errors["__all__"] = problems
    if errors:
        raise ValidationError(errors)
    return {"conditions_all": all_rows, "conditions_any": any_rows, "actions": action_rows}


@transaction.atomic
def automation_save(
    *,
    automation: Automation | None,
    name: str,
    description: str = "",
    active: bool = True,
    conditions_all: Sequence[Mapping[str, Any]] = (),
    conditions_any: Sequence[Mapping[str, Any]] = (),
    actions: Sequence[Mapping[str, Any]] = (),
    choices: conditions.Choices | None = None,
) -> Automation:
    name = name.strip()[:100]
    if not name:
        raise ValidationError({"name": [_("Give the automation a name.")]})
    cleaned = automation_clean(
        conditions_all=conditions_all,
        conditions_any=conditions_any,
        actions=actions,
        choices=choices,
    )
    automation = automation or Automation(position=ordering.next_position(Automation))
    rule_store(automation, name=name, description=description, active=active, cleaned=cleaned)
    return automation


@transaction.atomic
def automation_delete(*, automation: Automation) -> None:
    automation.delete()


@transaction.atomic
def automation_set_active(*, automation: Automation, active: bool) -> None:
    automation.active = active
    automation.updated_at = timezone.now()
    automation.save(update_fields=["active", "updated_at"])


@transaction.atomic
def automation_move(*, automation: Automation, direction: str) -> None:
    move(automation, direction)
