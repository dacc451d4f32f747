"""Checking and re-encoding uploaded help-center media. Uploads are hostile input.

An image is believed only when Pillow can open and verify it as the format its name claims; it
is then re-encoded (which drops EXIF and every other metadata block) after turning it upright,
and stored in a few widths as WebP plus its own format. A video is believed only when its first
bytes are those of the container its name claims. Captions must be WebVTT.
"""

from __future__ import annotations

import html
import io
import warnings
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from supportal.lib.markdown import render_markdown

VARIANT_WIDTHS = (480, 960, 1600)
MAX_PIXELS = 40_000_000
# Extension -> (Pillow format, content type) for images; extension -> content type for video.
IMAGE_TYPES = {
    "jpg": ("JPEG", "image/jpeg"),
    "jpeg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "webp": ("WEBP", "image/webp"),
    "gif": ("GIF", "image/gif"),
}
VIDEO_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}
FORMAT_SUFFIX = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
FORMAT_TYPE = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
SIZES = "(min-width: 72rem) 72rem, 100vw"


def image_max_bytes() -> int:
    return int(getattr(settings, "HELPCENTER_IMAGE_MAX_BYTES", 10 * 1024 * 1024))


def video_max_bytes() -> int:
    return int(getattr(settings, "HELPCENTER_VIDEO_MAX_BYTES", 20 * 1024 * 1024))


def captions_max_bytes() -> int:
    return int(getattr(settings, "HELPCENTER_CAPTIONS_MAX_BYTES", 512 * 1024))


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


@dataclass
class Encoded:
    """One file to store: its bytes, suffix and pixel size."""

    data: bytes
    suffix: str
    width: int = 0
    height: int = 0
    format: str = ""


@dataclass
class ProcessedImage:
    original: Encoded
    content_type: str
    width: int
    height: int
    # Keyed by a name suffix such as "480.webp"; the stored name is "<stem>-<suffix>".
    variants: list[Encoded] = field(default_factory=list)


def _refuse_image(filename: str) -> ValidationError:
    return ValidationError(
        _(
            "“%(name)s” is not a valid JPEG, PNG, WebP or GIF image, or its content does not "
            "match its file name. Upload the image again, saved from an image editor."
        )
        % {"name": filename},
        code="invalid_image",
    )


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if fmt == "GIF" and image.mode not in ("P", "L"):
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    # No exif=, icc_profile= or pnginfo= is passed: the new file carries pixels only.
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _options(fmt: str) -> dict[str, object]:
    return {
        "JPEG": {"quality": 85, "optimize": True},
        "PNG": {"optimize": True},
        "WEBP": {"quality": 80, "method": 4},
        "GIF": {},
    }[fmt]


def process_image(data: bytes, filename: str) -> ProcessedImage:
    """Checks an uploaded image and returns its clean original and resized variants."""
    claimed = IMAGE_TYPES.get(extension(filename))
    if claimed is None:
        raise _refuse_image(filename)
    if len(data) > image_max_bytes():
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s MB. Upload a smaller image.")
            % {"name": filename, "limit": _megabytes(image_max_bytes())},
            code="too_large",
        )
    try:
        # Pillow only warns about a decompression bomb below twice its own limit: make the
        # warning an error so that it is refused like one, before any pixel is decoded.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _process_image(data, filename, claimed[0])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(filename) from None


def _too_many_pixels(filename: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” has too many pixels. Upload an image under 40 megapixels.")
        % {"name": filename},
        code="too_large",
    )


def _process_image(data: bytes, filename: str, claimed_format: str) -> ProcessedImage:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise _too_many_pixels(filename)
            probe.verify()
        if fmt != claimed_format:
            raise _refuse_image(filename)
        # verify() leaves the image unusable: open it again to read the pixels.
        with Image.open(io.BytesIO(data)) as source:
            animated = getattr(source, "is_animated", False)
            if animated:
                original = Encoded(
                    _encode_animated(source, fmt), FORMAT_SUFFIX[fmt], width, height, fmt
                )
                return ProcessedImage(original, FORMAT_TYPE[fmt], width, height, [])
            source.load()
            upright = ImageOps.exif_transpose(source)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _refuse_image(filename) from None
    upright.info = {}
    width, height = upright.size
    original = Encoded(_encode(upright, fmt, **_options(fmt)), FORMAT_SUFFIX[fmt], width, height)
    original.format = fmt
    variants: list[Encoded] = []
    for target in sorted({min(w, width) for w in VARIANT_WIDTHS}):
        resized = upright
        if target != width:
            target_height = max(1, round(height * target / width))
            resized = upright.resize((target, target_height), Image.Resampling.LANCZOS)
        for variant_format in ("WEBP", fmt) if fmt != "WEBP" else ("WEBP",):
            variants.append(
                Encoded(
                    _encode(resized, variant_format, **_options(variant_format)),
                    f"{target}.{FORMAT_SUFFIX[variant_format]}",
                    resized.width,
                    resized.height,
                    variant_format,
                )
            )
    return ProcessedImage(original, FORMAT_TYPE[fmt], width, height, variants)


