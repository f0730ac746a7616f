"""Reading typed stall and product fields from form strings, CSV cells or typed values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.catalog.categories import PRODUCER_KIND_KEYS
from marketplace.catalog.quantities import is_divisible, parse_stock_amount
from marketplace.errors import Checks, ValidationError
from marketplace.formatting import vn_today
from marketplace.phones import normalize_phone
from marketplace.sanitize import text_field
from marketplace.text import search_key

MAX_PRICE = 1_000_000_000
MAX_STOCK = 1_000_000
MAX_WEIGHT_KG = Decimal("10000")
AREA_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{0,63}$")


def optional_text(value: Any, field_name: str, max_length: int) -> str | None:
    """A text field that may be left empty (None then)."""
    return text_field(value, field_name, max_length) or None


def whole_number(value: Any, field_name: str, *, bad, negative) -> int | None:
    """Read '45000', '45.000', '45,000' or '45 000' as an integer; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(field_name, str(bad))
    if isinstance(value, int):
        number = value
    else:
        text = re.sub(r"\s+", " ", str(value)).strip()
        text = re.sub(r"\s*(₫|đ|vnđ|vnd|d)$", "", text, flags=re.IGNORECASE).strip()
        if not text:
            return None
        sign = -1 if text.startswith("-") else 1
        text = text.lstrip("+-").strip()
        if len(text) > 30:  # far beyond any price or count; int() of it would be slow
            raise ValidationError(field_name, str(bad))
        if re.fullmatch(r"\d+", text):
            number = int(text)
        elif re.fullmatch(r"\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*", text):
            number = int(re.sub(r"\D", "", text))
        else:
            raise ValidationError(field_name, str(bad))
        number *= sign
    if number < 0:
        raise ValidationError(field_name, str(negative))
    return number


def parse_price(value: Any) -> int:
    """Read a price in VND ('45.000', '45000', '45.000 ₫') as an integer."""
    price = whole_number(value, "price", bad=_l("Giá phải là số tiền, ví dụ 45.000."),
                          negative=_l("Giá không được âm."))
    if price is None:
        raise ValidationError("price", _("Vui lòng nhập giá bán."))
    if price > MAX_PRICE:
        raise ValidationError("price", _("Giá quá lớn."))
    return price


def parse_stock(value: Any, unit: str | None = None) -> Decimal:
    """Read a stock in the selling unit (0 when empty): whole pieces, or '12,5' kg."""
    if is_divisible(unit):
        return parse_stock_amount(value, unit)
    stock = whole_number(value, "stock", bad=_l("Số lượng tồn phải là số nguyên."),
                          negative=_l("Số lượng tồn không được âm."))
    if stock is None:
        return 0
    if stock > MAX_STOCK:
        raise ValidationError("stock", _("Số lượng tồn quá lớn (tối đa %(n)s).", n="1.000.000"))
    return Decimal(stock)


def parse_weight(value: Any) -> Decimal:
    """Read a net weight per unit in kg: '0,5' or '0.5'."""
    if value is None or str(value).strip() == "":
        raise ValidationError("net_weight_kg", _("Vui lòng nhập khối lượng tịnh (kg)."))
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        weight = Decimal(str(value))
    else:
        text = str(value).strip().lower().removesuffix("kg").strip().replace(",", ".")
        try:
            weight = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                "net_weight_kg", _("Khối lượng phải là số kg, ví dụ 0,5.")
            ) from None
    if not weight.is_finite():
        raise ValidationError("net_weight_kg", _("Khối lượng phải là số kg, ví dụ 0,5."))
    if weight > MAX_WEIGHT_KG:  # before rounding: a huge number cannot be rounded to grams
        raise ValidationError("net_weight_kg", _("Khối lượng quá lớn."))
    weight = weight.quantize(Decimal("0.001"))
    if weight <= 0:
        raise ValidationError("net_weight_kg", _("Khối lượng tịnh phải lớn hơn 0."))
    return weight


def format_weight(weight: Decimal | None) -> str:
    """Show a weight without trailing zeros: Decimal('0.500') -> '0.5'."""
    if weight is None:
        return ""
    text = format(weight.normalize(), "f")
    return text


def optional_int(value: Any, field_name: str, low: int, high: int) -> int | None:
    """A whole number between low and high that may be left empty (None then)."""
    if value is None or str(value).strip() == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(field_name, _("Phải là một số nguyên.")) from None
    if not low <= number <= high:
        raise ValidationError(
            field_name, _("Phải nằm trong khoảng %(low)s–%(high)s.", low=low, high=high)
        )
    return number


def optional_date(value: Any, field_name: str) -> date | None:
    """A date typed as 2024-06-15, 15/06/2024 or 15-06-2024, or None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(field_name, _("Ngày không hợp lệ (ví dụ 15/06/2024)."))


def parse_bool(value: Any, default: bool = True) -> bool:
    """Read a yes/no cell (1/0, có/không, đang bán/ngừng bán…); default when empty."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = search_key(str(value))
    if text in {"1", "true", "yes", "y", "x", "co", "dang ban", "on"}:
        return True
    if text in {"0", "false", "no", "n", "khong", "an", "ngung ban", "off"}:
        return False
    raise ValidationError("active", _("Giá trị không hợp lệ (dùng 1 hoặc 0)."))


def this_year() -> int:
    """The current year in Vietnam (the latest planting or OCOP year)."""
    return vn_today().year


def clean_phone(value: Any, field_name: str) -> str | None:
    """A phone number written one way, its error reported on field_name."""
    try:
        return normalize_phone(None if value is None else str(value))
    except ValidationError as exc:
        raise ValidationError(field_name, exc.reason) from None


def clean_producer(data: Mapping[str, Any], out: dict[str, Any]) -> None:
    """Clean the producer fields present in data into out (every error reported)."""
    checks = Checks()
    simple = {
        "producer_name": lambda v: optional_text(v, "producer_name", 160),
        "producer_kind": _producer_kind,
        "producer_address": lambda v: optional_text(v, "producer_address", 255),
        "growing_area": lambda v: optional_text(v, "growing_area", 255),
        "growing_area_code": _area_code,
    }
    for name, clean in simple.items():
        if name in data:
            with checks.field():
                out[name] = clean(data[name])
    checks.done()


def _producer_kind(value: Any) -> str | None:
    kind = optional_text(value, "producer_kind", 32)
    if kind and kind not in PRODUCER_KIND_KEYS:
        raise ValidationError("producer_kind", _("Loại hình nhà sản xuất không hợp lệ."))
    return kind


def _area_code(value: Any) -> str | None:
    code = optional_text(value, "growing_area_code", 64)
    if code:
        code = re.sub(r"\s+", "", code).upper()
        if not AREA_CODE_RE.match(code):
            raise ValidationError(
                "growing_area_code",
                _("Mã số vùng trồng chỉ gồm chữ, số và dấu gạch (ví dụ VN-BG-LN-0012)."),
            )
    return code
