"""The admins' chat settings: the form, the allowed sites, the identity secret, the snippet."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from django.test import Client

from supportal.audit.models import AuditEntry
from supportal.chat import services
from supportal.chat.agent_forms import clean_sites
from supportal.chat.models import Chat, ChatSettings, ChatState, Identity
from supportal.rules.assignment import availability_set
from supportal.rules.models import Availability
from supportal.test import Personas

pytestmark = pytest.mark.django_db

URL = "/en/agent/manage/chat/"
SECRET_URL = "/en/agent/manage/chat/secret"


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "enabled": "on",
        "group": "",
        "schedule": "",
        "ask_name": "required",
        "ask_email": "optional",
        "ask_topic": "hidden",
        "auto_assign": "on",
        "max_chats": "4",
        "idle_minutes": "15",
        "allowed_sites": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class ChatSettingsTests:
    def test_it_saves_the_settings(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.get(URL).status_code == 200
        response = client.post(
            URL,
            form_data(group=personas.support.pk, allowed_sites="https://shop.example.com"),
            follow=True,
        )
        assert response.redirect_chain == [(URL, 302)]
        assert "The chat settings have been saved." in response.content.decode()
        row = ChatSettings.objects.get(pk=1)
        assert row.group == personas.support
        assert (row.ask_email, row.ask_topic, row.max_chats) == ("optional", "hidden", 4)
        assert row.idle_minutes == 15
        assert row.site_list == ["https://shop.example.com"]
        assert services.chat_settings().max_chats == 4
        assert AuditEntry.objects.filter(action="chat_settings.change").exists()

    def test_it_is_for_admins_only(self, client: Client, personas: Personas) -> None:
        assert client.get(URL)["Location"].startswith("/en/accounts/login")
        for person in (personas.agent, personas.customer):
            client.force_login(person)
            assert client.get(URL).status_code == 403
            assert client.post(URL, form_data(enabled=None)).status_code == 403
            assert client.post(SECRET_URL, {"action": "new"}).status_code == 403
        assert services.chat_settings().enabled
        assert not ChatSettings.objects.exists()

    def test_it_takes_get_and_post(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.put(URL).status_code == 405
        assert client.get(SECRET_URL).status_code == 405

    def test_a_site_that_is_not_an_origin_is_refused_and_the_input_kept(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        sites = "https://shop.example.com\nhttps://blog.example.com/news"
        response = client.post(URL, form_data(allowed_sites=sites))
        assert response.status_code == 400
        page = response.content.decode()
        assert "“https://blog.example.com/news” is not a site address" in page
        assert "https://shop.example.com\nhttps://blog.example.com/news</textarea>" in page
        assert not ChatSettings.objects.exists()

    def test_an_idle_limit_beyond_a_day_is_refused_and_the_input_kept(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(URL, form_data(idle_minutes="5000"))
        assert response.status_code == 400
        page = response.content.decode()
        assert "Ensure this value is less than or equal to 1440." in page
        assert 'name="idle_minutes" value="5000"' in page
        assert not ChatSettings.objects.exists()

    @pytest.mark.parametrize(
        "line",
        [
            "shop.example.com",
            "ftp://shop.example.com",
            "https://shop.example.com/path",
            "https://shop.example.com?x=1",
            "https://shop.example.com#top",
            "https://user@shop.example.com",
            "https://shop.example.com; script-src *",
            "https://",
            "javascript:alert(1)",
        ],
    )
    def test_only_origins_pass(self, line: str) -> None:
        with pytest.raises(Exception, match="is not a site address"):
            clean_sites(line)

    def test_origins_are_tidied(self) -> None:
        text = "HTTPS://Shop.Example.com/\n\n  http://localhost:8000 \nhttps://*.example.org\n"
        assert clean_sites(text + "https://shop.example.com") == (
            "https://shop.example.com\nhttp://localhost:8000\nhttps://*.example.org"
        )

    def test_saving_gives_waiting_chats_to_available_agents(
        self, client: Client, personas: Personas
    ) -> None:
        services.chat_settings_save(values={"auto_assign": False})
        availability_set(user=personas.agent, availability=Availability.AVAILABLE)
        chat = services.chat_start(
            token=secrets.token_urlsafe(32),
            requester=personas.customer,
            identity=Identity.SIGNED_IN,
            body="Hello",
            language="en",
        )
        assert Chat.objects.get(pk=chat.pk).state == ChatState.QUEUED
        client.force_login(personas.admin)
        client.post(URL, form_data())
        chat.refresh_from_db()
        assert chat.state == ChatState.ACTIVE
        assert chat.agent == personas.agent

    def test_it_shows_the_snippet_and_is_in_the_settings_menu(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        settings.SITE_URL = "https://help.example.com"
        client.force_login(personas.admin)
        page = client.get(URL).content.decode()
        assert '&lt;script src="https://help.example.com/chat/embed.js" async&gt;' in page
        assert "data-signature=" in page
        assert "hashlib.sha256" in page
        assert f'<a href="{URL}" aria-current="page">Live chat</a>' in page
        assert (
            f'<a href="{URL}">Live chat</a>'
            in client.get("/en/agent/manage/groups/").content.decode()
        )


class IdentitySecretTests:
    def test_the_new_secret_is_shown_once(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert "not set" in client.get(URL).content.decode()
        response = client.post(SECRET_URL, {"action": "new"})
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        found = re.search(
            r'<code class="secret-value">([0-9a-f]{64})</code>', response.content.decode()
        )
        assert found is not None
        secret = found.group(1)
        assert services.identity_secret() == secret
        signature = services.sign_identity("Casey@Acme.test", secret)
        assert services.verified_email("casey@acme.test", signature) == "casey@acme.test"
        # Only encrypted in the database, and never shown again.
        assert secret not in ChatSettings.objects.get(pk=1).identity_secret
        page = client.get(URL).content.decode()
        assert secret not in page
        assert "Secret: <strong>set</strong>" in page
        entry = AuditEntry.objects.filter(action="chat_settings.change").latest("pk")
        assert secret not in str(entry.after)

    def test_a_new_secret_replaces_the_old_one(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        client.post(SECRET_URL, {"action": "new"})
        first = services.identity_secret()
        client.post(SECRET_URL, {"action": "new"})
        assert services.identity_secret() not in ("", first)

    def test_the_secret_can_be_removed(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        client.post(SECRET_URL, {"action": "new"})
        response = client.post(SECRET_URL, {"action": "remove"}, follow=True)
        assert "the secret has been removed" in response.content.decode()
        assert services.identity_secret() == ""
        assert services.verified_email("casey@acme.test", "0" * 64) is None
