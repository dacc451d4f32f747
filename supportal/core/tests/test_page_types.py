"""The list of page types covers the site: a new URL is a page type or says why it is not."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from supportal.page_types import NOT_PAGES, PAGE_TYPES, POST_ONLY
from supportal.test import Personas


def _language_routes() -> dict[str, str]:
    """Every named URL under the language prefix (the site's pages and their endpoints), with
    its pattern; the unprefixed ones are machine endpoints and Django's own admin."""
    found: dict[str, str] = {}

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif pattern.name and prefix.startswith("en/"):
                found[namespace + pattern.name] = prefix + str(pattern.pattern)

    from django.utils import translation

    with translation.override("en"):
        walk(get_resolver().url_patterns, "", "")
    return found


class PageTypeListTests:
    def test_every_url_of_the_site_is_a_page_type_or_says_why_not(self) -> None:
        routes = _language_routes()
        listed = {page.route for page in PAGE_TYPES}
        missing = sorted(set(routes) - listed - set(NOT_PAGES))
        assert not missing, (
            "These URLs are neither page types (supportal/page_types.py PAGE_TYPES) nor "
            "listed in NOT_PAGES with a reason:\n" + "\n".join(missing)
        )
        both = sorted(listed & set(NOT_PAGES))
        assert not both, f"Both a page type and not a page: {both}"
        stale = sorted(set(NOT_PAGES) - set(routes))
        assert not stale, f"NOT_PAGES names URLs that no longer exist: {stale}"
        unknown = sorted(listed - set(routes))
        assert not unknown, f"PAGE_TYPES names URLs that do not exist: {unknown}"

    def test_page_type_names_are_unique(self) -> None:
        names = [page.name for page in PAGE_TYPES]
        assert len(names) == len(set(names))

    @pytest.mark.django_db
    def test_what_is_listed_as_a_forms_action_refuses_get(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        routes = _language_routes()
        answered = {}
        for route, reason in NOT_PAGES.items():
            if reason != POST_ONLY:
                continue
            path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: _sample(m.group(1)), routes[route])
            answered[route] = client.get(path).status_code
        wrong = {route: status for route, status in answered.items() if status != 405}
        assert not wrong, f"Listed as POST only but answer GET otherwise: {wrong}"


def _sample(argument: str) -> str:
    return {"direction": "down", "kind": "privacy", "token": "x", "locale": "en"}.get(argument, "1")
