"""/.well-known/security.txt (RFC 9116) from the settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client

pytestmark = pytest.mark.django_db

URL = "/.well-known/security.txt"


class SecurityTxtTests:
    def test_it_is_a_404_without_a_contact(self, client: Client, settings: Any) -> None:
        settings.SECURITY_CONTACT = []
        assert client.get(URL).status_code == 404

    @time_machine.travel(dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC), tick=False)
    def test_it_names_the_contact_and_expires_a_year_ahead(
        self, client: Client, settings: Any
    ) -> None:
        settings.SECURITY_CONTACT = ["mailto:security@example.test", "https://example.test/report"]
        settings.SECURITY_POLICY_URL = ""
        settings.SECURITY_TXT_EXPIRES = None
        settings.SITE_URL = "https://help.example.test"
        response = client.get(URL)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode().splitlines() == [
            "Contact: mailto:security@example.test",
            "Contact: https://example.test/report",
            "Expires: 2027-03-01T12:30:00Z",
            "Preferred-Languages: ko, en, ja, zh",
            "Canonical: https://help.example.test/.well-known/security.txt",
        ]

    def test_it_uses_the_configured_expiry_and_policy(self, client: Client, settings: Any) -> None:
        settings.SECURITY_CONTACT = ["mailto:security@example.test"]
        settings.SECURITY_POLICY_URL = "https://example.test/disclosure"
        seoul = dt.timezone(dt.timedelta(hours=9))
        settings.SECURITY_TXT_EXPIRES = dt.datetime(2027, 1, 31, 9, tzinfo=seoul)
        text = client.get(URL).content.decode()
        assert "Expires: 2027-01-31T00:00:00Z\n" in text
        assert "Policy: https://example.test/disclosure\n" in text

    def test_it_is_not_under_a_language_prefix_and_answers_get_only(
        self, client: Client, settings: Any
    ) -> None:
        settings.SECURITY_CONTACT = ["mailto:security@example.test"]
        assert client.get("/en/.well-known/security.txt").status_code == 404
        assert client.post(URL).status_code == 405


class SecuritySettingsTests:
    def test_the_settings_refuse_a_bad_contact_or_date(self) -> None:
        import os
        import subprocess
        import sys

        from supportal.test import ROOT

        for name, value in (("SECURITY_CONTACT", "security@example.test"),
                            ("SECURITY_TXT_EXPIRES", "next year")):  # fmt: skip
            result = subprocess.run(
                [sys.executable, "-c", "import supportal.settings"],
                cwd=ROOT,
                env={**os.environ, name: value},
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 2
            assert name in result.stderr
