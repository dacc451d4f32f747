"""Support addresses for admins: the list, the form, its secrets, and the connection test."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client

from supportal.mail import settings_services
from supportal.mail.models import Mailbox
from supportal.test import Personas, session_queries

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/mail"
SECRET = "s3cret-imap-password"


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "address": "help@acme.test",
        "name": "Acme Support",
        "group": "",
        "delivery": "imap",
        "active": "on",
        "imap_host": "imap.acme.test",
        "imap_port": "993",
        "imap_security": "tls",
        "imap_user": "help@acme.test",
        "imap_password": SECRET,
        "imap_folder": "INBOX",
        "poll_minutes": "2",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_mailbox(**fields: Any) -> Mailbox:
    values: dict[str, Any] = {
        "address": "help@acme.test",
        "name": "Acme Support",
        "group": None,
        "delivery": Mailbox.Delivery.IMAP,
        "active": True,
        "imap_host": "imap.acme.test",
        "imap_port": 993,
        "imap_security": Mailbox.Security.TLS,
        "imap_user": "help@acme.test",
        "imap_folder": "INBOX",
        "poll_minutes": 1,
    }
    password = fields.pop("password", SECRET)
    values.update(fields)
    return settings_services.mailbox_save(mailbox=None, password=password, **values)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailboxListTests:
    def test_it_lists_addresses_with_status_and_the_last_error_in_words(
        self, client: Client, personas: Personas
    ) -> None:
        make_mailbox(group=personas.support)
        broken = make_mailbox(address="billing@acme.test", active=False)
        Mailbox.objects.filter(pk=broken.pk).update(
            last_error="Sign-in failed: wrong user name or password.", failures=3
        )
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/").content.decode()
        assert "help@acme.test" in page and "billing@acme.test" in page
        assert "Support" in page and "Inactive" in page and "Active" in page
        assert "<strong>Error:</strong> Sign-in failed: wrong user name or password." in page
        assert f'href="{BASE}/{broken.pk}"' in page
        assert SECRET not in page

    def test_it_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        client.force_login(personas.admin)
        make_mailbox(group=personas.support)
        client.get(f"{BASE}/")
        with django_assert_num_queries(session_queries() + 2):
            assert client.get(f"{BASE}/").status_code == 200
        for number in range(5):
            make_mailbox(address=f"team{number}@acme.test", group=personas.billing)
        with django_assert_num_queries(session_queries() + 2):
            assert "team4@acme.test" in client.get(f"{BASE}/").content.decode()

    def test_it_links_both_pages_in_the_settings_navigation(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/").content.decode()
        assert f'<a href="{BASE}/" aria-current="page">Support addresses</a>' in page
        assert f'<a href="{BASE}/log/">Mail log</a>' in page
        assert f'<a href="{BASE}/spam/">Spam</a>' in page

    def test_it_refuses_other_methods_and_roles(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.post(f"{BASE}/").status_code == 405
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.get(f"{BASE}/").status_code == 403
        client.logout()
        assert client.get(f"{BASE}/").status_code == 302


class MailboxFormTests:
    def test_it_creates_an_imap_address_with_an_encrypted_password(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/new", form_data(address="Help@Acme.test", group=personas.support.pk)
        )
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/"
        mailbox = Mailbox.objects.get()
        assert mailbox.address == "help@acme.test"
        assert mailbox.group == personas.support
        assert (mailbox.imap_host, mailbox.imap_port, mailbox.poll_minutes) == (
            "imap.acme.test",
            993,
            2,
        )
        assert mailbox.imap_password == SECRET
        assert SECRET not in mailbox.imap_password_encrypted
        listing = client.get(response["Location"]).content.decode()
        assert "The support address has been saved." in listing

    def test_it_never_shows_the_password_and_a_blank_one_keeps_it(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = make_mailbox()
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/{mailbox.pk}").content.decode()
        assert 'value="imap.acme.test"' in page
        assert SECRET not in page and mailbox.imap_password_encrypted not in page
        assert 'type="password" name="imap_password"' in page
        assert "Leave this empty to keep it" in page

        response = client.post(
            f"{BASE}/{mailbox.pk}", form_data(imap_password="", imap_host="mail.acme.test")
        )
        assert response.status_code == 302
        mailbox.refresh_from_db()
        assert mailbox.imap_host == "mail.acme.test"
        assert mailbox.imap_password == SECRET

        client.post(f"{BASE}/{mailbox.pk}", form_data(imap_password="a-new-one"))
        mailbox.refresh_from_db()
        assert mailbox.imap_password == "a-new-one"

    def test_it_keeps_what_was_typed_when_it_refuses(
        self, client: Client, personas: Personas
    ) -> None:
        make_mailbox(address="taken@acme.test")
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/new",
            form_data(
                address="TAKEN@acme.test",
                name="Typed name",
                imap_host="",
                imap_user="",
                imap_password="",
                imap_port="70000",
            ),
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "There is already a support address with this email address." in page
        assert "Enter the IMAP server." in page
        assert "Enter the user name." in page
        assert "Enter the password." in page
        assert "Enter a port between 1 and 65535." in page
        assert 'value="Typed name"' in page and 'value="TAKEN@acme.test"' in page
        assert Mailbox.objects.count() == 1

    def test_it_needs_no_imap_settings_for_http_delivery(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/new",
            form_data(delivery="http", imap_host="", imap_user="", imap_password=""),
        )
        mailbox = Mailbox.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/{mailbox.pk}"
        page = client.get(response["Location"]).content.decode()
        assert f"{settings.SITE_URL}/mail/inbound/{mailbox.inbound_token}</code>" in page
        assert "New secret address" in page

    def test_it_shows_the_command_for_pipe_delivery(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = make_mailbox(delivery=Mailbox.Delivery.PIPE, password="")
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/{mailbox.pk}").content.decode()
        assert "supportal ingest_email --mailbox help@acme.test -" in page
        assert "/mail/inbound/" not in page

    def test_it_groups_the_imap_fields_under_a_legend(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/new").content.decode()
        start = page.index("<legend>IMAP settings</legend>")
        fieldset = page[start : page.index('<div class="actions">', start)]
        for name in ("imap_host", "imap_port", "imap_user", "imap_password", "imap_folder"):
            assert f'name="{name}"' in fieldset

    def test_the_service_refuses_what_the_form_refuses(self, personas: Personas) -> None:
        make_mailbox()
        with pytest.raises(ValidationError, match="already a support address"):
            make_mailbox(address="HELP@acme.test", delivery=Mailbox.Delivery.HTTP)
        with pytest.raises(ValidationError, match="IMAP needs a server"):
            make_mailbox(address="new@acme.test", password="")
        with pytest.raises(ValidationError, match="between 1 and 65535"):
            make_mailbox(address="new@acme.test", imap_port=0)
        assert Mailbox.objects.count() == 1

    def test_a_changed_connection_clears_the_last_error(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_error="Timed out.", failures=4, imap_last_uid=812
        )
        stale = Mailbox.objects.get(pk=mailbox.pk)
        Mailbox.objects.filter(pk=mailbox.pk).update(imap_last_uid=900)  # the worker polled
        fields = {"imap_host": "mail.acme.test", "name": "Renamed"}
        saved = settings_services.mailbox_save(mailbox=stale, password=None, **fields)
        saved.refresh_from_db()
        assert (saved.last_error, saved.failures, saved.name) == ("", 0, "Renamed")
        assert saved.imap_last_uid == 900  # the page's stale copy did not overwrite it

    def test_it_refuses_other_methods_and_roles(self, client: Client, personas: Personas) -> None:
        mailbox = make_mailbox()
        client.force_login(personas.admin)
        assert client.put(f"{BASE}/new").status_code == 405
        assert client.get(f"{BASE}/{mailbox.pk + 100}").status_code == 404
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.get(f"{BASE}/new").status_code == 403
            assert client.post(f"{BASE}/{mailbox.pk}", form_data()).status_code == 403
        mailbox.refresh_from_db()
        assert mailbox.name == "Acme Support"


class InboundTokenTests:
    def test_it_gives_the_inbound_address_a_new_secret(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = make_mailbox(delivery=Mailbox.Delivery.HTTP, password="")
        old = mailbox.inbound_token
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/{mailbox.pk}/token")
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/{mailbox.pk}"
        mailbox.refresh_from_db()
        assert mailbox.inbound_token != old and len(mailbox.inbound_token) >= 40
        page = client.get(response["Location"]).content.decode()
        assert "The inbound address has a new secret." in page
        assert mailbox.inbound_token in page and old not in page

    def test_it_refuses_other_methods_and_roles(self, client: Client, personas: Personas) -> None:
        mailbox = make_mailbox(delivery=Mailbox.Delivery.HTTP, password="")
        old = mailbox.inbound_token
        client.force_login(personas.admin)
        assert client.get(f"{BASE}/{mailbox.pk}/token").status_code == 405
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.post(f"{BASE}/{mailbox.pk}/token").status_code == 403
        mailbox.refresh_from_db()
        assert mailbox.inbound_token == old


class ConnectionTestTests:
    def test_it_tests_the_typed_values_and_says_what_is_wrong(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        data = form_data(
            imap_host="127.0.0.1", imap_port=str(closed_port()), imap_security="starttls"
        )
        response = client.post(f"{BASE}/new/test", data, headers={"HX-Request": "true"})
        assert response.status_code == 200
        fragment = response.content.decode()
        assert "<html" not in fragment
        assert "Connection failed:" in fragment
        assert Mailbox.objects.count() == 0  # nothing was saved

    def test_without_javascript_it_shows_the_result_on_the_form(
        self, client: Client, personas: Personas
    ) -> None:
        mailbox = make_mailbox()
        client.force_login(personas.admin)
        # A blank password means the stored one.
        data = form_data(imap_host="127.0.0.1", imap_port=str(closed_port()), imap_password="")
        response = client.post(f"{BASE}/{mailbox.pk}/test", data)
        page = response.content.decode()
        assert response.status_code == 200
        assert 'role="status"' in page and "Connection failed:" in page
        assert 'value="127.0.0.1"' in page
        assert SECRET not in page
        mailbox.refresh_from_db()
        assert mailbox.imap_host == "imap.acme.test"

    def test_it_asks_for_the_imap_values_first(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/new/test", form_data(imap_host=""), headers={"HX-Request": "true"}
        )
        assert "Fill in the IMAP server, port, user name and password first." in (
            response.content.decode()
        )

    def test_it_refuses_other_methods_and_roles(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.get(f"{BASE}/new/test").status_code == 405
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.post(f"{BASE}/new/test", form_data()).status_code == 403
