"""Django's `flush`, allowed to empty the audit log too.

Emptying every table is a deliberate wipe of the whole database (the test suite does it after
each transactional test), not an edit of the log. On SQLite the delete trigger refuses every
DELETE unless `audit_unlock` has a row (migration 0003), so the wipe runs with one in place,
in one transaction with the row's removal: a failed flush leaves no unlock behind.
PostgreSQL's flush is TRUNCATE, which the row trigger does not see.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections, transaction


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        database = options.get("database") or DEFAULT_DB_ALIAS
        connection = connections[database]
        if connection.vendor != "sqlite" or "audit_unlock" not in (
            connection.introspection.table_names()
        ):
            super().handle(**options)
            return
        with transaction.atomic(using=database):
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO audit_unlock (reason) VALUES ('flush')")
            super().handle(**options)
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_unlock")
