from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PRINT_SETTINGS = """
import json
from django.conf import settings
from django.core.cache import caches
print(json.dumps({
    "HSTS": settings.SECURE_HSTS_SECONDS if hasattr(settings, "SECURE_HSTS_SECONDS") else 0,
    "SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "CACHE_KEEPS": getattr(caches["default"], "_max_entries", None),
    "SESSION_ENGINE": settings.SESSION_ENGINE,
    "HUEY": settings.HUEY["huey_class"],
    "EMAIL_HOST": settings.EMAIL_HOST,
    "EMAIL_PORT": settings.EMAIL_PORT,
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
    "DEBUG": settings.DEBUG,
    "DB": settings.DATABASES["default"]["ENGINE"],
    "DB_OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
    "STORAGE": settings.STORAGES["default"]["BACKEND"],
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
}))
"""


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "PYTHONPATH") or key.startswith("LC_")
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + PRINT_SETTINGS],
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "supportal.settings",
            "VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


class SettingsTests:
    def test_the_per_process_page_cache_holds_a_large_help_center(self, tmp_path: Path) -> None:
        # Without Redis the anonymous page cache is per process (LocMemCache). Django's
        # default of 300 entries kept about 150 pages: 800 articles in four languages never
        # hit (docs/capacity.md).
        result = load_settings(tmp_path)
        assert result.returncode == 0, result.stderr
        loaded = json.loads(result.stdout)
        assert loaded["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
        assert loaded["CACHE_KEEPS"] >= 10_000

    def test_it_starts_with_nothing_configured(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path)
        assert result.returncode == 0, result.stderr
        loaded = json.loads(result.stdout)
        assert loaded["DEBUG"] is False
        assert loaded["DB"] == "django.db.backends.sqlite3"
        assert "journal_mode=WAL" in loaded["DB_OPTIONS"]["init_command"]
        assert "busy_timeout" in loaded["DB_OPTIONS"]["init_command"]
        assert loaded["CACHE"].endswith("LocMemCache")
        assert loaded["HUEY"] == "huey.SqliteHuey"
        assert loaded["HSTS"] == 0
        # Mail is kept in the outbox (the test suite's own override must not hide this).
        assert loaded["EMAIL_BACKEND"] == "supportal.core.mail.OutboxBackend"
        assert loaded["EMAIL_HOST"] == ""
        # The secret key was generated once into VAR_DIR and is reused.
        key = (tmp_path / "secret_key").read_text()
        assert len(key) >= 50
        load_settings(tmp_path)
        assert (tmp_path / "secret_key").read_text() == key

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("DATABASE_URL", "mysql://localhost/x"),
            ("REDIS_URL", "http://localhost"),
            ("DEBUG", "perhaps"),
            ("DEFAULT_LANGUAGE", "fr"),
            ("TIME_ZONE", "Mars/Olympus"),
            ("EMAIL_URL", "smtp://"),
            ("EMAIL_PORT", "abc"),
            ("SITE_URL", "ftp://example.com"),
            ("SECRET_KEY", "short"),
            ("MAX_REQUEST_SIZE", "1"),
        ],
    )
    def test_it_stops_on_a_bad_value_naming_the_variable(
        self, tmp_path: Path, variable: str, value: str
    ) -> None:
        result = load_settings(tmp_path, **{variable: value})
        assert result.returncode == 2
        assert f"Supportal cannot start: {variable}" in result.stderr
        assert "Traceback" not in result.stderr

    def test_it_hardens_everything_when_the_site_is_https(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path, SITE_URL="https://help.example.com")
        loaded = json.loads(result.stdout)
        assert loaded["HSTS"] >= 31536000
        assert loaded["SSL_REDIRECT"] is True
        assert loaded["SESSION_COOKIE_SECURE"] is True
        assert "help.example.com" in loaded["ALLOWED_HOSTS"]

    def test_it_uses_redis_for_cache_sessions_and_queue_when_given(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
        loaded = json.loads(result.stdout)
        assert loaded["CACHE"].endswith("RedisCache")
        # Read from Redis, kept in the database too: a Redis outage signs nobody out.
        assert loaded["SESSION_ENGINE"].endswith("backends.cached_db")
        assert loaded["HUEY"] == "huey.RedisHuey"

    def test_it_reads_smtp_from_email_url(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path, EMAIL_URL="smtp://mail.example.com:2525")
        loaded = json.loads(result.stdout)
        assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"]) == ("mail.example.com", 2525)

    def test_it_stores_uploads_on_s3_when_a_bucket_is_named(self, tmp_path: Path) -> None:
        result = load_settings(tmp_path, S3_BUCKET="supportal-uploads")
        assert json.loads(result.stdout)["STORAGE"] == "storages.backends.s3.S3Storage"

    def test_env_example_lists_every_variable_the_settings_read(self) -> None:
        sources = (ROOT / "supportal" / "settings.py").read_text()
        read = set(re.findall(r'env_(?:str|bool|int|list|url)\(\s*"([A-Z0-9_]+)"', sources))
        example = (ROOT / ".env.example").read_text()
        documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, flags=re.M))
        assert read - documented == set(), "missing from .env.example"
        assert documented - read - {"HOST", "PORT", "WEB_WORKERS"} == set()
