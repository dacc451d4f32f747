"""The export page and the erase confirmation in a real browser, with axe."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.privacy.models import DataExport
from supportal.test import PASSWORD, Personas, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def test_the_export_page_shows_progress_and_is_accessible(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    make_ticket(personas.customer)
    login(page, live_server.url, personas.customer.email, PASSWORD)
    page.goto(f"{live_server.url}/en/accounts/profile/")
    page.get_by_role("link", name="Download your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download your data")
    assert_no_axe_violations(page, "export page")
    page.get_by_role("button", name="Prepare my data").click()
    # The worker runs in-process here: the export is ready by the time the page comes back.
    expect(page.locator("#export-status")).to_contain_text("The data is ready")
    assert_no_axe_violations(page, "export page, ready")
    # Being prepared: the note updates itself (htmx polling) until it is ready.
    export = DataExport.objects.create(
        person=personas.customer,
        requested_by=personas.customer,
        status=DataExport.Status.RUNNING,
        total=3,
        done=1,
    )
    page.reload()
    expect(page.locator("#export-status")).to_contain_text("1 of 3 requests")
    assert_no_axe_violations(page, "export page, in progress")
    DataExport.objects.filter(pk=export.pk).update(
        status=DataExport.Status.READY,
        done=3,
        expires_at=timezone.now() + timedelta(days=7),
    )
    expect(page.locator("#export-status")).to_contain_text("The data is ready", timeout=8000)


def test_the_erase_confirmation_is_accessible_and_erases(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    make_ticket(personas.customer)
    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(
        f"{live_server.url}/en/agent/manage/personal-data/people/{personas.customer.pk}/erase/"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase Casey Customer")
    assert_no_axe_violations(page, "erase confirmation")
    field = page.get_by_label("Type the person's email address to confirm")
    field.fill("someone@else.test")
    page.get_by_role("button", name="Erase this person").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(field).to_have_value("someone@else.test")
    assert_no_axe_violations(page, "erase confirmation with an error")
    field.fill(personas.customer.email)
    page.get_by_role("button", name="Erase this person").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This person has been erased")
    personas.customer.refresh_from_db()
    assert not personas.customer.is_active
