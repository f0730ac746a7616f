"""One rule for Vietnamese phone numbers: accounts, stalls and checkout read them alike."""

from __future__ import annotations

import pytest

from marketplace.errors import ValidationError
from marketplace.phones import normalize_phone


@pytest.mark.parametrize(("raw", "expected"), [
    ("0912345678", "0912345678"),
    ("0912 345 678", "0912345678"),
    ("091.234.5678", "0912345678"),
    ("+84 912 345 678", "0912345678"),
    ("84912345678", "0912345678"),
    ("(+84) 35-123-4567", "0351234567"),
    ("", None),
    ("   ", None),
    (None, None),
])
def test_mobiles_are_read_however_they_are_written(app, raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "12345", "0112345678", "0412345678", "091234567", "09123456789", "0912345678x",
    "+1 912 345 678", "02438251234",  # a Hà Nội landline: not a mobile
])
def test_anything_else_is_refused_on_its_field(app, raw):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(raw, field="customer_phone")
    assert caught.value.field == "customer_phone"
    assert "Số điện thoại không hợp lệ" in caught.value.reason


def test_a_landline_is_taken_only_where_a_call_is_enough(app):
    assert normalize_phone("024 3825 1234", landline_ok=True) == "02438251234"
    assert normalize_phone("+84 24 3825 1234", landline_ok=True) == "02438251234"
    with pytest.raises(ValidationError):
        normalize_phone("0212345678", landline_ok=True)  # 10 digits starting 02: no such number


def test_checkout_and_registration_agree_on_mobiles(client, app):
    from marketplace.accounts.services import register_user
    from marketplace.orders.services import normalize_phone as checkout_phone

    for raw in ("0912 345 678", "+84 912 345 678"):
        assert checkout_phone(raw) == "0912345678"
    user = register_user(name="Chị Hoa", phone="+84 912 345 678", password="matkhau123",
                         role="shopper")
    assert user.phone == "0912345678"
