"""The Lighthouse benchmark's reading of Lighthouse's JSON report and its medians, without
running Lighthouse (`make lighthouse` does)."""

from __future__ import annotations

from typing import Any

import pytest

from supportal.bench.lighthouse import (
    LighthouseError,
    Scores,
    cookie_jar,
    findings,
    median,
    read_report,
    signed_out_requests,
    table,
)
from supportal.core.management.commands.demo import DEMO_USERS
from supportal.page_types import PAGE_TYPES, PEOPLE


def audit(score: float | None, mode: str = "binary", **extra: Any) -> dict[str, Any]:
    return {"score": score, "scoreDisplayMode": mode, **extra}


def report(**overrides: Any) -> dict[str, Any]:
    """The parts of a Lighthouse 12 JSON report that the benchmark reads."""
    audits = {
        "cumulative-layout-shift": audit(1, "numeric", numericValue=0.0123),
        "largest-contentful-paint": audit(0.97, "numeric", numericValue=1834.5),
        "total-blocking-time": audit(1, "numeric", numericValue=42.0),
        "color-contrast": audit(1),
        "image-alt": audit(None, "notApplicable"),
        "render-blocking-resources": audit(1, "metricSavings", metricSavings={"FCP": 0}),
        "unused-javascript": audit(1, "metricSavings", metricSavings={"LCP": 0}),
        "render-blocking-insight": audit(1, "metricSavings", metricSavings={"FCP": 0}),
    }
    audits.update(overrides.pop("audits", {}))
    return {
        "runtimeError": overrides.pop("runtimeError", None),
        "environment": {"benchmarkIndex": 1450.5},
        "categories": {
            "performance": {
                "score": overrides.pop("performance", 0.994),
                "auditRefs": [
                    {"id": "largest-contentful-paint", "weight": 25, "group": "metrics"},
                    {"id": "cumulative-layout-shift", "weight": 25, "group": "metrics"},
                    {"id": "total-blocking-time", "weight": 30, "group": "metrics"},
                    {"id": "render-blocking-resources", "weight": 0, "group": "diagnostics"},
                    {"id": "unused-javascript", "weight": 0, "group": "diagnostics"},
                    {"id": "render-blocking-insight", "weight": 0, "group": "hidden"},
                ],
            },
            "accessibility": {
                "score": overrides.pop("accessibility", 1),
                "auditRefs": [
                    {"id": "color-contrast", "weight": 7, "group": "a11y-color-contrast"},
                    {"id": "image-alt", "weight": 10, "group": "a11y-names-labels"},
                ],
            },
        },
        "audits": audits,
    }


def scores(performance: float, lcp_ms: float, *found: str) -> Scores:
    return Scores(performance, 100, 0.01, lcp_ms, 50.0, 1000.0, found)


class ReadReportTests:
    def test_it_reads_the_figures_as_lighthouse_shows_them(self) -> None:
        assert read_report(report()) == Scores(
            performance=99,
            accessibility=100,
            cls=0.0123,
            lcp_ms=1834.5,
            tbt_ms=42.0,
            cpu_index=1450.5,
            findings=(),
        )

    def test_it_refuses_a_run_that_failed(self) -> None:
        failed = report(runtimeError={"code": "NO_NAVSTART", "message": "No navigation start"})

        with pytest.raises(LighthouseError, match="NO_NAVSTART"):
            read_report(failed)

    def test_it_refuses_a_run_without_a_score(self) -> None:
        with pytest.raises(LighthouseError, match="no performance score"):
            read_report(report(performance=None))


class FindingsTests:
    def test_it_names_a_failing_accessibility_check_with_its_elements(self) -> None:
        failing = {"color-contrast": audit(0, details={"items": [{}, {}]})}

        assert findings(report(audits=failing)) == ["accessibility: color-contrast (2 elements)"]

    def test_it_names_advice_that_would_save_time(self) -> None:
        advice = {
            "unused-javascript": audit(
                0.5,
                "metricSavings",
                metricSavings={"LCP": 300},
                displayValue="Est savings of 12\xa0KiB",
            )
        }

        assert findings(report(audits=advice)) == [
            "performance: unused-javascript (Est savings of 12 KiB)"
        ]

    def test_it_leaves_out_advice_that_would_save_nothing(self) -> None:
        # Lighthouse scores the one stylesheet 0.5 as render-blocking, and estimates 0 ms.
        advice = {
            "render-blocking-resources": audit(
                0.5, "metricSavings", metricSavings={"FCP": 0, "LCP": 0}
            ),
            "render-blocking-insight": audit(0, "metricSavings", metricSavings={"FCP": 160}),
        }

        assert findings(report(audits=advice)) == []

    def test_it_leaves_the_metrics_to_the_table(self) -> None:
        slow = {"largest-contentful-paint": audit(0.4, "numeric", numericValue=5200.0)}

        assert findings(report(audits=slow)) == []


