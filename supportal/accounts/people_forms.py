"""Forms of the admins' People pages (views/people.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from supportal.accounts.forms import PhoneField
from supportal.accounts.models import Organization, Role

PEOPLE_FILTERS = ("q", "role")


class PeopleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Name, email or phone"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("Any role")), *Role.choices]  # type: ignore[attr-defined]

    def clean_q(self) -> str:
        return self.cleaned_data["q"].strip()


class PersonForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("A deactivated account cannot sign in; its requests and history stay."),
    )
    organization = forms.ModelChoiceField(
        label=_("Organization"),
        queryset=Organization.objects.order_by("name"),
        required=False,
        empty_label=_("No organization"),
    )
    phone = PhoneField(
        label=_("Phone number"),
        required=False,
        help_text=_("Calls from this number are matched to this person."),
    )
