"""Secrets at rest: which key encrypts, which keys read, and key rotation end to end."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from supportal.accounts.models import TOTPDevice, UserSession
from supportal.core import crypto
from supportal.mail.models import Mailbox
from supportal.mail.tests.factories import make_mailbox
from supportal.test import Personas

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


class KeyTests:
    def test_it_encrypts_with_the_first_key_and_reads_with_any(
        self, settings: pytest.FixtureRequest
    ) -> None:
        settings.ENCRYPTION_KEYS = [OLD]  # type: ignore[attr-defined]
        token = crypto.encrypt("imap-password")
        assert "imap-password" not in token
        settings.ENCRYPTION_KEYS = [NEW, OLD]  # type: ignore[attr-defined]
        assert crypto.decrypt(token) == "imap-password"
        assert Fernet(NEW.encode()).decrypt(crypto.encrypt("x").encode()) == b"x"
        settings.ENCRYPTION_KEYS = [NEW]  # type: ignore[attr-defined]
        assert crypto.decrypt(token) == ""  # the old key is gone: unreadable, no crash

    def test_it_falls_back_to_mail_secret_key_then_to_secret_key(
        self, settings: pytest.FixtureRequest
    ) -> None:
        settings.ENCRYPTION_KEYS = []  # type: ignore[attr-defined]
        settings.MAIL_SECRET_KEY = OLD  # type: ignore[attr-defined]
        legacy = crypto.encrypt("from an existing install")
        assert Fernet(OLD.encode()).decrypt(legacy.encode()) == b"from an existing install"
        settings.MAIL_SECRET_KEY = ""  # type: ignore[attr-defined]
        derived = crypto.encrypt("embedded setup")
        # Moving to explicit keys keeps what the derived key wrote readable until rotation.
        settings.ENCRYPTION_KEYS = [NEW]  # type: ignore[attr-defined]
        assert crypto.decrypt(derived) == "embedded setup"
        assert crypto.decrypt(legacy) == ""

    def test_it_refuses_a_key_that_is_not_a_fernet_key(
        self, settings: pytest.FixtureRequest
    ) -> None:
        settings.ENCRYPTION_KEYS = ["not-a-key"]  # type: ignore[attr-defined]
        with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYS: key 1"):
            crypto.encrypt("x")

    def test_it_hashes_tokens_with_sha256(self) -> None:
        assert crypto.hash_token("abc") == (
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )


@pytest.mark.django_db
class RotationTests:
    def test_rotation_re_encrypts_every_secret_so_the_old_key_can_go(
        self, settings: pytest.FixtureRequest, personas: Personas
    ) -> None:
        settings.ENCRYPTION_KEYS = [OLD]  # type: ignore[attr-defined]
        mailbox = make_mailbox(delivery=Mailbox.Delivery.HTTP)
        mailbox.imap_password = "imap-secret"
        mailbox.save()
        token = mailbox.inbound_token
        device = TOTPDevice.objects.create(
            user=personas.agent, name="Phone", encrypted_key=crypto.encrypt("JBSWY3DPEHPK3PXP")
        )
        session = UserSession.objects.create(
            user=personas.agent, key_hash="h" * 64, encrypted_key=crypto.encrypt("session-key")
        )
        before = raw_column("mail_mailbox", "imap_password_encrypted", mailbox.pk)

        settings.ENCRYPTION_KEYS = [NEW, OLD]  # type: ignore[attr-defined]
        out, err = io.StringIO(), io.StringIO()
        call_command("rotate_encryption", stdout=out, stderr=err)
        assert "Re-encrypted 4 secrets with the newest key" in out.getvalue()
        assert "mail.Mailbox.imap_password_encrypted" in out.getvalue()
        assert raw_column("mail_mailbox", "imap_password_encrypted", mailbox.pk) != before

        settings.ENCRYPTION_KEYS = [NEW]  # type: ignore[attr-defined]
        mailbox.refresh_from_db()
        device.refresh_from_db()
        session.refresh_from_db()
        assert mailbox.imap_password == "imap-secret"
        assert mailbox.inbound_token == token
        assert crypto.decrypt(device.encrypted_key) == "JBSWY3DPEHPK3PXP"
        assert crypto.decrypt(session.encrypted_key) == "session-key"
        # And the old key alone can no longer read them: they really were re-encrypted.
        settings.ENCRYPTION_KEYS = [OLD]  # type: ignore[attr-defined]
        settings.SECRET_KEY = "another-secret-key-" + "x" * 40  # type: ignore[attr-defined]
        assert crypto.decrypt(device.encrypted_key) == ""

    def test_rotation_reports_secrets_no_key_can_read(
        self, settings: pytest.FixtureRequest, personas: Personas
    ) -> None:
        settings.ENCRYPTION_KEYS = [OLD]  # type: ignore[attr-defined]
        TOTPDevice.objects.create(
            user=personas.agent, name="Phone", encrypted_key=crypto.encrypt("seed")
        )
        settings.ENCRYPTION_KEYS = [NEW]  # type: ignore[attr-defined]
        with pytest.raises(CommandError, match="1 stored secrets could not be read"):
            call_command("rotate_encryption", stdout=io.StringIO(), stderr=io.StringIO())
        # Left as it was: putting the old key back still reads it.
        settings.ENCRYPTION_KEYS = [NEW, OLD]  # type: ignore[attr-defined]
        assert crypto.decrypt(TOTPDevice.objects.get().encrypted_key) == "seed"

    def test_every_known_secret_is_registered(self) -> None:
        names = {f"{entry.model}.{entry.field}" for entry in crypto.encrypted_fields()}
        assert names >= {
            "mail.Mailbox.imap_password_encrypted",
            "mail.Mailbox.inbound_token_encrypted",
            "accounts.TOTPDevice.encrypted_key",
            "accounts.UserSession.encrypted_key",
        }
