"""Card payments through Stripe Checkout: open a session, fulfil it once, follow its webhooks."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.database import utcnow
from marketplace.errors import Conflict, ValidationError
from marketplace.extensions import db
from marketplace.formatting import format_vnd, format_weight
from marketplace.orders import signals as order_signals
from marketplace.orders.models import Checkout, Order, OrderStatus
from marketplace.orders.services import unpaid_deadline
from marketplace.payments import gateway
from marketplace.payments.models import CardCheckout, CardCheckoutStatus, PaymentMethod
from marketplace.payments.services import (
    lock_order,
    outstanding,
    record_payment,
    refund_surplus_card,
)
from marketplace.sanitize import secret_matches

log = logging.getLogger(__name__)

PAID = CardCheckoutStatus.PAID.value
# A session lives at most this long (Stripe allows 24 h), and is reused while it lives.
REUSE_OPEN_SESSION_HOURS = 23
# Stripe refuses an expires_at under 30 minutes after the session is created; a minute more
# leaves room for our clock running behind Stripe's.
STRIPE_MIN_MINUTES = 31
# A session about to expire is not handed out again: the buyer needs time to type a card.
REUSE_MARGIN = timedelta(minutes=5)


def orders_for_code(code: str) -> list[Order]:
    """Return the orders behind a checkout code, or the one order with that code."""
    code = (code or "").strip().upper()
    checkout = db.session.scalar(sa.select(Checkout).where(Checkout.code == code))
    if checkout is not None:
        return list(checkout.orders)
    order = db.session.scalar(sa.select(Order).where(Order.code == code))
    return [order] if order is not None else []


def may_pay(orders: list[Order], token: str | None, user) -> bool:
    """Tell whether the buyer holds one order's tracking token, or is its logged-in customer."""
    if not orders:
        return False
    if token and any(secret_matches(token, o.access_token) for o in orders):
        return True
    if user is not None and getattr(user, "is_authenticated", False):
        owners = {o.customer_id for o in orders}
        owners |= {o.checkout.customer_id for o in orders if o.checkout is not None}
        return user.id in owners
    return False


def _unpaid(order: Order) -> bool:
    return (order.status != OrderStatus.CANCELLED and (order.paid_amount or 0) == 0
            and order.total > 0)


def _in_time(order: Order, now: datetime) -> bool:
    deadline = unpaid_deadline(order)
    return deadline is None or deadline > now + REUSE_MARGIN


def payable_orders(orders: list[Order], now: datetime | None = None) -> list[Order]:
    """Return the orders a card payment covers: open, nothing paid yet, not about to expire."""
    now = now or utcnow()
    return [o for o in orders if _unpaid(o) and _in_time(o, now)]


def session_expiry(orders: list[Order], now: datetime) -> datetime:
    """Return when a new session for these orders expires: by the first order's deadline.

    Stripe takes 30 minutes to 24 hours; an order due sooner than 30 minutes gets the
    shortest session, and its cancellation expires the session through the API.
    """
    deadlines = [d for o in orders if (d := unpaid_deadline(o)) is not None]
    target = min([now + timedelta(hours=REUSE_OPEN_SESSION_HOURS), *deadlines])
    return max(target, now + timedelta(minutes=STRIPE_MIN_MINUTES)).replace(microsecond=0)


def _line_item(line) -> dict:
    """A whole quantity as units; a weighed one (1,5 kg) as one item at its line total."""
    qty = Decimal(line.quantity)
    if qty == qty.to_integral_value():
        name, amount, count = f"{line.product_name} ({line.unit})", line.unit_price, int(qty)
    else:
        name = f"{line.product_name} ({format_weight(qty)} {line.unit})"
        amount, count = line.line_total, 1
    return {"price_data": {"currency": "vnd", "unit_amount": int(amount),
                           "product_data": {"name": name}}, "quantity": count}


def _line_items(order: Order) -> list[dict]:
    lines = list(order.lines)
    fee = int(order.delivery_fee or 0)
    if lines and sum(line.line_total for line in lines) + fee == order.total:
        items = [_line_item(line) for line in lines]
        if fee:  # the delivery fee is part of what the card pays
            items.append({"price_data": {
                "currency": "vnd", "unit_amount": fee,
                "product_data": {"name": _("Phí giao hàng đơn %(code)s", code=order.code)},
            }, "quantity": 1})
        return items
    # Lines that do not add up (a total adjusted by hand) are charged as the order's total.
    return [{
        "price_data": {
            "currency": "vnd",
            "unit_amount": int(order.total),
            "product_data": {"name": _("Đơn hàng %(code)s", code=order.code)},
        },
        "quantity": 1,
    }]


