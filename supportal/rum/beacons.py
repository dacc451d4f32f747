"""Reading a beacon: the JSON document static/js/rum.js sends, checked strictly.

    {"page": "helpcenter:article",
     "metrics": {"ttfb": 120.5, "dcl": 340, "load": 610, "lcp": 900, "inp": 64, "cls": 0.02},
     "errors": [{"message": "...", "source": "https://.../app.js", "line": 3, "column": 14}]}

Anyone can post anything here, so everything is checked and nothing is trusted: the page type
must be one of our route names, numbers must be in their sane range, at most a few errors with
their strings cut short. Anything else refuses the whole beacon (BeaconError).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from supportal.rum.metrics import METRICS

MAX_ERRORS = 5
MESSAGE_LENGTH = 300
SOURCE_LENGTH = 300
MAX_LINE = 10_000_000
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_QUERY = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s?#]*)[?#][^\s]*", re.IGNORECASE)


class BeaconError(ValueError):
    """The beacon is not one our script sends; the message says why (for a debug log)."""


@dataclass(frozen=True)
class ReportedError:
    message: str
    source: str
    line: int
    column: int


@dataclass
class Beacon:
    page_type: str
    metrics: dict[str, float] = field(default_factory=dict)
    errors: list[ReportedError] = field(default_factory=list)


def _refuse_constant(name: str) -> Any:
    raise BeaconError(f"not a number: {name}")


def _object(value: Any, what: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BeaconError(f"{what} is not an object")
    unknown = set(value) - allowed
    if unknown:
        raise BeaconError(f"{what} has unknown keys {sorted(unknown)[:3]}")
    return value


def _number(value: Any, what: str, maximum: float) -> float:
    # bool is an int in Python; true is not a timing.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BeaconError(f"{what} is not a number")
    if not math.isfinite(value) or not 0 <= value <= maximum:
        raise BeaconError(f"{what} is out of range")
    return float(value)


def _text(value: Any, what: str, length: int) -> str:
    if not isinstance(value, str):
        raise BeaconError(f"{what} is not a string")
    # Control characters would only garble the admins' page. An email address in a message (a
    # script that put one in an exception) is personal data we do not keep, and the query
    # string of a URL in one ("Failed to load https://...?token=...") may be a secret.
    cleaned = "".join(ch if ch.isprintable() else " " for ch in value[: length * 2])
    cleaned = URL_QUERY.sub(r"\1", " ".join(cleaned.split()))
    return EMAIL.sub("[email]", cleaned)[:length]


def _source(value: Any) -> str:
    text = _text(value, "error source", SOURCE_LENGTH * 4)
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    # Query strings and fragments may carry anything, tokens included.
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))[:SOURCE_LENGTH]


def _error(value: Any) -> ReportedError:
    item = _object(value, "an error", {"message", "source", "line", "column"})
    message = _text(item.get("message"), "error message", MESSAGE_LENGTH)
    if not message:
        raise BeaconError("an error without a message")
    return ReportedError(
        message=message,
        source=_source(item.get("source", "")),
        line=int(_number(item.get("line", 0), "error line", MAX_LINE)),
        column=int(_number(item.get("column", 0), "error column", MAX_LINE)),
    )


def parse_beacon(body: bytes, *, page_types: Container[str]) -> Beacon:
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # bad UTF-8 or JSON, a 5000-digit number
        raise BeaconError(f"not JSON: {type(error).__name__}") from None
    document = _object(data, "the beacon", {"page", "metrics", "errors"})
    page_type = document.get("page")
    if not isinstance(page_type, str) or page_type not in page_types:
        raise BeaconError("unknown page type")
    metrics = _object(document.get("metrics", {}), "metrics", set(METRICS))
    errors = document.get("errors", [])
    if not isinstance(errors, list) or len(errors) > MAX_ERRORS:
        raise BeaconError("errors is not a short list")
    beacon = Beacon(
        page_type=page_type,
        metrics={key: _number(value, key, METRICS[key].maximum) for key, value in metrics.items()},
        errors=[_error(item) for item in errors],
    )
    if not beacon.metrics and not beacon.errors:
        raise BeaconError("nothing to record")
    return beacon
