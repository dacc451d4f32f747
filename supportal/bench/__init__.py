"""Benchmarks, load tests and the generators of their data sets (`make bench`; figures in
docs/benchmarks.md). Not part of the product: nothing in the areas imports from here."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASES = ("sqlite", "postgres")


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fresh_database(database: str, *, name: str, log_level: str = "WARNING") -> None:
    """An empty scratch database for one benchmark, migrated, with Django set up on it:
    var/<name>.sqlite3 removed and made again, or the PostgreSQL database <name> dropped and
    created (never "supportal" or "supportal_test": someone's data). No Redis: the same cache
    on both databases."""
    if name in ("supportal", "supportal_test"):
        raise SystemExit(f"{name} is someone's data, not a scratch database.")
    if database == "sqlite":
        path = ROOT / "var" / f"{name.removeprefix('supportal_').replace('_', '-')}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix=f"{name}-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportal.settings"
    os.environ["LOG_LEVEL"] = log_level
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def on_each_database(module: str, arguments: Sequence[str]) -> None:
    """Runs `python -m <module> --database D <arguments>` for SQLite, then PostgreSQL: each in
    a process of its own, as Django is set up once per process."""
    for database in DATABASES:
        command = [sys.executable, "-m", module, "--database", database, *arguments]
        subprocess.run(command, cwd=ROOT, check=False)
