"""Whatever an author types, nothing that runs script or loads another site survives."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from supportal.lib.markdown import render_markdown, sanitize
from supportal.test import Personas

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.test/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="#" onclick="alert(1)">click</a>',
    "<div onmouseover=alert(1)>hover</div>",
    "[link](javascript:alert(1))",
    "[link](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<img src="javascript:alert(1)">',
    '<img srcset="javascript:alert(1) 1x">',
    '<img src="/ok.png" srcset="/ok.png 1x, data:image/svg+xml,<svg onload=alert(1)> 2x">',
    '<picture><source srcset="javascript:alert(1)"><img src="/a.png" alt="a"></picture>',
    '<video controls poster="javascript:alert(1)" onplay="alert(1)"><source src="javascript:x">'
    '<track src="data:text/vtt,x"></video>',
    "<iframe src=https://evil.test></iframe>",
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<style>body { display: none }</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)><circle r=5 /></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=https://evil.test/x.swf></object><embed src=https://evil.test/x>",
    '<form action="https://evil.test"><input name=password><button>Go</button></form>',
    "<base href=https://evil.test/>",
    '<meta http-equiv="refresh" content="0;url=https://evil.test">',
    '<link rel="stylesheet" href="https://evil.test/x.css">',
    "<!-- <script>alert(1)</script> -->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<details open ontoggle="alert(1)"><summary>x</summary></details>',
]

FORBIDDEN = [
    re.compile(
        r"<\s*(script|iframe|style|svg|math|object|embed|form|input|base|meta|link)\b", re.I
    ),
    re.compile(r"\son[a-z]+\s*=", re.I),
    re.compile(r"(href|src|srcset|poster)\s*=\s*\"\s*(javascript|vbscript|data):", re.I),
    re.compile(r"\sstyle\s*=", re.I),
    re.compile(r"\ssrcdoc\s*=", re.I),
]


def assert_harmless(html: str) -> None:
    for pattern in FORBIDDEN:
        assert not pattern.search(html), f"{pattern.pattern} found in {html!r}"


class SanitizeTests:
    @pytest.mark.parametrize("source", HOSTILE)
    def test_it_removes_everything_that_could_run_or_load_script(self, source: str) -> None:
        assert_harmless(render_markdown(source).html)
        assert_harmless(sanitize(source))

    def test_it_keeps_the_media_markup_the_editor_produces(self) -> None:
        snippet = (
            '<picture><source type="image/webp" srcset="/media/a-480.webp 480w, '
            '/media/a-960.webp 960w" sizes="100vw"><img src="/media/a-960.png" '
            'srcset="/media/a-480.png 480w" sizes="100vw" width="960" height="480" alt="Chart" '
            'loading="lazy" decoding="async"></picture>\n\n<video controls preload="metadata">'
            '<source src="/media/v.mp4" type="video/mp4"><track kind="captions" srclang="en" '
            'label="English" src="/media/v.vtt" default></video>'
        )
        html = render_markdown(snippet).html
        for kept in [
            'srcset="/media/a-480.webp 480w, /media/a-960.webp 960w"',
            'type="image/webp"',
            'alt="Chart"',
            'loading="lazy"',
            'decoding="async"',
            'width="960"',
            "<video controls",
            '<track kind="captions" srclang="en" label="English" src="/media/v.vtt" default',
        ]:
            assert kept in html, kept

    def test_it_keeps_ordinary_links_and_images(self) -> None:
        html = render_markdown(
            "[Docs](https://example.test/a) [Mail](mailto:help@example.test) "
            "[Here](/en/help/) ![Logo](/media/logo.png)"
        ).html
        assert '<a href="https://example.test/a" rel="noopener noreferrer">Docs</a>' in html
        assert 'href="mailto:help@example.test"' in html
        assert 'href="/en/help/"' in html
        assert '<img src="/media/logo.png" alt="Logo">' in html


@pytest.mark.django_db
class PreviewSanitizeTests:
    def test_the_preview_is_sanitised_too(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        body = "\n\n".join(HOSTILE)
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post("/en/agent/help/preview/", {"body": body}, **headers)
            html = response.content.decode()
            preview = html[html.index('<div class="preview-body">') :]
            preview = preview[: preview.index("</div>\n")]
            assert_harmless(preview)
