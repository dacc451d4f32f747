from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FILTERS = ("action", "actor", "target_type", "date_from", "date_to")


class AuditFilterForm(forms.Form):
    """The audit log's filters. Dates are days in the viewer's time zone, both included."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(
        label=_("By (email contains)"),
        required=False,
        max_length=320,
        widget=forms.TextInput(attrs={"autocomplete": "off", "type": "search"}),
    )
    target_type = forms.ChoiceField(label=_("Object type"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self,
        *args: Any,
        actions: list[tuple[str, str]],
        target_types: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action")), *actions]  # type: ignore[attr-defined]
        self.fields["target_type"].choices = [("", _("Any type")), *target_types]  # type: ignore[attr-defined]

    def clean_actor(self) -> str:
        return self.cleaned_data["actor"].strip().lower()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise ValidationError(_("The start date is after the end date."), code="dates")
        return cleaned

    def since(self) -> datetime | None:
        return _start_of(self.cleaned_data.get("date_from"))

    def until(self) -> datetime | None:
        day = self.cleaned_data.get("date_to")
        return _start_of(day + timedelta(days=1)) if day else None


def _start_of(day: date | None) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
