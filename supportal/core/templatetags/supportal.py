from __future__ import annotations

from django import template
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.urls import translate_url

register = template.Library()


@register.filter
def alternates(request: HttpRequest) -> list[dict[str, str]]:
    """The same page in every language, for hreflang links."""
    if not getattr(request, "resolver_match", None) or request.resolver_match is None:
        return []
    try:
        base = request.build_absolute_uri(request.path)
    except DisallowedHost:
        return []  # the 400 page for a forged Host header must still render
    links = [{"code": code, "url": translate_url(base, code)} for code in settings.LANGUAGE_CODES]
    if len({link["url"] for link in links}) < len(links):
        return []  # not a language-prefixed page
    return links
