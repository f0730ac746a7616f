"""Every Stripe event this app handles, delivered once and then all replayed: nothing changes."""

from __future__ import annotations

import random

import sqlalchemy as sa

from marketplace.orders.models import Order
from marketplace.payments import card as card_service
from marketplace.payments.models import CardCheckout, Payment, StripeEvent
from tests.factories import make_order
from tests.payments.conftest import event_body, post_webhook, session_object


def _card(db, order, session_id: str) -> CardCheckout:
    card = CardCheckout(code=order.code, session_id=session_id, url="https://checkout.test/x",
                        idempotency_key=f"k-{session_id}", amount=order.total,
                        order_amounts=f'{{"{order.code}": {order.total}}}')
    db.session.add(card)
    db.session.commit()
    return card


def _stream(db, rice) -> list[tuple[str, str, dict]]:
    """(event id, type, session) for four card checkouts that go four different ways."""
    cards = [_card(db, make_order(rice.stall, [(rice, n + 1)]), f"cs_replay_{n}")
             for n in range(4)]
    unpaid = {"payment_status": "unpaid"}
    gone = {"payment_status": "unpaid", "status": "expired", "payment_intent": None}
    paid_now, paid_later, failed, expired = cards
    return [
        ("evt_r1", "checkout.session.completed", session_object(paid_now)),
        ("evt_r2", "checkout.session.completed", session_object(paid_later, **unpaid)),
        ("evt_r3", "checkout.session.async_payment_succeeded", session_object(paid_later)),
        ("evt_r4", "checkout.session.completed", session_object(failed, **unpaid)),
        ("evt_r5", "checkout.session.async_payment_failed", session_object(failed, **unpaid)),
        ("evt_r6", "checkout.session.expired", session_object(expired, **gone)),
        # Types the app does not act on are recorded and ignored, replays included.
        ("evt_r7", "payment_intent.created", {"id": "pi_test_123", "object": "payment_intent"}),
    ]


def _state(db) -> dict:
    db.session.expire_all()
    return {
        "payments": sorted(db.session.execute(sa.select(
            Payment.order_id, Payment.method, Payment.kind, Payment.amount)).all()),
        "cards": sorted(db.session.execute(sa.select(
            CardCheckout.session_id, CardCheckout.status, CardCheckout.payment_intent)).all()),
        "orders": sorted(db.session.execute(sa.select(
            Order.code, Order.status, Order.paid_amount)).all()),
        "events": sorted(db.session.scalars(sa.select(StripeEvent.id)).all()),
    }


def test_every_event_replayed_in_any_order_changes_nothing(client, db, stripe_on, rice):
    stream = _stream(db, rice)
    handled = {kind for _id, kind, _s in stream}
    missing = set(card_service.HANDLED_EVENTS) - handled
    assert not missing, f"add these event types to the replay stream: {sorted(missing)}"

    first = [post_webhook(client, event_body(*event)) for event in stream]
    assert [r.status_code for r in first] == [200] * len(stream)
    assert [r.json["outcome"] for r in first] == [
        "fulfilled", "processing", "fulfilled", "processing", "failed", "expired", "ignored"]
    settled = _state(db)
    assert len(settled["payments"]) == 2 and len(settled["events"]) == len(stream)

    replays = stream + stream[::-1] + random.Random(13).sample(stream, len(stream))
    for event in replays:  # Stripe re-signs each delivery: a fresh timestamp, same event id
        resp = post_webhook(client, event_body(*event))
        assert (resp.status_code, resp.json["outcome"]) == (200, "duplicate"), event[:2]
    assert _state(db) == settled
