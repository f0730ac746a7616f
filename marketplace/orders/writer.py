"""The one order writer: orders, their lines, status history, payment and stock, in bulk.

Every order is written here: a shopper's checkout, a booth sale, an order taken by phone, the
demo's history, the tests' factories and the benches. Plain Core INSERTs with RETURNING rather
than the ORM's unit of work: a checkout is the busiest write of a fair and the unit of work was
most of its cost. The caller commits (and retries when a random code collided).

Totals are exact: a line is price × quantity rounded once (catalog.quantities.line_total); an
order's total is the sum of its lines plus its delivery fee.
"""

from __future__ import annotations

import functools
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog import quantities as qty_rules
from marketplace.catalog.codes import new_code
from marketplace.catalog.models import Product
from marketplace.database import utcnow
from marketplace.errors import OutOfStock, ValidationError
from marketplace.extensions import db
from marketplace.orders import signals
from marketplace.orders.booth import new_receipt_token
from marketplace.orders.models import (
    CHECKOUT_CODE_LENGTH,
    ORDER_CODE_LENGTH,
    Checkout,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusEvent,
    StockShortfall,
)

# What happens to stock: taken (refused when short), taken by a sale that already happened
# (never refused; stops at zero, the rest kept as a StockShortfall), or left alone (history).
TAKE, TAKE_SHORT_OK, KEEP = "take", "take_short_ok", "keep"


@dataclass(frozen=True, slots=True)
class NewLine:
    """A product on a new order, as sold: price, unit and weight are snapshotted."""

    product_id: int
    name: str
    unit: str
    price: int  # whole VND per unit
    net_weight_kg: Decimal
    quantity: Decimal

    @classmethod
    def of(cls, product, quantity) -> NewLine:
        """A line of a product (a Product, the cart's CartProduct, anything with its fields)."""
        return cls(product.id, product.name, product.unit, product.price, product.net_weight_kg,
                   qty_rules.exact(quantity))

    @property
    def total(self) -> int:
        return qty_rules.line_total(self.price, self.quantity)


@dataclass(frozen=True, slots=True)
class Paid:
    """The whole total paid with one method (one ledger row, as payments.record_payment)."""

    method: str
    at: datetime | None = None  # default: when the order was placed
    by_id: int | None = None
    provider_ref: str | None = None


@dataclass
class NewOrder:
    """Everything needed to write one order, already validated."""

    stall_id: int
    lines: Sequence[NewLine]
    channel: str
    fulfilment: str
    payment_method: str = "cash"
    # The status history: the last is the order's status now. Each happened at the matching
    # status_times entry (default: all at placed_at), by created_by_id or else customer_id.
    statuses: Sequence[str] = (OrderStatus.PLACED.value,)
    status_times: Sequence[datetime] | None = None
    placed_at: datetime | None = None  # default: now
    fair_id: int | None = None
    pickup_fair_id: int | None = None
    customer_id: int | None = None
    customer_name: str = ""
    customer_phone: str = ""
    delivery_address: str = ""
    delivery_fee: int = 0  # VND, added to the lines' total
    note: str = ""
    created_by_id: int | None = None
    cash_given: int | None = None  # a booth cash sale: what the buyer handed over
    cancel_reason: str | None = None  # of a cancelled order (cancelled at its last status time)
    paid: Paid | None = None
    code: str | None = None  # default: a fresh random code
    lines_total: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.lines_total = sum(line.total for line in self.lines)

    @property
    def total(self) -> int:
        return self.lines_total + self.delivery_fee


@dataclass
class NewCheckout:
    """The shopper's checkout the orders of one write belong to."""

    customer_name: str
    customer_phone: str
    customer_id: int | None = None
    customer_email: str = ""
    notify_zalo: bool = False
    locale: str = "vi"
    created_at: datetime | None = None  # default: now
    code: str | None = None  # default: a fresh random code


@dataclass(frozen=True, slots=True)
class WrittenOrder:
    id: int
    code: str
    access_token: str
    receipt_token: str
    total: int


