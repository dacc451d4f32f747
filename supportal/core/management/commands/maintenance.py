"""Switches maintenance mode: `supportal maintenance on|off|status`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from supportal.core.maintenance import DEFAULT_RETRY_AFTER, maintenance_read, maintenance_set


class Command(BaseCommand):
    help = (
        "Closes the site for maintenance (everyone but admins gets a 503 page), opens it again, "
        "or says whether it is closed. Every web process sees the change within a few seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["on", "off", "status"])
        parser.add_argument(
            "--message", default="", help="Shown to visitors under the maintenance notice."
        )
        parser.add_argument(
            "--retry-after",
            type=int,
            default=DEFAULT_RETRY_AFTER,
            help="Seconds sent in the Retry-After header (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "on":
            if options["retry_after"] < 0:
                raise CommandError(_("--retry-after must be 0 or more seconds."))
            maintenance_set(
                enabled=True, message=options["message"], retry_after=options["retry_after"]
            )
        elif action == "off":
            maintenance_set(enabled=False)
        state = maintenance_read()
        if state.enabled:
            self.stdout.write(
                _("Maintenance mode is on (Retry-After: %(seconds)s seconds).")
                % {"seconds": state.retry_after}
            )
            if state.message:
                self.stdout.write(_("Message: %(message)s") % {"message": state.message})
        else:
            self.stdout.write(_("Maintenance mode is off."))
