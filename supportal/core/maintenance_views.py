"""The admins' Maintenance page: the same switch as `supportal maintenance`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from supportal.accounts.access import admin_required
from supportal.core.maintenance import maintenance_read, maintenance_set


class MaintenanceForm(forms.Form):
    enabled = forms.BooleanField(
        label=gettext_lazy("Close the site for maintenance"), required=False
    )
    message = forms.CharField(
        label=gettext_lazy("Message to visitors"),
        help_text=gettext_lazy("Optional. Shown under the maintenance notice, as written."),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    retry_minutes = forms.IntegerField(
        label=gettext_lazy("Ask visitors to try again after (minutes)"),
        min_value=1,
        max_value=24 * 60,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def maintenance(request: HttpRequest) -> HttpResponse:
    state = maintenance_read()
    initial = {
        "enabled": state.enabled,
        "message": state.message,
        "retry_minutes": max(1, state.retry_after // 60),
    }
    form = MaintenanceForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        enabled = form.cleaned_data["enabled"]
        maintenance_set(
            enabled=enabled,
            message=form.cleaned_data["message"],
            retry_after=form.cleaned_data["retry_minutes"] * 60,
            request=request,
        )
        messages.success(
            request,
            _("Maintenance mode is on.") if enabled else _("Maintenance mode is off."),
        )
        return HttpResponseRedirect(reverse("maintenance"))
    context = {
        "form": form,
        "state": state,
        "crumbs": [(_("Inbox"), reverse("agent:inbox")), (_("Maintenance"), None)],
    }
    status = 400 if form.is_bound else 200
    return render(request, "core/maintenance.html", context, status=status)
