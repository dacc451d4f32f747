"""Triage suggestions: a request's type, group and priority predicted from the nearest solved
or closed requests ("ticket" vectors: subject and first message) and their final values.

Each neighbour votes for its value, weighted by how much closer it is than the others
(exp((cosine - best cosine) / TEMPERATURE)); a field's
confidence is the winning value's share of all the votes, neighbours without a value (no type,
no group) voting for "none" (which is never suggested). So 0.82 means that 82 % of the weighted
neighbours agree.

Bounded work: one matrix product over the request vectors in memory (at most
tickets.vectors.LIMIT rows, a few milliseconds), then one query for the final values of the
CANDIDATES nearest requests, of which the first K solved or closed ones vote. Only labels are
shown, never the neighbours themselves, so no request the viewer may not see is revealed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from supportal.semantic import embedding, index, sources
from supportal.semantic.models import Embedding
from supportal.tickets import vectors
from supportal.tickets.models import SOLVED, Group, Priority, RequestType, Ticket

K = 15  # neighbours that vote
# Votes weigh exp((similarity - best) / TEMPERATURE): E5's cosines crowd between 0.75 and
# 0.95, so raw similarities would make every neighbour count about the same.
TEMPERATURE = 0.02
CANDIDATES = 200  # nearest requests read to find K solved ones
FIELDS = ("type", "group", "priority")


@dataclass(frozen=True)
class Suggestion:
    field: str  # "type", "group" or "priority"
    value: int  # the type's or group's id, or the priority
    label: str
    confidence: float  # 0..1: the winning value's share of the weighted votes
    current: bool  # the request has this value already

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


@dataclass(frozen=True)
class Prediction:
    """What the nearest solved requests say: {field: (value or None, confidence)}."""

    votes: dict[str, tuple[int | None, float]]
    neighbours: int


def has_vector(ticket: Ticket) -> bool:
    """Whether the request's vector of the current model is stored: one indexed read, not the
    request vectors loaded into this process (a trigger on a new request asks, in the
    customer's request, and the answer is then always no)."""
    model = embedding.model_name()
    return model is not None and (
        Embedding.objects.filter(kind=vectors.KIND, object_id=ticket.pk, model=model).exists()
    )


def ticket_vector(ticket: Ticket, found: index.Vectors | None = None) -> np.ndarray | None:
    """The request's stored vector; embedded here when it has none yet (a request just made,
    whose vector the worker writes after the commit)."""
    found = found if found is not None else index.vectors(vectors.KIND)
    present, rows = found.positions(np.array([ticket.pk], dtype=np.int64))
    if present[0]:
        return found.matrix[rows[0]]
    text = sources.get(vectors.KIND).texts([ticket.pk]).get(ticket.pk, "")
    made = embedding.passage_vectors([text]) if text else None
    return None if made is None else made[0]


def predict_vector(
    vector: np.ndarray,
    *,
    exclude: set[int] | frozenset[int] = frozenset(),
    k: int = K,
    temperature: float = TEMPERATURE,
    found: index.Vectors | None = None,
) -> Prediction:
    """Votes of the `k` nearest solved or closed requests (other than `exclude`)."""
    found = found if found is not None else index.vectors(vectors.KIND)
    if not len(found.ids):
        return Prediction({}, 0)
    near = index.top(found.ids, found.matrix @ vector, CANDIDATES + len(exclude))
    near = [(pk, score) for pk, score in near if pk not in exclude]
    if not near:
        return Prediction({}, 0)
    rows = {
        pk: (type_id, group_id, priority)
        for pk, type_id, group_id, priority in Ticket.objects.filter(
            pk__in=[pk for pk, _score in near], status__in=SOLVED
        ).values_list("pk", "type_id", "group_id", "priority")
    }
    nearest = [(rows[pk], score) for pk, score in near if pk in rows][:k]
    if not nearest:
        return Prediction({}, 0)
    best = nearest[0][1]
    voters = [(values, math.exp((score - best) / temperature)) for values, score in nearest]
    return Prediction(vote(voters), len(voters))


def vote(voters: list[tuple[tuple[Any, ...], float]]) -> dict[str, tuple[int | None, float]]:
    """{field: (winning value, its share of the weights)} from (values, weight) pairs, values
    in FIELDS order; ties go to the smaller value (stable across databases)."""
    found: dict[str, tuple[int | None, float]] = {}
    for position, name in enumerate(FIELDS):
        weights: dict[int | None, float] = defaultdict(float)
        for values, weight in voters:
            weights[values[position]] += weight
        total = sum(weights.values())
        if not total:
            continue
        winner = min(weights, key=lambda value: (-round(weights[value], 9), value or 0))
        found[name] = (winner, weights[winner] / total)
    return found


def predict(ticket: Ticket) -> Prediction:
    """What the nearest solved requests say about `ticket` (none without a model)."""
    found = index.vectors(vectors.KIND)
    if not len(found.ids):
        return Prediction({}, 0)
    vector = ticket_vector(ticket, found)
    if vector is None:
        return Prediction({}, 0)
    return predict_vector(vector, exclude={ticket.pk}, found=found)


def suggestions(
    ticket: Ticket,
    prediction: Prediction | None = None,
    *,
    types: list[RequestType] | None = None,
    groups: list[Group] | None = None,
) -> list[Suggestion]:
    """The predicted values as people read them, type, group then priority; a value that no
    longer exists (a deleted group, an inactive type) is left out. `types` and `groups` are
    the lists the page read already (else read here)."""
    prediction = prediction if prediction is not None else predict(ticket)
    wanted = {name: value for name, (value, _c) in prediction.votes.items() if value is not None}
    names: dict[str, dict[int, str]] = {"priority": {p.value: str(p.label) for p in Priority}}
    if "type" in wanted:
        found_types = types if types is not None else RequestType.objects.filter(pk=wanted["type"])
        names["type"] = {t.pk: t.name for t in found_types if t.active}
    if "group" in wanted:
        found_groups = groups if groups is not None else Group.objects.filter(pk=wanted["group"])
        names["group"] = {g.pk: g.name for g in found_groups}
    found = []
    for name in FIELDS:
        if name not in wanted or wanted[name] not in names.get(name, {}):
            continue
        value = wanted[name]
        current = getattr(ticket, "priority" if name == "priority" else f"{name}_id")
        found.append(
            Suggestion(
                field=name,
                value=value,
                label=names[name][value],
                confidence=prediction.votes[name][1],
                current=current == value,
            )
        )
    return found


def panel_context(
    ticket: Ticket, *, types: list[RequestType], groups: list[Group]
) -> dict[str, Any]:
    """What templates/tickets/agent/_triage.html shows."""
    prediction = predict(ticket)
    return {
        "triage": suggestions(ticket, prediction, types=types, groups=groups),
        "triage_neighbours": prediction.neighbours,
    }
