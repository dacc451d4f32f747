"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitises, headings get ids for the TOC.

Sanitising happens here, at render time, for every caller: whatever an author typed, no
script, event handler or javascript: URL survives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "kbd", "li", "mark", "ol", "p", "picture", "pre", "s", "samp", "small", "source", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "track", "u", "ul", "video",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "lang", "dir", "title"},
    "a": {"href", "hreflang"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"},
    "source": {"src", "srcset", "sizes", "type", "media"},
    "video": {"src", "controls", "width", "height", "poster", "preload"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass
class Heading:
    level: int
    text: str
    anchor: str


@dataclass
class Rendered:
    html: str
    toc: list[Heading] = field(default_factory=list)


_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _safe_srcset(value: str) -> str | None:
    """The srcset when every candidate URL is relative or uses an allowed scheme, else None.

    nh3 checks the schemes of href and src but not of srcset, a comma-separated list of
    "URL descriptor" candidates; without this a data: or javascript: URL would survive there.
    A data: URL may itself contain commas, so one bad candidate drops the whole attribute.
    """
    for candidate in value.split(","):
        scheme = _SCHEME.match(candidate.strip())
        if scheme and scheme.group(1).lower() not in URL_SCHEMES:
            return None
    return value


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute == "srcset":
        return _safe_srcset(value)
    return value


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
        attribute_filter=_filter_attribute,
    )


def _slug(text: str, used: set[str]) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    base = re.sub(r"[^\w]+", "-", text).strip("-") or "section"
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def render_markdown(text: str) -> Rendered:
    """Markdown in, sanitised HTML and the h2/h3 table of contents out."""
    tokens = _md.parse(text or "")
    toc: list[Heading] = []
    used: set[str] = set()
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            inline = tokens[i + 1]
            title = "".join(child.content for child in inline.children or [] if child.content)
            anchor = _slug(title or inline.content, used)
            token.attrSet("id", anchor)
            level = int(token.tag[1])
            if level in (2, 3):
                toc.append(Heading(level=level, text=title or inline.content, anchor=anchor))
    html = _md.renderer.render(tokens, _md.options, {})
    return Rendered(html=sanitize(html), toc=toc)


def plain_text(text: str) -> str:
    """The words of a Markdown document without markup, for search and descriptions."""
    html = _md.render(text or "")
    stripped = nh3.clean(html, tags=set(), attributes={})
    return re.sub(r"\s+", " ", stripped.replace("&amp;", "&").replace("&lt;", "<")).strip()
