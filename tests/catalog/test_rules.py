"""Pure rules: GTIN check digits, slugs, search folding, banks, money parsing."""

from decimal import Decimal

import pytest

from marketplace.catalog.banks import bank_by_bin, load_banks
from marketplace.catalog.gtin import validate_gtin
from marketplace.catalog.services import parse_price, parse_weight
from marketplace.errors import ValidationError
from marketplace.text import account_holder_name, search_key, slugify


@pytest.mark.parametrize(
    ("raw", "gtin14"),
    [
        ("4006381333931", "04006381333931"),  # GTIN-13 from GS1's check digit calculator
        ("9501101530003", "09501101530003"),  # GS1 example company prefix 950110
        ("036000291452", "00036000291452"),  # UPC-A (GTIN-12) of GS1's US example
        ("96385074", "00000096385074"),  # GTIN-8 example
        ("10614141000415", "10614141000415"),  # GTIN-14 from the GS1 Digital Link standard
        ("893 6000 000 001", None),
    ],
)
def test_validate_gtin_accepts_published_examples(raw, gtin14):
    if gtin14 is None:
        with pytest.raises(ValidationError):
            validate_gtin(raw)
    else:
        assert validate_gtin(raw) == gtin14


@pytest.mark.parametrize("raw", ["4006381333932", "12345", "abcdefghijklm", "", "0000000000000"])
def test_validate_gtin_rejects_bad_check_digit_or_shape(raw):
    with pytest.raises(ValidationError) as exc:
        validate_gtin(raw)
    assert exc.value.field == "gtin"


def test_slugify_strips_vietnamese_diacritics():
    assert slugify("Tương làng Trí Yên") == "tuong-lang-tri-yen"
    assert slugify("Đặc sản Đồng Việt!") == "dac-san-dong-viet"


def test_search_key_folds_case_and_accents():
    assert search_key("Vải THIỀU  Lục Ngạn") == "vai thieu luc ngan"


def test_account_holder_name_is_upper_ascii():
    assert account_holder_name("  Trần thị   Lan ") == "TRAN THI LAN"
    assert account_holder_name("Đỗ Đức Đạt") == "DO DUC DAT"


def test_banks_load_from_csv_and_find_by_bin():
    assert len(load_banks()) > 40
    assert bank_by_bin("970405").short_name == "Agribank"
    assert bank_by_bin("000000") is None


@pytest.mark.parametrize(("raw", "vnd"), [("45.000", 45000), ("45000", 45000), ("45,000", 45000),
                                          ("1.250.000 ₫", 1250000), (45000, 45000)])
def test_parse_price_reads_vietnamese_amounts(raw, vnd):
    assert parse_price(raw) == vnd


@pytest.mark.parametrize("raw", ["-5000", "4.5", "abc", "", "45.00"])
def test_parse_price_rejects_bad_amounts(raw):
    with pytest.raises(ValidationError):
        parse_price(raw)


def test_parse_weight_accepts_decimal_comma():
    assert parse_weight("0,5") == Decimal("0.500")
    with pytest.raises(ValidationError):
        parse_weight("0")
