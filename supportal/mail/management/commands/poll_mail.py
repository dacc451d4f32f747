from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext
from tqdm import tqdm

from supportal.mail.imap import PollResult, mailbox_poll
from supportal.mail.models import Mailbox

# Fewer messages than this finish too quickly for a progress bar to help.
PROGRESS_FROM = 50


class Command(BaseCommand):
    help = (
        "Checks IMAP mailboxes for new mail once, whether or not they are due: every active "
        "one, or the one given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", metavar="ADDRESS", help="only this support address")

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(delivery=Mailbox.Delivery.IMAP)
        if options["mailbox"]:
            mailboxes = mailboxes.filter(address__iexact=options["mailbox"])
            if not mailboxes.exists():
                raise CommandError(
                    gettext("No IMAP mailbox has the address %(address)s.")
                    % {"address": options["mailbox"]}
                )
        else:
            mailboxes = mailboxes.filter(active=True)
        for mailbox in mailboxes:
            result = self._poll(mailbox, show_progress=options["verbosity"] >= 1)
            if options["verbosity"] >= 1 or result.error:
                self.stdout.write(f"{mailbox.address}: {self._summary(result)}")

    def _poll(self, mailbox: Mailbox, *, show_progress: bool) -> PollResult:
        bar: tqdm | None = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None and show_progress and total > PROGRESS_FROM:
                bar = tqdm(total=total, unit="msg", desc=mailbox.address, file=self.stderr)
            if bar is not None:
                bar.n = min(done, bar.total)
                bar.refresh()

        try:
            return mailbox_poll(mailbox, progress=progress)
        finally:
            if bar is not None:
                bar.close()

    def _summary(self, result: PollResult) -> str:
        if result.busy or (result.error and not (result.stored or result.skipped)):
            return result.error
        summary = gettext("%(stored)s new, %(skipped)s skipped") % {
            "stored": result.stored,
            "skipped": result.skipped,
        }
        if result.failed:
            summary += gettext(", %(failed)s failed") % {"failed": result.failed}
        return f"{summary}. {result.error}" if result.error else summary
