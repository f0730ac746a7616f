"""The booth screen without a network: the data a phone keeps, and the sales it sends later.

A phone that lost the network keeps selling from the stall's data it last read, queues each
sale with an id it made and the time of sale, and sends the queue when the network returns.
Each sale goes through the booth-sale service with that id as its one-time key, so a resend
finds the first result; it keeps its time of sale and is never refused for stock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog.banks import bank_by_bin
from marketplace.catalog.models import Stall
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.once import services as once_svc
from marketplace.orders import services as svc
from marketplace.orders.models import Order, StockShortfall

FUTURE_SKEW = timedelta(minutes=5)  # a phone's clock may run a little fast
OLDEST = timedelta(days=30)  # older than any fair: a wrong clock, not a sale
MAX_LINES = 100


def booth_data(stall: Stall) -> dict:
    """What a phone keeps to sell offline: products, prices, stock and the stall's account.

    The phone draws the VietQR codes itself (static/js/vietqr.js builds the same payload as
    marketplace/vietqr.py): the static one, or one with the amount of the sale in it.
    """
    qr = None
    if stall.has_bank_account:
        bank = bank_by_bin(stall.bank_bin)
        qr = {"bank": bank.short_name if bank else stall.bank_bin, "bank_bin": stall.bank_bin,
              "account_number": stall.bank_account_number,
              "account_name": stall.bank_account_name or ""}
    return {
        "stall": {"id": stall.id, "name": stall.name},
        "products": [{"id": p.id, "name": p.name, "price": p.price, "unit": p.unit,
                      "stock": str(p.stock)} for p in svc.sellable_products(stall)],
        "vietqr": qr,
        "methods": svc.sale_payment_options(stall),
        "read_at": utcnow().isoformat(),
    }


@dataclass(frozen=True)
class SyncedSale:
    """What the server recorded for a sale sent from a phone (the same on every resend)."""

    client_id: str
    code: str
    total: int
    placed_at: datetime
    short: list[dict]

    def as_json(self) -> dict:
        return {"id": self.client_id, "order": self.code, "total": self.total,
                "placed_at": self.placed_at.isoformat(), "short": self.short}


def _sold_at(raw, now: datetime) -> datetime:
    """Read the time of sale (milliseconds since 1970, UTC) the phone stamped on a sale."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValidationError("sold_at", _("Thiếu thời điểm bán."))
    try:
        at = datetime.fromtimestamp(raw / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationError("sold_at", _("Thời điểm bán không hợp lệ.")) from None
    if at > now + FUTURE_SKEW:
        raise ValidationError("sold_at", _(
            "Thời điểm bán ở tương lai: đồng hồ của máy đang chạy sai, vui lòng chỉnh lại."))
    if at < now - OLDEST:
        raise ValidationError("sold_at", _(
            "Thời điểm bán đã quá %(days)s ngày: đồng hồ của máy đang chạy sai.",
            days=OLDEST.days))
    return at


def _quantities(raw) -> dict[int, str]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        raise ValidationError("lines", _("Chọn ít nhất một sản phẩm."))
    wanted: dict[int, str] = {}
    for line in raw:
        if not isinstance(line, dict):
            raise ValidationError("lines", _("Sản phẩm không hợp lệ."))
        pid = svc.parse_id(line.get("product_id"))
        if pid in wanted:
            raise ValidationError("lines", _("Sản phẩm không hợp lệ."))
        wanted[pid] = str(line.get("quantity", ""))
    return wanted


def sync_sale(stall: Stall, sale: object, *, user_id: int) -> SyncedSale:
    """Record one sale a phone made (offline) at this stall, once by its id."""
    if not isinstance(sale, dict):
        raise ValidationError(None, _("Dữ liệu đơn bán không hợp lệ."))
    client_id = sale.get("id") if isinstance(sale.get("id"), str) else None
    once = once_svc.once_for(client_id, once_svc.BOOTH_SALE, actor_id=user_id)
    method = sale.get("method")
    if method == svc.CARD:
        raise ValidationError("method", _("Không nhận thẻ khi bán không có mạng."))
    if first := once_svc.first_result(once):  # a resend: the first result, nothing checked
        return _result(once.key, svc.replay_placed(first).orders[0].id)
    at = _sold_at(sale.get("sold_at"), utcnow())
    placed = svc.record_booth_sale(stall, _quantities(sale.get("lines")), str(method or ""),
                                   seller_id=user_id, once=once, now=at, sold_offline=True)
    return _result(once.key, placed.id)


def _result(client_id: str, order_id: int) -> SyncedSale:
    order = db.session.get(Order, order_id)
    short = [{"product_id": s.product_id, "name": s.product.name,
              "quantity_short": f"{s.quantity_short.normalize():f}"}
             for s in db.session.scalars(sa.select(StockShortfall)
                                         .where(StockShortfall.order_id == order_id)
                                         .order_by(StockShortfall.id))]
    return SyncedSale(client_id, order.code, order.total, order.placed_at, short)


def open_shortfalls(stall_ids: list[int]) -> list[StockShortfall]:
    """Stock that offline sales took below zero and the seller has not counted again."""
    if not stall_ids:
        return []
    return list(db.session.scalars(
        sa.select(StockShortfall).where(StockShortfall.stall_id.in_(stall_ids),
                                        StockShortfall.cleared_at.is_(None))
        .order_by(StockShortfall.sold_at)))


def clear_shortfall(shortfall: StockShortfall, by_id: int) -> None:
    """The seller counted the shelf again: the flag goes away (the record stays)."""
    db.session.execute(
        sa.update(StockShortfall).where(StockShortfall.id == shortfall.id,
                                        StockShortfall.cleared_at.is_(None))
        .values(cleared_at=utcnow(), cleared_by_id=by_id)
        .execution_options(synchronize_session=False))
    db.session.commit()
