"""Re-encoding uploaded images so that only their pixels survive.

A fresh encode drops EXIF (GPS position, camera serial numbers), XMP, IPTC, ICC profiles, PNG
text chunks and anything appended after the image data. The size is checked from the header
before any pixel is decoded, so a decompression bomb is refused without using the memory.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's own limit (Image.MAX_IMAGE_PIXELS, about 89 megapixels) only warns below twice its
# value; ours refuses earlier and always.
MAX_PIXELS = 40_000_000
MAX_FRAMES = 500
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


class BadImageError(ValueError):
    """The bytes are not an image we can read, or one too large to decode."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "invalid" or "too_large"


def probe(data: bytes) -> tuple[str, int, int]:
    """The format and size of an image, checked without decoding its pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt, (width, height) = image.format or "", image.size
                if width * height > MAX_PIXELS:
                    raise BadImageError("too_large")
                image.verify()
    except BadImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImageError("too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise BadImageError("invalid") from None
    if fmt not in FORMATS:
        raise BadImageError("invalid")
    return fmt, width, height


def reencode(data: bytes) -> tuple[bytes, str]:
    """The image's pixels in a new file of the same format, without any metadata, turned
    upright by its EXIF orientation first. Returns (bytes, content type)."""
    fmt, _width, _height = probe(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                frames = getattr(source, "n_frames", 1)
                if frames > MAX_FRAMES:
                    raise BadImageError("too_large")
                if frames > 1:
                    return _animated(source, fmt), FORMATS[fmt]
                source.load()
                image = ImageOps.exif_transpose(source) or source
                return _still(image, fmt), FORMATS[fmt]
    except BadImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadImageError("too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise BadImageError("invalid") from None


def _still(image: Image.Image, fmt: str) -> bytes:
    image.info = {}
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    # No exif=, icc_profile= or pnginfo= is passed: the new file carries pixels only.
    options: dict[str, object] = {
        "JPEG": {"quality": 90},
        "PNG": {"optimize": True},
        "WEBP": {"quality": 90},
        "GIF": {},
    }[fmt]
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _animated(source: Image.Image, fmt: str) -> bytes:
    frames, durations = [], []
    for index in range(getattr(source, "n_frames", 1)):
        source.seek(index)
        frame = source.copy()
        frame.info = {}
        frames.append(frame)
        durations.append(source.info.get("duration", 100))
    out = io.BytesIO()
    frames[0].save(
        out,
        format=fmt,
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=source.info.get("loop", 0),
    )
    return out.getvalue()
