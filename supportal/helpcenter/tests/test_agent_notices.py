from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from supportal.helpcenter.models import Notice, NoticeTranslation
from supportal.test import Personas

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
GOOD = {
    "message_en": "Scheduled maintenance tonight.",
    "message_ko": "오늘 밤 정기 점검이 있습니다.",
    "message_ja": "",
    "message_zh-hans": "",
    "starts_at": "2026-06-01T09:00",
    "ends_at": "2026-06-02T09:00",
    "link_url": "/en/help/",
}


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
class NoticeManagementTests:
    def test_it_creates_a_notice_that_every_page_then_shows(
        self, client: Client, personas: Personas
    ) -> None:
        personas.agent.time_zone = "Asia/Seoul"
        personas.agent.save()
        client.force_login(personas.agent)
        response = client.post("/en/agent/help/notices/new/", GOOD)
        assert response["Location"] == "/en/agent/help/notices/"
        notice = Notice.objects.get()
        # Times are read in the agent's zone: 09:00 in Seoul is 00:00 UTC.
        assert notice.starts_at == dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)
        assert set(notice.translations.values_list("locale", flat=True)) == {"en", "ko"}
        visitor = Client()
        assert "Scheduled maintenance tonight." in visitor.get("/en/").content.decode()
        assert "오늘 밤 정기 점검이 있습니다." in visitor.get("/ko/help/").content.decode()

    def test_it_edits_and_removes_a_language(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        client.post("/en/agent/help/notices/new/", GOOD)
        notice = Notice.objects.get()
        page = client.get(f"/en/agent/help/notices/{notice.pk}/").content.decode()
        assert 'value="Scheduled maintenance tonight."' in page
        client.post(f"/en/agent/help/notices/{notice.pk}/", {**GOOD, "message_ko": ""})
        assert list(NoticeTranslation.objects.values_list("locale", flat=True)) == ["en"]

    def test_it_deletes_with_post_only(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        client.post("/en/agent/help/notices/new/", GOOD)
        notice = Notice.objects.get()
        assert client.get(f"/en/agent/help/notices/{notice.pk}/delete/").status_code == 405
        client.post(f"/en/agent/help/notices/{notice.pk}/delete/")
        assert not Notice.objects.exists()
        assert "Scheduled maintenance tonight." not in Client().get("/en/").content.decode()

    @pytest.mark.parametrize(
        ("change", "error"),
        [
            ({"ends_at": "2026-06-01T08:00"}, "The end must be later than the start."),
            ({"message_en": ""}, "This field is required."),
            ({"link_url": "javascript:alert(1)"}, "Use an address on this site"),
            ({"link_url": "//evil.test/"}, "Use an address on this site"),
            ({"starts_at": "tomorrow"}, "Enter a valid date/time."),
        ],
    )
    def test_it_explains_bad_input_and_keeps_it(
        self, client: Client, personas: Personas, change: dict[str, str], error: str
    ) -> None:
        client.force_login(personas.agent)
        response = client.post("/en/agent/help/notices/new/", {**GOOD, **change})
        assert response.status_code == 200
        html = response.content.decode()
        assert error in html
        assert "오늘 밤 정기 점검이 있습니다." in html
        assert not Notice.objects.exists()

    def test_it_lists_notices_with_their_state(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        client.post("/en/agent/help/notices/new/", GOOD)
        client.post(
            "/en/agent/help/notices/new/",
            {
                **GOOD,
                "message_en": "Later",
                "starts_at": "2026-07-01T00:00",
                "ends_at": "2026-07-02T00:00",
            },
        )
        html = client.get("/en/agent/help/notices/").content.decode()
        assert "Showing now" in html and "Not showing" in html

    @pytest.mark.parametrize("persona", ["customer", "colleague", "outsider"])
    def test_it_is_for_agents_only(self, client: Client, personas: Personas, persona: str) -> None:
        client.force_login(getattr(personas, persona))
        assert client.get("/en/agent/help/notices/").status_code == 403
        assert client.post("/en/agent/help/notices/new/", GOOD).status_code == 403
        assert not Notice.objects.exists()

    def test_it_sends_visitors_to_sign_in_and_answers_404_for_unknown_notices(
        self, client: Client, personas: Personas
    ) -> None:
        assert client.get("/en/agent/help/notices/").status_code == 302
        client.force_login(personas.agent)
        assert client.get("/en/agent/help/notices/999/").status_code == 404


@pytest.mark.django_db
class NoticeListQueryTests:
    def test_it_lists_notices_with_a_fixed_number_of_queries(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        client.post("/en/agent/help/notices/new/", GOOD)
        client.get("/en/agent/help/notices/")  # warms per-minute caches (the site notice)
        with CaptureQueriesContext(connection) as few:
            client.get("/en/agent/help/notices/")
        for n in range(5):
            client.post("/en/agent/help/notices/new/", {**GOOD, "message_en": f"Notice {n}"})
        client.get("/en/agent/help/notices/")
        with CaptureQueriesContext(connection) as many:
            html = client.get("/en/agent/help/notices/").content.decode()
        assert "Notice 4" in html
        assert len(few) == len(many)
