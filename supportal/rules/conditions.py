"""Conditions of triggers and automations: what they may say, checking them when saved, and
evaluating them against a request (and, for triggers, the change being made).

A condition is a small dict: {"field": "status", "op": "is", "value": "open"}. Values are stored
as strings: a status or channel code, a priority number, a group, agent, organization or type
id ("none" for an empty one), tag names separated by spaces, words, or a number of hours.

Evaluation is pure: it reads the request, the change and a `Facts` object that loads what few
conditions need beyond the request row (tags, custom field values, the first message, the
requester's language) once per change, whatever the number of rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.tickets.models import Channel, Priority, Status, Ticket, TicketEvent

NONE = "none"
# The agent making the change (triggers only): "assignee is the current agent", "assign to the
# agent who made the change", "email the agent who made the change".
CURRENT = "current"
MAX_HOURS = 24 * 366

# Who made a change ("updated by").
AGENT, CUSTOMER, SYSTEM, RULE = "agent", "customer", "system", "rule"
UPDATERS = [
    (AGENT, gettext_lazy("An agent")),
    (CUSTOMER, gettext_lazy("A customer")),
    (SYSTEM, gettext_lazy("The system")),
    (RULE, gettext_lazy("A trigger or automation")),
]
# What a change added to the conversation ("message").
PUBLIC_AGENT, PUBLIC_CUSTOMER, NOTE = "public_agent", "public_customer", "note"
MESSAGES = [
    (PUBLIC_AGENT, gettext_lazy("A public reply by an agent")),
    (PUBLIC_CUSTOMER, gettext_lazy("A public reply by the customer")),
    (NOTE, gettext_lazy("An internal note")),
]

OPERATORS = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "changed": gettext_lazy("changed"),
    "not_changed": gettext_lazy("did not change"),
    "changed_to": gettext_lazy("changed to"),
    "changed_from": gettext_lazy("changed from"),
    "includes": gettext_lazy("contains at least one of"),
    "excludes": gettext_lazy("contains none of"),
    "contains": gettext_lazy("contains any of the words"),
    "not_contains": gettext_lazy("contains none of the words"),
    "gte": gettext_lazy("is at least (calendar hours)"),
    "lt": gettext_lazy("is less than (calendar hours)"),
    "business_gte": gettext_lazy("is at least (business hours)"),
    "business_lt": gettext_lazy("is less than (business hours)"),
}
CHANGE_OPS = ("changed", "not_changed", "changed_to", "changed_from")
TIME_OPS = ("gte", "lt", "business_gte", "business_lt")
IS_OPS = ("is", "is_not")

# field -> (kind of value, operators). Kinds name where the value comes from (Choices).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "status": ("status", IS_OPS + CHANGE_OPS),
    "priority": ("priority", IS_OPS + CHANGE_OPS),
    "type": ("type", IS_OPS + CHANGE_OPS),
    "group": ("group", IS_OPS + CHANGE_OPS),
    "assignee": ("agent", IS_OPS + CHANGE_OPS),
    "channel": ("channel", IS_OPS),
    "organization": ("organization", IS_OPS),
    "language": ("language", IS_OPS),
    "tags": ("tags", ("includes", "excludes")),
    "subject": ("words", ("contains", "not_contains")),
    "description": ("words", ("contains", "not_contains")),
    "updated_by": ("updater", IS_OPS),
    "message": ("message", IS_OPS),
    "hours_since_created": ("hours", TIME_OPS),
    "hours_since_updated": ("hours", TIME_OPS),
    "hours_since_pending": ("hours", TIME_OPS),
    "hours_since_solved": ("hours", TIME_OPS),
}
FIELD_LABELS = {
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "type": gettext_lazy("Request type"),
    "group": gettext_lazy("Group"),
    "assignee": gettext_lazy("Assignee"),
    "channel": gettext_lazy("Channel"),
    "organization": gettext_lazy("Organization"),
    "language": gettext_lazy("Requester's language"),
    "tags": gettext_lazy("Tags"),
    "subject": gettext_lazy("Subject"),
    "description": gettext_lazy("Description"),
    "updated_by": gettext_lazy("Updated by"),
    "message": gettext_lazy("Message added"),
    "hours_since_created": gettext_lazy("Hours since created"),
    "hours_since_updated": gettext_lazy("Hours since updated"),
    "hours_since_pending": gettext_lazy("Hours since pending"),
    "hours_since_solved": gettext_lazy("Hours since solved"),
}
TIME_FIELDS = ("hours_since_created", "hours_since_updated", "hours_since_pending")
TIME_FIELDS = (*TIME_FIELDS, "hours_since_solved")
# Only a change has these: a trigger's, never an automation's.
CHANGE_FIELDS = ("updated_by", "message")
# Custom fields: "field:<key>", with is / is not and a value as stored.
CUSTOM_PREFIX = "field:"


@dataclass
class Choices:
    """The values a condition or action may name, read once per form or save."""

    groups: dict[str, str] = field(default_factory=dict)  # id -> name
    agents: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    organizations: dict[str, str] = field(default_factory=dict)
    custom_fields: dict[str, Any] = field(default_factory=dict)  # key -> CustomField

    @classmethod
    def load(cls) -> Choices:
        from supportal.accounts.models import Organization, Role, User
        from supportal.tickets.models import CustomField, Group, RequestType

        agents = User.objects.filter(role__in=[Role.AGENT, Role.ADMIN], is_active=True)
        return cls(
            groups={str(g.pk): g.name for g in Group.objects.order_by("name")},
            agents={str(u.pk): str(u) for u in agents.order_by("name", "pk")},
            types={str(t.pk): t.name for t in RequestType.objects.all()},
            organizations={str(o.pk): o.name for o in Organization.objects.order_by("name")[:1000]},
            custom_fields={f.key: f for f in CustomField.objects.filter(active=True)},
        )

    def values(self, kind: str) -> dict[str, str] | None:
        """The allowed values of a kind (value -> label), or None for free text."""
        empty = {NONE: str(_("(none)"))}
        table: dict[str, Mapping[str, Any]] = {
            "status": {s.value: s.label for s in Status},
            "priority": {str(p.value): p.label for p in Priority},
            "channel": {c.value: c.label for c in Channel},
            "language": dict(settings.LANGUAGES),
            "updater": dict(UPDATERS),
            "message": dict(MESSAGES),
            "group": {**empty, **self.groups},
            "agent": {**empty, CURRENT: str(_("(the agent making the change)")), **self.agents},
            "type": {**empty, **self.types},
            "organization": {**empty, **self.organizations},
        }
        found = table.get(kind)
        return None if found is None else {k: str(v) for k, v in found.items()}


def field_kind(name: str, choices: Choices) -> tuple[str, tuple[str, ...]] | None:
    if name.startswith(CUSTOM_PREFIX):
        custom = choices.custom_fields.get(name[len(CUSTOM_PREFIX) :])
        return None if custom is None else ("custom", (*IS_OPS, "changed", "changed_to"))
    return FIELDS.get(name)


def field_label(name: str, choices: Choices | None = None) -> str:
    if name.startswith(CUSTOM_PREFIX):
        key = name[len(CUSTOM_PREFIX) :]
        custom = choices.custom_fields.get(key) if choices else None
        return custom.label if custom else key
    return str(FIELD_LABELS.get(name, name))


def describe(row: Mapping[str, Any], choices: Choices) -> str:
    """A condition in words: "Priority is Urgent", "Status changed to Solved"."""
    name, op = row.get("field", ""), row.get("op", "")
    spec = field_kind(name, choices)
    values = choices.values(spec[0]) if spec else None
    value = (values or {}).get(row.get("value", ""), row.get("value", ""))
    parts = (field_label(name, choices), str(OPERATORS.get(op, op)), str(value))
    return " ".join(part for part in parts if part)


def words(value: str) -> list[str]:
    return [word for word in value.lower().split() if word]


# --- Checking what is saved --------------------------------------------------------------------


def clean_condition(raw: Mapping[str, Any], choices: Choices, *, automation: bool) -> dict:
    """The condition as stored, or ValidationError with a message naming the problem."""
    name, op = str(raw.get("field", "")), str(raw.get("op", ""))
    value = str(raw.get("value", "") or "").strip()
    spec = field_kind(name, choices)
    if spec is None:
        raise ValidationError(_("Choose a field for each condition."), code="field")
    kind, ops = spec
    label = field_label(name, choices)
    if op not in ops:
        raise ValidationError(
            _("“%(operator)s” does not apply to “%(field)s”.")
            % {"operator": OPERATORS.get(op, op), "field": label},
            code="op",
        )
    if automation and (op in CHANGE_OPS or name in CHANGE_FIELDS):
        raise ValidationError(
            _(
                "Automations look at requests, not at changes: “%(field)s %(operator)s” only "
                "works in a trigger."
            )
            % {"field": label, "operator": OPERATORS[op]},
            code="change",
        )
    if not automation and kind == "hours":
        raise ValidationError(
            _("“%(field)s” only works in an automation.") % {"field": label}, code="hours"
        )
    if op in ("changed", "not_changed"):
        return {"field": name, "op": op, "value": ""}
    if kind == "hours":
        if not value.lstrip("-").isdigit():
            raise ValidationError(
                _("Enter a whole number of hours for “%(field)s”.") % {"field": label},
                code="hours",
            )
        hours = int(value)
        if hours <= 0 or hours > MAX_HOURS:
            raise ValidationError(
                _("“%(field)s” must be between 1 and %(max)d hours.")
                % {"field": label, "max": MAX_HOURS},
                code="hours",
            )
        return {"field": name, "op": op, "value": str(hours)}
    allowed = choices.values(kind)
    if automation and value == CURRENT:
        raise ValidationError(
            _(
                "An automation acts on its own: “the agent making the change” only works in a "
                "trigger."
            ),
            code="current",
        )
    if allowed is not None:
        if value not in allowed:
            raise ValidationError(
                _("Choose a value for “%(field)s” from its list.") % {"field": label},
                code="value",
            )
        return {"field": name, "op": op, "value": value}
    if kind == "custom":
        custom = choices.custom_fields[name[len(CUSTOM_PREFIX) :]]
        if (
            custom.kind == custom.Kind.DROPDOWN
            and value
            and value not in dict(custom.choice_list())
        ):
            raise ValidationError(
                _("“%(value)s” is not a choice of “%(field)s”.") % {"value": value, "field": label},
                code="value",
            )
        if custom.kind == custom.Kind.CHECKBOX:
            value = "1" if value.lower() in ("1", "yes", "true", "on") else ""
        return {"field": name, "op": op, "value": value[:200]}
    if kind == "tags":
        tags = sorted({t[:50] for t in value.lower().replace(",", " ").split()})
        if not tags:
            raise ValidationError(
                _("Enter at least one tag for “%(field)s”.") % {"field": label}, code="value"
            )
        return {"field": name, "op": op, "value": " ".join(tags)}
    if not words(value):
        raise ValidationError(
            _("Enter at least one word for “%(field)s”.") % {"field": label}, code="value"
        )
    return {"field": name, "op": op, "value": value[:500]}


def clean_conditions(
    rows: Iterable[Mapping[str, Any]], choices: Choices, *, automation: bool
) -> tuple[list[dict], list[str]]:
    """(cleaned conditions, messages about the rows that are wrong)."""
    cleaned, errors = [], []
    for raw in rows:
        try:
            cleaned.append(clean_condition(raw, choices, automation=automation))
        except ValidationError as error:
            errors.extend(error.messages)
    return cleaned, errors


def time_conditions(conditions: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [c for c in conditions if c.get("field") in TIME_FIELDS]


def reads_change(conditions: Iterable[Mapping[str, Any]]) -> bool:
    return any(c.get("op") in CHANGE_OPS or c.get("field") in CHANGE_FIELDS for c in conditions)


# --- Evaluating --------------------------------------------------------------------------------


class Facts:
    """What conditions read beyond the request row, loaded on first use (one query each)."""

    def __init__(self, ticket: Ticket, change: Any = None, *, preload: Mapping | None = None):
        self.ticket = ticket
        self.change = change
        self._cache: dict[str, Any] = dict(preload or {})

    def _get(self, key: str, load: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = load()
        return self._cache[key]

    def tags(self) -> set[str]:
        return self._get("tags", lambda: set(self.ticket.tags.values_list("name", flat=True)))

    def fields(self) -> dict[str, str]:
        return self._get(
            "fields",
            lambda: dict(self.ticket.field_values.values_list("field__key", "value")),
        )

    def description(self) -> str:
        def load() -> str:
            change = self.change
            if change is not None and change.created and change.message is not None:
                return change.message.body
            first = self.ticket.messages.order_by("created_at", "pk").values("body").first()
            return first["body"] if first else ""

        return self._get("description", load)

    def language(self) -> str:
        return self._get(
            "language",
            lambda: (
                type(self.ticket.requester)
                .objects.filter(pk=self.ticket.requester_id)
                .values_list("language", flat=True)
                .first()
                or ""
            ),
        )

    def since(self, name: str) -> datetime | None:
        """When the hours of a time condition count from (None: not in that state)."""
        ticket = self.ticket
        if name == "hours_since_created":
            return ticket.created_at
        if name == "hours_since_updated":
            return ticket.updated_at
        if name == "hours_since_solved":
            return ticket.solved_at if ticket.status == Status.SOLVED else None
        if ticket.status != Status.PENDING:
            return None
        return self._get("since:pending", lambda: _entered(ticket, Status.PENDING))

    def hours(self, name: str, now: datetime, business: bool) -> float | None:
        since = self.since(name)
        if since is None:
            return None
        if business:
            from supportal.lib.businesstime import business_time_between
            from supportal.sla.selectors import schedule_for_group

            schedule = schedule_for_group(self.ticket.group_id)
            if schedule is not None:
                return business_time_between(since, now, schedule) / timedelta(hours=1)
        return (now - since) / timedelta(hours=1)


def _entered(ticket: Ticket, status: str) -> datetime:
    """When the request last changed to `status` (its creation if it never did)."""
    event = (
        TicketEvent.objects.filter(ticket=ticket, field="status", new_value=status)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return event or ticket.created_at


def updater(change: Any) -> str:
    if change.via:
        return RULE
    actor = change.actor
    if actor is None or change.channel == Channel.SYSTEM:
        return SYSTEM
    return AGENT if actor.is_agent else CUSTOMER


def _current(ticket: Ticket, name: str, facts: Facts) -> str:
    if name == "status":
        return ticket.status
    if name == "priority":
        return str(ticket.priority)
    if name in ("type", "group", "assignee", "organization"):
        value = getattr(ticket, f"{name}_id")
        return NONE if value is None else str(value)
    if name == "channel":
        return ticket.channel
    if name == "language":
        return facts.language()
    if name.startswith(CUSTOM_PREFIX):
        return facts.fields().get(name[len(CUSTOM_PREFIX) :], "")
    return ""


def _event_value(name: str, value: str) -> str:
    if name in ("type", "group", "assignee"):
        return value or NONE
    return value


def _actor_id(change: Any) -> str | None:
    actor = change.actor if change is not None else None
    return str(actor.pk) if actor is not None and actor.is_agent else None


def _message_kind(change: Any) -> str:
    message = change.message
    if message is None or change.created:
        return ""
    if not message.public:
        return NOTE
    author = change.actor
    return PUBLIC_AGENT if author is not None and author.is_agent else PUBLIC_CUSTOMER


def holds(condition: Mapping[str, Any], facts: Facts, now: datetime | None = None) -> bool:
    name, op, value = (
        condition.get("field", ""),
        condition.get("op", ""),
        condition.get("value", ""),
    )
    ticket, change = facts.ticket, facts.change
    if op in TIME_OPS:
        hours = facts.hours(name, now or ticket.updated_at, business=op.startswith("business"))
        if hours is None:
            return False
        return hours >= int(value) if op.endswith("gte") else hours < int(value)
    if op in CHANGE_OPS:
        event = change.changed(name) if change is not None else None
        if op == "changed":
            return event is not None
        if op == "not_changed":
            return event is None
        if event is None:
            return False
        seen = _event_value(name, event.new_value if op == "changed_to" else event.old_value)
        if value == CURRENT:
            return seen == _actor_id(change)
        return seen == value
    if name == "tags":
        wanted = set(value.split())
        return bool(wanted & facts.tags()) == (op == "includes")
    if name in ("subject", "description"):
        text = (ticket.subject if name == "subject" else facts.description()).lower()
        found = any(word in text for word in words(value))
        return found == (op == "contains")
    if name == "updated_by":
        return change is not None and (updater(change) == value) == (op == "is")
    if name == "message":
        return change is not None and (_message_kind(change) == value) == (op == "is")
    if value == CURRENT:
        actor = _actor_id(change)
        return (actor is not None and _current(ticket, name, facts) == actor) == (op == "is")
    return (_current(ticket, name, facts) == value) == (op == "is")


def matches(
    conditions_all: Sequence[Mapping[str, Any]],
    conditions_any: Sequence[Mapping[str, Any]],
    facts: Facts,
    now: datetime | None = None,
) -> bool:
    """All of the first list hold, and at least one of the second when it has any."""
    if not all(holds(c, facts, now) for c in conditions_all):
        return False
    return not conditions_any or any(holds(c, facts, now) for c in conditions_any)
