"""`supportal ingest_email`: the pipe way in, as a mail server runs it."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from supportal.mail.tests.factories import email, make_mailbox
from supportal.test import Personas
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: bytes | None = None, monkeypatch: Any = None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    call_command("ingest_email", *args, stdout=out)
    return out.getvalue()


class IngestCommandTests:
    def test_it_prints_one_line_per_message(self, personas: Personas, tmp_path: Path) -> None:
        make_mailbox()
        first = tmp_path / "first.eml"
        first.write_bytes(email(message_id="<one@acme.test>"))
        reply = tmp_path / "reply.eml"
        reply.write_bytes(
            email(subject="Re: Printer on fire", body="Still.", in_reply_to="<one@acme.test>")
        )
        auto = tmp_path / "auto.eml"
        auto.write_bytes(email(headers={"Auto-Submitted": "auto-replied"}))
        huge = tmp_path / "missing.eml"
        output = run(str(first), str(reply), str(auto), str(first), str(huge))
        number = Ticket.objects.get().pk
        assert output.splitlines() == [
            f"{first}: created #{number}",
            f"{reply}: appended to #{number}",
            f"{auto}: ignored (An automatic reply (out of office, read receipt): ignored.)",
            f"{first}: ignored (already received)",
            f"{huge}: rejected (cannot read the file: No such file or directory)",
        ]

    def test_it_reads_one_message_from_standard_input(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        make_mailbox()
        output = run("-", stdin=email(), monkeypatch=monkeypatch)
        assert output == f"-: created #{Ticket.objects.get().pk}\n"

    def test_it_finds_the_mailbox_by_the_address_written_to(self, personas: Personas) -> None:
        make_mailbox("other@support.test")
        mailbox = make_mailbox("sales@support.test", group=personas.billing)
        from supportal.mail.tests.factories import ingest

        row = ingest(email(to="Sales <sales@support.test>"))
        assert row.mailbox == mailbox
        assert Ticket.objects.get().group == personas.billing

    def test_an_unknown_mailbox_stops_the_command(self, personas: Personas) -> None:
        with pytest.raises(CommandError, match="No support address"):
            run("--mailbox", "nobody@support.test", "x.eml")
