"""Checkout: one order per stall under one code, channel and fair, tracking, my orders."""

import re

import sqlalchemy as sa

from marketplace.errors import OutOfStock
from marketplace.extensions import db
from marketplace.orders.models import Checkout, Order, OrderLine, OrderStatusEvent
from tests.factories import (
    make_fair,
    make_participation,
    make_product,
    make_stall,
    make_user,
)
from tests.keys import new_key


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Order).order_by(Order.id)))


def test_checkout_of_two_stalls_makes_two_orders_under_one_code(shop, client):
    rice = make_product(name="Gạo thơm", price=45000, stock=10)
    sauce = make_product(name="Tương", price=30000, stock=10)
    shop.add(rice, 2)
    shop.add(sauce, 1)
    response = shop.checkout([rice.stall, sauce.stall])
    assert response.status_code == 303
    orders = _orders()
    assert len(orders) == 2
    assert _count(Checkout) == 1
    assert {o.checkout_id for o in orders} == {orders[0].checkout_id}
    assert sorted(o.total for o in orders) == [30000, 90000]
    assert all(o.channel == "online" and o.status == "placed" for o in orders)
    assert all(o.customer_phone == "0912345678" for o in orders)
    db.session.refresh(rice)
    assert rice.stock == 8


def test_lines_snapshot_price_unit_and_weight(shop):
    rice = make_product(name="Gạo tám", price=45000, unit="túi 5kg")
    shop.add(rice, 2)
    shop.checkout([rice.stall])
    rice.price = 99000
    db.session.commit()
    line = db.session.scalar(sa.select(OrderLine))
    assert (line.product_name, line.unit, line.unit_price, line.quantity, line.line_total) == (
        "Gạo tám", "túi 5kg", 45000, 2, 90000)
    assert float(line.net_weight_kg) == 1.0


def test_done_page_shows_tracking_links_that_open_the_order(shop, client):
    rice = make_product(name="Bánh đa Cảnh Thụy")
    shop.add(rice, 1)
    response = shop.checkout([rice.stall])
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    order = _orders()[0]
    assert order.code in html
    link = re.search(r'href="https://cho40\.test(/orders/[^"]+)"', html).group(1)
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    assert "Bánh đa Cảnh Thụy" in page.get_data(as_text=True)
    assert "Đã đặt" in page.get_data(as_text=True)


def test_status_history_starts_with_placed(shop):
    rice = make_product()
    shop.add(rice, 1)
    shop.checkout([rice.stall])
    events = db.session.scalars(sa.select(OrderStatusEvent)).all()
    assert [e.status for e in events] == ["placed"]


def test_order_code_is_seven_readable_characters(shop):
    rice = make_product()
    shop.add(rice, 1)
    shop.checkout([rice.stall])
    order = _orders()[0]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{7}", order.code)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{8}", order.checkout.code)


def test_tracking_with_wrong_or_missing_token_is_404(shop, client):
    rice = make_product()
    shop.add(rice, 1)
    shop.checkout([rice.stall])
    order = _orders()[0]
    assert client.get(f"/orders/{order.code}?t=wrong").status_code == 404
    assert client.get(f"/orders/{order.code}").status_code == 404
    assert client.get(f"/orders/{order.code.lower()}?t={order.access_token}").status_code == 200


def test_done_page_is_not_shown_to_another_visitor(shop, app):
    rice = make_product()
    shop.add(rice, 1)
    location = shop.checkout([rice.stall]).headers["Location"]
    assert app.test_client().get(location).status_code == 404


def test_delivery_needs_an_address_and_saves_nothing(shop):
    rice = make_product(stock=5)
    shop.add(rice, 1)
    response = shop.checkout([rice.stall], fulfilment="delivery", address="")
    assert response.status_code == 400
    assert "Vui lòng nhập địa chỉ giao hàng." in response.get_data(as_text=True)
    assert _count(Order) == 0 and _count(Checkout) == 0
    db.session.refresh(rice)
    assert rice.stock == 5


def test_delivery_keeps_the_address(shop):
    rice = make_product()
    shop.add(rice, 1)
    shop.checkout([rice.stall], fulfilment="delivery", address="Thôn Đông, xã Nham Sơn")
    order = _orders()[0]
    assert (order.fulfilment, order.delivery_address) == ("delivery", "Thôn Đông, xã Nham Sơn")


def test_bad_phone_and_missing_name_are_explained(shop):
    rice = make_product()
    shop.add(rice, 1)
    bad_phone = shop.checkout([rice.stall], phone="12ab")
    assert "Số điện thoại không hợp lệ" in bad_phone.get_data(as_text=True)
    no_name = shop.checkout([rice.stall], name="  ")
    assert "Vui lòng nhập họ tên người nhận." in no_name.get_data(as_text=True)
    assert _count(Order) == 0


def test_booth_pickup_is_offered_only_when_the_stall_has_a_booth_at_an_open_fair(shop, client):
    at_fair = make_stall(name="Gian ở chợ")
    home = make_stall(name="Gian ở nhà")
    make_participation(make_fair(state="open"), at_fair, booth="A7")
    shop.add(make_product(at_fair), 1)
    shop.add(make_product(home), 1)
    html = client.get("/checkout").get_data(as_text=True)
    assert f'name="fulfilment_{at_fair.id}" type="radio" value="booth_pickup"' in html
    assert f'name="fulfilment_{home.id}" type="radio" value="booth_pickup"' not in html
    refused = shop.checkout([home], fulfilment="booth_pickup")
    assert refused.status_code == 400
    assert _count(Order) == 0


