"""Applying a triage suggestion (supportal/tickets/triage.py) from the request page's
"Suggested" panel: one field at a time, through the request update service."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from supportal.accounts.access import agent_required_hidden
from supportal.tickets import services
from supportal.tickets.access import get_ticket_for
from supportal.tickets.models import Group, Priority, RequestType
from supportal.tickets.triage import FIELDS
from supportal.tickets.views.agent_ticket import _after_change, _page

GONE = gettext_lazy("This suggestion can no longer be applied.")


class ApplyForm(forms.Form):
    field = forms.ChoiceField(choices=[(name, name) for name in FIELDS])
    value = forms.IntegerField(min_value=1, max_value=2**31 - 1)

    def changes(self) -> services.Changes:
        """The change the suggestion makes; ValidationError when its value is gone."""
        name, value = self.cleaned_data["field"], self.cleaned_data["value"]
        if name == "priority":
            if value not in Priority.values:
                raise forms.ValidationError(GONE)
            return services.Changes(priority=value)
        model = RequestType if name == "type" else Group
        rows = model.objects.filter(pk=value)
        target = (rows.filter(active=True) if model is RequestType else rows).first()
        if target is None:
            raise forms.ValidationError(GONE)
        return services.Changes(**{name: target})


@agent_required_hidden
@require_POST
def ticket_triage_apply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_ticket_for(request, number)
    form = ApplyForm(request.POST)
    try:
        changes = form.changes() if form.is_valid() else None
    except forms.ValidationError:
        changes = None
    if changes is None:
        messages.error(request, str(GONE))
        return _page(request, ticket, 400)
    events = services.ticket_update(ticket=ticket, actor=request.user, changes=changes)
    messages.success(request, _("The suggestion has been applied.") if events else _("No changes."))
    return _after_change(request, ticket)
