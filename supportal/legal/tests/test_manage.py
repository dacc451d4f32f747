"""The Policies settings pages: admins write drafts per language and publish them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from supportal.audit.models import AuditEntry
from supportal.legal import services
from supportal.legal.models import PolicyText, PolicyVersion
from supportal.legal.tests.helpers import ENGLISH, publish
from supportal.test import Personas, session_queries

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/legal"


def draft_data(**overrides: str) -> dict[str, str]:
    data = {
        "requires_acceptance": "on",
        "body_en": "## Terms\n\nBe kind to our agents.",
        "summary_en": "First terms.",
        "body_ko": "## 약관\n\n상담원에게 친절하게 대해 주세요.",
        "summary_ko": "",
        "body_ja": "",
        "summary_ja": "",
        "body_zh_hans": "",
        "summary_zh_hans": "",
    }
    data.update(overrides)
    return data


class ManageTests:
    def test_an_admin_writes_and_publishes_a_version(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        listing = client.get(f"{BASE}/").content.decode()
        assert "Terms of service" in listing and "Privacy policy" in listing
        assert 'aria-current="page">Policies</a>' in listing

        response = client.post(f"{BASE}/new/terms")
        draft = PolicyVersion.objects.get(kind="terms")
        assert response["Location"] == f"{BASE}/{draft.pk}/"
        editor = client.get(response["Location"]).content.decode()
        for language in ("English", "Korean", "Japanese", "Simplified Chinese"):
            assert f"Text in {language}" in editor
        assert 'lang="ko"' in editor

        saved = client.post(f"{BASE}/{draft.pk}/", draft_data())
        assert saved.status_code == 302
        assert dict(draft.texts.values_list("language", "summary")) == {
            "en": "First terms.",
            "ko": "",
        }

        confirm = client.get(f"{BASE}/{draft.pk}/publish").content.decode()
        assert "Japanese" in confirm and "Every signed-in person will be asked" in confirm
        published = client.post(f"{BASE}/{draft.pk}/publish")
        assert published["Location"] == f"{BASE}/"
        draft.refresh_from_db()
        assert draft.is_published and draft.published_by == personas.admin
        entry = AuditEntry.objects.get(action="legal.publish")
        assert entry.actor == personas.admin and entry.target_id == str(draft.pk)
        assert "Be kind to our agents." in client.get("/en/terms/").content.decode()

    def test_a_new_version_starts_from_the_latest(self, client: Client, personas: Personas) -> None:
        publish("privacy")
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/new/privacy")
        draft = PolicyVersion.objects.get(kind="privacy", number=2)
        assert response["Location"] == f"{BASE}/{draft.pk}/"
        editor = client.get(response["Location"]).content.decode()
        assert "We keep your requests so that we can answer them." in editor
        # Pressing "New version" again opens the same draft.
        assert client.post(f"{BASE}/new/privacy")["Location"] == f"{BASE}/{draft.pk}/"

    def test_a_published_version_is_shown_but_not_edited(
        self, client: Client, personas: Personas
    ) -> None:
        version = publish("privacy")
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/{version.pk}/").content.decode()
        assert "A published version cannot be changed." in page and "<textarea" not in page
        response = client.post(f"{BASE}/{version.pk}/", draft_data(body_en="Changed"))
        assert response.status_code == 400
        assert "can no longer be changed" in response.content.decode()
        assert PolicyText.objects.get(version=version, language="en").body == ENGLISH
        again = client.post(f"{BASE}/{version.pk}/publish")
        assert again.status_code == 400

    def test_publishing_without_english_is_refused(
        self, client: Client, personas: Personas
    ) -> None:
        draft = services.version_draft(kind="terms")
        client.force_login(personas.admin)
        client.post(f"{BASE}/{draft.pk}/", draft_data(body_en=""))
        response = client.post(f"{BASE}/{draft.pk}/publish")
        assert response.status_code == 400
        assert "Add the English text first" in response.content.decode()
        draft.refresh_from_db()
        assert not draft.is_published

    def test_bad_input_keeps_what_was_typed(self, client: Client, personas: Personas) -> None:
        draft = services.version_draft(kind="terms")
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/{draft.pk}/", draft_data(summary_en="x" * 2001, body_ko="내 초안")
        )
        assert response.status_code == 400
        assert "내 초안" in response.content.decode()
        assert not draft.texts.exists()

    def test_the_list_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        client.force_login(personas.admin)
        client.get(f"{BASE}/")
        with django_assert_num_queries(session_queries() + 2):  # the user, the versions
            assert client.get(f"{BASE}/").status_code == 200
        for _ in range(3):
            publish("privacy")
            publish("terms")
        services.version_draft(kind="terms")
        client.get(f"{BASE}/")
        with django_assert_num_queries(session_queries() + 3):  # and their languages
            page = client.get(f"{BASE}/").content.decode()
        assert "Version 3" in page and "Version 4" in page and "Draft" in page


VIEWS = [
    ("get", "{base}/"),
    ("post", "{base}/new/terms"),
    ("get", "{base}/{pk}/"),
    ("get", "{base}/{pk}/publish"),
]


class ManagePermissionTests:
    @pytest.mark.parametrize(("method", "url"), VIEWS)
    def test_only_admins_may_open_it(
        self, client: Client, personas: Personas, method: str, url: str
    ) -> None:
        draft = services.version_draft(kind="privacy")
        address = url.format(base=BASE, pk=draft.pk)
        anonymous = getattr(client, method)(address)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        for persona in (personas.customer, personas.agent):
            client.force_login(persona)
            assert getattr(client, method)(address).status_code == 403
        client.force_login(personas.admin)
        assert getattr(client, method)(address).status_code in (200, 302)

    def test_wrong_methods_and_unknown_versions(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.post(f"{BASE}/").status_code == 405
        assert client.get(f"{BASE}/new/terms").status_code == 405
        assert client.put(f"{BASE}/1/").status_code == 405
        assert client.delete(f"{BASE}/1/publish").status_code == 405
        assert client.get(f"{BASE}/999/").status_code == 404
        assert client.get(f"{BASE}/999/publish").status_code == 404
        assert client.post(f"{BASE}/new/cookies").status_code == 404
        assert not PolicyVersion.objects.exists()

    def test_the_settings_menu_links_to_it_for_admins_only(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        assert f'href="{BASE}/"' not in client.get("/en/agent/manage/macros/").content.decode()
        client.force_login(personas.admin)
        assert f'href="{BASE}/"' in client.get("/en/agent/manage/macros/").content.decode()
