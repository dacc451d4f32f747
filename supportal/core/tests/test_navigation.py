"""The main menu marks the section a page belongs to, from one rule (core.context_processors)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from supportal.test import Personas

pytestmark = pytest.mark.django_db


def current(html: str) -> list[str]:
    """The main menu's links marked as the current page."""
    menu = html[
        html.index('class="main-nav"') : html.index("</nav>", html.index('class="main-nav"'))
    ]
    return re.findall(r'aria-current="page">([^<]+)</a>', menu)


class NavigationTests:
    @pytest.mark.parametrize(
        ("path", "section"),
        [
            ("/en/agent/", "Inbox"),
            ("/en/agent/views/open", "Inbox"),
            ("/en/agent/manage/mail/spam/", "Inbox"),
            ("/en/agent/satisfaction/", "Inbox"),
            ("/en/agent/help/", "Articles"),
            ("/en/agent/manage/groups/", "Settings"),
            ("/en/agent/manage/mail/", "Settings"),
            ("/en/agent/manage/hours/", "Settings"),
            ("/en/agent/manage/sla/", "Settings"),
            ("/en/agent/manage/rules/routing/", "Settings"),
            ("/en/agent/manage/rules/triggers/", "Settings"),
            ("/en/agent/manage/macros/", "Settings"),
            ("/en/manage/outbox/", "Outbox"),
            ("/ko/agent/manage/sla/", "설정"),
        ],
    )
    def test_an_admin_sees_which_section_a_page_is_in(
        self, client: Client, personas: Personas, path: str, section: str
    ) -> None:
        client.force_login(personas.admin)
        response = client.get(path, follow=True)
        assert response.status_code == 200
        assert current(response.content.decode()) == [section]

    def test_customers_see_their_own_sections(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        assert current(client.get("/en/requests/new").content.decode()) == ["Submit a request"]
        assert current(client.get("/en/requests/").content.decode()) == ["My requests"]
        assert current(client.get("/en/help/").content.decode()) == ["Help Center"]

    def test_an_agent_reaches_their_macros_as_settings(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        page = client.get("/en/agent/manage/macros/").content.decode()
        assert current(page) == ["Settings"]
