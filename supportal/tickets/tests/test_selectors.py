from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db.models import Q
from django.test.utils import override_settings
from django.utils import timezone, translation

from supportal.accounts.models import User
from supportal.test import Personas, make_ticket, make_user, shared_cache_queries
from supportal.tickets import selectors
from supportal.tickets.models import (
    CustomField,
    Priority,
    RequestType,
    Ticket,
    TicketFieldValue,
)
from supportal.tickets.services import Changes, ticket_update
from supportal.tickets.tests.test_inbox_fixtures import World, build_world, saved_view

pytestmark = pytest.mark.django_db


def matching(user: User, **conditions: object) -> set[int]:
    rule = selectors.conditions_q(conditions, user)
    return set(Ticket.objects.visible_to(user).filter(rule).values_list("pk", flat=True))


def rows(user: User, key: str) -> set[int]:
    view = selectors.view_for(user, key)
    assert view is not None
    return set(selectors.tickets_in(user, view).values_list("pk", flat=True))


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


class BuiltinViewTests:
    def test_it_shows_each_agent_their_groups_and_assignments(
        self, personas: Personas, world: World
    ) -> None:
        agent, w = personas.agent, world
        assert rows(agent, "mine") == {w.mine.pk, w.billing_mine.pk}
        assert rows(agent, "unassigned") == {w.support_new.pk, w.no_group.pk, w.pending.pk}
        assert rows(agent, "open") == {
            w.support_new.pk,
            w.no_group.pk,
            w.mine.pk,
            w.billing_mine.pk,
            w.pending.pk,
        }
        assert rows(agent, "pending") == {w.pending.pk}
        assert rows(agent, "solved") == {w.solved.pk, w.closed.pk}

    def test_it_shows_the_other_agent_only_billing_and_groupless_requests(
        self, personas: Personas, world: World
    ) -> None:
        kenji, w = personas.other_agent, world
        assert rows(kenji, "mine") == {w.kenji.pk}
        assert rows(kenji, "unassigned") == {w.billing_new.pk, w.no_group.pk}
        assert rows(kenji, "open") == {
            w.billing_new.pk,
            w.no_group.pk,
            w.billing_mine.pk,
            w.kenji.pk,
        }
        assert rows(kenji, "pending") == set()
        assert rows(kenji, "solved") == {w.closed.pk}

    def test_it_shows_admins_everything(self, personas: Personas, world: World) -> None:
        admin, w = personas.admin, world
        assert rows(admin, "mine") == set()
        assert rows(admin, "unassigned") == {
            w.support_new.pk,
            w.billing_new.pk,
            w.no_group.pk,
            w.pending.pk,
        }
        assert len(rows(admin, "open")) == 7
        assert rows(admin, "solved") == {w.solved.pk, w.closed.pk}

    def test_it_knows_no_other_views(self, personas: Personas) -> None:
        assert selectors.view_for(personas.agent, "everything") is None
        assert selectors.view_for(personas.agent, "saved-abc") is None
        private = saved_view(personas.other_agent)
        assert selectors.view_for(personas.agent, f"saved-{private.pk}") is None
        shared = saved_view(None, "Shared")
        assert selectors.view_for(personas.agent, f"saved-{shared.pk}") is not None


