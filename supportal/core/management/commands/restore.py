"""`supportal restore PATH` restores a backup into an empty installation."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from supportal.core.backup import BackupError, backup_restore

T = TypeVar("T")


class Command(BaseCommand):
    help = (
        "Restores a backup made by `supportal backup` into an empty installation: checks the "
        "whole file first, then replaces the database, writes the files and runs pending "
        "migrations. The site is in maintenance mode meanwhile. See README, Backups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The backup file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Restore even though this installation has users or requests: everything in "
            "its database is replaced by the backup's.",
        )
        parser.add_argument(
            "--keep-maintenance",
            action="store_true",
            help="Leave maintenance mode on afterwards, to check the site before opening it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]

        def progress(items: Iterable[T], total: int | None) -> Iterable[T]:
            return tqdm(items, total=total, unit="file", file=self.stderr, disable=verbosity < 1)

        def say(line: str) -> None:
            if verbosity >= 1:
                self.stdout.write(line)

        try:
            restored = backup_restore(
                options["path"],
                force=options["force"],
                keep_maintenance=options["keep_maintenance"],
                progress=progress,
                say=say,
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Restored the backup made %(time)s: the database and %(files)s files.")
                % {"time": restored.manifest["created_at"], "files": restored.files}
            )
        )
        if options["keep_maintenance"]:
            self.stdout.write(
                _("Maintenance mode is still on; `supportal maintenance off` opens the site.")
            )
