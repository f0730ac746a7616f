"""Cash at the booth and the ledger: rows are never edited, only corrected or refunded, once."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.payments.models import Payment
from marketplace.payments.services import refund_on_cancel
from tests.factories import make_order, make_seller
from tests.keys import new_key, page_keys


def _rows(db, order):
    return db.session.scalars(
        sa.select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).all()


def _key(client, order) -> str:
    html = client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True)
    return page_keys(html)[0]


def test_seller_records_cash_and_order_becomes_paid(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    resp = client.post(f"/seller/orders/{order.code}/payments/cash",
                       data={"amount": "90.000", "once_key": _key(client, order)},
                       follow_redirects=True)
    assert "Đã ghi nhận tiền mặt" in resp.get_data(as_text=True)
    [row] = _rows(db, order)
    assert (row.method, row.amount, row.recorded_by_id) == ("cash", 90000, seller.id)
    assert row.created_at is not None
    db.session.refresh(order)
    assert order.is_paid


def test_partial_cash_leaves_the_order_unpaid(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    client.post(f"/seller/orders/{order.code}/payments/cash",
                data={"amount": "50000", "once_key": _key(client, order)})
    db.session.refresh(order)
    assert order.paid_amount == 50000 and not order.is_paid


def test_double_submitted_cash_form_is_recorded_once(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    data = {"amount": "20.000", "once_key": _key(client, order)}
    first = client.post(f"/seller/orders/{order.code}/payments/cash", data=data)
    again = client.post(f"/seller/orders/{order.code}/payments/cash", data=data)
    # The repeat answers as the first did: back to the ledger, which shows one row.
    assert again.status_code == first.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert len(_rows(db, order)) == 1


def test_cash_above_what_is_owed_is_refused(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    resp = client.post(f"/seller/orders/{order.code}/payments/cash",
                       data={"amount": "100.000", "once_key": _key(client, order)})
    assert resp.status_code == 400
    assert "lớn hơn số còn phải trả (45.000 ₫)" in resp.get_data(as_text=True)
    assert _rows(db, order) == []


def test_unreadable_cash_amount_is_a_form_error(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    resp = client.post(f"/seller/orders/{order.code}/payments/cash",
                       data={"amount": "bốn mươi", "once_key": _key(client, order)})
    assert resp.status_code == 400 and "Số tiền không hợp lệ" in resp.get_data(as_text=True)


def test_ledger_page_lists_rows_with_who_recorded_them(client, auth, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    auth.login(seller)
    html = client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True)
    assert "Tiền mặt" in html and "45.000 ₫" in html and "Đã thanh toán" in html


def _correct(client, order, row, reason="Ghi trùng hai lần"):
    return client.post(f"/seller/orders/{order.code}/payments/{row.id}/correct",
                       data={"reason": reason, "once_key": new_key()})


def test_correction_asks_for_a_reason_on_a_page_first(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(seller)
    ledger = client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True)
    link = f"/seller/orders/{order.code}/payments/{paid.id}/correct"
    assert f'href="{link}"' in ledger  # a link to a page, not a one-tap button
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="reason"' in html and "45.000 ₫" in html
    assert "Xác nhận sửa khoản ghi nhầm" in html
    assert _rows(db, order) == [paid]  # looking at the page changes nothing


def test_correction_without_a_reason_is_refused(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(seller)
    resp = _correct(client, order, paid, reason="   ")
    assert resp.status_code == 400 and "Ghi rõ lý do" in resp.get_data(as_text=True)
    assert len(_rows(db, order)) == 1


def test_correction_is_a_new_negative_row_with_its_reason(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(seller)
    resp = _correct(client, order, paid, reason="Ghi nhầm  vào đơn này")
    assert resp.status_code == 302
    rows = _rows(db, order)
    assert [(r.kind, r.amount, r.reverses_id, r.recorded_by_id, r.reason) for r in rows] == [
        ("payment", 45000, None, None, None),
        ("correction", -45000, paid.id, seller.id, "Ghi nhầm vào đơn này")]
    db.session.refresh(order)
    assert order.paid_amount == 0 and not order.is_paid


def test_ledger_shows_corrected_rows_struck_through_with_reason_and_who(
        client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(seller)
    _correct(client, order, paid, reason="Khách chưa trả, bấm nhầm")
    html = client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True)
    assert html.count('class="corrected"') == 2  # the mistaken row and its correction
    assert "<s>45.000 ₫</s>" in html and "<s>-45.000 ₫</s>" in html
    assert "Lý do: Khách chưa trả, bấm nhầm" in html and seller.name in html
    assert "đã sửa, không tính" in html


def test_correcting_twice_is_refused(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(seller)
    _correct(client, order, paid)
    resp = _correct(client, order, paid)
    assert resp.status_code == 409 and "đã được sửa hoặc hoàn" in resp.get_data(as_text=True)
    assert len(_rows(db, order)) == 2


def test_a_correction_row_cannot_itself_be_corrected(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(seller)
    _correct(client, order, paid)
    correction = _rows(db, order)[1]
    resp = _correct(client, order, correction)
    assert resp.status_code == 400
    assert len(_rows(db, order)) == 2


def test_a_card_row_is_refunded_not_corrected(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="card")
    [paid] = _rows(db, order)
    auth.login(seller)
    resp = _correct(client, order, paid)
    assert resp.status_code == 400 and "hoàn tiền thẻ" in resp.get_data(as_text=True)
    assert len(_rows(db, order)) == 1


def test_a_row_of_another_order_is_not_found(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    other = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, other)
    auth.login(seller)
    assert client.get(f"/seller/orders/{order.code}/payments/{paid.id}/correct"
                      ).status_code == 404
    assert _correct(client, order, paid).status_code == 404
    assert len(_rows(db, other)) == 1


def test_other_seller_cannot_see_the_ledger(client, auth, rice):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(make_seller())
    assert client.get(f"/seller/orders/{order.code}/payments").status_code == 404


def test_other_seller_cannot_record_cash(client, auth, db, rice):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(make_seller())
    resp = client.post(f"/seller/orders/{order.code}/payments/cash",
                       data={"amount": "45000", "once_key": new_key()})
    assert resp.status_code == 404 and _rows(db, order) == []


def test_other_seller_cannot_correct_or_refund(client, auth, db, rice):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(make_seller())
    for action in ("correct", "refund"):
        url = f"/seller/orders/{order.code}/payments/{paid.id}/{action}"
        assert client.get(url).status_code == 404
        assert client.post(url, data={"reason": "x", "once_key": new_key()}).status_code == 404
    assert len(_rows(db, order)) == 1


def test_anonymous_is_sent_to_login(client, rice):
    order = make_order(rice.stall, [(rice, 1)])
    resp = client.get(f"/seller/orders/{order.code}/payments")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_cancelling_keeps_cash_and_transfer_money_as_owed_back(db, rice):
    order = make_order(rice.stall, [(rice, 2)])
    from marketplace.payments.services import money_summary, record_payment

    record_payment(order, "cash", 50000, provider_ref="cash-a")
    record_payment(order, "vietqr", 40000, provider_ref="FT123")
    order.status = "cancelled"
    db.session.commit()
    assert refund_on_cancel(order, by_id=None) == []  # nobody handed it back yet
    db.session.commit()
    assert sorted(r.amount for r in _rows(db, order)) == [40000, 50000]
    summary = money_summary(order)
    assert (summary.owed, summary.owed_back) == (0, 90000)


def test_cash_is_handed_back_on_the_order_page_not_refunded_here(client, auth, db, rice,
                                                                   seller):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    [paid] = _rows(db, order)
    auth.login(seller)
    url = f"/seller/orders/{order.code}/payments/{paid.id}/refund"
    assert f'href="{url}"' not in client.get(f"/seller/orders/{order.code}/payments").get_data(
        as_text=True)
    resp = client.post(url, data={"reason": "Khách trả lại hàng", "once_key": new_key()})
    assert resp.status_code == 400 and "trả lại khách" in resp.get_data(as_text=True)
    assert len(_rows(db, order)) == 1
