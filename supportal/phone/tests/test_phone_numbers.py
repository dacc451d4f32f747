"""Phone numbers on people: the customer's profile, the admins' People pages, tel: links,
personal data, and the placeholder address of a caller nobody knew."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from supportal.accounts.models import User
from supportal.audit.models import AuditEntry
from supportal.core.models import OutboundEmail
from supportal.core.services import email_send
from supportal.phone.models import Call, Direction, Outcome
from supportal.phone.services import call_log, caller_for_number
from supportal.privacy.services.erasure import person_erase
from supportal.privacy.services.export import _profile
from supportal.test import Personas, make_ticket

pytestmark = pytest.mark.django_db

PROFILE = "/en/accounts/profile/"
PEOPLE = "/en/agent/manage/people/"


def profile_data(user: User, **overrides: str) -> dict[str, str]:
    data = {"name": user.name, "language": "en", "time_zone": "UTC", "phone": ""}
    data.update(overrides)
    return data


class ProfilePhoneTests:
    def test_it_saves_the_number_normalised(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        response = client.post(PROFILE, profile_data(personas.customer, phone="+82 10-1234-5678"))
        assert response.status_code == 302
        personas.customer.refresh_from_db()
        assert personas.customer.phone == "+821012345678"
        page = client.get(PROFILE).content.decode()
        assert '<a href="tel:+821012345678" class="phone-link">+821012345678</a>' in page
        assert 'type="tel"' in page and 'autocomplete="tel"' in page

    def test_it_explains_a_wrong_number_and_keeps_what_was_typed(
        self, client: Client, personas: Personas
    ) -> None:
        personas.customer.phone = "+821012345678"
        personas.customer.save(update_fields=["phone"])
        client.force_login(personas.customer)
        typed = "010-CALL-ME ext 5"
        response = client.post(PROFILE, profile_data(personas.customer, phone=typed))
        assert response.status_code == 200  # the profile page shows its form again
        page = response.content.decode()
        assert "Enter a phone number: digits, optionally starting with +" in page
        assert f'value="{typed}"' in page
        personas.customer.refresh_from_db()
        assert personas.customer.phone == "+821012345678"

    def test_it_removes_the_number(self, client: Client, personas: Personas) -> None:
        personas.customer.phone = "+821012345678"
        personas.customer.save(update_fields=["phone"])
        client.force_login(personas.customer)
        client.post(PROFILE, profile_data(personas.customer, phone=""))
        personas.customer.refresh_from_db()
        assert personas.customer.phone == ""


class PeoplePhoneTests:
    def test_an_admin_sets_a_persons_number_and_it_is_recorded(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        url = f"{PEOPLE}{personas.customer.pk}/"
        data = {"role": "customer", "is_active": "on", "organization": personas.acme.pk}
        response = client.post(url, {**data, "phone": "0082 10 1234 5678"})
        assert response.status_code == 302
        personas.customer.refresh_from_db()
        assert personas.customer.phone == "+821012345678"
        entry = AuditEntry.objects.get(action="user.change")
        assert (entry.before, entry.after) == ({"phone": ""}, {"phone": "+821012345678"})
        page = client.get(url).content.decode()
        assert '<a href="tel:+821012345678" class="phone-link">' in page

    def test_it_keeps_a_wrong_number_in_the_form(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        url = f"{PEOPLE}{personas.customer.pk}/"
        data = {"role": "customer", "is_active": "on", "organization": "", "phone": "12"}
        response = client.post(url, data)
        assert response.status_code == 400
        page = response.content.decode()
        assert "Enter a phone number" in page and 'value="12"' in page

    def test_the_list_finds_people_by_number_and_links_it(
        self, client: Client, personas: Personas
    ) -> None:
        personas.colleague.phone = "+821012345678"
        personas.colleague.save(update_fields=["phone"])
        client.force_login(personas.admin)
        page = client.get(PEOPLE, {"q": "+82 10-1234-5678"}).content.decode()
        assert "Minseo Colleague" in page and "Casey Customer" not in page
        assert 'href="tel:+821012345678"' in page


class PersonalDataTests:
    def test_the_export_has_the_number(self, personas: Personas) -> None:
        personas.customer.phone = "+821012345678"
        assert _profile(personas.customer)["phone"] == "+821012345678"

    def test_erasure_removes_the_number_and_the_calls_words(
        self, personas: Personas, settings: Any, tmp_path: Path
    ) -> None:
        settings.MEDIA_ROOT = str(tmp_path)
        customer = personas.customer
        customer.phone = "+821012345678"
        customer.save(update_fields=["phone"])
        own = make_ticket(customer, group=personas.support)
        elsewhere = make_ticket(personas.colleague, group=personas.support)
        for ticket in (own, elsewhere):
            call_log(
                ticket=ticket,
                actor=personas.agent,
                direction=Direction.INBOUND,
                number=customer.phone,
                outcome=Outcome.ANSWERED,
                notes="Casey said the code is 4242",
                recording_url="https://recordings.example.net/casey.mp3",
            )
        person_erase(person=customer, actor=personas.admin)
        customer.refresh_from_db()
        assert customer.phone == ""
        on_own = Call.objects.get(ticket=own)
        assert (on_own.number, on_own.notes, on_own.recording_url) == ("", "", "")
        assert Call.objects.get(ticket=elsewhere).number == ""
        assert not User.objects.filter(phone="+821012345678").exists()


class CallerWithoutMailboxTests:
    def test_nothing_is_mailed_to_a_callers_placeholder_address(self, db: Any) -> None:
        caller = caller_for_number("+442079460003")
        assert caller.email.endswith("@phone.invalid")
        email_send(
            to=caller.email,
            template="accounts/email/verify",
            context={"user": caller, "path": "/"},
            language="en",
        )
        assert not OutboundEmail.objects.exists()

    def test_a_caller_is_found_again_by_number(self, db: Any) -> None:
        first = caller_for_number("+442079460003")
        assert caller_for_number("+442079460003") == first
        assert User.objects.count() == 1
