"""The audit log for admins (/agent/manage/audit/): browse with filters, export as CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from supportal.accounts.access import admin_required
from supportal.audit import selectors
from supportal.audit.keyset import keyset_page
from supportal.audit.presentation import action_label, describe
from supportal.audit.services import audit_record

CSV_COLUMNS = (
    "time",
    "actor",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "object",
    "ip",
    "browser",
    "before",
    "after",
    "note",
)
# A spreadsheet runs a cell that begins with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@admin_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = selectors.filter_form(request.GET or None)
    entries, kept = selectors.filtered(form)
    page = keyset_page(entries, request, order=selectors.ORDER, keep=kept)
    for entry in page.rows:
        describe(entry)
    context = {
        "form": form,
        "page": page,
        "filtered": bool(kept),
        "export_url": _export_url(request),
        "crumbs": [(_("Inbox"), reverse("agent:inbox")), (_("Audit log"), None)],
        **page.links,
    }
    return render(request, "audit/log.html", context)


def _export_url(request: HttpRequest) -> str:
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    encoded = query.urlencode()
    return reverse("audit:export") + (f"?{encoded}" if encoded else "")


def csv_cell(value: Any) -> str:
    """A cell as text, with a leading quote where a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _rows(entries: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for entry in entries.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                csv_cell(value)
                for value in (
                    timezone.localtime(entry.at).isoformat(),
                    entry.actor_label,
                    entry.action,
                    action_label(entry.action),
                    entry.target_type,
                    entry.target_id,
                    entry.target_label,
                    entry.ip,
                    entry.user_agent,
                    _json(entry.before),
                    _json(entry.after),
                    entry.note,
                )
            ]
        )


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@admin_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    """The filtered entries as CSV, streamed. Exporting is itself recorded, first."""
    form = selectors.filter_form(request.GET or None)
    entries, kept = selectors.filtered(form)
    audit_record(action="audit.export", request=request, after=kept or None)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _rows(entries.order_by(*selectors.ORDER)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
