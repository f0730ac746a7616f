"""Checkouts, orders (one per stall), order lines and status history."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.catalog.models import Product, Stall
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Fair


class Channel(enum.StrEnum):
    ONLINE = "online"
    FAIR = "fair"
    LIVESTREAM = "livestream"


class Fulfilment(enum.StrEnum):
    BOOTH_PICKUP = "booth_pickup"
    STALL_PICKUP = "stall_pickup"
    DELIVERY = "delivery"


class OrderStatus(enum.StrEnum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    READY = "ready"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


# Codes are Crockford base32 (catalog.codes): an order code is 7 characters, a checkout code 8,
# so both can be read aloud or typed by hand (normalize_code reads any case, I/L as 1, O as 0).
ORDER_CODE_LENGTH = 7
CHECKOUT_CODE_LENGTH = 8


class Checkout(db.Model):
    """One shopper's checkout of a cart; it creates one order per stall."""

    __tablename__ = "checkout"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    customer_name: Mapped[str] = mapped_column(sa.String(120))
    customer_phone: Mapped[str] = mapped_column(sa.String(15))
    # How the shopper asked to be told about the orders: an email (optional), Zalo (opt-in)
    # and the language of the page they ordered from.
    customer_email: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    notify_zalo: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi", server_default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    orders: Mapped[list[Order]] = relationship(back_populates="checkout", order_by="Order.id")


class Order(db.Model):
    """An order to one stall, with snapshotted lines and a status history."""

    __tablename__ = "order"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    access_token: Mapped[str] = mapped_column(sa.String(64))
    checkout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checkout.id"), index=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    fair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fair.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    customer_name: Mapped[str] = mapped_column(sa.String(120), default="")
    customer_phone: Mapped[str] = mapped_column(sa.String(15), default="")
    delivery_address: Mapped[str] = mapped_column(sa.String(400), default="")
    note: Mapped[str] = mapped_column(sa.String(400), default="")
    channel: Mapped[str] = mapped_column(sa.String(16), default=Channel.ONLINE.value)
    fulfilment: Mapped[str] = mapped_column(sa.String(16), default=Fulfilment.STALL_PICKUP.value)
    # The fair whose booth a booth-pickup order is collected at (for packing lists); fair_id
    # above says which fair the sale counts for (it was reached through that fair).
    pickup_fair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fair.id"), index=True)
    # How the shopper chose to pay: cash (on pickup/delivery/at the booth), vietqr or card.
    # Unpaid online vietqr/card orders expire (flask orders expire); cash ones never do.
    payment_method: Mapped[str] = mapped_column(sa.String(16), default="cash",
                                                server_default="cash")
    status: Mapped[str] = mapped_column(sa.String(16), default=OrderStatus.PLACED.value)
    # Integer VND the shopper pays: the sum of line totals plus the delivery fee.
    total: Mapped[int] = mapped_column(sa.BigInteger)
    # Integer VND, part of total; reports keep it apart from goods revenue.
    delivery_fee: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    paid_amount: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # less refunds, corrections
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(255))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # A booth cash sale: what the buyer handed over (change = cash_given - total). The receipt
    # token opens the public read-only receipt (/r/<token>); unguessable, one per order.
    cash_given: Mapped[int | None] = mapped_column(sa.BigInteger)
    receipt_token: Mapped[str | None] = mapped_column(sa.String(32), unique=True, index=True)

    checkout: Mapped[Checkout | None] = relationship(back_populates="orders")
    stall: Mapped[Stall] = relationship()
    fair: Mapped[Fair | None] = relationship(foreign_keys=[fair_id])
    pickup_fair: Mapped[Fair | None] = relationship(foreign_keys=[pickup_fair_id])
    customer: Mapped[User | None] = relationship(foreign_keys=[customer_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderStatusEvent]] = relationship(
        back_populates="order", order_by="OrderStatusEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.Index("ix_order_stall_placed", "stall_id", "placed_at"),
        sa.Index("ix_order_fair_placed", "fair_id", "placed_at"),
        sa.Index("ix_order_expiry", "status", "channel", "placed_at"),
    )

    @property
    def goods_total(self) -> int:
        """What the goods cost, without the delivery fee."""
        return self.total - (self.delivery_fee or 0)

    @property
    def owed(self) -> int:
        """What is still owed on the order (never negative; nothing on a cancelled one)."""
        if self.status == OrderStatus.CANCELLED:
            return 0
        return max(self.total - (self.paid_amount or 0), 0)

    @property
    def is_paid(self) -> bool:
        return self.paid_amount >= self.total

    @property
    def is_booth_sale(self) -> bool:
        """Sold by the stall's people at its booth (the POS): handed over when paid."""
        return (self.channel == Channel.FAIR and self.fulfilment == Fulfilment.BOOTH_PICKUP
                and self.created_by_id is not None)


class OrderLine(db.Model):
    """A product on an order, with price, unit and weight as they were when ordered."""

    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    product_name: Mapped[str] = mapped_column(sa.String(160))
    unit: Mapped[str] = mapped_column(sa.String(16))
    unit_price: Mapped[int] = mapped_column(sa.BigInteger)
    net_weight_kg: Mapped[Decimal] = mapped_column(sa.Numeric(10, 3))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))  # in the unit; 1.5 kg is 1.5
    line_total: Mapped[int] = mapped_column(sa.BigInteger)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    # Reports read a line's figures straight from these indexes (no table lookups), reaching
    # the lines by their orders (a fair) or by their products (a campaign's categories).
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.Index("ix_order_line_order_facts", "order_id", "product_id", "quantity", "line_total",
                 "net_weight_kg", "unit"),
        sa.Index("ix_order_line_product_facts", "product_id", "order_id", "quantity",
                 "line_total", "net_weight_kg", "unit"),
    )


class OrderStatusEvent(db.Model):
    """One change of an order's status: who, when, why."""

    __tablename__ = "order_status_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(sa.String(255), default="")

    order: Mapped[Order] = relationship(back_populates="events")


class StockShortfall(db.Model):
    """A booth sale made offline that took more than the stock held: the goods are gone.

    Stock stops at zero and the missing quantity is kept here, at the time of sale, so the
    seller sees it and counts the shelf again; the sale itself is never refused.
    """

    __tablename__ = "stock_shortfall"

    id: Mapped[int] = mapped_column(primary_key=True)
    stall_id: Mapped[int] = mapped_column(sa.ForeignKey("stall.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id"), index=True)
    stock_before: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    quantity_short: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cleared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    product: Mapped[Product] = relationship()
    order: Mapped[Order] = relationship()
