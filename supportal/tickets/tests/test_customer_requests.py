"""My requests and the request page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from supportal.test import Personas, make_ticket, make_user, session_queries
from supportal.tickets import services
from supportal.tickets.models import Attachment, CustomField, Status, TicketCC
from supportal.tickets.tests.test_customer_fixtures import (
    PNG,
    detail,
    make_field,
    set_status,
    upload,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


class MyRequestsTests:
    def test_it_lists_own_and_copied_requests_newest_activity_first(
        self, client: Client, personas: Personas
    ) -> None:
        older = make_ticket(personas.customer, "Printer on fire")
        copied = make_ticket(personas.outsider, "Invoice missing")
        services.ticket_add_cc(ticket=copied, actor=personas.outsider, email="casey@acme.test")
        newer = make_ticket(personas.customer, "Password expired")
        make_ticket(personas.colleague, "Colleague's own request")
        client.force_login(personas.customer)
        response = client.get(url())
        html = response.content.decode()
        assert response.status_code == 200
        assert "<title>My requests · Supportal</title>" in html
        assert html.index("Password expired") < html.index("Invoice missing")
        assert html.index("Invoice missing") < html.index("Printer on fire")
        assert "Colleague&#x27;s own request" not in html
        assert "Requested by Wang Outsider" in html
        assert html.count("Requested by") == 1
        assert f'href="/en/requests/{newer.pk}/"' in html and f"#{older.pk}" in html
        assert "3 requests" in html

    def test_it_filters_open_and_solved(self, client: Client, personas: Personas) -> None:
        make_ticket(personas.customer, "Still broken")
        solved = make_ticket(personas.customer, "All good now")
        set_status(solved, Status.SOLVED, personas.agent)
        closed = make_ticket(personas.customer, "Long gone")
        set_status(closed, Status.CLOSED, personas.agent)
        client.force_login(personas.customer)
        open_html = client.get(url(), {"status": "open"}).content.decode()
        assert "Still broken" in open_html and "All good now" not in open_html
        solved_html = client.get(url(), {"status": "solved"}).content.decode()
        assert "All good now" in solved_html and "Long gone" in solved_html
        assert "Still broken" not in solved_html
        all_html = client.get(url(), {"status": "bogus"}).content.decode()
        assert all(s in all_html for s in ("Still broken", "All good now", "Long gone"))

    def test_it_searches_subject_conversation_and_number(
        self, client: Client, personas: Personas
    ) -> None:
        refund = make_ticket(personas.customer, "Refund please", "Order 42 arrived broken.")
        make_ticket(personas.customer, "Password help", "I forgot it.")
        make_ticket(personas.outsider, "Refund for Globex", "Not yours.")
        client.force_login(personas.customer)
        by_word = client.get(url(), {"q": "refunds"}).content.decode()
        assert "Refund please" in by_word and "Password help" not in by_word
        assert "Refund for Globex" not in by_word
        by_body = client.get(url(), {"q": "broken"}).content.decode()
        assert "Refund please" in by_body
        by_number = client.get(url(), {"q": f"#{refund.pk}"}).content.decode()
        assert "Refund please" in by_number and "Password help" not in by_number
        assert 'value="refunds"' in by_word

    def test_it_shows_the_organization_choice_to_members_of_a_sharing_organization(
        self, client: Client, personas: Personas
    ) -> None:
        make_ticket(personas.customer, "Mine")
        make_ticket(personas.colleague, "Colleague's request")
        make_ticket(personas.outsider, "Globex request")
        client.force_login(personas.customer)
        mine = client.get(url()).content.decode()
        assert 'name="scope"' in mine and "Colleague" not in mine
        org = client.get(url(), {"scope": "organization"}).content.decode()
        assert "Colleague&#x27;s request" in org and "Requested by Minseo Colleague" in org
        assert "Mine" in org and "Globex request" not in org

    def test_it_hides_the_organization_choice_when_the_organization_does_not_share(
        self, client: Client, personas: Personas
    ) -> None:
        other = make_user("li@globex.test", organization=personas.globex)
        make_ticket(other, "Globex colleague request")
        client.force_login(personas.outsider)
        html = client.get(url(), {"scope": "organization"}).content.decode()
        assert 'name="scope"' not in html
        assert "Globex colleague request" not in html

    def test_it_shows_the_organization_to_its_manager_even_without_sharing(
        self, client: Client, personas: Personas
    ) -> None:
        other = make_user("li@globex.test", organization=personas.globex)
        make_ticket(other, "Globex colleague request")
        personas.outsider.manages_organization = True
        personas.outsider.save()
        client.force_login(personas.outsider)
        html = client.get(url(), {"scope": "organization"}).content.decode()
        assert "Globex colleague request" in html

    def test_it_explains_an_empty_list_and_an_empty_search(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        assert "You have no requests yet." in client.get(url()).content.decode()
        make_ticket(personas.customer)
        html = client.get(url(), {"q": "zebra"}).content.decode()
        assert "No requests match these filters." in html

    def test_it_pages_keeping_the_filters(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        for n in range(27):
            make_ticket(personas.customer, f"Request number {n}")
        client.force_login(personas.customer)
        first = client.get(url(), {"status": "open"}).content.decode()
        assert "Page 1 of 2" in first
        assert "?status=open&amp;scope=mine&amp;q=&amp;page=2" in first
        second = client.get(url(), {"status": "open", "page": "2"}).content.decode()
        assert "Request number 1<" in second and "Request number 0<" in second
        assert "Request number 26" not in second
        assert client.get(url(), {"page": "abc"}).status_code == 200

    def test_it_runs_a_fixed_number_of_queries(
        self,
        client: Client,
        personas: Personas,
        django_assert_num_queries: Callable,
        settings: Any,
    ) -> None:
        settings.PERSONAL_PAGE_CACHE = False  # the view's own queries; its copy: core/tests
        make_ticket(personas.customer, "First")
        client.force_login(personas.customer)
        client.get(url())  # warms the notice cache
        # The user, their organization, the count and the page.
        expected = 4 + session_queries()
        with django_assert_num_queries(expected):
            assert client.get(url(), {"scope": "organization"}).status_code == 200
        for n in range(10):
            ticket = make_ticket(personas.colleague, f"Colleague {n}")
            services.ticket_add_cc(
                ticket=ticket, actor=personas.colleague, email="wang@globex.test"
            )
        with django_assert_num_queries(expected):
            html = client.get(url(), {"scope": "organization"}).content.decode()
        assert "Colleague 9" in html
        # Their own requests read the numbers they are CC'd on first: one more.
        with django_assert_num_queries(expected + 1):
            html = client.get(url(), {"q": "first", "status": "open"}).content.decode()
        assert "First" in html

    def test_it_asks_visitors_to_sign_in_and_refuses_post(
        self, client: Client, personas: Personas
    ) -> None:
        response = client.get(url())
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=/en/requests/")
        client.force_login(personas.customer)
        assert client.post(url()).status_code == 405


class RequestPageTests:
    def test_it_shows_the_public_conversation_oldest_first(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, "Cannot sign in", "First <b>line</b>\nSecond line")
        services.ticket_reply(ticket=ticket, author=personas.agent, body="Try resetting it.")
        services.ticket_reply(
            ticket=ticket, author=personas.agent, body="Internal: VIP customer", public=False
        )
        client.force_login(personas.customer)
        response = client.get(detail(ticket))
        html = response.content.decode()
        assert response.status_code == 200
        assert f"<title>#{ticket.pk} Cannot sign in · Supportal</title>" in html
        assert "First &lt;b&gt;line&lt;/b&gt;<br>Second line" in html
        assert html.index("First &lt;b&gt;") < html.index("Try resetting it.")
        assert "Internal: VIP customer" not in html
        assert "Support team" in html and "Jiwoo Agent" in html
        assert 'aria-current="page">#' in html and 'href="/en/requests/"' in html
        assert 'request-status-open">Open</span>' in html

    def test_it_runs_a_fixed_number_of_queries(
        self,
        client: Client,
        personas: Personas,
        django_assert_num_queries: Callable,
        settings: Any,
    ) -> None:
        settings.PERSONAL_PAGE_CACHE = False  # the view's own queries; its copy: core/tests
        ticket = make_ticket(personas.customer, attachments=[upload("a.png", PNG)])
        client.force_login(personas.customer)
        client.get(detail(ticket))  # warms the notice cache
        # The user, their organization, the requests they are CC'd on, the ticket, field
        # values, people in CC, the public messages and their attachments.
        expected = 8 + session_queries()
        with django_assert_num_queries(expected):
            assert client.get(detail(ticket)).status_code == 200
        for n in range(5):
            services.ticket_reply(
                ticket=ticket, author=personas.agent, body=f"Reply {n}", attachments=[upload()]
            )
            services.ticket_add_cc(ticket=ticket, actor=personas.customer, email=f"p{n}@x.test")
        with django_assert_num_queries(expected):
            html = client.get(detail(ticket)).content.decode()
        assert "Reply 4" in html and "p4@x.test" in html

    def test_it_shows_customer_visible_fields_only(
        self, client: Client, personas: Personas
    ) -> None:
        plan = make_field(
            "plan",
            CustomField.Kind.DROPDOWN,
            choices=[{"value": "pro", "labels": {"en": "Professional"}}],
        )
        score = make_field("risk_score", customer_visible=False)
        ticket = make_ticket(personas.customer, fields={plan: "pro", score: "very-risky"})
        client.force_login(personas.customer)
        html = client.get(detail(ticket)).content.decode()
        assert "<dt>Plan</dt><dd>Professional</dd>" in html
        assert "Risk score" not in html and "very-risky" not in html

    def test_it_shows_the_colleague_a_shared_request_and_lists_people_in_cc(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        services.ticket_add_cc(ticket=ticket, actor=personas.customer, email="wang@globex.test")
        client.force_login(personas.colleague)
        html = client.get(detail(ticket)).content.decode()
        assert "Casey Customer" in html and "wang@globex.test" in html
        # Only the requester, the person themself or a manager may remove someone.
        assert f"/cc/{personas.outsider.pk}/remove" not in html

    def test_it_sends_agents_to_the_agent_page(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.agent)
        response = client.get(detail(ticket))
        assert response.status_code == 302
        assert response["Location"] == f"/en/agent/requests/{ticket.pk}/"

    def test_it_shows_a_closed_request_without_a_reply_form(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        set_status(ticket, Status.CLOSED, personas.agent)
        client.force_login(personas.customer)
        html = client.get(detail(ticket)).content.decode()
        assert "This request is closed." in html
        assert 'action="/en/requests/new"' not in html and 'href="/en/requests/new"' in html
        assert "Send reply" not in html and "Add to CC" not in html

    def test_it_links_a_merged_request_to_the_one_it_joined(
        self, client: Client, personas: Personas
    ) -> None:
        source = make_ticket(personas.customer, "Duplicate")
        target = make_ticket(personas.customer, "Original")
        services.ticket_merge(source=source, target=target, actor=personas.agent)
        client.force_login(personas.customer)
        html = client.get(detail(source)).content.decode()
        assert f'href="/en/requests/{target.pk}/">request #{target.pk}</a>' in html
        assert "Send reply" not in html

    def test_it_names_without_linking_a_merge_target_the_viewer_cannot_see(
        self, client: Client, personas: Personas
    ) -> None:
        source = make_ticket(personas.outsider, "Mine")
        target = make_ticket(make_user("li@globex.test", organization=personas.globex), "Theirs")
        services.ticket_merge(source=source, target=target, actor=personas.agent)
        # The merge copied the outsider to the target; take that away again.
        TicketCC.objects.filter(ticket=target).delete()
        client.force_login(personas.outsider)
        html = client.get(detail(source)).content.decode()
        assert f"merged into request #{target.pk}." in html
        assert f'href="/en/requests/{target.pk}/"' not in html

    def test_it_shows_images_inline_and_other_files_as_links(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(
            personas.customer,
            attachments=[upload("shot.png", PNG), upload("report.pdf", b"%PDF-1.4")],
        )
        client.force_login(personas.customer)
        html = client.get(detail(ticket)).content.decode()
        image, pdf = Attachment.objects.order_by("filename").values_list("pk", flat=True)[::-1]
        assert f'<img src="/en/requests/{ticket.pk}/attachments/{image}/shot.png"' in html
        assert f'href="/en/requests/{ticket.pk}/attachments/{pdf}/report.pdf">report.pdf' in html
