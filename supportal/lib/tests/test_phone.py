"""Phone numbers as stored and compared, and call durations (supportal/lib/phone.py)."""

from __future__ import annotations

import pytest

from supportal.lib.phone import (
    caller_address,
    format_duration,
    has_mailbox,
    normalize_phone,
    parse_duration,
    phone_or_none,
)


class NormalizePhoneTests:
    @pytest.mark.parametrize(
        "written",
        [
            "+82 10-1234-5678",
            "+821012345678",
            "+82 (10) 1234.5678",
            " +82 10 1234 5678 ",
            "0082 10 1234 5678",
            "＋８２ １０ １２３４ ５６７８",  # full-width, as a Japanese input method types it
            "+82\u00a010\u20131234\u20135678",  # no-break space and en dashes
        ],
    )
    def test_it_makes_every_way_of_writing_a_number_the_same(self, written: str) -> None:
        assert normalize_phone(written) == "+821012345678"

    def test_it_keeps_a_national_number_as_its_digits(self) -> None:
        assert normalize_phone("010-1234-5678") == "01012345678"

    def test_it_gives_blank_for_blank_input(self) -> None:
        assert normalize_phone("   ") == ""

    @pytest.mark.parametrize(
        "written",
        [
            "call me",
            "+82 10 1234 5678 ext. 12",
            "+",
            "++821012345678",
            "82+1012345678",
            "12",
            "+1234567890123456",  # 16 digits
            "٠١٠١٢٣٤٥٦٧٨",  # Arabic-Indic digits are digits to Python, not to a phone
            "1" * 100,
            "javascript:alert(1)",
        ],
    )
    def test_it_refuses_what_is_not_a_number(self, written: str) -> None:
        with pytest.raises(ValueError):
            normalize_phone(written)
        assert phone_or_none(written) is None


class DurationTests:
    @pytest.mark.parametrize(
        ("written", "seconds"),
        [("205", 205), ("3:25", 205), ("0:05", 5), ("1:03:25", 3805), (" 90 ", 90), ("0", 0)],
    )
    def test_it_reads_seconds_and_minutes_seconds(self, written: str, seconds: int) -> None:
        assert parse_duration(written) == seconds

    @pytest.mark.parametrize("written", ["", "3:75", "-5", "3.5", "1:2:3:4", "abc", "３:２５"])
    def test_it_refuses_anything_else(self, written: str) -> None:
        with pytest.raises(ValueError):
            parse_duration(written)

    def test_it_writes_durations_back(self) -> None:
        written = [format_duration(seconds) for seconds in (0, 5, 205, 3805)]
        assert written == ["0:00", "0:05", "3:25", "1:03:25"]


class PlaceholderAddressTests:
    def test_it_makes_a_callers_address_in_the_reserved_domain(self) -> None:
        address = caller_address("+821012345678")
        assert address == "caller-821012345678@phone.invalid"
        assert not has_mailbox(address)

    @pytest.mark.parametrize(
        ("address", "reachable"),
        [
            ("casey@acme.test", True),
            ("erased-12@invalid", False),
            ("visitor-ab12@chat.invalid", False),
            ("someone@EXAMPLE.INVALID", False),
            ("no-at-sign", False),
        ],
    )
    def test_it_tells_addresses_that_reach_nobody(self, address: str, reachable: bool) -> None:
        assert has_mailbox(address) is reachable
