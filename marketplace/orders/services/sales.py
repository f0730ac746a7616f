"""A seller's own sales: at the booth (the POS) and orders taken by phone, Zalo, livestream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from marketplace.catalog import quantities as qty_rules
from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.errors import OutOfStock, ValidationError
from marketplace.extensions import db
from marketplace.once import services as once_svc
from marketplace.orders import booth as cash_desk
from marketplace.orders.models import Channel, Fulfilment, OrderStatus
from marketplace.orders.services.cart import (
    CASH,
    VIETQR,
    CartLine,
    check_quantity,
    normalize_phone,
    not_sellable_reason,
    open_booths,
    parse_quantity,
)
from marketplace.orders.services.checkout import CustomerDetails
from marketplace.orders.services.placing import PlacedOrder, replay_placed, write
from marketplace.orders.writer import TAKE, TAKE_SHORT_OK, NewLine, NewOrder, Paid
from marketplace.sanitize import text_field
from marketplace.text import search_key


@dataclass
class Quote:
    lines: list[CartLine]
    total: int
    quantities: dict[int, Decimal]


def sellable_products(stall: Stall, query: str = "") -> list[Product]:
    """The stall's active products, by name; a query matches names with or without accents."""
    stmt = (sa.select(Product).where(Product.stall_id == stall.id, Product.active.is_(True))
            .order_by(Product.name))
    for word in search_key(query).split()[:5]:  # "vai thieu" finds "Vải thiều"
        stmt = stmt.where(Product.search_text.contains(word, autoescape=True))
    return list(db.session.scalars(stmt))


def quote_sale(stall: Stall, raw_quantities: dict[int, str | Decimal], *,
               short_ok: bool = False) -> Quote:
    """Check the quantities typed on a sale screen and price them.

    short_ok: the sale already happened offline: stock, a closed stall or product, a lot past
    best-before cannot undo it (only products of another stall are refused).
    """
    wanted = {}
    for pid, raw in raw_quantities.items():
        qty = parse_quantity(raw, field=f"qty_{pid}", allow_zero=True)
        if qty:
            wanted[pid] = qty
    if not wanted:
        raise ValidationError(None, _("Chọn ít nhất một sản phẩm."))
    products = {p.id: p for p in db.session.scalars(
        sa.select(Product).options(joinedload(Product.stall))
        .where(Product.id.in_(wanted), Product.stall_id == stall.id)
    )}
    if not stall.active and not short_ok:
        raise ValidationError(None, _("Gian hàng đang tạm đóng."))
    lines = []
    for pid in sorted(wanted, key=lambda i: products[i].name if i in products else ""):
        product = products.get(pid)
        if product is None or not (product.active or short_ok):
            raise ValidationError(f"qty_{pid}", _("Sản phẩm này không còn bán."))
        if short_ok:
            lines.append(CartLine(product, wanted[pid],
                                  qty_rules.line_total(product.price, wanted[pid])))
            continue
        reason = not_sellable_reason(product)
        if reason:
            raise ValidationError(f"qty_{pid}", reason)
        check_quantity(product, wanted[pid], f"qty_{pid}")
        if wanted[pid] > product.stock:
            raise OutOfStock(product.name, product.stock)
        lines.append(CartLine(product, wanted[pid],
                              qty_rules.line_total(product.price, wanted[pid])))
    return Quote(lines, sum(ln.line_total for ln in lines), wanted)


def sale_payment_options(stall: Stall) -> list[str]:
    """Ways a buyer standing at the booth can pay."""
    return [CASH, VIETQR] if stall.has_bank_account else [CASH]


def record_booth_sale(stall: Stall, raw_quantities: dict[int, str | Decimal], method: str, *,
                      seller_id: int, once: once_svc.Once, now: datetime | None = None,
                      cash_given: str | int | None = None,
                      sold_offline: bool = False) -> PlacedOrder:
    """Record a sale at the booth once: paid in cash now (fulfilled), or awaiting a transfer QR.

    Quantities may be typed text ('1,5') or Decimals. cash_given is what the buyer handed over
    for a cash sale (optional; less than the total is refused): the receipt shows the change.
    sold_offline: the sale was made at `now` on a phone without network and is only being
    sent now: it keeps that time (and the fair open then) and is never refused for stock.
    """
    return once_svc.run_once(
        once, lambda: _booth_sale(stall, raw_quantities, method, seller_id, once, now,
                                  cash_given, sold_offline),
        lambda ref: replay_placed(ref).orders[0])


