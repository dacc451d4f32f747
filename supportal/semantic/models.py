"""Vectors of texts (articles, requests), stored compactly with the model that made them."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models


def new_generation() -> str:
    return secrets.token_hex(8)


class Embedding(models.Model):
    """One text's vector: `kind` names the source ("article" for an article translation,
    "ticket" for a request), `object_id` its row. The vector is int8 (each L2-normalised
    component times 127, rounded): 384 bytes for a 384-dimension model."""

    kind = models.CharField(max_length=16)
    object_id = models.BigIntegerField()
    model = models.CharField(max_length=80)
    digest = models.CharField(max_length=16)  # of the text embedded: unchanged text is skipped
    vector = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="embedding_once")
        ]
        indexes: ClassVar = [
            models.Index(fields=["kind", "model", "object_id"], name="embedding_kind_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class VectorSet(models.Model):
    """Per kind, a token every write replaces: processes holding a kind's vectors in memory
    reload them when it changes (as help-center search does with SearchStats.generation)."""

    kind = models.CharField(max_length=16, primary_key=True)
    generation = models.CharField(max_length=16, default=new_generation)

    def __str__(self) -> str:
        return f"{self.kind} {self.generation}"
