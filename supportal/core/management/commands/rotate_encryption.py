"""`supportal rotate_encryption`: re-encrypts every stored secret with the newest key.

Key rotation: generate a key, put it first in ENCRYPTION_KEYS (keeping the old ones after it),
restart, run this command, then remove the old keys. It can be stopped and run again.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from supportal.core import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored secret (mailbox passwords, authenticator seeds, session "
        "keys, inbound URL secrets) with the first key of ENCRYPTION_KEYS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        fields = crypto.encrypted_fields()
        total = crypto.count_encrypted()
        bar = tqdm(total=total, unit="secret", file=sys.stderr, disable=options["verbosity"] < 1)
        try:
            result = crypto.rotate_all(progress=bar.update)
        finally:
            bar.close()
        names = ", ".join(f"{entry.model}.{entry.field}" for entry in fields)
        self.stdout.write(f"Re-encrypted {result.rotated} secrets with the newest key ({names}).")
        if result.unreadable:
            raise CommandError(
                f"{result.unreadable} stored secrets could not be read with any configured key "
                "and were left as they were. Keep the old key in ENCRYPTION_KEYS until they are "
                "re-entered."
            )
