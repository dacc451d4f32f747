from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from supportal.core.models import OutboundEmail
from supportal.test import Personas, make_ticket
from supportal.tickets import search
from supportal.tickets.models import Message, Status, Ticket, TicketCC, TicketEvent
from supportal.tickets.services import (
    Changes,
    access_link_create,
    access_link_use,
    ticket_add_cc,
    ticket_create_anonymous,
    ticket_link,
    ticket_mark_solved,
    ticket_merge,
    ticket_reopen,
    ticket_reply,
    ticket_update,
)

pytestmark = pytest.mark.django_db


def mail_to(email: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to__icontains=email).order_by("pk"))


class TicketLifecycleTests:
    def test_it_creates_a_request_with_its_first_message_and_event(
        self, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, "Refund for order 42", "Please refund my order.")
        assert ticket.status == Status.NEW and ticket.is_open
        assert ticket.organization == personas.acme
        assert [m.body for m in ticket.messages.all()] == ["Please refund my order."]
        event = ticket.events.get()
        assert (event.kind, event.actor, event.new_value) == (
            "created",
            personas.customer,
            "Refund for order 42",
        )
        assert f"[#{ticket.pk}]" in mail_to(personas.customer.email)[0].subject

    def test_it_refuses_a_request_without_subject_or_description(self, personas: Personas) -> None:
        with pytest.raises(ValidationError):
            make_ticket(personas.customer, " ", "text")
        with pytest.raises(ValidationError):
            make_ticket(personas.customer, "subject", "")
        assert not Ticket.objects.exists()

    def test_it_returns_the_same_request_for_a_repeated_submission(
        self, personas: Personas
    ) -> None:
        first = make_ticket(personas.customer, submission_key="form-1")
        second = make_ticket(personas.customer, submission_key="form-1")
        assert first.pk == second.pk
        assert Ticket.objects.count() == 1

    def test_it_rejects_disallowed_files_and_creates_nothing(self, personas: Personas) -> None:
        bad = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/x-msdownload")
        with pytest.raises(ValidationError) as error:
            make_ticket(personas.customer, attachments=[bad])
        assert "run.exe" in str(error.value)
        assert not Ticket.objects.exists()

    def test_it_replies_notes_solves_and_reopens(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_reply(ticket=ticket, author=personas.agent, body="Try resetting it.")
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        assert "Try resetting it." in mail_to(personas.customer.email)[-1].body_text
        ticket_reply(
            ticket=ticket, author=personas.agent, body="Customer seems upset", public=False
        )
        assert all("upset" not in m.body_text for m in mail_to(personas.customer.email))
        ticket_mark_solved(ticket=ticket, actor=personas.customer)
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED and not ticket.is_open and ticket.solved_at
        ticket_reopen(ticket=ticket, actor=personas.customer)
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN and ticket.solved_at is None
        fields = list(
            ticket.events.filter(kind="changed").values_list("field", "old_value", "new_value")
        )
        assert fields == [
            ("status", "new", "open"),
            ("status", "open", "solved"),
            ("status", "solved", "open"),
        ]

    def test_it_refuses_a_customer_reopen_after_the_window(
        self, personas: Personas, settings
    ) -> None:
        ticket = make_ticket(personas.customer)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED))
        ticket.refresh_from_db()
        with (
            time_machine.travel(ticket.solved_at + settings.REOPEN_WINDOW * 2),
            pytest.raises(ValidationError),
        ):
            ticket_reopen(ticket=ticket, actor=personas.customer)

    def test_it_refuses_an_internal_note_from_a_customer(self, personas: Personas) -> None:
        from django.core.exceptions import PermissionDenied

        ticket = make_ticket(personas.customer)
        with pytest.raises(PermissionDenied):
            ticket_reply(ticket=ticket, author=personas.customer, body="x", public=False)

    def test_it_writes_one_event_per_changed_field(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        events = ticket_update(
            ticket=ticket,
            actor=personas.admin,
            changes=Changes(
                priority=4, group=personas.support, assignee=personas.agent, tags=["vip", "login"]
            ),
        )
        assert [(e.field, e.old_value, e.new_value) for e in events] == [
            ("priority", "2", "4"),
            ("group", "", str(personas.support.pk)),
            ("assignee", "", str(personas.agent.pk)),
            ("tags", "", "login vip"),
        ]
        assert "Assigned to you" in mail_to(personas.agent.email)[-1].subject
        assert ticket_update(ticket=ticket, actor=personas.admin, changes=Changes(priority=4)) == []

    def test_it_merges_conversation_and_followers(self, personas: Personas) -> None:
        target = make_ticket(personas.customer, "Login broken")
        source = make_ticket(personas.colleague, "Cannot log in either")
        ticket_merge(source=source, target=target, actor=personas.agent)
        source.refresh_from_db()
        assert source.merged_into == target and source.status == Status.CLOSED
        bodies = list(Message.objects.filter(ticket=target).values_list("body", flat=True))
        assert "The sign-in page says my password is wrong." in bodies
        assert any(f"#{source.pk}" in body for body in bodies)
        assert TicketCC.objects.filter(ticket=target, user=personas.colleague).exists()
        assert any("merged" in m.subject for m in mail_to(personas.colleague.email))
        with pytest.raises(ValidationError):
            ticket_merge(source=source, target=target, actor=personas.agent)

    def test_it_links_two_requests_once(self, personas: Personas) -> None:
        first, second = make_ticket(personas.customer), make_ticket(personas.customer)
        ticket_link(ticket=second, other=first, actor=personas.agent)
        ticket_link(ticket=first, other=second, actor=personas.agent)
        assert TicketEvent.objects.filter(kind="linked").count() == 2

    def test_it_adds_a_cc_who_then_sees_the_request(self, personas: Personas) -> None:
        ticket = make_ticket(personas.outsider)
        ticket_add_cc(ticket=ticket, actor=personas.outsider, email="Boss@Globex.test")
        boss = ticket.cc.get()
        assert boss.email == "boss@globex.test"
        assert list(Ticket.objects.visible_to(boss)) == [ticket]
        assert mail_to("boss@globex.test")


class VisibilityTests:
    def test_it_scopes_requests_to_who_may_see_them(self, personas: Personas) -> None:
        own = make_ticket(personas.customer, group=personas.support)
        other_org = make_ticket(personas.outsider, group=personas.billing)
        no_group = make_ticket(personas.outsider)
        visible = lambda user: set(Ticket.objects.visible_to(user))  # noqa: E731
        assert visible(personas.customer) == {own}
        assert visible(personas.colleague) == {own}  # Acme shares requests
        assert visible(personas.outsider) == {other_org, no_group}
        assert visible(personas.agent) == {own, no_group}
        assert visible(personas.other_agent) == {other_org, no_group}
        assert visible(personas.admin) == {own, other_org, no_group}

    def test_it_lets_a_manager_see_an_organization_that_does_not_share(
        self, personas: Personas
    ) -> None:
        from supportal.test import make_user

        ticket = make_ticket(personas.outsider)
        member = make_user("member@globex.test", organization=personas.globex)
        manager = make_user("manager@globex.test", organization=personas.globex)
        manager.manages_organization = True
        manager.save()
        assert not Ticket.objects.visible_to(member).exists()
        assert list(Ticket.objects.visible_to(manager)) == [ticket]


class AccessLinkTests:
    def test_it_creates_a_visitor_request_and_mails_a_single_use_link(self, db: None) -> None:
        ticket = ticket_create_anonymous(
            email="Visitor@Example.test",
            name="Vera",
            subject="Where is my parcel?",
            description="Ordered last week.",
            language="ko",
            submission_key="k1",
        )
        mail = OutboundEmail.objects.get(to__icontains="visitor@example.test")
        assert "/ko/requests/access/" in mail.body_text
        token = mail.body_text.split("/requests/access/")[1].split()[0]
        outcome = access_link_use(token=token)
        assert outcome.ticket == ticket and outcome.user.email == "visitor@example.test"
        assert access_link_use(token=token).problem == "used"
        assert access_link_use(token="forged").problem == "invalid"

    def test_it_does_not_sign_in_staff_through_a_link(self, personas: Personas) -> None:
        ticket = make_ticket(personas.agent)
        token = access_link_create(ticket=ticket, user=personas.agent)
        assert access_link_use(token=token).problem == "invalid"


class SearchTests:
    def test_it_finds_requests_by_words_name_email_and_number(self, personas: Personas) -> None:
        refund = make_ticket(personas.customer, "Refunds for damaged items", "The box was crushed.")
        korean = make_ticket(
            personas.outsider, "결제 오류가 발생했습니다", "카드 결제가 실패합니다."
        )
        ticket_reply(ticket=refund, author=personas.agent, body="We shipped a replacement parcel.")
        found = lambda q: list(search.matching(Ticket.objects.all(), q))  # noqa: E731
        assert found("refund") == [refund]
        assert found("crushed box") == [refund]
        assert found("parcel") == [refund]
        assert found("casey") == [refund]
        assert found("wang@globex.test") == [korean]
        assert found("결제") == [korean]
        assert found(f"#{korean.pk}") == [korean]
        assert found("refund parcel nothing") == []
        assert found('" * NEAR ( )') == []


class UserForEmailTests:
    def test_it_returns_the_account_another_process_made_a_moment_ago(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from supportal.accounts.models import User
        from supportal.tickets.services import user_for_email

        made = user_for_email(email="new.person@example.test")
        real_filter = User.objects.filter
        misses = iter([True])

        def racing_filter(*args: object, **kwargs: object) -> object:
            # The first lookup runs before the other process's insert commits.
            if next(misses, False):
                return User.objects.none()
            return real_filter(*args, **kwargs)

        monkeypatch.setattr(User.objects, "filter", racing_filter)
        assert user_for_email(email="New.Person@example.test") == made
