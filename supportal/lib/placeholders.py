"""Placeholders in saved texts: {{requester.name}}, {{ticket.number}}, {{article:42}}.

A deliberately small substitution, not a template language: a placeholder is a name between
double braces, replaced by a plain string. Nothing the text's author writes is evaluated, so a
macro cannot read anything but the values the caller hands over.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Anything between double braces counts as a placeholder, so that a typo ("{{ requester.nmae }}")
# is found and refused rather than sent to a customer as it is.
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_ARTICLE = re.compile(r"article:(\d{1,12})")


def normalize(raw: str) -> str:
    """The placeholder's name as written, without its inner spaces: "{{ a.b }}" -> "a.b"."""
    return "".join(raw.split())


def names(text: str) -> list[str]:
    """Every placeholder in the text, normalized, in order of first appearance."""
    return list(dict.fromkeys(normalize(match) for match in _PLACEHOLDER.findall(text)))


def article_number(name: str) -> int | None:
    """42 for "article:42", else None."""
    match = _ARTICLE.fullmatch(name)
    return int(match.group(1)) if match else None


def article_numbers(texts: Iterable[str]) -> list[int]:
    numbers = (article_number(name) for text in texts for name in names(text))
    return list(dict.fromkeys(number for number in numbers if number is not None))


def unknown(text: str, known: Iterable[str]) -> list[str]:
    """The placeholders that are neither in `known` nor an article reference."""
    allowed = set(known)
    return [name for name in names(text) if name not in allowed and article_number(name) is None]


def render(text: str, values: Mapping[str, str]) -> str:
    """The text with every known placeholder replaced; an unknown one is left as written."""

    def replace(match: re.Match[str]) -> str:
        value = values.get(normalize(match.group(1)))
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(replace, text)


def _is_east_asian(character: str) -> bool:
    name = unicodedata.name(character, "")
    return name.startswith(("HANGUL", "CJK", "HIRAGANA", "KATAKANA"))


def first_name(full_name: str) -> str:
    """What a reply calls someone: the first word of a Western name, all of an East Asian one
    (which puts the family name first and is written without spaces or with one)."""
    full_name = " ".join(full_name.split())
    if not full_name or any(_is_east_asian(character) for character in full_name):
        return full_name
    return full_name.split(" ")[0]