class ConditionTests:
    def test_it_filters_by_status_and_priority(self, personas: Personas, world: World) -> None:
        admin = personas.admin
        ticket_update(ticket=world.mine, actor=admin, changes=Changes(priority=Priority.URGENT))
        assert matching(admin, status=["pending", "closed"]) == {world.pending.pk, world.closed.pk}
        assert matching(admin, priority=[4]) == {world.mine.pk}
        assert matching(admin, priority=["4", "nonsense"], status=["new"]) == {world.mine.pk}

    def test_it_filters_by_group_assignee_and_type(self, personas: Personas, world: World) -> None:
        agent, w = personas.agent, world
        kind = RequestType.objects.create(names={"en": "Question"})
        Ticket.objects.filter(pk=w.pending.pk).update(type=kind)
        assert matching(agent, group=personas.billing.pk) == {w.billing_mine.pk}
        assert matching(agent, group="none") == {w.no_group.pk, w.closed.pk}
        assert matching(agent, assignee="me") == {w.mine.pk, w.billing_mine.pk}
        assert matching(personas.admin, assignee=personas.other_agent.pk) == {w.kenji.pk}
        assert w.mine.pk not in matching(agent, assignee="none")
        assert matching(agent, type=kind.pk) == {w.pending.pk}
        assert w.pending.pk not in matching(agent, type="none")

    def test_it_matches_any_of_the_tags(self, personas: Personas, world: World) -> None:
        admin = personas.admin
        ticket_update(ticket=world.mine, actor=admin, changes=Changes(add_tags=["vip"]))
        ticket_update(ticket=world.kenji, actor=admin, changes=Changes(add_tags=["refund"]))
        assert matching(admin, tags=["VIP", "refund", "nothing"]) == {world.mine.pk, world.kenji.pk}
        assert matching(admin, tags=["vip"]) == {world.mine.pk}

    def test_it_matches_custom_field_values_and_empty_fields(
        self, personas: Personas, world: World
    ) -> None:
        plan = CustomField.objects.create(key="plan", labels={"en": "Plan"})
        vip = CustomField.objects.create(key="vip", kind=CustomField.Kind.CHECKBOX)
        TicketFieldValue.objects.create(ticket=world.mine, field=plan, value="gold")
        TicketFieldValue.objects.create(ticket=world.kenji, field=plan, value="silver")
        TicketFieldValue.objects.create(ticket=world.kenji, field=vip, value="1")
        admin = personas.admin
        gold = {"field": plan.pk, "value": "gold"}
        assert matching(admin, fields=[gold]) == {world.mine.pk}
        silver_vip = [{"field": plan.pk, "value": "silver"}, {"field": vip.pk, "value": "1"}]
        assert matching(admin, fields=silver_vip) == {world.kenji.pk}
        without_plan = matching(admin, fields=[{"field": plan.pk, "value": ""}])
        assert world.mine.pk not in without_plan and world.pending.pk in without_plan
        # A field since deleted matches nothing; a malformed condition is ignored.
        assert matching(admin, fields=[{"field": 999, "value": "gold"}]) == set()
        assert len(matching(admin, fields=[{"field": "x"}, "junk"])) == 10

    def test_it_filters_by_requester_and_organization(
        self, personas: Personas, world: World
    ) -> None:
        admin = personas.admin
        by_outsider = {world.no_group.pk, world.closed.pk}
        assert matching(admin, requester=" WANG@globex.test ") == by_outsider
        assert matching(admin, organization=personas.globex.pk) == by_outsider
        assert matching(admin, requester="nobody@example.test") == set()

    def test_it_filters_by_dates_including_both_days_in_the_readers_zone(
        self, personas: Personas
    ) -> None:
        seoul = make_user("seoul@support.test", role="admin", time_zone="Asia/Seoul")
        with time_machine.travel(datetime(2025, 3, 1, 14, 30, tzinfo=UTC), tick=False):
            first = make_ticket(personas.customer, "First")  # 23:30 on March 1st in Seoul
        with time_machine.travel(datetime(2025, 3, 1, 15, 30, tzinfo=UTC), tick=False):
            second = make_ticket(personas.customer, "Second")  # 00:30 on March 2nd in Seoul
        with time_machine.travel(datetime(2025, 3, 5, 9, tzinfo=UTC), tick=False):
            ticket_update(ticket=first, actor=seoul, changes=Changes(priority=Priority.HIGH))
        with timezone.override("Asia/Seoul"):
            assert matching(seoul, created_before="2025-03-01") == {first.pk}
            assert matching(seoul, created_after="2025-03-02") == {second.pk}
            both = matching(seoul, created_after="2025-03-01", created_before="2025-03-02")
            assert both == {first.pk, second.pk}
            assert matching(seoul, updated_after="2025-03-05") == {first.pk}
            assert matching(seoul, updated_before="2025-03-04") == {second.pk}
        with timezone.override("UTC"):
            assert matching(seoul, created_before="2025-03-01") == {first.pk, second.pk}

    def test_it_ignores_unknown_keys_and_malformed_values(
        self, personas: Personas, world: World
    ) -> None:
        everything = matching(personas.admin)
        assert len(everything) == 10
        assert matching(personas.admin, colour="red", group="abc", priority=["x"]) == everything
        assert matching(personas.admin, created_after="yesterday", status="open") == everything
        assert matching(personas.admin, assignee=["me"], tags="vip") == everything
        assert selectors.conditions_q(["not", "a", "dict"], personas.admin) == Q()

    def test_it_still_applies_visibility(self, personas: Personas, world: World) -> None:
        kenji = personas.other_agent
        assert matching(kenji, group=personas.support.pk) == set()
        view = selectors.saved_inbox_view(kenji, saved_view(None, group=personas.support.pk))
        assert not selectors.tickets_in(kenji, view).exists()


class CursorTests:
    def test_it_round_trips_each_sort(self, personas: Personas) -> None:
        from supportal.sla.models import TicketSla

        ticket = make_ticket(personas.customer)
        ticket.solved_at = timezone.now()
        TicketSla.objects.update_or_create(ticket=ticket, defaults={"next_due_at": timezone.now()})
        for sort in [*selectors.SORTS.values(), selectors.SOLVED_SORT]:
            cursor = selectors.encode_cursor(ticket, sort)
            values = selectors.decode_cursor(cursor, sort)
            expected = []
            for name in sort.fields:  # "sla__next_due_at": through the joined row
                value = ticket
                for step in name.split("__"):
                    value = getattr(value, step)
                expected.append(value)
            assert values == tuple(expected), sort.key

    @pytest.mark.parametrize(
        "cursor", ["", "abc", "1", "1.2.3", "1.x", "9" * 40 + ".1", "1." + "9" * 30, "-1e5.2"]
    )
    def test_it_refuses_malformed_cursors(self, cursor: str) -> None:
        assert selectors.decode_cursor(cursor, selectors.SORTS["updated"]) is None


