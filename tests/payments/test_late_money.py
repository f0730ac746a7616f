"""Late and extra money: card sessions end with their orders; late or surplus money goes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.orders.models import Order
from marketplace.orders.services import change_status, expire_unpaid_orders
from marketplace.payments.models import CardCheckout, Payment
from marketplace.payments.services import record_payment
from tests.factories import make_order, make_seller
from tests.keys import new_key, page_keys
from tests.payments.conftest import event_body, post_webhook, session_object

NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _session_json(session_id="cs_test_a1", amount=135000, status="open", **extra):
    data = {
        "id": session_id, "object": "checkout.session", "amount_total": amount,
        "currency": "vnd", "mode": "payment", "payment_status": "unpaid", "status": status,
        "payment_intent": None, "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "metadata": {},
    }
    data.update(extra)
    return data


def _refund_json(refund_id="re_test_1", amount=135000, payment_intent="pi_test_123"):
    return {"id": refund_id, "object": "refund", "amount": amount, "currency": "vnd",
            "payment_intent": payment_intent, "status": "succeeded"}


def _form(request) -> dict:
    return parse_qs(request.get_data(as_text=True))


def _card_order(rice, minutes_ago=10, qty=3, **kw):
    return make_order(rice.stall, [(rice, qty)], payment_method="card",
                      placed_at=NOW - timedelta(minutes=minutes_ago), **kw)


def _open(client, stripe_on, order, session_id="cs_test_a1"):
    """Open a card session for the order through the buyer's button; return the request."""
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json(session_id, amount=order.total))
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.status_code == 303
    [(request, _)] = stripe_on.log
    stripe_on.clear()
    return request


def _card(db, session_id="cs_test_a1") -> CardCheckout:
    db.session.expire_all()
    return db.session.scalar(sa.select(CardCheckout).where(CardCheckout.session_id == session_id))


def _rows(db, order):
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).all()


NOT_EXPIRABLE = {"error": {"type": "invalid_request_error",
                           "message": "Session is not in an expirable state"}}


def _cancel_while_paying(stripe_on, order):
    """Cancel the order while the buyer is already paying on Stripe's page (expire refused)."""
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1/expire", method="POST") \
        .respond_with_json(NOT_EXPIRABLE, status=400)
    change_status(order, "cancelled", by_id=None, reason="Quá hạn")
    assert [r.path for r, _ in stripe_on.log] == ["/v1/checkout/sessions/cs_test_a1/expire"]
    stripe_on.clear()


def _paid_event(db, client, card, event_id="evt_late_1", payment_intent="pi_test_123"):
    body = event_body(event_id, "checkout.session.completed",
                      session_object(card, payment_intent=payment_intent))
    return post_webhook(client, body)


# --- a card session never outlives its order --------------------------------------------------


def test_session_expires_at_the_orders_payment_deadline(client, db, stripe_on, rice, clock):
    order = _card_order(rice, minutes_ago=10)
    request = _open(client, stripe_on, order)
    deadline = NOW + timedelta(minutes=50)  # placed 10 minutes ago, unpaid orders live 60
    assert _form(request)["expires_at"] == [str(int(deadline.timestamp()))]
    assert _card(db).expires_at == deadline


def test_an_order_due_within_30_minutes_gets_stripes_shortest_session(client, db, stripe_on,
                                                                        rice, clock):
    order = _card_order(rice, minutes_ago=45)
    request = _open(client, stripe_on, order)
    shortest = NOW + timedelta(minutes=31)  # Stripe refuses under 30 minutes
    assert _form(request)["expires_at"] == [str(int(shortest.timestamp()))]


def test_an_order_that_never_expires_gets_a_23_hour_session(client, db, stripe_on, rice, clock):
    order = make_order(rice.stall, [(rice, 1)], payment_method="cash", placed_at=NOW)
    request = _open(client, stripe_on, order)
    assert _form(request)["expires_at"] == [str(int((NOW + timedelta(hours=23)).timestamp()))]


