"""Forms of the agent's request page and of the request settings (groups, fields, types)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import get_language_info, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User
from supportal.core.widgets import LongSelect
from supportal.tickets import attachments as attachment_checks
from supportal.tickets.access import get_ticket_for
from supportal.tickets.models import (
    CustomField,
    Group,
    Message,
    Priority,
    RequestType,
    Status,
    Ticket,
)
from supportal.tickets.services import Changes

MAX_POSITION = 2**31 - 1  # the largest value every supported database stores
# The order of the labels in a drop-down choice line: "value | English | 한국어 | 日本語 | 中文".
CHOICE_LANGUAGES = ("en", "ko", "ja", "zh-hans")
_TAG_SPLIT = re.compile(r"[,\s]+")


# --- Uploads -----------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


# --- The request page --------------------------------------------------------------------------


@dataclass
class PanelOptions:
    """What the fields panel offers and the history names: each list read once per page."""

    groups: list[Group]
    types: list[RequestType]
    agents: list[User]
    fields: list[CustomField]  # all of them, active or not: the history names old ones too

    @classmethod
    def load(cls) -> PanelOptions:
        return cls(
            groups=list(Group.objects.all()),
            types=list(RequestType.objects.all()),
            agents=list(User.objects.agents()),
            fields=list(CustomField.objects.all()),
        )


class TicketNumberField(forms.Field):
    """A request number, typed as "1042" or "#1042"."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip().lstrip("#").strip()
        if not text:
            return None
        if not text.isdigit() or len(text) > 18:
            raise ValidationError(_("Enter a request number, such as 1042."))
        return int(text)


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Send as"),
        choices=[("public", _("Public reply")), ("note", _("Internal note"))],
        widget=forms.RadioSelect,
        initial="public",
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 8, "data-shortcut": "r"}),
        error_messages={"required": _("Write a message first.")},
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    status = forms.ChoiceField(label=_("Status after sending"), required=False)
    # The newest message the agent had seen: a newer one by someone else stops the send.
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    confirm = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reply_%s")  # unique beside the fields panel's "status"
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        keep = _("Unchanged (%(status)s)") % {"status": ticket.get_status_display()}
        self.fields["status"].choices = [("", keep), *Status.choices]  # type: ignore[attr-defined]

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data.get("attachments") or []
        attachment_checks.validate_uploads(files)
        return files

    @property
    def public(self) -> bool:
        return self.cleaned_data["kind"] == "public"

    def newer_messages(self, user: User) -> list[Message]:
        """Messages by others since the one the agent saw, unless they chose to send anyway."""
        seen = self.cleaned_data.get("seen")
        if seen is None or self.cleaned_data.get("confirm"):
            return []
        return list(
            Message.objects.filter(ticket=self.ticket, pk__gt=seen)
            .exclude(author=user)
            .order_by("pk")
        )


def _to_storage(field: CustomField, value: Any) -> Any:
    """A cleaned form value as the service stores it."""
    if value is None:
        return ""
    if field.kind == CustomField.Kind.NUMBER and isinstance(value, Decimal):
        return format(value, "f")
    if field.kind == CustomField.Kind.DATE:
        return value.isoformat()
    return value


def custom_form_field(field: CustomField, current: str = "") -> forms.Field:
    """The form field for a custom field, validated by its kind."""
    common: dict[str, Any] = {
        "label": field.label,
        "required": field.required and field.kind != CustomField.Kind.CHECKBOX,
        "show_hidden_initial": True,
    }
    if not field.customer_visible:
        common["help_text"] = _("Agents only")
    kind = field.kind
    if kind == CustomField.Kind.TEXTAREA:
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == CustomField.Kind.NUMBER:
        return forms.DecimalField(
            max_digits=30,
            decimal_places=10,
            widget=forms.NumberInput(attrs={"step": "any"}),
            **common,
        )
    if kind == CustomField.Kind.DATE:
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common
        )
    if kind == CustomField.Kind.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == CustomField.Kind.DROPDOWN:
        choices = field.choice_list()
        if current and current not in dict(choices):
            choices.append((current, current))
        return forms.ChoiceField(
            choices=[("", pgettext_lazy("no choice", "—")), *choices], **common
        )
    return forms.CharField(max_length=2000, **common)


def _initial(field: CustomField, value: str) -> Any:
    if field.kind == CustomField.Kind.CHECKBOX:
        return value == "1"
    return value


def _choice_id(value: Any) -> str:
    return "" if value is None else str(value)


