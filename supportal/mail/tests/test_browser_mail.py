"""The email settings, mail log and spam pages in a real browser: axe in every language, and the
connection test worked with the keyboard."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.settings_services import mailbox_save
from supportal.mail.tests.test_mail_log_views import ingest, spam, with_fate
from supportal.mail.tests.test_settings_views import closed_port
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@dataclass
class World:
    imap: Mailbox
    http: Mailbox
    pipe: Mailbox
    created: InboundEmail
    failed: InboundEmail


def build_world(personas: Personas) -> World:
    imap = mailbox_save(
        mailbox=None,
        password="imap-secret",
        address="help@acme.test",
        name="Acme Support",
        group=personas.support,
        delivery=Mailbox.Delivery.IMAP,
        imap_host="127.0.0.1",
        imap_port=closed_port(),
        imap_security=Mailbox.Security.STARTTLS,
        imap_user="help@acme.test",
    )
    Mailbox.objects.filter(pk=imap.pk).update(
        last_error="Could not reach 127.0.0.1 on port 1.", failures=2
    )
    http = mailbox_save(
        mailbox=None, password=None, address="sales@acme.test", delivery=Mailbox.Delivery.HTTP
    )
    pipe = mailbox_save(
        mailbox=None,
        password=None,
        address="billing@acme.test",
        delivery=Mailbox.Delivery.PIPE,
        active=False,
    )
    created = ingest(pipe, message_id="one@x.test", to="billing@acme.test")
    spam(http, subject="Cheap pills", message_id="two@x.test", to="sales@acme.test")
    failed = with_fate(
        ingest(pipe, subject="Broken", message_id="three@x.test", to="billing@acme.test"),
        InboundEmail.Fate.FAILED,
        "error",
        detail="KeyError: 'charset'",
        ticket=None,
        ticket_message=None,
    )
    return World(imap=imap, http=http, pipe=pipe, created=created, failed=failed)


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ja"])
def test_mail_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    world = build_world(personas)
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent/manage/mail"
    pages = {
        "support addresses": f"{base}/",
        "new support address": f"{base}/new",
        "IMAP support address": f"{base}/{world.imap.pk}",
        "HTTP support address": f"{base}/{world.http.pk}",
        "pipe support address": f"{base}/{world.pipe.pk}",
        "mail log": f"{base}/log/",
        "filtered mail log": f"{base}/log/?fate=failed&mailbox={world.pipe.pk}",
        "mail log detail": f"{base}/log/{world.failed.pk}",
        "created mail log detail": f"{base}/log/{world.created.pk}",
        "spam": f"{base}/spam/",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")

    # The form refusing what was typed, and the result of a connection test.
    page.goto(f"{base}/new")
    page.locator("#id_address").fill("not an address")
    page.locator("#mailbox-form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} support address with errors")
    page.goto(f"{base}/{world.imap.pk}")
    page.locator("#mailbox-form button[formaction]").click()
    expect(page.locator("#mailbox-test .mail-test-result")).to_be_visible(timeout=15_000)
    assert_no_axe_violations(page, f"{lang} connection test result")


def test_the_connection_test_works_from_the_keyboard_and_is_announced(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    world = build_world(personas)
    login(page, live_server.url, personas.admin.email, PASSWORD)
    address = f"{live_server.url}/en/agent/manage/mail/{world.imap.pk}"
    page.goto(address)
    page.locator("#id_poll_minutes").focus()
    button = page.get_by_role("button", name="Test connection")
    for _step in range(5):
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    status = page.get_by_role("status").filter(has_text="Connection failed:")
    expect(status).to_be_visible(timeout=15_000)
    expect(status).to_have_attribute("id", "mailbox-test")
    assert page.url == address  # swapped in place by htmx, not a new page
    expect(button).to_be_focused()
    # The stored password was used and is still not on the page.
    assert "imap-secret" not in page.content()


def test_without_javascript_the_connection_test_shows_on_the_form(
    browser: Browser, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    world = build_world(personas)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, live_server.url, personas.admin.email, PASSWORD)
        page.goto(f"{live_server.url}/en/agent/manage/mail/{world.imap.pk}")
        with page.expect_navigation():
            page.get_by_role("button", name="Test connection").click()
        assert page.url.endswith(f"/{world.imap.pk}/test")
        expect(page.get_by_role("status").filter(has_text="Connection failed:")).to_be_visible()
        expect(page.locator("#id_imap_host")).to_have_value("127.0.0.1")
    finally:
        context.close()
