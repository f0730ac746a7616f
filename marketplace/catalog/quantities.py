"""Quantities in a product's selling unit: whole pieces, or kg / lít to the gram in steps.

How a typed quantity is read (booth, cart, checkout, stock of a weighed product):
- "." and "," are both the decimal mark: "1,5" and "1.5" are one and a half. Quantities never
  carry thousands separators (a sale is at most 10 000 units), so "1.500" is 1.5 too — unlike
  money, where "1.500" is 1 500 đồng.
- At most 3 decimals (grams, millilitres): "1,2345" is refused, never silently rounded.
- Products sold by the piece take whole numbers only: "1,5" (and "2,0") is refused with a
  message naming the unit. Weighed products take multiples of the product's step (0.1 kg
  unless the seller set another, e.g. 0.5).

A line costs price × quantity rounded once, on the line, to whole đồng, half up (ROUND_HALF_UP:
33 333 ₫ × 1,5 = 49 999,5 -> 50 000 ₫).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _

from marketplace.errors import ValidationError
from marketplace.formatting import format_number, format_weight

# Units a buyer may take part of: the scale (or the measure) decides the quantity.
DIVISIBLE_UNITS = frozenset({"kg", "lít"})
PLACES = Decimal("0.001")
ONE = Decimal("1")
DEFAULT_DIVISIBLE_STEP = Decimal("0.1")
MAX_QUANTITY = Decimal("10000")
MAX_STOCK = Decimal("1000000")
_NUMBER_RE = re.compile(r"(\d*)(?:[.,](\d*))?")


def is_divisible(unit: str | None) -> bool:
    """Whether a unit may be sold in parts (1,5 kg) rather than whole pieces."""
    return (unit or "") in DIVISIBLE_UNITS


def default_step(unit: str | None) -> Decimal:
    """The step a new product is sold in: 0.1 for kg and lít, 1 for pieces."""
    return DEFAULT_DIVISIBLE_STEP if is_divisible(unit) else ONE


def exact(value) -> Decimal:
    """A stored or summed quantity as an exact Decimal with 3 places (SQLite hands floats)."""
    if value is None:
        return Decimal("0.000")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def plain(value) -> str:
    """A quantity for a form field or a cookie: '1.5', '2' (a dot, no trailing zeros)."""
    q = exact(value).normalize()
    return f"{q:f}"


def step_of(product) -> str:
    """A product's selling step for a number box's step attribute: '0.1', '1'."""
    step = getattr(product, "quantity_step", None)
    return plain(step) if step else plain(default_step(getattr(product, "unit", None)))


def line_total(price: int, quantity) -> int:
    """Price × quantity in whole đồng, rounded once, half up (33 333 × 1,5 -> 50 000)."""
    return int((Decimal(int(price)) * exact(quantity)).quantize(ONE, rounding=ROUND_HALF_UP))


def read_number(raw, field: str, *, empty=None) -> Decimal | None:
    """Read a typed quantity ('1,5', '1.5', '2') as a Decimal; `empty` when blank."""
    if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
        number = Decimal(raw)
    else:
        text = str(raw if raw is not None else "").strip().replace(" ", "")
        if text == "":
            return empty
        negative = text.startswith("-")
        body = text[1:] if text[:1] in "+-" else text
        match = _NUMBER_RE.fullmatch(body) if len(body) <= 10_000 else None
        if match is None or not any(c.isdigit() for c in body):
            raise ValidationError(field, _("Số lượng phải là một số."))
        if negative:
            raise ValidationError(field, _("Số lượng không được âm."))
        whole, fraction = match.group(1) or "0", match.group(2) or ""
        if len(fraction) > 3:
            raise ValidationError(field, _("Số lượng lấy tối đa 3 chữ số thập phân."))
        try:
            number = Decimal(f"{whole}.{fraction or '0'}")
        except InvalidOperation:  # pragma: no cover - the pattern admits digits only
            raise ValidationError(field, _("Số lượng phải là một số.")) from None
    if not number.is_finite():
        raise ValidationError(field, _("Số lượng phải là một số."))
    if number < 0:
        raise ValidationError(field, _("Số lượng không được âm."))
    if number.adjusted() >= 12:
        return number  # far too large: the caller's maximum refuses it (no rounding needed)
    if number != number.quantize(PLACES, rounding=ROUND_HALF_UP):
        raise ValidationError(field, _("Số lượng lấy tối đa 3 chữ số thập phân."))
    return number.quantize(PLACES)


def parse_amount(raw, *, field: str = "quantity", allow_zero: bool = False) -> Decimal:
    """Read a quantity to sell (0 < q <= 10 000; 0 for a blank box when allow_zero)."""
    qty = read_number(raw, field)
    if qty is None:
        if allow_zero:
            return Decimal("0.000")
        raise ValidationError(field, _("Vui lòng nhập số lượng."))
    if qty > MAX_QUANTITY:
        raise ValidationError(
            field, _("Số lượng tối đa là %(n)s.", n=format_number(MAX_QUANTITY)))
    if qty == 0 and not allow_zero:
        raise ValidationError(field, _("Số lượng phải lớn hơn 0."))
    return qty


def check_quantity(qty: Decimal, unit: str | None, step, name: str, field: str) -> None:
    """Refuse part of a piece, or a weight off the product's step (0,5 kg steps: not 1,2)."""
    if qty == 0:
        return
    if not is_divisible(unit):
        if qty != qty.to_integral_value():
            raise ValidationError(field, _(
                "“%(name)s” bán theo %(unit)s: số lượng phải là số nguyên.",
                name=name, unit=_unit(unit)))
        return
    step = exact(step) if step else DEFAULT_DIVISIBLE_STEP
    if step > 0 and qty % step != 0:
        raise ValidationError(field, _(
            "“%(name)s” bán theo từng %(step)s %(unit)s (ví dụ %(example)s %(unit)s).",
            name=name, step=format_weight(step), unit=_unit(unit),
            example=format_weight(step * 3)))


def parse_step(raw, unit: str | None) -> Decimal:
    """Read a product's selling step: blank takes the unit's default; pieces step by 1."""
    step = read_number(raw, "quantity_step")
    if step is None:
        return default_step(unit)
    if not is_divisible(unit):
        if step != ONE:
            raise ValidationError("quantity_step", _(
                "Sản phẩm bán theo %(unit)s chỉ bán theo từng 1 %(unit)s.", unit=_unit(unit)))
        return ONE
    if step <= 0 or step > 100:
        raise ValidationError("quantity_step", _("Bước bán phải lớn hơn 0 và tối đa 100."))
    return step


def parse_stock_amount(raw, unit: str | None) -> Decimal:
    """Read a weighed product's stock by the quantity rule ('12,5' kg); 0 when blank."""
    stock = read_number(raw, "stock", empty=Decimal("0.000"))
    if stock > MAX_STOCK:
        raise ValidationError("stock", _("Số lượng tồn quá lớn (tối đa %(n)s).", n="1.000.000"))
    return stock


def _unit(unit: str | None) -> str:
    from marketplace.catalog.categories import unit_label

    return unit_label(unit)
