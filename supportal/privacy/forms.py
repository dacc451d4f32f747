from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User, normalize_email

MAX_MONTHS = 600


class EraseConfirmForm(forms.Form):
    email = forms.CharField(
        label=_("Type the person's email address to confirm"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, person: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_email(self) -> str:
        value = self.cleaned_data["email"]
        if normalize_email(value) != self.person.email:
            raise ValidationError(_("This is not the person's email address."), code="mismatch")
        return value


class RetentionForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Erase closed requests after a number of months"), required=False
    )
    months = forms.IntegerField(
        label=_("Months after closing"),
        help_text=_(
            "Requests solved or closed longer ago than this lose their subject, messages, "
            "files and mail; the anonymous request rows stay for statistics."
        ),
        min_value=1,
        max_value=MAX_MONTHS,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("enabled") and not data.get("months") and not self.errors.get("months"):
            self.add_error("months", _("Enter after how many months requests are erased."))
        return data
