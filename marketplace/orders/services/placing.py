"""Placing orders: the writer's call with its retries and commit, once per form, and the replay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.catalog.codes import new_code
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.once import services as once_svc
from marketplace.orders import writer
from marketplace.orders.models import CHECKOUT_CODE_LENGTH, ORDER_CODE_LENGTH, Checkout, Order
from marketplace.provenance.versions import invalidate_product_pages

_WRITE_ATTEMPTS = 3  # a random code may collide with an existing one: try again


@dataclass
class PlacedOrder:
    id: int
    code: str
    access_token: str
    total: int
    payment_method: str
    stall_name: str
    receipt_token: str | None = None


@dataclass
class Placed:
    checkout_code: str | None
    orders: list[PlacedOrder]


def write(orders: Sequence[writer.NewOrder], stall_names: Sequence[str], *,
          checkout: writer.NewCheckout | None = None, once: once_svc.Once | None = None,
          stock: str = writer.TAKE) -> Placed:
    """Write orders through the order writer and commit, drawing new codes on a collision.

    The form's one-time key, when given, is the transaction's first row, so a repeat waits for
    this one and then finds its result.
    """
    for attempt in range(_WRITE_ATTEMPTS):
        now = utcnow()
        codes = [new_code(ORDER_CODE_LENGTH) for _order in orders]
        for order, code in zip(orders, codes, strict=True):
            order.code = code
        if checkout is not None:
            checkout.code = new_code(CHECKOUT_CODE_LENGTH)
        if once is not None:
            once_svc.claim(once, f"checkout:{checkout.code}" if checkout is not None
                           else f"order:{codes[0]}")
        try:
            written = writer.write_orders(orders, checkout=checkout, stock=stock, now=now)
        except sa.exc.IntegrityError:
            db.session.rollback()  # a code collided: stock is back too; draw new codes
            if attempt == _WRITE_ATTEMPTS - 1:
                raise
            continue
        db.session.commit()
        if written.sold_out:
            invalidate_product_pages()
        return Placed(written.checkout_code, [
            PlacedOrder(row.id, row.code, row.access_token, row.total, order.payment_method,
                        stall_name, row.receipt_token)
            for row, order, stall_name in zip(written.orders, orders, stall_names, strict=True)
        ])
    raise AssertionError("unreachable")  # pragma: no cover


def replay_placed(ref: str) -> Placed:
    """Read back what a spent key placed: a checkout's orders, or one order."""
    kind, _sep, code = ref.partition(":")
    stmt = sa.select(Order).options(joinedload(Order.stall)).order_by(Order.id)
    if kind == "checkout":
        stmt = stmt.join(Checkout).where(Checkout.code == code)
    else:
        stmt = stmt.where(Order.code == code)
    return Placed(code if kind == "checkout" else None, [
        PlacedOrder(o.id, o.code, o.access_token, o.total, o.payment_method, o.stall.name,
                    o.receipt_token)
        for o in db.session.scalars(stmt)
    ])
