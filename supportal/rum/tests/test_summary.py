"""p75 per page type from the histogram, the admins' page, and pruning."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from supportal.rum import selectors, services
from supportal.rum.beacons import Beacon, ReportedError
from supportal.rum.metrics import EDGES, METRICS, OVERFLOW, bucket_of, percentile
from supportal.rum.models import BrowserError, TimingBucket
from supportal.rum.tasks import rum_prune_task
from supportal.test import Personas, session_queries

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
PAGE = "/en/agent/manage/performance/"


def record(
    page: str, when: dt.datetime = NOW, errors: list[ReportedError] | None = None, **metrics: float
) -> None:
    services.beacon_record(beacon=Beacon(page, metrics, errors or []), now=when)


class PercentileTests:
    def test_it_reads_the_75th_percentile_as_its_bucket_upper_edge(self) -> None:
        # 100 values 1..100 ms: the 75th is 75, in the bucket (70, 80].
        counts: dict[int, int] = {}
        for value in range(1, 101):
            counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
        assert percentile(counts.items()) == (80, 100)

    def test_it_is_exact_at_googles_thresholds(self) -> None:
        lcp, cls = METRICS["lcp"], METRICS["cls"]
        assert lcp.rating(EDGES[bucket_of(2500)]) == "good"
        assert lcp.rating(EDGES[bucket_of(2501)]) == "needs-improvement"
        assert lcp.rating(EDGES[bucket_of(4000)]) == "needs-improvement"
        assert lcp.rating(EDGES[bucket_of(4001)]) == "poor"
        assert cls.rating(EDGES[bucket_of(cls.units(0.1))]) == "good"
        assert cls.rating(EDGES[bucket_of(cls.units(0.26))]) == "poor"
        assert bucket_of(60_001) == OVERFLOW and lcp.rating(None) == "poor"

    def test_it_has_nothing_to_say_without_values(self) -> None:
        assert percentile([]) == (None, 0)


@pytest.mark.django_db
class SummaryTests:
    def test_it_gives_p75_per_page_type_over_the_last_week_in_one_query(
        self, django_assert_num_queries: Any
    ) -> None:
        # Three fast page views and one slow one: p75 is the fast bucket; plus an old slow day.
        for lcp in (1000, 1100, 1200, 9000):
            record("helpcenter:home", lcp=lcp, ttfb=300, cls=0.3, inp=150)
        record("helpcenter:home", NOW - dt.timedelta(days=7), lcp=30_000, ttfb=300)
        record("helpcenter:article", NOW - dt.timedelta(days=6), lcp=3000, ttfb=1000)
        with django_assert_num_queries(1):
            rows = selectors.performance_summary(now=NOW)
        assert [(row.page_type, row.views) for row in rows] == [
            ("helpcenter:home", 4),
            ("helpcenter:article", 1),
        ]
        home = {cell.metric.key: cell for cell in rows[0].cells if cell}
        assert (home["lcp"].value, home["lcp"].rating_label) == ("1.2 s", "Good")
        assert (home["ttfb"].value, home["ttfb"].rating) == ("300 ms", "good")
        assert (home["cls"].value, home["cls"].rating_label) == ("0.30", "Poor")
        assert (home["inp"].value, home["inp"].rating) == ("150 ms", "good")
        article = {cell.metric.key: cell for cell in rows[1].cells if cell}
        assert article["lcp"].rating_label == "Needs improvement"
        assert article["ttfb"].rating == "needs-improvement"
        assert "inp" not in article

    def test_the_daily_task_prunes_old_days_and_old_errors(self) -> None:
        old = NOW - dt.timedelta(days=services.KEEP_DAYS + 1)
        record("helpcenter:home", old, [ReportedError("old", "", 1, 1)], lcp=900)
        record("helpcenter:home", NOW, [ReportedError("new", "", 1, 1)], lcp=900)
        rum_prune_task.call_local()
        assert list(TimingBucket.objects.values_list("day", flat=True)) == [NOW.date()]
        assert list(BrowserError.objects.values_list("message", flat=True)) == ["new"]


@pytest.mark.django_db
class PerformancePageTests:
    def test_admins_see_p75_labels_in_words_and_the_top_errors(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        for lcp in (1000, 5000, 6000, 7000):
            record("helpcenter:article", now, lcp=lcp, inp=600, ttfb=100)
        boom = ReportedError("ReferenceError: boom is not defined", "http://x/static/a.js", 9, 1)
        for page in ("helpcenter:article", "helpcenter:home"):
            record(page, now, [boom], cls=0)
        record("accounts:login", now, [ReportedError("TypeError: y", "", 0, 0)], cls=0)
        client.force_login(personas.admin)
        client.get(PAGE)
        # The user; the bucket sums; the errors; their page types.
        with django_assert_num_queries(session_queries() + 4):
            response = client.get(PAGE)
        assert response.status_code == 200
        html = response.content.decode()
        assert html.count("<h1>") == 1
        assert "<code>helpcenter:article</code>" in html
        assert "6.0 s<br>Poor" in html and "600 ms<br>Poor" in html and "100 ms<br>Good" in html
        assert html.index("ReferenceError: boom") < html.index("TypeError: y")
        assert "<code>helpcenter:article</code>, <code>helpcenter:home</code>" in html
        assert 'aria-current="page">Performance</a>' in html

    def test_it_says_when_there_is_nothing_yet(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        html = client.get(PAGE).content.decode()
        assert "No timings yet" in html and "No script errors reported in the last 7 days" in html

    def test_only_admins_may_open_it(self, client: Client, personas: Personas) -> None:
        assert client.get(PAGE).status_code == 302
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.get(PAGE).status_code == 403
        client.force_login(personas.admin)
        assert client.post(PAGE).status_code == 405
