"""The security and privacy pages no other browser test opens, with axe: changing one's email,
the admins' security policy, retention and maintenance pages, the export for a customer, the
expired-link page, and the 429 and 503 pages a visitor meets."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.accounts.tokens import make_email_change_token
from supportal.browser_testing import assert_no_axe_violations, login
from supportal.core.maintenance import maintenance_set
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser


def test_the_customer_security_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    login(page, live_server.url, personas.customer.email, PASSWORD)
    base = f"{live_server.url}/en"
    token = make_email_change_token(
        user_id=personas.customer.pk, old_email=personas.customer.email, new_email="new@acme.test"
    )
    pages = {
        "email change": f"{base}/accounts/email/change/",
        "email change sent": f"{base}/accounts/email/change/sent/",
        "email change confirm": f"{base}/accounts/email/change/{token}/",
        "export link that no longer works": f"{base}/personal-data/download/{'A' * 43}/",
    }
    for label, address in pages.items():
        page.goto(address)
        assert page.locator("h1").count() == 1, label
        assert_no_axe_violations(page, label)


def test_the_admin_security_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    login(page, live_server.url, personas.admin.email, PASSWORD)
    base = f"{live_server.url}/en"
    pages = {
        "security policy": f"{base}/accounts/manage/security/",
        "data retention": f"{base}/agent/manage/personal-data/retention/",
        "maintenance": f"{base}/agent/manage/maintenance/",
        "export for a customer": (
            f"{base}/agent/manage/personal-data/people/{personas.customer.pk}/export/"
        ),
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, label)


def test_the_429_and_503_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, settings: object
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "1/m"}  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/ko/help/search/?q=a")
    response = page.goto(f"{live_server.url}/ko/help/search/?q=b")
    assert response is not None and response.status == 429
    assert_no_axe_violations(page, "429 page")
    maintenance_set(enabled=True, message="", retry_after=600)
    response = page.goto(f"{live_server.url}/ja/")
    assert response is not None and response.status == 503
    assert_no_axe_violations(page, "503 page")
