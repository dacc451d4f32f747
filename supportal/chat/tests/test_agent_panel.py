"""The agents' chat panel: the lists, one chat, accept, reply, macros, transfer, end, the
polling endpoint, who may open it, and its query count."""

from __future__ import annotations

import json
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from supportal.accounts.models import User
from supportal.automation.services import macro_save
from supportal.chat import services
from supportal.chat.models import Chat, ChatState, Identity
from supportal.core.models import OutboundEmail
from supportal.rules.assignment import availability_set
from supportal.rules.models import Availability
from supportal.test import Personas, make_ticket, make_user, session_queries
from supportal.tickets.models import Attachment, Channel, Message, Status

pytestmark = pytest.mark.django_db

PANEL = "/en/agent/chat/"


def start(
    requester: User,
    body: str = "Hello, my order has not arrived.",
    *,
    identity: str = Identity.SIGNED_IN,
    page_url: str = "https://shop.example.com/orders/42",
) -> Chat:
    return services.chat_start(
        token=secrets.token_urlsafe(32),
        requester=requester,
        identity=identity,
        body=body,
        language="en",
        page_url=page_url,
    )


def accepted(requester: User, agent: User, body: str = "Hello") -> Chat:
    chat = start(requester, body)
    return services.chat_accept(chat=chat, agent=agent)


def action(chat: Chat, name: str) -> str:
    return f"{PANEL}{chat.pk}/{name}"


