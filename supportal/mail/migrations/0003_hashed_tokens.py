"""The inbound URL secret is no longer stored in clear: its SHA-256 (for the lookup) and a
Fernet ciphertext (so admins can copy the address again) replace it."""

from __future__ import annotations

import hashlib

from django.db import migrations, models

from supportal.core import crypto


def hash_tokens(apps, schema_editor):
    Mailbox = apps.get_model("mail", "Mailbox")
    for mailbox in Mailbox.objects.only("pk", "inbound_token"):
        token = mailbox.inbound_token
        Mailbox.objects.filter(pk=mailbox.pk).update(
            inbound_token_hash=hashlib.sha256(token.encode()).hexdigest(),
            inbound_token_encrypted=crypto.encrypt(token),
        )


def restore_tokens(apps, schema_editor):
    Mailbox = apps.get_model("mail", "Mailbox")
    for mailbox in Mailbox.objects.only("pk", "inbound_token_encrypted"):
        # A secret no key can read gets a new one: the old address stops working.
        token = crypto.decrypt(mailbox.inbound_token_encrypted) or secrets_token()
        Mailbox.objects.filter(pk=mailbox.pk).update(inbound_token=token)


def secrets_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_acknowledgement_by_worker")]

    operations = [
        migrations.AddField(
            model_name="mailbox",
            name="inbound_token_hash",
            field=models.CharField(max_length=64, default="", db_index=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="mailbox",
            name="inbound_token_encrypted",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="mailbox",
            name="inbound_token",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(hash_tokens, restore_tokens),
        migrations.AlterField(
            model_name="mailbox",
            name="inbound_token_hash",
            field=models.CharField(max_length=64, unique=True),
        ),
        migrations.RemoveField(model_name="mailbox", name="inbound_token"),
    ]
