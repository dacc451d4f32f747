"""Forms of the agent inbox: bulk actions on selected requests, and saved views."""

from __future__ import annotations

import contextlib
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportal.accounts.models import Organization, User
from supportal.core.widgets import LongSelect
from supportal.tickets import search
from supportal.tickets.models import (
    CustomField,
    Group,
    Priority,
    RequestType,
    SavedView,
    Status,
    Ticket,
)
from supportal.tickets.selectors import SORTS, sort_named

MAX_SELECTED = 200
MAX_FIELD_CONDITIONS = 10
CHECKED = frozenset({"1", "yes", "y", "true", "on", "checked"})


def tag_names(text: str) -> list[str]:
    return list(
        dict.fromkeys(name.strip().lower()[:50] for name in text.split(",") if name.strip())
    )


class NumberListField(forms.Field):
    """Request numbers from a list of checkboxes; anything that is not a number is dropped."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {  # noqa: RUF012 - Django's own pattern
        "required": _("Select at least one request."),
    }

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        numbers = [int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) < 19]
        return list(dict.fromkeys(numbers))[:MAX_SELECTED]


class BulkForm(forms.Form):
    ACTIONS = ("assign", "status", "priority", "add_tags", "remove_tags", "merge")

    ids = NumberListField(label=_("Selected requests"))
    action = forms.ChoiceField(
        choices=[(action, action) for action in ACTIONS],
        error_messages={"required": _("Choose what to do with the selected requests.")},
    )
    assignee = forms.ChoiceField(label=_("Assign to"), required=False, widget=LongSelect)
    status = forms.ChoiceField(
        label=pgettext_lazy("ticket field", "Status"),
        required=False,
        choices=Status.choices,
    )
    priority = forms.TypedChoiceField(
        label=pgettext_lazy("ticket field", "Priority"),
        required=False,
        choices=Priority.choices,
        coerce=int,
        empty_value=None,
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas."),
    )
    target = forms.CharField(
        label=_("Merge into request number"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, user: User, agent_list: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.agents = {str(agent.pk): agent for agent in agent_list}
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("me", _("Me")),
            ("none", _("Nobody")),
            *[(pk, agent.name or agent.email) for pk, agent in self.agents.items()],
        ]

    def selected(self) -> set[int]:
        """The numbers ticked in the submitted form, to tick them again."""
        if not self.is_bound:
            return set()
        return set(self.fields["ids"].to_python(self.data.getlist("ids")))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        needs = {
            "assign": ("assignee", _("Choose whom to assign the requests to.")),
            "status": ("status", _("Choose a status.")),
            "priority": ("priority", _("Choose a priority.")),
            "add_tags": ("tags", _("Enter at least one tag.")),
            "remove_tags": ("tags", _("Enter at least one tag.")),
            "merge": ("target", _("Enter the number of the request to merge into.")),
        }
        if action in needs:
            name, message = needs[action]
            if data.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, message)
        if action in ("add_tags", "remove_tags") and data.get("tags"):
            data["tag_names"] = tag_names(data["tags"])
            if not data["tag_names"]:
                self.add_error("tags", needs[action][1])
        if action == "assign" and data.get("assignee"):
            choice = data["assignee"]
            data["assignee_user"] = (
                self.user if choice == "me" else None if choice == "none" else self.agents[choice]
            )
        if action == "merge" and data.get("target"):
            data["target_ticket"] = self._target(data["target"], data.get("ids") or [])
        return data

    def _target(self, text: str, selected: list[int]) -> Ticket | None:
        number = search.query_number(text)
        target = (
            Ticket.objects.visible_to(self.user).filter(pk=number).first()
            if number is not None
            else None
        )
        if target is None:
            self.add_error("target", _("There is no request with this number that you can see."))
        elif target.pk in selected:
            self.add_error("target", _("Do not select the request you merge into."))
        elif target.merged_into_id:
            self.add_error(
                "target",
                _("Request #%(number)s was merged into another request.") % {"number": target.pk},
            )
        else:
            return target
        return None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _choice_label(field: CustomField) -> str:
    return f"{field.label} ({field.get_kind_display()})"


class SavedViewForm(forms.Form):
    """A saved view's name, sort and conditions; `conditions()` gives the JSON to store."""

    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(
        label=_("Shared with every agent"),
        required=False,
        help_text=_("Only administrators can share views."),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"), choices=[(sort.key, sort.label) for sort in SORTS.values()]
    )
    status = forms.MultipleChoiceField(
        label=pgettext_lazy("ticket field", "Status"),
        required=False,
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.TypedMultipleChoiceField(
        label=pgettext_lazy("ticket field", "Priority"),
        required=False,
        choices=Priority.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    group = forms.ChoiceField(label=_("Group"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=LongSelect)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Requests with any of these tags. Separate tags with commas."),
    )
    type = forms.ChoiceField(label=_("Request type"), required=False)
    requester = forms.EmailField(label=_("Requester's email"), required=False)
    organization = forms.CharField(label=_("Organization"), required=False, max_length=200)
    created_after = forms.DateField(
        label=_("Created on or after"), required=False, widget=DateInput()
    )
    created_before = forms.DateField(
        label=_("Created on or before"), required=False, widget=DateInput()
    )
    updated_after = forms.DateField(
        label=_("Updated on or after"), required=False, widget=DateInput()
    )
    updated_before = forms.DateField(
        label=_("Updated on or before"), required=False, widget=DateInput()
    )

    REFERENCES = ("group", "assignee", "type")

    def __init__(
        self, *args: Any, user: User, instance: SavedView | None = None, **kwargs: Any
    ) -> None:
        self.user = user
        self.instance = instance
        self.custom_fields = {
            str(field.pk): field for field in CustomField.objects.filter(active=True)
        }
        conditions = (
            instance.conditions if instance and isinstance(instance.conditions, dict) else {}
        )
        existing = [c for c in conditions.get("fields") or [] if isinstance(c, dict)]
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self._initial(instance, conditions, existing)
        super().__init__(*args, **kwargs)
        if not user.is_admin:
            del self.fields["shared"]
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            ("", _("Any group")),
            ("none", _("No group")),
            *[(str(group.pk), group.name) for group in Group.objects.all()],
        ]
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone or nobody")),
            ("me", _("Me")),
            ("none", _("Unassigned")),
            *[(str(agent.pk), agent.name or agent.email) for agent in User.objects.agents()],
        ]
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any type")),
            ("none", _("No type")),
            *[(str(kind.pk), kind.name) for kind in RequestType.objects.all()],
        ]
        self.field_rows = self._row_count(existing)
        field_choices = [("", _("Choose a field"))] + [
            (pk, _choice_label(field)) for pk, field in self.custom_fields.items()
        ]
        for index in range(self.field_rows):
            self.fields[f"field_{index}"] = forms.ChoiceField(
                label=_("Custom field %(number)s") % {"number": index + 1},
                required=False,
                choices=field_choices,
            )
            self.fields[f"value_{index}"] = forms.CharField(
                label=_("Value of custom field %(number)s") % {"number": index + 1},
                required=False,
                max_length=2000,
            )

    def field_condition_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"field_{i}"], self[f"value_{i}"]) for i in range(self.field_rows)]

    def _row_count(self, existing: list[dict[str, Any]]) -> int:
        submitted = 0
        if self.is_bound:
            for name in self.data:
                if name.startswith("field_") and name[6:].isdigit():
                    submitted = max(submitted, int(name[6:]) + 1)
        return max(2, min(MAX_FIELD_CONDITIONS, max(submitted, len(existing) + 1)))

    def _initial(
        self, instance: SavedView, conditions: dict[str, Any], existing: list[dict[str, Any]]
    ) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": instance.name,
            "shared": instance.owner_id is None,
            "sort": sort_named(instance.sort),
            "status": conditions.get("status") or [],
            "priority": conditions.get("priority") or [],
            "tags": ", ".join(conditions.get("tags") or []),
            "requester": conditions.get("requester", ""),
        }
        for name in self.REFERENCES:
            if name in conditions:
                initial[name] = str(conditions[name])
        if conditions.get("organization") not in (None, ""):
            organization = Organization.objects.filter(pk=conditions["organization"]).first()
            initial["organization"] = organization.name if organization else ""
        for name in ("created_after", "created_before", "updated_after", "updated_before"):
            if isinstance(conditions.get(name), str):
                with contextlib.suppress(ValueError):
                    initial[name] = date.fromisoformat(conditions[name])
        for index, condition in enumerate(existing[:MAX_FIELD_CONDITIONS]):
            field = self.custom_fields.get(str(condition.get("field")))
            value = str(condition.get("value", ""))
            if field is not None and field.kind == CustomField.Kind.DROPDOWN:
                value = field.display(value)
            elif field is not None and field.kind == CustomField.Kind.CHECKBOX:
                value = str(_("Yes")) if value == "1" else str(_("No"))
            initial[f"field_{index}"] = str(condition.get("field", ""))
            initial[f"value_{index}"] = value
        return initial

    # --- Cleaning ---

    def clean_tags(self) -> list[str]:
        return tag_names(self.cleaned_data.get("tags", ""))

    def clean_organization(self) -> int | None:
        name = self.cleaned_data.get("organization", "").strip()
        if not name:
            return None
        organization = Organization.objects.filter(name__iexact=name).first()
        if organization is None:
            raise ValidationError(_("There is no organization with this name."))
        return organization.pk

    def _clean_field_value(self, field: CustomField, value: str) -> str:
        value = value.strip()
        if field.kind == CustomField.Kind.CHECKBOX:
            return "1" if value.lower() in CHECKED or value == str(_("Yes")) else ""
        if not value:
            return ""
        if field.kind == CustomField.Kind.DROPDOWN:
            for choice, label in field.choice_list():
                if value == choice or value.casefold() == label.casefold():
                    return choice
            names = ", ".join(label for _choice, label in field.choice_list())
            raise ValidationError(
                _("Choose one of this field's values: %(values)s.") % {"values": names}
            )
        if field.kind == CustomField.Kind.NUMBER:
            try:
                Decimal(value)
            except InvalidOperation:
                raise ValidationError(_("Enter a number.")) from None
        if field.kind == CustomField.Kind.DATE:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValidationError(_("Enter a date as YYYY-MM-DD.")) from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for start, end in (
            ("created_after", "created_before"),
            ("updated_after", "updated_before"),
        ):
            if data.get(start) and data.get(end) and data[start] > data[end]:
                self.add_error(end, _("This date is before the first one."))
        chosen = []
        for index in range(self.field_rows):
            field = self.custom_fields.get(data.get(f"field_{index}") or "")
            if field is None:
                continue
            try:
                value = self._clean_field_value(field, data.get(f"value_{index}") or "")
            except ValidationError as error:
                self.add_error(f"value_{index}", error)
                continue
            chosen.append({"field": field.pk, "value": value})
        data["field_conditions"] = chosen
        return data

    def conditions(self) -> dict[str, Any]:
        data = self.cleaned_data
        conditions: dict[str, Any] = {}
        if data.get("status"):
            conditions["status"] = list(data["status"])
        if data.get("priority"):
            conditions["priority"] = list(data["priority"])
        for name in self.REFERENCES:
            value = data.get(name)
            if value:
                conditions[name] = value if value in ("me", "none") else int(value)
        if data.get("tags"):
            conditions["tags"] = data["tags"]
        if data.get("field_conditions"):
            conditions["fields"] = data["field_conditions"]
        if data.get("requester"):
            conditions["requester"] = data["requester"].strip().lower()
        if data.get("organization"):
            conditions["organization"] = data["organization"]
        for name in ("created_after", "created_before", "updated_after", "updated_before"):
            if data.get(name):
                conditions[name] = data[name].isoformat()
        return conditions

    def shared_value(self) -> bool:
        return bool(self.user.is_admin and self.cleaned_data.get("shared"))