class PanelTests:
    def test_it_lists_a_queued_chat(self, client: Client, personas: Personas) -> None:
        start(personas.customer, "Where is my parcel?")
        client.force_login(personas.agent)
        response = client.get(PANEL)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Casey Customer" in page
        assert "Where is my parcel?" in page
        assert "Nobody is waiting." not in page
        assert "You have no chats." in page

    def test_it_shows_the_selected_chat(self, client: Client, personas: Personas) -> None:
        earlier = make_ticket(personas.customer, subject="Refund for order 7")
        chat = start(personas.customer, "Where is my parcel?")
        client.force_login(personas.agent)
        page = client.get(f"{PANEL}?chat={chat.pk}").content.decode()
        assert "casey@acme.test" in page
        assert "Signed in" in page
        assert 'href="https://shop.example.com/orders/42"' in page
        assert "English" in page
        assert f'href="/en/agent/requests/{earlier.pk}/"' in page
        assert f'href="/en/agent/requests/{chat.ticket_id}/"' in page
        assert "Where is my parcel?" in page
        assert f'action="{action(chat, "accept")}"' in page
        # Not the agent's chat yet: no reply box.
        assert 'id="chat-reply-form"' not in page

    def test_it_shows_internal_notes_and_what_the_identity_is_worth(
        self, client: Client, personas: Personas
    ) -> None:
        visitor = make_user("sam@example.test", name="Sam Visitor")
        chat = start(visitor, identity=Identity.CLAIMED, page_url="javascript:alert(1)")
        services.chat_accept(chat=chat, agent=personas.agent)
        services.chat_transfer(chat=chat, actor=personas.agent, to_agent=personas.admin, note="VIP")
        client.force_login(personas.admin)
        page = client.get(f"{PANEL}?chat={chat.pk}").content.decode()
        assert "Email not verified" in page
        assert 'href="javascript' not in page
        assert "Internal note" in page
        assert "VIP" in page

    def test_it_shows_the_agents_chats_and_admins_everyones(
        self, client: Client, personas: Personas
    ) -> None:
        accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        assert "You have no chats." not in client.get(PANEL).content.decode()
        client.force_login(personas.admin)
        page = client.get(PANEL).content.decode()
        assert "Other agents' chats" in page
        assert "with Jiwoo Agent" in page

    def test_it_links_the_panel_in_the_agent_navigation(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        inbox = client.get("/en/agent/").content.decode()
        assert f'<a href="{PANEL}">Chats' in inbox
        page = client.get(PANEL).content.decode()
        assert f'<a href="{PANEL}" aria-current="page">Chats' in page
        # The availability switch is the panel's own, not loaded a second time in the header.
        assert page.count('id="availability-form"') == 1
        assert 'src="/static/chat/agent.js"' in page or "chat/agent." in page

    def test_customers_get_403_and_visitors_sign_in(
        self, client: Client, personas: Personas
    ) -> None:
        chat = start(personas.customer)
        assert client.get(PANEL)["Location"].startswith("/en/accounts/login")
        for person in (personas.customer, personas.outsider):
            client.force_login(person)
            assert client.get(PANEL).status_code == 403
            assert client.get(f"{PANEL}lists").status_code == 403
            assert client.post(action(chat, "accept")).status_code == 404
            assert client.get(action(chat, "events")).status_code == 404
        assert Chat.objects.get(pk=chat.pk).state == ChatState.QUEUED

    def test_an_agent_outside_the_chat_team_does_not_see_its_chats(
        self, client: Client, personas: Personas
    ) -> None:
        services.chat_settings_save(values={"group": personas.support})
        chat = start(personas.customer, "Support only")
        client.force_login(personas.other_agent)  # in Billing only
        assert "Support only" not in client.get(PANEL).content.decode()
        response = client.get(f"{PANEL}?chat={chat.pk}")
        assert response.status_code == 404
        assert "Support only" not in response.content.decode()
        assert client.post(action(chat, "accept")).status_code == 404
        assert client.get(action(chat, "events")).status_code == 404

    def test_it_takes_only_get(self, client: Client, personas: Personas) -> None:
        chat = start(personas.customer)
        client.force_login(personas.agent)
        assert client.post(PANEL).status_code == 405
        assert client.get(action(chat, "accept")).status_code == 405
        assert client.get(action(chat, "end")).status_code == 405

    def test_it_ignores_a_chat_number_that_is_not_one(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        assert client.get(f"{PANEL}?chat=1%20OR%201=1").status_code == 404
        assert client.get(f"{PANEL}?chat=99999999999999999999999").status_code == 404

    def test_it_keeps_its_query_count_with_more_chats(
        self, client: Client, personas: Personas
    ) -> None:
        selected = accepted(personas.customer, personas.agent, "First")
        start(personas.colleague, "Waiting one")
        client.force_login(personas.admin)
        url = f"{PANEL}?chat={selected.pk}"
        client.get(url)  # warm the per-process caches (site notice)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        # session, user, the lists, availability, the chat, its messages, their files, its last
        # event, previous requests, macros, the agents and the groups to transfer to
        assert len(few) == session_queries() + 11
        for number in range(4):
            visitor = make_user(f"visitor{number}@example.test")
            start(visitor, f"Queued {number}")
            chat = accepted(visitor, personas.agent, f"Mine {number}")
            services.chat_post(chat=chat, author=visitor, body="Are you there?")
            services.chat_post(chat=selected, author=personas.agent, body=f"Answer {number}")
        assert Chat.objects.count() == 10
        with CaptureQueriesContext(connection) as many:
            page = client.get(url).content.decode()
        assert "Queued 3" in page
        assert "Answer 3" in page
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


class AcceptTests:
    def test_it_assigns_the_chat(self, client: Client, personas: Personas) -> None:
        chat = start(personas.customer)
        client.force_login(personas.agent)
        response = client.post(action(chat, "accept"), follow=True)
        assert response.redirect_chain[-1][0] == f"{PANEL}?chat={chat.pk}"
        chat.refresh_from_db()
        assert chat.state == ChatState.ACTIVE
        assert chat.agent == personas.agent
        assert chat.ticket.assignee == personas.agent
        page = response.content.decode()
        assert "You are now chatting with Casey Customer." in page
        assert 'id="chat-reply-form"' in page

    def test_a_second_agent_is_told_another_agent_has_it(
        self, client: Client, personas: Personas
    ) -> None:
        chat = start(personas.customer)
        client.force_login(personas.agent)
        client.post(action(chat, "accept"))
        client.force_login(personas.other_agent)
        response = client.post(action(chat, "accept"), follow=True)
        assert "Another agent has taken this chat." in response.content.decode()
        chat.refresh_from_db()
        assert chat.agent == personas.agent
        assert chat.ticket.assignee == personas.agent

    def test_becoming_available_assigns_a_waiting_chat(
        self, client: Client, personas: Personas
    ) -> None:
        chat = start(personas.customer)
        assert Chat.objects.get(pk=chat.pk).state == ChatState.QUEUED  # nobody was available
        client.force_login(personas.agent)
        client.post("/en/agent/availability", {"availability": "available", "next": PANEL})
        chat.refresh_from_db()
        assert chat.state == ChatState.ACTIVE
        assert chat.agent == personas.agent


class ReplyTests:
    def test_it_posts_a_chat_message_and_sends_no_email(
        self, client: Client, personas: Personas, django_capture_on_commit_callbacks
    ) -> None:
        chat = accepted(personas.customer, personas.agent)
        mail = OutboundEmail.objects.count()
        client.force_login(personas.agent)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(action(chat, "reply"), {"body": "It ships today."})
        assert response["Location"] == f"{PANEL}?chat={chat.pk}"
        message = Message.objects.get(ticket=chat.ticket, body="It ships today.")
        assert message.channel == Channel.CHAT
        assert message.public
        assert message.author == personas.agent
        assert OutboundEmail.objects.count() == mail
        assert chat.events.filter(kind="message", data__message=message.pk).exists()

    def test_it_sends_files(self, client: Client, personas: Personas) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        upload = SimpleUploadedFile("label.txt", b"shipping label\n", content_type="text/plain")
        response = client.post(action(chat, "reply"), {"body": "", "files": [upload]})
        assert response.status_code == 302
        assert Attachment.objects.filter(ticket=chat.ticket, filename="label.txt").exists()

    def test_only_the_chats_agent_may_answer(self, client: Client, personas: Personas) -> None:
        chat = start(personas.customer)
        client.force_login(personas.agent)
        response = client.post(action(chat, "reply"), {"body": "Hi"})
        assert response.status_code == 400
        assert "Accept the chat before you answer." in response.content.decode()
        services.chat_accept(chat=chat, agent=personas.admin)
        assert client.post(action(chat, "reply"), {"body": "Hi"}).status_code == 400
        assert not Message.objects.filter(ticket=chat.ticket, body="Hi").exists()

    def test_an_empty_message_is_refused(self, client: Client, personas: Personas) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        response = client.post(action(chat, "reply"), {"body": "  "})
        assert response.status_code == 400
        assert "Write a message first." in response.content.decode()

    def test_a_macro_puts_its_reply_text_in_the_box(
        self, client: Client, personas: Personas
    ) -> None:
        macro = macro_save(
            macro=None,
            actor=personas.agent,
            title="Greeting",
            texts={"en": "Hello {{requester.first_name}}, thanks for waiting."},
        )
        note = macro_save(
            macro=None, actor=personas.agent, title="Secret note", texts={"en": "x"}, public=False
        )
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        page = client.get(f"{PANEL}?chat={chat.pk}").content.decode()
        assert "Greeting" in page
        assert "Secret note" not in page
        page = client.get(f"{PANEL}?chat={chat.pk}&macro={macro.pk}").content.decode()
        assert "Hello Casey, thanks for waiting.</textarea>" in page
        response = client.get(f"{action(chat, 'macro')}?macro={macro.pk}")
        assert response.json() == {"text": "Hello Casey, thanks for waiting."}
        assert client.get(f"{action(chat, 'macro')}?macro={note.pk}").status_code == 404
        client.force_login(personas.other_agent)  # someone else's personal macro
        assert client.get(f"{action(chat, 'macro')}?macro={macro.pk}").status_code == 404


class TransferTests:
    def test_to_a_group_it_goes_back_to_the_queue_with_a_note(
        self, client: Client, personas: Personas
    ) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        response = client.post(
            action(chat, "transfer"),
            {"agent": "", "group": personas.billing.pk, "note": "About an invoice"},
        )
        assert response["Location"] == PANEL
        chat.refresh_from_db()
        assert chat.state == ChatState.QUEUED
        assert chat.agent is None
        assert chat.group == personas.billing
        assert chat.ticket.group == personas.billing
        assert chat.ticket.assignee is None
        note = Message.objects.get(ticket=chat.ticket, public=False)
        assert "Billing" in note.body
        assert "About an invoice" in note.body
        assert chat.events.filter(kind="transferred").exists()

    def test_to_an_agent_they_have_it_at_once(self, client: Client, personas: Personas) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        client.post(action(chat, "transfer"), {"agent": personas.admin.pk, "note": ""})
        chat.refresh_from_db()
        assert chat.state == ChatState.ACTIVE
        assert chat.agent == personas.admin
        assert chat.ticket.assignee == personas.admin

    def test_it_needs_an_agent_or_a_group(self, client: Client, personas: Personas) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        response = client.post(action(chat, "transfer"), {"agent": "", "group": ""})
        assert response.status_code == 400
        assert "Choose an agent or a group, not both." in response.content.decode()

    def test_another_agent_may_not_take_it_away(self, client: Client, personas: Personas) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.other_agent)
        response = client.post(action(chat, "transfer"), {"agent": personas.other_agent.pk})
        assert response.status_code == 400
        assert Chat.objects.get(pk=chat.pk).agent == personas.agent


class EndTests:
    def test_it_ends_the_chat_and_solves_the_request(
        self, client: Client, personas: Personas
    ) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.agent)
        response = client.post(action(chat, "end"), follow=True)
        chat.refresh_from_db()
        assert chat.state == ChatState.ENDED
        assert chat.ticket.status == Status.SOLVED
        page = response.content.decode()
        assert f"request #{chat.ticket_id} is solved" in page
        assert 'id="chat-reply-form"' not in page

    def test_another_agent_may_not_end_it(self, client: Client, personas: Personas) -> None:
        chat = accepted(personas.customer, personas.agent)
        client.force_login(personas.other_agent)
        response = client.post(action(chat, "end"), follow=True)
        assert "Only the agent in this chat can end it." in response.content.decode()
        assert Chat.objects.get(pk=chat.pk).state == ChatState.ACTIVE


