"""Booth sale screen and manual order entry."""

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from tests.factories import (
    make_fair,
    make_participation,
    make_product,
    make_seller,
    make_stall,
)
from tests.keys import new_key


def _seller_at_fair(**stall_kw):
    seller = make_seller()
    stall = make_stall(seller, **stall_kw)
    fair = make_fair(state="open")
    make_participation(fair, stall, booth="12")
    rice = make_product(stall, name="Gạo thơm", price=45000, stock=20)
    sauce = make_product(stall, name="Tương Trí Yên", price=30000, stock=5)
    return seller, stall, fair, rice, sauce


def _only_order() -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


def test_pos_lists_the_stall_products(client, auth):
    seller, _stall, _fair, rice, sauce = _seller_at_fair()
    make_product(name="Của gian khác")
    auth.login(seller)
    html = client.get("/seller/pos").get_data(as_text=True)
    assert "Gạo thơm" in html and "Tương Trí Yên" in html
    assert "Của gian khác" not in html
    assert f'name="qty_{rice.id}"' in html
    assert "Gian số 12" in html


def test_confirm_step_shows_the_total(client, auth):
    seller, _stall, _fair, rice, sauce = _seller_at_fair()
    auth.login(seller)
    html = client.post("/seller/pos/confirm", data={f"qty_{rice.id}": "2",
                                                    f"qty_{sauce.id}": ""}).get_data(as_text=True)
    assert "90.000 ₫" in html
    assert 'value="cash"' in html and 'value="vietqr"' not in html
    assert _count_orders() == 0


def _count_orders() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def test_cash_sale_is_a_paid_fulfilled_fair_order(client, auth):
    seller, stall, fair, rice, sauce = _seller_at_fair()
    auth.login(seller)
    response = client.post("/seller/pos/sell", data={"once_key": new_key(), f"qty_{rice.id}": "2",
                                                     f"qty_{sauce.id}": "1", "method": "cash"},
                           follow_redirects=True)
    assert "Đã bán, thu tiền mặt 120.000 ₫" in response.get_data(as_text=True)
    order = _only_order()
    assert (order.channel, order.fair_id, order.status) == ("fair", fair.id, "fulfilled")
    assert order.paid_amount == order.total == 120000
    assert order.created_by_id == seller.id
    assert [e.status for e in order.events] == ["placed", "fulfilled"]
    payment = db.session.scalars(sa.select(Payment)).one()
    assert (payment.method, payment.amount, payment.recorded_by_id) == ("cash", 120000, seller.id)
    db.session.refresh(rice)
    assert rice.stock == 18


def test_transfer_qr_is_offered_only_with_a_bank_account(client, auth):
    seller, stall, _fair, rice, _sauce = _seller_at_fair(
        bank_bin="970436", bank_account_number="0011001234567", bank_account_name="NGUYEN VAN A")
    auth.login(seller)
    html = client.post("/seller/pos/confirm", data={f"qty_{rice.id}": "1"}).get_data(as_text=True)
    assert 'value="vietqr"' in html
    response = client.post("/seller/pos/sell",
                           data={"once_key": new_key(), f"qty_{rice.id}": "1", "method": "vietqr"})
    assert response.status_code == 303
    order = _only_order()
    assert order.code in response.headers["Location"]
    assert (order.payment_method, order.paid_amount, order.status) == ("vietqr", 0, "placed")


def test_transfer_refused_without_a_bank_account(client, auth):
    seller, _stall, _fair, rice, _sauce = _seller_at_fair()
    auth.login(seller)
    response = client.post("/seller/pos/sell",
                           data={"once_key": new_key(), f"qty_{rice.id}": "1", "method": "vietqr"})
    assert response.status_code == 400
    assert "Vui lòng chọn cách thanh toán." in response.get_data(as_text=True)
    assert _count_orders() == 0


def test_sale_without_an_open_fair_is_still_recorded(client, auth):
    seller = make_seller()
    rice = make_product(make_stall(seller), price=10000)
    auth.login(seller)
    client.post("/seller/pos/sell",
                data={"once_key": new_key(), f"qty_{rice.id}": "3", "method": "cash"})
    order = _only_order()
    assert (order.channel, order.fair_id, order.total) == ("fair", None, 30000)


def test_bad_quantities_on_the_sale_screen(client, auth):
    seller, _stall, _fair, rice, sauce = _seller_at_fair()
    auth.login(seller)
    cases = {"1.5": "bán theo túi: số lượng phải là số nguyên", "-1": "Số lượng không được âm.",
             "x": "Số lượng phải là một số.", "20000": "Số lượng tối đa là 10.000."}
    for raw, message in cases.items():
        response = client.post("/seller/pos/confirm", data={f"qty_{rice.id}": raw})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    nothing = client.post("/seller/pos/confirm", data={f"qty_{rice.id}": "0"})
    assert "Chọn ít nhất một sản phẩm." in nothing.get_data(as_text=True)


