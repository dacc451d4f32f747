from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from supportal.chat import services
from supportal.chat.consumers import VISITOR_COOKIE
from supportal.chat.models import Chat, ChatState, Identity
from supportal.core.models import OutboundEmail
from supportal.rules.assignment import availability_set
from supportal.rules.models import Availability
from supportal.satisfaction.models import Rating
from supportal.sla.models import Metric, Schedule, ScheduleInterval, SlaTimer
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas
from supportal.tickets import search
from supportal.tickets.models import Channel, Priority, Ticket

pytestmark = pytest.mark.django_db
OWN = {"HTTP_ORIGIN": "http://127.0.0.1:8000"}
SECRET = "s3cret-shared-with-the-shop-0123456789"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def open_chat(personas: Personas) -> Any:
    availability_set(user=personas.agent, availability=Availability.AVAILABLE)
    return personas.agent


def start(client: Client, **fields: str) -> Any:
    data = {"name": "Mina", "email": "mina@example.com", "message": "Where is my parcel?"}
    return client.post(reverse("chat:start"), {**data, **fields}, **OWN)


class WidgetPageTests:
    def test_it_offers_the_pre_chat_form_when_an_agent_is_available(
        self, client: Client, open_chat: Any
    ) -> None:
        response = client.get(reverse("chat:widget"), {"page": "https://shop.example/cart"})
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="message"' in html and "Start chat" in html
        assert 'value="https://shop.example/cart"' in html
        # Only the widget may be framed: by us and the listed sites.
        assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response

    def test_other_pages_stay_unframeable(self, client: Client) -> None:
        response = client.get(reverse("helpcenter:home"))
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]

    def test_listed_sites_may_frame_it(self, client: Client, open_chat: Any) -> None:
        services.chat_settings_save(values={"allowed_sites": "https://shop.example.com"})
        response = client.get(reverse("chat:widget"))
        assert (
            "frame-ancestors 'self' https://shop.example.com" in response["Content-Security-Policy"]
        )

    def test_it_offers_to_leave_a_message_when_nobody_is_available(
        self, client: Client, personas: Personas
    ) -> None:
        html = client.get(reverse("chat:widget")).content.decode()
        assert "No agent is available to chat right now." in html
        response = client.post(
            reverse("chat:leave_message"),
            {"name": "Mina", "email": "mina@example.com", "message": "Call me back"},
            **OWN,
        )
        assert "We have your message" in response.content.decode()
        ticket = Ticket.objects.get(subject="Call me back")
        assert ticket.channel == Channel.CHAT
        assert list(ticket.tags.values_list("name", flat=True)) == [services.OFFLINE_TAG]
        assert OutboundEmail.objects.filter(to__icontains="mina@example.com").exists()

    def test_it_is_closed_outside_the_chat_hours(self, client: Client, open_chat: Any) -> None:
        schedule = Schedule.objects.create(name="Weekdays", time_zone="UTC")
        for day in range(5):
            ScheduleInterval.objects.create(
                schedule=schedule, weekday=day, start=time(9), end=time(17)
            )
        services.chat_settings_save(values={"schedule": schedule})
        with time_machine.travel(datetime(2026, 12, 6, 12, 0, tzinfo=UTC)):  # a Sunday
            html = client.get(reverse("chat:widget")).content.decode()
            assert "outside our opening hours" in html and "Leave us a message" in html
        with time_machine.travel(datetime(2026, 12, 7, 12, 0, tzinfo=UTC)):  # a Monday
            assert "Start chat" in client.get(reverse("chat:widget")).content.decode()

    def test_a_bad_form_keeps_what_was_typed(self, client: Client, open_chat: Any) -> None:
        response = start(client, email="not-an-email", message="Keep this text")
        html = response.content.decode()
        assert response.status_code == 400
        assert "Keep this text" in html and 'value="not-an-email"' in html
        assert not Chat.objects.exists()

    def test_posts_from_other_sites_are_refused(self, client: Client, open_chat: Any) -> None:
        response = client.post(
            reverse("chat:start"),
            {"name": "M", "email": "m@example.com", "message": "Hi"},
            HTTP_ORIGIN="https://evil.example",
        )
        assert response.status_code == 403
        assert not Chat.objects.exists()


