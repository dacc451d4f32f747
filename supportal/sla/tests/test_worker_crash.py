"""The worker killed with SIGKILL in the middle of a batch, then run again: every breach
notified exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from supportal.test import ROOT, ScratchDatabase

SETUP = textwrap.dedent(
    """
    from datetime import timedelta
    from supportal.sla.models import GroupLead, SlaPolicy, SlaTarget
    from supportal.sla.policies import policies_changed
    from supportal.test import make_personas, make_ticket
    from supportal.tickets.services import Changes, ticket_update
    from supportal.sla.models import SlaTimer
    p = make_personas()
    GroupLead.objects.create(group=p.support, user=p.admin)
    policy = SlaPolicy.objects.create(name="Standard", notify_on_breach=True)
    SlaTarget.objects.create(policy=policy, priority=2, metric="first_reply", minutes=60,
                             business_hours=False)
    policies_changed()
    for n in range(12):
        t = make_ticket(p.customer, subject=f"Request {n}", group=p.support, notify=False)
        ticket_update(ticket=t, actor=p.admin, changes=Changes(assignee=p.agent))
    for timer in SlaTimer.objects.all():
        SlaTimer.objects.filter(pk=timer.pk).update(due_at=timer.due_at - timedelta(days=1))
    """
)

# sla_check in batches of 5, killed by SIGKILL right after the 8th breach notification: the
# first batch is committed, the second is half done.
DYING_CHECK = textwrap.dedent(
    """
    import os, signal
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportal.settings")
    django.setup()
    from django.utils import timezone
    from supportal.sla import services
    from supportal.tickets import notifications
    real = notifications.sla_breached
    calls = []
    def dying(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(1)
        if len(calls) == int(os.environ["KILL_AT"]):
            os.kill(os.getpid(), signal.SIGKILL)
    notifications.sla_breached = dying
    result = services.sla_check(timezone.now(), batch_size=5)
    print("breached", result.breached)
    """
)


class WorkerCrashTests:
    def test_it_notifies_every_breach_once_through_a_kill(
        self, scratch_database: ScratchDatabase, tmp_path: Path
    ) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(VAR_DIR=str(tmp_path / "var"), DATABASE_URL=scratch_database.url)

        def run(*args: str, kill_at: int = 0) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, *args],
                env={**env, "KILL_AT": str(kill_at)},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        def value(sql: str) -> int:
            return int(scratch_database.value(sql))

        done = run("-m", "supportal.cli", "migrate", "--no-input", "-v0")
        assert done.returncode == 0, done.stderr
        done = run("-m", "supportal.cli", "shell", "-c", SETUP)
        assert done.returncode == 0, done.stderr
        breaches = "SELECT COUNT(*) FROM tickets_ticketevent WHERE kind = 'sla_breached'"
        mails = "SELECT COUNT(*) FROM core_outboundemail WHERE subject LIKE '%target missed%'"

        killed = run("-c", DYING_CHECK, kill_at=8)
        assert killed.returncode == -9, killed.stdout + killed.stderr
        # The first batch was committed; the second died with its claims, events and mail.
        assert (value(breaches), value(mails)) == (5, 10)

        again = run("-c", DYING_CHECK)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == "breached 7"
        third = run("-c", DYING_CHECK)
        assert third.stdout.strip() == "breached 0"

        assert value(breaches) == 12
        distinct = "SELECT COUNT(DISTINCT ticket_id) FROM tickets_ticketevent WHERE kind = '%s'"
        assert value(distinct % "sla_breached") == 12
        # The assignee and the group's lead, once each per breach.
        assert value(mails) == 24
        assert value("SELECT COUNT(*) FROM sla_slatimer WHERE breached_at IS NULL") == 0