def start_card_checkout(code: str, orders: list[Order]) -> CardCheckout:
    """Open (or reuse) a Stripe Checkout Session for the unpaid orders and commit it."""
    if not gateway.is_configured():
        raise Conflict(_("Thanh toán thẻ chưa được bật."))
    now = utcnow()
    payable = payable_orders(orders, now)
    if not payable:
        if any(_unpaid(o) for o in orders):
            raise Conflict(_("Đơn đã hết hạn thanh toán bằng thẻ. Vui lòng chuyển khoản "
                             "VietQR hoặc liên hệ người bán."))
        raise Conflict(_("Các đơn này đã được thanh toán hoặc đã hủy."))
    amount = sum(o.total for o in payable)
    if amount > gateway.MAX_AMOUNT:
        raise ValidationError(None, _(
            "Số tiền %(amount)s vượt quá mức tối đa trả bằng thẻ (%(max)s). "
            "Vui lòng chuyển khoản VietQR hoặc trả tiền mặt.",
            amount=format_vnd(amount), max=format_vnd(gateway.MAX_AMOUNT),
        ))
    order_amounts = {o.code: int(o.total) for o in payable}
    encoded = json.dumps(order_amounts, sort_keys=True)
    reusable = _open_session(code, encoded, amount, now)
    if reusable is not None:
        return reusable
    attempt = db.session.scalar(
        sa.select(sa.func.count(CardCheckout.id)).where(CardCheckout.code == code)
    )
    # One key per checkout attempt and set of orders: a double click reaches Stripe twice but
    # opens one session; a changed set of orders never replays an older request's key.
    digest = hashlib.sha256(encoded.encode()).hexdigest()[:10]
    idempotency_key = f"cho40-checkout-{code}-{attempt + 1}-{digest}"
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    metadata = {"checkout_code": code, "order_codes": ",".join(order_amounts)}
    expires_at = session_expiry(payable, now)
    params = {
        "mode": "payment",
        "line_items": [item for o in payable for item in _line_items(o)],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "client_reference_id": code,
        "success_url": f"{base}/pay/card/success?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{base}/pay/{code}/card/cancel",
        "expires_at": int(expires_at.timestamp()),
    }
    session = gateway.create_checkout_session(params, idempotency_key)
    if session.get("currency") not in (None, "vnd") or (
        session.get("amount_total") not in (None, amount)
    ):
        log.error("stripe session %s does not match checkout %s", session.get("id"), code)
        raise gateway.GatewayError(_("Cổng thanh toán trả về số tiền không khớp."))
    card = CardCheckout(
        code=code, session_id=session["id"], url=session.get("url"),
        idempotency_key=idempotency_key, amount=amount, order_amounts=encoded,
        expires_at=expires_at,
    )
    db.session.add(card)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # The twin request stored the same session first.
        db.session.rollback()
        card = db.session.scalar(
            sa.select(CardCheckout).where(CardCheckout.session_id == session["id"])
        )
        if card is None:
            raise
    return card


def _open_session(code: str, encoded: str, amount: int, now: datetime) -> CardCheckout | None:
    since = now - timedelta(hours=REUSE_OPEN_SESSION_HOURS)
    return db.session.scalar(
        sa.select(CardCheckout)
        .where(
            CardCheckout.code == code,
            CardCheckout.status == CardCheckoutStatus.OPEN.value,
            CardCheckout.order_amounts == encoded,
            CardCheckout.amount == amount,
            CardCheckout.created_at >= since,
            sa.or_(CardCheckout.expires_at.is_(None),
                   CardCheckout.expires_at > now + REUSE_MARGIN),
            CardCheckout.url.is_not(None),
        )
        .order_by(CardCheckout.id.desc())
        .limit(1)
    )


def card_checkout_by_session(session_id: str) -> CardCheckout | None:
    return db.session.scalar(sa.select(CardCheckout).where(CardCheckout.session_id == session_id))


def _payment_intent_id(session: dict) -> str | None:
    pi = session.get("payment_intent")
    if isinstance(pi, dict):
        return pi.get("id")
    return pi


def _claim(card: CardCheckout, to_status: str, from_statuses: tuple[str, ...]) -> bool:
    """Move the session's status only from the given states; True if this call moved it.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first, so the
    webhook and the success page racing each other cannot both pass.
    """
    result = db.session.execute(
        sa.update(CardCheckout)
        .where(CardCheckout.id == card.id, CardCheckout.status.in_(from_statuses))
        .values(status=to_status)
    )
    return result.rowcount == 1


def _is_paid(session: dict) -> bool:
    return session.get("payment_status") in ("paid", "no_payment_required")


def _fulfil(card: CardCheckout, session: dict) -> bool:
    """Write the card payment rows if this call is the first to see the session paid."""
    if not _is_paid(session):
        return False
    if session.get("currency") != "vnd" or session.get("amount_total") != card.amount:
        log.error("stripe session %s amount/currency differ from what we asked", card.session_id)
        return False
    if not _claim(card, PAID, tuple(s.value for s in CardCheckoutStatus if s != PAID)):
        return False
    payment_intent = _payment_intent_id(session)
    ref = payment_intent or card.session_id
    for code, amount in json.loads(card.order_amounts).items():
        order = db.session.scalar(sa.select(Order).where(Order.code == code))
        if order is None:
            log.error("paid card session %s names unknown order %s", card.session_id, code)
            continue
        order = lock_order(order)
        owed = outstanding(order)  # nothing is owed on a cancelled order
        # One charge can pay several stalls' orders: the reference names the order too.
        row = record_payment(order, PaymentMethod.CARD, amount, provider_ref=f"{ref}:{code}")
        if amount > owed:
            # Late (the order was cancelled) or extra (paid meanwhile by cash or transfer):
            # the money is recorded as received, and what was not owed goes back at once.
            if payment_intent is None:
                log.error("card session %s overpaid %s but names no payment intent",
                          card.session_id, code)
                continue
            reason = "cancelled" if order.status == OrderStatus.CANCELLED else "overpaid"
            refund_surplus_card(row, owed, reason)
    db.session.execute(
        sa.update(CardCheckout)
        .where(CardCheckout.id == card.id)
        .values(payment_intent=payment_intent, completed_at=utcnow())
    )
    return True


