"""Submitting a request: signed in and as a visitor, bad input, custom fields, deflection."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from supportal.helpcenter.models import Visibility
from supportal.test import Personas
from supportal.tickets.models import (
    Attachment,
    CustomField,
    Deflection,
    Message,
    RequestType,
    Ticket,
    TicketFieldValue,
)
from supportal.tickets.tests.test_customer_fixtures import (
    access_path,
    form_key,
    mail_to,
    make_article,
    make_field,
    upload,
    url,
)

pytestmark = pytest.mark.django_db

KEY = "k" * 32


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def post_request(client: Client, **data: object) -> object:
    fields = {"key": KEY, "subject": "Cannot sign in", "description": "It says no.", **data}
    return client.post(url("new"), fields)


class NewRequestFormTests:
    def test_it_shows_the_form_to_visitors_with_an_email_field(self, client: Client) -> None:
        response = client.get(url("new"))
        html = response.content.decode()
        assert response.status_code == 200
        assert "<title>Submit a request · Supportal</title>" in html
        assert 'name="email"' in html and 'name="subject"' in html
        assert 'type="file"' in html and "multiple" in html
        assert "Up to 5 files of at most 10 MB each. Allowed types: png, jpg" in html
        assert 'hx-get="/en/requests/new/suggest"' in html
        assert 'aria-live="polite"' in html
        assert len(form_key(html)) >= 16

    def test_it_gives_each_form_a_new_key(self, client: Client) -> None:
        first = form_key(client.get(url("new")).content.decode())
        assert first != form_key(client.get(url("new")).content.decode())

    def test_it_does_not_ask_signed_in_customers_for_their_email(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        html = client.get(url("new")).content.decode()
        assert 'name="email"' not in html and 'name="subject"' in html

    def test_it_lists_active_request_types_in_the_current_language(self, client: Client) -> None:
        RequestType.objects.create(names={"en": "Billing", "ko": "결제"})
        RequestType.objects.create(names={"en": "Retired"}, active=False)
        assert "결제" in client.get(url("new", lang="ko")).content.decode()
        html = client.get(url("new")).content.decode()
        assert "Billing" in html and "Retired" not in html

    def test_it_shows_only_active_customer_visible_fields(self, client: Client) -> None:
        make_field("order_number")
        make_field("internal_score", customer_visible=False)
        field = make_field("old_field")
        field.active = False
        field.save()
        html = client.get(url("new")).content.decode()
        assert "Order number" in html
        assert "Internal score" not in html and "Old field" not in html

    def test_it_refuses_other_methods(self, client: Client) -> None:
        assert client.put(url("new")).status_code == 405


class SignedInSubmitTests:
    def test_it_creates_the_request_and_shows_it(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        response = post_request(client, attachments=[upload("log.txt"), upload("more.csv")])
        ticket = Ticket.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/en/requests/{ticket.pk}/"
        assert ticket.requester == personas.customer and ticket.channel == "web"
        assert ticket.submission_key == KEY
        assert sorted(a.filename for a in Attachment.objects.all()) == ["log.txt", "more.csv"]
        page = client.get(response["Location"]).content.decode()
        assert f"Your request #{ticket.pk} has been received." in page
        assert "It says no." in page

    def test_it_does_not_create_a_second_request_when_the_form_is_posted_twice(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        first = post_request(client)
        second = post_request(client)
        assert Ticket.objects.count() == 1
        assert Message.objects.count() == 1
        assert first["Location"] == second["Location"]

    def test_it_creates_a_new_request_from_a_new_form(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        post_request(client)
        post_request(client, key="m" * 32)
        assert Ticket.objects.count() == 2

    def test_it_stores_the_chosen_request_type(self, client: Client, personas: Personas) -> None:
        billing = RequestType.objects.create(names={"en": "Billing"})
        client.force_login(personas.customer)
        post_request(client, type=str(billing.pk))
        assert Ticket.objects.get().type == billing


class BadInputTests:
    def test_it_asks_for_a_subject_and_a_description_keeping_the_input(
        self, client: Client, personas: Personas
    ) -> None:
        response = post_request(client, subject="  ", description="", email="v@example.test")
        html = response.content.decode()
        assert response.status_code == 400
        assert "Please correct the problems below." in html
        assert html.count("This field is required.") == 2
        assert 'value="v@example.test"' in html
        assert f'value="{KEY}"' in html
        assert Ticket.objects.count() == 0

    def test_it_refuses_a_bad_email(self, client: Client) -> None:
        response = post_request(client, email="not-an-address", name="Robin")
        html = response.content.decode()
        assert response.status_code == 400
        assert "Enter a valid email address." in html
        assert 'value="Robin"' in html and 'value="Cannot sign in"' in html

    def test_it_refuses_disallowed_and_too_many_files_and_asks_to_choose_them_again(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.ATTACHMENT_MAX_FILES = 2  # type: ignore[attr-defined]
        client.force_login(personas.customer)
        files = [upload("run.exe"), upload("a.txt"), upload("b.txt")]
        response = post_request(client, description="Typed with care.", attachments=files)
        html = response.content.decode()
        assert response.status_code == 400
        assert "“run.exe” is not a file type we accept." in html
        assert "You can attach at most 2 files." in html
        assert "please choose them again" in html
        assert "Typed with care." in html
        assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0

    def test_it_refuses_too_large_and_empty_files(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.ATTACHMENT_MAX_MB = 1  # type: ignore[attr-defined]
        client.force_login(personas.customer)
        files = [upload("big.pdf", b"x" * (1024 * 1024 + 1)), upload("empty.txt", b"")]
        html = post_request(client, attachments=files).content.decode()
        assert "“big.pdf” is larger than 1 MB." in html
        assert "“empty.txt” is empty." in html
        assert Ticket.objects.count() == 0

    def test_it_replaces_a_tampered_form_key(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        post_request(client, key="<script>")
        post_request(client, key="<script>")
        assert Ticket.objects.count() == 2
        assert all(len(t.submission_key) >= 16 for t in Ticket.objects.all())

    def test_it_refuses_an_unknown_request_type(self, client: Client, personas: Personas) -> None:
        RequestType.objects.create(names={"en": "Billing"})
        client.force_login(personas.customer)
        response = post_request(client, type="999")
        assert response.status_code == 400
        assert "Select a valid choice." in response.content.decode()
        assert Ticket.objects.count() == 0

    def test_it_requires_a_type_when_types_exist(self, client: Client, personas: Personas) -> None:
        RequestType.objects.create(names={"en": "Billing"})
        client.force_login(personas.customer)
        assert post_request(client).status_code == 400
        assert Ticket.objects.count() == 0


class CustomFieldTests:
    @pytest.fixture
    def fields(self, db: None) -> dict[str, CustomField]:
        kind = CustomField.Kind
        plan_choices = [
            {"value": "basic", "labels": {"en": "Basic", "ko": "기본"}},
            {"value": "pro", "labels": {"en": "Pro"}},
        ]
        return {
            "order": make_field("order_id", required=True),
            "notes": make_field("notes", kind.TEXTAREA),
            "amount": make_field("amount", kind.NUMBER),
            "since": make_field("since", kind.DATE),
            "urgent": make_field("urgent", kind.CHECKBOX),
            "plan": make_field("plan", kind.DROPDOWN, choices=plan_choices),
            "score": make_field("score", customer_visible=False),
        }

    def values(self, ticket: Ticket) -> dict[str, str]:
        rows = TicketFieldValue.objects.filter(ticket=ticket).select_related("field")
        return {row.field.key: row.value for row in rows}

    def test_it_stores_valid_values_of_every_kind(
        self, client: Client, personas: Personas, fields: dict[str, CustomField]
    ) -> None:
        client.force_login(personas.customer)
        response = post_request(
            client,
            field_order_id="A-42",
            field_notes="Line one\nLine two",
            field_amount="12.50",
            field_since="2025-03-31",
            field_urgent="on",
            field_plan="pro",
            field_score="10",
        )
        assert response.status_code == 302
        assert self.values(Ticket.objects.get()) == {
            "order_id": "A-42",
            "notes": "Line one\nLine two",
            "amount": "12.50",
            "since": "2025-03-31",
            "urgent": "1",
            "plan": "pro",
        }

    def test_it_writes_whole_numbers_plainly_and_skips_empty_optional_fields(
        self, client: Client, personas: Personas, fields: dict[str, CustomField]
    ) -> None:
        client.force_login(personas.customer)
        post_request(client, field_order_id="A-1", field_amount="1e3")
        assert self.values(Ticket.objects.get()) == {"order_id": "A-1", "amount": "1000"}

    def test_it_refuses_bad_values_by_kind_keeping_the_input(
        self, client: Client, personas: Personas, fields: dict[str, CustomField]
    ) -> None:
        client.force_login(personas.customer)
        response = post_request(
            client,
            field_amount="twelve",
            field_since="31/03/2025",
            field_plan="platinum",
            field_notes="Kept text",
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "This field is required." in html  # order_id
        assert "Enter a number." in html
        assert "Enter a valid date." in html
        assert "Select a valid choice. platinum is not one of the available choices." in html
        assert "Kept text" in html and 'value="twelve"' in html
        assert Ticket.objects.count() == 0

    def test_it_requires_a_required_checkbox_to_be_ticked(
        self, client: Client, personas: Personas
    ) -> None:
        make_field("terms", CustomField.Kind.CHECKBOX, required=True)
        client.force_login(personas.customer)
        assert post_request(client).status_code == 400
        assert post_request(client, field_terms="on").status_code == 302


class VisitorSubmitTests:
    def test_it_creates_the_request_and_signs_the_visitor_in_once_through_the_link(
        self, client: Client
    ) -> None:
        response = post_request(client, email="Robin@Example.test", name="Robin")
        ticket = Ticket.objects.get()
        html = response.content.decode()
        assert response.status_code == 200
        assert "Check your email" in html
        assert f"Your request #{ticket.pk} has been received." in html
        assert ticket.requester.email == "robin@example.test"
        assert ticket.requester.name == "Robin"
        [email] = mail_to("robin@example.test")
        link = access_path(email)
        opened = client.get(link)
        assert opened.status_code == 200
        assert "Open my request" in opened.content.decode()
        used = client.post(link)
        assert used.status_code == 302
        assert used["Location"] == f"/en/requests/{ticket.pk}/"
        page = client.get(used["Location"]).content.decode()
        assert "You are signed in. Here is your request." in page
        assert "It says no." in page
        client.logout()
        again = client.post(link)
        assert again.status_code == 400
        assert "This link has been used" in again.content.decode()
        assert "_auth_user_id" not in client.session

    def test_it_shows_the_same_confirmation_when_posted_twice(self, client: Client) -> None:
        first = post_request(client, email="robin@example.test")
        second = post_request(client, email="robin@example.test")
        number = Ticket.objects.get().pk
        for response in (first, second):
            assert f"Your request #{number} has been received." in response.content.decode()
        assert len(mail_to("robin@example.test")) == 1

    def test_it_does_not_sign_in_through_the_page_before_the_button(self, client: Client) -> None:
        post_request(client, email="robin@example.test")
        client.get(access_path(mail_to("robin@example.test")[0]))
        assert "_auth_user_id" not in client.session

    def test_it_explains_an_invalid_link(self, client: Client) -> None:
        response = client.post(url("access/not-a-real-token"))
        html = response.content.decode()
        assert response.status_code == 400
        assert "This link is not valid" in html
        assert 'href="/en/accounts/password/reset/"' in html
        assert 'href="/en/requests/new"' in html

    def test_it_explains_an_expired_link(self, client: Client) -> None:
        import time_machine

        post_request(client, email="robin@example.test")
        link = access_path(mail_to("robin@example.test")[0])
        with time_machine.travel("2100-01-01T00:00:00Z"):
            response = client.post(link)
        assert "This link has expired" in response.content.decode()

    def test_it_refuses_delete_on_the_link(self, client: Client) -> None:
        assert client.delete(url("access/abc")).status_code == 405


class DeflectionTests:
    def test_it_suggests_up_to_five_visible_articles_with_links_that_open_in_a_new_tab(
        self, client: Client
    ) -> None:
        articles = [make_article(f"Reset your password {n}") for n in range(7)]
        make_article("Reset your password (agents)", visibility=Visibility.AGENTS)
        response = client.get(url("new/suggest"), {"subject": "reset password", "key": KEY})
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count("<li>") == 5
        assert "(agents)" not in html
        assert 'target="_blank"' in html and "opens in a new tab" in html
        shown = [a for a in articles if f"/en/requests/new/article/{a.pk}?" in html]
        assert len(shown) == 5
        assert f"/en/requests/new/article/{shown[0].pk}?form={KEY}&amp;q=reset%20password" in html

    def test_it_suggests_nothing_for_an_empty_subject(self, client: Client) -> None:
        make_article()
        html = client.get(url("new/suggest"), {"subject": " "}).content.decode()
        assert "<li>" not in html

    def test_it_records_an_opened_article_and_marks_it_submitted_with_the_form(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.customer)
        response = client.get(
            url(f"new/article/{article.pk}"), {"form": KEY, "q": "reset my password"}
        )
        assert response.status_code == 302
        assert response["Location"] == f"/en/help/articles/{article.pk}/"
        deflection = Deflection.objects.get()
        assert (deflection.form_key, deflection.query) == (KEY, "reset my password")
        assert deflection.user == personas.customer and not deflection.submitted
        post_request(client)
        deflection.refresh_from_db()
        assert deflection.submitted

    def test_it_records_a_query_with_control_characters_cleaned(self, client: Client) -> None:
        # PostgreSQL refuses NUL in text: a hostile ?q= must not make a 500.
        article = make_article()
        response = client.get(url(f"new/article/{article.pk}"), {"form": KEY, "q": "reset\x00pw"})
        assert response.status_code == 302
        assert Deflection.objects.get().query == "reset pw"

    def test_it_keeps_a_deflection_unsubmitted_when_another_form_is_sent(
        self, client: Client
    ) -> None:
        article = make_article()
        client.get(url(f"new/article/{article.pk}"), {"form": KEY})
        post_request(client, key="z" * 32, email="robin@example.test")
        assert Deflection.objects.get().submitted is False
        assert Deflection.objects.get().user is None

    def test_it_refuses_an_article_the_visitor_may_not_read(self, client: Client) -> None:
        hidden = make_article(visibility=Visibility.AGENTS)
        assert client.get(url(f"new/article/{hidden.pk}"), {"form": KEY}).status_code == 404
        assert client.get(url("new/article/999999"), {"form": KEY}).status_code == 404
        assert Deflection.objects.count() == 0

    def test_it_opens_the_article_without_recording_when_the_key_is_odd(
        self, client: Client
    ) -> None:
        article = make_article()
        assert client.get(url(f"new/article/{article.pk}"), {"form": "x"}).status_code == 302
        assert Deflection.objects.count() == 0

    def test_it_refuses_post_on_suggestions_and_articles(self, client: Client) -> None:
        article = make_article()
        assert client.post(url("new/suggest")).status_code == 405
        assert client.post(url(f"new/article/{article.pk}")).status_code == 405
