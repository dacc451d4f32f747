"""The timings browsers report, their sane ranges, Google's thresholds and the histogram buckets.

Every value is stored as a count in a bucket of a fixed histogram, so the 75th percentile of any
number of page views is read from at most len(EDGES) + 1 rows per page type and metric. Values
are kept in whole "units": milliseconds, and thousandths for the layout-shift score, so one set
of edges serves every metric. Google's thresholds (2500 and 4000 ms, 200 and 500 ms, 800 and
1800 ms, 0.1 and 0.25) are edges, so "good" or "poor" is exact even though a percentile is read
as its bucket's upper edge (at most one bucket width high: 10 ms under 0.1 s, 50 ms under 1 s,
100 ms under 5 s).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

EDGES: tuple[int, ...] = (
    *range(10, 100, 10),
    *range(100, 1000, 50),
    *range(1000, 5000, 100),
    *range(5000, 10000, 500),
    *range(10000, 30000, 2500),
    30000,
    60000,
)
# Bucket i holds values v with EDGES[i - 1] < v <= EDGES[i]; the last one everything above.
OVERFLOW = len(EDGES)


@dataclass(frozen=True)
class Metric:
    key: str
    name: Promise
    # Reported values are multiplied by this to be stored in whole units.
    scale: int
    # The largest value a browser may report; anything above is a broken or forged beacon.
    maximum: float
    good: float | None = None
    poor: float | None = None

    def units(self, value: float) -> int:
        return round(value * self.scale)

    def rating(self, units: int | None) -> str:
        """The verdict for a value in units: good, needs-improvement or poor (None: above the
        last edge); empty for a metric without thresholds."""
        if self.good is None or self.poor is None:
            return ""
        if units is None:
            return "poor"
        if units <= self.units(self.good):
            return "good"
        return "needs-improvement" if units <= self.units(self.poor) else "poor"

    def display(self, units: int | None) -> str:
        if units is None:  # above the last edge (60 s; a layout shift score never gets there)
            return str(pgettext_lazy("timing", "over 60 s"))
        if self.scale != 1:
            return f"{units / self.scale:.2f}"
        if units < 1000:
            return f"{units} ms"
        return f"{units / 1000:.1f} s"


TEN_MINUTES = 10 * 60 * 1000
METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric("lcp", _("Largest contentful paint (LCP)"), 1, TEN_MINUTES, 2500, 4000),
        Metric("inp", _("Interaction to next paint (INP)"), 1, 60_000, 200, 500),
        Metric("cls", _("Cumulative layout shift (CLS)"), 1000, 50, 0.1, 0.25),
        Metric("ttfb", _("Time to first byte (TTFB)"), 1, TEN_MINUTES, 800, 1800),
        Metric("dcl", _("Page ready (DOMContentLoaded)"), 1, TEN_MINUTES),
        Metric("load", _("Page loaded (load event)"), 1, TEN_MINUTES),
    )
}


def bucket_of(units: int) -> int:
    return bisect_left(EDGES, units)


def upper_edge(bucket: int) -> int | None:
    """The largest value a bucket may hold; None for the open-ended last bucket."""
    return EDGES[bucket] if bucket < OVERFLOW else None


def percentile(counts: Iterable[tuple[int, int]], fraction: float = 0.75) -> tuple[int | None, int]:
    """(the percentile in units, read as its bucket's upper edge; the number of values) from
    (bucket, count) pairs in any order. (None, 0) when there are none."""
    ordered = sorted(counts)
    total = sum(count for _bucket, count in ordered)
    if not total:
        return None, 0
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for bucket, count in ordered:
        seen += count
        if seen >= rank:
            return upper_edge(bucket), total
    raise AssertionError("unreachable: the counts add up to the total")
