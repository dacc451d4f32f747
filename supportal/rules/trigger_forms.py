"""The trigger and automation forms: name, when it runs, conditions and actions as rows of
selects (field, operator, value) with a text box for free values, and one email for the
notification actions. Works without JavaScript: blank rows are ignored, "More rows" adds some.

Values are checked by rules/conditions.py and rules/actions.py against the real choices; each
problem is shown on its row, and configuration problems (no action, no time condition, actions
that undo the conditions) at the top of the form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.rules import actions as rule_actions
from supportal.rules import conditions
from supportal.rules.models import Automation, Trigger

BLANK_ROWS = 2
MAX_ROWS = 30
SECTIONS = ("all", "any", "act")
KIND_LABELS = {
    "status": gettext_lazy("Statuses"),
    "priority": gettext_lazy("Priorities"),
    "channel": gettext_lazy("Channels"),
    "group": gettext_lazy("Groups"),
    "agent": gettext_lazy("Agents"),
    "type": gettext_lazy("Request types"),
    "organization": gettext_lazy("Organizations"),
    "language": gettext_lazy("Languages"),
    "updater": gettext_lazy("Updated by"),
    "message": gettext_lazy("Messages"),
}


def _value_choices(choices: conditions.Choices) -> list[Any]:
    groups: list[Any] = [("", "—")]
    for kind, label in KIND_LABELS.items():
        values = choices.values(kind) or {}
        groups.append((str(label), [(f"{kind}:{key}", name) for key, name in values.items()]))
    return groups


class Row:
    """One row of selects as the template shows it."""

    def __init__(self, form: RuleForm, section: str, index: int) -> None:
        self.section, self.index = section, index
        prefix = f"{section}-{index}-"
        names = (
            ("action", "value", "text") if section == "act" else ("field", "op", "value", "text")
        )
        self.fields = [form[prefix + name] for name in names]
        self.errors = [e for name in names for e in form.errors.get(prefix + name, [])]
        self.error_id = f"id_{prefix}error"


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    runs_on = forms.ChoiceField(
        label=gettext_lazy("Runs"), choices=Trigger.RunsOn.choices, initial=Trigger.RunsOn.BOTH
    )
    email_subject = forms.CharField(
        label=gettext_lazy("Email subject"),
        max_length=rule_actions.MAX_SUBJECT,
        required=False,
        help_text=gettext_lazy("For the email actions. Placeholders are listed below."),
    )
    email_body = forms.CharField(
        label=gettext_lazy("Email text"),
        max_length=rule_actions.MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        automation: bool,
        choices: conditions.Choices,
        initial: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.automation = automation
        self.choices = choices
        if automation:
            del self.fields["runs_on"]
        initial = initial or {}
        self.counts: dict[str, int] = {}
        more = (data or {}).get("more", "")
        for section in SECTIONS:
            stored = len(initial.get(section, []))
            given = str((data or {}).get(f"{section}_rows", ""))
            count = int(given) if given.isdigit() else stored + BLANK_ROWS
            if more == section:
                count += BLANK_ROWS
            self.counts[section] = max(1, min(count, MAX_ROWS))
            self.fields[f"{section}_rows"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=self.counts[section], required=False
            )
            rows = initial.get(section, [])
            for index in range(self.counts[section]):
                self._add_row(section, index, rows[index] if index < len(rows) else {})

    def _add_row(self, section: str, index: int, stored: Mapping[str, Any]) -> None:
        prefix = f"{section}-{index}-"
        number = index + 1
        values = _value_choices(self.choices)
        if section == "act":
            actions = [("", "—"), *((k, str(v)) for k, v in rule_actions.ACTION_LABELS.items())]
            self.fields[prefix + "action"] = forms.ChoiceField(
                label=_("Action %(number)d") % {"number": number}, choices=actions, required=False
            )
        else:
            fields = [("", "—")]
            for name in conditions.FIELDS:
                is_time = name in conditions.TIME_FIELDS
                is_change = name in conditions.CHANGE_FIELDS
                if (self.automation and is_change) or (not self.automation and is_time):
                    continue
                fields.append((name, conditions.field_label(name)))
            for key, custom in self.choices.custom_fields.items():
                fields.append((conditions.CUSTOM_PREFIX + key, custom.label))
            ops = [
                (k, str(v))
                for k, v in conditions.OPERATORS.items()
                if not (self.automation and k in conditions.CHANGE_OPS)
                and (self.automation or k not in conditions.TIME_OPS)
            ]
            self.fields[prefix + "field"] = forms.ChoiceField(
                label=_("Condition %(number)d: field") % {"number": number},
                choices=fields,
                required=False,
            )
            self.fields[prefix + "op"] = forms.ChoiceField(
                label=_("Condition %(number)d: operator") % {"number": number},
                choices=ops,
                required=False,
            )
        self.fields[prefix + "value"] = forms.ChoiceField(
            label=_("Value chosen from a list"), choices=values, required=False
        )
        self.fields[prefix + "text"] = forms.CharField(
            label=_("Value written (tags, words, hours, key=value)"),
            required=False,
            max_length=2000,
        )
        if stored:
            self.initial.update(self._row_initial(prefix, stored))

    def _row_initial(self, prefix: str, stored: Mapping[str, Any]) -> dict[str, str]:
        kind = self._kind(stored)
        value = str(stored.get("value", ""))
        listed = kind is not None and self.choices.values(kind) is not None
        row = {
            prefix + "value": f"{kind}:{value}" if listed else "",
            prefix + "text": "" if listed else value,
        }
        if "action" in stored:
            row[prefix + "action"] = stored["action"]
        else:
            row[prefix + "field"] = stored.get("field", "")
            row[prefix + "op"] = stored.get("op", "")
        return row

    def _kind(self, row: Mapping[str, Any]) -> str | None:
        if "action" in row:
            name = row.get("action", "")
            if name in rule_actions.SET_ACTIONS:
                return rule_actions.SET_ACTIONS[name][1]
            return {"notify_agent": "agent", "notify_group": "group"}.get(name)
        spec = conditions.field_kind(str(row.get("field", "")), self.choices)
        return spec[0] if spec else None

    @property
    def value_kinds(self) -> str:
        """For the page's script: each field and action -> the kind of its listed values, ""
        when it is written, "-" when it takes none."""
        kinds: dict[str, str] = {}
        for name in [*conditions.FIELDS, *(f"field:{key}" for key in self.choices.custom_fields)]:
            spec = conditions.field_kind(name, self.choices)
            kind = spec[0] if spec else ""
            kinds[name] = kind if self.choices.values(kind) is not None else ""
        for name in rule_actions.ACTION_LABELS:
            kind = self._kind({"action": name}) or ""
            kinds[name] = kind
        kinds["notify_requester"] = kinds["notify_assignee"] = "-"
        return json.dumps(kinds)

    def rows(self, section: str) -> list[Row]:
        return [Row(self, section, index) for index in range(self.counts[section])]

    @property
    def wants_more_rows(self) -> bool:
        return bool(self.data.get("more")) if self.is_bound else False

    def _raw_rows(self, section: str) -> list[tuple[int, dict[str, str]]]:
        """The filled-in rows as dicts for the services, with their index."""
        data = self.cleaned_data
        found = []
        for index in range(self.counts[section]):
            prefix = f"{section}-{index}-"
            head = data.get(prefix + ("action" if section == "act" else "field"), "")
            if not head:
                continue  # a blank row, or one emptied to remove it
            picked, text = data.get(prefix + "value", ""), data.get(prefix + "text", "").strip()
            if section == "act":
                row: dict[str, str] = {"action": head}
            else:
                row = {"field": head, "op": data.get(prefix + "op", "")}
            kind = self._kind(row)
            listed = kind is not None and self.choices.values(kind) is not None
            if listed:
                picked_kind, _sep, value = picked.partition(":")
                row["value"] = value if picked_kind == kind else "\0"
            else:
                row["value"] = text
            if section == "act" and head in rule_actions.NOTIFY_ACTIONS:
                row["subject"] = data.get("email_subject", "")
                row["body"] = data.get("email_body", "")
            found.append((index, row))
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.wants_more_rows:
            return data
        for section in SECTIONS:
            head = "action" if section == "act" else "field"
            for index, row in self._raw_rows(section):
                try:
                    if section == "act":
                        rule_actions.clean_action(row, self.choices, automation=self.automation)
                    else:
                        conditions.clean_condition(row, self.choices, automation=self.automation)
                except ValidationError as error:
                    self.add_error(f"{section}-{index}-{head}", error.messages)
        return data

    def save_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            "name": data["name"],
            "description": data.get("description", ""),
            "active": data.get("active", False),
            "conditions_all": [row for _i, row in self._raw_rows("all")],
            "conditions_any": [row for _i, row in self._raw_rows("any")],
            "actions": [row for _i, row in self._raw_rows("act")],
            "choices": self.choices,
        }
        if not self.automation:
            kwargs["runs_on"] = data["runs_on"]
        return kwargs

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            target = key if key in ("name", "runs_on") else None
            self.add_error(target, messages)

    def describe_errors(self) -> None:
        """Ties each field's error list to it (aria-describedby), as field.html shows it."""
        for name in self.errors:
            if name in self.fields:
                section, dash, rest = name.partition("-")
                row = f"{section}-{rest.split('-')[0]}-" if dash else ""
                widget = self.fields[name].widget
                widget.attrs["aria-describedby"] = f"id_{row}error" if row else f"id_{name}_error"
                widget.attrs["aria-invalid"] = "true"

    @classmethod
    def initial_for(cls, rule: Trigger | Automation) -> dict[str, Any]:
        notify = next(
            (a for a in rule.actions if a.get("action") in rule_actions.NOTIFY_ACTIONS), {}
        )
        initial = {
            "name": rule.name,
            "description": rule.description,
            "active": rule.active,
            "all": list(rule.conditions_all),
            "any": list(rule.conditions_any),
            "act": list(rule.actions),
            "email_subject": notify.get("subject", ""),
            "email_body": notify.get("body", ""),
        }
        if isinstance(rule, Trigger):
            initial["runs_on"] = rule.runs_on
        return initial
