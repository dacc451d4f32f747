"""`supportal backup PATH` writes a backup; `supportal backup --verify PATH` checks one."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from tqdm import tqdm

from supportal.core.backup import BackupError, backup_create, backup_verify

T = TypeVar("T")


class Command(BaseCommand):
    help = (
        "Writes one file with a consistent snapshot of the database, every uploaded file and a "
        "manifest with checksums, while the site keeps running. With --verify, checks a backup "
        "instead. See README, Backups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The backup file (a .tar archive).")
        parser.add_argument(
            "--verify", action="store_true", help="Check the archive and its checksums."
        )

    def progress(self, unit: str, verbosity: int):  # type: ignore[no-untyped-def]
        def wrap(items: Iterable[T], total: int | None) -> Iterable[T]:
            return tqdm(items, total=total, unit=unit, file=self.stderr, disable=verbosity < 1)

        return wrap

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        verbosity = options["verbosity"]
        try:
            if options["verify"]:
                verified = backup_verify(path, progress=self.progress("member", verbosity))
                manifest = verified.manifest
                self.stdout.write(
                    self.style.SUCCESS(
                        _("%(path)s is a complete Supportal backup.") % {"path": path}
                    )
                )
            else:
                manifest = backup_create(path, progress=self.progress("file", verbosity))
                self.stdout.write(self.style.SUCCESS(_("Wrote %(path)s.") % {"path": path}))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.summary(manifest)

    def summary(self, manifest: dict[str, Any]) -> None:
        files = manifest["files"]
        migrations = sum(len(names) for names in manifest["migrations"].values())
        lines = [
            _("Made: %(time)s by Supportal %(version)s")
            % {"time": manifest["created_at"], "version": manifest["supportal_version"]},
            _("Database: %(vendor)s, %(migrations)s migrations applied")
            % {"vendor": manifest["database"]["vendor"], "migrations": migrations},
            _("Files: %(count)s (%(size)s)")
            % {"count": files["count"], "size": filesizeformat(files["size"])},
        ]
        if files.get("skipped"):
            lines.append(
                _("Skipped (removed while the backup ran): %(count)s")
                % {"count": len(files["skipped"])}
            )
        for line in lines:
            self.stdout.write("  " + line)