class EventsTests:
    def test_it_gives_the_events_after_an_id(self, client: Client, personas: Personas) -> None:
        chat = accepted(personas.customer, personas.agent)
        first = chat.events.get(kind="queued")
        services.chat_post(chat=chat, author=personas.customer, body="Still there?")
        client.force_login(personas.agent)
        body = json.loads(client.get(f"{action(chat, 'events')}?after={first.pk}").content)
        kinds = [event["kind"] for event in body["events"] if event["id"] > first.pk]
        assert kinds == ["accepted", "message"]
        assert body["events"][-1]["data"]["body"] == "Still there?"
        assert body["state"] == ChatState.ACTIVE

    def test_the_lists_fragment_counts_waiting_and_unread(
        self, client: Client, personas: Personas
    ) -> None:
        start(personas.colleague)
        chat = accepted(personas.customer, personas.agent)
        services.chat_post(chat=chat, author=personas.customer, body="One more thing")
        client.force_login(personas.agent)
        fragment = client.get(f"{PANEL}lists?chat={chat.pk}").content.decode()
        # The colleague waits; two unread messages from the customer (the first and this one).
        assert 'data-waiting="1" data-unread="2" data-attention="3"' in fragment
        services.chat_read(chat=chat, agent=True, up_to=chat.ticket.messages.latest("pk").pk)
        fragment = client.get(f"{PANEL}lists").content.decode()
        assert 'data-attention="1"' in fragment

    def test_an_agent_waits_for_availability_before_automatic_assignment(
        self, personas: Personas
    ) -> None:
        availability_set(user=personas.agent, availability=Availability.AVAILABLE)
        chat = start(personas.customer)
        assert Chat.objects.get(pk=chat.pk).agent == personas.agent
