from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportal.accounts.access import agent_required


@agent_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    return render(request, "helpcenter/agent/article_list.html")
