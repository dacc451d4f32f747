from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supportal.core.tasks import refresh_statistics
from supportal.monitoring import heartbeat
from supportal.monitoring import tasks as monitoring_tasks
from supportal.monitoring.models import PeriodicRun, ProcessHeartbeat
from supportal.test import Personas

URL = "/en/agent/manage/status/"
WORKER_GONE = (
    "The worker has not been seen for 5 minutes: emails and scheduled tasks are not running."
)


def worker(pid: int, *, seen_ago: timedelta, started_ago: timedelta | None = None) -> None:
    now = timezone.now()
    ProcessHeartbeat.objects.create(
        kind=ProcessHeartbeat.Kind.WORKER,
        host="worker-host",
        pid=pid,
        started_at=now - (started_ago or seen_ago),
        last_seen_at=now - seen_ago,
    )


@pytest.mark.django_db
class StatusPageTests:
    def test_only_admins_open_it(self, client: Client, personas: Personas) -> None:
        response = client.get(URL)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        for who in (personas.customer, personas.agent):
            client.force_login(who)
            assert client.get(URL).status_code == 403
        client.force_login(personas.admin)
        assert client.post(URL).status_code == 405
        response = client.get(URL)
        assert response.status_code == 200
        assert f'href="{URL}" aria-current="page"' in response.content.decode()

    def test_it_says_in_words_that_the_worker_is_missing(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(URL).content.decode()
        assert "No task worker has been seen: emails and scheduled tasks are not running." in page
        worker(41, seen_ago=timedelta(minutes=5, seconds=10), started_ago=timedelta(hours=2))
        page = client.get(URL).content.decode().replace("\xa0", " ")  # timesince's spaces
        assert WORKER_GONE in page
        assert "Not responding" in page
        # Schedules are not each called late while the worker itself is away.
        assert "is late" not in page

    def test_a_running_worker_and_its_schedules_are_shown(
        self, client: Client, personas: Personas, settings: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings.EMAIL_HOST = "smtp.example.com"  # type: ignore[attr-defined]
        # Up for an hour: every schedule due within it should have run.
        worker(42, seen_ago=timedelta(seconds=10), started_ago=timedelta(hours=1))
        # Record through huey's real signals, as the worker does (tests run tasks in-process).
        monkeypatch.setattr(monitoring_tasks, "RECORD_IN_IMMEDIATE_MODE", True)
        refresh_statistics()
        run = PeriodicRun.objects.get(name="core.refresh_statistics")
        assert run.last_started_at is not None and run.last_succeeded_at is not None
        client.force_login(personas.admin)
        page = client.get(URL).content.decode()
        assert "not been seen" not in page and "No task worker" not in page
        assert "worker-host:42" in page
        # retry_outbox is due every minute and never ran within the worker's hour.
        assert "The scheduled task “core.retry_outbox” is late: it has not run yet." in page
        assert "core.refresh_statistics" in page and "Succeeded" in page
        assert "Every day" in page and "Every minute" in page
        assert "Reachable" in page
        assert " free of " in page  # the disk under MEDIA_ROOT
        settings.S3_BUCKET = "acme-uploads"  # type: ignore[attr-defined]
        page = client.get(URL).content.decode()
        assert "Stored on S3 (bucket acme-uploads): no local disk to watch." in page

    def test_its_queries_do_not_grow_with_processes_and_runs(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        client.get(URL)  # the first page of a process imports the task modules
        worker(1, seen_ago=timedelta(seconds=5))
        with CaptureQueriesContext(connection) as few:
            client.get(URL)
        for pid in range(2, 12):
            worker(pid, seen_ago=timedelta(minutes=pid))
            PeriodicRun.objects.create(name=f"area.task_{pid}", last_started_at=timezone.now())
        with CaptureQueriesContext(connection) as many:
            response = client.get(URL)
        assert response.status_code == 200
        assert len(many) == len(few)

    def test_a_heartbeat_is_one_row_per_process_marked_stopped_on_exit(self) -> None:
        heartbeat.beat(ProcessHeartbeat.Kind.WEB)
        heartbeat.beat(ProcessHeartbeat.Kind.WEB)
        row = ProcessHeartbeat.objects.get()
        assert row.stopped_at is None
        heartbeat.stop()
        row.refresh_from_db()
        assert row.stopped_at is not None