def test_selling_more_than_stock_names_the_product(client, auth):
    seller, _stall, _fair, _rice, sauce = _seller_at_fair()
    auth.login(seller)
    response = client.post("/seller/pos/sell",
                           data={"once_key": new_key(), f"qty_{sauce.id}": "6", "method": "cash"})
    assert response.status_code == 409
    assert "Không đủ hàng: Tương Trí Yên chỉ còn 5." in response.get_data(as_text=True)
    assert _count_orders() == 0


def test_seller_cannot_sell_another_stall_products(client, auth):
    seller, _stall, _fair, _rice, _sauce = _seller_at_fair()
    foreign = make_product(name="Hàng người khác", stock=5)
    auth.login(seller)
    response = client.post("/seller/pos/sell",
                           data={"once_key": new_key(), f"qty_{foreign.id}": "1", "method": "cash"})
    assert response.status_code == 400
    assert _count_orders() == 0
    assert client.get(f"/seller/pos?stall={foreign.stall_id}").status_code == 404
    db.session.refresh(foreign)
    assert foreign.stock == 5


def test_seller_without_a_stall_is_told_to_make_one(client, auth):
    auth.login(make_seller())
    assert "Bạn chưa có gian hàng" in client.get("/seller/pos").get_data(as_text=True)


def test_manual_livestream_order_unpaid(client, auth):
    seller, _stall, _fair, rice, _sauce = _seller_at_fair()
    auth.login(seller)
    response = client.post("/seller/orders/new", data={"once_key": new_key(),
        f"qty_{rice.id}": "4", "customer_name": "Chị Mai", "customer_phone": "0988 111 222",
        "channel": "livestream", "fulfilment": "delivery", "delivery_address": "Bắc Giang",
        "method": "cash",
    })
    assert response.status_code == 303
    order = _only_order()
    assert (order.channel, order.status, order.paid_amount) == ("livestream", "confirmed", 0)
    assert (order.customer_phone, order.total) == ("0988111222", 180000)


def test_manual_order_paid_by_transfer(client, auth):
    seller, _stall, _fair, rice, _sauce = _seller_at_fair(
        bank_bin="970436", bank_account_number="0011001234567")
    auth.login(seller)
    client.post("/seller/orders/new", data={"once_key": new_key(),
        f"qty_{rice.id}": "1", "customer_name": "Anh Long", "customer_phone": "0912000111",
        "channel": "online", "fulfilment": "stall_pickup", "method": "vietqr", "paid": "y",
    })
    order = _only_order()
    assert (order.channel, order.paid_amount) == ("online", 45000)
    assert db.session.scalars(sa.select(Payment.method)).one() == "vietqr"


def test_manual_order_with_errors_saves_nothing(client, auth):
    seller, _stall, _fair, rice, _sauce = _seller_at_fair()
    auth.login(seller)
    response = client.post("/seller/orders/new", data={"once_key": new_key(),
        f"qty_{rice.id}": "1", "customer_name": "", "customer_phone": "0912000111",
        "channel": "livestream", "fulfilment": "stall_pickup", "method": "cash",
    })
    assert response.status_code == 400
    assert "Vui lòng nhập họ tên khách." in response.get_data(as_text=True)
    assert 'value="1"' in response.get_data(as_text=True)  # typed quantities are kept
    assert _count_orders() == 0


def test_search_finds_a_product_without_accents_and_without_javascript(client, auth):
    seller, stall, _fair, rice, sauce = _seller_at_fair()
    lychee = make_product(stall, name="Vải thiều Lục Ngạn", unit="kg")
    auth.login(seller)
    html = client.get("/seller/pos?q=VAI+thieu").get_data(as_text=True)
    assert f'name="qty_{lychee.id}"' in html
    assert f'name="qty_{rice.id}"' not in html and f'name="qty_{sauce.id}"' not in html
    assert 'value="VAI thieu"' in html
    html = client.get("/seller/pos?q=xyz").get_data(as_text=True)
    assert "Không tìm thấy sản phẩm nào khớp “xyz”." in html


def test_the_booth_screen_folds_the_menu_and_keeps_the_charge_bar(client, auth):
    seller, *_rest = _seller_at_fair()
    auth.login(seller)
    html = client.get("/seller/pos").get_data(as_text=True)
    assert '<details class="booth-menu"><summary>Menu</summary>' in html
    assert '<div class="pos-bar">' in html
    assert "js/booth.js" in html


def test_the_booth_screen_with_sixty_products_loads_under_100_kb(client, auth):
    import re

    seller, stall, *_rest = _seller_at_fair()
    for n in range(58):
        make_product(stall, name=f"Sản phẩm đặc sản số {n}", price=10_000 + n)
    auth.login(seller)
    html = client.get("/seller/pos").get_data()
    assert html.count(b'class="pos-row"') == 60
    assets = re.findall(rb'(?:href|src)="(/static/[^"?]+\.(?:css|js))', html)
    assert {b"/static/css/orders.css", b"/static/js/pos.js", b"/static/js/booth.js"} <= set(assets)
    total = len(html) + sum(len(client.get(a.decode()).get_data()) for a in set(assets))
    assert total < 100_000, total  # before compression: HTML, CSS and JS together
