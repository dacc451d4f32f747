from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportal.accounts.access import public


@public
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    return render(request, "helpcenter/search/results.html", {"query": request.GET.get("q", "")})