class StartChatTests:
    def test_it_starts_a_chat_as_a_request_and_remembers_the_visitor(
        self, client: Client, open_chat: Any
    ) -> None:
        response = start(client, page="https://shop.example/cart")
        assert response.status_code == 302
        cookie = response.cookies[VISITOR_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        chat = Chat.objects.select_related("ticket").get()
        assert chat.ticket.channel == Channel.CHAT
        assert chat.identity == Identity.CLAIMED and chat.page_url == "https://shop.example/cart"
        assert chat.state == ChatState.ACTIVE and chat.agent == open_chat
        assert chat.ticket.assignee == open_chat
        html = client.get(reverse("chat:widget")).content.decode()
        assert "Where is my parcel?" in html and "You are chatting with Jiwoo Agent." in html
        # No email per chat line.
        assert not OutboundEmail.objects.filter(to__icontains="mina@example.com").exists()

    def test_articles_opened_from_its_suggestions_are_recorded_and_marked_when_it_starts(
        self, client: Client, open_chat: Any
    ) -> None:
        from supportal.tickets.models import Deflection
        from supportal.tickets.tests.test_customer_fixtures import make_article

        article = make_article("Track your parcel", "Open My orders and choose Track.")
        html = client.get(reverse("chat:widget")).content.decode()
        [key] = re.findall(r'name="key" value="([^"]+)"', html)
        # What widget.js asks as the first message is typed.
        listed = client.get(reverse("tickets:suggest"), {"subject": "track parcel", "key": key})
        [link] = re.findall(r'href="([^"]+)"', listed.content.decode())
        link = link.replace("&amp;", "&")
        assert f"form={key}" in link
        assert client.get(link).status_code == 302
        opened = Deflection.objects.get()
        assert (opened.article_id, opened.form_key, opened.submitted) == (article.pk, key, False)
        assert start(client, key=key).status_code == 302
        opened.refresh_from_db()
        assert opened.submitted  # the article did not answer: the chat started anyway

    def test_it_queues_when_every_agent_is_at_the_limit(
        self, client: Client, open_chat: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        services.chat_settings_save(values={"max_chats": 1})
        start(client)
        second = Client()
        start(second, email="jun@example.com", message="Me too")
        waiting = Chat.objects.get(ticket__subject="Me too")
        assert waiting.state == ChatState.QUEUED
        html = second.get(reverse("chat:widget")).content.decode()
        assert "You are next in line." in html
        # When the first chat ends, the queue moves.
        first = Chat.objects.exclude(pk=waiting.pk).get()
        with django_capture_on_commit_callbacks(execute=True):
            services.chat_end(chat=first, actor=open_chat)
        waiting.refresh_from_db()
        assert waiting.state == ChatState.ACTIVE and waiting.agent == open_chat

    def test_a_signed_in_customer_is_recognised(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        client.force_login(personas.customer)
        html = client.get(reverse("chat:widget")).content.decode()
        assert 'name="email"' not in html
        response = client.post(reverse("chat:start"), {"message": "Hello"}, **OWN)
        assert response.status_code == 302
        chat = Chat.objects.get()
        assert chat.ticket.requester == personas.customer
        assert chat.identity == Identity.SIGNED_IN

    def test_a_signed_identity_links_the_customer_and_a_forged_one_is_refused(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        services.chat_settings_save(values={}, secret=SECRET)
        email = personas.customer.email
        forged = start(
            client,
            email="x@example.com",
            identity_email=email,
            identity_signature="0" * 64,
        )
        assert forged.status_code == 400
        assert "could not confirm who you are" in forged.content.decode()
        assert not Chat.objects.exists()
        good = start(
            client,
            email="x@example.com",
            identity_email=email.upper(),
            identity_signature=services.sign_identity(email, SECRET),
        )
        assert good.status_code == 302
        chat = Chat.objects.get()
        assert chat.ticket.requester == personas.customer and chat.identity == Identity.SIGNED

    def test_an_unsigned_claim_is_never_trusted(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        start(client, email=personas.customer.email)
        chat = Chat.objects.get()
        # Linked to the address typed, but marked as unverified for the agent; and the visitor
        # cannot see that customer's other requests through the chat.
        assert chat.identity == Identity.CLAIMED
        assert client.get(reverse("tickets:mine")).status_code in (302, 403)


class ConversationTests:
    def test_the_fallback_sends_files_and_polls_events(
        self, client: Client, open_chat: Any
    ) -> None:
        start(client)
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
        png = SimpleUploadedFile("shot.png", buffer.getvalue(), content_type="image/png")
        response = client.post(
            reverse("chat:send"),
            {"body": "Here", "files": [png]},
            HTTP_ACCEPT="application/json",
            **OWN,
        )
        assert response.status_code == 200, response.content
        events = client.get(reverse("chat:events"), {"after": 0}).json()["events"]
        kinds = [event["kind"] for event in events]
        assert kinds.count("message") == 2 and "accepted" in kinds
        file = events[-1]["data"]["attachments"][0]
        assert file["name"] == "shot.png"
        assert client.get(file["url"]).status_code == 200
        assert Client().get(file["url"]).status_code == 404  # not without the visitor's cookie

    def test_hostile_uploads_are_refused_with_the_request_checks(
        self, client: Client, open_chat: Any
    ) -> None:
        start(client)
        fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
        response = client.post(
            reverse("chat:send"),
            {"body": "x", "files": [fake]},
            HTTP_ACCEPT="application/json",
            **OWN,
        )
        assert response.status_code == 400
        assert response.json()["error"]

    def test_ending_solves_the_request_and_the_visitor_rates_it(
        self, client: Client, open_chat: Any
    ) -> None:
        start(client)
        client.post(reverse("chat:end"), **OWN)
        chat = Chat.objects.select_related("ticket").get()
        assert chat.state == ChatState.ENDED and chat.ticket.status == "solved"
        html = client.get(reverse("chat:widget")).content.decode()
        assert "Rate this chat" in html
        response = client.post(reverse("chat:rate"), {"score": "good", "comment": "Quick!"}, **OWN)
        assert response.status_code == 302
        assert Rating.objects.get(ticket=chat.ticket).score == "good"

    def test_the_transcript_goes_to_the_visitor_by_email(
        self, client: Client, open_chat: Any
    ) -> None:
        start(client)
        chat = Chat.objects.get()
        services.chat_post(chat=chat, author=open_chat, body="It ships tomorrow.")
        client.post(reverse("chat:transcript"), **OWN)
        mail = OutboundEmail.objects.filter(to__icontains="mina@example.com").get()
        assert "Where is my parcel?" in mail.body_text and "It ships tomorrow." in mail.body_text

    def test_after_a_chat_ends_the_visitor_can_start_another(
        self, client: Client, open_chat: Any
    ) -> None:
        start(client)
        client.post(reverse("chat:end"), **OWN)
        response = client.post(reverse("chat:new"), **OWN)
        assert response.cookies[VISITOR_COOKIE].value == ""
        assert "Start chat" in client.get(reverse("chat:widget")).content.decode()

    def test_the_embed_script_has_a_stable_address(self, client: Client) -> None:
        response = client.get("/chat/embed.js")
        assert response.status_code == 302 and "chat/embed" in response["Location"]
        assert settings.CHAT_URL == ""  # same origin unless `serve` says otherwise


class TransferTests:
    def test_a_chat_sent_to_a_group_goes_to_that_groups_available_agent(
        self,
        client: Client,
        personas: Personas,
        open_chat: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        availability_set(user=personas.other_agent, availability=Availability.AVAILABLE)
        services.chat_settings_save(values={"group": personas.support})
        start(client)
        chat = Chat.objects.get()
        assert chat.agent == open_chat  # the Support agent
        with django_capture_on_commit_callbacks(execute=True):
            services.chat_transfer(
                chat=chat, actor=open_chat, to_group=personas.billing, note="About an invoice"
            )
        chat.refresh_from_db()
        assert chat.agent == personas.other_agent and chat.state == ChatState.ACTIVE
        note = chat.ticket.messages.get(public=False)
        assert "Billing" in note.body and "About an invoice" in note.body
        # The visitor is told, but never sees the note.
        events = client.get(reverse("chat:events"), {"after": 0}).json()["events"]
        assert "About an invoice" not in str([e for e in events if e["kind"] == "message"])

    def test_a_chats_lines_are_found_by_search_once_it_ends(
        self, client: Client, open_chat: Any
    ) -> None:
        start(client)
        chat = Chat.objects.select_related("ticket").get()
        services.chat_post(chat=chat, author=open_chat, body="The zebra parcel left Busan.")
        assert not search.matching(Ticket.objects.all(), "zebra").exists()  # not line by line
        services.chat_end(chat=chat, actor=open_chat)
        assert list(search.matching(Ticket.objects.all(), "zebra")) == [chat.ticket]


class EmbedCheckTests:
    def test_a_site_not_on_the_list_is_told_so_before_the_window_opens(
        self, client: Client
    ) -> None:
        services.chat_settings_save(values={"allowed_sites": "https://shop.example.com"})
        check = reverse("chat_embed_check")
        listed = client.get(check, {"site": "https://shop.example.com"})
        assert listed.json() == {"allowed": True}
        assert listed["Access-Control-Allow-Origin"] == "*"
        assert client.get(check, {"site": "https://evil.example"}).json() == {"allowed": False}
        assert client.get(check, {"site": "http://testserver"}).json() == {"allowed": True}
        # And the browser refuses the frame there: the widget names only us and the list.
        policy = client.get(reverse("chat:widget"))["Content-Security-Policy"]
        assert "frame-ancestors 'self' https://shop.example.com;" in policy + ";"
        assert "evil.example" not in policy


class ChatIsARequestTests:
    def test_the_agents_first_chat_line_meets_the_first_reply_target(
        self, client: Client, open_chat: Any
    ) -> None:
        make_policy("Chats", targets=[(Priority.NORMAL, Metric.FIRST_REPLY, 5, False)])
        start(client)
        chat = Chat.objects.select_related("ticket").get()
        first_reply = SlaTimer.objects.get(ticket=chat.ticket, metric=Metric.FIRST_REPLY)
        assert first_reply.state == SlaTimer.State.RUNNING
        services.chat_post(chat=chat, author=open_chat, body="Hello, I am here.")
        first_reply.refresh_from_db()
        assert first_reply.state == SlaTimer.State.ACHIEVED

    def test_the_queue_says_the_estimated_wait(self, client: Client, open_chat: Any) -> None:
        services.chat_settings_save(values={"auto_assign": False})
        start(client)
        html = client.get(reverse("chat:widget")).content.decode()
        # No accepted chat yet: two minutes a place in the queue.
        assert "You are next in line." in html and "Estimated wait: about 2 min." in html


class IdleChatTests:
    def test_a_chat_nobody_writes_in_ends_on_its_own(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        services.chat_settings_save(values={"idle_minutes": 30})
        with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False) as clock:
            start(client)
            chat = Chat.objects.select_related("ticket").get()
            services.chat_post(chat=chat, author=open_chat, body="Anything else?")
            clock.shift(29 * 60)
            assert ended_on_their_own() == 0  # 29 minutes: still on
            clock.shift(2 * 60)
            assert ended_on_their_own() == 1
        chat.refresh_from_db()
        chat.ticket.refresh_from_db()
        assert chat.state == ChatState.ENDED and chat.ended_idle == 30
        assert chat.ticket.status == "solved"
        # The visitor's window says why; the agent's request history too.
        html = client.get(reverse("chat:widget")).content.decode()
        assert "This chat ended after 30 minutes without a message." in html
        assert "Rate this chat" in html
        agent = Client()
        agent.force_login(open_chat)
        page = agent.get(reverse("agent:ticket", args=[chat.ticket_id])).content.decode()
        assert "Chat ended after 30 minutes without a message" in page

    def test_a_chat_with_a_recent_line_or_no_limit_stays(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False) as clock:
            start(client)
            chat = Chat.objects.get()
            clock.shift(25 * 60)
            services.chat_post(chat=chat, author=chat.ticket.requester, body="Still there?")
            clock.shift(25 * 60)  # 50 minutes after the start, 25 after the last line
            assert ended_on_their_own() == 0
            services.chat_settings_save(values={"idle_minutes": 0})
            clock.shift(24 * 60 * 60)
            assert ended_on_their_own() == 0
        chat.refresh_from_db()
        assert chat.state == ChatState.ACTIVE

    def test_the_window_warns_before_and_keeping_it_open_restarts_the_clock(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        # WCAG 2.2.1: warned before the end, the visitor keeps the chat open, as often as needed.
        services.chat_settings_save(values={"idle_minutes": 30})
        with time_machine.travel(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False) as clock:
            start(client)
            chat = Chat.objects.get()
            clock.shift(10 * 60)
            html = client.get(reverse("chat:widget")).content.decode()
            # widget.js shows this two minutes before the 20 minutes left run out.
            assert 'data-idle-left="1200"' in html and 'data-warn-seconds="120"' in html
            assert "so this chat will end in 2 minutes." in html
            assert "Keep the chat open" in html
            for _n in range(12):  # 12 times in a row, each at 29 minutes
                clock.shift(29 * 60)
                assert client.post(reverse("chat:keep"), **OWN).status_code == 200
                assert ended_on_their_own() == 0
            html = client.get(reverse("chat:widget")).content.decode()
            assert 'data-idle-left="1800"' in html
            clock.shift(31 * 60)
            assert ended_on_their_own() == 1
            # Ended: nothing to keep open, and no warning on the page.
            assert client.post(reverse("chat:keep"), **OWN).status_code == 200
            html = client.get(reverse("chat:widget")).content.decode()
            assert "Keep the chat open" not in html
        chat.refresh_from_db()
        assert chat.state == ChatState.ENDED

    def test_a_short_limit_warns_thirty_seconds_before_and_none_never(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        services.chat_settings_save(values={"idle_minutes": 1})
        start(client)
        html = client.get(reverse("chat:widget")).content.decode()
        assert 'data-warn-seconds="30"' in html
        assert "so this chat will end in 30 seconds." in html
        services.chat_settings_save(values={"idle_minutes": 0})
        html = client.get(reverse("chat:widget")).content.decode()
        assert "data-idle-left" not in html

    def test_only_the_visitor_of_the_chat_can_keep_it_open(
        self, client: Client, personas: Personas, open_chat: Any
    ) -> None:
        start(client)
        stranger = Client()
        assert stranger.post(reverse("chat:keep"), **OWN).status_code == 404
        other_site = client.post(reverse("chat:keep"), HTTP_ORIGIN="https://evil.example")
        assert other_site.status_code == 403
        assert Chat.objects.get().kept_at is None


def ended_on_their_own() -> int:
    """Runs the worker's every-minute task; how many chats have ended on their own."""
    from supportal.chat.tasks import end_idle_chats

    end_idle_chats.call_local()
    return Chat.objects.filter(state=ChatState.ENDED, ended_idle__gt=0).count()
