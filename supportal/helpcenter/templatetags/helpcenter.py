"""Template helpers for help-center pages: OpenGraph locales and JSON-LD data blocks."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

OG_LOCALES = {"ko": "ko_KR", "en": "en_US", "ja": "ja_JP", "zh-hans": "zh_CN"}
# The characters that could end the <script> element or start markup inside it.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def og_locale(code: str) -> str:
    return OG_LOCALES.get(code, code.replace("-", "_"))


@register.filter
def ld_json(data: Any) -> SafeString:
    """A <script type="application/ld+json"> data block, escaped like json_script."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
