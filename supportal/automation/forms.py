"""The macro settings form, the list's filters and the apply form of the request page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User
from supportal.automation import services
from supportal.automation.models import Macro
from supportal.core.widgets import LongSelect
from supportal.tickets.models import CustomField, Group, Message, Priority, Status, Ticket

UNCHANGED = ("", _("Unchanged"))
NONE = "none"  # "No group" / "Unassigned" in the change selects
KIND_CHOICES = [("public", _("Public reply")), ("note", _("Internal note"))]
# Where a service error about a change is shown on the form.
CHANGE_FIELDS = {
    "status": "set_status",
    "priority": "set_priority",
    "group": "set_group",
    "assignee": "set_assignee",
    "add_tags": "add_tags",
    "remove_tags": "remove_tags",
}


def _language_name(code: str) -> str:
    return str(get_language_info(code)["name_local"])


class MacroForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    scope = forms.ChoiceField(
        label=_("Who can use it"),
        choices=[("personal", _("Only me")), ("shared", _("Shared with other agents"))],
        widget=forms.RadioSelect,
        initial="personal",
    )
    group = forms.ChoiceField(
        label=_("Limit to a group"),
        required=False,
        help_text=_("For a shared macro: only the members of this group can use it."),
    )
    kind = forms.ChoiceField(
        label=_("Send the text as"),
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        initial="public",
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("Inactive macros are not offered on requests."),
    )
    set_status = forms.ChoiceField(label=_("Status"), required=False)
    set_priority = forms.ChoiceField(label=_("Priority"), required=False)
    set_group = forms.ChoiceField(label=_("Group"), required=False)
    set_assignee = forms.ChoiceField(label=_("Assignee"), required=False, widget=LongSelect)
    add_tags = forms.CharField(
        label=_("Add tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas or spaces."),
    )
    remove_tags = forms.CharField(
        label=_("Remove tags"),
        required=False,
        max_length=1000,
        help_text=_("Separate tags with commas or spaces."),
    )

    def __init__(self, *args: Any, actor: User, macro: Macro | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor, self.macro = actor, macro
        groups = list(Group.objects.order_by("name"))
        self.groups = {str(g.pk): g for g in groups}
        if actor.is_admin:
            self.fields["group"].choices = [("", _("All agents")), *self._pairs(groups)]
        else:
            del self.fields["scope"], self.fields["group"]
        for code in settings.LANGUAGE_CODES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Text in %(language)s") % {"language": _language_name(code)},
                required=False,
                max_length=services.MAX_TEXT,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 6, "lang": code}),
            )
        self.fields["set_status"].choices = [UNCHANGED, *Status.choices]
        self.fields["set_priority"].choices = [UNCHANGED, *Priority.choices]
        self.fields["set_group"].choices = [UNCHANGED, (NONE, _("No group")), *self._pairs(groups)]
        self.fields["set_assignee"].choices = [
            UNCHANGED,
            (NONE, _("Unassigned")),
            (services.ME, _("The agent who applies the macro")),
            *self._pairs(User.objects.agents().order_by("name", "pk")),
        ]
        self.custom: dict[str, CustomField] = {}
        for custom in CustomField.objects.filter(active=True):
            name = f"cf_{custom.key}"
            self.custom[name] = custom
            self.fields[name] = self._custom_field(custom)
        order = ["title", "scope", "group", "kind", "active"]
        self.order_fields(order + [f"text_{code}" for code in settings.LANGUAGE_CODES])

    @staticmethod
    def _pairs(objects: Any) -> list[tuple[str, str]]:
        return [(str(obj.pk), str(obj)) for obj in objects]

    @staticmethod
    def _custom_field(custom: CustomField) -> forms.Field:
        label = custom.label
        if custom.kind == CustomField.Kind.DROPDOWN:
            return forms.ChoiceField(
                label=label, required=False, choices=[UNCHANGED, *custom.choice_list()]
            )
        if custom.kind == CustomField.Kind.CHECKBOX:
            choices = [UNCHANGED, ("1", _("Yes")), ("0", _("No"))]
            return forms.ChoiceField(label=label, required=False, choices=choices)
        widget = forms.TextInput()
        if custom.kind == CustomField.Kind.DATE:
            widget = forms.DateInput(attrs={"type": "date"})
        elif custom.kind == CustomField.Kind.NUMBER:
            widget = forms.TextInput(attrs={"inputmode": "decimal"})
        return forms.CharField(
            label=label,
            required=False,
            max_length=2000,
            widget=widget,
            help_text=_("Leave empty to keep the request's value."),
        )

    @property
    def text_fields(self) -> list[forms.BoundField]:
        return [self[f"text_{code}"] for code in settings.LANGUAGE_CODES]

    @property
    def change_fields(self) -> list[forms.BoundField]:
        names = ["set_status", "set_priority", "set_group", "set_assignee", "add_tags"]
        return [self[name] for name in [*names, "remove_tags", *self.custom]]

    @classmethod
    def initial_for(cls, macro: Macro) -> dict[str, Any]:
        changes = macro.changes

        def choice(key: str) -> str:
            if key not in changes:
                return ""
            return NONE if changes[key] is None else str(changes[key])

        initial: dict[str, Any] = {
            "title": macro.title,
            "scope": "personal" if macro.is_personal else "shared",
            "group": str(macro.group_id or ""),
            "kind": "public" if macro.public else "note",
            "active": macro.active,
            "set_status": changes.get("status", ""),
            "set_priority": str(changes.get("priority", "")),
            "set_group": choice("group"),
            "set_assignee": choice("assignee"),
            "add_tags": ", ".join(changes.get("add_tags", [])),
            "remove_tags": ", ".join(changes.get("remove_tags", [])),
        }
        initial.update({f"text_{code}": text for code, text in macro.texts.items()})
        initial.update({f"cf_{key}": value for key, value in changes.get("fields", {}).items()})
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for code in settings.LANGUAGE_CODES:
            problems = services.text_problems(data.get(f"text_{code}", ""))
            if problems:
                self.add_error(f"text_{code}", problems)
        try:
            self.cleaned_changes = services.clean_changes(self.changes())
        except ValidationError as error:
            self.add_service_errors(error)
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes: dict[str, Any] = {}
        for key in ("status", "priority", "group", "assignee"):
            value = data.get(f"set_{key}")
            if value:
                changes[key] = None if value == NONE else value
        for key in ("add_tags", "remove_tags"):
            if data.get(key, "").strip():
                changes[key] = data[key]
        fields = {custom.key: data[name] for name, custom in self.custom.items() if data.get(name)}
        if fields:
            changes["fields"] = fields
        return changes

    def add_service_errors(self, error: ValidationError) -> None:
        """Puts a ValidationError from the services on the field it is about."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            name = CHANGE_FIELDS.get(key, key)
            if key.startswith("field:"):
                name = f"cf_{key.removeprefix('field:')}"
            self.add_error(name if name in self.fields else None, messages)

    def save_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        shared = data.get("scope") == "shared"
        return {
            "title": data["title"],
            "texts": {code: data.get(f"text_{code}", "") for code in settings.LANGUAGE_CODES},
            "public": data["kind"] == "public",
            "changes": self.changes(),
            "active": data["active"],
            "shared": shared,
            "group": self.groups.get(data.get("group") or "") if shared else None,
        }


