"""Phone numbers as we store and compare them: ASCII digits with an optional leading "+".

"+82 10-1234-5678", "+82 (10) 1234.5678", "＋８２ １０ １２３４ ５６７８" and "+821012345678"
are one number. "00" before a country code is the international prefix written another way
("0082 10 1234 5678" is "+821012345678"). A number without a country code
("010-1234-5678") keeps its digits as written: it matches the same national number, not its
international form, since nothing here knows which country it belongs to.

Pure helpers: no Django import.
"""

from __future__ import annotations

import unicodedata

# What people put between groups of digits: spaces, hyphens and dashes, dots, brackets, slashes.
SEPARATORS = frozenset(" \t-.()/[]\u00a0\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc")
DIGITS = frozenset("0123456789")
# E.164 numbers have at most 15 digits; fewer than 3 is no number anyone can call back.
MIN_DIGITS = 3
MAX_DIGITS = 15
# The longest stored form: "+" and MAX_DIGITS digits (the model field's max_length).
MAX_LENGTH = MAX_DIGITS + 1
# The longest text we look at: a number written with generous spacing, not a paragraph.
MAX_INPUT = 64


def normalize_phone(text: str) -> str:
    """The stored form of a phone number as someone typed it; "" for blank input.

    Raises ValueError when it is not a number: letters, an extension, a "+" in the middle,
    fewer than MIN_DIGITS or more than MAX_DIGITS digits."""
    if len(text) > MAX_INPUT:
        raise ValueError("too long")
    # Full-width digits and "+" (typed with a Japanese or Chinese input method) become ASCII.
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return ""
    plus = text.startswith("+")
    if plus:
        text = text[1:]
    digits = "".join(char for char in text if char not in SEPARATORS)
    if not digits or not set(digits) <= DIGITS:
        raise ValueError("not a phone number")
    if not plus and digits.startswith("00"):
        plus, digits = True, digits[2:]
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise ValueError("wrong number of digits")
    return ("+" if plus else "") + digits


def phone_or_none(text: str) -> str | None:
    """The stored form, or None when `text` is blank or not a phone number (for lookups)."""
    try:
        return normalize_phone(text) or None
    except ValueError:
        return None


# A caller known only by their number (supportal/phone) gets an address in a reserved domain
# (RFC 2606: it never resolves), so every account still has its unique email; nothing is ever
# mailed to an address in ".invalid" (erased people's "erased-12@invalid" included).
NO_MAILBOX_DOMAIN = "phone.invalid"


def caller_address(number: str) -> str:
    """The placeholder address of the caller from `number` (a stored form)."""
    return f"caller-{number.lstrip('+')}@{NO_MAILBOX_DOMAIN}"


def has_mailbox(email: str) -> bool:
    """False for an address in the reserved ".invalid" domain, which reaches nobody."""
    _local, at, domain = email.rpartition("@")
    domain = domain.strip().lower().rstrip(".")
    return bool(at and domain) and domain != "invalid" and not domain.endswith(".invalid")


def parse_duration(text: str) -> int:
    """Seconds from "205", "3:25" (minutes:seconds) or "1:03:25" (hours:minutes:seconds).

    Raises ValueError for anything else (negative numbers, "3:75", letters)."""
    parts = text.strip().split(":")
    if len(parts) > 3 or not all(part.isascii() and part.isdigit() for part in parts):
        raise ValueError("not a duration")
    numbers = [int(part) for part in parts]
    if any(number >= 60 for number in numbers[1:]):
        raise ValueError("minutes and seconds go up to 59")
    seconds = 0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


def format_duration(seconds: int) -> str:
    """ "3:25" for 205 seconds, "1:03:25" from an hour on."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"
