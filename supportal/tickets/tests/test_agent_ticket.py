"""The agent's request page: conversation, reply and note, fields panel, history, query count."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportal.mail.models import BouncingAddress
from supportal.phone.services import call_log
from supportal.test import Personas, make_ticket, session_queries
from supportal.tickets.models import (
    Attachment,
    CustomField,
    Message,
    RequestType,
    Status,
    Ticket,
    TicketEvent,
    TicketFieldValue,
)
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db


def url(ticket: Ticket, action: str = "") -> str:
    return f"/en/agent/requests/{ticket.pk}/{action}"


def plan_field(customer_visible: bool = False) -> CustomField:
    return CustomField.objects.create(
        key="plan",
        labels={"en": "Plan", "ko": "요금제"},
        kind=CustomField.Kind.DROPDOWN,
        choices=[
            {"value": "basic", "labels": {"en": "Basic"}},
            {"value": "pro", "labels": {"en": "Professional"}},
        ],
        customer_visible=customer_visible,
    )


def fields_data(ticket: Ticket, **overrides: str) -> dict[str, str]:
    data = {
        "status": ticket.status,
        "priority": str(ticket.priority),
        "type": str(ticket.type_id or ""),
        "group": str(ticket.group_id or ""),
        "assignee": str(ticket.assignee_id or ""),
        "tags": "",
    }
    data.update(overrides)
    return data


class RequestPageTests:
    def test_it_shows_replies_and_notes_distinctly(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, "Printer on fire", group=personas.support)
        ticket_reply(ticket=ticket, author=personas.agent, body="Checking with the team.")
        ticket_reply(ticket=ticket, author=personas.agent, body="Customer is a VIP", public=False)
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert f"#{ticket.pk}</span> Printer on fire" in page
        assert "Requested by Casey Customer" in page
        # Oldest first, and the note is labelled in words, not only by colour.
        first = page.index("The sign-in page says my password is wrong.")
        reply = page.index("Checking with the team.")
        note = page.index("Customer is a VIP")
        assert first < reply < note
        assert page.count('class="entry entry-note"') == 1
        assert page.count('class="entry entry-public"') == 2
        note_block = page[page.rindex("<article", 0, note) : note]
        assert "Internal note" in note_block

    def test_it_lists_attachments_with_links(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        upload = SimpleUploadedFile("log.txt", b"error 42", content_type="text/plain")
        ticket_reply(ticket=ticket, author=personas.agent, body="See log", attachments=[upload])
        attachment = Attachment.objects.get()
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert f'href="/en/requests/{ticket.pk}/attachments/{attachment.pk}/log.txt"' in page

    def test_it_shows_agent_only_custom_fields_and_the_requester(
        self, client: Client, personas: Personas
    ) -> None:
        field = plan_field(customer_visible=False)
        ticket = make_ticket(personas.customer, group=personas.support, fields={field: "pro"})
        make_ticket(personas.customer, "Older question", group=personas.support)
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert '<label for="id_cf_plan">Plan</label>' in page
        assert "Agents only" in page
        assert '<option value="pro" selected>Professional</option>' in page
        assert "casey@acme.test" in page and "Acme" in page
        assert "Older question" in page  # their other requests

    def test_it_shows_the_history_with_names_and_labels(
        self, client: Client, personas: Personas
    ) -> None:
        field = plan_field()
        billing_type = RequestType.objects.create(names={"en": "Billing question"})
        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_update(
            ticket=ticket,
            actor=personas.agent,
            changes=Changes(
                status=Status.PENDING,
                priority=4,
                type=billing_type,
                assignee=personas.agent,
                tags=["vip"],
                fields={field: "basic"},
            ),
        )
        client.force_login(personas.agent)
        page = " ".join(client.get(url(ticket)).content.decode().split())
        assert "Status changed from <strong>New</strong> to <strong>Pending</strong>" in page
        assert "Priority changed from <strong>Normal</strong> to <strong>Urgent</strong>" in page
        assert "Type set to <strong>Billing question</strong>" in page
        assert "Assignee set to <strong>Jiwoo Agent</strong>" in page
        assert "Tags set to <strong>vip</strong>" in page
        assert "Plan set to <strong>Basic</strong>" in page
        assert "Created the request" in page
        assert "Jiwoo Agent · <time" in page

    def test_it_caps_the_history_at_fifty_with_a_link_to_all(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        for number in range(55):
            ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(tags=[f"t{number}"]))
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert page.count('class="history-what"') == 50
        assert "Show all activity" in page
        everything = client.get(url(ticket) + "?history=all").content.decode()
        assert everything.count('class="history-what"') == 56
        assert "Show all activity" not in everything

    def test_it_keeps_its_query_count_with_more_messages_and_events(
        self, client: Client, personas: Personas, django_assert_num_queries
    ) -> None:
        field = plan_field()
        ticket = make_ticket(personas.customer, group=personas.support, fields={field: "basic"})
        ticket_update(
            ticket=ticket,
            actor=personas.agent,
            changes=Changes(assignee=personas.other_agent, group=None),
        )
        client.force_login(personas.agent)
        client.get(url(ticket))  # warm the per-process caches (site notice)
        # session, user, ticket, messages, attachments, calls, custom fields, types, groups,
        # agents, field values, tags, events, cc, links, other requests, the requester's bounces,
        # macros, the service level clocks, the request vectors' generation (triage suggestions)
        expected = session_queries() + 19
        with django_assert_num_queries(expected):
            assert client.get(url(ticket)).status_code == 200
        for number in range(5):
            upload = SimpleUploadedFile(f"n{number}.txt", b"x", content_type="text/plain")
            ticket_reply(
                ticket=ticket,
                author=personas.agent,
                body=f"Reply {number}",
                public=number % 2 == 0,
                attachments=[upload],
            )
            call_log(
                ticket=ticket,
                actor=personas.agent,
                direction="outbound",
                number="+821012345678",
                outcome="answered",
                duration=60 + number,
            )
            ticket_update(
                ticket=ticket,
                actor=personas.agent,
                changes=Changes(
                    status=Status.PENDING if number % 2 else Status.OPEN,
                    assignee=personas.admin if number % 2 else personas.agent,
                    tags=[f"tag{number}"],
                ),
            )
        with django_assert_num_queries(expected):
            assert client.get(url(ticket)).status_code == 200


class ReplyTests:
    def test_it_sends_a_public_reply_with_status_and_attachments(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        seen = ticket.messages.get().pk
        client.force_login(personas.agent)
        files = [
            SimpleUploadedFile("a.txt", b"first", content_type="text/plain"),
            SimpleUploadedFile("b.txt", b"second", content_type="text/plain"),
        ]
        response = client.post(
            url(ticket, "reply?view=mine"),
            {
                "kind": "public",
                "body": "Here you go.",
                "status": "pending",
                "seen": seen,
                "attachments": files,
            },
        )
        assert response.status_code == 302
        assert response["Location"] == url(ticket) + "?view=mine"
        message = Message.objects.latest("pk")
        assert (message.body, message.public, message.author) == (
            "Here you go.",
            True,
            personas.agent,
        )
        assert sorted(a.filename for a in message.attachments.all()) == ["a.txt", "b.txt"]
        ticket.refresh_from_db()
        assert ticket.status == Status.PENDING
        page = client.get(response["Location"]).content.decode()
        assert "Your reply has been sent." in page

    def test_it_adds_an_internal_note(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(
            url(ticket, "reply"), {"kind": "note", "body": "Private", "status": ""}
        )
        assert response.status_code == 302
        message = Message.objects.latest("pk")
        assert not message.public
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW  # a note does not open the request
        assert TicketEvent.objects.filter(ticket=ticket, kind="noted").count() == 1

    def test_it_keeps_the_text_on_errors(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
        response = client.post(
            url(ticket, "reply"),
            {"kind": "public", "body": "My careful answer", "attachments": [bad]},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "My careful answer</textarea>" in page
        assert "“virus.exe” is not a file type we accept." in page
        assert "Your files were not sent. Please attach them again." in page
        empty = client.post(url(ticket, "reply"), {"kind": "public", "body": "  "})
        assert empty.status_code == 400
        assert "Write a message first." in empty.content.decode()
        assert ticket.messages.count() == 1

    def test_it_refuses_an_unknown_status(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(
            url(ticket, "reply"), {"kind": "public", "body": "Hi", "status": "deleted"}
        )
        assert response.status_code == 400
        assert ticket.messages.count() == 1


class FieldsPanelTests:
    def test_it_updates_fields_and_writes_events(self, client: Client, personas: Personas) -> None:
        field = plan_field()
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(
            url(ticket, "update"),
            fields_data(
                ticket,
                status="on_hold",
                priority="3",
                assignee=str(personas.agent.pk),
                tags="Billing, vip  urgent",
                cf_plan="pro",
            ),
        )
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert (ticket.status, ticket.priority, ticket.assignee) == (
            Status.ON_HOLD,
            3,
            personas.agent,
        )
        assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "urgent", "vip"]
        assert TicketFieldValue.objects.get(ticket=ticket, field=field).value == "pro"
        changed = set(
            TicketEvent.objects.filter(ticket=ticket, kind="changed").values_list(
                "field", flat=True
            )
        )
        assert changed == {"status", "priority", "assignee", "tags", "field:plan"}

    def test_it_validates_custom_fields_by_kind(self, client: Client, personas: Personas) -> None:
        CustomField.objects.create(key="seats", labels={"en": "Seats"}, kind="number")
        CustomField.objects.create(key="renewal", labels={"en": "Renewal"}, kind="date")
        CustomField.objects.create(key="order", labels={"en": "Order"}, kind="text", required=True)
        plan_field()
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(
            url(ticket, "update"),
            fields_data(
                ticket,
                status="solved",
                cf_seats="many",
                cf_renewal="31/02/2025",
                cf_plan="gold",
                cf_order="",
            ),
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Enter a number." in page
        assert "Enter a valid date." in page
        assert "Select a valid choice. gold is not one of the available choices." in page
        assert "This field is required." in page
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW  # nothing half-stored
        good = client.post(
            url(ticket, "update"),
            fields_data(ticket, cf_seats="12.5", cf_renewal="2025-02-28", cf_order="A-1"),
        )
        assert good.status_code == 302
        values = dict(
            TicketFieldValue.objects.filter(ticket=ticket).values_list("field__key", "value")
        )
        assert values == {"seats": "12.5", "renewal": "2025-02-28", "order": "A-1"}

    def test_it_only_writes_what_the_agent_changed(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        seen = fields_data(ticket)
        # A colleague changes the status after the panel was loaded ...
        ticket_update(ticket=ticket, actor=personas.admin, changes=Changes(status=Status.PENDING))
        # ... and this agent only raises the priority: the status stays as the colleague set it.
        data = {**fields_data(ticket, status="new", priority="4")}
        data.update({f"initial-{name}": value for name, value in seen.items()})
        assert client.post(url(ticket, "update"), data).status_code == 302
        ticket.refresh_from_db()
        assert (ticket.status, ticket.priority) == (Status.PENDING, 4)

    def test_it_sends_the_agent_to_the_inbox_when_the_request_leaves_their_groups(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(
            url(ticket, "update"), fields_data(ticket, group=str(personas.billing.pk))
        )
        assert response["Location"] == "/en/agent/views/open"

    def test_it_assigns_to_me(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert 'data-shortcut="a">Assign to me</button>' in page
        response = client.post(url(ticket, "assign-me"))
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.assignee == personas.agent
        event = TicketEvent.objects.get(ticket=ticket, field="assignee")
        assert event.new_value == str(personas.agent.pk)
        assert "Assigned to you." in client.get(url(ticket)).content.decode()


class RequesterBounceTests:
    def test_it_says_when_mail_to_the_requester_bounces_for_good(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        BouncingAddress.objects.create(
            email=personas.customer.email, permanent=True, reason="550 5.1.1 User unknown"
        )
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert "This address bounces:</strong> 550 5.1.1 User unknown" in page
        assert "Mail to this address bounces; we stopped sending to it." in page

    def test_it_says_when_mail_to_the_requester_was_delayed(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        BouncingAddress.objects.create(
            email=personas.customer.email, permanent=False, reason="452 4.2.2 Mailbox full"
        )
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert "This address bounces:</strong> 452 4.2.2 Mailbox full" in page
        assert "Recent mail to this address was delayed." in page
        assert "we stopped sending to it" not in page

    def test_it_says_nothing_when_mail_arrives(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        BouncingAddress.objects.create(email=personas.colleague.email, permanent=True)
        client.force_login(personas.agent)
        assert "This address bounces" not in client.get(url(ticket)).content.decode()
