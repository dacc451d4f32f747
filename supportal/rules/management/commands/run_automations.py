"""`supportal run_automations`: one pass of the time-based automations, as the worker runs
hourly. Safe to run at any time, twice, or alongside the worker: nothing fires twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from supportal.rules.automations import automations_run
from supportal.rules.models import Automation


class Command(BaseCommand):
    help = "Runs every active automation once over the requests it applies to."

    def handle(self, *args: Any, **options: Any) -> None:
        names = dict(Automation.objects.values_list("pk", "name"))
        for result in automations_run():
            if options["verbosity"] >= 1:
                self.stdout.write(
                    f"{names.get(result.automation, result.automation)}: {result.fired}"
                )
