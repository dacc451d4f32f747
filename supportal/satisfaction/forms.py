"""The rating form (customers) and the report's filters (agents)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import User
from supportal.satisfaction.models import COMMENT_MAX_LENGTH, Score
from supportal.satisfaction.selectors import Filters
from supportal.tickets.models import Group

DEFAULT_DAYS = 30
SCORE_LABELS = {
    Score.GOOD: _("Good, I'm satisfied"),
    Score.BAD: _("Bad, I'm unsatisfied"),
}


class RatingForm(forms.Form):
    score = forms.ChoiceField(
        label=_("How would you rate the support you received?"),
        choices=list(SCORE_LABELS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose Good or Bad.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        help_text=_("Tell us what went well or what we could do better."),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class ReportForm(forms.Form):
    """The report's filters, read from the query string; the period defaults to 30 days."""

    start = forms.DateField(label=_("Start date"), required=False, widget=DateInput())
    end = forms.DateField(label=_("End date"), required=False, widget=DateInput())
    score = forms.ChoiceField(
        label=_("Rating"), required=False, choices=[("", _("Good and bad")), *Score.choices]
    )
    group = forms.ModelChoiceField(
        label=_("Group"), required=False, queryset=Group.objects.all(), empty_label=_("Any group")
    )
    agent = forms.ModelChoiceField(
        label=_("Agent"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Any agent"),
    )

    def __init__(self, data: Any, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["agent"].queryset = User.objects.agents().order_by("name", "pk")
        self.fields["agent"].label_from_instance = lambda user: user.name or user.email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date must be on or after the start date."))
        return data

    def filters(self) -> Filters:
        """The filters to apply; before validation (or when invalid), the defaults."""
        data = self.cleaned_data if self.is_valid() else {}
        today = timezone.localdate()
        end: datetime.date = data.get("end") or today
        start: datetime.date = data.get("start") or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
        return Filters(
            start=_midnight(start),
            end=_midnight(end + datetime.timedelta(days=1)),
            score=data.get("score") or "",
            group_id=data["group"].pk if data.get("group") else None,
            assignee_id=data["agent"].pk if data.get("agent") else None,
        )


def _midnight(day: datetime.date) -> datetime.datetime:
    """The start of `day` in the viewer's time zone."""
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())
