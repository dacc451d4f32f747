"""Log rows of stored search pages, written in batches.

A visitor's search page is answered from a stored copy (core/pagecache), and each answer is
still one search to log: what was asked and how much was found, and the number its result
links carry so the click on one is recorded (views/search.click). Writing that row in the
answer is a write per request, and on SQLite the web processes queue behind its one writer:
the stored search page went from 48 % of the minimal view without the write to 28 % with it
(docs/benchmarks.md). So an answer takes a random number (`view`, from VIEW_FLOOR up, never a
primary key) and puts its row in this process's buffer; the buffer is written in one
statement at most SEARCH_LOG_FLUSH_SECONDS later (a timer thread, so an idle process writes
too), when it holds MAX_BUFFERED rows, and when the process exits. With
SEARCH_LOG_FLUSH_SECONDS = 0 each row is written at once.

A click can come before its row is written (another process's buffer): it writes a row with
the number and the article, and the buffered row fills in the rest when it is written (both
are upserts on `view`). A process killed outright loses at most that second of log rows;
their clicks stay as rows without a query, which the reports skip.
"""

from __future__ import annotations

import atexit
import logging
import secrets
import threading
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from supportal.helpcenter.models import SearchLog

logger = logging.getLogger(__name__)

# Numbers of buffered rows lie in [VIEW_FLOOR, 2 * VIEW_FLOOR): far above any primary key, and
# below 2**53, the largest number the search page's links accept.
VIEW_FLOOR = 2**52
MAX_BUFFERED = 5_000
_FILLED = ("query", "locale", "results", "created_at")

_lock = threading.Lock()
_rows: list[SearchLog] = []
_timer: threading.Timer | None = None


def is_view(number: int) -> bool:
    return VIEW_FLOOR <= number < 2 * VIEW_FLOOR


def record(*, query: str, locale: str, results: int) -> int:
    """A visitor's search, logged within a second; the number its page's links carry."""
    row = SearchLog(
        view=VIEW_FLOOR + secrets.randbits(52),
        query=query,
        locale=locale,
        results=results,
        created_at=timezone.now(),
    )
    delay = float(getattr(settings, "SEARCH_LOG_FLUSH_SECONDS", 1.0))
    if delay <= 0:
        _write([row])
        return row.view
    global _timer
    with _lock:
        _rows.append(row)
        full = len(_rows) >= MAX_BUFFERED
        if _timer is None and not full:
            _timer = threading.Timer(delay, _flush_in_thread)
            _timer.daemon = True
            _timer.start()
    if full:
        flush()
    return row.view


def flush() -> int:
    """Writes this process's buffered rows now; how many."""
    global _timer
    with _lock:
        rows = _rows[:]
        _rows.clear()
        if _timer is not None:
            _timer.cancel()
            _timer = None
    if rows:
        try:
            _write(rows)
        except Exception:
            with _lock:  # kept for the next write, as many as fit
                _rows[:0] = rows[: max(0, MAX_BUFFERED - len(_rows))]
            raise
    return len(rows)


def click(*, number: int, article_id: int, locale: str, when: datetime | None = None) -> None:
    """Records that a visitor's stored search led to this article, written or not yet."""
    flush()  # this process's own rows first: usually the click's row is here
    if SearchLog.objects.filter(view=number).update(clicked_article_id=article_id):
        return
    row = SearchLog(
        view=number,
        query="",
        locale=locale,
        results=0,
        clicked_article_id=article_id,
        created_at=when or timezone.now(),
    )
    SearchLog.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["view"], update_fields=["clicked_article"]
    )


def _write(rows: list[SearchLog]) -> None:
    SearchLog.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["view"], update_fields=list(_FILLED)
    )


def _flush_in_thread() -> None:
    # Its own connection (Django's are per thread), closed after: the thread ends here.
    try:
        close_old_connections()
        flush()
    except Exception:
        logger.exception("Search log rows could not be written; kept for the next try")
    finally:
        connections.close_all()


atexit.register(flush)
