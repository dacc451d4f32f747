"""The inbound URL secret is a credential: never stored in clear, found by its hash."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from supportal.core import crypto
from supportal.mail.models import Mailbox
from supportal.mail.settings_services import mailbox_new_token
from supportal.mail.tests.factories import make_mailbox

pytestmark = pytest.mark.django_db


def stored_values(mailbox: Mailbox) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM mail_mailbox WHERE id = %s", [mailbox.pk])
        return [str(value) for value in cursor.fetchone()]


class HashedInboundTokenTests:
    def test_the_token_is_not_in_the_database_in_clear(self) -> None:
        mailbox = make_mailbox(delivery=Mailbox.Delivery.HTTP)
        token = mailbox.inbound_token
        assert len(token) >= 40
        assert not any(token in value for value in stored_values(mailbox))
        assert mailbox.inbound_token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert crypto.decrypt(mailbox.inbound_token_encrypted) == token

    def test_the_inbound_address_works_only_with_the_current_token(self, client: Client) -> None:
        mailbox = make_mailbox(delivery=Mailbox.Delivery.HTTP)
        old = mailbox.inbound_token
        mailbox_new_token(mailbox=mailbox)
        assert mailbox.inbound_token != old
        # The stored hash itself is no credential.
        for wrong in (old, mailbox.inbound_token_hash, ""):
            assert client.post(f"/mail/inbound/{wrong}", b"x", "message/rfc822").status_code in (
                404,
                405,
            )


@pytest.mark.django_db(transaction=True)
class HashedTokensMigrationTests:
    def test_the_migration_hashes_existing_tokens_and_can_be_reversed(self) -> None:
        executor = MigrationExecutor(connection)
        before = [("mail", "0002_acknowledgement_by_worker")]
        latest = executor.loader.graph.leaf_nodes("mail")
        executor.migrate(before)
        try:
            old_apps = executor.loader.project_state(before).apps
            OldMailbox = old_apps.get_model("mail", "Mailbox")  # noqa: N806
            OldMailbox.objects.create(
                address="old@support.test", delivery="http", inbound_token="t" * 43
            )
            executor = MigrationExecutor(connection)
            executor.migrate(latest)
            new_apps = executor.loader.project_state(latest).apps
            row = new_apps.get_model("mail", "Mailbox").objects.get()
            assert row.inbound_token_hash == hashlib.sha256(b"t" * 43).hexdigest()
            assert crypto.decrypt(row.inbound_token_encrypted) == "t" * 43
            executor = MigrationExecutor(connection)
            executor.migrate(before)
            restored = executor.loader.project_state(before).apps.get_model("mail", "Mailbox")
            assert restored.objects.get().inbound_token == "t" * 43
        finally:
            executor = MigrationExecutor(connection)
            executor.loader.build_graph()
            executor.migrate(executor.loader.graph.leaf_nodes())