def _encode_animated(source: Image.Image, fmt: str) -> bytes:
    frames = []
    durations = []
    for index in range(getattr(source, "n_frames", 1)):
        source.seek(index)
        frames.append(source.copy())
        durations.append(source.info.get("duration", 100))
    out = io.BytesIO()
    frames[0].info = {}
    frames[0].save(
        out,
        format=fmt,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=source.info.get("loop", 0),
    )
    return out.getvalue()


def check_video(head: bytes, size: int, filename: str) -> str:
    """The video's content type, when its first bytes match the container its name claims."""
    suffix = extension(filename)
    if size > video_max_bytes():
        raise ValidationError(
            _("“%(name)s” is larger than %(limit)s MB. Upload a shorter or smaller video.")
            % {"name": filename, "limit": _megabytes(video_max_bytes())},
            code="too_large",
        )
    is_mp4 = len(head) >= 12 and head[4:8] == b"ftyp"
    is_webm = head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]
    if (suffix == "mp4" and is_mp4) or (suffix == "webm" and is_webm):
        return VIDEO_TYPES[suffix]
    raise ValidationError(
        _(
            "“%(name)s” is not a valid MP4 or WebM video, or its content does not match its "
            "file name."
        )
        % {"name": filename},
        code="invalid_video",
    )


def check_captions(data: bytes, filename: str) -> bytes:
    """WebVTT captions, checked: the size limit, UTF-8 text, and the WEBVTT signature."""
    if len(data) > captions_max_bytes():
        raise ValidationError(
            _("The captions file “%(name)s” is too large (the limit is %(limit)s KB).")
            % {"name": filename, "limit": captions_max_bytes() // 1024},
            code="too_large",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if extension(filename) != "vtt" or not (
        text.startswith("WEBVTT") and (len(text) == 6 or text[6] in " \t\r\n")
    ):
        raise ValidationError(
            _(
                "The captions file “%(name)s” is not WebVTT: it must be a .vtt file whose first "
                "line starts with WEBVTT."
            )
            % {"name": filename},
            code="invalid_captions",
        )
    return text.encode("utf-8")


# --- Snippets and alt text ---------------------------------------------------------------------


def image_snippet(
    *, src: str, width: int, height: int, alt: str, webp: list[tuple[str, int]],
    fallback: list[tuple[str, int]],
) -> str:  # fmt: skip
    """The HTML a writer pastes into the body: WebP first, the original format as fallback."""
    alt_attr = html.escape(alt, quote=True)
    img_srcset = ", ".join(f"{url} {w}w" for url, w in fallback)
    img = (
        f'<img src="{src}"'
        + (f' srcset="{img_srcset}" sizes="{SIZES}"' if img_srcset else "")
        + f' width="{width}" height="{height}" alt="{alt_attr}" loading="lazy" decoding="async">'
    )
    if not webp:
        return img
    webp_srcset = ", ".join(f"{url} {w}w" for url, w in webp)
    return (
        f'<picture><source type="image/webp" srcset="{webp_srcset}" sizes="{SIZES}">{img}</picture>'
    )


def video_snippet(
    *, src: str, content_type: str, width: int | None, height: int | None,
    captions: str, captions_language: str, captions_label: str,
) -> str:  # fmt: skip
    size = f' width="{width}" height="{height}"' if width and height else ""
    track = ""
    if captions:
        track = (
            f'<track kind="captions" srclang="{captions_language}" '
            f'label="{html.escape(captions_label, quote=True)}" src="{captions}" default>'
        )
    return (
        f'<video controls preload="metadata"{size}><source src="{src}" type="{content_type}">'
        f"{track}</video>"
    )


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.missing: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            return
        values = dict(attrs)
        if not (values.get("alt") or "").strip():
            self.missing.append(values.get("src") or "")


def images_without_alt(body: str) -> list[str]:
    """The src of every image in a Markdown body whose alternative text is empty or missing."""
    finder = _ImageFinder()
    finder.feed(render_markdown(body).html)
    finder.close()
    return finder.missing