def fulfil_session(session: dict) -> CardCheckout | None:
    """Record the card payment of a paid Checkout Session exactly once, and commit.

    Shared by the webhook and the success page; a second call (replay, race) changes nothing.
    """
    card = card_checkout_by_session(session.get("id") or "")
    if card is None:
        log.warning("stripe session %s is not one of ours", session.get("id"))
        return None
    try:
        _fulfil(card, session)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(card)
    return card


_UNPAID_FROM = {
    CardCheckoutStatus.PROCESSING.value: ("open",),
    CardCheckoutStatus.FAILED.value: ("open", "processing"),
    CardCheckoutStatus.EXPIRED.value: ("open", "processing"),
}


HANDLED_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)


def _apply(event_type: str, session: dict) -> str:
    card = card_checkout_by_session(session.get("id") or "")
    if card is None:
        log.warning("stripe event for session %s which is not one of ours", session.get("id"))
        return "unknown session"
    if event_type in HANDLED_EVENTS[:2]:
        if _is_paid(session):
            return "fulfilled" if _fulfil(card, session) else "already fulfilled"
        _claim(card, CardCheckoutStatus.PROCESSING.value, _UNPAID_FROM["processing"])
        return "processing"
    status = "failed" if event_type == HANDLED_EVENTS[2] else "expired"
    # An expiry or failure arriving after the payment (out of order) must not undo it.
    return status if _claim(card, status, _UNPAID_FROM[status]) else "unchanged"


def handle_event(event: dict) -> str:
    """Apply a verified Stripe event once (replays change nothing), commit, say what happened."""
    from marketplace.payments.models import StripeEvent

    event_id, event_type = event.get("id"), event.get("type")
    if not event_id or not event_type:
        return "ignored"
    session = (event.get("data") or {}).get("object") or {}
    try:
        # The event row commits together with its effect: if handling fails, Stripe retries.
        db.session.add(StripeEvent(id=event_id, type=event_type))
        db.session.flush()
        outcome = _apply(event_type, session) if event_type in HANDLED_EVENTS else "ignored"
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return "duplicate"
    except Exception:
        # Nothing is kept (not even the event): Stripe retries, refunds carry stable keys.
        db.session.rollback()
        raise
    return outcome


def confirm_from_success_page(card: CardCheckout) -> CardCheckout:
    """Ask Stripe how the session stands and fulfil it if paid (the webhook may be late)."""
    if card.status == PAID:
        return card
    session = gateway.retrieve_checkout_session(card.session_id)
    if _is_paid(session):
        return fulfil_session(session) or card
    return card


def orders_of(card: CardCheckout) -> list[Order]:
    codes = list(json.loads(card.order_amounts))
    return list(db.session.scalars(sa.select(Order).where(Order.code.in_(codes))))


def sessions_covering(order: Order) -> list[CardCheckout]:
    """Return the open card sessions that would pay this order."""
    codes = [order.code] + ([order.checkout.code] if order.checkout is not None else [])
    cards = db.session.scalars(
        sa.select(CardCheckout).where(
            CardCheckout.code.in_(codes),
            CardCheckout.status == CardCheckoutStatus.OPEN.value,
        ).order_by(CardCheckout.id)
    )
    return [c for c in cards if order.code in json.loads(c.order_amounts)]


@order_signals.status_changed.connect
def _cancelled_order_closes_its_sessions(_sender, *, order: Order, **_kw) -> None:
    if order.status == OrderStatus.CANCELLED:
        expire_open_sessions(order)


def expire_open_sessions(order: Order) -> int:
    """Expire at Stripe the open sessions that would pay this order; return how many.

    Called after the order's change is committed (cancelled, or paid another way). A failure
    is logged, not raised: the session's own expires_at still ends it, and money that comes in
    anyway is refunded when it arrives.
    """
    if not gateway.is_configured():
        return 0
    now = utcnow()
    expired = 0
    for card in sessions_covering(order):
        if card.expires_at is not None and card.expires_at <= now:
            continue  # Stripe has closed it already
        try:
            session = gateway.expire_checkout_session(
                card.session_id, idempotency_key=f"cho40-expire-{card.session_id}")
        except gateway.GatewayError:
            log.warning("could not expire stripe session %s of order %s", card.session_id,
                        order.code)
            continue
        if session.get("status") == "expired" and _claim(
                card, CardCheckoutStatus.EXPIRED.value, _UNPAID_FROM["expired"]):
            expired += 1
        db.session.commit()
    return expired