class MacroFilterForm(forms.Form):
    q = forms.CharField(label=_("Search macros"), required=False, max_length=200)
    scope = forms.ChoiceField(
        label=_("Who can use it"),
        required=False,
        choices=[("", _("All")), ("personal", _("Only me")), ("shared", _("Shared"))],
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))],
    )

    def filter(self, rows: Any) -> Any:
        if not self.is_valid():
            return rows
        data = self.cleaned_data
        if data["q"].strip():
            rows = rows.filter(title__icontains=data["q"].strip())
        if data["scope"]:
            rows = rows.filter(owner__isnull=data["scope"] == "shared")
        if data["state"]:
            rows = rows.filter(active=data["state"] == "active")
        return rows


class ApplyForm(forms.Form):
    """The previewed text as the agent edits it, and what they had seen of the request."""

    kind = forms.ChoiceField(label=_("Send as"), choices=KIND_CHOICES, widget=forms.RadioSelect)
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("You can change the text before it is sent."),
    )
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    events = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    confirm = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "macro_%s")
        super().__init__(*args, **kwargs)
        self.ticket = ticket

    @property
    def public(self) -> bool:
        return self.cleaned_data["kind"] == "public"

    def newer(self, user: User) -> tuple[list[Message], bool]:
        """Messages by others since the agent loaded the page, and whether anything else
        changed since the preview; nothing when they chose to apply anyway."""
        data = self.cleaned_data
        if data.get("confirm"):
            return [], False
        messages = []
        if data.get("seen") is not None:
            messages = list(
                Message.objects.filter(ticket=self.ticket, pk__gt=data["seen"])
                .exclude(author=user)
                .select_related("author")
                .order_by("pk")
            )
        changed = data.get("events") is not None and (
            self.ticket.events.filter(pk__gt=data["events"]).exclude(actor=user).exists()
        )
        return messages, changed