@dataclass
class Written:
    checkout_code: str | None
    orders: list[WrittenOrder]
    sold_out: bool  # a product's stock reached zero: its public page must stop offering it


def write_orders(orders: Sequence[NewOrder], *, checkout: NewCheckout | None = None,
                 stock: str = TAKE, now: datetime | None = None) -> Written:
    """Write orders (with their checkout, lines, events, payments) and move stock; no commit.

    stock is TAKE, TAKE_SHORT_OK or KEEP (see above). A refused stock take rolls the session
    back and raises OutOfStock or ValidationError; a code that collided raises IntegrityError.
    """
    now = now or utcnow()
    db.session.flush()  # rows the orders refer to, still pending in the session, go first
    conn = db.session.connection()
    sold_out, short = False, {}
    if stock != KEEP:
        quantities: dict[int, Decimal] = defaultdict(Decimal)
        names: dict[int, str] = {}
        for order in orders:
            for line in order.lines:
                quantities[line.product_id] += line.quantity
                names[line.product_id] = line.name
        if stock == TAKE_SHORT_OK:
            short, sold_out = _take_stock_short_ok(conn, quantities, now), True
        else:
            sold_out = _take_stock(conn, quantities, names, now)
    checkout_id = checkout_code = None
    if checkout is not None:
        checkout_code = checkout.code or new_code(CHECKOUT_CODE_LENGTH)
        checkout_id = _insert_returning_ids(conn, Checkout.__table__, [{
            "code": checkout_code, "customer_id": checkout.customer_id,
            "customer_name": checkout.customer_name, "customer_phone": checkout.customer_phone,
            "customer_email": checkout.customer_email, "notify_zalo": checkout.notify_zalo,
            "locale": checkout.locale, "created_at": checkout.created_at or now}])[0]
    rows = [_order_row(order, checkout_id, now) for order in orders]
    ids = _insert_returning_ids(conn, Order.__table__, rows)
    lines, events, paid = [], [], []
    for order_id, order, row in zip(ids, orders, rows, strict=True):
        for line in order.lines:
            lines.append({"order_id": order_id, "product_id": line.product_id,
                          "product_name": line.name, "unit": line.unit,
                          "unit_price": line.price, "net_weight_kg": line.net_weight_kg,
                          "quantity": line.quantity, "line_total": line.total})
        at = row["placed_at"]
        by_id = order.created_by_id or order.customer_id
        events += [{"order_id": order_id, "status": status, "at": when, "by_id": by_id,
                    "note": ""}
                   for status, when in zip(order.statuses, order.status_times or
                                           [at] * len(order.statuses), strict=True)]
        if order.paid is not None:
            paid.append((order_id, order.paid, row["total"], order.paid.at or at))
    _insert(conn, OrderLine.__table__, lines)
    _insert(conn, OrderStatusEvent.__table__, events)
    if paid:
        signals.require_receivers(signals.orders_paid)
        signals.orders_paid.send(write_orders, conn=conn, paid=paid)
    if short:
        _record_shortfalls(conn, short, orders[0], ids[0], now)
    return Written(checkout_code, [
        WrittenOrder(order_id, row["code"], row["access_token"], row["receipt_token"],
                     row["total"])
        for order_id, row in zip(ids, rows, strict=True)], sold_out)


def _order_row(order: NewOrder, checkout_id: int | None, now: datetime) -> dict:
    at = order.placed_at or now
    total = order.total
    cancelled = order.statuses[-1] == OrderStatus.CANCELLED
    return {
        "code": order.code or new_code(ORDER_CODE_LENGTH),
        "access_token": secrets.token_urlsafe(16), "checkout_id": checkout_id,
        "stall_id": order.stall_id, "fair_id": order.fair_id,
        "pickup_fair_id": order.pickup_fair_id, "customer_id": order.customer_id,
        "customer_name": order.customer_name, "customer_phone": order.customer_phone,
        "delivery_address": order.delivery_address, "note": order.note,
        "channel": order.channel, "fulfilment": order.fulfilment,
        "payment_method": order.payment_method, "status": order.statuses[-1],
        "placed_at": at, "total": total, "delivery_fee": order.delivery_fee,
        "paid_amount": total if order.paid is not None else 0,
        "cancelled_at": (order.status_times or [at])[-1] if cancelled else None,
        "cancel_reason": order.cancel_reason if cancelled else None,
        "created_by_id": order.created_by_id, "cash_given": order.cash_given,
        "receipt_token": new_receipt_token(),
    }