def _booth_sale(stall: Stall, raw_quantities: dict[int, str | Decimal], method: str,
                seller_id: int, once: once_svc.Once, now: datetime | None,
                cash_given: str | int | None = None, sold_offline: bool = False) -> PlacedOrder:
    quote = quote_sale(stall, raw_quantities, short_ok=sold_offline)
    if method not in sale_payment_options(stall):
        raise ValidationError("method", _("Vui lòng chọn cách thanh toán."))
    given = cash_desk.parse_cash_given(cash_given) if method == CASH else None
    cash_desk.change_due(quote.total, given)  # refuses an amount short of the total
    booth = open_booths([stall.id], now or utcnow()).get(stall.id)
    fair_id = booth.fair_id if booth else None
    cash = method == CASH
    order = NewOrder(
        stall_id=stall.id, lines=[NewLine.of(ln.product, ln.quantity) for ln in quote.lines],
        channel=Channel.FAIR.value, fair_id=fair_id, pickup_fair_id=fair_id,
        fulfilment=Fulfilment.BOOTH_PICKUP.value, payment_method=method,
        created_by_id=seller_id, paid=Paid(CASH, by_id=seller_id) if cash else None,
        cash_given=given,
        statuses=[OrderStatus.PLACED.value, OrderStatus.FULFILLED.value] if cash
        else [OrderStatus.PLACED.value],
        placed_at=now if sold_offline else None,
    )
    return write([order], [stall.name], once=once,
                 stock=TAKE_SHORT_OK if sold_offline else TAKE).orders[0]


def manual_fulfilment_options(stall: Stall) -> list[str]:
    options = [Fulfilment.STALL_PICKUP.value, Fulfilment.DELIVERY.value]
    if open_booths([stall.id], utcnow()).get(stall.id):
        options.insert(0, Fulfilment.BOOTH_PICKUP.value)
    return options


def create_manual_order(stall: Stall, raw_quantities: dict[int, str], details: CustomerDetails,
                        *, channel: str, fulfilment: str, method: str, paid: bool,
                        seller_id: int, once: once_svc.Once) -> PlacedOrder:
    """Record an order taken by phone, Zalo or livestream, paid or not yet, once per form."""
    return once_svc.run_once(once, lambda: _manual_order(
        stall, raw_quantities, details, channel=channel, fulfilment=fulfilment, method=method,
        paid=paid, seller_id=seller_id, once=once), lambda ref: replay_placed(ref).orders[0])


def _manual_order(stall: Stall, raw_quantities: dict[int, str], details: CustomerDetails, *,
                  channel: str, fulfilment: str, method: str, paid: bool, seller_id: int,
                  once: once_svc.Once) -> PlacedOrder:
    quote = quote_sale(stall, raw_quantities)
    if channel not in (Channel.LIVESTREAM, Channel.ONLINE):
        raise ValidationError("channel", _("Vui lòng chọn kênh bán."))
    booth = open_booths([stall.id], utcnow()).get(stall.id)
    options = manual_fulfilment_options(stall)
    if fulfilment not in options:
        raise ValidationError("fulfilment", _("Vui lòng chọn cách nhận hàng."))
    if method not in sale_payment_options(stall):
        raise ValidationError("method", _("Vui lòng chọn cách thanh toán."))
    name = text_field(details.name, "customer_name", 120, required=True,
                 missing=_("Vui lòng nhập họ tên khách."))
    phone = normalize_phone(details.phone)
    address = text_field(details.address, "delivery_address", 400, multiline=True)
    if fulfilment == Fulfilment.DELIVERY and not address:
        raise ValidationError("delivery_address", _("Vui lòng nhập địa chỉ giao hàng."))
    order = NewOrder(
        stall_id=stall.id, lines=[NewLine.of(ln.product, ln.quantity) for ln in quote.lines],
        channel=channel, fulfilment=fulfilment, payment_method=method,
        pickup_fair_id=booth.fair_id if booth and fulfilment == Fulfilment.BOOTH_PICKUP else None,
        customer_name=name, customer_phone=phone,
        delivery_address=address if fulfilment == Fulfilment.DELIVERY else "",
        note=text_field(details.note, "note", 400, multiline=True), created_by_id=seller_id,
        paid=Paid(method, by_id=seller_id) if paid else None,
        statuses=[OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value],
    )
    return write([order], [stall.name], once=once).orders[0]

