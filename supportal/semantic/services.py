"""Writing vectors: after a change (the worker, in batches), and a full rebuild."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from django.db import transaction

from supportal.semantic import embedding, sources
from supportal.semantic.models import Embedding, VectorSet, new_generation

BATCH_SIZE = 32  # texts per call to the model


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def _changed(kind: str) -> None:
    VectorSet.objects.update_or_create(kind=kind, defaults={"generation": new_generation()})


def embed_later(kind: str, ids: Iterable[int]) -> None:
    """After the current transaction commits, the worker embeds these (or removes the vectors
    of those that no longer should have one)."""
    from supportal.semantic.tasks import embed_ids

    wanted = sorted({int(pk) for pk in ids})
    if wanted:
        transaction.on_commit(lambda: embed_ids(kind, wanted))


def embed_now(kind: str, ids: Iterable[int]) -> int:
    """Brings the vectors of `ids` up to date: new or changed texts are embedded, rows of ids
    that should no longer have one are deleted. How many were embedded."""
    model = embedding.model_name()
    ids = sorted({int(pk) for pk in ids})
    if model is None or not ids:
        return 0
    texts = sources.get(kind).texts(ids)
    existing = {
        pk: (stored_model, digest)
        for pk, stored_model, digest in Embedding.objects.filter(
            kind=kind, object_id__in=ids
        ).values_list("object_id", "model", "digest")
    }
    todo = [
        (pk, text, _digest(text))
        for pk, text in sorted(texts.items())
        if existing.get(pk) != (model, _digest(text))
    ]
    gone = [pk for pk in ids if pk not in texts and pk in existing]
    embedded = 0
    for start in range(0, len(todo), BATCH_SIZE):
        batch = todo[start : start + BATCH_SIZE]
        vectors = embedding.passage_vectors([text for _pk, text, _digest_ in batch])
        if vectors is None:
            break
        with transaction.atomic():
            for (pk, _text, digest), vector in zip(batch, vectors, strict=True):
                Embedding.objects.update_or_create(
                    kind=kind,
                    object_id=pk,
                    defaults={
                        "model": model,
                        "digest": digest,
                        "vector": embedding.to_bytes(vector),
                    },
                )
            _changed(kind)
        embedded += len(batch)
    if gone:
        with transaction.atomic():
            Embedding.objects.filter(kind=kind, object_id__in=gone).delete()
            _changed(kind)
    return embedded


def missing_ids(kind: str) -> list[int]:
    """Ids that should have a vector of the current model and have none (new, failed, made
    by another model, or removed as corrupt)."""
    model = embedding.model_name()
    if model is None:
        return []
    have = set(Embedding.objects.filter(kind=kind, model=model).values_list("object_id", flat=True))
    return [pk for pk in sources.get(kind).current_ids() if pk not in have]


def embed_missing(kind: str, progress: Callable[[int], object] | None = None) -> int:
    """Embeds every missing vector of `kind` and drops vectors of ids that no longer should
    have one; `progress` is called with each batch's size."""
    current = set(sources.get(kind).current_ids())
    stored = Embedding.objects.filter(kind=kind).values_list("object_id", flat=True)
    stale = [pk for pk in stored.iterator(chunk_size=5000) if pk not in current]
    if stale:
        with transaction.atomic():
            Embedding.objects.filter(kind=kind, object_id__in=stale).delete()
            _changed(kind)
    done = 0
    todo = missing_ids(kind)
    for start in range(0, len(todo), BATCH_SIZE * 8):
        chunk = todo[start : start + BATCH_SIZE * 8]
        done += embed_now(kind, chunk)
        if progress is not None:
            progress(len(chunk))
    return done


def rebuild(kind: str, progress: Callable[[int], object] | None = None) -> int:
    """Every vector of `kind` anew (`supportal embed --rebuild`)."""
    with transaction.atomic():
        Embedding.objects.filter(kind=kind).delete()
        _changed(kind)
    return embed_missing(kind, progress=progress)


def forget_corrupt(kind: str, ids: list[int]) -> None:
    """Rows that did not decode: deleted, so the worker embeds them again."""
    if ids:
        Embedding.objects.filter(kind=kind, object_id__in=ids).delete()