# --- stock ------------------------------------------------------------------------------------


@functools.cache
def _take_stock_stmt() -> sa.Update:
    product = Product.__table__
    qty = sa.bindparam("qty", type_=product.c.stock.type)
    return (
        sa.update(product)
        .where(product.c.id == sa.bindparam("pid"), product.c.stock >= qty,
               product.c.active.is_(True))
        # Rounded to the gram: SQLite does this arithmetic in floating point.
        .values(stock=sa.func.round(product.c.stock - qty, 3), updated_at=sa.bindparam("now"))
        .returning(product.c.stock)
    )


def _take_stock(conn: sa.Connection, quantities: dict[int, Decimal], names: dict[int, str],
                now: datetime) -> bool:
    """Take stock line by line with a conditional UPDATE, in product-id order (no deadlocks).

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) and checks the stock
    in one statement, so two buyers racing for the last unit cannot both get it. Return whether
    a product sold out (its public page must stop offering it).
    """
    sold_out = False
    for pid in sorted(quantities):
        left = conn.execute(
            _take_stock_stmt(), {"pid": pid, "qty": quantities[pid], "now": now}).scalar()
        sold_out = sold_out or (left is not None and qty_rules.exact(left) == 0)
        if left is None:
            db.session.rollback()
            row = db.session.execute(
                sa.select(Product.stock, Product.active).where(Product.id == pid)
            ).first()
            if row is None or not row.active:
                raise ValidationError(None, _("“%(name)s” hiện không còn bán.", name=names[pid]))
            raise OutOfStock(names[pid], row.stock)
    return sold_out


def _take_stock_short_ok(conn: sa.Connection, quantities: dict, now: datetime) -> dict:
    """Take stock for a sale that already happened: never refuse, stop at zero.

    Return {product id: (stock before, quantity short)} for the products it ran short of.
    """
    product = Product.__table__
    short = {}
    for pid in sorted(quantities):
        qty = quantities[pid]
        left = conn.execute(_take_stock_stmt(), {"pid": pid, "qty": qty, "now": now}).scalar()
        if left is not None:
            continue
        before = qty_rules.exact(conn.execute(sa.select(product.c.stock)
                                              .where(product.c.id == pid)
                                              .with_for_update()).scalar_one())
        conn.execute(sa.update(product).where(product.c.id == pid)
                     .values(stock=max(before - qty, 0), updated_at=now))
        if qty > before:  # (else the product was only switched off meanwhile)
            short[pid] = (before, qty - before)
    return short


def _record_shortfalls(conn: sa.Connection, short: dict, order: NewOrder, order_id: int,
                       now: datetime) -> None:
    conn.execute(sa.insert(StockShortfall.__table__), [
        {"stall_id": order.stall_id, "product_id": pid, "order_id": order_id,
         "stock_before": before, "quantity_short": missing,
         "sold_at": order.placed_at or now, "created_at": now}
        for pid, (before, missing) in sorted(short.items())])


# --- inserts ----------------------------------------------------------------------------------


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    if rows:  # a list even for one row: executemany, so no RETURNING of an unused id
        conn.execute(_insert_stmt(table), rows)


@functools.cache
def _insert_stmt(table: sa.Table, returning: bool = False) -> sa.Insert:
    stmt = sa.insert(table)
    return stmt.returning(table.c.id, sort_by_parameter_order=True) if returning else stmt


def _insert_returning_ids(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    if not rows:
        return []
    stmt = _insert_stmt(table, returning=True)
    if len(rows) == 1:
        return [conn.execute(stmt, rows[0]).scalar_one()]
    return list(conn.execute(stmt, rows).scalars())


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows of a table the orders' write carries (a domain above: its ledger rows)."""
    _insert(conn, table, rows)
