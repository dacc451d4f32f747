"""Hostile text in every field a customer or agent can fill, rendered in a real browser.

Each payload tries to run script in its own way (a script element, event handlers, a
`javascript:` link, SVG, encoded and polyglot forms, template syntax). It is stored through the
same services the forms use, then the pages that show it are opened in Chromium. The test
fails if a dialog opens, if an injected element or handler exists in the page, if the
Content-Security-Policy had to refuse anything (the `page` fixture fails on any refusal, so an
unescaped inline script would be caught even though the policy stops it), or if the text is not
there to read as text.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.automation.services import macro_save
from supportal.browser_testing import login
from supportal.helpcenter import services as helpcenter
from supportal.helpcenter.models import Visibility
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import CustomField
from supportal.tickets.services import Changes, ticket_reply, ticket_update

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=alert('xss-2')>",
    "<svg onload=alert('xss-3')><circle r=1 /></svg>",
    '"><a href="javascript:alert(\'xss-4\')">click me</a>',
    "[link](javascript:alert('xss-5'))",
    "&lt;script&gt;alert('xss-6')&lt;/script&gt; %3Cscript%3Ealert('xss-6b')%3C/script%3E",
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert('xss-7') )//</stYle/</titLe/"
    "</teXtarEa/</scRipt/--!><sVg/<sVg/oNloAd=alert('xss-7b')//>",
    "{{ 7*7 }} {% now 'Y' %} ${7*7} <iframe srcdoc=\"<script>alert('xss-8')</script>\">",
    "<details open ontoggle=alert('xss-9')><summary>x</summary></details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-10')>",
]
# What the page must show for each payload, read as text.
VISIBLE = [
    "alert('xss-1')",
    "onerror=alert('xss-2')",
    "onload=alert('xss-3')",
    "click me",
    "xss-5",
    "xss-6",
    "xss-7",
    "{{ 7*7 }}",
    "ontoggle=alert('xss-9')",
    "xss-10",
]

INJECTED = (
    "script:not([src]), [onerror], [onload], [onclick], [ontoggle], iframe, "
    "a[href^='javascript' i], svg circle, details[ontoggle], math mglyph"
)


def _watch_dialogs(page: Page) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(dialog: object) -> None:
        dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()  # type: ignore[attr-defined]

    page.on("dialog", on_dialog)
    return dialogs


def _assert_inert(page: Page, dialogs: list[str], label: str) -> None:
    page.wait_for_load_state("load")
    assert dialogs == [], f"{label}: a dialog opened: {dialogs}"
    injected = page.locator(f"main :is({INJECTED})")
    # The page's own SVG icons are not in <main>; nothing the payloads make may be there.
    assert injected.count() == 0, f"{label}: {injected.first.evaluate('e => e.outerHTML')}"


@pytest.fixture
def hostile(personas: Personas, transactional_db: None) -> dict[str, int]:
    """Every payload in every field, stored through the services."""
    personas.customer.name = PAYLOADS[1][:150]
    personas.customer.save()
    field = CustomField.objects.create(key="order", labels={"en": "Order"}, kind="text")
    tickets = []
    for i, payload in enumerate(PAYLOADS):
        ticket = make_ticket(
            personas.customer,
            subject=f"S{i} {payload}"[:200],
            description=f"D{i} {payload}",
            group=personas.support,
        )
        ticket_reply(ticket=ticket, author=personas.agent, body=f"R{i} {payload}")
        ticket_reply(ticket=ticket, author=personas.agent, body=f"N{i} {payload}", public=False)
        ticket_update(
            ticket=ticket,
            actor=personas.agent,
            changes=Changes(add_tags=[f"t{i}<b>x</b>\"'"], fields={field: payload[:200]}),
        )
        tickets.append(ticket.pk)
    articles = []
    for i, payload in enumerate(PAYLOADS):
        article = helpcenter.article_create(section=None, visibility=Visibility.EVERYONE)
        helpcenter.translation_save(
            article=article,
            locale="en",
            title=f"A{i} {payload}"[:200],
            body=f"Body {i}\n\n{payload}\n\n<p onclick=\"alert('xss-body')\">para</p>",
            status="published",
        )
        articles.append(article.pk)
    macro_save(
        macro=None,
        actor=personas.agent,
        title=PAYLOADS[0],
        # Placeholders are checked on save; every other payload goes into the text.
        texts={"en": " ".join(p for p in PAYLOADS if "{{" not in p)},
    )
    return {"ticket": tickets[0], "last_ticket": tickets[-1], "article": articles[0]}


@pytest.mark.browser
def test_customer_pages_show_hostile_text_as_text(
    page: Page, live_server: LiveServer, personas: Personas, hostile: dict[str, int]
) -> None:
    dialogs = _watch_dialogs(page)
    login(page, live_server.url, personas.customer.email, PASSWORD)
    page.goto(f"{live_server.url}/en/requests/")
    _assert_inert(page, dialogs, "my requests")
    assert page.get_by_text("S0 <script>alert('xss-1')</script>").count() >= 1
    for pk in range(hostile["ticket"], hostile["last_ticket"] + 1):
        page.goto(f"{live_server.url}/en/requests/{pk}/")
        _assert_inert(page, dialogs, f"request {pk}")
        text = page.locator("main").inner_text()
        assert VISIBLE[pk - hostile["ticket"]] in text
        assert f"N{pk - hostile['ticket']} " not in text  # internal notes stay internal


@pytest.mark.browser
def test_agent_pages_show_hostile_text_as_text(
    page: Page, live_server: LiveServer, personas: Personas, hostile: dict[str, int]
) -> None:
    dialogs = _watch_dialogs(page)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/views/open")
    _assert_inert(page, dialogs, "inbox")
    assert "alert('xss-1')" in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/en/agent/search?q=alert")
    _assert_inert(page, dialogs, "agent search")
    for pk in range(hostile["ticket"], hostile["last_ticket"] + 1):
        page.goto(f"{live_server.url}/en/agent/requests/{pk}/")
        _assert_inert(page, dialogs, f"agent request {pk}")
        text = page.locator("main").inner_text()
        assert VISIBLE[pk - hostile["ticket"]] in text
    page.goto(f"{live_server.url}/en/agent/manage/macros/")
    _assert_inert(page, dialogs, "macros")
    assert "<script>alert('xss-1')</script>" in page.locator("main").inner_text()


@pytest.mark.browser
def test_help_center_shows_hostile_text_as_text(
    page: Page, live_server: LiveServer, personas: Personas, hostile: dict[str, int]
) -> None:
    dialogs = _watch_dialogs(page)
    for i in range(len(PAYLOADS)):
        page.goto(f"{live_server.url}/en/help/articles/{hostile['article'] + i}/")
        _assert_inert(page, dialogs, f"article {i}")
        assert f"A{i} " in page.locator("h1").inner_text()
    for query in [*PAYLOADS, "alert"]:
        page.goto(f"{live_server.url}/en/help/search/?q={_quote(query)}")
        _assert_inert(page, dialogs, f"search {query!r}")
        if query != "alert":
            assert page.locator("input[name=q]").first.input_value() == query


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
