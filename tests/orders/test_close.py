"""Orders a seller can close: booth sales done when paid, payment actions, unpaid handover."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from tests.factories import (
    make_fair,
    make_order,
    make_participation,
    make_product,
    make_seller,
    make_stall,
)
from tests.keys import new_key, page_keys

BANK = {"bank_bin": "970436", "bank_account_number": "0011001234567",
        "bank_account_name": "NGUYEN VAN A"}


def _booth(**stall_kw):
    seller = make_seller()
    stall = make_stall(seller, name="Gạo thơm Yên Dũng", **stall_kw)
    fair = make_fair(state="open", name="Phiên chợ Yên Dũng")
    make_participation(fair, stall, booth="12")
    rice = make_product(stall, name="Gạo thơm", price=45000, stock=20, unit="túi")
    return seller, stall, fair, rice


def _fresh(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def _vietqr_booth_sale(client, rice) -> Order:
    client.post("/seller/pos/sell",
                data={"once_key": new_key(), f"qty_{rice.id}": "2", "method": "vietqr"})
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


# --- a booth sale counts as handed over once it is paid ---------------------------------------


def test_transfer_received_on_a_booth_sale_completes_it(client, auth):
    seller, _stall, fair, rice = _booth(**BANK)
    auth.login(seller)
    order = _vietqr_booth_sale(client, rice)
    packing = client.get(f"/seller/orders/packing?fair={fair.id}").get_data(as_text=True)
    assert order.code in packing  # waiting for the transfer: the goods are still here
    html = client.post(f"/pay/{order.code}/vietqr/received", data={"once_key": new_key()},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Đã nhận chuyển khoản, đơn {order.code} đã giao xong." in html
    fresh = _fresh(order)
    assert (fresh.status, fresh.paid_amount) == ("fulfilled", 90000)
    assert [(e.status, e.by_id) for e in fresh.events] == [
        ("placed", seller.id), ("fulfilled", seller.id)]
    packing = client.get(f"/seller/orders/packing?fair={fair.id}").get_data(as_text=True)
    assert order.code not in packing


def test_cash_recorded_on_a_booth_sale_completes_it(client, auth):
    seller, _stall, _fair, rice = _booth(**BANK)
    auth.login(seller)
    order = _vietqr_booth_sale(client, rice)
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    key = page_keys(page)[0]
    client.post(f"/seller/orders/{order.code}/payments/cash",
                data={"amount": "40.000", "once_key": key})
    assert _fresh(order).status == "placed"  # partly paid: not handed over yet
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    key = page_keys(page)[0]
    client.post(f"/seller/orders/{order.code}/payments/cash",
                data={"amount": "50.000", "once_key": key})
    assert _fresh(order).status == "fulfilled"


def test_a_paid_online_order_is_not_handed_over_by_its_payment(client, auth):
    seller, stall, fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 1)], payment_method="vietqr", channel="fair", fair=fair,
                       fulfilment="booth_pickup", pickup_fair_id=fair.id)
    auth.login(seller)
    client.post(f"/pay/{order.code}/vietqr/received", data={"once_key": new_key()})
    fresh = _fresh(order)
    assert (fresh.status, fresh.paid_amount) == ("placed", 45000)  # the buyer has not come yet


# --- the seller's order page has its payment actions -----------------------------------------


def test_order_page_offers_cash_transfer_and_the_qr(client, auth):
    seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 3)], payment_method="vietqr")
    auth.login(seller)
    html = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Còn phải trả: 135.000 ₫" in html
    assert f'action="/seller/orders/{order.code}/payments/cash"' in html
    assert 'value="135.000"' in html
    assert f'action="/pay/{order.code}/vietqr/received"' in html
    assert "Đã nhận chuyển khoản" in html
    assert f'href="/pay/{order.code}/vietqr?big=1"' in html


def test_order_page_without_a_bank_account_offers_cash_only(client, auth):
    seller, stall, _fair, rice = _booth()
    order = make_order(stall, [(rice, 1)])
    auth.login(seller)
    html = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "/payments/cash" in html and "/vietqr/received" not in html


def test_cash_recorded_from_the_order_page_returns_to_it(client, auth):
    seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 3)], payment_method="vietqr")
    auth.login(seller)
    page = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    key = page_keys(page)[0]
    resp = client.post(f"/seller/orders/{order.code}/payments/cash",
                       data={"amount": "135.000", "once_key": key,
                             "next": f"/seller/orders/{order.code}"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/seller/orders/{order.code}")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã thanh toán" in html and "/payments/cash" not in html


def test_a_foreign_next_is_not_followed(client, auth):
    seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 1)], payment_method="vietqr")
    auth.login(seller)
    resp = client.post(f"/pay/{order.code}/vietqr/received",
                       data={"once_key": new_key(), "next": "https://evil.example/x"})
    assert resp.headers["Location"].endswith(f"/pay/{order.code}/vietqr")


def test_the_qr_is_shown_big_for_the_buyer(client, auth):
    seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 3)], payment_method="vietqr")
    auth.login(seller)
    html = client.get(f"/pay/{order.code}/vietqr?big=1").get_data(as_text=True)
    assert '<body class="qr-big">' in html
    assert "135.000 ₫" in html and 'data-payload="000201' in html


def test_another_seller_sees_no_payment_actions(client, auth):
    _seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 1)], payment_method="vietqr")
    auth.login(make_seller())
    assert client.get(f"/seller/orders/{order.code}").status_code == 404
    assert client.post(f"/pay/{order.code}/vietqr/received",
                       data={"once_key": new_key()}).status_code == 404
    assert db.session.scalars(sa.select(Payment)).all() == []


# --- handing over an unpaid order asks first ------------------------------------------------


def test_handing_over_an_unpaid_order_asks_and_says_what_is_owed(client, auth):
    seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 3)], payment_method="vietqr")
    auth.login(seller)
    resp = client.post(f"/seller/orders/{order.code}/status", data={"status": "fulfilled"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Khách còn nợ 135.000 ₫" in html
    assert 'name="unpaid_ok" value="1"' in html
    assert _fresh(order).status == "placed"
    resp = client.post(f"/seller/orders/{order.code}/status",
                       data={"status": "fulfilled", "unpaid_ok": "1"})
    assert resp.status_code == 303
    fresh = _fresh(order)
    assert (fresh.status, fresh.paid_amount) == ("fulfilled", 0)
    html = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Còn phải trả: 135.000 ₫" in html  # the debt stays on the order


def test_handing_over_a_partly_paid_order_says_the_rest(client, auth):
    seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 3)], payment_method="card")
    from marketplace.payments.services import record_payment

    record_payment(order, "cash", 100000, provider_ref="cash-part")
    db.session.commit()
    auth.login(seller)
    html = client.post(f"/seller/orders/{order.code}/status",
                       data={"status": "fulfilled"}).get_data(as_text=True)
    assert "Khách còn nợ 35.000 ₫" in html
    assert _fresh(order).status == "placed"


def test_handing_over_a_paid_order_asks_nothing(client, auth):
    seller, stall, _fair, rice = _booth(**BANK)
    order = make_order(stall, [(rice, 1)], payment_method="vietqr", paid=True, method="vietqr")
    auth.login(seller)
    resp = client.post(f"/seller/orders/{order.code}/status", data={"status": "fulfilled"})
    assert resp.status_code == 303
    assert _fresh(order).status == "fulfilled"


def test_cash_order_button_says_the_cash_it_records(client, auth):
    seller, stall, _fair, rice = _booth()
    order = make_order(stall, [(rice, 2)], payment_method="cash")
    auth.login(seller)
    html = client.get(f"/seller/orders/{order.code}").get_data(as_text=True)
    assert "Đã giao và thu tiền mặt 90.000 ₫" in html
