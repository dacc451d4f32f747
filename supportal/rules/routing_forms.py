"""Forms for routing rules and groups' automatic assignment."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import Organization
from supportal.mail.models import Mailbox
from supportal.tickets.models import Channel, Group, RequestType


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    group = forms.ModelChoiceField(
        label=_("Put new requests in this group"),
        queryset=Group.objects.order_by("name"),
        empty_label=_("Choose a group"),
        error_messages={"required": _("Choose the group the requests go to.")},
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=[(c.value, c.label) for c in Channel if c != Channel.SYSTEM],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mailboxes = forms.ModelMultipleChoiceField(
        label=_("Support addresses"),
        queryset=Mailbox.objects.order_by("address"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For requests that came by email to one of these addresses."),
    )
    request_types = forms.ModelMultipleChoiceField(
        label=_("Request types"),
        queryset=RequestType.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organizations = forms.ModelMultipleChoiceField(
        label=_("Organizations"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    languages = forms.MultipleChoiceField(
        label=_("Requester's language"),
        choices=settings.LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    words = forms.CharField(
        label=_("Words in the subject or message"),
        required=False,
        max_length=2000,
        help_text=_(
            "Separate words with commas; any one of them is enough. Capital letters do not matter."
        ),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in ("words", "name"):
            widget = self.fields[field].widget
            if self.fields[field].help_text:
                widget.attrs["aria-describedby"] = f"id_{field}_helptext"

    def clean_words(self) -> list[str]:
        words = [w.strip() for w in re.split(r"[,，、\n]", self.cleaned_data["words"])]
        return [w for w in words if w]


class AssignmentForm(forms.Form):
    """One row per group: assign automatically, and the cap of open requests per agent."""

    def __init__(self, *args: Any, groups: list[Group], current: dict[int, Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.groups = groups
        for group in groups:
            row = current.get(group.pk)
            self.fields[f"auto_{group.pk}"] = forms.BooleanField(
                label=_("Assign new requests in %(group)s automatically") % {"group": group.name},
                required=False,
                initial=bool(row and row.round_robin),
            )
            self.fields[f"cap_{group.pk}"] = forms.IntegerField(
                label=_("Open requests per agent in %(group)s at most") % {"group": group.name},
                required=False,
                min_value=1,
                max_value=10000,
                initial=row.max_open if row else None,
                error_messages={
                    "min_value": _("A limit of open requests must be at least 1."),
                    "invalid": _("Enter a whole number, or leave it empty for no limit."),
                },
            )

    def rows(self) -> list[tuple[Group, Any, Any]]:
        return [(g, self[f"auto_{g.pk}"], self[f"cap_{g.pk}"]) for g in self.groups]

    def settings(self) -> dict[Group, tuple[bool, int | None]]:
        data = self.cleaned_data
        return {g: (data[f"auto_{g.pk}"], data[f"cap_{g.pk}"]) for g in self.groups}


class AvailabilityForm(forms.Form):
    availability = forms.ChoiceField(label=_("Your availability"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from supportal.rules.models import Availability

        super().__init__(*args, **kwargs)
        self.fields["availability"].choices = Availability.choices
