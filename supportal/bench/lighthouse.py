"""Lighthouse on every page type (issue 14): performance, accessibility, CLS, LCP and TBT.

Starts `supportal serve` on a fresh SQLite database with the demo content, as
supportal/bench/pages.py does, signs in the demo customer, agent and admin, and runs Lighthouse
12 with its mobile defaults (a Moto G Power screen, the CPU four times slower, slow 4G) on the
main page types of supportal/page_types.py (`--all`: every page type), one page at a time, in
one headless Chromium started by Lighthouse's `chrome-debug` (Lighthouse's own Chrome flags).
Before each run the browser's cookie jar is emptied and, for a signed-in page, given the
persona's session; Lighthouse keeps cookies. (`--extra-headers` with a Cookie header is not
enough: once a page sets a cookie, Chromium sends the jar's cookies instead of the extra
header, so the page's htmx requests went out signed out and swapped the sign-in page into it.)
Each page is fetched once before its runs, to check that it answers 200 (which also warms the
server's page caches, as visitors keep them warm). Prints a table (with `--runs N`, each figure
is the median of N runs) and, under it, the audits that cost a page points. Lighthouse's JSON
reports are kept in var/lighthouse/reports/.

    make lighthouse                                  # installs Lighthouse into var/lighthouse/
    python -m supportal.bench.lighthouse --runs 3
    python -m supportal.bench.lighthouse --only settings   # pages whose name says so
    python -m supportal.bench.lighthouse --all       # every page type of page_types.py

Lighthouse times the page on this machine's own CPU: run it with nothing else heavy beside it.
The figures we keep are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from supportal.bench import ROOT, out
from supportal.bench.pages import get, sign_in, start_tree, wait_for_port
from supportal.lib.net import free_port
from supportal.page_types import PEOPLE

BIN = ROOT / "var" / "lighthouse" / "node_modules" / ".bin"
LIGHTHOUSE = BIN / "lighthouse"
CHROME_DEBUG = BIN / "chrome-debug"
REPORTS = ROOT / "var" / "lighthouse" / "reports"
CHROME = "/usr/bin/chromium"
CHROME_FLAGS = ("--headless=new", "--no-sandbox")
SIGN_IN_DETOUR = "/accounts/login/?next="
CATEGORIES = "performance,accessibility"
# Lighthouse's categories give a weight to the audits that count (accessibility checks, the
# five metrics); the others are advice. An audit "costs points" here when it counts and fails,
# or when it is advice scored below Lighthouse's own pass mark (and, where it estimates what
# fixing it would save, the estimate is not nothing).
PASS_MARK = 0.9
SCORED_MODES = ("binary", "numeric", "metricSavings")


class LighthouseError(RuntimeError):
    pass


@dataclass(frozen=True)
class Scores:
    performance: float  # 0-100, as Lighthouse shows it
    accessibility: float
    cls: float
    lcp_ms: float
    tbt_ms: float
    cpu_index: float  # Lighthouse's benchmark of this machine's CPU at the time: lower is busier
    findings: tuple[str, ...] = ()


def read_report(report: dict[str, Any]) -> Scores:
    """The figures of one Lighthouse JSON report (`--output=json`)."""
    error = report.get("runtimeError")
    if error:
        raise LighthouseError(f"{error.get('code')}: {error.get('message')}")
    categories = report["categories"]
    audits = report["audits"]
    scores = {}
    for name in ("performance", "accessibility"):
        score = categories[name]["score"]
        if score is None:  # Lighthouse gives no score when a metric could not be measured
            raise LighthouseError(f"no {name} score")
        scores[name] = round(100 * score)
    return Scores(
        performance=scores["performance"],
        accessibility=scores["accessibility"],
        cls=audits["cumulative-layout-shift"]["numericValue"],
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        cpu_index=report["environment"]["benchmarkIndex"],
        findings=tuple(findings(report)),
    )


def findings(report: dict[str, Any]) -> list[str]:
    """The audits that cost a page points, as `category: audit-id (what it says)`."""
    found = []
    for name in ("accessibility", "performance"):
        for ref in report["categories"][name]["auditRefs"]:
            if ref.get("group") in ("metrics", "hidden"):
                continue  # the table has the metrics; "hidden" repeats other audits as insights
            audit = report["audits"][ref["id"]]
            score = audit.get("score")
            if audit.get("scoreDisplayMode") not in SCORED_MODES or score is None:
                continue
            if ref.get("weight"):
                failing = score < 1
            else:  # advice: below the pass mark, and with a saving when it estimates one
                savings = audit.get("metricSavings")
                failing = score < PASS_MARK and (not savings or any(savings.values()))
            if failing:
                detail = (audit.get("displayValue") or "").replace("\xa0", " ")
                items = len((audit.get("details") or {}).get("items") or [])
                if not detail and items:
                    detail = f"{items} element{'s' if items != 1 else ''}"
                found.append(f"{name}: {ref['id']}" + (f" ({detail})" if detail else ""))
    return found


def median(runs: list[Scores]) -> Scores:
    """Each figure's median over the runs (with an even count, the mean of the middle two);
    the audits any run found, each once, with how many runs found it (one run's own figure,
    such as an estimated saving, is not a median)."""
    if not runs:
        raise ValueError("no runs")
    if len(runs) == 1:
        return runs[0]
    counts: dict[str, int] = {}
    for run in runs:
        for audit in dict.fromkeys(found.split(" (")[0] for found in run.findings):
            counts[audit] = counts.get(audit, 0) + 1
    return Scores(
        performance=statistics.median(run.performance for run in runs),
        accessibility=statistics.median(run.accessibility for run in runs),
        cls=statistics.median(run.cls for run in runs),
        lcp_ms=statistics.median(run.lcp_ms for run in runs),
        tbt_ms=statistics.median(run.tbt_ms for run in runs),
        cpu_index=statistics.median(run.cpu_index for run in runs),
        findings=tuple(f"{audit} ({n} of {len(runs)} runs)" for audit, n in counts.items()),
    )


def signed_out_requests(report: dict[str, Any]) -> list[str]:
    """The requests of the run that the server sent to the sign-in form."""
    requests = (report["audits"].get("network-requests", {}).get("details") or {}).get("items")
    return [item["url"] for item in requests or [] if SIGN_IN_DETOUR in item["url"]]


def cookie_jar(cookie: str, url: str) -> list[dict[str, str]]:
    """A Cookie header's pairs as cookies of `url`'s host for every path, as Django sets them,
    for Playwright's `add_cookies` (given a URL, it would keep them to that URL's folder)."""
    host = urlsplit(url).hostname or ""
    pairs = [pair.split("=", 1) for pair in cookie.split(";") if pair.strip()]
    return [
        {"name": name.strip(), "value": value.strip(), "domain": host, "path": "/"}
        for name, value in pairs
    ]


def chrome_env() -> dict[str, str]:
    return {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROME)}


@contextmanager
def chromium() -> Iterator[int]:
    """A headless Chromium with Lighthouse's flags, for every run; yields its debugging port."""
    port = free_port()
    command = [str(CHROME_DEBUG), f"--port={port}", *CHROME_FLAGS]
    process = subprocess.Popen(command, env=chrome_env(), stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.send_signal(signal.SIGINT)  # chrome-launcher stops Chromium on SIGINT
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def use_cookies(chrome_port: int, cookie: str, url: str) -> None:
    """Chromium's cookie jar holds `cookie` for `url` and nothing else: each run starts as a
    new visitor, or as the persona signed in."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{chrome_port}")
        jar = browser.contexts[0]
        jar.clear_cookies()
        if cookie:
            jar.add_cookies(cookie_jar(cookie, url))  # type: ignore[arg-type]
        browser.close()  # disconnects; the browser and its default context stay


def lighthouse(chrome_port: int, url: str, cookie: str, report_path: Path) -> Scores:
    """One Lighthouse run on `url`; its JSON report is written to `report_path`. About one run
    in a dozen fails here with NO_NAVSTART (Chromium under load): it is retried once."""
    command = [
        str(LIGHTHOUSE), url, f"--port={chrome_port}",
        "--output=json", f"--output-path={report_path}", "--quiet",
        f"--only-categories={CATEGORIES}",
    ]  # fmt: skip
    for attempt in (1, 2):
        report_path.unlink(missing_ok=True)
        use_cookies(chrome_port, cookie, url)
        result = subprocess.run(
            command, env=chrome_env(), capture_output=True, text=True, timeout=300, check=False
        )
        try:
            if not report_path.exists():
                raise LighthouseError(f"exit {result.returncode}: {result.stderr.strip()[-500:]}")
            report = json.loads(report_path.read_text(encoding="utf-8"))
            if cookie and (detours := signed_out_requests(report)):
                raise LighthouseError(f"signed out on the way: {', '.join(detours)}")
            return read_report(report)
        except LighthouseError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# Run in the served installation: the demo content's missing pieces, then the page types of
# supportal/page_types.py with their paths there: the main ones, or (--all) every one that answers
# 200 (Lighthouse reports an error for a 4xx document).
_PAGE_TYPES = """
import json, sys, django
django.setup()
from supportal.page_types import PAGE_TYPES, add_page_content
add_page_content()
every = sys.argv[1] == "all"
print(json.dumps([
    [p.name, p.path("en"), p.who] for p in PAGE_TYPES if p.status == 200 and (every or p.main)
]))
"""


def page_types(env: dict[str, str], *, every: bool) -> list[tuple[str, str, str | None]]:
    """The main page types of supportal/page_types.py (or every one), with their paths in the
    installation served with `env`."""
    result = subprocess.run(
        [sys.executable, "-c", _PAGE_TYPES, "all" if every else "main"],
        env={**env, "DJANGO_SETTINGS_MODULE": "supportal.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [(name, path, who) for name, path, who in json.loads(result.stdout.splitlines()[-1])]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def table(rows: list[tuple[str, str, Scores]], runs: int) -> str:
    median_of = f", the median of {runs} runs" if runs > 1 else ""
    lines = [
        f"Lighthouse 12, mobile defaults{median_of}; LCP and TBT under its simulated throttling.",
        "",
        "| page | path | performance | accessibility | CLS | LCP s | TBT ms | CPU index |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, path, s in rows:
        lines.append(
            f"| {name} | `{path}` | {s.performance:g} | {s.accessibility:g} | {s.cls:.3f} | "
            f"{s.lcp_ms / 1000:.1f} | {s.tbt_ms:.0f} | {s.cpu_index:.0f} |"
        )
    costly = [(name, s.findings) for name, _path, s in rows if s.findings]
    if costly:
        lines += ["", "Audits that cost points:", ""]
        lines += [f"- {name}: " + "; ".join(found) for name, found in costly]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per page; figures are medians")
    parser.add_argument(
        "--only", help="run only the page types (of every one) whose name contains this"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="every page type of supportal/page_types.py that answers 200, not only the main ones",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    if not LIGHTHOUSE.exists():
        sys.stderr.write("Lighthouse is not installed: make lighthouse\n")
        return 1
    import django
    from tqdm import tqdm

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportal.settings")
    django.setup()  # for the demo's password; no database is opened here
    from supportal.core.management.commands.demo import DEMO_PASSWORD

    REPORTS.mkdir(parents=True, exist_ok=True)
    rows = []
    with ExitStack() as stack:
        server_args = argparse.Namespace(database="sqlite", redis_url="", workers=2)
        server = start_tree(stack, ROOT, "now", 0, server_args)
        base = f"http://127.0.0.1:{server.port}"

        def session(who: str | None) -> str:
            # A new session per page: pages behind re-authentication (the security policy) want
            # a sign-in within the last ten minutes, and a run of every page takes longer.
            return sign_in(server.port, PEOPLE[who], DEMO_PASSWORD) if who else ""

        listed = page_types(server.env or {}, every=args.all or bool(args.only))
        chosen = [page for page in listed if not args.only or args.only in page[0]]
        chrome_port = stack.enter_context(chromium())
        bar = tqdm(total=len(chosen) * args.runs, desc="lighthouse", unit="run", file=sys.stderr)
        with bar:
            for name, path, who in chosen:
                cookie = session(who)
                status, _html, _response = get(server.port, path, cookie, timeout=120)
                if status != 200:
                    raise SystemExit(f"{name} ({path}) answers {status} to {who or 'a visitor'}")
                bar.set_postfix_str(name)
                runs = []
                for run in range(args.runs):
                    report = REPORTS / f"{slug(name)}-{run + 1}.json"
                    runs.append(lighthouse(chrome_port, base + path, cookie, report))
                    bar.update()
                rows.append((name, path, median(runs)))
    out()
    out(table(rows, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
