from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from supportal.accounts.tests.test_twofactor import code_now, enrol, password_step
from supportal.audit.models import AuditEntry
from supportal.core.maintenance import maintenance_read, maintenance_set
from supportal.test import PASSWORD, Personas


def command(*args: str) -> str:
    out = io.StringIO()
    call_command("maintenance", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class MaintenanceCommandTests:
    def test_it_switches_on_and_off_and_says_so(self) -> None:
        assert command("status") == "Maintenance mode is off.\n"
        text = command("on", "--message", "Back at 10:00 UTC.", "--retry-after", "120")
        assert text == (
            "Maintenance mode is on (Retry-After: 120 seconds).\nMessage: Back at 10:00 UTC.\n"
        )
        assert command("status").startswith("Maintenance mode is on (Retry-After: 120")
        assert command("off") == "Maintenance mode is off.\n"
        assert not maintenance_read().enabled
        assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
            "maintenance.on",
            "maintenance.off",
        ]

    def test_it_refuses_a_negative_retry_after(self) -> None:
        with pytest.raises(CommandError, match="--retry-after must be 0 or more"):
            command("on", "--retry-after", "-5")
        assert not maintenance_read().enabled
        assert not AuditEntry.objects.filter(action__startswith="maintenance.").exists()


@pytest.mark.django_db
class MaintenanceModeTests:
    @pytest.fixture(autouse=True)
    def _closed(self) -> None:
        maintenance_set(enabled=True, message="We are moving to a new server.", retry_after=90)

    def test_it_shows_visitors_a_503_with_retry_after(self, client: Client) -> None:
        response = client.get("/en/help/")
        assert response.status_code == 503
        assert response["Retry-After"] == "90"
        html = response.content.decode()
        assert "<h1>We are doing maintenance</h1>" in html
        assert "We are moving to a new server." in html
        assert 'class="site-header"' in html  # in the site's shell

    def test_it_answers_in_the_request_language(self, client: Client) -> None:
        response = client.get("/ko/requests/")
        assert response.status_code == 503
        assert '<html lang="ko">' in response.content.decode()

    def test_it_closes_the_site_to_customers_and_agents_too(
        self, client: Client, personas: Personas
    ) -> None:
        for user in (personas.customer, personas.agent):
            client.force_login(user)
            assert client.get("/en/").status_code == 503
            assert client.post("/en/requests/new/", {"subject": "x"}).status_code == 503

    def test_it_lets_admins_use_the_site_with_a_banner(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.get("/en/")
        assert response.status_code == 200
        assert "Maintenance mode is on: only administrators can use the site." in (
            response.content.decode()
        )

    def test_it_keeps_health_checks_and_sign_in_open(
        self, client: Client, personas: Personas
    ) -> None:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/en/accounts/login/").status_code == 200
        response = client.post(
            "/en/accounts/login/", {"username": personas.admin.email, "password": PASSWORD}
        )
        assert response.status_code == 302
        assert client.get("/en/").status_code == 200

    def test_it_lets_an_admin_with_two_factor_sign_in(
        self, client: Client, personas: Personas
    ) -> None:
        maintenance_set(enabled=False)
        secret, _codes = enrol(client, personas.admin)
        maintenance_set(enabled=True)
        password_step(client, personas.admin)
        page = client.get("/en/accounts/twofactor/verify/")
        assert page.status_code == 200
        response = client.post("/en/accounts/twofactor/verify/", {"code": code_now(secret)})
        assert response.status_code == 302
        assert client.get("/en/").status_code == 200

    def test_it_opens_the_site_again(self, client: Client) -> None:
        maintenance_set(enabled=False)
        response = client.get("/en/")
        assert response.status_code == 200
        assert "Retry-After" not in response

    def test_it_reads_the_switch_without_a_query_per_request(self, client: Client) -> None:
        client.get("/en/help/")  # this process's copy is built on the first read
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/en/help/").status_code == 503
        # The page's shell may read what it always reads; the switch itself costs nothing.
        assert not [
            query["sql"] for query in queries.captured_queries if "maintenance" in query["sql"]
        ]


URL = "/en/agent/manage/maintenance/"


@pytest.mark.django_db
class MaintenancePageTests:
    def test_it_lets_an_admin_close_and_open_the_site(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(URL)
        assert page.status_code == 200
        assert "Maintenance mode is off." in page.content.decode()
        response = client.post(
            URL, {"enabled": "on", "message": "Upgrading.", "retry_minutes": "15"}, follow=True
        )
        assert "Maintenance mode is on." in response.content.decode()
        assert "Open the site again" in response.content.decode()  # the admins' banner
        state = maintenance_read()
        assert (state.enabled, state.message, state.retry_after) == (True, "Upgrading.", 900)
        entry = AuditEntry.objects.get(action="maintenance.on")
        assert entry.actor == personas.admin
        assert entry.after == {"enabled": True, "message": "Upgrading.", "retry_after": 900}
        client.force_login(personas.customer)
        assert client.get("/en/").status_code == 503

        client.force_login(personas.admin)
        client.post(URL, {"message": "", "retry_minutes": "15"})
        assert not maintenance_read().enabled
        assert AuditEntry.objects.filter(action="maintenance.off").count() == 1

    def test_it_keeps_the_input_and_changes_nothing_on_bad_input(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(URL, {"enabled": "on", "message": "Kept", "retry_minutes": "0"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "Ensure this value is greater than or equal to 1." in html
        assert "\nKept</textarea>" in html
        assert not maintenance_read().enabled
        assert not AuditEntry.objects.filter(action__startswith="maintenance.").exists()

    def test_it_refuses_other_methods(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.put(URL).status_code == 405

    def test_it_is_for_admins_only(self, client: Client, personas: Personas) -> None:
        assert client.get(URL).status_code == 302  # to the sign-in page
        client.force_login(personas.agent)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"enabled": "on", "retry_minutes": "5"}).status_code == 403
        assert not maintenance_read().enabled
