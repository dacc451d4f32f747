"""Phone numbers as stored and compared, and call durations (supportal/lib/phone.py)."""

from __future__ import annotations

import phonenumbers
import pytest

from supportal.lib.phone import (
    caller_address,
    format_duration,
    has_mailbox,
    is_region,
    normalize_phone,
    parse_duration,
    phone_or_none,
    stored_forms,
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
        assert phone_or_none(written, region="KR") is None


class RegionTests:
    """PHONE_REGION: the country of a number written without a country code."""

    @pytest.mark.parametrize(
        ("written", "region", "stored"),
        [
            ("010-1234-5678", "KR", "+821012345678"),
            ("010 1234 5678", "KR", "+821012345678"),
            ("０１０−１２３４−５６７８", "KR", "+821012345678"),
            ("02-555-0100", "KR", "+8225550100"),
            ("010-1234-567", "KR", "+82101234567"),  # an older 10-digit mobile number
            ("090-1234-5678", "JP", "+819012345678"),
            ("138 1234 5678", "CN", "+8613812345678"),
            ("(201) 555-0123", "US", "+12015550123"),
            ("1 201 555 0123", "US", "+12015550123"),
            ("011 82 10 1234 5678", "US", "+821012345678"),  # the USA's international prefix
        ],
    )
    def test_it_stores_a_national_number_in_e164(
        self, written: str, region: str, stored: str
    ) -> None:
        assert normalize_phone(written, region=region) == stored

    @pytest.mark.parametrize(
        ("written", "stored"),
        [
            ("+82 10-1234-5678", "+821012345678"),
            ("0082 10 1234 5678", "+821012345678"),
            ("+44 20 7946 0958", "+442079460958"),
            ("0044 20 7946 0958", "+442079460958"),
        ],
    )
    def test_it_keeps_numbers_with_a_country_code_as_without_a_region(
        self, written: str, stored: str
    ) -> None:
        assert normalize_phone(written, region="KR") == stored == normalize_phone(written)

    @pytest.mark.parametrize(
        ("written", "region"),
        [
            ("123-4567", "KR"),  # a Seoul number without its area code
            ("0101", "KR"),
            ("555-0123", "US"),  # without its area code
            ("201-555-012", "US"),  # a digit short
            ("201-555-01234", "US"),  # a digit too many
        ],
    )
    def test_it_refuses_a_number_impossible_in_the_region(self, written: str, region: str) -> None:
        assert phone_or_none(written) is not None  # kept as written without a region
        with pytest.raises(ValueError):
            normalize_phone(written, region=region)
        assert phone_or_none(written, region=region) is None

    def test_it_accepts_a_possible_number_the_library_does_not_list_as_valid(self) -> None:
        # Operators open new ranges faster than the library's releases list them.
        assert not phonenumbers.is_valid_number(phonenumbers.parse("010-1234-56789", "KR"))
        assert normalize_phone("010-1234-56789", region="KR") == "+8210123456789"

    def test_it_knows_the_regions(self) -> None:
        assert all(is_region(code) for code in ("KR", "JP", "CN", "US", "GB"))
        assert not any(is_region(code) for code in ("", "kr", "XX", "KOR", "001"))


class StoredFormsTests:
    def test_without_a_region_a_number_has_one_form(self) -> None:
        assert stored_forms("+821012345678") == ["+821012345678"]
        assert stored_forms("01012345678") == ["01012345678"]

    def test_with_a_region_it_adds_the_national_digits_saved_before_it_was_set(self) -> None:
        forms = ["+821012345678", "01012345678", "1012345678", "821012345678"]
        assert stored_forms("+821012345678", region="KR") == forms
        # The other way round: a number saved before the region was set finds the new form.
        assert stored_forms("01012345678", region="KR") == forms

    def test_every_form_reads_as_the_same_number_in_the_region(self) -> None:
        for number, region in (("+12015550123", "US"), ("+819012345678", "JP")):
            forms = stored_forms(number, region=region)
            assert len(forms) > 1
            assert {normalize_phone(form, region=region) for form in forms} == {number}

    def test_a_number_of_another_country_has_no_national_forms(self) -> None:
        # "02079460958" would be a Korean number with KR: not this London one.
        assert stored_forms("+442079460958", region="KR") == ["+442079460958"]
        assert stored_forms("+99912345", region="KR") == ["+99912345"]


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
