"""The booth's cash desk and receipts: amount given, change, and the public receipt by token."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.formatting import format_vnd
from marketplace.orders.models import Order

# Notes a buyer usually hands over; each is a one-tap "sell, the buyer gave this" button.
QUICK_AMOUNTS = (50_000, 100_000, 200_000, 500_000)
MAX_CASH_GIVEN = 100_000_000  # far above any booth sale; a typo of extra zeros is refused
RECEIPT_TOKEN_BYTES = 12  # 96 random bits, 16 characters: short to type, impossible to guess
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,32}")
_MONEY_RE = re.compile(r"\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*")


def new_receipt_token() -> str:
    """A fresh random token for an order's public receipt link."""
    return secrets.token_urlsafe(RECEIPT_TOKEN_BYTES)


def parse_cash_given(raw) -> int | None:
    """Read what the buyer handed over: '100.000', '100000', '100 000 ₫'; None when blank.

    Money, unlike a quantity, groups thousands: "100.000" is one hundred thousand đồng.
    """
    if raw is None:
        return None
    text = re.sub(r"\s*(₫|đ|vnđ|vnd)$", "", str(raw).strip(), flags=re.IGNORECASE).strip()
    if text == "":
        return None
    if text.startswith("-"):
        raise ValidationError("cash_given", _("Số tiền khách đưa không được âm."))
    if len(text) > 20 or not (text.isdigit() or _MONEY_RE.fullmatch(text)):
        raise ValidationError("cash_given", _("Số tiền khách đưa phải là số tiền, ví dụ "
                                              "100.000."))
    amount = int(re.sub(r"\D", "", text))
    if amount > MAX_CASH_GIVEN:
        raise ValidationError("cash_given", _("Số tiền khách đưa quá lớn."))
    return amount


def change_due(total: int, given: int | None) -> int | None:
    """The change to hand back (None when the amount given was not typed); short is an error."""
    if given is None:
        return None
    if given < total:
        raise ValidationError("cash_given", _(
            "Khách đưa %(given)s, chưa đủ %(total)s (thiếu %(short)s).",
            given=format_vnd(given), total=format_vnd(total), short=format_vnd(total - given)))
    return given - total


def quick_amounts(total: int) -> list[tuple[int, int]]:
    """The quick notes that cover the total, each with its change: [(100000, 10000), …]."""
    return [(amount, amount - total) for amount in QUICK_AMOUNTS if amount >= total]


def receipt_order(token: str | None) -> Order | None:
    """The order a receipt link shows, with its stall and lines; None for an unknown token."""
    if not token or not _TOKEN_RE.fullmatch(token):
        return None
    return db.session.scalar(
        sa.select(Order)
        .options(joinedload(Order.stall), selectinload(Order.lines))
        .where(Order.receipt_token == token)
    )


def stall_sale(stall_id: int, code: str | None) -> Order | None:
    """A sale of this stall by its code (the booth's "just sold" panel); None for others'."""
    if not code:
        return None
    return db.session.scalar(
        sa.select(Order).where(Order.code == code.upper(), Order.stall_id == stall_id))


@dataclass(frozen=True)
class ShareLinks:
    zalo: str
    sms: str


def share_links(url: str, stall_name: str, total: int) -> ShareLinks:
    """Links that hand the receipt to Zalo or to a text message, ready to send."""
    body = _("Biên nhận %(stall)s, %(total)s: %(url)s", stall=stall_name,
             total=format_vnd(total), url=url)
    return ShareLinks(
        zalo="https://zalo.me/share?" + urlencode({"url": url}),
        # sms: with ?body= is what iOS and Android both read; the body is percent-encoded.
        sms="sms:?body=" + quote(body, safe=""),
    )
