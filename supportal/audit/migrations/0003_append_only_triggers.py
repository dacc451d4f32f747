"""The database refuses to change or remove an audit entry, whatever code asks it to.

SQLite: BEFORE UPDATE / BEFORE DELETE triggers that abort. `manage.py flush` (tests empty the
database with it) deletes every row; our `flush` command (audit/management/commands/flush.py)
puts a row in `audit_unlock` for the length of its transaction, and the delete trigger lets a
flush through only then. PostgreSQL: one row-level trigger for UPDATE and DELETE; its flush is
TRUNCATE, which row triggers do not see, so it needs no unlock.
"""

from __future__ import annotations

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE TABLE IF NOT EXISTS audit_unlock (reason varchar(40) NOT NULL)",
    """CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'audit log entries cannot be changed'); END""",
    """CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_auditentry
    WHEN NOT EXISTS (SELECT 1 FROM audit_unlock)
    BEGIN SELECT RAISE(ABORT, 'audit log entries cannot be deleted'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_entry_no_delete",
    "DROP TRIGGER IF EXISTS audit_entry_no_update",
    "DROP TABLE IF EXISTS audit_unlock",
]
POSTGRESQL_FORWARD = [
    """CREATE OR REPLACE FUNCTION audit_entry_refuse() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit log entries cannot be changed or deleted'
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$""",
    """CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse()""",
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_refuse()",
]
STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
}


def _run(schema_editor, *, forward: bool) -> None:  # type: ignore[no-untyped-def]
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:
        return  # another database: the application's own refusals still hold
    for sql in statements[0 if forward else 1]:
        schema_editor.execute(sql, params=None)


def forwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _run(schema_editor, forward=True)


def backwards(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    _run(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_actor_kept"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
