"""The admins' status page in a real browser, with axe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.monitoring.models import ProcessHeartbeat
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser


def test_the_status_page_states_problems_and_has_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ProcessHeartbeat.objects.create(
        kind=ProcessHeartbeat.Kind.WORKER,
        host="worker-host",
        pid=7,
        started_at=timezone.now() - timedelta(hours=3),
        last_seen_at=timezone.now() - timedelta(minutes=12),
    )
    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/manage/maintenance/")
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Status").click()
    assert page.locator("h1").inner_text() == "Status"
    problems = page.locator("#problems")
    assert "The worker has not been seen for 12" in problems.inner_text()
    assert page.get_by_role("table").count() == 4
    assert_no_axe_violations(page, "status page")
