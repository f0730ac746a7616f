"""A repeated form — after the first answer, or with the first answer lost — acts once.

Each action is driven through its real pages: the key is read from the rendered form, the form
is posted, then posted again with the same key. The repeat must answer as the first did and
change nothing.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.once.models import OnceKey
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from tests.factories import make_order, make_product, make_stall
from tests.imports import builders as b
from tests.keys import page_keys
from tests.once.conftest import snapshot


def _twice(client, url: str, data: dict):
    """Post the same form twice; return both answers."""
    return client.post(url, data=data), client.post(url, data=data)


def _same_answer(first, again) -> None:
    assert first.status_code in (302, 303)
    assert (again.status_code, again.headers["Location"]) == (
        first.status_code, first.headers["Location"])


def _flashes(client) -> str:
    """The page the user lands on after a redirect shows the flashed outcome."""
    return client.get("/seller/orders").get_data(as_text=True)


def test_checkout_repeated_gets_the_first_checkout(client, rice):
    client.post("/cart/add", data={"product_id": rice.id, "quantity": "2"})
    key = page_keys(client.get("/checkout").get_data(as_text=True))[0]
    lost = client.get_cookie("session").value  # the browser's state before the answer came
    data = {"customer_name": "Trần Văn Khách", "customer_phone": "0912345678",
            f"fulfilment_{rice.stall_id}": "stall_pickup", f"payment_{rice.stall_id}": "cash",
            "once_key": key}
    first = client.post("/checkout", data=data)
    after = snapshot()
    # A retry from a tab that saw the answer (its cart is empty now) …
    again = client.post("/checkout", data=data)
    _same_answer(first, again)
    # … and a retry whose first answer never arrived (the old cookie, the cart still full).
    client.set_cookie("session", lost)
    retry = client.post("/checkout", data=data)
    _same_answer(first, retry)
    assert snapshot() == after
    assert (after["checkouts"], after["orders"], after["stock"][rice.id]) == (1, 1, 8)
    done = client.get(retry.headers["Location"])
    assert done.status_code == 200
    order = db.session.scalars(sa.select(Order)).one()
    assert order.code in done.get_data(as_text=True)
    assert client.get("/cart").get_data(as_text=True).count("Gạo thơm") == 0


def test_two_tabs_on_one_cart_place_one_checkout(client, rice):
    client.post("/cart/add", data={"product_id": rice.id, "quantity": "1"})
    [tab_a] = page_keys(client.get("/checkout").get_data(as_text=True))
    [tab_b] = page_keys(client.get("/checkout").get_data(as_text=True))
    assert tab_a == tab_b
    data = {"customer_name": "An", "customer_phone": "0912345678",
            f"fulfilment_{rice.stall_id}": "stall_pickup", f"payment_{rice.stall_id}": "cash"}
    first = client.post("/checkout", data={**data, "once_key": tab_a})
    again = client.post("/checkout", data={**data, "once_key": tab_b})
    _same_answer(first, again)
    assert (snapshot()["orders"], snapshot()["stock"][rice.id]) == (1, 9)
    # The same product bought again later is a new purchase, with a new key.
    client.post("/cart/add", data={"product_id": rice.id, "quantity": "1"})
    [later] = page_keys(client.get("/checkout").get_data(as_text=True))
    assert later != tab_a
    second = client.post("/checkout", data={**data, "once_key": later})
    assert second.headers["Location"] != first.headers["Location"]
    assert (snapshot()["orders"], snapshot()["stock"][rice.id]) == (2, 8)


def test_a_changed_cart_gets_a_new_checkout_key(client, rice):
    client.post("/cart/add", data={"product_id": rice.id, "quantity": "1"})
    [before] = page_keys(client.get("/checkout").get_data(as_text=True))
    client.post("/cart/add", data={"product_id": rice.id, "quantity": "1"})
    [after] = page_keys(client.get("/checkout").get_data(as_text=True))
    assert before != after


def test_booth_sale_repeated_is_sold_and_paid_once(client, auth, seller, rice):
    auth.login(seller)
    confirm = client.post(f"/seller/pos/confirm?stall={rice.stall_id}",
                          data={f"qty_{rice.id}": "3"}).get_data(as_text=True)
    [key] = page_keys(confirm)
    data = {f"qty_{rice.id}": "3", "method": "cash", "once_key": key}
    first = client.post(f"/seller/pos/sell?stall={rice.stall_id}", data=data)
    after = snapshot()
    again = client.post(f"/seller/pos/sell?stall={rice.stall_id}", data=data)
    _same_answer(first, again)
    assert "Đã bán, thu tiền mặt 135.000 ₫" in client.get(again.headers["Location"]).get_data(
        as_text=True)
    assert snapshot() == after
    assert (after["orders"], after["payments"], after["paid"], after["stock"][rice.id]) == (
        1, 1, 135000, 7)


def test_transfer_booth_sale_repeated_shows_the_same_qr(client, auth, seller, rice):
    auth.login(seller)
    [key] = page_keys(client.post("/seller/pos/confirm", data={f"qty_{rice.id}": "1"})
                      .get_data(as_text=True))
    first, again = _twice(client, "/seller/pos/sell",
                          {f"qty_{rice.id}": "1", "method": "vietqr", "once_key": key})
    _same_answer(first, again)
    order = db.session.scalars(sa.select(Order)).one()
    assert f"/pay/{order.code}/vietqr" in again.headers["Location"]
    assert snapshot()["stock"][rice.id] == 9


def test_manual_order_repeated_is_written_once(client, auth, seller, rice):
    auth.login(seller)
    [key] = page_keys(client.get("/seller/orders/new").get_data(as_text=True))
    data = {f"qty_{rice.id}": "2", "customer_name": "Chị Mai", "customer_phone": "0988111222",
            "channel": "livestream", "fulfilment": "stall_pickup", "method": "vietqr",
            "paid": "y", "once_key": key}
    first = client.post("/seller/orders/new", data=data)
    after = snapshot()
    again = client.post("/seller/orders/new", data=data)
    _same_answer(first, again)
    assert snapshot() == after
    assert (after["orders"], after["payments"], after["paid"], after["stock"][rice.id]) == (
        1, 1, 90000, 8)


def test_cash_repeated_is_recorded_once_though_money_is_still_owed(client, auth, seller, rice):
    order = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    [key] = page_keys(client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True))
    first, again = _twice(client, f"/seller/orders/{order.code}/payments/cash",
                          {"amount": "20.000", "once_key": key})
    _same_answer(first, again)
    assert "Đã ghi nhận tiền mặt" in client.get(again.headers["Location"]).get_data(as_text=True)
    db.session.refresh(order)
    assert order.paid_amount == 20000
    assert snapshot()["payments"] == 1


def test_transfer_received_repeated_is_recorded_once(client, auth, seller, rice):
    order = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    [key] = page_keys(client.get(f"/pay/{order.code}/vietqr").get_data(as_text=True))
    first, again = _twice(client, f"/pay/{order.code}/vietqr/received", {"once_key": key})
    _same_answer(first, again)
    html = client.get(again.headers["Location"]).get_data(as_text=True)
    assert f"Đã ghi nhận chuyển khoản cho đơn {order.code}." in html
    after = snapshot()
    assert (after["payments"], after["paid"]) == (1, 90000)


def test_reconciliation_confirm_repeated_pays_once(client, auth, seller, rice):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    statement = ("Ngày GD;Số tham chiếu;Nội dung;Ghi nợ;Ghi có\n"
                 f"01/07/2026;FT001;{order.code};;45.000\n").encode("utf-8-sig")
    html = client.post("/payments/reconcile", data={"statement": (io.BytesIO(statement), "s.csv")},
                       content_type="multipart/form-data", follow_redirects=True
                       ).get_data(as_text=True)
    action = re.search(r'action="(/payments/reconcile/\d+/confirm)"', html).group(1)
    form = {"line": re.findall(r'name="line" value="(\d+)"', html),
            "once_key": page_keys(html)[0]}
    first, again = _twice(client, action, form)
    _same_answer(first, again)
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Đã ghi nhận 1 khoản chuyển khoản." in shown
    after = snapshot()
    assert (after["payments"], after["paid"]) == (1, 45000)


def test_correction_repeated_is_written_once(client, auth, seller, rice):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    paid = db.session.scalars(sa.select(Payment)).one()
    auth.login(seller)
    url = f"/seller/orders/{order.code}/payments/{paid.id}/correct"
    [key] = page_keys(client.get(url).get_data(as_text=True))
    first, again = _twice(client, url, {"reason": "Ghi trùng", "once_key": key})
    _same_answer(first, again)  # not "already corrected": the first answer again
    assert sorted(db.session.scalars(sa.select(Payment.amount))) == [-45000, 45000]


def test_cancel_repeated_returns_stock_once(client, auth, seller, rice):
    order = make_order(rice.stall, [(rice, 2)], paid=True, method="cash")
    auth.login(seller)
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    key = page_keys(page)[-1]  # the cancel form's
    first, again = _twice(client, f"/seller/orders/{order.code}/cancel",
                          {"reason": "Khách đổi ý", "once_key": key})
    _same_answer(first, again)
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert f"Đã hủy đơn {order.code}" in shown and "không đổi được" not in shown
    after = snapshot()
    assert after["stock"][rice.id] == 12  # make_order took none; the cancel gave back 2, once
    # Cash taken stays on the order as owed back, once (card money would be refunded once).
    assert (after["payments"], after["paid"]) == (1, 90000)
    assert shown.count("Cần trả lại khách 90.000 ₫") == 1


def test_import_confirm_repeated_saves_once(client, auth):
    stall = make_stall()
    product = make_product(stall, name="Vải thiều hộp 2kg", net_weight_kg=Decimal("2.000"))
    auth.login(stall.owner)
    export = b.shopee_file([b.shopee_line("230620AAA", "VAI-2KG", 3)])
    url = client.post("/seller/imports", data={
        "stall": str(stall.id), "files": [(io.BytesIO(export), "o.xlsx")]},
        content_type="multipart/form-data").headers["Location"]
    [key] = page_keys(client.get(url).get_data(as_text=True))
    data = {"action": "confirm", "map:shopee:VAI-2KG": str(product.id), "once_key": key}
    first = client.post(url, data=data)
    after = snapshot()
    again = client.post(url, data=data)  # the upload is gone: still the first answer, not 404
    _same_answer(first, again)
    assert "Đã lưu: 1 dòng mới, 0 dòng cập nhật, 0 dòng không đổi." in client.get(
        again.headers["Location"]).get_data(as_text=True)
    assert snapshot() == after
    assert (after["imports"], after["imported_lines"]) == (1, 1)


# --- keys that are missing, malformed or someone else's --------------------------------------


def test_checkout_without_a_key_is_refused_and_writes_nothing(client, rice):
    client.post("/cart/add", data={"product_id": rice.id, "quantity": "1"})
    before = snapshot()
    for bad in (None, "", "short", "x" * 65, "<script>alert(1)</script>"):
        data = {"customer_name": "An", "customer_phone": "0912345678",
                f"fulfilment_{rice.stall_id}": "stall_pickup",
                f"payment_{rice.stall_id}": "cash"}
        if bad is not None:
            data["once_key"] = bad
        response = client.post("/checkout", data=data)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "Biểu mẫu đã cũ hoặc không hợp lệ" in html
        assert len(page_keys(html)) == 1 and page_keys(html)[0] != bad  # a fresh key to resend
    assert snapshot() == before


def test_seller_actions_without_a_key_are_400_and_write_nothing(client, auth, seller, rice):
    order = make_order(rice.stall, [(rice, 1)], paid=True, method="cash")
    unpaid = make_order(rice.stall, [(rice, 1)])
    paid = db.session.scalars(sa.select(Payment)).one()
    auth.login(seller)
    export = b.shopee_file([b.shopee_line("230620AAA", "VAI-2KG", 3)])
    upload = client.post("/seller/imports", data={
        "stall": str(rice.stall_id), "files": [(io.BytesIO(export), "o.xlsx")]},
        content_type="multipart/form-data").headers["Location"]
    before = snapshot()
    posts = [
        ("/seller/pos/sell", {f"qty_{rice.id}": "1", "method": "cash"}),
        ("/seller/orders/new", {f"qty_{rice.id}": "1", "customer_name": "Chị Mai",
                                "customer_phone": "0988111222", "channel": "livestream",
                                "fulfilment": "stall_pickup", "method": "cash"}),
        (f"/seller/orders/{unpaid.code}/payments/cash", {"amount": "45000"}),
        (f"/pay/{unpaid.code}/vietqr/received", {}),
        (f"/seller/orders/{order.code}/payments/{paid.id}/correct", {"reason": "Ghi trùng"}),
        (f"/seller/orders/{order.code}/cancel", {"reason": "Khách đổi ý"}),
        (f"/seller/orders/{order.code}/payments/return", {"method": "cash"}),
        (upload, {"action": "confirm"}),
    ]
    for url, data in posts:
        response = client.post(url, data=data)
        assert response.status_code == 400, url
        assert "Biểu mẫu đã cũ hoặc không hợp lệ" in response.get_data(as_text=True), url
    assert snapshot() == before


def test_a_guest_key_reused_by_another_guest_reveals_nothing(app, rice):
    first, other = app.test_client(), app.test_client()
    for c in (first, other):
        c.post("/cart/add", data={"product_id": rice.id, "quantity": "1"})
    key = page_keys(first.get("/checkout").get_data(as_text=True))[0]
    data = {"customer_name": "An", "customer_phone": "0912345678",
            f"fulfilment_{rice.stall_id}": "stall_pickup", f"payment_{rice.stall_id}": "cash",
            "once_key": key}
    placed = first.post("/checkout", data=data)
    assert placed.status_code == 303
    before = snapshot()
    stolen = other.post("/checkout", data=data)
    assert stolen.status_code == 409
    order = db.session.scalars(sa.select(Order)).one()
    html = stolen.get_data(as_text=True)
    assert order.code not in html and placed.headers["Location"] not in html
    assert "đã được gửi từ nơi khác" in html
    assert snapshot() == before


def test_a_seller_key_reused_by_another_seller_reveals_nothing(app, seller, rice):
    from tests.conftest import AuthActions
    from tests.factories import make_seller

    mine, theirs = app.test_client(), app.test_client()
    AuthActions(mine).login(seller)
    someone = make_seller()
    their_rice = make_product(make_stall(someone), name="Gạo nếp", stock=5)
    AuthActions(theirs).login(someone)
    [key] = page_keys(mine.post("/seller/pos/confirm", data={f"qty_{rice.id}": "1"})
                      .get_data(as_text=True))
    mine.post("/seller/pos/sell", data={f"qty_{rice.id}": "1", "method": "cash",
                                        "once_key": key})
    before = snapshot()
    response = theirs.post("/seller/pos/sell", data={f"qty_{their_rice.id}": "1",
                                                     "method": "cash", "once_key": key})
    assert response.status_code == 409
    order = db.session.scalars(sa.select(Order)).one()
    assert order.code not in response.get_data(as_text=True)
    assert snapshot() == before
    assert db.session.scalars(sa.select(OnceKey.actor_id)).one() == seller.id


def test_the_missing_key_message_follows_the_language(client, rice):
    client.post("/lang/en")
    client.post("/cart/add", data={"product_id": rice.id, "quantity": "1"})
    response = client.post("/checkout", data={
        "customer_name": "An", "customer_phone": "0912345678",
        f"fulfilment_{rice.stall_id}": "stall_pickup", f"payment_{rice.stall_id}": "cash"})
    assert response.status_code == 400
    assert "This form is out of date or not valid" in response.get_data(as_text=True)


def test_money_returned_repeated_is_recorded_once(client, auth, seller, rice):
    from marketplace.orders.services import change_status

    order = make_order(rice.stall, [(rice, 2)], paid=True, method="cash")
    change_status(order, "cancelled", by_id=seller.id, reason="Hết hàng")  # 90.000 owed back
    auth.login(seller)
    page = client.get(f"/seller/orders/{order.code}/payments/return").get_data(as_text=True)
    [key] = page_keys(page)
    first, again = _twice(client, f"/seller/orders/{order.code}/payments/return",
                          {"method": "cash", "once_key": key})
    _same_answer(first, again)
    shown = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Đã ghi nhận trả lại khách 90.000 ₫" in shown
    assert "không còn tiền phải trả lại khách" not in shown
    assert sorted(db.session.scalars(sa.select(Payment.amount))) == [-90000, 90000]
