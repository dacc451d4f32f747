"""Visitors' stored search pages log their searches in batches (helpcenter/searchlog.py): the
row is written within the flush delay, by a timer thread, and a click that comes first is kept
when the row is written."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from supportal.helpcenter import searchlog
from supportal.helpcenter.cache import forget_content_version
from supportal.helpcenter.models import SearchLog
from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section
from supportal.helpcenter.tests.test_search_page import result_links, url
from supportal.test import Personas

pytestmark = pytest.mark.django_db(transaction=True)

DELAY = 0.3


@pytest.fixture(autouse=True)
def _batches(settings) -> object:
    forget_content_version()
    settings.SEARCH_LOG_FLUSH_SECONDS = DELAY
    yield
    searchlog.flush()


def logged(view: int) -> SearchLog | None:
    return SearchLog.objects.filter(view=view).first()


def stored_search(query: str) -> str:
    """A visitor's answer from the stored copy of this search; its page's HTML."""
    Client().get(url("search"), {"q": query})
    response = Client().get(url("search"), {"q": query})
    assert response["X-Page-Cache"] == "hit"
    return response.content.decode()


def number_in(link: str) -> int:
    return int(link.split("/click/")[1].split("/")[0])


class SearchLogBatchTests:
    def test_a_stored_searchs_row_is_written_by_the_timer_within_the_delay(self) -> None:
        make_article(make_section(), "Refund policy")
        [link] = result_links(stored_search("refund"))
        number = number_in(link)
        assert searchlog.is_view(number)
        assert logged(number) is None  # in this process's buffer, not yet written
        deadline = time.monotonic() + 10
        while logged(number) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        row = logged(number)
        assert row is not None, "the timer did not write the buffered row"
        assert (row.query, row.locale, row.results, row.user) == ("refund", "en", 1, None)

    def test_a_click_in_this_process_writes_its_row_first(self) -> None:
        article = make_article(make_section(), "Refund policy")
        [link] = result_links(stored_search("refund"))
        assert Client().get(link).status_code == 302
        row = logged(number_in(link))
        assert row is not None
        assert (row.query, row.clicked_article) == ("refund", article)

    def test_a_click_before_another_processs_batch_is_kept_when_the_batch_is_written(
        self,
    ) -> None:
        article = make_article(make_section(), "Refund policy")
        [link] = result_links(stored_search("refund"))
        # The row sits in another process's buffer: take it out of this one.
        with searchlog._lock:
            elsewhere = searchlog._rows[:]
            searchlog._rows.clear()
        assert Client().get(link).status_code == 302
        early = logged(number_in(link))
        assert early is not None
        assert (early.query, early.clicked_article) == ("", article)
        searchlog._write(elsewhere)
        row = logged(number_in(link))
        assert row is not None
        assert (row.query, row.results, row.clicked_article) == ("refund", 1, article)
        assert SearchLog.objects.count() == 2  # the first visitor's, and this one

    def test_a_signed_in_persons_click_on_a_visitors_number_records_nothing(
        self, personas: Personas
    ) -> None:
        make_article(make_section(), "Refund policy")
        [link] = result_links(stored_search("refund"))
        searchlog.flush()
        client = Client()
        client.force_login(personas.customer)
        assert client.get(link).status_code == 302
        row = logged(number_in(link))
        assert row is not None and row.clicked_article is None
