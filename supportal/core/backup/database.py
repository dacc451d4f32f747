"""Taking and putting back a database snapshot, per vendor.

SQLite: the online backup API copies every page in one step while other connections keep
reading and writing (WAL), so the copy is one consistent moment; it is put back the same way.
PostgreSQL: `pg_dump --format=custom` (one repeatable-read snapshot) and, to restore, the script
`pg_restore` makes from it, run by `psql` in one transaction after emptying the schema, so a
failed restore leaves the database as it was.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from supportal.core.backup.errors import BackupError

MEMBERS = {"sqlite": "database/supportal.sqlite3", "postgresql": "database/supportal.pgdump"}


def vendor() -> str:
    if connection.vendor not in MEMBERS:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL; this installation uses %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    return connection.vendor


def server_version() -> str:
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        return str(connection.pg_version)  # type: ignore[attr-defined]
    return sqlite3.sqlite_version


def dump(target: Path) -> None:
    """Writes a consistent snapshot of the database to `target`."""
    if connection.in_atomic_block:
        # SQLite would wait forever for its own open transaction; PostgreSQL would miss it.
        raise BackupError(_("A backup cannot be made inside a transaction."))
    if vendor() == "sqlite":
        _sqlite_dump(target)
    else:
        _postgres_dump(target)


def load(source: Path) -> None:
    """Replaces the whole database with the snapshot in `source`."""
    if vendor() == "sqlite":
        _sqlite_load(source)
    else:
        _postgres_load(source)
    connection.close()


# --- SQLite ------------------------------------------------------------------------------------


def _raw_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection  # type: ignore[return-value]


def _sqlite_dump(target: Path) -> None:
    copy = sqlite3.connect(target)
    try:
        _raw_sqlite().backup(copy)  # pages=-1: every page in one step, one consistent moment
        # One self-contained file in the archive: no write-ahead log beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()


def _sqlite_load(source: Path) -> None:
    snapshot = sqlite3.connect(source)
    try:
        snapshot.backup(_raw_sqlite())
    finally:
        snapshot.close()


# --- PostgreSQL --------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "%(tool)s is not installed. Install the PostgreSQL client programs (the same "
                "major version as the server or newer), for example the postgresql-client "
                "package, and try again."
            )
            % {"tool": name}
        )
    return found


def _postgres_env() -> dict[str, str]:
    """The connection settings as libpq variables, so no password appears in a process list."""
    given: dict[str, Any] = connection.settings_dict
    env = dict(os.environ)
    values = {
        "PGHOST": given.get("HOST"),
        "PGPORT": given.get("PORT"),
        "PGUSER": given.get("USER"),
        "PGPASSWORD": given.get("PASSWORD"),
        "PGDATABASE": given.get("NAME"),
    }
    options = given.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(option):
            values[variable] = options[option]
    for variable, value in values.items():
        if value:
            env[variable] = str(value)
        else:
            env.pop(variable, None)
    return env


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own argument list, no shell
        args, env=_postgres_env(), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            _("%(what)s failed: %(detail)s")
            % {"what": what, "detail": " / ".join(detail[-5:]) or done.returncode}
        )


def _postgres_dump(target: Path) -> None:
    _run(
        [
            _tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
        ],
        "pg_dump",
    )


def _postgres_load(source: Path) -> None:
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    connection.close()
    with tempfile.TemporaryDirectory(prefix="supportal-restore-") as folder:
        script = Path(folder) / "restore.sql"
        _run(
            [pg_restore, "--no-owner", "--no-privileges", f"--file={script}", str(source)],
            "pg_restore",
        )
        empty = Path(folder) / "empty.sql"
        empty.write_text("DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")
        # One transaction for emptying and refilling: an error anywhere leaves the old database.
        _run(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                f"--file={empty}",
                f"--file={script}",
            ],
            "psql",
        )
