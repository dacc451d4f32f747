"""The backup file: one uncompressed tar archive (POSIX pax format).

    database/supportal.sqlite3   or   database/supportal.pgdump   the database snapshot
    files/<name>                                                   each file in default storage
    manifest.json                                                  written last

The manifest names the format ("supportal-backup") and its version, the time, the Supportal
version, the database vendor, the migrations applied per app (the schema version), and the
SHA-256 and size of every other member. Written last, so an archive cut short has none and is
refused as incomplete. The archive is written to `<path>.partial` and renamed when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeVar

from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.core.backup import database
from supportal.core.backup.errors import BackupError

FORMAT = "supportal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
CHUNK = 1024 * 1024
SPOOL = 8 * 1024 * 1024

T = TypeVar("T")
# Wraps an iterable in a progress bar (a command passes tqdm); the default shows nothing.
Progress = Callable[[Iterable[T], int | None], Iterable[T]]


def no_progress(items: Iterable[T], total: int | None) -> Iterable[T]:
    return items


@dataclass
class Verified:
    manifest: dict[str, Any]
    path: Path
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def vendor(self) -> str:
        return str(self.manifest["database"]["vendor"])

    @property
    def database_member(self) -> str:
        return str(self.manifest["database"]["member"])


def supportal_version() -> str:
    try:
        return metadata.version("supportal")
    except metadata.PackageNotFoundError:
        return "unknown"


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _copy(source: IO[bytes], target: IO[bytes] | None) -> tuple[str, int]:
    """Copies (or with no target, only reads) and returns the SHA-256 and length."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


def _add(archive: tarfile.TarFile, name: str, source: IO[bytes], mtime: float) -> dict[str, Any]:
    """Adds one member from a readable file, through a spool so its size and checksum are known
    before the header is written (storage backends do not all know a size up front)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
        checksum, size = _copy(source, spool)  # type: ignore[arg-type]
        spool.seek(0)
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(mtime), 0o600
        archive.addfile(info, spool)  # type: ignore[arg-type]
    return {"sha256": checksum, "size": size}


def storage_files(folder: str = "") -> Iterator[str]:
    """Every file name in default storage, through the storage API (local folder or S3)."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from storage_files(f"{folder}/{sub}" if folder else sub)


def backup_create(path: Path, *, progress: Progress[str] = no_progress) -> dict[str, Any]:
    """Writes a backup of the database and every stored file to `path`; returns the manifest.

    The database snapshot comes first, then the files: a file uploaded meanwhile is kept
    without its row (harmless), and a file removed meanwhile is listed as skipped."""
    vendor = database.vendor()
    if path.exists():
        raise BackupError(_("%(path)s already exists; choose a new name.") % {"path": path})
    if not path.parent.is_dir():
        raise BackupError(_("There is no folder %(path)s.") % {"path": path.parent})
    partial = path.with_name(path.name + ".partial")
    created = timezone.now()
    mtime = time.time()
    members: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="supportal-backup-") as folder,
            tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as archive,
        ):
            before = applied_migrations()
            snapshot = Path(folder) / "database"
            database.dump(snapshot)
            migrations = applied_migrations()
            if migrations != before:
                raise BackupError(_("Migrations ran during the backup. Run the backup again."))
            member = database.MEMBERS[vendor]
            with snapshot.open("rb") as handle:
                members[member] = _add(archive, member, handle, mtime)
            snapshot.unlink()
            names = list(storage_files())
            for name in progress(names, len(names)):
                try:
                    handle = default_storage.open(name, "rb")
                except FileNotFoundError:
                    skipped.append(name)
                    continue
                with handle:
                    members[FILES + name] = _add(archive, FILES + name, handle, mtime)
            stored = [value for key, value in members.items() if key.startswith(FILES)]
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": created.isoformat(),
                "supportal_version": supportal_version(),
                "database": {
                    "vendor": vendor,
                    "member": member,
                    "server_version": database.server_version(),
                },
                "migrations": migrations,
                "files": {
                    "count": len(stored),
                    "size": sum(item["size"] for item in stored),
                    "storage": type(default_storage._wrapped).__name__,  # type: ignore[attr-defined]
                    "skipped": skipped,
                },
                "members": members,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(mtime), 0o600
            with tempfile.SpooledTemporaryFile() as spool:
                spool.write(data)
                spool.seek(0)
                archive.addfile(info, spool)  # type: ignore[arg-type]
        with partial.open("rb+") as handle:
            os.fsync(handle.fileno())
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


# --- Reading -----------------------------------------------------------------------------------


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return (
        bool(parts)
        and not name.startswith("/")
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in parts)
    )


def _not_ours(path: Path, why: str) -> BackupError:
    return BackupError(
        _("%(path)s is not a Supportal backup: %(why)s") % {"path": path.name, "why": why}
    )


def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(
        _("%(path)s is damaged or incomplete: %(why)s Make a new backup or use another copy.")
        % {"path": path.name, "why": why}
    )


def _mismatch(path: Path, name: str) -> BackupError:
    return _damaged(path, _("%(name)s does not match its checksum.") % {"name": name})


