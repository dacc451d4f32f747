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
from supportal.test import Personas

ORIENTATION = 0x0112
CAMERA_MAKE = 0x010F
MP4_HEAD = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media_root(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def image_bytes(
    fmt: str = "PNG", size: tuple[int, int] = (2000, 1000), exif: bool = False
) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, size[0] // 2, size[1] // 4))
    out = io.BytesIO()
    options: dict[str, object] = {}
    if exif:
        data = Image.Exif()
        data[CAMERA_MAKE] = "SecretCam GPS 37.5N"
        data[ORIENTATION] = 6  # stored sideways: must be turned 90 degrees to stand upright
        options["exif"] = data.tobytes()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def make_article(visibility: str = Visibility.EVERYONE, status: str = "published") -> Article:
    article = services.article_create(section=None, visibility=visibility)
    services.translation_save(
        article=article, locale="en", title="Pictures", body="", status=status
    )
    return article


def upload(client: Client, article: Article, **files: object) -> object:
    return client.post(f"/en/agent/help/articles/{article.pk}/media/", files)


def stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


@pytest.mark.django_db
class ImageUploadTests:
    def test_it_stores_a_clean_upright_image_with_webp_variants(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        photo = SimpleUploadedFile("photo.jpg", image_bytes("JPEG", (2000, 1000), exif=True))
        response = upload(client, article, file=photo, alt_text="A red and blue test card")
        assert response.status_code == 302
        item = ArticleMedia.objects.get()
        # Orientation 6 means the 2000x1000 pixels stand upright as 1000x2000.
        assert (item.kind, item.content_type, item.width, item.height) == (
            "image",
            "image/jpeg",
            1000,
            2000,
        )
        assert [(v["width"], v["format"]) for v in item.variants] == [
            (480, "webp"),
            (480, "jpeg"),
            (960, "webp"),
            (960, "jpeg"),
            (1000, "webp"),
            (1000, "jpeg"),
        ]
        for name in [item.file.name] + [v["name"] for v in item.variants]:
            data = stored(name)
            assert b"SecretCam" not in data
            with Image.open(io.BytesIO(data)) as image:
                assert not image.getexif(), name
                assert "exif" not in image.info, name
        with Image.open(io.BytesIO(stored(item.variants[0]["name"]))) as variant:
            assert (variant.format, variant.size) == ("WEBP", (480, 960))
        assert item.file.name.endswith(".jpg") and "photo" not in item.file.name

    def test_it_never_enlarges_a_small_image(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        upload(client, article, file=SimpleUploadedFile("icon.png", image_bytes("PNG", (300, 200))))
        item = ArticleMedia.objects.get()
        assert [(v["width"], v["format"]) for v in item.variants] == [(300, "webp"), (300, "png")]

    def test_it_gives_a_picture_snippet_to_paste(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        upload(
            client,
            article,
            file=SimpleUploadedFile("chart.png", image_bytes("PNG", (1200, 600))),
            alt_text='Sales "up"',
        )
        html = client.get(f"/en/agent/help/articles/{article.pk}/en/").content.decode()
        assert "&lt;picture&gt;&lt;source type=&quot;image/webp&quot; srcset=" in html
        assert "width=&quot;1200&quot; height=&quot;600&quot;" in html
        assert "alt=&quot;Sales &amp;quot;up&amp;quot;&quot;" in html
        assert "loading=&quot;lazy&quot; decoding=&quot;async&quot;" in html

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("evil.png", b"<html><script>alert(1)</script></html>"),
            ("doc.png", b"%PDF-1.7\n1 0 obj << >> endobj\n"),
            ("jpeg-named.png", image_bytes("JPEG", (50, 50))),
            ("truncated.png", image_bytes("PNG", (50, 50))[:60]),
            ("script.svg", b"<svg onload='alert(1)'></svg>"),
            ("noext", image_bytes("PNG", (50, 50))),
        ],
    )
    def test_it_refuses_files_that_are_not_what_they_claim(
        self, client: Client, personas: Personas, name: str, content: bytes
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = upload(client, article, file=SimpleUploadedFile(name, content), alt_text="x")
        assert response.status_code == 400
        html = response.content.decode()
        assert f"“{name}” is not" in html
        assert 'value="x"' in html
        assert not ArticleMedia.objects.exists()

    def test_it_refuses_an_oversized_image(
        self, client: Client, personas: Personas, settings: pytest.FixtureRequest
    ) -> None:
        settings.HELPCENTER_IMAGE_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
        article = make_article()
        client.force_login(personas.agent)
        big = SimpleUploadedFile("big.png", b"\x89PNG" + b"\0" * (1024 * 1024 + 10))
        response = upload(client, article, file=big)
        assert response.status_code == 400
        assert "“big.png” is larger than 1 MB." in response.content.decode()
        assert not ArticleMedia.objects.exists()

    def test_it_refuses_an_image_with_too_many_pixels(
        self, client: Client, personas: Personas
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        out = io.BytesIO()
        Image.new("1", (8000, 6000)).save(out, format="PNG")
        response = upload(client, article, file=SimpleUploadedFile("huge.png", out.getvalue()))
        assert response.status_code == 400
        assert "“huge.png” has too many pixels." in response.content.decode()

    def test_it_shows_errors_in_the_htmx_panel(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/media/",
            {"file": SimpleUploadedFile("x.png", b"GIF89a not really"), "alt_text": "Kept"},
            HTTP_HX_REQUEST="true",
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "“x.png” is not a valid JPEG, PNG, WebP or GIF image" in html
        assert 'value="Kept"' in html

    def test_it_returns_the_panel_for_htmx(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/help/articles/{article.pk}/media/",
            {"file": SimpleUploadedFile("a.gif", image_bytes("GIF", (40, 40))), "alt_text": "Dot"},
            HTTP_HX_REQUEST="true",
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert "alt=&quot;Dot&quot;" in html

    def test_it_refuses_customers(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.customer)
        response = upload(client, article, file=SimpleUploadedFile("a.png", image_bytes()))
        assert response.status_code == 403
        assert not ArticleMedia.objects.exists()


@pytest.mark.django_db
class VideoUploadTests:
    def test_it_stores_a_video_with_captions(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = upload(
            client,
            article,
            file=SimpleUploadedFile("tour.mp4", MP4_HEAD),
            captions=SimpleUploadedFile("tour.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"),
            captions_language="ko",
        )
        assert response.status_code == 302
        item = ArticleMedia.objects.get()
        assert (item.kind, item.content_type, item.captions_language) == (
            "video",
            "video/mp4",
            "ko",
        )
        assert stored(item.captions.name).startswith(b"WEBVTT")
        html = client.get(f"/en/agent/help/articles/{article.pk}/media/").content.decode()
        assert "&lt;video controls" in html
        assert "&lt;track kind=&quot;captions&quot; srclang=&quot;ko&quot;" in html

    def test_it_accepts_webm(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        upload(client, article, file=SimpleUploadedFile("tour.webm", WEBM_HEAD))
        assert ArticleMedia.objects.get().content_type == "video/webm"

    @pytest.mark.parametrize(
        ("captions", "message"),
        [
            (b"<script>alert(1)</script>", "is not WebVTT"),
            (b"WEBVTTX\n", "is not WebVTT"),
            (b"\xff\xfe\x00bad", "is not WebVTT"),
            (b"WEBVTT\n" + b"a" * (600 * 1024), "is too large"),
        ],
    )
    def test_it_refuses_bad_captions(
        self, client: Client, personas: Personas, captions: bytes, message: str
    ) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = upload(
            client,
            article,
            file=SimpleUploadedFile("tour.mp4", MP4_HEAD),
            captions=SimpleUploadedFile("tour.vtt", captions),
        )
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not ArticleMedia.objects.exists()

    def test_it_refuses_a_fake_video(self, client: Client, personas: Personas) -> None:
        article = make_article()
        client.force_login(personas.agent)
        response = upload(client, article, file=SimpleUploadedFile("tour.mp4", WEBM_HEAD))
        assert response.status_code == 400
        assert "“tour.mp4” is not a valid MP4 or WebM video" in response.content.decode()


@pytest.mark.django_db
class MediaServingTests:
    def _image(self, article: Article, personas: Personas) -> ArticleMedia:
        return services.media_upload(
            article=article,
            upload=SimpleUploadedFile("p.png", image_bytes("PNG", (600, 300))),
            alt_text="Chart",
            author=personas.agent,
        )

    def test_it_serves_public_images_with_safe_headers(
        self, client: Client, personas: Personas
    ) -> None:
        item = self._image(make_article(), personas)
        response = client.get(f"/media/{item.file.name}")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline; ")
        webp = next(v["name"] for v in item.variants if v["format"] == "webp")
        response = client.get(f"/media/{webp}")
        assert response["Content-Type"] == "image/webp"
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert b"".join(response.streaming_content)[:4] == b"RIFF"

    def test_it_hides_agents_only_media_from_customers(
        self, client: Client, personas: Personas
    ) -> None:
        item = self._image(make_article(visibility=Visibility.AGENTS), personas)
        names = [item.file.name] + [v["name"] for v in item.variants]
        for name in names:
            assert client.get(f"/media/{name}").status_code == 404
        client.force_login(personas.customer)
        for name in names:
            assert client.get(f"/media/{name}").status_code == 404
        client.force_login(personas.agent)
        response = client.get(f"/media/{item.file.name}")
        assert response.status_code == 200
        assert response["Cache-Control"].startswith("private")

    def test_it_hides_signed_in_media_from_visitors(
        self, client: Client, personas: Personas
    ) -> None:
        item = self._image(make_article(visibility=Visibility.SIGNED_IN), personas)
        assert client.get(f"/media/{item.file.name}").status_code == 404
        client.force_login(personas.customer)
        assert client.get(f"/media/{item.file.name}").status_code == 200

    def test_it_hides_a_drafts_media_from_customers(
        self, client: Client, personas: Personas
    ) -> None:
        item = self._image(make_article(status=ArticleTranslation.Status.DRAFT), personas)
        client.force_login(personas.customer)
        assert client.get(f"/media/{item.file.name}").status_code == 404
        client.force_login(personas.agent)
        assert client.get(f"/media/{item.file.name}").status_code == 200

    def test_it_serves_captions_as_vtt(self, client: Client, personas: Personas) -> None:
        item = services.media_upload(
            article=make_article(),
            upload=SimpleUploadedFile("v.webm", WEBM_HEAD),
            captions=SimpleUploadedFile("v.vtt", b"WEBVTT\n"),
            captions_language="en",
        )
        response = client.get(f"/media/{item.captions.name}")
        assert response["Content-Type"] == "text/vtt"
        assert client.get(f"/media/{item.file.name}")["Content-Type"] == "video/webm"

    def test_it_sends_any_other_type_as_an_attachment(
        self, client: Client, personas: Personas
    ) -> None:
        # Rows only come from media_upload, which never stores HTML; this guards older rows.
        article = make_article()
        default_storage.save("helpcenter/old/page.html", io.BytesIO(b"<script>x</script>"))
        ArticleMedia.objects.create(
            article=article,
            kind="image",
            file="helpcenter/old/page.html",
            content_type="text/html",
        )
        response = client.get("/media/helpcenter/old/page.html")
        assert response["Content-Disposition"].startswith("attachment; ")
        assert response["X-Content-Type-Options"] == "nosniff"

    def test_it_answers_404_for_unknown_or_sneaky_names(
        self, client: Client, personas: Personas
    ) -> None:
        item = self._image(make_article(), personas)
        stem = item.file.name.rsplit(".", 1)[0]
        for path in [
            "helpcenter/nope.png",
            f"{stem}-999.webp",
            "../settings.py",
            f"helpcenter/../{item.file.name}",
            "other/file.png",
        ]:
            assert client.get(f"/media/{path}").status_code == 404, path
