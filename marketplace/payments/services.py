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


def refund_on_cancel(order: Order, by_id: int | None = None) -> list[Payment]:
    """Reverse what was paid on a cancelled order (the caller commits).

    Cash and transfer payments get a reversal row (the seller hands the money back);
    card payments are refunded through Stripe by the payments capability.
    """
    reversals = []
    paid_rows = db.session.scalars(
        db.select(Payment).where(
            Payment.order_id == order.id, Payment.kind == "payment", Payment.amount > 0
        )
    ).all()
    reversed_ids = set(
        db.session.scalars(
            db.select(Payment.reverses_id).where(
                Payment.order_id == order.id, Payment.reverses_id.is_not(None)
            )
        )
    )
    for row in paid_rows:
        if row.id in reversed_ids:
            continue
        reversal = Payment(
            order=order, method=row.method, amount=-row.amount, kind="reversal",
            reverses_id=row.id, recorded_by_id=by_id,
            provider_ref=f"reversal-of-{row.id}",
        )
        db.session.add(reversal)
        order.paid_amount -= row.amount
        reversals.append(reversal)
    return reversals
