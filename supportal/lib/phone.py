"""Phone numbers as we store and compare them: ASCII digits with an optional leading "+".

"+82 10-1234-5678", "+82 (10) 1234.5678", "＋８２ １０ １２３４ ５６７８" and "+821012345678"
are one number. "00" before a country code is the international prefix written another way
("0082 10 1234 5678" is "+821012345678").

A number without a country code ("010-1234-5678") depends on `region`, the site's
PHONE_REGION (an ISO 3166 code such as "KR"). With a region it is read as a number of that
region with the `phonenumbers` library and stored in E.164 ("+821012345678"); one the library
finds impossible there (too short, too long, or a local number without its area code) is
refused. Without a region it keeps its digits as written ("01012345678"), since nothing says
which country it belongs to. Numbers with a country code never depend on the region.

Numbers stored before a region was set keep their national digits; `stored_forms` gives every
form a number may be stored in, so a lookup finds them in one query.

Pure helpers: no Django import.
"""

from __future__ import annotations

import unicodedata

import phonenumbers

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
POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE


def normalize_phone(text: str, *, region: str = "") -> str:
    """The stored form of a phone number as someone typed it; "" for blank input. `region`
    (PHONE_REGION) is the country of a number written without a country code.

    Raises ValueError when it is not a number: letters, an extension, a "+" in the middle,
    fewer than MIN_DIGITS or more than MAX_DIGITS digits, or (with a region) a national number
    that is impossible there."""
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
    # Before the library sees it: for some regions it reads "00" as the start of a longer
    # international prefix (Korea's 001, 008...), and "0082..." would lose its country code.
    if not plus and digits.startswith("00"):
        plus, digits = True, digits[2:]
    if not plus and region:
        plus, digits = True, _international(digits, region)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise ValueError("wrong number of digits")
    return ("+" if plus else "") + digits


def _international(digits: str, region: str) -> str:
    """The E.164 digits (no "+") of a number written without a country code in `region`."""
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    # "Possible", not "valid": validity follows the operators' number ranges, which change
    # faster than the library's releases. A number possible only locally lacks its area code:
    # its E.164 form would be someone else's number.
    if phonenumbers.is_possible_number_with_reason(number) != POSSIBLE:
        raise ValueError("not a possible number in the region")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


def is_region(code: str) -> bool:
    """True for a region the library knows: ISO 3166 codes in capitals ("KR", "US")."""
    return code in phonenumbers.SUPPORTED_REGIONS


def phone_or_none(text: str, *, region: str = "") -> str | None:
    """The stored form, or None when `text` is blank or not a phone number (for lookups)."""
    try:
        return normalize_phone(text, region=region) or None
    except ValueError:
        return None


def stored_forms(number: str, *, region: str = "") -> list[str]:
    """Every form in which `number` (a stored form) may be stored: itself and, with a region,
    the national digits of its E.164 form that people saved before the region was set
    ("01012345678", "1012345678", "821012345678" for "+821012345678" in "KR"), and the E.164
    form of a national one. Only forms that `region` reads as the same number: a lookup with
    `phone__in=stored_forms(...)` finds the number however it was stored, in one query."""
    forms = {number}
    international = phone_or_none(number, region=region) if region else None
    if not international or not international.startswith("+"):
        return sorted(forms)
    forms.add(international)
    try:
        parsed = phonenumbers.parse(international)
    except phonenumbers.NumberParseException:  # a "+" and a country code nobody has
        return sorted(forms)
    national = phonenumbers.national_significant_number(parsed)
    written = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    for form in (
        "".join(char for char in written if char in DIGITS),
        national,
        f"{parsed.country_code}{national}",
    ):
        if phone_or_none(form, region=region) == international:
            forms.add(form)
    return sorted(forms)


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
