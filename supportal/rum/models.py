"""Real-user timings and browser errors, aggregated as they arrive.

Nothing here names a person or a browser: a timing is a count in a histogram bucket of one day,
page type and metric (see metrics.py); an error is its message, file and line with a count.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class TimingBucket(models.Model):
    """How many page views of one type reported a metric within one bucket on one day (UTC)."""

    day = models.DateField()
    page_type = models.CharField(max_length=100)
    metric = models.CharField(max_length=8)
    bucket = models.PositiveSmallIntegerField()
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            # Also the index of the summary, which reads the last days.
            models.UniqueConstraint(
                fields=["day", "page_type", "metric", "bucket"], name="rum_bucket_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.page_type} {self.metric}[{self.bucket}] = {self.count}"


class BrowserError(models.Model):
    """An uncaught script error, grouped by message, file and line."""

    # SHA-256 of (message, source, line): one short unique key instead of a wide index.
    fingerprint = models.CharField(max_length=64, unique=True)
    message = models.CharField(max_length=300)
    source = models.CharField(max_length=300, blank=True)
    line = models.PositiveIntegerField(default=0)
    column = models.PositiveIntegerField(default=0)  # of the first one seen
    count = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.message} ({self.source}:{self.line})"


class BrowserErrorPage(models.Model):
    """A page type an error was seen on."""

    error = models.ForeignKey(BrowserError, on_delete=models.CASCADE, related_name="pages")
    page_type = models.CharField(max_length=100)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["error", "page_type"], name="rum_error_page_unique")
        ]

    def __str__(self) -> str:
        return self.page_type
