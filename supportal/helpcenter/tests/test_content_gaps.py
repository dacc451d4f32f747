"""Content gaps: weak searches and requests grouped by topic, for the agents who write articles
(the real model)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from supportal.helpcenter import gaps
from supportal.helpcenter.models import SearchLog, Visibility
from supportal.semantic import index
from supportal.semantic.services import embed_now
from supportal.test import Personas, make_ticket, session_queries, shared_cache_queries
from supportal.tickets.tests.test_customer_fixtures import make_article

pytestmark = pytest.mark.django_db

URL = "/en/agent/help/gaps/"


@pytest.fixture(autouse=True)
def _fresh() -> None:
    index.clear()
    caches[settings.SHARED_CACHE].delete(gaps.CACHE_KEY)


def search(query: str, times: int = 1) -> None:
    for _n in range(times):
        SearchLog.objects.create(query=query, locale="en", results=0)


@pytest.fixture
def asked(personas: Personas) -> dict[str, int]:
    make_article("Reset your password", "Open the sign-in page and choose Forgot password.")
    make_article(
        "Export your invoices to a spreadsheet",
        "Agents' notes on invoice exports.",
        visibility=Visibility.AGENTS,
    )
    search("reset my password", 4)
    search("Export invoices to Excel", 3)
    search("export  invoices to excel")  # the same query, typed differently
    search("Download all my invoices as a CSV file")
    search("Can I bring my dog to the office?", 2)
    support = make_ticket(
        personas.customer, "Shipping to Antarctica", "Do you deliver to research stations?"
    )
    billing = make_ticket(
        personas.customer,
        "Invoices as a spreadsheet",
        "How can I get all my invoices as an Excel file?",
        group=personas.billing,
    )
    embed_now("ticket", [support.pk, billing.pk])
    return {"support": support.pk, "billing": billing.pk}


def rows_by_query(rows: list[gaps.Row]) -> dict[str, gaps.Row]:
    return {query: row for row in rows for query, _count in row.gap.queries}


class ContentGapsTests:
    def test_it_groups_weak_searches_and_requests_by_topic(
        self, personas: Personas, asked: dict[str, int]
    ) -> None:
        found = gaps.compute()
        assert found is not None
        queries = {query: count for gap in found for query, count in gap.queries}
        # Answered by a public article: no gap. Agents-only articles answer no customer.
        assert "reset my password" not in queries
        assert queries["Export invoices to Excel"] == 4
        by_query = rows_by_query(gaps.rows_for(personas.admin, found))
        invoices = by_query["Export invoices to Excel"]
        assert by_query["Download all my invoices as a CSV file"] is invoices
        assert invoices.gap.searches == 5
        assert [pk for pk, _subject in invoices.requests] == [asked["billing"]]
        assert by_query["Can I bring my dog to the office?"] is not invoices
        requests = {pk for row in gaps.rows_for(personas.admin, found) for pk, _s in row.requests}
        assert requests == {asked["support"], asked["billing"]}

    def test_it_shows_only_the_requests_the_agent_may_see(
        self, client: Client, personas: Personas, asked: dict[str, int]
    ) -> None:
        gaps.refresh()
        client.force_login(personas.agent)  # Support: not the Billing request
        page = client.get(URL).content.decode()
        assert "Shipping to Antarctica" in page
        assert "Invoices as a spreadsheet" not in page
        assert "Export invoices to Excel" in page and "Can I bring my dog" in page
        assert "reset my password" not in page
        client.force_login(personas.other_agent)  # Billing
        page = client.get(URL).content.decode()
        assert "Invoices as a spreadsheet" in page
        assert "/en/agent/help/articles/new/?title=Export%20invoices%20to%20Excel" in page

    def test_it_computes_on_first_visit_and_then_reads_the_cache(
        self, client: Client, personas: Personas, asked: dict[str, int], django_assert_num_queries
    ) -> None:
        client.force_login(personas.agent)
        assert "Export invoices to Excel" in client.get(URL).content.decode()
        search("Where is the nearest pharmacy?", 1)
        # session, user, the stored gaps (the shared cache), the requests the agent may see
        with django_assert_num_queries(session_queries() + shared_cache_queries() + 2):
            page = client.get(URL).content.decode()
        assert "nearest pharmacy" not in page  # until the worker's next pass
        gaps.refresh()
        assert "nearest pharmacy" in client.get(URL).content.decode()

    def test_it_is_for_agents_only(self, client: Client, personas: Personas) -> None:
        response = client.get(URL)
        assert response.status_code == 302 and "/login" in response["Location"]
        client.force_login(personas.customer)
        assert client.get(URL).status_code == 403
        client.force_login(personas.agent)
        assert client.post(URL).status_code == 405
        page = client.get(URL).content.decode()
        assert "No gaps found" in page

    def test_the_write_link_fills_in_the_title(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        page = client.get("/en/agent/help/articles/new/?title=Pets+at+work").content
        assert b'value="Pets at work"' in page


class ContentGapsPrivacyTests:
    def test_what_names_a_person_is_masked_in_the_queries_shown(self) -> None:
        assert gaps.redact("refund for jane.doe@example.com") == "refund for •••"
        assert gaps.redact("call me on +82 10-1234-5678 please") == "call me on ••• please"
        assert gaps.redact("order A1B2C3D4 not here") == "order ••• not here"
        assert gaps.redact("Export invoices to Excel 2024") == "Export invoices to Excel 2024"
        search("Where is order 12345678?", 2)
        found = gaps.compute()
        assert found is not None
        queries = [query for gap in found for query, _count in gap.queries]
        assert "Where is order •••?" in queries
        assert not any("12345678" in query for query in queries)

    def test_erasing_a_person_drops_the_gaps_that_held_their_searches(
        self, client: Client, personas: Personas, django_capture_on_commit_callbacks
    ) -> None:
        from supportal.privacy.services import person_erase

        SearchLog.objects.create(
            query="Can I pay with gold bars?", locale="en", results=0, user=personas.customer
        )
        gaps.refresh()
        client.force_login(personas.agent)
        assert "pay with gold bars" in client.get(URL).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            person_erase(person=personas.customer, actor=personas.admin)
        assert gaps.stored() is None
        assert "pay with gold bars" not in client.get(URL).content.decode()
