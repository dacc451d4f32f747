"""Reading the audit log: the filter choices, the filtered entries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.text import capfirst

from supportal.audit.forms import AuditFilterForm
from supportal.audit.models import AuditEntry
from supportal.audit.presentation import action_label, kind_label

# Newest first, served by the (at, id) index.
ORDER = ("-at", "-id")


def action_choices() -> list[tuple[str, str]]:
    """The actions that occur in the log, by label (one query, over the action index)."""
    codes = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return sorted(((code, action_label(code)) for code in codes), key=lambda pair: pair[1])


def target_type_choices() -> list[tuple[str, str]]:
    types = (
        AuditEntry.objects.exclude(target_type="")
        .order_by("target_type")
        .values_list("target_type", flat=True)
        .distinct()
    )
    return sorted(((name, capfirst(kind_label(name))) for name in types), key=lambda p: p[1])


def filter_form(data: Any) -> AuditFilterForm:
    return AuditFilterForm(data, actions=action_choices(), target_types=target_type_choices())


def filtered(form: AuditFilterForm) -> tuple[QuerySet[AuditEntry], dict[str, Any]]:
    """The entries the form's valid filters select, and those filters as the URL keeps them.
    An invalid filter is not applied (the form shows its error)."""
    valid = form.is_valid()
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    entries = AuditEntry.objects.all()
    kept: dict[str, Any] = {}
    if data.get("action"):
        entries = entries.filter(action=data["action"])
        kept["action"] = data["action"]
    if data.get("actor"):
        entries = entries.filter(actor_label__icontains=data["actor"])
        kept["actor"] = data["actor"]
    if data.get("target_type"):
        entries = entries.filter(target_type=data["target_type"])
        kept["target_type"] = data["target_type"]
    if valid:
        since, until = form.since(), form.until()
        if since is not None:
            entries = entries.filter(at__gte=since)
            kept["date_from"] = data["date_from"].isoformat()
        if until is not None:
            entries = entries.filter(at__lt=until)
            kept["date_to"] = data["date_to"].isoformat()
    return entries, kept
