"""Triggers: conditions, actions, order, loop safety, mail, and their cost on a request change."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.rules import triggers
from supportal.rules.models import Trigger
from supportal.rules.tests.helpers import act, cond, mails_to, make_trigger
from supportal.test import Personas, make_ticket, make_user
from supportal.tickets import via
from supportal.tickets.models import (
    Channel,
    CustomField,
    Priority,
    RequestType,
    Status,
    Ticket,
    TicketEvent,
)
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db


def tags(ticket: Ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def update(ticket: Ticket, actor: object, **changes: object) -> Ticket:
    ticket_update(ticket=ticket, actor=actor, changes=Changes(**changes))  # type: ignore[arg-type]
    ticket.refresh_from_db()
    return ticket


class TriggerConditionTests:
    def test_it_fires_on_a_field_value_and_not_otherwise(self, personas: Personas) -> None:
        make_trigger(
            all=[cond("priority", "is", Priority.URGENT)], actions=[act("add_tags", "hot")]
        )
        calm = make_ticket(personas.customer)
        assert tags(calm) == set()
        urgent = make_ticket(personas.customer, priority=Priority.URGENT)
        assert tags(urgent) == {"hot"}

    @pytest.mark.parametrize(
        ("condition", "expected"),
        [
            (cond("status", "is", Status.NEW), True),
            (cond("status", "is_not", Status.NEW), False),
            (cond("channel", "is", Channel.EMAIL), True),
            (cond("channel", "is", Channel.WEB), False),
            (cond("assignee", "is", "none"), True),
            (cond("language", "is", "ko"), True),
            (cond("language", "is", "ja"), False),
            (cond("subject", "contains", "REFUND now"), True),
            (cond("subject", "not_contains", "refund"), False),
            (cond("description", "contains", "invoice"), True),
            (cond("description", "contains", "password"), False),
            (cond("updated_by", "is", "customer"), True),
            (cond("updated_by", "is", "agent"), False),
        ],
    )
    def test_it_evaluates_each_condition_on_a_new_request(
        self, personas: Personas, condition: dict, expected: bool
    ) -> None:
        make_trigger(all=[condition], actions=[act("add_tags", "matched")])
        requester = make_user("jun@example.test", language="ko")
        ticket = make_ticket(
            requester, "Refund please", "My invoice is wrong.", channel=Channel.EMAIL
        )
        assert (tags(ticket) == {"matched"}) is expected

    def test_it_reads_group_organization_type_and_assignee(self, personas: Personas) -> None:
        kind = RequestType.objects.create(names={"en": "Billing"})
        make_trigger(
            all=[
                cond("group", "is", personas.billing.pk),
                cond("organization", "is", personas.acme.pk),
                cond("type", "is", kind.pk),
                cond("assignee", "is", personas.other_agent.pk),
            ],
            actions=[act("add_tags", "all-four")],
        )
        ticket = make_ticket(personas.customer, group=personas.billing, type=kind)
        assert tags(ticket) == set()
        update(ticket, personas.admin, assignee=personas.other_agent)
        assert tags(ticket) == {"all-four"}

    def test_it_reads_tags_with_any_and_none_of(self, personas: Personas) -> None:
        make_trigger(
            all=[cond("tags", "includes", "vip gold"), cond("tags", "excludes", "seen")],
            actions=[act("add_tags", "seen")],
        )
        ticket = make_ticket(personas.customer)
        update(ticket, personas.agent, add_tags=["gold"])
        assert tags(ticket) == {"gold", "seen"}

    def test_it_reads_custom_field_values(self, personas: Personas) -> None:
        plan = CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind=CustomField.Kind.DROPDOWN,
            choices=[{"value": "pro", "labels": {"en": "Pro"}}, {"value": "free", "labels": {}}],
        )
        make_trigger(all=[cond("field:plan", "is", "pro")], actions=[act("set_priority", 3)])
        ticket = make_ticket(personas.customer)
        update(ticket, personas.agent, fields={plan: "pro"})
        assert ticket.priority == Priority.HIGH

    def test_it_reacts_to_what_changed(self, personas: Personas) -> None:
        make_trigger(
            all=[cond("status", "changed_to", Status.SOLVED), cond("updated_by", "is", "agent")],
            actions=[act("add_tags", "solved-by-agent")],
        )
        make_trigger(
            all=[cond("status", "changed_from", Status.NEW)], actions=[act("add_tags", "left-new")]
        )
        make_trigger(all=[cond("priority", "changed")], actions=[act("add_tags", "reprioritized")])
        ticket = make_ticket(personas.customer)
        update(ticket, personas.agent, status=Status.OPEN)
        assert tags(ticket) == {"left-new"}
        update(ticket, personas.agent, status=Status.SOLVED)
        assert tags(ticket) == {"left-new", "solved-by-agent"}
        update(ticket, personas.agent, priority=Priority.LOW)
        assert "reprioritized" in tags(ticket)

    def test_it_reacts_to_assignee_and_group_changes(self, personas: Personas) -> None:
        make_trigger(
            all=[cond("assignee", "changed_to", personas.agent.pk)],
            actions=[act("add_tags", "jiwoo")],
        )
        make_trigger(
            all=[cond("group", "changed_from", "none")], actions=[act("add_tags", "grouped")]
        )
        ticket = make_ticket(personas.customer)
        update(ticket, personas.admin, assignee=personas.agent, group=personas.support)
        assert tags(ticket) == {"jiwoo", "grouped"}

    def test_it_tells_public_replies_from_notes(self, personas: Personas) -> None:
        make_trigger(all=[cond("message", "is", "public_customer")], actions=[act("add_tags", "c")])
        make_trigger(all=[cond("message", "is", "public_agent")], actions=[act("add_tags", "a")])
        make_trigger(all=[cond("message", "is", "note")], actions=[act("add_tags", "n")])
        ticket = make_ticket(personas.customer)
        assert tags(ticket) == set()
        ticket_reply(ticket=ticket, author=personas.agent, body="A note", public=False)
        assert tags(ticket) == {"n"}
        ticket_reply(ticket=ticket, author=personas.agent, body="Hello")
        ticket_reply(ticket=ticket, author=personas.customer, body="Thanks")
        assert tags(ticket) == {"n", "a", "c"}

    def test_it_needs_one_of_the_any_conditions(self, personas: Personas) -> None:
        make_trigger(
            any=[cond("subject", "contains", "urgent"), cond("subject", "contains", "asap")],
            actions=[act("set_priority", Priority.URGENT)],
        )
        assert make_ticket(personas.customer, "Help ASAP").priority == Priority.URGENT
        assert make_ticket(personas.customer, "Help later").priority == Priority.NORMAL


class TriggerRunsOnTests:
    def test_it_runs_on_create_only_or_update_only(self, personas: Personas) -> None:
        make_trigger("new", runs_on=Trigger.RunsOn.CREATED, actions=[act("add_tags", "created")])
        make_trigger(
            "upd",
            runs_on=Trigger.RunsOn.UPDATED,
            all=[cond("updated_by", "is", "agent")],
            actions=[act("add_tags", "updated")],
        )
        ticket = make_ticket(personas.customer)
        assert tags(ticket) == {"created"}
        update(ticket, personas.agent, priority=Priority.HIGH)
        assert tags(ticket) == {"created", "updated"}

    def test_it_skips_inactive_triggers(self, personas: Personas) -> None:
        trigger = make_trigger(actions=[act("add_tags", "x")])
        triggers.trigger_set_active(trigger=trigger, active=False)
        assert tags(make_ticket(personas.customer)) == set()


class TriggerActionTests:
    def test_it_sets_fields_and_records_which_rule_did_it(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        kind = RequestType.objects.create(names={"en": "Billing"})
        trigger = make_trigger(
            runs_on=Trigger.RunsOn.CREATED,
            actions=[
                act("set_status", Status.OPEN),
                act("set_priority", Priority.HIGH),
                act("set_type", kind.pk),
                act("set_group", personas.support.pk),
                act("set_assignee", personas.agent.pk),
                act("add_tags", "a b"),
            ],
        )
        with django_capture_on_commit_callbacks(execute=True):
            ticket = make_ticket(personas.customer)
        assert (ticket.status, ticket.priority) == (Status.OPEN, Priority.HIGH)
        assert (ticket.type, ticket.group, ticket.assignee) == (
            kind,
            personas.support,
            personas.agent,
        )
        assert tags(ticket) == {"a", "b"}
        events = TicketEvent.objects.filter(ticket=ticket, kind="changed")
        assert {e.via for e in events} == {f"trigger:{trigger.pk}"}
        assert {e.actor_id for e in events} == {None}
        assert {e.channel for e in events} == {Channel.SYSTEM}
        trigger.refresh_from_db()
        assert trigger.fired_count == 1

    def test_it_removes_tags_clears_the_assignee_and_sets_a_field(self, personas: Personas) -> None:
        CustomField.objects.create(key="source", labels={"en": "Source"})
        make_trigger(
            all=[cond("status", "changed_to", Status.SOLVED)],
            actions=[
                act("remove_tags", "waiting"),
                act("set_assignee", "none"),
                act("set_field", "source=rule"),
            ],
        )
        ticket = make_ticket(personas.customer)
        update(ticket, personas.agent, add_tags=["waiting", "keep"], assignee=personas.agent)
        update(ticket, personas.agent, status=Status.SOLVED)
        assert tags(ticket) == {"keep"}
        assert ticket.assignee is None
        assert dict(ticket.field_values.values_list("field__key", "value")) == {"source": "rule"}


class TriggerOrderTests:
    def test_it_runs_in_order_and_later_triggers_see_earlier_changes(
        self, personas: Personas
    ) -> None:
        second = make_trigger(
            "second", all=[cond("tags", "includes", "first")], actions=[act("add_tags", "second")]
        )
        first = make_trigger(runs_on=Trigger.RunsOn.CREATED, actions=[act("add_tags", "first")])
        assert tags(make_ticket(personas.customer)) == {"first", "second"}
        triggers.trigger_move(trigger=first, direction="up")
        assert list(Trigger.objects.values_list("pk", flat=True)) == [first.pk, second.pk]
        assert tags(make_ticket(personas.customer)) == {"first", "second"}

    def test_it_keeps_positions_when_moving_past_the_ends(self, personas: Personas) -> None:
        one = make_trigger("one", actions=[act("add_tags", "1")])
        two = make_trigger("two", actions=[act("add_tags", "2")])
        triggers.trigger_move(trigger=one, direction="up")
        triggers.trigger_move(trigger=two, direction="down")
        assert list(Trigger.objects.values_list("name", "position")) == [("one", 0), ("two", 1)]
        with pytest.raises(ValidationError):
            triggers.trigger_move(trigger=one, direction="sideways")


class TriggerLoopTests:
    def test_it_fires_each_trigger_once_in_a_chain(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        raise_it = make_trigger(
            "raise", all=[cond("subject", "contains", "outage")], actions=[act("set_priority", 4)]
        )
        react = make_trigger(
            "react",
            all=[cond("priority", "changed_to", 4)],
            actions=[act("add_tags", "escalated")],
        )
        with django_capture_on_commit_callbacks(execute=True):
            ticket = make_ticket(personas.customer, "Total outage")
        assert ticket.priority == Priority.URGENT
        assert tags(ticket) == {"escalated"}
        raise_it.refresh_from_db()
        react.refresh_from_db()
        assert (raise_it.fired_count, react.fired_count) == (1, 1)

    def test_it_never_fires_a_trigger_on_its_own_change(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        trigger = make_trigger(
            runs_on=Trigger.RunsOn.UPDATED,
            all=[cond("priority", "changed")],
            actions=[act("set_priority", Priority.LOW), act("add_tags", "x")],
        )
        ticket = make_ticket(personas.customer)
        with django_capture_on_commit_callbacks(execute=True):
            update(ticket, personas.agent, priority=Priority.HIGH)
        assert ticket.priority == Priority.LOW
        trigger.refresh_from_db()
        assert trigger.fired_count == 1

    def test_it_stops_a_ping_pong_at_the_fixed_depth_and_says_why(
        self,
        personas: Personas,
        caplog: pytest.LogCaptureFixture,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        # Each undoes the other's change, which the form refuses one by one; written straight
        # to the table, as a pair of rules could end up after later edits to either.
        ping = Trigger.objects.create(
            name="ping",
            position=1,
            runs_on=Trigger.RunsOn.UPDATED,
            conditions_all=[cond("priority", "changed_to", Priority.LOW)],
            actions=[act("set_priority", Priority.HIGH)],
        )
        pong = Trigger.objects.create(
            name="pong",
            position=2,
            runs_on=Trigger.RunsOn.UPDATED,
            conditions_all=[cond("priority", "changed_to", Priority.HIGH)],
            actions=[act("set_priority", Priority.LOW)],
        )
        triggers.triggers_changed()
        ticket = make_ticket(personas.customer)
        with (
            caplog.at_level(logging.WARNING, logger="supportal.rules.triggers"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            update(ticket, personas.agent, priority=Priority.LOW)
        changes = TicketEvent.objects.filter(ticket=ticket, field="priority").exclude(via="")
        assert changes.count() == triggers.MAX_DEPTH
        messages = [r.getMessage() for r in caplog.records if r.name == "supportal.rules.triggers"]
        assert len(messages) == 1
        assert "stops here" in messages[0]
        assert f"request #{ticket.pk}" in messages[0]
        ping.refresh_from_db()
        pong.refresh_from_db()
        assert ping.fired_count + pong.fired_count == triggers.MAX_DEPTH


class TriggerMailTests:
    def test_it_emails_the_requester_in_their_language_with_placeholders(
        self, personas: Personas
    ) -> None:
        make_trigger(
            runs_on=Trigger.RunsOn.CREATED,
            all=[cond("channel", "is", Channel.EMAIL)],
            actions=[
                act(
                    "notify_requester",
                    subject="Re: {{ticket.subject}}",
                    body="Hi {{requester.first_name}}, #{{ticket.number}} is {{ticket.status}}.",
                )
            ],
        )
        requester = make_user("jun@example.test", name="Jun Park", language="ko")
        ticket = make_ticket(requester, "Printer", "It jams.", channel=Channel.EMAIL)
        mails = mails_to("jun@example.test")
        # The acknowledgement of the service, and the trigger's own mail.
        ours = [m for m in mails if m.subject == f"[#{ticket.pk}] Re: Printer"]
        assert len(ours) == 1
        assert f"Hi Jun, #{ticket.pk} is 신규." in ours[0].body_text
        assert f"문의 보기: {settings.SITE_URL}/ko/requests/{ticket.pk}/" in ours[0].body_text
        assert b"Auto-Submitted: auto-replied" in bytes(ours[0].raw)
        assert b"In-Reply-To:" in bytes(ours[0].raw) or b"References:" in bytes(ours[0].raw)

    def test_it_emails_a_group_and_an_agent_as_automatic_mail(self, personas: Personas) -> None:
        make_trigger(
            runs_on=Trigger.RunsOn.CREATED,
            all=[cond("group", "is", personas.billing.pk)],
            actions=[
                act("notify_group", personas.billing.pk, subject="New", body="{{recipient.name}}"),
                act("notify_agent", personas.agent.pk, subject="FYI", body="{{ticket.url}}"),
            ],
        )
        ticket = make_ticket(personas.customer, group=personas.billing)
        billing = mails_to(personas.other_agent.email)
        assert [m.subject for m in billing] == [f"[#{ticket.pk}] New"]
        assert "Kenji Billing" in billing[0].body_text
        assert b"Auto-Submitted: auto-generated" in bytes(billing[0].raw)
        agent = mails_to(personas.agent.email)
        assert f"/agent/requests/{ticket.pk}" in agent[0].body_text

    def test_it_suggests_help_center_articles(self, personas: Personas) -> None:
        from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section

        make_article(make_section(), "Reset your password", "How to reset a password.")
        make_trigger(
            runs_on=Trigger.RunsOn.CREATED,
            actions=[act("notify_requester", subject="Ideas", body="{{suggested_articles}}")],
        )
        ticket = make_ticket(personas.customer, "Password reset")
        mail = next(m for m in mails_to(personas.customer.email) if "Ideas" in m.subject)
        assert "Reset your password" in mail.body_text
        assert ticket.pk


class TriggerCostTests:
    def _update_queries(self, personas: Personas, ticket: Ticket) -> int:
        with CaptureQueriesContext(connection) as queries:
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(priority=Priority.HIGH)
            )
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(priority=Priority.LOW))
        return len(queries)

    def test_it_adds_no_query_without_triggers(self, personas: Personas) -> None:
        from supportal.tickets import hooks

        ticket = make_ticket(personas.customer)
        with_receiver = self._update_queries(personas, ticket)
        hooks._receivers.remove(triggers.on_ticket_changed)
        try:
            without = self._update_queries(personas, ticket)
        finally:
            hooks.connect(triggers.on_ticket_changed)
        assert with_receiver == without

    def test_it_costs_the_same_queries_with_one_or_fifty_triggers(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        make_trigger(
            all=[cond("subject", "contains", "never-there")], actions=[act("add_tags", "x")]
        )
        triggers.active_triggers()  # the copy is built once per process
        one = self._update_queries(personas, ticket)
        for n in range(49):
            make_trigger(
                f"t{n}",
                all=[cond("tags", "includes", f"t{n}"), cond("status", "is", Status.SOLVED)],
                actions=[act("add_tags", "x")],
            )
        triggers.active_triggers()
        fifty = self._update_queries(personas, ticket)
        assert len(triggers.active_triggers()) == 50
        # One more for the tags the new triggers read, loaded once whatever their number.
        assert fifty <= one + 1


class TriggerDemoTests:
    def test_it_loads_the_demo_rules_once(self, personas: Personas) -> None:
        from supportal.rules.models import Automation
        from supportal.rules.trigger_demo import load_demo_triggers

        load_demo_triggers()
        load_demo_triggers()
        assert Trigger.objects.count() == 3
        assert Trigger.objects.filter(active=False).count() == 1
        assert Automation.objects.count() == 3
        ticket = make_ticket(personas.customer, "URGENT: the site is down")
        assert ticket.priority == Priority.HIGH
        assert tags(ticket) == {"urgent"}
        billing = make_ticket(personas.customer, "Invoice", group=personas.billing)
        assert [m.subject for m in mails_to(personas.other_agent.email)] == [
            f"[#{billing.pk}] New billing request: Invoice"
        ]


class TriggerRobustnessTests:
    def test_a_rule_that_cannot_be_read_is_skipped_and_logged(
        self, personas: Personas, caplog: pytest.LogCaptureFixture
    ) -> None:
        Trigger.objects.create(
            name="Broken",
            position=1,
            conditions_all=[{"field": "hours_since_created", "op": "gte", "value": "x"}],
            actions=[act("add_tags", "x")],
        )
        Trigger.objects.create(name="Fine", position=2, actions=[act("add_tags", "fine")])
        triggers.triggers_changed()
        with caplog.at_level(logging.ERROR, logger="supportal.rules.triggers"):
            ticket = make_ticket(personas.customer)
        assert tags(ticket) == {"fine"}
        assert "trigger" in caplog.records[0].getMessage()


class TriggerCurrentAgentTests:
    def test_it_assigns_the_agent_who_replies_first(self, personas: Personas) -> None:
        make_trigger(
            all=[cond("message", "is", "public_agent"), cond("assignee", "is", "none")],
            actions=[act("set_assignee", "current"), act("add_tags", "taken")],
        )
        ticket = make_ticket(personas.customer)
        ticket_reply(ticket=ticket, author=personas.customer, body="Anyone?")
        ticket.refresh_from_db()
        assert ticket.assignee is None
        ticket_reply(ticket=ticket, author=personas.other_agent, body="On it")
        ticket.refresh_from_db()
        assert ticket.assignee == personas.other_agent
        assert tags(ticket) == {"taken"}

    def test_it_tells_the_current_agent_from_others(self, personas: Personas) -> None:
        make_trigger(
            runs_on=Trigger.RunsOn.UPDATED,
            all=[cond("assignee", "changed_to", "current")],
            actions=[act("add_tags", "self-assigned")],
        )
        make_trigger(
            runs_on=Trigger.RunsOn.UPDATED,
            all=[cond("assignee", "is_not", "current"), cond("priority", "changed")],
            actions=[
                act("notify_agent", "current", subject="Not yours", body="#{{ticket.number}}")
            ],
        )
        ticket = make_ticket(personas.customer)
        update(ticket, personas.admin, assignee=personas.agent)
        assert tags(ticket) == set()
        update(ticket, personas.agent, assignee=personas.other_agent)
        update(ticket, personas.other_agent, assignee=personas.other_agent, priority=3)
        assert tags(ticket) == set()
        update(ticket, personas.agent, priority=4)
        assert [m.subject for m in mails_to(personas.agent.email)][-1] == (
            f"[#{ticket.pk}] Not yours"
        )
        update(ticket, personas.admin, assignee=personas.admin)
        assert tags(ticket) == {"self-assigned"}

    def test_automations_cannot_name_the_current_agent(self, personas: Personas) -> None:
        from supportal.rules.tests.helpers import make_automation

        with pytest.raises(ValidationError) as error:
            make_automation(
                all=[cond("hours_since_created", "gte", 5)],
                actions=[act("set_assignee", "current")],
            )
        assert "only works in a trigger" in str(error.value)


class ViaLabelTests:
    def test_it_names_the_rules_behind_changes(self, personas: Personas) -> None:
        from supportal.rules.tests.helpers import make_automation

        trigger = make_trigger("Tag urgent words", actions=[act("add_tags", "x")])
        automation = make_automation(
            "Close",
            all=[cond("hours_since_solved", "gte", 96)],
            actions=[act("set_status", "closed")],
        )
        labels = via.labels(
            [f"trigger:{trigger.pk}", f"automation:{automation.pk}", "trigger:999", "odd:1", ""]
        )
        assert labels == {
            f"trigger:{trigger.pk}": "Trigger “Tag urgent words”",
            f"automation:{automation.pk}": "Automation “Close”",
            "trigger:999": "Trigger “#999”",
            "odd:1": "odd #1",
        }

    def test_the_request_history_says_which_rule_made_a_change(
        self, client: Any, personas: Personas
    ) -> None:
        make_trigger(
            "Tag urgent words",
            all=[cond("subject", "contains", "urgent")],
            actions=[act("add_tags", "urgent")],
        )
        ticket = make_ticket(personas.customer, subject="Urgent: printer on fire")
        client.force_login(personas.admin)
        page = client.get(f"/en/agent/requests/{ticket.pk}/").content.decode()
        assert "Trigger “Tag urgent words”" in page
