"""Reading orders: tracking links, a guest's lookup, the seller's inbox and packing list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from marketplace.catalog import quantities as qty_rules
from marketplace.catalog.codes import normalize_code
from marketplace.catalog.owners import owned_stall_ids
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Fair, FairStall
from marketplace.formatting import local_day_bounds
from marketplace.orders.models import Checkout, Order, OrderStatus
from marketplace.orders.services.cart import VIETQR, normalize_phone
from marketplace.orders.services.status import unpaid_deadline
from marketplace.sanitize import secret_matches


def tracked_order(code: str, token: str | None) -> Order | None:
    """The order behind a tracking link, or None when the code or secret token is wrong."""
    normal = normalize_code(code or "")
    if not normal or not token:
        return None
    order = db.session.scalar(
        sa.select(Order).options(selectinload(Order.lines), selectinload(Order.events))
        .where(Order.code == normal)
    )
    if order is None or not secret_matches(token, order.access_token):
        return None
    return order


def find_order(code: str, phone: str) -> Order | None:
    """A guest's order found by its code and the phone number it was placed with."""
    normal = normalize_code(code or "")
    try:
        phone = normalize_phone(phone)
    except ValidationError:
        return None
    if not normal:
        return None
    order = db.session.scalar(sa.select(Order).where(Order.code == normal))
    if order is None or not secret_matches(phone, order.customer_phone):
        return None
    return order


def payment_deadline(order: Order) -> datetime | None:
    """When this order is cancelled if still unpaid; None once paid or if it never expires."""
    return None if order.is_paid else unpaid_deadline(order)


def unpaid_siblings(order: Order) -> list[Order]:
    """The other orders of the same checkout still waiting for a transfer, by stall."""
    if order.checkout_id is None:
        return []
    return [o for o in checkout_orders_by_id(order.checkout_id)
            if o.id != order.id and payment_deadline(o) and o.payment_method == VIETQR]


def checkout_orders_by_id(checkout_id: int) -> list[Order]:
    return list(db.session.scalars(
        sa.select(Order).where(Order.checkout_id == checkout_id).order_by(Order.id)))


def checkout_orders(code: str) -> list[Order]:
    """Orders of a checkout, by stall."""
    return list(db.session.scalars(
        sa.select(Order).join(Checkout).options(selectinload(Order.lines))
        .where(Checkout.code == code).order_by(Order.id)
    ))


def customer_orders(user_id: int) -> list[Order]:
    """A shopper's own orders, newest first."""
    return list(db.session.scalars(
        sa.select(Order).options(joinedload(Order.stall))
        .where(Order.customer_id == user_id).order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(200)
    ))


def seller_order(code: str, owner_id: int) -> Order | None:
    """An order to one of the seller's stalls, or None (another seller's order is not found)."""
    normal = normalize_code(code or "")
    if not normal:
        return None
    return db.session.scalar(
        sa.select(Order)
        .options(selectinload(Order.lines), selectinload(Order.events))
        .where(Order.code == normal, Order.stall_id.in_(owned_stall_ids(owner_id)))
    )


@dataclass
class InboxFilter:
    status: str | None = None
    fair_id: int | None = None
    day_from: date | None = None
    day_to: date | None = None
    page: int = 1


PAGE_SIZE = 50


def seller_inbox(owner_id: int, flt: InboxFilter) -> tuple[list[Order], bool]:
    """A page of orders to the seller's stalls, newest first; and whether more follow."""
    stmt = (
        sa.select(Order)
        .options(joinedload(Order.fair))
        .where(Order.stall_id.in_(owned_stall_ids(owner_id)))
    )
    if flt.status:
        stmt = stmt.where(Order.status == flt.status)
    if flt.fair_id:
        stmt = stmt.where(sa.or_(Order.fair_id == flt.fair_id,
                                 Order.pickup_fair_id == flt.fair_id))
    if flt.day_from:
        stmt = stmt.where(Order.placed_at >= local_day_bounds(flt.day_from)[0])
    if flt.day_to:
        stmt = stmt.where(Order.placed_at <= local_day_bounds(flt.day_to)[1])
    page = max(1, flt.page)
    rows = list(db.session.scalars(
        stmt.order_by(Order.placed_at.desc(), Order.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def seller_fairs(owner_id: int) -> list[Fair]:
    """Fairs the seller's stalls took part in, newest first."""
    return list(db.session.scalars(
        sa.select(Fair).join(FairStall)
        .where(FairStall.stall_id.in_(owned_stall_ids(owner_id)), FairStall.status == "accepted")
        .order_by(Fair.starts_at.desc()).distinct()
    ))


@dataclass
class PackedProduct:
    name: str
    unit: str
    quantity: Decimal
    orders: int


@dataclass
class PackingList:
    fair: Fair
    orders: list[Order]
    products: list[PackedProduct]


def packing_list(owner_id: int, fair_id: int) -> PackingList | None:
    """What to bring to a fair for orders still to hand over: by customer and by product."""
    fair = db.session.get(Fair, fair_id)
    if fair is None:
        return None
    orders = list(db.session.scalars(
        sa.select(Order)
        .options(selectinload(Order.lines))
        .where(
            Order.stall_id.in_(owned_stall_ids(owner_id)),
            sa.or_(Order.fair_id == fair_id, Order.pickup_fair_id == fair_id),
            Order.status.in_([OrderStatus.PLACED.value, OrderStatus.CONFIRMED.value,
                              OrderStatus.READY.value]),
        ).order_by(Order.customer_name, Order.placed_at)
    ))
    totals: dict[tuple[int, str], PackedProduct] = {}
    for order in orders:
        for line in order.lines:
            key = (line.product_id, line.unit)
            packed = totals.setdefault(key, PackedProduct(line.product_name, line.unit,
                                                                 Decimal(0), 0))
            packed.quantity += qty_rules.exact(line.quantity)
            packed.orders += 1
    products = sorted(totals.values(), key=lambda p: p.name)
    return PackingList(fair, orders, products)


def booth_fairs_of(order: Order) -> FairStall | None:
    """The booth where a booth-pickup order is collected."""
    if not order.pickup_fair_id:
        return None
    return db.session.scalar(
        sa.select(FairStall).options(joinedload(FairStall.fair)).where(
            FairStall.fair_id == order.pickup_fair_id, FairStall.stall_id == order.stall_id
        )
    )
