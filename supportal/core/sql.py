"""Small helpers for the few statements written as raw SQL (hot paths: search, timings)."""

from __future__ import annotations

from typing import Any

from django.db import connection


def quoted_table(model: type[Any]) -> str:
    """A model's table name, quoted for the current database."""
    return connection.ops.quote_name(model._meta.db_table)