class MedianTests:
    def test_it_takes_each_figures_median(self) -> None:
        runs = [scores(97, 2100.0), scores(99, 1500.0), scores(91, 1800.0)]

        middle = median(runs)

        assert (middle.performance, middle.lcp_ms) == (97, 1800.0)

    def test_it_averages_the_middle_two_of_an_even_count(self) -> None:
        assert median([scores(98, 1000.0), scores(99, 1200.0)]).performance == 98.5

    def test_it_names_each_audit_any_run_found_once_with_how_often(self) -> None:
        runs = [
            scores(99, 1.0, "performance: render-blocking-resources (Est savings of 260 ms)"),
            scores(99, 1.0, "accessibility: label", "performance: render-blocking-resources"),
            scores(99, 1.0, "performance: render-blocking-resources (Est savings of 190 ms)"),
        ]

        assert median(runs).findings == (
            "performance: render-blocking-resources (3 of 3 runs)",
            "accessibility: label (1 of 3 runs)",
        )

    def test_it_gives_a_single_run_as_it_is(self) -> None:
        run = scores(97, 1.0, "performance: render-blocking-resources (Est savings of 260 ms)")

        assert median([run]) == run


class TableTests:
    def test_it_shows_one_row_per_page_and_what_cost_points(self) -> None:
        rows = [
            ("FAQ", "/en/help/faq/", scores(99, 1234.0)),
            ("inbox", "/en/agent/", scores(88, 3456.0, "accessibility: label")),
        ]

        text = table(rows, runs=3)

        assert "the median of 3 runs" in text
        assert "| FAQ | `/en/help/faq/` | 99 | 100 | 0.010 | 1.2 | 50 | 1000 |" in text
        assert "| inbox | `/en/agent/` | 88 | 100 | 0.010 | 3.5 | 50 | 1000 |" in text
        assert text.endswith("- inbox: accessibility: label\n")


class SignedInTests:
    def test_it_puts_the_cookie_header_in_the_browsers_jar_for_every_path(self) -> None:
        # The agent's request page asks /en/agent/availability: a cookie kept to the page's
        # folder (/en/agent/requests/13/) signed that request out.
        jar = cookie_jar(
            "sessionid=abc; csrftoken=x=y", "http://127.0.0.1:8000/en/agent/requests/13/"
        )

        assert jar == [
            {"name": "sessionid", "value": "abc", "domain": "127.0.0.1", "path": "/"},
            {"name": "csrftoken", "value": "x=y", "domain": "127.0.0.1", "path": "/"},
        ]

    def test_it_finds_a_request_the_server_sent_to_sign_in(self) -> None:
        # What Lighthouse recorded when the session went only in --extra-headers: the page's
        # htmx request lost it and brought back the sign-in page.
        requests = {
            "network-requests": {
                "details": {
                    "items": [
                        {"url": "http://127.0.0.1:8000/en/agent/"},
                        {"url": "http://127.0.0.1:8000/en/agent/availability"},
                        {
                            "url": "http://127.0.0.1:8000/en/accounts/login/?next=/en/agent/availability"
                        },
                    ]
                }
            }
        }

        assert signed_out_requests(report(audits=requests)) == [
            "http://127.0.0.1:8000/en/accounts/login/?next=/en/agent/availability"
        ]
        assert signed_out_requests(report()) == []


class PageTypesTests:
    def test_it_can_sign_in_as_every_persona_the_page_list_names(self) -> None:
        named = {page.who for page in PAGE_TYPES if page.who}

        assert named <= PEOPLE.keys()
        assert set(PEOPLE.values()) <= {email for email, *_rest in DEMO_USERS}
