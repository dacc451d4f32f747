from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProcessHeartbeat(models.Model):
    """A web or worker process saying it is alive: written by a thread of its own every
    HEARTBEAT_SECONDS (never by requests), marked stopped when the process exits cleanly."""

    class Kind(models.TextChoices):
        WEB = "web", _("Web server")
        WORKER = "worker", _("Task worker")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["kind", "host", "pid"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["host", "pid"], name="heartbeat_process_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.host}:{self.pid}"


class PeriodicRun(models.Model):
    """The last run of one periodic task (a huey schedule), recorded by the worker from huey's
    signals: when it last started, finished, succeeded or failed, and why."""

    name = models.CharField(max_length=200, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name