def test_an_order_past_its_deadline_cannot_open_a_session(client, db, stripe_on, rice, clock):
    order = _card_order(rice, minutes_ago=61)
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.status_code == 409
    assert "Đơn đã hết hạn thanh toán bằng thẻ" in resp.get_data(as_text=True)
    assert stripe_on.log == []


def test_a_session_is_not_reused_past_its_orders_deadline(client, db, stripe_on, rice, clock):
    order = _card_order(rice, minutes_ago=10)
    _open(client, stripe_on, order)
    clock.shift(timedelta(minutes=46))  # the session has 4 minutes left, the order too
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert stripe_on.log == []
    assert resp.status_code == 409  # neither reused nor opened anew: pay another way


def test_a_session_about_to_expire_is_replaced_not_reused(client, db, stripe_on, rice, clock):
    order = make_order(rice.stall, [(rice, 3)], payment_method="cash", placed_at=NOW)
    _open(client, stripe_on, order)
    clock.shift(timedelta(hours=22, minutes=57))
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json("cs_test_b2"))
    resp = client.post(f"/pay/{order.code}/card", data={"t": order.access_token})
    assert resp.headers["Location"].endswith("cs_test_b2")


def test_seller_cancelling_expires_the_open_session(client, auth, db, stripe_on, rice, seller,
                                                      clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1/expire", method="POST") \
        .respond_with_json(_session_json(status="expired"))
    auth.login(seller)
    client.post(f"/seller/orders/{order.code}/cancel",
                data={"once_key": new_key(), "reason": "Hết hàng"})
    [(request, _)] = stripe_on.log
    assert request.headers["Idempotency-Key"] == "cho40-expire-cs_test_a1"
    assert request.get_data(as_text=True) == ""
    assert _card(db).status == "expired"
    assert db.session.get(Order, order.id).status == "cancelled"


def test_expiry_job_cancels_the_order_and_expires_its_session(app, client, db, stripe_on, rice,
                                                              clock):
    # Opened with 15 minutes left, the session got Stripe's shortest life (31 minutes).
    order = _card_order(rice, minutes_ago=45)
    _open(client, stripe_on, order)
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1/expire", method="POST") \
        .respond_with_json(_session_json(status="expired"))
    clock.shift(timedelta(minutes=16))
    with app.test_request_context():
        assert expire_unpaid_orders() == 1
    [(request, _)] = stripe_on.log
    assert request.path == "/v1/checkout/sessions/cs_test_a1/expire"
    assert request.headers["Idempotency-Key"] == "cho40-expire-cs_test_a1"
    assert _card(db).status == "expired"
    fresh = db.session.get(Order, order.id)
    assert (fresh.status, fresh.cancel_reason) == ("cancelled", "Quá hạn thanh toán, đơn tự hủy.")


def test_expiry_job_leaves_a_session_that_ended_with_its_order_alone(app, client, db, stripe_on,
                                                                      rice, clock):
    order = _card_order(rice, minutes_ago=5)
    _open(client, stripe_on, order)  # expires_at is the order's deadline
    clock.shift(timedelta(minutes=56))
    with app.test_request_context():
        assert expire_unpaid_orders() == 1
    assert stripe_on.log == []
    assert db.session.get(Order, order.id).status == "cancelled"


def test_stripe_refusing_to_expire_does_not_stop_the_cancel(client, auth, db, stripe_on, rice,
                                                             seller, clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1/expire", method="POST") \
        .respond_with_json(NOT_EXPIRABLE, status=400)
    auth.login(seller)
    client.post(f"/seller/orders/{order.code}/cancel",
                data={"once_key": new_key(), "reason": "Hết hàng"})
    assert db.session.get(Order, order.id).status == "cancelled"
    assert _card(db).status == "open"  # its payment, if any, is refunded when it arrives


def test_a_session_covering_other_orders_is_expired_too(client, auth, db, stripe_on, rice,
                                                        seller, clock):
    from tests.factories import make_checkout, make_product, make_stall

    other = make_product(make_stall(), name="Tương Bần", price=60000, unit="chai")
    mine = _card_order(rice)
    theirs = make_order(other.stall, [(other, 1)], payment_method="card",
                        placed_at=NOW - timedelta(minutes=10))
    checkout = make_checkout([mine, theirs])
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json(
        _session_json(amount=195000))
    client.post(f"/pay/{checkout.code}/card", data={"t": mine.access_token})
    stripe_on.clear()
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1/expire", method="POST") \
        .respond_with_json(_session_json(status="expired"))
    auth.login(seller)
    client.post(f"/seller/orders/{mine.code}/cancel",
                data={"once_key": new_key(), "reason": "Hết hàng"})
    assert [r.path for r, _ in stripe_on.log] == ["/v1/checkout/sessions/cs_test_a1/expire"]


# --- card money that comes late or beyond what is owed goes back through Stripe --------------


def test_card_payment_after_cancel_is_refunded_in_full(client, auth, db, stripe_on, rice, seller,
                                                       clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    card = _card(db)
    _cancel_while_paying(stripe_on, order)
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(
        _refund_json("re_late_1", 135000))
    resp = _paid_event(db, client, card)
    assert resp.status_code == 200 and resp.json["outcome"] == "fulfilled"
    [(request, _)] = stripe_on.log
    assert request.headers["Idempotency-Key"] == f"cho40-refund-pi_test_123:{order.code}"
    form = _form(request)
    assert form["payment_intent"] == ["pi_test_123"] and form["amount"] == ["135000"]
    assert form["metadata[order_code]"] == [order.code]
    assert form["metadata[reason]"] == ["cancelled"]
    paid, refund = _rows(db, order)
    assert (paid.kind, paid.method, paid.amount) == ("payment", "card", 135000)
    assert (refund.kind, refund.method, refund.amount, refund.provider_ref, refund.reverses_id) \
        == ("refund", "card", -135000, "re_late_1", paid.id)
    assert db.session.get(Order, order.id).paid_amount == 0
    track = client.get(f"/orders/{order.code}?t={order.access_token}").get_data(as_text=True)
    assert "Đã hoàn 135.000 ₫ qua thẻ" in track
    auth.login(seller)
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Đã hoàn 135.000 ₫ qua thẻ" in page and "Cần trả lại khách" not in page
    ledger = client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True)
    assert "re_late_1" in ledger and "Hoàn tiền" in ledger


def test_replaying_the_late_payment_refunds_once(client, db, stripe_on, rice, clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    card = _card(db)
    _cancel_while_paying(stripe_on, order)
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(_refund_json())
    _paid_event(db, client, card, "evt_a")
    _paid_event(db, client, card, "evt_a")  # replay
    resp = _paid_event(db, client, card, "evt_b")  # another event for the same session
    assert resp.json["outcome"] == "already fulfilled"
    assert len([r for r, _ in stripe_on.log if r.path == "/v1/refunds"]) == 1
    assert [r.amount for r in _rows(db, order)] == [135000, -135000]


def test_card_payment_after_cash_is_refunded_and_not_counted_twice(client, auth, db, stripe_on,
                                                                   rice, seller, clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    card = _card(db)
    # The buyer is already on Stripe's page: expiring the session fails.
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1/expire", method="POST") \
        .respond_with_json(NOT_EXPIRABLE, status=400)
    auth.login(seller)
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)

    key = page_keys(page)[0]
    client.post(f"/seller/orders/{order.code}/payments/cash",
                data={"amount": "135.000", "once_key": key})
    assert [r.path for r, _ in stripe_on.log] == ["/v1/checkout/sessions/cs_test_a1/expire"]
    stripe_on.clear()
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(
        _refund_json("re_extra_1"))
    _paid_event(db, client, card)
    [(request, _)] = stripe_on.log
    form = _form(request)
    assert (form["amount"], form["payment_intent"], form["metadata[reason]"]) == (
        ["135000"], ["pi_test_123"], ["overpaid"])
    assert request.headers["Idempotency-Key"] == f"cho40-refund-pi_test_123:{order.code}"
    fresh = db.session.get(Order, order.id)
    assert fresh.paid_amount == fresh.total == 135000
    assert [(r.method, r.kind, r.amount) for r in _rows(db, order)] == [
        ("cash", "payment", 135000), ("card", "payment", 135000), ("card", "refund", -135000)]
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Đã hoàn 135.000 ₫ qua thẻ" in page and "Cần trả lại khách" not in page


def test_only_the_surplus_of_a_partly_owed_card_payment_is_refunded(client, auth, db, stripe_on,
                                                                    rice, seller, clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    card = _card(db)
    record_payment(order, "cash", 50000, provider_ref="cash-part")
    db.session.commit()
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(
        _refund_json("re_part_1", 50000))
    _paid_event(db, client, card)
    [(request, _)] = stripe_on.log
    assert _form(request)["amount"] == ["50000"]
    fresh = db.session.get(Order, order.id)
    assert fresh.paid_amount == fresh.total
    # Cancelling later gives back the rest of the card money, and the cash is owed back.
    stripe_on.clear()
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(
        _refund_json("re_rest_1", 85000))
    change_status(fresh, "cancelled", by_id=None, reason="Khách đổi ý")
    [(request, _)] = stripe_on.log
    card_row = next(r for r in _rows(db, order) if r.kind == "payment" and r.method == "card")
    assert request.headers["Idempotency-Key"] == f"cho40-refund-{card_row.id}-rest"
    assert _form(request)["amount"] == ["85000"]
    assert db.session.get(Order, order.id).paid_amount == 50000
    auth.login(seller)
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Cần trả lại khách 50.000 ₫" in page
    assert "Đã hoàn 50.000 ₫ qua thẻ" in page and "Đã hoàn 85.000 ₫ qua thẻ" in page


def test_stripe_down_at_refund_time_keeps_nothing_and_stripe_retries(client, db, stripe_on,
                                                                     rice, clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    card = _card(db)
    _cancel_while_paying(stripe_on, order)
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(
        {"error": {"type": "api_error", "message": "boom"}}, status=500)
    resp = _paid_event(db, client, card, "evt_retry")
    assert resp.status_code == 502
    assert _rows(db, order) == [] and _card(db).status == "open"
    stripe_on.clear()
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(_refund_json())
    assert _paid_event(db, client, card, "evt_retry").json["outcome"] == "fulfilled"
    assert [r.amount for r in _rows(db, order)] == [135000, -135000]
    keys = {r.headers["Idempotency-Key"] for r, _ in stripe_on.log}
    assert keys == {f"cho40-refund-pi_test_123:{order.code}"}


def test_success_page_tells_the_buyer_the_late_payment_was_refunded(client, db, stripe_on, rice,
                                                                    clock):
    order = _card_order(rice)
    _open(client, stripe_on, order)
    card = _card(db)
    _cancel_while_paying(stripe_on, order)
    stripe_on.expect_request("/v1/checkout/sessions/cs_test_a1", method="GET").respond_with_json(
        session_object(card))
    stripe_on.expect_request("/v1/refunds", method="POST").respond_with_json(_refund_json())
    html = client.get("/pay/card/success?session_id=cs_test_a1").get_data(as_text=True)
    assert "Đã hủy" in html and "Đã hoàn 135.000 ₫ qua thẻ" in html


# --- surplus cash or transfer money is owed back until the seller returns it ---------------


def _overpaid(rice):
    order = make_order(rice.stall, [(rice, 2)])  # 90.000 ₫
    record_payment(order, "cash", 90000, provider_ref="cash-1")
    record_payment(order, "vietqr", 20000, provider_ref="FT-extra")
    from marketplace.extensions import db

    db.session.commit()
    return order


def test_surplus_transfer_shows_as_owed_back(client, auth, rice, seller):
    order = _overpaid(rice)
    auth.login(seller)
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Cần trả lại khách 20.000 ₫" in page
    assert f"/seller/orders/{order.code}/payments/return" in page


def test_seller_confirms_then_records_the_money_returned(client, auth, db, rice, seller):
    order = _overpaid(rice)
    auth.login(seller)
    confirm = client.get(f"/seller/orders/{order.code}/payments/return").get_data(as_text=True)
    assert "Cần trả lại khách 20.000 ₫" in confirm and 'value="vietqr"' in confirm
    assert _rows(db, order)[-1].amount == 20000  # nothing written by looking
    resp = client.post(f"/seller/orders/{order.code}/payments/return",
                       data={"once_key": new_key(), "method": "vietqr"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Đã ghi nhận trả lại khách 20.000 ₫" in html
    assert "Đã chuyển khoản trả lại 20.000 ₫" in html and "Cần trả lại khách" not in html
    last = _rows(db, order)[-1]
    assert (last.kind, last.method, last.amount, last.recorded_by_id) == (
        "refund", "vietqr", -20000, seller.id)
    assert db.session.get(Order, order.id).paid_amount == 90000
    track = client.get(f"/orders/{order.code}?t={order.access_token}").get_data(as_text=True)
    assert "Đã chuyển khoản trả lại 20.000 ₫" in track


def test_returning_twice_records_once(client, auth, db, rice, seller):
    order = _overpaid(rice)
    auth.login(seller)
    client.post(f"/seller/orders/{order.code}/payments/return",
                data={"once_key": new_key(), "method": "cash"})
    html = client.post(f"/seller/orders/{order.code}/payments/return",
                       data={"once_key": new_key(), "method": "cash"},
                       follow_redirects=True).get_data(as_text=True)
    assert "không còn tiền phải trả lại khách" in html
    assert [r.amount for r in _rows(db, order)] == [90000, 20000, -20000]


def test_return_needs_a_known_method(client, auth, db, rice, seller):
    order = _overpaid(rice)
    auth.login(seller)
    html = client.post(f"/seller/orders/{order.code}/payments/return",
                       data={"once_key": new_key(), "method": "card"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Chọn cách đã trả lại tiền cho khách." in html
    assert len(_rows(db, order)) == 2


def test_customer_sees_money_owed_back_on_a_cancelled_order(client, db, rice):
    order = make_order(rice.stall, [(rice, 2)], paid=True)
    change_status(order, "cancelled", by_id=None, reason="Hết hàng")
    track = client.get(f"/orders/{order.code}?t={order.access_token}").get_data(as_text=True)
    assert "Người bán cần trả lại bạn 90.000 ₫." in track


def test_another_seller_cannot_see_or_record_a_return(client, auth, db, rice):
    order = _overpaid(rice)
    auth.login(make_seller())
    assert client.get(f"/seller/orders/{order.code}/payments/return").status_code == 404
    resp = client.post(f"/seller/orders/{order.code}/payments/return",
                       data={"once_key": new_key(), "method": "cash"})
    assert resp.status_code == 404
    assert len(_rows(db, order)) == 2


def test_anonymous_cannot_record_a_return(client, db, rice):
    order = _overpaid(rice)
    resp = client.post(f"/seller/orders/{order.code}/payments/return",
                       data={"once_key": new_key(), "method": "cash"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert len(_rows(db, order)) == 2


def test_the_customer_reads_refunds_and_money_owed_back_in_english(client, db, rice):
    order = _overpaid(rice)
    record_payment(order, "cash", -10000, kind="refund", provider_ref="return-x")
    db.session.commit()
    client.post("/lang/en", data={"next": "/"})
    html = client.get(f"/orders/{order.code}?t={order.access_token}").get_data(as_text=True)
    assert "10.000 ₫ returned in cash" in html
    assert "The seller owes you 10.000 ₫ back." in html