class NeighbourTests:
    def test_it_walks_a_view_in_its_order(self, personas: Personas, world: World) -> None:
        agent = personas.agent
        # Newest first: billing_mine was assigned after mine.
        assert selectors.neighbour(agent, "mine", world.billing_mine, "next") == world.mine.pk
        assert selectors.neighbour(agent, "mine", world.mine, "previous") == world.billing_mine.pk
        assert selectors.neighbour(agent, "mine", world.mine, "next") is None
        assert selectors.neighbour(agent, "mine", world.billing_mine, "previous") is None

    def test_it_breaks_ties_by_number(self, personas: Personas, world: World) -> None:
        same = timezone.now()
        Ticket.objects.filter(is_open=True).update(updated_at=same)
        agent = personas.agent
        order = sorted(rows(agent, "open"), reverse=True)
        ticket = Ticket.objects.get(pk=order[1])
        assert selectors.neighbour(agent, "open", ticket, "next") == order[2]
        assert selectors.neighbour(agent, "open", ticket, "previous") == order[0]

    def test_it_answers_none_outside_the_view(self, personas: Personas, world: World) -> None:
        agent = personas.agent
        assert selectors.neighbour(agent, "mine", world.support_new, "next") is None
        assert selectors.neighbour(agent, "open", world.kenji, "next") is None
        assert selectors.neighbour(agent, "nonsense", world.mine, "next") is None
        assert selectors.neighbour(agent, "mine", world.mine, "sideways") is None

    def test_it_walks_saved_views_in_their_sort(self, personas: Personas, world: World) -> None:
        view = saved_view(personas.agent, group=personas.support.pk)
        view.sort = "number"
        view.save()
        key = f"saved-{view.pk}"
        agent = personas.agent
        assert selectors.neighbour(agent, key, world.pending, "next") == world.mine.pk
        assert selectors.neighbour(agent, key, world.pending, "previous") == world.solved.pk
        assert selectors.neighbour(personas.other_agent, key, world.pending, "next") is None


class CountTests:
    @override_settings(INBOX_COUNT_LIMIT=3)
    def test_it_counts_no_further_than_the_limit(self, personas: Personas, world: World) -> None:
        admin = personas.admin
        views = selectors.all_views(admin, [])
        counts = {item.view.key: item for item in selectors.view_counts(admin, views)}
        assert counts["open"].count == 4 and counts["open"].label == "3+"
        assert counts["unassigned"].count == 4 and counts["unassigned"].capped
        assert (counts["pending"].label, counts["solved"].label, counts["mine"].label) == (
            "1",
            "2",
            "0",
        )

    def test_it_keeps_counts_for_a_minute_per_scope(
        self, personas: Personas, world: World, django_assert_num_queries: Callable
    ) -> None:
        agent = personas.agent
        views = selectors.all_views(agent, [])
        first = [item.count for item in selectors.view_counts(agent, views)]
        make_ticket(personas.customer, "New one", group=personas.support)
        with django_assert_num_queries(shared_cache_queries()):
            again = [item.count for item in selectors.view_counts(agent, views)]
        assert again == first
        # Another agent (and admins) are counted apart.
        kenji = [c.count for c in selectors.view_counts(personas.other_agent, views)]
        assert kenji != first
        with time_machine.travel(timezone.now() + timedelta(seconds=61)):
            later = [item.count for item in selectors.view_counts(agent, views)]
        assert later[2] == first[2] + 1  # "open"

    def test_it_formats_large_counts_for_the_reader(self, personas: Personas) -> None:
        view = selectors.builtin_view(personas.agent, "open")
        assert view is not None
        with override_settings(INBOX_COUNT_LIMIT=10_000), translation.override("en"):
            assert selectors.ViewCount(view, 10_001).label == "10,000+"
            assert selectors.ViewCount(view, 1234).label == "1,234"
            assert selectors.ViewCount(view, 10_000).label == "10,000"


class NextBreachQueryTests:
    def test_lists_by_next_breach_read_open_as_a_filter_not_an_index_term(
        self, personas: Personas
    ) -> None:
        """SQLite should walk the SLA rows' (next_due_at, ticket) index, not every open request
        (0.5 ms against 0.23 s for a first page at a million requests)."""
        view = selectors.view_for(personas.admin, "open")
        assert view is not None
        by_breach = str(
            selectors.tickets_in(personas.admin, view, selectors.SORTS["next_breach"]).query
        )
        by_update = str(selectors.tickets_in(personas.admin, view).query)
        assert '"is_open" IN' not in by_breach and '"is_open"' in by_breach
        assert '"is_open" IN' in by_update
