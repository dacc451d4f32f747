"""Phone numbers on people: the customer's profile, the admins' People pages, tel: links,
personal data, the placeholder address of a caller nobody knew, and PHONE_REGION (national
numbers in E.164, found however they were stored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from supportal.accounts.models import User
from supportal.audit.models import AuditEntry
from supportal.core.models import OutboundEmail
from supportal.core.services import email_send
from supportal.core.tests.test_settings import load_settings
from supportal.phone.models import Call, Direction, Outcome
from supportal.phone.selectors import customer_for_number
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


class ProfilePhoneRegionTests:
    def test_it_saves_a_national_number_in_e164(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        client.force_login(personas.customer)
        response = client.post(PROFILE, profile_data(personas.customer, phone="010-1234-5678"))
        assert response.status_code == 302
        personas.customer.refresh_from_db()
        assert personas.customer.phone == "+821012345678"

    def test_without_a_region_it_keeps_the_digits(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.PHONE_REGION = ""
        client.force_login(personas.customer)
        client.post(PROFILE, profile_data(personas.customer, phone="010-1234-5678"))
        personas.customer.refresh_from_db()
        assert personas.customer.phone == "01012345678"

    def test_it_explains_a_number_impossible_in_the_region_and_keeps_it(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        client.force_login(personas.customer)
        typed = "123-4567"  # a Seoul number without its area code
        response = client.post(PROFILE, profile_data(personas.customer, phone=typed))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Enter a phone number: digits, optionally starting with +" in page
        assert f'value="{typed}"' in page
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


class PeoplePhoneRegionTests:
    def test_an_admin_sets_a_national_number_in_e164(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        client.force_login(personas.admin)
        url = f"{PEOPLE}{personas.customer.pk}/"
        data = {"role": "customer", "is_active": "on", "organization": personas.acme.pk}
        assert client.post(url, {**data, "phone": "010 1234 5678"}).status_code == 302
        personas.customer.refresh_from_db()
        assert personas.customer.phone == "+821012345678"

    def test_it_keeps_a_number_impossible_in_the_region_in_the_form(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        client.force_login(personas.admin)
        url = f"{PEOPLE}{personas.customer.pk}/"
        data = {"role": "customer", "is_active": "on", "organization": "", "phone": "0101"}
        response = client.post(url, data)
        assert response.status_code == 400
        page = response.content.decode()
        assert "Enter a phone number" in page and 'value="0101"' in page
        personas.customer.refresh_from_db()
        assert personas.customer.phone == ""

    def test_the_list_finds_a_number_however_either_was_written(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        personas.customer.phone = "01012345678"  # saved before PHONE_REGION was set
        personas.customer.save(update_fields=["phone"])
        personas.colleague.phone = "+821012345678"
        personas.colleague.save(update_fields=["phone"])
        client.force_login(personas.admin)
        for query in ("+82 10-1234-5678", "010-1234-5678"):
            page = client.get(PEOPLE, {"q": query}).content.decode()
            assert "Casey Customer" in page and "Minseo Colleague" in page
            assert "Wang Outsider" not in page


class CustomerForNumberTests:
    def test_it_finds_either_form_in_one_query(
        self, personas: Personas, settings: Any, django_assert_num_queries: Any
    ) -> None:
        settings.PHONE_REGION = "KR"
        personas.customer.phone = "01012345678"  # saved before PHONE_REGION was set
        personas.customer.save(update_fields=["phone"])
        personas.agent.phone = "+821012345678"
        personas.agent.save(update_fields=["phone"])
        with django_assert_num_queries(1):
            # A customer before an agent, whichever form each has.
            assert customer_for_number("+821012345678") == personas.customer
        personas.customer.phone = ""
        personas.customer.save(update_fields=["phone"])
        assert customer_for_number("+821012345678") == personas.agent

    def test_without_a_region_only_the_same_digits_match(
        self, personas: Personas, settings: Any
    ) -> None:
        settings.PHONE_REGION = ""
        personas.customer.phone = "01012345678"
        personas.customer.save(update_fields=["phone"])
        assert customer_for_number("+821012345678") is None
        assert customer_for_number("01012345678") == personas.customer


class RegionSettingTests:
    @pytest.mark.parametrize("value", ["XX", "Korea", "KOR", "82"])
    def test_an_unknown_region_stops_start_up_with_a_clear_message(
        self, tmp_path: Path, value: str
    ) -> None:
        result = load_settings(tmp_path, PHONE_REGION=value)
        assert result.returncode == 2
        assert "PHONE_REGION must be a two-letter country code" in result.stderr

    def test_a_region_in_small_letters_is_read(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path, PHONE_REGION="kr")
        assert result.returncode == 0, result.stderr


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

    def test_erasure_finds_the_number_in_either_form(
        self, personas: Personas, settings: Any, tmp_path: Path
    ) -> None:
        settings.MEDIA_ROOT = str(tmp_path)
        customer = personas.customer
        customer.phone = "01012345678"  # saved before PHONE_REGION was set
        customer.save(update_fields=["phone"])
        settings.PHONE_REGION = "KR"
        elsewhere = make_ticket(personas.colleague, group=personas.support)
        call = call_log(
            ticket=elsewhere,
            actor=personas.agent,
            direction=Direction.INBOUND,
            number="010-1234-5678",  # logged in E.164 now
            outcome=Outcome.ANSWERED,
        )
        assert call.number == "+821012345678"
        person_erase(person=customer, actor=personas.admin)
        call.refresh_from_db()
        assert call.number == ""


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
