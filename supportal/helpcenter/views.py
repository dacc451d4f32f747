from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportal.accounts.access import public


@public
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "helpcenter/home.html")


@public
@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("User-agent: *\nAllow: /\n", content_type="text/plain")


@public
@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n',
        content_type="application/xml",
    )


@public
@require_GET
def category(request: HttpRequest, category_id: int) -> HttpResponse:
    raise Http404


@public
@require_GET
def section(request: HttpRequest, section_id: int) -> HttpResponse:
    raise Http404


@public
@require_GET
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    raise Http404


@public
@require_GET
def faq(request: HttpRequest) -> HttpResponse:
    raise Http404


@public
@require_GET
def announcements(request: HttpRequest) -> HttpResponse:
    raise Http404