def open_archive(path: Path) -> tarfile.TarFile:
    if not path.is_file():
        raise BackupError(_("There is no file at %(path)s.") % {"path": path})
    try:
        return tarfile.open(path, "r:")
    except tarfile.ReadError:
        raise _not_ours(path, _("it is not a tar archive.")) from None
    except OSError as error:
        raise BackupError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from None


def members(archive: tarfile.TarFile, path: Path) -> Iterator[tarfile.TarInfo]:
    """The archive's members in order; an archive cut short or garbled is refused as damaged."""
    try:
        yield from archive
    except (tarfile.ReadError, EOFError):
        raise _damaged(path, _("the archive ends too early.")) from None


def read_member(
    archive: tarfile.TarFile, info: tarfile.TarInfo, target: IO[bytes] | None, path: Path
) -> tuple[str, int]:
    handle = archive.extractfile(info)
    if handle is None:
        raise _damaged(path, _("%(name)s is not a file.") % {"name": info.name})
    try:
        return _copy(handle, target)
    except (tarfile.ReadError, OSError, EOFError):
        raise _damaged(path, _("the archive ends too early.")) from None


def _parse_manifest(data: bytes, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(data)
    except ValueError:
        raise _not_ours(path, _("its manifest cannot be read.")) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_ours(path, _("its manifest is not ours."))
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise _not_ours(path, _("its manifest has no format version."))
    if version > FORMAT_VERSION:
        raise BackupError(
            _(
                "%(path)s was made by a newer version of Supportal (backup format %(theirs)s; "
                "this version reads format %(ours)s). Upgrade Supportal, then restore it."
            )
            % {"path": path.name, "theirs": version, "ours": FORMAT_VERSION}
        )
    listed = manifest.get("members")
    about = manifest.get("database")
    migrations = manifest.get("migrations")
    complete = (
        isinstance(listed, dict)
        and isinstance(about, dict)
        and about.get("vendor") in database.MEMBERS
        and about.get("member") in listed
        and isinstance(migrations, dict)
        and all(isinstance(names, list) for names in migrations.values())
        and all(
            isinstance(value, dict)
            and isinstance(value.get("sha256"), str)
            and isinstance(value.get("size"), int)
            for value in listed.values()
        )
    )
    if not complete:
        raise _damaged(path, _("its manifest is incomplete."))
    return manifest


def backup_verify(path: Path, *, progress: Progress[tarfile.TarInfo] = no_progress) -> Verified:
    """Reads the whole archive: the manifest must be ours and every member must be listed in it
    and match its size and SHA-256. Raises BackupError saying what is wrong."""
    found: dict[str, dict[str, Any]] = {}
    manifest_data: bytes | None = None
    with open_archive(path) as archive:
        for info in progress(members(archive, path), None):
            if not info.isfile() or not _safe_name(info.name) or info.name in found:
                raise _not_ours(
                    path, _("it holds an unexpected entry %(name)s.") % {"name": info.name}
                )
            if info.name == MANIFEST:
                with tempfile.SpooledTemporaryFile() as spool:
                    read_member(archive, info, spool, path)  # type: ignore[arg-type]
                    spool.seek(0)
                    manifest_data = spool.read()
                found[info.name] = {}
                continue
            checksum, size = read_member(archive, info, None, path)
            found[info.name] = {"sha256": checksum, "size": size}
    if manifest_data is None:
        if any(name.startswith((FILES, "database/")) for name in found):
            raise _damaged(path, _("it has no manifest."))
        raise _not_ours(path, _("it has no manifest."))
    manifest = _parse_manifest(manifest_data, path)
    del found[MANIFEST]
    listed: dict[str, dict[str, Any]] = manifest["members"]
    for name, expected in listed.items():
        actual = found.get(name)
        if actual is None:
            raise _damaged(path, _("%(name)s is missing.") % {"name": name})
        if actual != {"sha256": expected["sha256"], "size": expected["size"]}:
            raise _mismatch(path, name)
    for name in found:
        if name not in listed:
            raise _damaged(path, _("%(name)s is not in the manifest.") % {"name": name})
    return Verified(manifest=manifest, path=path, members=listed)


def extract_database(verified: Verified, target: Path) -> None:
    """Copies the database member out, checking its checksum again (the file may have changed
    since it was verified)."""
    name = verified.database_member
    with open_archive(verified.path) as archive:
        for info in members(archive, verified.path):
            if info.name == name:
                with target.open("wb") as handle:
                    checksum, _size = read_member(archive, info, handle, verified.path)
                if checksum != verified.members[name]["sha256"]:
                    raise _mismatch(verified.path, name)
                return
    raise _damaged(verified.path, _("%(name)s is missing.") % {"name": name})


def iter_files(verified: Verified) -> Iterator[tuple[str, IO[bytes]]]:
    """(storage name, readable spool) for every stored file in the archive, each checked
    against the manifest's checksum before it is handed out."""
    with open_archive(verified.path) as archive:
        for info in members(archive, verified.path):
            if not info.name.startswith(FILES):
                continue
            with tempfile.SpooledTemporaryFile(max_size=SPOOL) as spool:
                checksum, _size = read_member(archive, info, spool, verified.path)  # type: ignore[arg-type]
                if checksum != verified.members[info.name]["sha256"]:
                    raise _mismatch(verified.path, info.name)
                spool.seek(0)
                yield info.name[len(FILES) :], spool  # type: ignore[misc]