class TicketFieldsForm(forms.Form):
    """The fields panel. Each field carries the value the agent saw (show_hidden_initial), so
    only what they changed is written: a stale panel never undoes a colleague's change."""

    status = forms.ChoiceField(
        label=_("Status"),
        choices=Status.choices,
        show_hidden_initial=True,
        widget=forms.Select(attrs={"data-shortcut": "s"}),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, show_hidden_initial=True
    )
    type = forms.ChoiceField(label=_("Type"), required=False, show_hidden_initial=True)
    group = forms.ChoiceField(label=_("Group"), required=False, show_hidden_initial=True)
    assignee = forms.ChoiceField(
        label=_("Assignee"), required=False, show_hidden_initial=True, widget=LongSelect
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        show_hidden_initial=True,
        help_text=_("Separate tags with commas or spaces."),
    )

    def __init__(
        self,
        *args: Any,
        ticket: Ticket,
        options: PanelOptions,
        values: dict[int, str],
        tags: Sequence[str],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "status": ticket.status,
                "priority": ticket.priority,
                "type": _choice_id(ticket.type_id),
                "group": _choice_id(ticket.group_id),
                "assignee": _choice_id(ticket.assignee_id),
                "tags": ", ".join(tags),
            },
        )
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.types = {str(t.pk): t for t in options.types if t.active or t.pk == ticket.type_id}
        self.groups = {str(g.pk): g for g in options.groups}
        self.agents = {str(a.pk): a for a in options.agents}
        if ticket.assignee_id and str(ticket.assignee_id) not in self.agents:
            self.agents[str(ticket.assignee_id)] = ticket.assignee  # type: ignore[assignment]
        self._choices("type", _("No type"), self.types)
        self._choices("group", _("No group"), self.groups)
        self._choices("assignee", _("Unassigned"), self.agents)
        self.custom: dict[str, CustomField] = {}
        for field in options.fields:
            if not field.active:
                continue
            name = f"cf_{field.key}"
            current = values.get(field.pk, "")
            self.custom[name] = field
            self.fields[name] = custom_form_field(field, current)
            self.initial.setdefault(name, _initial(field, current))

    def _choices(self, name: str, empty: str, objects: dict[str, Any]) -> None:
        self.fields[name].choices = [("", empty)] + [  # type: ignore[attr-defined]
            (key, str(obj)) for key, obj in objects.items()
        ]

    def clean_tags(self) -> list[str]:
        names = [name.lower() for name in _TAG_SPLIT.split(self.cleaned_data["tags"]) if name]
        if any(len(name) > 50 for name in names):
            raise ValidationError(_("A tag can be at most 50 characters long."))
        return sorted(set(names))

    def changes(self) -> Changes:
        changed = set(self.changed_data)
        data = self.cleaned_data
        changes = Changes()
        if "status" in changed:
            changes.status = data["status"]
        if "priority" in changed:
            changes.priority = data["priority"]
        lookups = {"type": self.types, "group": self.groups, "assignee": self.agents}
        for name, objects in lookups.items():
            if name in changed:
                setattr(changes, name, objects.get(data[name]) if data[name] else None)
        if "tags" in changed:
            changes.tags = data["tags"]
        fields = {
            field: _to_storage(field, data[name])
            for name, field in self.custom.items()
            if name in changed
        }
        changes.fields = fields or None
        return changes


class MergeForm(forms.Form):
    target = TicketNumberField(label=_("Merge into request number"))
    confirm = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, request: HttpRequest, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "merge_%s")
        super().__init__(*args, **kwargs)
        self.request, self.ticket = request, ticket

    def clean_target(self) -> Ticket:
        number = self.cleaned_data["target"]
        if number == self.ticket.pk:
            raise ValidationError(_("A request cannot be merged into itself."))
        target = _visible_ticket(self.request, number)
        if target.merged_into_id:
            raise ValidationError(
                _("Request #%(number)d was itself merged into another request.")
                % {"number": number}
            )
        return target

    def clean(self) -> dict[str, Any]:
        if self.ticket.merged_into_id:
            raise ValidationError(_("This request has already been merged."))
        return super().clean() or {}


def _visible_ticket(request: HttpRequest, number: int) -> Ticket:
    try:
        return get_ticket_for(request, number)
    except Http404:
        raise ValidationError(
            _("There is no request #%(number)d, or you may not see it.") % {"number": number}
        ) from None