def test_booth_pickup_records_the_fair_it_is_collected_at(shop):
    stall = make_stall()
    fair = make_fair(state="open")
    make_participation(fair, stall, booth="B2")
    shop.add(make_product(stall), 1)
    shop.checkout([stall], fulfilment="booth_pickup")
    order = _orders()[0]
    assert order.pickup_fair_id == fair.id
    assert order.channel == "online"


def test_order_reached_through_an_open_fair_counts_for_it(shop):
    stall = make_stall()
    fair = make_fair(state="open")
    make_participation(fair, stall)
    shop.visit_fair(fair)
    shop.add(make_product(stall), 1)
    shop.checkout([stall])
    order = _orders()[0]
    assert (order.channel, order.fair_id) == ("fair", fair.id)


def test_fair_visit_does_not_count_stalls_not_at_that_fair(shop):
    fair = make_fair(state="open")
    elsewhere = make_stall()
    shop.visit_fair(fair)
    shop.add(make_product(elsewhere), 1)
    shop.checkout([elsewhere])
    order = _orders()[0]
    assert (order.channel, order.fair_id) == ("online", None)


def test_visit_to_a_closed_fair_counts_as_online(shop):
    stall = make_stall()
    fair = make_fair(state="closed")
    make_participation(fair, stall)
    shop.visit_fair(fair)
    shop.add(make_product(stall), 1)
    shop.checkout([stall])
    assert _orders()[0].channel == "online"


def test_out_of_stock_at_checkout_names_product_and_saves_nothing(shop):
    rice = make_product(name="Gạo thơm", stock=5)
    sauce = make_product(name="Tương bần", stock=2)
    shop.add(rice, 1)
    shop.add(sauce, 2)
    sauce.stock = 1  # sold at the booth meanwhile … but the cart still says 2
    db.session.commit()
    # The cart page would lower it; a checkout posted straight away must refuse.
    response = shop.checkout([rice.stall, sauce.stall])
    assert response.status_code == 303  # stale: back to the cart with the news
    assert _count(Order) == 0
    db.session.refresh(rice)
    assert rice.stock == 5


def test_stock_taken_by_a_race_gives_409_naming_the_product(shop, app):
    from marketplace.once.services import once_for
    from marketplace.orders import services

    rice = make_product(name="Vải thiều", stock=1)
    shop.add(rice, 1)
    view = services.review_cart({str(rice.id): [1, rice.price]})
    # Another buyer takes the last unit after this cart was checked.
    other = make_product(rice.stall, name="Khác")
    db.session.execute(sa.update(type(rice)).where(type(rice).id == rice.id).values(stock=0))
    db.session.commit()
    assert other.id
    try:
        services.place_checkout({str(rice.id): [1, rice.price]},
                                services.CustomerDetails("An", "0912345678"),
                                {rice.stall_id: ("stall_pickup", "cash")}, view=view,
                                once=once_for(new_key(), "checkout", guest_token="g" * 32))
    except OutOfStock as exc:
        assert "Vải thiều" in exc.message
    else:
        raise AssertionError("expected OutOfStock")
    assert _count(Order) == 0 and _count(Checkout) == 0


def test_price_changed_before_checkout_goes_back_to_cart(shop, client):
    rice = make_product(name="Gạo", price=40000)
    shop.add(rice, 1)
    rice.price = 42000
    db.session.commit()
    response = shop.checkout([rice.stall])
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    assert _count(Order) == 0
    html = client.get("/cart").get_data(as_text=True)
    assert "Giá “Gạo” đã đổi từ 40.000 ₫ thành 42.000 ₫." in html


def test_empty_cart_checkout_goes_to_cart(client):
    response = client.get("/checkout")
    assert response.status_code == 303


def test_cart_is_emptied_after_checkout(shop, client):
    rice = make_product()
    shop.add(rice, 1)
    shop.checkout([rice.stall])
    assert "Giỏ hàng đang trống." in client.get("/cart").get_data(as_text=True)


def test_logged_in_shopper_sees_own_orders_only(shop, client, auth, app):
    me, other = make_user(name="Hà"), make_user(name="Bình")
    rice = make_product(name="Gạo của tôi")
    auth.login(me)
    shop.add(rice, 1)
    shop.checkout([rice.stall])
    mine = _orders()[0]
    assert mine.customer_id == me.id
    html = client.get("/my/orders").get_data(as_text=True)
    assert mine.code in html
    other_client = app.test_client()
    other_client.post("/login", data={"login": other.email, "password": "matkhau-123"})
    assert mine.code not in other_client.get("/my/orders").get_data(as_text=True)


def test_my_orders_needs_login(client):
    response = client.get("/my/orders")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_checkout_prefills_logged_in_shopper(shop, client, auth):
    me = make_user(name="Nguyễn Thu Hà", phone="0987000001", email=None)
    auth.login(me)
    shop.add(make_product(), 1)
    html = client.get("/checkout").get_data(as_text=True)
    assert 'value="Nguyễn Thu Hà"' in html and 'value="0987000001"' in html
