"""The agents' chat forms (reply, transfer) and the admins' chat settings."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User
from supportal.chat.forms import MessageForm
from supportal.chat.models import ChatSettings
from supportal.sla.models import Schedule
from supportal.tickets.models import Group

# A host name (optionally "*." for every subdomain, as the CSP allows) with an optional port.
_HOST = re.compile(
    r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$"
)


class ChatReplyForm(MessageForm):
    """The visitor's message form, for the agent: the same checks (text or files)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "chat_reply_%s")
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["rows"] = 3


class AgentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class TransferForm(forms.Form):
    agent = AgentChoice(
        label=_("To an agent"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No agent"),
    )
    group = forms.ModelChoiceField(
        label=_("Or to a group"),
        queryset=Group.objects.none(),
        required=False,
        empty_label=_("No group"),
        help_text=_("The chat goes back to the queue for the group's agents."),
    )
    note = forms.CharField(
        label=_("Note for the next agent (internal)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, exclude: User | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "transfer_%s")
        super().__init__(*args, **kwargs)
        agents = User.objects.agents()
        if exclude is not None:
            agents = agents.exclude(pk=exclude.pk)
        self.fields["agent"].queryset = agents  # type: ignore[attr-defined]
        self.fields["group"].queryset = Group.objects.order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and bool(data.get("agent")) == bool(data.get("group")):
            raise forms.ValidationError(_("Choose an agent or a group, not both."))
        return data


def clean_sites(text: str) -> str:
    """One origin a line (https://shop.example.com), lower-cased; any other line is an error
    that quotes it. The lines become the widget's CSP frame-ancestors, so nothing else passes."""
    sites: list[str] = []
    problems: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        parts = urlsplit(line.lower())
        host = parts.netloc
        if (
            parts.scheme not in ("http", "https")
            or not _HOST.match(host)
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or line.endswith(("?", "#"))
        ):
            problems.append(line[:200])
            continue
        site = f"{parts.scheme}://{host}"
        if site not in sites:
            sites.append(site)
    if problems:
        raise forms.ValidationError(
            [
                forms.ValidationError(
                    _(
                        "“%(line)s” is not a site address. Write only the scheme and the host, "
                        "such as https://shop.example.com, without a path."
                    ),
                    params={"line": line},
                    code="site",
                )
                for line in problems
            ]
        )
    return "\n".join(sites)


class ScheduleChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Schedule) -> str:
        return obj.name


MAX_IDLE_MINUTES = 24 * 60


class ChatSettingsForm(forms.ModelForm):
    class Meta:
        model = ChatSettings
        fields: ClassVar = [
            "enabled",
            "group",
            "schedule",
            "ask_name",
            "ask_email",
            "ask_topic",
            "auto_assign",
            "max_chats",
            "idle_minutes",
            "allowed_sites",
        ]
        widgets: ClassVar = {"allowed_sites": forms.Textarea(attrs={"rows": 4})}
        field_classes: ClassVar = {"schedule": ScheduleChoice}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        group: Any = self.fields["group"]
        group.queryset, group.empty_label = Group.objects.order_by("name"), _("Every agent")
        schedule: Any = self.fields["schedule"]
        schedule.queryset, schedule.empty_label = Schedule.objects.order_by("name"), _("Always on")
        limits = self.fields["max_chats"]
        limits.validators += [MinValueValidator(1), MaxValueValidator(20)]
        limits.widget.attrs.update({"min": 1, "max": 20})
        idle = self.fields["idle_minutes"]
        idle.validators += [MaxValueValidator(MAX_IDLE_MINUTES)]
        idle.widget.attrs.update({"min": 0, "max": MAX_IDLE_MINUTES})
        self.fields["allowed_sites"].widget.attrs.update(
            {"spellcheck": "false", "autocapitalize": "none"}
        )

    def clean_allowed_sites(self) -> str:
        return clean_sites(self.cleaned_data.get("allowed_sites") or "")

    def values(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
