"""Help-center media as an attacker sees it: headers on every file, traversal in the URL,
metadata and decompression bombs in uploads, and the article's visibility as the gate."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from supportal.helpcenter import services
from supportal.helpcenter.models import Article, ArticleMedia, ArticleTranslation, Visibility
from supportal.helpcenter.tests.test_media import WEBM_HEAD, make_article, stored, upload
from supportal.test import Personas

pytestmark = pytest.mark.django_db

CSP = "sandbox; default-src 'none'"


@pytest.fixture(autouse=True)
def _media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def jpeg_with_gps(size: tuple[int, int] = (640, 480)) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Acme Camera"
    exif.get_ifd(0x8825).update({1: "N", 2: (37.0, 33.0, 58.0), 3: "E", 4: (126.0, 58.0, 41.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def media_item(article: Article, personas: Personas) -> ArticleMedia:
    return services.media_upload(
        article=article,
        upload=SimpleUploadedFile("chart.jpg", jpeg_with_gps()),
        alt_text="Chart",
        author=personas.agent,
    )


class MediaHeaderTests:
    def test_every_file_carries_nosniff_and_a_sandbox_policy(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        item = media_item(article, personas)
        video = services.media_upload(
            article=article,
            upload=SimpleUploadedFile("tour.webm", WEBM_HEAD),
            captions=SimpleUploadedFile("tour.vtt", b"WEBVTT\n"),
            captions_language="en",
        )
        names = [item.file.name, *(v["name"] for v in item.variants)]
        names += [video.file.name, video.captions.name]
        for name in names:
            response = client.get(f"/media/{name}")
            assert response.status_code == 200, name
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Security-Policy"] == CSP
            assert response["Content-Disposition"].startswith("inline; filename=")

    def test_markup_in_an_old_row_is_a_download_of_octets(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        default_storage.save("helpcenter/old/x.svg", io.BytesIO(b"<svg onload='alert(1)'/>"))
        ArticleMedia.objects.create(
            article=article, kind="image", file="helpcenter/old/x.svg", content_type="image/svg+xml"
        )
        response = client.get("/media/helpcenter/old/x.svg")
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment; ")
        assert response["Content-Security-Policy"] == CSP


class MediaTraversalTests:
    @pytest.mark.parametrize(
        "path",
        [
            "helpcenter/..%2F..%2Fsupportal%2Fsettings.py",
            "helpcenter/%2e%2e/%2e%2e/manage.py",
            "helpcenter/%2e%2e%2f%2e%2e%2fmanage.py",
            "helpcenter\\..\\..\\manage.py",
            "helpcenter/..%5C..%5Cmanage.py",
            "helpcenter/x.png%00.jpg",
            "%2Fetc%2Fpasswd",
            "/etc/passwd",
            "helpcenter//etc/passwd",
            "helpcenter/./x.png",
            "C:/Windows/win.ini",
        ],
    )
    def test_traversal_is_a_404_never_a_500(self, client: Client, path: str) -> None:
        assert client.get(f"/media/{path}").status_code == 404

    def test_a_real_file_under_a_traversing_path_is_still_a_404(
        self, client: Client, personas: Personas
    ) -> None:
        item = media_item(make_article(), personas)
        folder, name = item.file.name.rsplit("/", 1)
        last = folder.rsplit("/", 1)[-1]
        assert client.get(f"/media/{folder}/../{last}/{name}").status_code == 404
        assert client.get(f"/media/{folder}/./{name}").status_code == 404


class MediaUploadSafetyTests:
    def test_gps_and_camera_data_are_gone_from_the_original_and_every_variant(
        self, personas: Personas
    ) -> None:
        item = media_item(make_article(), personas)
        for name in [item.file.name, *(v["name"] for v in item.variants)]:
            data = stored(name)
            image = Image.open(io.BytesIO(data))
            assert not image.getexif().get_ifd(0x8825), name
            assert b"Acme Camera" not in data and b"Exif" not in data, name

    def test_a_decompression_bomb_is_refused_cleanly(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        out = io.BytesIO()
        # 100 megapixels: above Pillow's own warning limit, a few kilobytes on disk.
        Image.new("1", (10_000, 10_000)).save(out, format="PNG")
        response = upload(client, article, file=SimpleUploadedFile("bomb.png", out.getvalue()))
        assert response.status_code == 400
        assert "“bomb.png” has too many pixels." in response.content.decode()
        assert not ArticleMedia.objects.exists()

    def test_an_svg_with_script_is_refused(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        response = upload(client, article, file=SimpleUploadedFile("logo.png", svg))
        assert response.status_code == 400
        assert "“logo.png” is not a valid JPEG, PNG, WebP or GIF image" in (
            response.content.decode()
        )


class MediaVisibilityTests:
    @pytest.mark.parametrize(
        ("visibility", "status", "visitor", "customer", "agent"),
        [
            (Visibility.EVERYONE, "published", 200, 200, 200),
            (Visibility.SIGNED_IN, "published", 404, 200, 200),
            (Visibility.AGENTS, "published", 404, 404, 200),
            (Visibility.EVERYONE, ArticleTranslation.Status.DRAFT, 404, 404, 200),
        ],
    )
    def test_media_follow_their_articles_visibility(
        self,
        client: Client,
        personas: Personas,
        visibility: str,
        status: str,
        visitor: int,
        customer: int,
        agent: int,
    ) -> None:
        item = media_item(make_article(visibility=visibility, status=status), personas)
        path = f"/media/{item.variants[0]['name']}"
        assert client.get(path).status_code == visitor
        client.force_login(personas.customer)
        assert client.get(path).status_code == customer
        client.force_login(personas.agent)
        assert client.get(path).status_code == agent
        assert client.post(path).status_code == 405
