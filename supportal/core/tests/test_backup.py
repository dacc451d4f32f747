from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from supportal.core.backup import FORMAT, FORMAT_VERSION, backup_verify
from supportal.core.maintenance import maintenance_read
from supportal.test import ROOT, Personas, ScratchDatabase, make_personas, make_ticket

# The shared cache's table: a restore empties it on purpose.
NOT_COMPARED = {"supportal_cache"}


def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def table_rows() -> dict[str, list[str]]:
    """Every row of every table in the database, as sorted JSON lines per table. Also run in
    the restored installation's process, so both sides are read by the same code."""
    rows: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in NOT_COMPARED:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = sorted(
                json.dumps([_plain(value) for value in row], sort_keys=True, default=str)
                for row in cursor.fetchall()
            )
    return rows


def folder_files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def png() -> bytes:
    image = Image.new("RGB", (640, 320), (10, 120, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def populate(personas: Personas) -> None:
    """A small site built through the service functions: people, requests with replies and
    attachments, an article with an image, inbound and outbound mail, a mailbox secret."""
    from supportal.helpcenter import services as helpcenter
    from supportal.mail.models import InboundEmail, Mailbox
    from supportal.mail.services import mail_ingest
    from supportal.mail.tests.factories import email
    from supportal.tickets import services as tickets

    ticket = make_ticket(
        personas.customer,
        "Invoice is wrong",
        "The total on invoice 42 is twice what it should be. 금액이 두 배입니다.",
        attachments=[SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice 42")],
    )
    tickets.ticket_reply(
        ticket=ticket,
        author=personas.agent,
        body="Thank you, we are checking it.",
        attachments=[SimpleUploadedFile("notes.txt", b"checked line by line")],
    )
    tickets.ticket_reply(ticket=ticket, author=personas.agent, body="Billing knows.", public=False)
    make_ticket(personas.outsider, "請求書について", "二重に請求されています。")
    article = helpcenter.article_create(section=None, visibility="everyone")
    helpcenter.translation_save(
        article=article, locale="en", title="Invoices", body="How we bill.", status="published"
    )
    helpcenter.media_upload(
        article=article,
        upload=SimpleUploadedFile("chart.png", png()),
        alt_text="A blue chart",
        author=personas.agent,
    )
    mailbox = Mailbox(address="help@support.test", name="Help", delivery=Mailbox.Delivery.PIPE)
    mailbox.imap_password = "stored encrypted"
    mailbox.save()
    mail_ingest(
        raw=email(
            subject="Printer on fire",
            attachments=[("photo.png", "image/png", png())],
        ),
        mailbox=mailbox,
        source=InboundEmail.Source.PIPE,
    )


def subprocess_env(tmp_path: Path, database_url: str, media: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT")
    }
    env.update(
        VAR_DIR=str(tmp_path / "restored-var"), DATABASE_URL=database_url, MEDIA_ROOT=str(media)
    )
    return env


def supportal(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportal.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


DUMP_ROWS = (
    "import json, os, sys, django; "
    "os.environ['DJANGO_SETTINGS_MODULE'] = 'supportal.settings'; django.setup(); "
    "from supportal.core.tests.test_backup import table_rows; "
    "sys.stdout.write(json.dumps(table_rows()))"
)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = str(root)
    return root


def make_backup(tmp_path: Path, name: str = "site.tar") -> Path:
    path = tmp_path / name
    call_command("backup", str(path), verbosity=0)
    return path


def rewrite(source: Path, target: Path, change: Any) -> Path:
    """A copy of the archive with its manifest changed by `change(manifest)`."""
    with tarfile.open(source) as old, tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as new:
        for info in old:
            data = old.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


@pytest.mark.django_db(transaction=True)
class BackupRoundTripTests:
    def test_it_restores_every_row_and_every_file_into_an_empty_installation(
        self, tmp_path: Path, media: Path, scratch_database: ScratchDatabase
    ) -> None:
        populate(make_personas())
        before = table_rows()
        files = folder_files(media)
        # Something in each place the site keeps data, so the comparison means something.
        for table in (
            "accounts_user",
            "tickets_ticket",
            "tickets_message",
            "tickets_attachment",
            "helpcenter_articlemedia",
            "mail_inboundemail",
            "mail_mailbox",
            "core_outboundemail",
        ):
            assert before[table], f"{table} is empty"
        assert len(files) >= 5
        assert {path.split("/")[0] for path in files} >= {"attachments", "mail", "helpcenter"}

        archive = make_backup(tmp_path)
        manifest = backup_verify(archive).manifest
        assert manifest["format"] == FORMAT and manifest["format_version"] == FORMAT_VERSION
        assert manifest["database"]["vendor"] == connection.vendor
        assert "0005_maintenance_mode" in manifest["migrations"]["core"]
        assert manifest["files"]["count"] == len(files)
        assert manifest["files"]["size"] == sum(len(data) for data in files.values())

        restored_media = tmp_path / "restored-media"
        env = subprocess_env(tmp_path, scratch_database.url, restored_media)
        done = supportal(env, "restore", str(archive))
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"the database and {len(files)} files" in done.stdout

        dumped = subprocess.run(
            [sys.executable, "-c", DUMP_ROWS],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        after = json.loads(dumped.stdout)
        assert sorted(after) == sorted(before)
        for table, rows in before.items():
            assert after[table] == rows, f"{table} differs after the restore"
        assert folder_files(restored_media) == files

    def test_it_refuses_a_second_restore_into_the_restored_installation(
        self, tmp_path: Path, media: Path, scratch_database: ScratchDatabase
    ) -> None:
        make_personas()
        archive = make_backup(tmp_path)
        env = subprocess_env(tmp_path, scratch_database.url, tmp_path / "restored-media")
        assert supportal(env, "restore", str(archive)).returncode == 0
        again = supportal(env, "restore", str(archive))
        assert again.returncode == 1
        assert "This installation is not empty (users: 6, requests: 0)" in again.stderr
        verify = supportal(env, "backup", "--verify", str(tmp_path / "missing.tar"))
        assert verify.returncode == 1
        assert "There is no file at" in verify.stderr


# Backups read committed data (pg_dump is another process), so these tests commit theirs.
@pytest.mark.django_db(transaction=True)
class BackupVerifyTests:
    def test_it_summarises_a_good_backup(
        self, tmp_path: Path, media: Path, personas: Personas, capsys: Any
    ) -> None:
        make_ticket(personas.customer, attachments=[SimpleUploadedFile("a.txt", b"abc")])
        archive = make_backup(tmp_path)
        out = io.StringIO()
        call_command("backup", "--verify", str(archive), stdout=out, verbosity=0)
        text = out.getvalue()
        assert "is a complete Supportal backup" in text
        assert "Files: 1 (3\xa0bytes)" in text
        with tarfile.open(archive) as opened:
            names = opened.getnames()
        assert names[0].startswith("database/") and names[-1] == "manifest.json"

    def test_it_never_overwrites_a_file(self, tmp_path: Path, media: Path) -> None:
        path = tmp_path / "taken.tar"
        path.write_bytes(b"keep me")
        with pytest.raises(CommandError, match="already exists"):
            call_command("backup", str(path), verbosity=0)
        assert path.read_bytes() == b"keep me"
        assert not (tmp_path / "taken.tar.partial").exists()

    def test_it_reports_a_changed_member(self, tmp_path: Path, media: Path) -> None:
        archive = make_backup(tmp_path)
        with tarfile.open(archive) as opened:
            offset = opened.getmember(opened.getnames()[0]).offset_data
        data = bytearray(archive.read_bytes())
        data[offset + 200] ^= 0xFF
        archive.write_bytes(bytes(data))
        with pytest.raises(CommandError, match="does not match its checksum"):
            call_command("backup", "--verify", str(archive), verbosity=0)


@pytest.mark.django_db(transaction=True)
class RestoreRefusalTests:
    """Each refusal is a clear message and changes nothing: the database, the files and the
    maintenance switch are as they were."""

    def refused(self, path: Path, media: Path, message: str, *args: str) -> None:
        rows, files = table_rows(), folder_files(media)
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(path), *args, verbosity=0)
        assert table_rows() == rows
        assert folder_files(media) == files
        assert not maintenance_read().enabled

    def test_it_refuses_a_file_that_is_not_an_archive(self, tmp_path: Path, media: Path) -> None:
        path = tmp_path / "notes.txt"
        path.write_text("these are not the files you are looking for\n" * 40)
        self.refused(path, media, "notes.txt is not a Supportal backup: it is not a tar archive")

    def test_it_refuses_an_archive_without_our_manifest(self, tmp_path: Path, media: Path) -> None:
        path = tmp_path / "other.tar"
        with tarfile.open(path, "w") as archive:
            info = tarfile.TarInfo("photo.jpg")
            info.size = 3
            archive.addfile(info, io.BytesIO(b"abc"))
        self.refused(path, media, "other.tar is not a Supportal backup: it has no manifest")

        foreign = tmp_path / "foreign.tar"
        with tarfile.open(foreign, "w") as archive:
            data = json.dumps({"format": "someone-else", "format_version": 1}).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        self.refused(foreign, media, "foreign.tar is not a Supportal backup: its manifest is not")

    def test_it_refuses_a_corrupt_backup(self, tmp_path: Path, media: Path) -> None:
        archive = make_backup(tmp_path)
        data = archive.read_bytes()
        truncated = tmp_path / "truncated.tar"
        truncated.write_bytes(data[: len(data) // 2])
        self.refused(truncated, media, "truncated.tar is damaged or incomplete")

        with tarfile.open(archive) as opened:
            offset = opened.getmember(opened.getnames()[0]).offset_data
        flipped = bytearray(data)
        flipped[offset + 100] ^= 0x01
        changed = tmp_path / "changed.tar"
        changed.write_bytes(bytes(flipped))
        self.refused(changed, media, "changed.tar is damaged or incomplete: database/")

    def test_it_refuses_a_backup_from_a_newer_schema(self, tmp_path: Path, media: Path) -> None:
        archive = make_backup(tmp_path)

        def future(manifest: dict[str, Any]) -> None:
            manifest["migrations"]["core"].append("9999_from_the_future")

        newer = rewrite(archive, tmp_path / "newer.tar", future)
        backup_verify(newer)  # intact: it is refused for its schema, not as damaged
        self.refused(newer, media, r"newer version of Supportal.*core\.9999_from_the_future")

        def newer_format(manifest: dict[str, Any]) -> None:
            manifest["format_version"] = FORMAT_VERSION + 1

        self.refused(
            rewrite(archive, tmp_path / "format.tar", newer_format),
            media,
            "made by a newer version of Supportal",
        )

    def test_it_refuses_another_database_system(self, tmp_path: Path, media: Path) -> None:
        archive = make_backup(tmp_path)
        other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

        def elsewhere(manifest: dict[str, Any]) -> None:
            manifest["database"]["vendor"] = other

        path = rewrite(archive, tmp_path / "elsewhere.tar", elsewhere)
        self.refused(path, media, "a backup cannot move between database systems")

    def test_it_refuses_an_installation_that_is_not_empty(
        self, tmp_path: Path, media: Path, personas: Personas
    ) -> None:
        make_ticket(personas.customer, attachments=[SimpleUploadedFile("a.txt", b"abc")])
        archive = make_backup(tmp_path)
        self.refused(archive, media, r"not empty \(users: 6, requests: 1\).*--force")
