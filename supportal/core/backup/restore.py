"""Restoring a backup into an empty installation.

Every check runs before anything changes: the whole archive is read and its checksums compared,
the database vendor must match, every migration the backup applied must be known to this code
(a backup from a newer version is refused), and the installation must hold no users and no
requests (unless `force`). Then: maintenance mode on, the database replaced, the files written
to default storage, pending migrations run (a backup from an older version), caches cleared,
maintenance mode off again (or left on with `keep_maintenance`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from supportal.core.backup import archive, database
from supportal.core.backup.archive import Progress, Verified, no_progress
from supportal.core.backup.errors import BackupError
from supportal.core.copies import SharedCopy

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Restored:
    manifest: dict[str, object]
    files: int
    migrations_run: int


def unknown_migrations(migrations: dict[str, list[str]]) -> list[str]:
    """Migrations the backup applied that this code does not have (it is from a newer version,
    or from an app this installation lacks)."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [
        f"{app}.{name}"
        for app, names in sorted(migrations.items())
        for name in names
        if (app, name) not in known
    ]


def installation_contents() -> tuple[int, int]:
    """(users, requests) in this installation; (0, 0) before its first migration."""
    from supportal.accounts.models import User
    from supportal.tickets.models import Ticket

    tables = set(connection.introspection.table_names())
    users = User.objects.count() if User._meta.db_table in tables else 0
    tickets = Ticket.objects.count() if Ticket._meta.db_table in tables else 0
    return users, tickets


def check_restorable(verified: Verified, *, force: bool) -> None:
    ours = database.vendor()
    if verified.vendor != ours:
        raise BackupError(
            _(
                "This backup holds a %(theirs)s database and this installation uses %(ours)s. "
                "Restore it into an installation with %(theirs)s; a backup cannot move between "
                "database systems."
            )
            % {"theirs": VENDOR_NAMES[verified.vendor], "ours": VENDOR_NAMES[ours]}
        )
    unknown = unknown_migrations(verified.manifest["migrations"])
    if unknown:
        raise BackupError(
            _(
                "This backup comes from a newer version of Supportal: its database has changes "
                "this version does not know (%(names)s). Upgrade Supportal, then restore it."
            )
            % {"names": ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")}
        )
    users, tickets = installation_contents()
    if (users or tickets) and not force:
        raise BackupError(
            _(
                "This installation is not empty (users: %(users)s, requests: %(tickets)s). "
                "Restore into a new, empty installation, or pass --force to replace "
                "everything in this one."
            )
            % {"users": users, "tickets": tickets}
        )


def _maintenance_on() -> None:
    """Closes the site for the restore if this installation already has the switch."""
    from supportal.core.maintenance import maintenance_set
    from supportal.core.models import MaintenanceMode

    if MaintenanceMode._meta.db_table in connection.introspection.table_names():
        maintenance_set(enabled=True, message=_("Restoring a backup."), retry_after=300)


def _maintenance_after(keep: bool) -> None:
    """Sets the restored site's switch; writes (and audits) only when it must change, so a
    restored database matches the backup row for row."""
    from supportal.core.maintenance import maintenance_read, maintenance_set

    if maintenance_read().enabled != keep:
        if keep:
            maintenance_set(enabled=True, message=_("Restoring a backup."), retry_after=300)
        else:
            maintenance_set(enabled=False)


def _write_files(verified: Verified, progress: Progress[tuple[str, object]]) -> int:
    count = 0
    total = verified.manifest["files"]["count"]
    for name, handle in progress(archive.iter_files(verified), total):  # type: ignore[arg-type]
        if default_storage.exists(name):
            default_storage.delete(name)
        saved = default_storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(
                _("Storage saved %(name)s as %(saved)s; the restore stopped.")
                % {"name": name, "saved": saved}
            )
        count += 1
    return count


def clear_caches() -> None:
    # A backup from an installation with Redis has no cache table; this one may need it.
    call_command("createcachetable", database=DEFAULT_DB_ALIAS, verbosity=0)
    for alias in settings.CACHES:
        caches[alias].clear()
    for copy in list(SharedCopy.instances):
        copy.forget()


def backup_restore(
    path: Path,
    *,
    force: bool = False,
    keep_maintenance: bool = False,
    progress: Progress[object] = no_progress,
    say: Callable[[str], None] = lambda line: None,
) -> Restored:
    say(_("Checking %(path)s …") % {"path": path})
    verified = archive.backup_verify(path)
    check_restorable(verified, force=force)
    _maintenance_on()
    with tempfile.TemporaryDirectory(prefix="supportal-restore-") as folder:
        snapshot = Path(folder) / "database"
        archive.extract_database(verified, snapshot)
        say(_("Restoring the database …"))
        database.load(snapshot)
    connections.close_all()
    say(_("Restoring the files …"))
    files = _write_files(verified, progress)  # type: ignore[arg-type]
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    if pending:
        say(_("Running %(count)s migrations …") % {"count": pending})
    call_command("migrate", database=DEFAULT_DB_ALIAS, interactive=False, verbosity=0)
    clear_caches()
    _maintenance_after(keep_maintenance)
    return Restored(manifest=verified.manifest, files=files, migrations_run=pending)
