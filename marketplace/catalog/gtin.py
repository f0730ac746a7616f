"""GTIN-8/12/13/14 check digits (GS1 General Specifications, section 7.9)."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from marketplace.errors import ValidationError

VALID_LENGTHS = (8, 12, 13, 14)


def gs1_check_digit(body: str) -> int:
    """Return the GS1 mod-10 check digit for the digits before it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def validate_gtin(raw: str) -> str:
    """Check a GTIN's length and check digit; return it as 14 digits (GTIN-14)."""
    digits = re.sub(r"[\s\-]", "", raw or "")
    if not digits.isdigit() or len(digits) not in VALID_LENGTHS:
        raise ValidationError("gtin", _("Mã GTIN phải gồm 8, 12, 13 hoặc 14 chữ số."))
    if gs1_check_digit(digits[:-1]) != int(digits[-1]):
        raise ValidationError("gtin", _("Mã GTIN sai số kiểm tra (chữ số cuối)."))
    if set(digits) == {"0"}:
        raise ValidationError("gtin", _("Mã GTIN không hợp lệ."))
    return digits.zfill(14)
