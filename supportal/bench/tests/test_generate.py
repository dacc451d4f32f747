from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from supportal.bench.generate import GENERATED_DOMAIN, generated_users
from supportal.test import Personas, make_ticket
from supportal.tickets import search
from supportal.tickets.models import (
    UNSOLVED,
    Message,
    Status,
    Ticket,
    TicketEvent,
    TicketSearch,
)

pytestmark = pytest.mark.django_db

SMALL = {"tickets": 200, "messages_per_ticket": 3, "customers": 30, "agents": 6, "verbosity": 0}


def generate(**options: object) -> None:
    call_command("generate_data", **{**SMALL, **options})


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        return {
            name
            for table in ("tickets_ticket", "tickets_message", "tickets_ticketevent")
            for name in connection.introspection.get_constraints(cursor, table)
        }


class GenerateDataTests:
    def test_it_makes_the_requested_numbers_of_rows(self) -> None:
        generate()
        assert Ticket.objects.count() == 200
        assert Message.objects.count() == 600  # three a request on average, exactly
        assert generated_users().filter(role="customer").count() == 30
        assert generated_users().filter(role__in=("agent", "admin")).count() == 6
        assert TicketSearch.objects.count() == 200
        assert TicketEvent.objects.filter(kind="created").count() == 200

    def test_it_makes_requests_that_hold_together(self) -> None:
        generate()
        statuses = set(Ticket.objects.values_list("status", flat=True))
        assert statuses <= set(Status.values)
        assert Status.CLOSED in statuses
        assert not Ticket.objects.filter(updated_at__lt=F("created_at")).exists()
        for ticket in Ticket.objects.all():
            assert ticket.is_open == (ticket.status in UNSOLVED)
            assert (ticket.solved_at is not None) == (
                ticket.status in (Status.SOLVED, Status.CLOSED)
            )
        solved = Ticket.objects.filter(status=Status.SOLVED).first()
        assert solved.events.filter(field="status", new_value=Status.SOLVED).exists()
        assert Message.objects.filter(public=False).exists()  # some internal notes
        assert Ticket.objects.filter(assignee__isnull=False).exists()

    def test_it_writes_the_search_terms_the_index_would(self) -> None:
        generate(tickets=60)
        for ticket in Ticket.objects.select_related("requester", "search"):
            bodies = ticket.messages.order_by("pk").values_list("body", flat=True)
            assert ticket.search.terms == search.ticket_terms(ticket, bodies)

    def test_it_lets_search_find_a_generated_request_by_a_word_of_its_message(self) -> None:
        generate(tickets=50)
        message = Message.objects.filter(body__startswith="Hello, I am trying").first()
        assert message is not None
        found = search.matching(Ticket.objects.all(), "trying error " + message.body.split()[7])
        assert message.ticket_id in set(found.values_list("pk", flat=True))

    def test_it_builds_the_indexes_again_after_the_load(self) -> None:
        before = index_names()
        generate(tickets=50)
        assert index_names() == before

    def test_it_adds_to_a_generated_database(self) -> None:
        generate(tickets=20)
        generate(tickets=30, seed=8)
        assert Ticket.objects.count() == 50
        assert not Ticket.objects.exclude(requester__email__endswith=GENERATED_DOMAIN).exists()

    def test_it_refuses_a_database_with_real_requests(self, personas: Personas) -> None:
        make_ticket(personas.customer)
        with pytest.raises(CommandError, match="not generated"):
            generate(tickets=10)
        assert Ticket.objects.count() == 1
        assert not generated_users().exists()

    def test_it_adds_to_a_database_with_real_requests_when_forced(self, personas: Personas) -> None:
        make_ticket(personas.customer)
        generate(tickets=10, force=True)
        assert Ticket.objects.count() == 11

    def test_it_refuses_sizes_out_of_range(self) -> None:
        with pytest.raises(CommandError, match="--tickets"):
            generate(tickets=0)
        assert not generated_users().exists()
