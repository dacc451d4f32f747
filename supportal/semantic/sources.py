"""What gets embedded: each area registers its kinds of text in AppConfig.ready(); this area
imports none of them (helpcenter registers "article", tickets "ticket")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    kind: str
    # The ids that should have a vector now (published articles, requests...), ascending.
    current_ids: Callable[[], Iterable[int]]
    # {id: text} for the given ids that still exist and should have a vector.
    texts: Callable[[list[int]], dict[int, str]]
    # {id: group} (an article translation's language): the index keeps each group's vectors
    # side by side, so a search within one group reads one slice of the matrix, no copy.
    groups: Callable[[], dict[int, str]] | None = None


_sources: dict[str, Source] = {}


def register(source: Source) -> None:
    _sources[source.kind] = source


def get(kind: str) -> Source:
    return _sources[kind]


def kinds() -> list[str]:
    return sorted(_sources)
