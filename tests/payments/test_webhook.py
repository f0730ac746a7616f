"""Stripe webhooks with real signatures: valid, forged, stale, replayed, out of order, racing."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import sqlalchemy as sa

from marketplace.payments.models import CardCheckout, Payment, StripeEvent
from tests.factories import make_order
from tests.payments.conftest import event_body, post_webhook, session_object, signature_header


def _card(db, order, session_id="cs_test_w1") -> CardCheckout:
    card = CardCheckout(code=order.code, session_id=session_id, url="https://checkout.test/x",
                        idempotency_key=f"k-{session_id}", amount=order.total,
                        order_amounts=f'{{"{order.code}": {order.total}}}')
    db.session.add(card)
    db.session.commit()
    return card


def _payments(db):
    return db.session.scalars(sa.select(Payment)).all()


def test_valid_completed_event_records_the_card_payment(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    resp = post_webhook(client, event_body("evt_1", "checkout.session.completed",
                                           session_object(card)))
    assert resp.status_code == 200 and resp.json["outcome"] == "fulfilled"
    [row] = _payments(db)
    assert (row.method, row.amount, row.order_id) == ("card", 90000, order.id)
    db.session.refresh(card)
    assert (card.status, card.payment_intent) == ("paid", "pi_test_123")


def test_forged_signature_is_400_and_changes_nothing(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    body = event_body("evt_1", "checkout.session.completed", session_object(card))
    resp = post_webhook(client, body, signature_header(body, secret="whsec_attacker"))
    assert resp.status_code == 400 and "error" in resp.json
    assert _payments(db) == [] and db.session.scalars(sa.select(StripeEvent)).all() == []


def test_body_changed_after_signing_is_400(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    body = event_body("evt_1", "checkout.session.completed", session_object(card))
    header = signature_header(body)
    resp = post_webhook(client, body.replace('"paid"', '"paid" '), header)
    assert resp.status_code == 400 and _payments(db) == []


def test_stale_signature_is_400_and_changes_nothing(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    body = event_body("evt_1", "checkout.session.completed", session_object(card))
    resp = post_webhook(client, body, signature_header(body, ts=int(time.time()) - 600))
    assert resp.status_code == 400 and _payments(db) == []


def test_missing_signature_is_400(client, db, stripe_on):
    resp = client.post("/payments/stripe/webhook", data="{}",
                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


def test_webhook_without_configured_secret_is_400(client, db, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    resp = post_webhook(client, event_body("evt_1", "checkout.session.completed",
                                           session_object(card)))
    assert resp.status_code == 400 and _payments(db) == []


def test_replayed_event_changes_nothing(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    body = event_body("evt_1", "checkout.session.completed", session_object(card))
    post_webhook(client, body)
    resp = post_webhook(client, body)
    assert resp.status_code == 200 and resp.json["outcome"] == "duplicate"
    assert len(_payments(db)) == 1


def test_second_event_for_the_same_paid_session_records_nothing(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    post_webhook(client, event_body("evt_1", "checkout.session.completed", session_object(card)))
    resp = post_webhook(client, event_body("evt_2", "checkout.session.async_payment_succeeded",
                                           session_object(card)))
    assert resp.json["outcome"] == "already fulfilled"
    assert len(_payments(db)) == 1


def test_expired_after_completed_changes_nothing(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    post_webhook(client, event_body("evt_1", "checkout.session.completed", session_object(card)))
    resp = post_webhook(client, event_body("evt_2", "checkout.session.expired", session_object(
        card, payment_status="unpaid", status="expired", payment_intent=None)))
    assert resp.json["outcome"] == "unchanged"
    db.session.refresh(card)
    db.session.refresh(order)
    assert card.status == "paid" and order.is_paid and len(_payments(db)) == 1


def test_expired_session_is_marked_expired(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    post_webhook(client, event_body("evt_1", "checkout.session.expired", session_object(
        card, payment_status="unpaid", status="expired", payment_intent=None)))
    db.session.refresh(card)
    assert card.status == "expired" and _payments(db) == []


def test_async_payment_settles_on_succeeded(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    resp = post_webhook(client, event_body("evt_1", "checkout.session.completed", session_object(
        card, payment_status="unpaid")))
    assert resp.json["outcome"] == "processing" and _payments(db) == []
    post_webhook(client, event_body("evt_2", "checkout.session.async_payment_succeeded",
                                    session_object(card)))
    assert len(_payments(db)) == 1


def test_async_payment_failed_marks_failed(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    post_webhook(client, event_body("evt_1", "checkout.session.completed", session_object(
        card, payment_status="unpaid")))
    post_webhook(client, event_body("evt_2", "checkout.session.async_payment_failed",
                                    session_object(card, payment_status="unpaid")))
    db.session.refresh(card)
    assert card.status == "failed" and _payments(db) == []


def test_amount_that_differs_from_the_session_is_not_recorded(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    post_webhook(client, event_body("evt_1", "checkout.session.completed", session_object(
        card, amount_total=1000)))
    assert _payments(db) == []


def test_success_page_then_webhook_records_one_payment(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    stripe_on.expect_request(f"/v1/checkout/sessions/{card.session_id}").respond_with_json(
        session_object(card))
    client.get(f"/pay/card/success?session_id={card.session_id}")
    resp = post_webhook(client, event_body("evt_1", "checkout.session.completed",
                                           session_object(card)))
    assert resp.json["outcome"] == "already fulfilled"
    assert len(_payments(db)) == 1


def test_webhook_then_success_page_records_one_payment(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    post_webhook(client, event_body("evt_1", "checkout.session.completed", session_object(card)))
    html = client.get(f"/pay/card/success?session_id={card.session_id}").get_data(as_text=True)
    assert "Thanh toán thành công" in html
    assert stripe_on.log == []  # already paid: no need to ask Stripe
    assert len(_payments(db)) == 1


def test_webhook_racing_the_success_page_records_one_payment(db, stripe_on, stripe_live, rice):
    order = make_order(rice.stall, [(rice, 2)])
    card = _card(db, order)
    stripe_on.expect_request(f"/v1/checkout/sessions/{card.session_id}").respond_with_json(
        session_object(card))
    body = event_body("evt_1", "checkout.session.completed", session_object(card))
    start = threading.Barrier(2)
    statuses = []

    def fetch(request):
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                statuses.append(resp.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)

    success_page = f"{stripe_live.url}/pay/card/success?session_id={card.session_id}"

    webhook = urllib.request.Request(
        f"{stripe_live.url}/payments/stripe/webhook", data=body.encode(), method="POST",
        headers={"Stripe-Signature": signature_header(body), "Content-Type": "application/json"})
    threads = [threading.Thread(target=fetch, args=(r,)) for r in (success_page, webhook)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200]
    db.session.expire_all()
    [row] = _payments(db)
    assert row.amount == 90000
    assert db.session.get(type(order), order.id).paid_amount == 90000
