"""Payment ledger use cases."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Payment


def record_payment(
    order: Order,
    method: str,
    amount: int,
    *,
    recorded_by_id: int | None = None,
    provider_ref: str | None = None,
) -> Payment:
    """Add a payment row and raise the order's paid amount (the caller commits)."""
    payment = Payment(
        order=order,
        method=method,
        amount=int(amount),
        provider_ref=provider_ref,
        recorded_by_id=recorded_by_id,
    )
    db.session.add(payment)
    order.paid_amount = (order.paid_amount or 0) + int(amount)
    return payment
