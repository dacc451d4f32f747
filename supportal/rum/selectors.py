"""What the admins' performance page shows: p75 per page type and metric, and the top errors."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from supportal.rum.metrics import METRICS, Metric, percentile
from supportal.rum.models import BrowserError, BrowserErrorPage, TimingBucket

DAYS = 7
TOP_ERRORS = 20
# Shown beside the colour-free value, so the verdict is in words.
RATINGS = {
    "good": pgettext_lazy("timing verdict", "Good"),
    "needs-improvement": pgettext_lazy("timing verdict", "Needs improvement"),
    "poor": pgettext_lazy("timing verdict", "Poor"),
}
# The columns of the page, in order; DOMContentLoaded and load have no thresholds.
SHOWN = ("lcp", "inp", "cls", "ttfb", "dcl", "load")


@dataclass(frozen=True)
class Cell:
    metric: Metric
    value: str  # the 75th percentile, formatted ("2.4 s", "180 ms", "0.05")
    rating: str  # "good", "needs-improvement", "poor" or ""
    count: int

    @property
    def rating_label(self) -> str:
        return str(RATINGS[self.rating]) if self.rating else ""


@dataclass(frozen=True)
class PageRow:
    page_type: str
    views: int
    cells: list[Cell | None]


def _since(now: dt.datetime | None, days: int) -> dt.date:
    today = (now or timezone.now()).astimezone(dt.UTC).date()
    return today - dt.timedelta(days=days - 1)


def performance_summary(*, days: int = DAYS, now: dt.datetime | None = None) -> list[PageRow]:
    """One query, whatever the traffic: the bucket counts of the last days added up per page
    type, metric and bucket (at most page types x metrics x buckets rows)."""
    counts: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    rows = (
        TimingBucket.objects.filter(day__gte=_since(now, days))
        .values("page_type", "metric", "bucket")
        .annotate(total=Sum("count"))
        .order_by()
        .values_list("page_type", "metric", "bucket", "total")
    )
    for page_type, metric, bucket, total in rows:
        if metric in METRICS:
            counts[(page_type, metric)].append((bucket, total))
    pages: dict[str, dict[str, Cell]] = defaultdict(dict)
    for (page_type, key), buckets in counts.items():
        metric = METRICS[key]
        value, count = percentile(buckets)
        pages[page_type][key] = Cell(metric, metric.display(value), metric.rating(value), count)
    summary = [
        PageRow(
            page_type=page_type,
            # Every beacon with timings has the navigation ones; the largest count is the views.
            views=max(cell.count for cell in cells.values()),
            cells=[cells.get(key) for key in SHOWN],
        )
        for page_type, cells in pages.items()
    ]
    summary.sort(key=lambda row: (-row.views, row.page_type))
    return summary


def top_errors(
    *, days: int = DAYS, limit: int = TOP_ERRORS, now: dt.datetime | None = None
) -> list[BrowserError]:
    """The errors seen in the last days, the most frequent first, with their page types."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    return list(
        BrowserError.objects.filter(last_seen__gte=since)
        .order_by("-count", "-last_seen")
        .prefetch_related(
            Prefetch("pages", queryset=BrowserErrorPage.objects.order_by("page_type"))
        )[:limit]
    )
