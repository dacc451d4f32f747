from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def our_views(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # Django's admin checks is_staff itself
            yield from our_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


class AccessRuleTests:
    def test_every_view_declares_who_may_open_it(self) -> None:
        missing = []
        for route, callback in our_views():
            rule = getattr(callback, "access_rule", None) or getattr(
                getattr(callback, "view_class", None), "access_rule", None
            )
            if rule not in ("public", "signed_in", "agent", "admin"):
                missing.append(route)
        assert missing == []

    def test_it_walks_the_url_patterns(self) -> None:
        routes = [route for route, _callback in our_views()]
        assert "healthz" in routes
        assert any(route.endswith("manage/outbox/") for route in routes)
