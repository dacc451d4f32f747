# The expected texts in four languages read best on one line each.
# ruff: noqa: E501
"""Applying a macro on a request: the text in the requester's language, the preview, the apply."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from supportal.automation import services
from supportal.automation.models import Macro
from supportal.automation.tests.fixtures import make_article, make_macro
from supportal.test import Personas, make_ticket, make_user
from supportal.tickets.models import CustomField, Message, Status, Ticket, TicketEvent
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db

TEXTS = {
    "en": "Hello {{requester.first_name}}, #{{ticket.number}} ({{ticket.subject}}): {{article:%d}} {{agent.name}}",
    "ko": "{{requester.name}}님, #{{ticket.number}} 문의입니다: {{article:%d}} {{agent.name}} 드림",
    "ja": "{{requester.name}} 様、お問い合わせ #{{ticket.number}}：{{article:%d}} {{agent.name}}",
    "zh-hans": "{{requester.name}}，您好：工单 #{{ticket.number}}：{{article:%d}} {{agent.name}}",
}  # fmt: skip


def url(ticket: Ticket, rest: str = "macro") -> str:
    return f"/en/agent/requests/{ticket.pk}/{rest}"


def password_macro(personas: Personas, **kwargs: object) -> Macro:
    article = make_article()
    kwargs.setdefault("texts", {code: text % article.pk for code, text in TEXTS.items()})
    kwargs.setdefault("changes", {"status": "pending", "add_tags": ["password"]})
    return make_macro(personas.admin, "Password reset", shared=True, **kwargs)


class MacroLanguageTests:
    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            ("ko", "김지우님, #{number} 문의입니다: 비밀번호 재설정하기: http://testserver/ko/help/articles/{article}/ Jiwoo Agent 드림"),
            ("en", "Hello Casey, #{number} (Locked out): Reset your password: http://testserver/en/help/articles/{article}/ Jiwoo Agent"),
            ("ja", "佐藤 花子 様、お問い合わせ #{number}：パスワードを再設定する: http://testserver/ja/help/articles/{article}/ Jiwoo Agent"),
            ("zh-hans", "王芳，您好：工单 #{number}：重置密码: http://testserver/zh-hans/help/articles/{article}/ Jiwoo Agent"),
        ],
    )  # fmt: skip
    def test_it_fills_in_the_text_in_the_requesters_language(
        self, personas: Personas, settings: object, language: str, expected: str
    ) -> None:
        settings.SITE_URL = "http://testserver"  # type: ignore[attr-defined]
        names = {"ko": "김지우", "en": "Casey Customer", "ja": "佐藤 花子", "zh-hans": "王芳"}
        requester = make_user(f"{language}@example.test", name=names[language], language=language)
        macro = password_macro(personas)
        ticket = make_ticket(requester, "Locked out")
        preview = services.macro_preview(macro=macro, ticket=ticket, actor=personas.agent)
        article = services.placeholders.article_numbers(macro.texts.values())[0]
        assert preview.body == expected.format(number=ticket.pk, article=article)
        assert (preview.language, preview.is_fallback) == (language, False)

    def test_it_falls_back_to_the_default_language_then_any_written_one(
        self, personas: Personas
    ) -> None:
        requester = make_user("sato@example.test", name="佐藤 花子", language="ja")
        ticket = make_ticket(requester)
        texts = {"en": "Hi {{requester.first_name}}", "ko": "{{requester.name}}님"}
        macro = make_macro(personas.agent, texts=texts)
        preview = services.macro_preview(macro=macro, ticket=ticket, actor=personas.agent)
        assert (preview.body, preview.language, preview.is_fallback) == ("Hi 佐藤 花子", "en", True)
        macro = make_macro(personas.agent, "Korean only", texts={"ko": "{{requester.name}}님"})
        preview = services.macro_preview(macro=macro, ticket=ticket, actor=personas.agent)
        assert (preview.body, preview.language) == ("佐藤 花子님", "ko")

    def test_the_preview_page_says_which_language_it_shows(
        self, client: Client, personas: Personas
    ) -> None:
        requester = make_user("sato@example.test", name="Sato", language="ja")
        ticket = make_ticket(requester)
        macro = make_macro(personas.agent, texts={"en": "Hi"})
        client.force_login(personas.agent)
        page = client.get(url(ticket), {"macro": macro.pk}).content.decode()
        assert (
            "The macro has no text in 日本語, the requester's language, so this is its text in English."
            in page
        )
        assert 'lang="en" autofocus aria-describedby="macro_body_helptext"' in page

    def test_an_article_the_reader_may_not_open_is_left_out_with_a_warning(
        self, personas: Personas
    ) -> None:
        internal = make_article({"en": "Escalation"}, visibility="agents")
        texts = {"en": f"See {{{{article:{internal.pk}}}}}."}
        public = make_macro(personas.agent, "Public", texts=texts)
        note = make_macro(personas.agent, "Note", texts=texts, public=False)
        ticket = make_ticket(personas.customer)
        preview = services.macro_preview(macro=public, ticket=ticket, actor=personas.agent)
        assert preview.body == "See ."
        assert preview.warnings == [
            f"Article {internal.pk} is not published for this reader, so its link was left out."
        ]
        preview = services.macro_preview(macro=note, ticket=ticket, actor=personas.agent)
        assert "Escalation: " in preview.body and not preview.warnings


class MacroPreviewTests:
    def test_the_request_page_offers_the_usable_macros_most_used_first(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        make_macro(personas.agent, "Rarely")
        Macro.objects.filter(pk=make_macro(personas.agent, "Often").pk).update(usage_count=9)
        make_macro(personas.other_agent, "Kenji's own")
        make_macro(personas.agent, "Switched off", active=False)
        make_macro(personas.admin, "Billing only", shared=True, group=personas.billing)
        make_macro(personas.admin, "For everyone", shared=True)
        client.force_login(personas.agent)
        page = client.get(url(ticket, "")).content.decode()
        picker = page[
            page.index('id="macro-choice"') : page.index(
                "</select>", page.index('id="macro-choice"')
            )
        ]
        offered = [t for t in ("Often", "For everyone", "Rarely") if t in picker]
        assert offered == ["Often", "For everyone", "Rarely"]
        assert picker.index("Often") < picker.index("For everyone") < picker.index("Rarely")
        for hidden in ("Kenji&#x27;s own", "Switched off", "Billing only"):
            assert hidden not in picker

    def test_it_previews_the_text_and_the_changes_without_writing_anything(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, "Locked out", group=personas.support)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.OPEN))
        macro = password_macro(personas)
        client.force_login(personas.agent)
        events, messages = TicketEvent.objects.count(), Message.objects.count()
        response = client.get(url(ticket), {"macro": macro.pk, "view": "mine"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>" in page  # a page of its own without JavaScript
        assert f"Hello Casey, #{ticket.pk} (Locked out)" in page
        assert 'Status: Open <span aria-hidden="true">→</span>' in page and "Pending</li>" in page
        assert (
            'Tags: <span aria-hidden="true">+</span><span class="visually-hidden">add</span> password'
            in page
        )
        assert f'action="/en/agent/requests/{ticket.pk}/macro/{macro.pk}/apply?view=mine"' in page
        assert (TicketEvent.objects.count(), Message.objects.count()) == (events, messages)
        macro.refresh_from_db()
        assert (macro.usage_count, macro.last_used_at) == (0, None)
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN

    def test_with_htmx_it_answers_a_fragment(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        macro = make_macro(personas.agent)
        client.force_login(personas.agent)
        response = client.get(url(ticket), {"macro": macro.pk}, headers={"HX-Request": "true"})
        page = response.content.decode()
        assert response.status_code == 200
        assert page.startswith('<section class="macro-preview"') and "<h1>" not in page
        assert "Hello Casey" in page

    def test_it_describes_group_assignee_priority_and_field_changes(
        self, personas: Personas
    ) -> None:
        field = CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind=CustomField.Kind.DROPDOWN,
            choices=[{"value": "pro", "labels": {"en": "Professional"}}],
        )
        macro = make_macro(
            personas.admin,
            shared=True,
            texts={},
            changes={
                "group": personas.billing.pk,
                "assignee": "me",
                "priority": 4,
                "fields": {"plan": "pro"},
                "remove_tags": ["vip"],
            },
        )
        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(tags=["vip"]))
        preview = services.macro_preview(macro=macro, ticket=ticket, actor=personas.admin)
        lines = [(line.label, line.old, line.new, line.removed) for line in preview.changes]
        assert lines == [
            ("Priority", "Normal", "Urgent", []),
            ("Group", "Support", "Billing", []),
            ("Assignee", "Unassigned", "Alex Admin", []),
            ("Tags", "", "", ["vip"]),
            (field.label, "", "Professional", []),
        ]
        assert preview.body == "" and preview.language == ""


class MacroApplyTests:
    @time_machine.travel(datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC), tick=False)
    def test_it_sends_the_edited_text_applies_the_changes_and_counts_the_use(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        macro = password_macro(personas)
        client.force_login(personas.agent)
        preview = client.get(url(ticket), {"macro": macro.pk}).context["form"]
        data = {**preview.initial, "body": "Edited: please reset it.", "kind": "public"}
        response = client.post(url(ticket, f"macro/{macro.pk}/apply?view=mine"), data)
        assert response.status_code == 302
        assert response["Location"] == f"/en/agent/requests/{ticket.pk}/?view=mine"
        message = Message.objects.filter(ticket=ticket).latest("pk")
        assert (message.body, message.public, message.author) == (
            "Edited: please reset it.",
            True,
            personas.agent,
        )
        ticket.refresh_from_db()
        assert ticket.status == Status.PENDING
        assert list(ticket.tags.values_list("name", flat=True)) == ["password"]
        events = TicketEvent.objects.filter(ticket=ticket).exclude(kind="created").order_by("pk")
        assert [(e.kind, e.field, e.old_value, e.new_value) for e in events] == [
            ("replied", "message", "", str(message.pk)),
            ("changed", "status", "new", "pending"),  # straight to pending, not through open
            ("changed", "tags", "", "password"),
        ]
        assert {(e.actor, e.via) for e in events} == {(personas.agent, f"macro:{macro.pk}")}
        macro.refresh_from_db()
        assert macro.usage_count == 1
        assert macro.last_used_at == datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
        page = client.get(response["Location"]).content.decode()
        assert "The macro “Password reset” has been applied." in page
        assert "Jiwoo Agent · Macro “Password reset”" in page  # the history says how

    def test_it_adds_an_internal_note_when_asked(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        macro = make_macro(personas.agent, texts={"en": "Checked {{requester.email}}"})
        client.force_login(personas.agent)
        data = {"body": "Checked casey@acme.test", "kind": "note", "seen": "", "events": ""}
        assert client.post(url(ticket, f"macro/{macro.pk}/apply"), data).status_code == 302
        note = Message.objects.filter(ticket=ticket).latest("pk")
        assert not note.public
        assert TicketEvent.objects.filter(
            ticket=ticket, kind="noted", actor=personas.agent
        ).exists()
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW  # a note does not open the request

    def test_it_warns_instead_of_applying_when_someone_wrote_meanwhile(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        macro = password_macro(personas)
        client.force_login(personas.agent)
        data = {**client.get(url(ticket), {"macro": macro.pk}).context["form"].initial}
        data.update(body="My edited text", kind="public")
        reply = ticket_reply(ticket=ticket, author=personas.customer, body="Never mind, found it")
        response = client.post(url(ticket, f"macro/{macro.pk}/apply"), data)
        assert response.status_code == 409
        page = response.content.decode()
        assert "This request changed while you were looking at the macro" in page
        assert f"#message-{reply.pk}" in page and "My edited text</textarea>" in page
        assert "Apply anyway" in page
        assert not Message.objects.filter(body="My edited text").exists()
        ticket.refresh_from_db()
        assert ticket.status == Status.NEW and not ticket.tags.exists()
        # Applying anyway goes through.
        data = dict(response.context["form"].data.items())
        assert client.post(url(ticket, f"macro/{macro.pk}/apply"), data).status_code == 302
        assert Message.objects.filter(body="My edited text").exists()

    def test_it_warns_when_a_colleague_changed_the_request_since_the_preview(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        macro = password_macro(personas)
        client.force_login(personas.agent)
        data = {**client.get(url(ticket), {"macro": macro.pk}).context["form"].initial}
        data["kind"] = "public"
        ticket_update(ticket=ticket, actor=personas.admin, changes=Changes(status=Status.ON_HOLD))
        response = client.post(url(ticket, f"macro/{macro.pk}/apply"), data)
        assert response.status_code == 409
        assert "Status: On hold" in response.content.decode()  # the new state
        assert not Message.objects.filter(ticket=ticket, author=personas.agent).exists()

    def test_nothing_to_apply_is_refused(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.PENDING))
        macro = password_macro(personas, changes={"status": "pending"})
        client.force_login(personas.agent)
        data = {"body": "   ", "kind": "public"}
        response = client.post(url(ticket, f"macro/{macro.pk}/apply"), data)
        assert response.status_code == 400
        assert "Nothing to apply" in response.content.decode()
        macro.refresh_from_db()
        assert macro.usage_count == 0

    def test_it_goes_back_to_the_inbox_when_the_request_leaves_the_agents_groups(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        macro = make_macro(
            personas.admin,
            "To billing",
            shared=True,
            texts={},
            changes={"group": personas.billing.pk},
        )
        client.force_login(personas.agent)
        response = client.post(url(ticket, f"macro/{macro.pk}/apply"), {"kind": "public"})
        assert response.status_code == 302 and response["Location"] == "/en/agent/views/open"
        ticket.refresh_from_db()
        assert ticket.group == personas.billing

    def test_the_service_refuses_a_macro_the_agent_may_not_use(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        macro = make_macro(personas.other_agent)
        with pytest.raises(PermissionDenied):
            services.macro_apply(macro=macro, ticket=ticket, actor=personas.agent, body="Hi")
        with pytest.raises(ValidationError):
            services.macro_apply(macro=macro, ticket=ticket, actor=personas.other_agent, body="")
        assert not Message.objects.filter(author=personas.agent).exists()


class MacroApplyPermissionTests:
    def test_another_agents_personal_macro_is_a_404(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)  # no group: every agent sees it
        macro = make_macro(personas.other_agent)
        client.force_login(personas.agent)
        assert client.get(url(ticket), {"macro": macro.pk}).status_code == 404
        response = client.post(
            url(ticket, f"macro/{macro.pk}/apply"), {"body": "x", "kind": "public"}
        )
        assert response.status_code == 404
        assert client.get(url(ticket), {"macro": "nope"}).status_code == 404
        assert client.get(url(ticket)).status_code == 404

    def test_a_group_macro_is_for_its_members_and_admins(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        macro = make_macro(personas.admin, "Support only", shared=True, group=personas.support)
        for user, status in (
            (personas.other_agent, 404),
            (personas.agent, 200),
            (personas.admin, 200),
        ):
            client.force_login(user)
            assert client.get(url(ticket), {"macro": macro.pk}).status_code == status

    def test_an_inactive_macro_is_a_404(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        macro = make_macro(personas.agent, active=False)
        client.force_login(personas.agent)
        assert client.get(url(ticket), {"macro": macro.pk}).status_code == 404

    def test_a_request_the_agent_may_not_see_is_a_404(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.billing)
        macro = make_macro(personas.agent)
        client.force_login(personas.agent)
        assert client.get(url(ticket), {"macro": macro.pk}).status_code == 404
        data = {"body": "x", "kind": "public"}
        assert client.post(url(ticket, f"macro/{macro.pk}/apply"), data).status_code == 404
        assert not Message.objects.filter(author=personas.agent).exists()

    def test_customers_get_404_and_visitors_the_sign_in_page(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        macro = make_macro(personas.agent)
        apply = url(ticket, f"macro/{macro.pk}/apply")
        response = client.get(url(ticket), {"macro": macro.pk})
        assert response.status_code == 302 and response["Location"].startswith(
            "/en/accounts/login/"
        )
        assert client.post(apply, {"body": "x"}).status_code == 302
        client.force_login(personas.customer)
        assert client.get(url(ticket), {"macro": macro.pk}).status_code == 404
        assert client.post(apply, {"body": "x", "kind": "public"}).status_code == 404
        assert Message.objects.filter(ticket=ticket).count() == 1

    def test_wrong_methods_get_405(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        macro = make_macro(personas.agent)
        client.force_login(personas.agent)
        assert client.post(url(ticket), {"macro": macro.pk}).status_code == 405
        assert client.get(url(ticket, f"macro/{macro.pk}/apply")).status_code == 405
