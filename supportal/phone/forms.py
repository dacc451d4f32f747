"""Agents' forms: log a call on a request, and a new request from a call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportal.accounts.forms import PhoneField
from supportal.accounts.models import normalize_email
from supportal.lib.phone import parse_duration
from supportal.phone.models import MAX_DURATION, Direction, Outcome
from supportal.phone.selectors import customer_for_number

NOTES_MAX = 5000


class CallDurationField(forms.CharField):
    """A duration typed as minutes:seconds ("3:25") or seconds ("205"), cleaned to seconds."""

    default_error_messages = {  # noqa: RUF012 - Django's API is a plain dict
        "invalid": _("Enter the duration as minutes:seconds, such as 3:25, or in seconds."),
        "too_long": _("A call lasts at most 24 hours."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "12"})
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return 0
        try:
            seconds = parse_duration(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if seconds > MAX_DURATION:
            raise ValidationError(self.error_messages["too_long"], code="too_long")
        return seconds


class CallForm(forms.Form):
    """A call on a request (views.call_log)."""

    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Direction.choices,
        initial=Direction.OUTBOUND,
        widget=forms.RadioSelect,
    )
    number = PhoneField(
        label=pgettext_lazy("phone", "Number"), help_text=_("The customer's number.")
    )
    duration = CallDurationField(
        label=_("Duration"),
        required=False,
        help_text=_("Minutes:seconds (3:25) or seconds (205)."),
    )
    outcome = forms.ChoiceField(
        label=pgettext_lazy("phone", "Outcome"), choices=Outcome.choices, initial=Outcome.ANSWERED
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For agents only: customers do not see calls."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "call_%s")
        super().__init__(*args, **kwargs)


class CallRequestForm(CallForm):
    """A new request from a call (views.call_request_new): the caller is found by number; a
    number nobody has needs the caller's email address, which finds or makes their account."""

    name = forms.CharField(
        label=_("Caller's name"),
        required=False,
        max_length=150,
        help_text=_("For a caller we do not know yet."),
    )
    email = forms.EmailField(
        label=_("Caller's email address"),
        required=False,
        max_length=254,
        help_text=_("Needed when nobody has this number yet; the number is added to them."),
    )
    subject = forms.CharField(
        label=_("Subject"),
        required=False,
        max_length=200,
        help_text=_("The customer sees it. Left empty: “Call from” and the number."),
    )

    field_order = ("number", "name", "email", "subject", "direction", "outcome", "duration")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["direction"].initial = Direction.INBOUND

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        number = cleaned.get("number")
        if number and not cleaned.get("email") and customer_for_number(number) is None:
            self.add_error(
                "email",
                _(
                    "Nobody has this number yet: give the caller's email address to find or "
                    "create their account."
                ),
            )
        return cleaned
