from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test import Client


class StaticFileTests:
    def test_it_serves_hashed_and_precompressed_files(self) -> None:
        root = Path(settings.STATIC_ROOT)
        manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
        hashed = manifest["css/app.css"]
        assert re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", hashed)
        assert (root / (hashed + ".gz")).exists()
        assert (root / (hashed + ".br")).exists()
        assert "js/htmx.min.js" in manifest

    @pytest.mark.django_db
    def test_pages_link_hashed_files_with_far_future_caching(self, client: Client) -> None:
        html = client.get("/en/").content.decode()
        css = static("css/app.css")
        assert css in html and css != "/static/css/app.css"
        # WhiteNoise reads STATIC_ROOT at start-up; ask it the way a browser would.
        from whitenoise.middleware import WhiteNoiseMiddleware

        middleware = WhiteNoiseMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
        static_file = middleware.files.get(css) or middleware.find_file(css)
        assert static_file is not None
        response = client.get(css, HTTP_ACCEPT_ENCODING="br")
        assert response.status_code == 200
        assert (
            "max-age=315360000" in response["Cache-Control"]
            or "immutable" in response["Cache-Control"]
        )
        assert response["Content-Encoding"] == "br"

    @pytest.mark.django_db
    def test_no_page_asks_a_third_party_host(self, client: Client) -> None:
        html = client.get("/en/accounts/signup/").content.decode()
        assert not re.search(r'(src|href)="(https?:)?//(?!testserver)', html)
