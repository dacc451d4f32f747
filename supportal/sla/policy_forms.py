"""Forms of the service level policy settings: a policy (conditions, targets, escalation) and
the leads of each group."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportal.accounts.models import Organization, User
from supportal.sla.models import Metric, SlaPolicy
from supportal.tickets.models import Channel, CustomField, Group, Priority, RequestType

# Rows of the targets table, most urgent first.
PRIORITIES = sorted(Priority, key=lambda p: -p.value)
METRICS = list(Metric)
MAX_TARGET_MINUTES = 365 * 24 * 60

_UNITS = {
    "d": 24 * 60,
    "day": 24 * 60,
    "days": 24 * 60,
    "일": 24 * 60,
    "日": 24 * 60,
    "天": 24 * 60,
    "h": 60,
    "hr": 60,
    "hrs": 60,
    "hour": 60,
    "hours": 60,
    "시간": 60,
    "時間": 60,
    "小时": 60,
    "小時": 60,
    "m": 1,
    "min": 1,
    "mins": 1,
    "minute": 1,
    "minutes": 1,
    "분": 1,
    "分": 1,
    "分钟": 1,
    "分鐘": 1,
}
_PART = re.compile(r"(\d{1,6})\s*([^\d\s,]+)")


def parse_duration(text: str) -> int | None:
    """Minutes in "4h 30m", "1d 2h", "45m", "4:30" (hours:minutes), "4" (hours), or with the
    units written in Korean, Japanese or Chinese ("4시간 30분"); None when it cannot be read."""
    text = text.strip().lower()
    if not text:
        return None
    if re.fullmatch(r"\d{1,6}", text):
        return int(text) * 60
    clock = re.fullmatch(r"(\d{1,6}):([0-5]\d)", text)
    if clock:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    total, end = 0, 0
    for part in _PART.finditer(text):
        if text[end : part.start()].strip(" ,"):
            return None
        unit = _UNITS.get(part.group(2))
        if unit is None:
            return None
        total += int(part.group(1)) * unit
        end = part.end()
    if end == 0 or text[end:].strip(" ,"):
        return None
    return total


def duration_text(minutes: int) -> str:
    """The input form of `minutes`: "2d" for whole days, else "4h 30m", "45m"."""
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    hours, mins = divmod(minutes, 60)
    parts = (f"{hours}h" if hours else "", f"{mins}m" if mins else "")
    return " ".join(part for part in parts if part)


def tag_list(text: str) -> list[str]:
    """Tags separated by spaces or commas, lower-cased, each once."""
    return list(dict.fromkeys(t.lower()[:50] for t in re.split(r"[\s,]+", text) if t))


def field_values_text(values: dict[str, Any]) -> str:
    lines = []
    for key, choices in values.items():
        for value in choices if isinstance(choices, list) else [choices]:
            lines.append(f"{key} = {value}")
    return "\n".join(lines)


def target_name(priority: int, metric: str) -> str:
    return f"target_{priority}_{metric}"


def clock_name(priority: int) -> str:
    return f"clock_{priority}"


CLOCK_CHOICES = [
    ("business", _("Business hours")),
    ("calendar", _("Calendar hours")),
]


class PolicyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    priorities = forms.TypedMultipleChoiceField(
        label=pgettext_lazy("ticket field", "Priority"),
        choices=[(p.value, p.label) for p in PRIORITIES],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    request_types = forms.ModelMultipleChoiceField(
        label=_("Request types"), queryset=RequestType.objects.none(), required=False
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"), queryset=Group.objects.none(), required=False
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organizations"), queryset=Organization.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"),
        max_length=500,
        required=False,
        help_text=_("Requests with any of these tags. Separate tags with spaces or commas."),
    )
    field_values = forms.CharField(
        label=_("Custom field values"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One condition a line, as key = value (for a drop-down, the choice's value or name)."
            " Several lines with the same key mean any of these values."
        ),
    )
    pause_when_pending = forms.BooleanField(
        label=_("Pause the clocks while a request is pending"), required=False
    )
    pause_when_on_hold = forms.BooleanField(
        label=_("Pause the clocks while a request is on hold"), required=False
    )
    warn_minutes = forms.IntegerField(
        label=_("Warn this many minutes before a target is missed"),
        min_value=0,
        max_value=7 * 24 * 60,
        initial=60,
        help_text=_("0 for no warning."),
    )
    notify_on_breach = forms.BooleanField(
        label=_("Notify the assignee and the group's leads"), required=False, initial=True
    )
    raise_priority_on_breach = forms.BooleanField(
        label=_("Raise the priority one step when a target is missed"), required=False
    )
    escalate_to_group = forms.ModelChoiceField(
        label=_("Reassign to a group when a target is missed"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("Do not reassign"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["request_types"].queryset = RequestType.objects.all()  # type: ignore[attr-defined]
        self.fields["groups"].queryset = Group.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["escalate_to_group"].queryset = Group.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["organizations"].queryset = Organization.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["request_types"].label_from_instance = lambda kind: kind.name  # type: ignore[attr-defined]
        for priority in PRIORITIES:
            for metric in METRICS:
                self.fields[target_name(priority, metric)] = forms.CharField(
                    label=_("%(metric)s for %(priority)s priority")
                    % {"metric": metric.label, "priority": priority.label},
                    max_length=30,
                    required=False,
                    widget=forms.TextInput(attrs={"size": 7, "autocomplete": "off"}),
                )
            self.fields[clock_name(priority)] = forms.ChoiceField(
                label=_("Clock for %(priority)s priority") % {"priority": priority.label},
                choices=CLOCK_CHOICES,
                initial="business",
            )
        self.target_errors: list[str] = []

    def target_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "priority": priority,
                "cells": [self[target_name(priority, metric)] for metric in METRICS],
                "clock": self[clock_name(priority)],
            }
            for priority in PRIORITIES
        ]

    def metrics(self) -> list[Metric]:
        return METRICS

    # --- Cleaning ---

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("A policy needs a name."))
        return name

    def clean_tags(self) -> list[str]:
        return tag_list(self.cleaned_data.get("tags", ""))

    def clean_field_values(self) -> dict[str, list[str]]:
        text = self.cleaned_data.get("field_values", "")
        fields = {field.key: field for field in CustomField.objects.filter(active=True)}
        values: dict[str, list[str]] = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            key, value = key.strip(), value.strip()
            if not sep or not key or not value:
                raise ValidationError(
                    _("Write each condition as key = value: “%(line)s”.") % {"line": line.strip()}
                )
            field = fields.get(key)
            if field is None:
                raise ValidationError(
                    _("There is no active custom field with the key “%(key)s”.") % {"key": key}
                )
            if field.kind == CustomField.Kind.DROPDOWN:
                value = self._choice(field, value)
            values.setdefault(key, [])
            if value not in values[key]:
                values[key].append(value)
        return values

    def _choice(self, field: CustomField, value: str) -> str:
        for choice, label in field.choice_list():
            if value == choice or value.casefold() == label.casefold():
                return choice
        names = ", ".join(choice for choice, _label in field.choice_list())
        raise ValidationError(
            _("“%(value)s” is not a choice of the field “%(key)s”. Its choices: %(choices)s.")
            % {"value": value, "key": field.key, "choices": names}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        targets = []
        for priority in PRIORITIES:
            business = data.get(clock_name(priority), "business") == "business"
            for metric in METRICS:
                name = target_name(priority, metric)
                text = (data.get(name) or "").strip()
                if not text:
                    continue
                minutes = parse_duration(text)
                if minutes is None:
                    self.add_error(name, _("Enter a time like 4h 30m, 45m or 2d."))
                elif minutes <= 0:
                    self.add_error(name, _("A target must be longer than zero."))
                elif minutes > MAX_TARGET_MINUTES:
                    self.add_error(name, _("A target can be at most 365 days."))
                else:
                    targets.append((int(priority), str(metric), minutes, business))
        if not targets and not any(name.startswith("target_") for name in self.errors):
            self.target_errors.append(str(_("Set at least one target.")))
            self.add_error(None, _("Set at least one target."))
        data["targets"] = targets
        return data


def policy_initial(policy: SlaPolicy) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": policy.name,
        "description": policy.description,
        "active": policy.active,
        "priorities": list(policy.priorities),
        "channels": list(policy.channels),
        "request_types": list(policy.request_types.all()),
        "groups": list(policy.groups.all()),
        "organizations": list(policy.organizations.all()),
        "tags": " ".join(policy.tags),
        "field_values": field_values_text(policy.field_values or {}),
        "pause_when_pending": policy.pause_when_pending,
        "pause_when_on_hold": policy.pause_when_on_hold,
        "warn_minutes": policy.warn_minutes,
        "notify_on_breach": policy.notify_on_breach,
        "raise_priority_on_breach": policy.raise_priority_on_breach,
        "escalate_to_group": policy.escalate_to_group_id,
    }
    for target in policy.targets.all():
        initial[target_name(target.priority, target.metric)] = duration_text(target.minutes)
        initial[clock_name(target.priority)] = "business" if target.business_hours else "calendar"
    return initial


class LeadsForm(forms.Form):
    """For each group, the agents told about warnings and missed targets."""

    def __init__(self, *args: Any, groups: list[Group], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = groups
        # Read once for every group's list (a queryset per field would be a query per group).
        self.agents = {str(agent.pk): agent for agent in User.objects.agents()}
        choices = [(pk, str(agent)) for pk, agent in self.agents.items()]
        for group in groups:
            self.fields[f"leads_{group.pk}"] = forms.MultipleChoiceField(
                label=_("Leads of %(group)s") % {"group": group.name},
                choices=choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    def group_fields(self) -> list[tuple[Group, forms.BoundField]]:
        return [(group, self[f"leads_{group.pk}"]) for group in self.groups]

    def leads(self) -> dict[Group, list[User]]:
        return {
            group: [self.agents[pk] for pk in self.cleaned_data.get(f"leads_{group.pk}") or []]
            for group in self.groups
        }
