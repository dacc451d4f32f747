"""Which automatic rule made a change, in words: TicketEvent.via ("sla:3", "trigger:12") as
"SLA policy “Urgent”" or "Trigger “Tag urgent words”" for the request history.

Areas register a labeller for their kind of rule in AppConfig.ready(); it takes the ids of that
kind found on a page and returns {id: label} with one query. Tickets imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

Labeller = Callable[[set[int]], dict[int, str]]
_labellers: dict[str, Labeller] = {}


def register(kind: str, labeller: Labeller) -> None:
    _labellers[kind] = labeller


def named(model: type, text: str, field: str = "name") -> Labeller:
    """A labeller reading `field` of `model` rows into `text` (a msgid marked with
    gettext_noop) as %(name)s; a deleted row is named by its number."""

    def labeller(ids: set[int]) -> dict[int, str]:
        rows = model._default_manager.filter(pk__in=ids).values_list("pk", field)  # type: ignore[attr-defined]
        names = dict(rows)
        return {pk: _(text) % {"name": names.get(pk, f"#{pk}")} for pk in ids}

    return labeller


def labels(vias: Iterable[str]) -> dict[str, str]:
    """{via: label} for the given TicketEvent.via values (one query per kind present)."""
    wanted: dict[str, set[int]] = {}
    for via in vias:
        kind, _sep, pk = via.partition(":")
        if pk.isdigit():
            wanted.setdefault(kind, set()).add(int(pk))
    found = {}
    for kind, ids in wanted.items():
        labeller = _labellers.get(kind)
        named_ids = labeller(ids) if labeller else {}
        for pk in ids:
            found[f"{kind}:{pk}"] = named_ids.get(pk) or f"{kind} #{pk}"
    return found
