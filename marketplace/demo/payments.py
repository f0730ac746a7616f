"""Demo payments: card payments (fake Stripe refs) and bank-statement transfers, so reports show
every method next to the orders demo's cash and VietQR rows."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order, OrderStatus
from marketplace.payments.models import Payment, PaymentMethod
from marketplace.payments.services import record_payment

# Demo card payments never reached Stripe; the demo runs with CARD_GATEWAY=demo, whose stand-in
# gateway refunds them (payments/gateway.py).
DEMO_CARD_PREFIX = "pi_demo_"

CARD_ORDERS = 12
TRANSFER_ORDERS = 8


def _unpaid(limit: int, offset: int = 0) -> list[Order]:
    """Unpaid, live orders that are not the demo shopper's own (those stay payable)."""
    return list(db.session.scalars(
        sa.select(Order)
        .where(Order.paid_amount == 0, Order.total > 0, Order.customer_id.is_(None),
               Order.status.in_([OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.READY]))
        .order_by(Order.id).offset(offset).limit(limit)
    ))


def seed(ctx: dict) -> None:
    """Pay a few unpaid demo orders by card and by reconciled transfer, once."""
    done = db.session.scalar(
        sa.select(Payment.id).where(Payment.provider_ref.like(f"{DEMO_CARD_PREFIX}%")).limit(1)
    )
    if done is not None:
        return
    orders = _unpaid(CARD_ORDERS + TRANSFER_ORDERS)
    for n, order in enumerate(orders):
        if n < CARD_ORDERS:
            payment = record_payment(
                order, PaymentMethod.CARD, order.total,
                provider_ref=f"{DEMO_CARD_PREFIX}{order.code}:{order.code}",
            )
        else:
            payment = record_payment(
                order, PaymentMethod.VIETQR, order.total, recorded_by_id=order.stall.owner_id,
                provider_ref=f"FT-DEMO-{order.code}",
            )
        payment.created_at = order.placed_at  # paid as it was ordered, not when seeded
    ctx["demo_card_payments"] = min(len(orders), CARD_ORDERS)
