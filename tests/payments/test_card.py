"""Card through Stripe Checkout: the requests the app sends to (a local stand-in for) Stripe."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import sqlalchemy as sa
from flask import render_template_string

from marketplace.payments.models import CardCheckout, Payment
from marketplace.payments.services import refund_on_cancel
from tests.factories import make_checkout, make_order, make_product, make_stall
from tests.keys import new_key
from tests.payments.conftest import SECRET_KEY, session_object


def _session_json(session_id="cs_test_a1", amount=135000, **extra):
    data = {
        "id": session_id, "object": "checkout.session", "amount_total": amount,
        "currency": "vnd", "mode": "payment", "payment_status": "unpaid", "status": "open",
        "payment_intent": None, "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "metadata": {},
    }
    data.update(extra)
    return data


def _form(request) -> dict:
    return parse_qs(request.get_data(as_text=True))


def test_card_checkout_sends_vnd_lines_metadata_key_and_auth(client, db, stripe_on, rice):
    other = make_product(make_stall(), name="Tương Bần", price=60000, unit="chai")
    order_a = make_order(rice.stall, [(rice, 3)])
    order_b = make_order(other.stall, [(other, 2)])
    checkout = make_checkout([order_a, order_b])
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json(amount=255000))
    resp = client.post(f"/pay/{checkout.code}/card", data={"t": order_b.access_token})
    assert resp.status_code == 303
    assert resp.headers["Location"] == "https://checkout.stripe.com/c/pay/cs_test_a1"
    [(request, _)] = stripe_on.log
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    key = request.headers["Idempotency-Key"]
    assert key.startswith(f"cho40-checkout-{checkout.code}-1-")
    assert db.session.scalar(sa.select(CardCheckout.idempotency_key)) == key
    form = _form(request)
    assert form["mode"] == ["payment"]
    assert form["line_items[0][price_data][currency]"] == ["vnd"]
    assert form["line_items[0][price_data][unit_amount]"] == ["45000"]
    assert form["line_items[0][quantity]"] == ["3"]
    assert form["line_items[0][price_data][product_data][name]"] == ["Gạo thơm (túi)"]
    assert form["line_items[1][price_data][unit_amount]"] == ["60000"]
    assert form["line_items[1][quantity]"] == ["2"]
    assert form["metadata[checkout_code]"] == [checkout.code]
    assert form["metadata[order_codes]"] == [f"{order_a.code},{order_b.code}"]
    assert form["success_url"] == [
        "https://cho40.test/pay/card/success?session_id={CHECKOUT_SESSION_ID}"]
    assert form["cancel_url"] == [f"https://cho40.test/pay/{checkout.code}/card/cancel"]
    card = db.session.scalar(sa.select(CardCheckout))
    assert (card.session_id, card.amount) == ("cs_test_a1", 255000)


def test_a_second_click_reuses_the_open_session(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 3)])
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json())
    client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.headers["Location"].endswith("cs_test_a1")
    assert len(stripe_on.log) == 1


def test_logged_in_customer_may_pay_without_token(client, auth, db, stripe_on, rice):
    from tests.factories import make_user

    shopper = make_user()
    order = make_order(rice.stall, [(rice, 3)])
    checkout = make_checkout([order], customer=shopper)
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json())
    auth.login(shopper)
    assert client.post(f"/pay/{checkout.code}/card").status_code == 303


def test_card_checkout_without_token_is_404(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 1)])
    assert client.post(f"/pay/{order.code}/card", data={"t": "guess"}).status_code == 404
    assert stripe_on.log == []


def test_amount_above_stripes_eight_digit_limit_is_refused(client, db, stripe_on, bank_stall):
    tractor = make_product(bank_stall, name="Máy cày", price=50_000_000, stock=5)
    order = make_order(bank_stall, [(tractor, 2)])
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.status_code == 400
    assert "vượt quá mức tối đa trả bằng thẻ (99.999.999 ₫)" in resp.get_data(as_text=True)
    assert stripe_on.log == []


def test_stripe_refusing_gives_a_clear_message(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 1)])
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "Amount too small"}}, status=400)
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.status_code == 502
    assert "Cổng thanh toán thẻ đang gặp sự cố" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(CardCheckout.id))) == 0


def test_card_option_hidden_without_stripe_keys(app, rice):
    order = make_order(rice.stall, [(rice, 1)])
    make_checkout([order])
    with app.test_request_context("/"):
        html = render_template_string('{% include "payments/_pay_options.html" %}',
                                      orders=[order])
    assert "Trả bằng thẻ" not in html and "Chuyển khoản VietQR" in html


def test_card_option_shown_with_stripe_keys(app, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 1)])
    checkout = make_checkout([order])
    with app.test_request_context("/"):
        html = render_template_string('{% include "payments/_pay_options.html" %}',
                                      orders=[order])
    assert f"/pay/{checkout.code}/card" in html


def test_card_checkout_without_keys_is_refused(client, db, rice):
    order = make_order(rice.stall, [(rice, 1)])
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.status_code == 409


def _opened(client, stripe_on, order, session_id="cs_test_a1"):
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json(session_id, amount=order.total))
    client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    stripe_on.clear()
    from marketplace.extensions import db

    return db.session.scalar(sa.select(CardCheckout).where(CardCheckout.session_id == session_id))


def test_success_page_retrieves_the_session_and_records_the_payment(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 3)])
    card = _opened(client, stripe_on, order)
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1", method="GET").respond_with_json(
        session_object(card))
    resp = client.get("/pay/card/success?session_id=cs_test_a1")
    assert "Thanh toán thành công" in resp.get_data(as_text=True)
    [row] = db.session.scalars(sa.select(Payment)).all()
    assert (row.method, row.amount) == ("card", 135000)
    assert row.provider_ref == f"pi_test_123:{order.code}"
    db.session.refresh(order)
    assert order.is_paid


def test_success_page_with_unpaid_session_records_nothing(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 3)])
    card = _opened(client, stripe_on, order)
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1").respond_with_json(
        session_object(card, payment_status="unpaid", status="complete", payment_intent=None))
    html = client.get("/pay/card/success?session_id=cs_test_a1").get_data(as_text=True)
    assert "Đang xác nhận thanh toán" in html
    assert db.session.scalars(sa.select(Payment)).all() == []


def test_success_page_for_unknown_session_is_404(client, stripe_on):
    assert client.get("/pay/card/success?session_id=cs_nope").status_code == 404


def test_cancel_page_keeps_the_order(client, rice):
    order = make_order(rice.stall, [(rice, 1)])
    html = client.get(f"/pay/{order.code}/card/cancel").get_data(as_text=True)
    assert "Bạn đã dừng thanh toán thẻ" in html and order.code in html


def test_cancelling_a_card_paid_order_refunds_through_stripe(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 3)])
    card = _opened(client, stripe_on, order)
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1").respond_with_json(
        session_object(card))
    client.get("/pay/card/success?session_id=cs_test_a1")
    stripe_on.clear()
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json({
        "id": "re_test_9", "object": "refund", "amount": 135000, "currency": "vnd",
        "payment_intent": "pi_test_123", "status": "succeeded"})
    [paid] = db.session.scalars(sa.select(Payment)).all()
    refund_on_cancel(order, by_id=None)
    db.session.commit()
    [(request, _)] = stripe_on.log
    assert request.headers["Idempotency-Key"] == f"cho40-refund-{paid.id}"
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    form = _form(request)
    assert form["payment_intent"] == ["pi_test_123"] and form["amount"] == ["135000"]
    refund = db.session.scalar(sa.select(Payment).where(Payment.kind == "refund"))
    assert (refund.amount, refund.provider_ref, refund.reverses_id) == (-135000, "re_test_9",
                                                                         paid.id)
    assert order.paid_amount == 0


def test_seller_refunding_a_card_row_refunds_it_through_stripe(client, auth, db, stripe_on, rice,
                                                              seller):
    order = make_order(rice.stall, [(rice, 1)])
    from marketplace.payments.services import record_payment

    paid = record_payment(order, "card", 45000, provider_ref=f"pi_test_77:{order.code}")
    db.session.commit()
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json({
        "id": "re_test_77", "object": "refund", "amount": 45000, "currency": "vnd",
        "payment_intent": "pi_test_77", "status": "pending"})
    auth.login(seller)
    url = f"/seller/orders/{order.code}/payments/{paid.id}/refund"
    assert "Xác nhận hoàn tiền" in client.get(url).get_data(as_text=True)
    assert stripe_on.log == []  # the confirmation page refunds nothing
    client.post(url, data={"reason": "Khách đổi ý", "once_key": new_key()})
    assert json.dumps(_form(stripe_on.log[0][0])["payment_intent"]) == '["pi_test_77"]'
    kinds = db.session.scalars(sa.select(Payment.kind).order_by(Payment.id)).all()
    assert kinds == ["payment", "refund"]


def test_after_an_expired_session_a_new_one_gets_a_new_key(client, db, stripe_on, rice):
    order = make_order(rice.stall, [(rice, 3)])
    card = _opened(client, stripe_on, order)
    card.status = "expired"
    db.session.commit()
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json("cs_test_b2"))
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.headers["Location"].endswith("cs_test_b2")
    [(request, _)] = stripe_on.log
    assert request.headers["Idempotency-Key"].startswith(f"cho40-checkout-{order.code}-2-")


def test_a_weighed_line_is_charged_as_one_item_at_its_line_total(client, db, stripe_on,
                                                                  bank_stall):
    from decimal import Decimal

    lychee = make_product(bank_stall, name="Vải thiều", price=33333, unit="kg")
    order = make_order(bank_stall, [(lychee, Decimal("1.5"))])
    assert order.total == 50000  # rounded once, half up
    checkout = make_checkout([order])
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json(amount=50000))
    assert client.post(f"/pay/{checkout.code}/card",
                       data={"t": order.access_token}).status_code == 303
    form = _form(stripe_on.log[0][0])
    assert form["line_items[0][price_data][unit_amount]"] == ["50000"]
    assert form["line_items[0][quantity]"] == ["1"]
    assert form["line_items[0][price_data][product_data][name]"] == ["Vải thiều (1,5 kg)"]
