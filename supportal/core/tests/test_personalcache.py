"""The personal page cache (core/personalcache.py): a customer's repeat views from their
session's copy, and never a stale, another person's or a signed-out page.

Transactional: the triggers' change rows are read across commits, as in production (inside a
test's open transaction PostgreSQL would rightly see every change as not yet committed)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from supportal.accounts.models import Role, User
from supportal.core import personalcache
from supportal.core.models import PageChange
from supportal.test import Personas, make_ticket, make_user
from supportal.tickets import services
from supportal.tickets.models import Message, RequestType, Ticket, TicketCC

pytestmark = pytest.mark.django_db(transaction=True)

MINE = "/en/requests/"


def detail(ticket: Ticket) -> str:
    return f"/en/requests/{ticket.pk}/"


def signed_in(user: User) -> Client:
    """A browser that has signed in and opened a page: its session noted its first activity
    and it holds a CSRF cookie (a render that changes the session or sets a cookie is not
    kept)."""
    client = Client()
    client.force_login(user)
    client.get("/en/accounts/profile/")
    return client


@pytest.fixture
def customer(personas: Personas) -> Client:
    return signed_in(personas.customer)


def twice(client: Client, path: str) -> tuple[str, str]:
    """The page rendered, then viewed again: the second must come from the copy."""
    first = client.get(path)
    second = client.get(path)
    assert first.status_code == second.status_code == 200
    assert "X-Page-Cache" not in first
    assert second["X-Page-Cache"] == "personal"
    return first.content.decode(), second.content.decode()


def cached(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200 and response["X-Page-Cache"] == "personal"
    return response.content.decode()


def fresh(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    assert "X-Page-Cache" not in response, "a change was missed: the stale copy was served"
    return response.content.decode()


class HitTests:
    @pytest.mark.parametrize(
        "path",
        ["/en/", MINE, "/en/requests/?status=open", "/en/requests/new", "/en/accounts/profile/"],
    )
    def test_a_repeat_view_is_the_same_page_from_the_copy(
        self, customer: Client, personas: Personas, path: str
    ) -> None:
        make_ticket(personas.customer, "Printer on fire")
        first, second = twice(customer, path)
        assert second == first

    def test_the_request_page_and_its_headers(self, customer: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, "Printer on fire")
        first = customer.get(detail(ticket))
        second = customer.get(detail(ticket))
        assert second["X-Page-Cache"] == "personal"
        assert second.content == first.content
        for name in ("Content-Security-Policy", "X-Frame-Options", "Content-Language"):
            assert second[name] == first[name]
        assert second["Cache-Control"] == "private, no-store"
        assert second["X-Request-ID"] != first["X-Request-ID"]
        assert not second.cookies

    def test_a_hit_costs_one_query(
        self, customer: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        make_ticket(personas.customer, "Printer on fire")
        twice(customer, MINE)
        with django_assert_num_queries(1):  # the session row and the change log, together
            cached(customer, MINE)

    def test_the_log_line_names_the_customer(
        self, customer: Client, personas: Personas, caplog: pytest.LogCaptureFixture
    ) -> None:
        twice(customer, MINE)
        caplog.clear()
        with caplog.at_level("INFO", logger="supportal.request"):
            cached(customer, MINE)
        [line] = [r.getMessage() for r in caplog.records if r.name == "supportal.request"]
        assert f"route=page_cache user={personas.customer.pk} queries=1" in line

    def test_gzip_is_sent_to_who_accepts_it(self, customer: Client, personas: Personas) -> None:
        make_ticket(personas.customer, "Printer on fire")
        customer.get(MINE)
        zipped = customer.get(MINE, headers={"Accept-Encoding": "gzip"})
        assert zipped["X-Page-Cache"] == "personal" and zipped["Content-Encoding"] == "gzip"


class ChangeTests:
    """Every write reaches the page, however it is made."""

    def test_an_agents_reply(self, customer: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, "Printer on fire")
        twice(customer, detail(ticket))
        services.ticket_reply(ticket=ticket, author=personas.agent, body="Try turning it off.")
        assert "Try turning it off." in fresh(customer, detail(ticket))

    def test_a_queryset_update_that_sends_no_signal(
        self, customer: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, "Printer on fire")
        twice(customer, MINE)
        Ticket.objects.filter(pk=ticket.pk).update(subject="Printer fixed")
        assert "Printer fixed" in fresh(customer, MINE)
        twice(customer, detail(ticket))
        Message.objects.filter(ticket=ticket).update(body="Rewritten by hand")
        assert "Rewritten by hand" in fresh(customer, detail(ticket))

    def test_a_copied_person_sees_a_request_arrive_and_go(self, personas: Personas) -> None:
        outsider = signed_in(personas.outsider)
        ticket = make_ticket(personas.agent, "Invoice for Globex")
        twice(outsider, MINE)
        services.ticket_add_cc(ticket=ticket, actor=personas.agent, email=personas.outsider.email)
        assert "Invoice for Globex" in fresh(outsider, MINE)
        assert "Invoice for Globex" in cached(outsider, MINE)
        TicketCC.objects.filter(ticket=ticket).delete()
        assert "Invoice for Globex" not in fresh(outsider, MINE)

    def test_a_colleagues_request_in_a_shared_organization(
        self, customer: Client, personas: Personas
    ) -> None:
        twice(customer, "/en/requests/?scope=organization")
        make_ticket(personas.colleague, "Colleague's printer")
        assert "Colleague&#x27;s printer" in fresh(customer, "/en/requests/?scope=organization")

    def test_an_agents_new_name_on_the_conversation(
        self, customer: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, "Printer on fire")
        services.ticket_reply(ticket=ticket, author=personas.agent, body="On it.")
        twice(customer, detail(ticket))
        User.objects.filter(pk=personas.agent.pk).update(name="Jiwoo Renamed")
        assert "Jiwoo Renamed" in fresh(customer, detail(ticket))

    def test_a_setting_everyone_sees(self, customer: Client, personas: Personas) -> None:
        kind = RequestType.objects.create(names={"en": "Billing question"})
        assert "Billing question" in twice(customer, "/en/requests/new")[0]
        RequestType.objects.filter(pk=kind.pk).update(names={"en": "Invoices"})
        assert "Invoices" in fresh(customer, "/en/requests/new")

    def test_a_change_committed_while_the_page_was_rendered(
        self, customer: Client, personas: Personas
    ) -> None:
        """A transaction that wrote before the render but committed after it: the copy kept
        from that render must not be served (on PostgreSQL its row id is not the last)."""
        ticket = make_ticket(personas.customer, "Printer on fire")
        wrote, rendered = threading.Event(), threading.Event()

        writer = threading.Thread()

        def late_writer() -> None:
            try:
                with transaction.atomic():
                    Ticket.objects.filter(pk=ticket.pk).update(subject="Changed late")
                    wrote.set()
                    rendered.wait(10)
            finally:
                if threading.current_thread() is writer:
                    connections["default"].close()

        if connection.vendor == "sqlite":
            # One writer at a time and rows numbered in commit order: a write is committed
            # before or after the render's position is read, never across it (and the test
            # database is one in-memory file that threads cannot share). A change committed
            # before the render is on the page, and the copy stays good.
            rendered.set()
            late_writer()
            assert "Changed late" in fresh(customer, detail(ticket))
            assert "Changed late" in cached(customer, detail(ticket))
            return
        writer = threading.Thread(target=late_writer)
        writer.start()
        assert wrote.wait(10)
        assert "Changed late" not in customer.get(detail(ticket)).content.decode()
        rendered.set()
        writer.join(10)
        assert "Changed late" in fresh(customer, detail(ticket))


class WhoTests:
    def test_another_customer_never_gets_the_copy(
        self, customer: Client, personas: Personas
    ) -> None:
        make_ticket(personas.customer, "Printer on fire")
        twice(customer, MINE)
        outsider = signed_in(personas.outsider)
        # The same cookies but their own session: a copy is keyed on every cookie.
        outsider.cookies["csrftoken"] = customer.cookies["csrftoken"].value
        html = outsider.get(MINE).content.decode()
        assert "Printer on fire" not in html

    def test_a_signed_out_session_is_not_answered(
        self, customer: Client, personas: Personas
    ) -> None:
        make_ticket(personas.customer, "Printer on fire")
        twice(customer, MINE)
        cookies = {name: morsel.value for name, morsel in customer.cookies.items()}
        customer.post("/en/accounts/logout/")
        stolen = Client()
        for name, value in cookies.items():
            stolen.cookies[name] = value
        response = stolen.get(MINE)
        assert response.status_code == 302 and "X-Page-Cache" not in response

    def test_an_expired_or_ended_session_is_not_answered(
        self, customer: Client, personas: Personas
    ) -> None:
        twice(customer, MINE)
        Session.objects.update(expire_date=timezone.now())
        assert "X-Page-Cache" not in customer.get(MINE)
        again = signed_in(personas.customer)
        twice(again, MINE)
        again.session.delete()
        assert again.get(MINE).status_code == 302

    def test_a_deactivated_customer_is_not_answered(
        self, customer: Client, personas: Personas
    ) -> None:
        twice(customer, MINE)
        User.objects.filter(pk=personas.customer.pk).update(is_active=False)
        assert "X-Page-Cache" not in customer.get(MINE)

    def test_agents_pages_are_not_kept(self, personas: Personas) -> None:
        agent = signed_in(personas.agent)
        agent.get("/en/accounts/profile/")
        assert "X-Page-Cache" not in agent.get("/en/accounts/profile/")

    def test_htmx_a_pending_message_and_an_old_copy_go_to_the_stack(
        self, customer: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        twice(customer, MINE)
        assert "X-Page-Cache" not in customer.get(MINE, headers={"HX-Request": "true"})
        customer.cookies["messages"] = "x"
        assert "X-Page-Cache" not in customer.get(MINE)
        del customer.cookies["messages"]
        monkeypatch.setattr(personalcache, "MAX_AGE", 0)
        assert "X-Page-Cache" not in customer.get(MINE)


class TriggerTests:
    def test_every_table_says_what_its_rows_change(self) -> None:
        """A new model must be routed (or said to be on no customer page) in TABLES."""
        tables = set()
        for model in apps.get_models(include_auto_created=True):
            tables.add(model._meta.db_table)
        missing = sorted(tables - set(personalcache.TABLES))
        assert missing == []

    def test_they_note_whose_pages_a_write_changes(self, personas: Personas) -> None:
        start = PageChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
        make_ticket(personas.customer, "Printer on fire")
        scopes = set(PageChange.objects.filter(id__gt=start).values_list("scope", flat=True))
        assert {f"u:{personas.customer.pk}", f"o:{personas.acme.pk}"} <= scopes
        assert "*" not in scopes

    def test_they_are_off_for_a_bulk_load_and_back_after(self, personas: Personas) -> None:
        PageChange.objects.all().delete()
        with personalcache.triggers_off():
            make_ticket(personas.customer, "Loaded")
            assert not PageChange.objects.exists()
        make_ticket(personas.customer, "Written after")
        assert PageChange.objects.filter(scope=f"u:{personas.customer.pk}").exists()

    def test_they_are_pruned(self, personas: Personas) -> None:
        make_user("someone@acme.test", role=Role.CUSTOMER)
        assert PageChange.objects.exists()
        PageChange.objects.update(at=0)
        assert personalcache.prune_changes() > 0
        assert not PageChange.objects.exists()
