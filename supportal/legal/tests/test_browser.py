"""The policy pages in a real browser: axe on the public page, the acceptance page and the
editor, and a customer accepting a new version and landing back where they were; the
accessibility statement and its report form in every language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.legal import services
from supportal.legal.models import PolicyAcceptance
from supportal.legal.tests.helpers import publish
from supportal.test import PASSWORD, Personas
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_policy_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    publish("privacy", summaries={"en": "We explain how long we keep data."})
    publish("privacy", summaries={"en": "Clearer retention periods."})
    publish("terms", {"en": "## Use\n\nBe kind to our agents.\n\n## Changes\n\nWe tell you."})

    response = page.goto(f"{live_server.url}/{lang}/privacy/")
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_count(1)
    if lang == "ja":
        expect(page.locator("[role=note]")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} public privacy policy")
    page.goto(f"{live_server.url}/{lang}/privacy/v1/")
    assert_no_axe_violations(page, f"{lang} earlier version")

    # A customer signs in, is asked once, accepts and lands on the page they asked for.
    login(page, live_server.url, personas.customer.email, PASSWORD, lang=lang)
    page.goto(f"{live_server.url}/{lang}/requests/")
    assert f"/{lang}/legal/accept/" in page.url
    page.locator("details summary").first.click()
    assert_no_axe_violations(page, f"{lang} acceptance page")
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").click()
    assert page.url.endswith(f"/{lang}/requests/")
    assert PolicyAcceptance.objects.filter(user=personas.customer).count() == 2
    page.goto(f"{live_server.url}/{lang}/requests/")
    assert page.url.endswith(f"/{lang}/requests/")

    # The admin's editor and publishing confirmation.
    draft = services.version_draft(kind="terms")
    page.context.clear_cookies()
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    for label, path in (
        ("policies list", "/agent/manage/legal/"),
        ("editor", f"/agent/manage/legal/{draft.pk}/"),
        ("publish", f"/agent/manage/legal/{draft.pk}/publish"),
    ):
        response = page.goto(f"{live_server.url}/{lang}{path}")
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")

    # Writing the Japanese text and publishing it, without a mouse.
    page.goto(f"{live_server.url}/{lang}/agent/manage/legal/{draft.pk}/")
    page.locator("textarea[name=body_ja]").fill("## 利用\n\nエージェントに親切にしてください。")
    page.locator("textarea[name=body_ja]").press("Tab")
    with page.expect_navigation():
        page.locator("main form.settings-form button[type=submit]").press("Enter")
    expect(page.locator(".message-success")).to_have_count(1)
    page.goto(f"{live_server.url}/{lang}/agent/manage/legal/{draft.pk}/publish")
    with page.expect_navigation():
        page.locator("main form.actions button[type=submit]").click()
    page.goto(f"{live_server.url}/ja/terms/")
    expect(page.locator(".hc-body")).to_contain_text("エージェントに親切にしてください。")
    expect(page.locator("[role=note]")).to_have_count(0)


@pytest.mark.parametrize("lang", ["ko", "en", "ja", "zh-hans"])
def test_the_accessibility_statement_and_its_form_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, lang: str
) -> None:
    page.goto(f"{live_server.url}/{lang}/help/")
    with page.expect_navigation():
        page.locator(f".site-footer a[href='/{lang}/accessibility/']").click()
    expect(page.locator("h1")).to_have_count(1)
    assert_no_axe_violations(page, f"{lang} accessibility statement")

    # A visitor reports a barrier with the keyboard: first without a description.
    page.locator("input[name=email]").fill("robin@example.test")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").press("Enter")
    description = page.locator("textarea[name=description]")
    expect(description).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_description_error")).to_be_visible()
    expect(page.locator("input[name=email]")).to_have_value("robin@example.test")
    assert_no_axe_violations(page, f"{lang} accessibility report with an error")

    description.fill("The date picker cannot be reached with Tab.")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").press("Enter")
    ticket = Ticket.objects.get()
    expect(page.locator(".message-success")).to_contain_text(f"#{ticket.pk}")
    assert list(ticket.tags.values_list("name", flat=True)) == ["accessibility"]
    assert_no_axe_violations(page, f"{lang} accessibility report sent")
