"""Content gaps for the agents who write articles (helpcenter/gaps.py): what customers search
for and ask that no article answers well."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from supportal.accounts.access import agent_required
from supportal.helpcenter import gaps, tasks


@agent_required
@require_GET
def content_gaps(request: HttpRequest) -> HttpResponse:
    found = gaps.stored()
    if found is None:
        tasks.refresh_content_gaps()  # in the worker; at once where tasks run immediately
        found = gaps.stored()
    context = {
        "nav_section": "articles",
        "computed_at": found["at"] if found else None,
        "model": found["model"] if found else True,
        "rows": gaps.rows_for(request.user, found["gaps"] or []) if found else [],
        "days": gaps.DAYS,
        "crumbs": [
            (_("Articles"), reverse("helpcenter_agent:articles")),
            (_("Content gaps"), None),
        ],
    }
    return render(request, "helpcenter/agent/content_gaps.html", context)
