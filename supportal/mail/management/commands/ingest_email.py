"""`supportal ingest_email [FILE ...|-]`: for mail servers that deliver to a program."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.services import REASONS, mail_ingest

Fate = InboundEmail.Fate


def outcome(row: InboundEmail) -> str:
    """One line's verdict: created #N, appended to #N, ignored (why) or rejected (why)."""
    if getattr(row, "duplicate", False):
        return "ignored (already received)"
    if row.fate == Fate.CREATED:
        return f"created #{row.ticket_id}"
    if row.fate == Fate.APPENDED:
        return f"appended to #{row.ticket_id}"
    why = str(REASONS.get(row.reason, row.reason))
    if row.fate in (Fate.IGNORED, Fate.HELD, Fate.SPAM):
        return f"ignored ({why})"
    return f"rejected ({why})"


class Command(BaseCommand):
    help = (
        "Reads RFC 822 messages from files (or one from standard input with '-') and turns "
        "them into requests, printing one line per message."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="*", default=["-"], metavar="FILE")
        parser.add_argument(
            "--mailbox",
            help="The support address the mail was sent to (default: read from the message).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mailbox = None
        if options["mailbox"]:
            mailbox = Mailbox.objects.filter(address__iexact=options["mailbox"].strip()).first()
            if mailbox is None:
                raise CommandError(f"No support address {options['mailbox']!r}.")
        names: list[str] = options["files"] or ["-"]
        progress = tqdm(names, unit="msg", disable=len(names) < 50, file=sys.stderr)
        for name in progress:
            try:
                raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            except OSError as error:
                self.stdout.write(f"{name}: rejected (cannot read the file: {error.strerror})")
                continue
            row = mail_ingest(raw=raw, mailbox=mailbox, source=InboundEmail.Source.PIPE)
            line = f"{name}: {outcome(row)}"
            if progress.disable:
                self.stdout.write(line)
            else:
                progress.write(line, file=self.stdout)
