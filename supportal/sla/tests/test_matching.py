from __future__ import annotations

import pytest

from supportal.sla.matching import explain, policy_for
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Channel, CustomField, Priority, RequestType
from supportal.tickets.services import Changes, ticket_update

pytestmark = pytest.mark.django_db


class MatchingTests:
    def test_it_picks_the_first_active_policy_that_matches_in_order(
        self, personas: Personas
    ) -> None:
        make_policy("Catch-all", position=3)
        urgent = make_policy("Urgent", position=1, priorities=[Priority.URGENT, Priority.HIGH])
        make_policy("Off", position=0, active=False)
        ticket = make_ticket(personas.customer, priority=Priority.URGENT)
        assert policy_for(ticket) == urgent
        normal = make_ticket(personas.customer, priority=Priority.NORMAL)
        assert policy_for(normal).name == "Catch-all"

    def test_it_matches_nothing_without_policies(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        assert policy_for(ticket) is None
        assert explain(ticket) == []

    def test_it_reads_each_condition(self, personas: Personas) -> None:
        billing_type = RequestType.objects.create(names={"en": "Billing question"})
        plan = CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind="dropdown",
            choices=[
                {"value": "basic", "labels": {"en": "Basic"}},
                {"value": "pro", "labels": {"en": "Pro"}},
            ],
        )
        policy = make_policy(
            "Everything",
            priorities=[Priority.HIGH],
            channels=[Channel.WEB],
            request_types=[billing_type],
            groups=[personas.billing],
            organizations=[personas.acme],
            tags=["vip", "gold"],
            field_values={"plan": ["pro"]},
        )
        ticket = make_ticket(
            personas.customer,
            priority=Priority.HIGH,
            type=billing_type,
            group=personas.billing,
            fields={plan: "pro"},
        )
        assert policy_for(ticket) is None  # no tag yet
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(add_tags=["vip"]))
        assert policy_for(ticket) == policy
        for changes in (
            Changes(priority=Priority.LOW),
            Changes(type=None),
            Changes(group=personas.support),
            Changes(remove_tags=["vip"]),
            Changes(fields={plan: "basic"}),
        ):
            ticket.refresh_from_db()
            before = ticket.priority, ticket.type_id, ticket.group_id
            ticket_update(ticket=ticket, actor=personas.agent, changes=changes)
            ticket.refresh_from_db()
            assert policy_for(ticket) is None, changes
            ticket_update(
                ticket=ticket,
                actor=personas.agent,
                changes=Changes(
                    priority=before[0],
                    type=billing_type,
                    group=personas.billing,
                    add_tags=["vip"],
                    fields={plan: "pro"},
                ),
            )
            ticket.refresh_from_db()
            assert policy_for(ticket) == policy
        outsider = make_ticket(
            personas.outsider, priority=Priority.HIGH, type=billing_type, group=personas.billing
        )
        assert policy_for(outsider) is None
        emailed = make_ticket(
            personas.customer,
            priority=Priority.HIGH,
            type=billing_type,
            group=personas.billing,
            channel=Channel.EMAIL,
            fields={plan: "pro"},
        )
        ticket_update(ticket=emailed, actor=personas.agent, changes=Changes(add_tags=["gold"]))
        assert policy_for(emailed) is None

    def test_it_explains_each_condition_in_a_sentence(self, personas: Personas) -> None:
        make_policy(
            "Urgent", priorities=[Priority.URGENT, Priority.HIGH], groups=[personas.support]
        )
        make_policy("Tagged", position=1, tags=["vip"])
        make_policy("Default", position=2)
        ticket = make_ticket(personas.customer, priority=Priority.URGENT, group=personas.billing)
        urgent, tagged, default = explain(ticket)
        assert not urgent.matches
        assert [c.sentence for c in urgent.conditions] == [
            "Priority is Urgent, one of Urgent, High",
            "Group is Billing, not one of Support",
        ]
        assert [c.matched for c in urgent.conditions] == [True, False]
        assert not tagged.matches
        assert tagged.conditions[0].sentence == "Has none of the tags vip"
        assert default.matches
        assert default.conditions[0].sentence == "No conditions: applies to every request"

    def test_it_explains_in_the_current_language(self, personas: Personas) -> None:
        from django.utils import translation

        make_policy("Urgent", priorities=[Priority.URGENT])
        ticket = make_ticket(personas.customer, priority=Priority.LOW)
        with translation.override("en"):
            assert explain(ticket)[0].conditions[0].sentence == (
                "Priority is Low, not one of Urgent"
            )
