"""Backups: one file with a consistent database snapshot, the stored files and a manifest.

`supportal backup PATH` / `backup --verify PATH` / `restore PATH`; the format is described in
archive.py, the per-database snapshot in database.py, the restore's checks in restore.py.
"""

from __future__ import annotations

from supportal.core.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    Verified,
    backup_create,
    backup_verify,
)
from supportal.core.backup.errors import BackupError
from supportal.core.backup.restore import Restored, backup_restore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BackupError",
    "Restored",
    "Verified",
    "backup_create",
    "backup_restore",
    "backup_verify",
]
