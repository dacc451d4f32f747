"""The full-text side of TicketSearch, per database (see tickets/search.py).

SQLite: an external-content FTS5 table over tickets_ticketsearch, kept in step by triggers.
PostgreSQL: a GIN index on the terms as a tsvector (lexemes taken verbatim, no parser).
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE tickets_search_fts USING fts5("
    "terms, content='tickets_ticketsearch', content_rowid='ticket_id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER tickets_search_ai AFTER INSERT ON tickets_ticketsearch BEGIN "
    "INSERT INTO tickets_search_fts(rowid, terms) VALUES (new.ticket_id, new.terms); END",
    "CREATE TRIGGER tickets_search_ad AFTER DELETE ON tickets_ticketsearch BEGIN "
    "INSERT INTO tickets_search_fts(tickets_search_fts, rowid, terms) "
    "VALUES ('delete', old.ticket_id, old.terms); END",
    "CREATE TRIGGER tickets_search_au AFTER UPDATE ON tickets_ticketsearch BEGIN "
    "INSERT INTO tickets_search_fts(tickets_search_fts, rowid, terms) "
    "VALUES ('delete', old.ticket_id, old.terms); "
    "INSERT INTO tickets_search_fts(rowid, terms) VALUES (new.ticket_id, new.terms); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS tickets_search_au",
    "DROP TRIGGER IF EXISTS tickets_search_ad",
    "DROP TRIGGER IF EXISTS tickets_search_ai",
    "DROP TABLE IF EXISTS tickets_search_fts",
]
POSTGRES_UP = [
    "CREATE INDEX tickets_search_gin ON tickets_ticketsearch "
    "USING gin (array_to_tsvector(string_to_array(terms, ' ')))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS tickets_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