class LinkForm(forms.Form):
    other = TicketNumberField(label=_("Link to request number"))

    def __init__(self, *args: Any, request: HttpRequest, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "link_%s")
        super().__init__(*args, **kwargs)
        self.request, self.ticket = request, ticket

    def clean_other(self) -> Ticket:
        number = self.cleaned_data["other"]
        if number == self.ticket.pk:
            raise ValidationError(_("A request cannot be linked to itself."))
        return _visible_ticket(self.request, number)


class CcForm(forms.Form):
    email = forms.EmailField(
        label=_("Add someone in CC"),
        max_length=254,
        help_text=_("Their email address. They will follow this request."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cc_%s")
        super().__init__(*args, **kwargs)


# --- Settings: groups, custom fields, request types --------------------------------------------


def _language_name(code: str) -> str:
    return str(get_language_info(code)["name_local"])


def _name_fields(form: forms.Form, prefix: str, label: Any, max_length: int) -> None:
    for code in settings.LANGUAGE_CODES:
        form.fields[f"{prefix}_{code}"] = forms.CharField(
            label=f"{label} ({_language_name(code)})",
            max_length=max_length,
            required=code == settings.LANGUAGE_CODE,
            widget=forms.TextInput(attrs={"lang": code}),
        )


def names_from(form: forms.Form, prefix: str) -> dict[str, str]:
    return {
        code: form.cleaned_data.get(f"{prefix}_{code}", "")
        for code in settings.LANGUAGE_CODES
        if form.cleaned_data.get(f"{prefix}_{code}")
    }


def names_initial(prefix: str, names: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}_{code}": names.get(code, "") for code in settings.LANGUAGE_CODES}


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    members = forms.ModelMultipleChoiceField(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Agents in a group see its requests."),
    )

    def __init__(self, *args: Any, group: Group | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group = group
        self.fields["members"].queryset = User.objects.agents()  # type: ignore[attr-defined]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Group.objects.filter(name__iexact=name)
        if self.group is not None:
            others = others.exclude(pk=self.group.pk)
        if others.exists():
            raise ValidationError(_("There is already a group with this name."))
        return name


def choices_to_text(choices: list[dict[str, Any]]) -> str:
    lines = []
    for choice in choices:
        labels = choice.get("labels", {})
        parts = [choice["value"], *(labels.get(code, "") for code in CHOICE_LANGUAGES)]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def choices_from_text(text: str) -> list[dict[str, Any]]:
    choices: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        value = parts[0]
        if not value:
            raise ValidationError(
                _("Line %(line)d has no value before the first “|”.") % {"line": number}
            )
        if len(value) > 100:
            raise ValidationError(_("The value on line %(line)d is too long.") % {"line": number})
        if len(parts) > 1 + len(CHOICE_LANGUAGES):
            raise ValidationError(_("Line %(line)d has too many “|”.") % {"line": number})
        if value in seen:
            raise ValidationError(_("The value “%(value)s” appears twice.") % {"value": value})
        seen.add(value)
        labels = {
            code: label for code, label in zip(CHOICE_LANGUAGES, parts[1:], strict=False) if label
        }
        choices.append({"value": value, "labels": labels or {settings.LANGUAGE_CODE: value}})
    return choices


class CustomFieldForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        help_text=_("Letters, numbers, hyphens and underscores. It cannot change later."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=CustomField.Kind.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "For drop-downs: one choice a line, as “value | English | 한국어 | 日本語 | 中文”. "
            "Only the value is required."
        ),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    customer_visible = forms.BooleanField(
        label=_("Visible to customers"),
        required=False,
        initial=True,
        help_text=_("When off, only agents see and fill this field."),
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=MAX_POSITION, initial=0
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, field: CustomField | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field = field
        _name_fields(self, "label", _("Label"), 100)
        order = ["key", *(f"label_{code}" for code in settings.LANGUAGE_CODES)]
        self.order_fields(order)
        if field is not None:
            self.fields["key"].disabled = True
            self.fields["key"].help_text = _("The key cannot change.")

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if self.field is None and CustomField.objects.filter(key=key).exists():
            raise ValidationError(_("There is already a field with this key."))
        return key

    def clean_choices(self) -> list[dict[str, Any]]:
        return choices_from_text(self.cleaned_data.get("choices", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == CustomField.Kind.DROPDOWN and data.get("choices") == []:
            self.add_error("choices", _("A drop-down needs at least one choice."))
        return data


class RequestTypeForm(forms.Form):
    position = forms.IntegerField(
        label=_("Position"), min_value=0, max_value=MAX_POSITION, initial=0
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _name_fields(self, "name", _("Name"), 100)
        self.order_fields([f"name_{code}" for code in settings.LANGUAGE_CODES])
