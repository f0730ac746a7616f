"""The fee rules at the cart and at checkout: per stall, by zone, free from a threshold."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.delivery.conftest import BAC_NINH, HA_NOI, make_zone
from tests.factories import make_product, make_stall

ADDRESS = "Thôn 3, xã Nam Dương"


def _orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Order).order_by(Order.id)))


@pytest.fixture
def lychee(app):
    stall = make_stall(name="Vải Lục Ngạn")
    return make_product(stall, name="Vải thiều hộp 2kg", price=45000, stock=50)


@pytest.fixture
def sauce(app):
    stall = make_stall(name="Tương Bần")
    return make_product(stall, name="Tương Bần chai", price=30000, stock=50)


def deliver(shop, stalls, province="Bắc Ninh", commune="", address=ADDRESS, **extra):
    return shop.checkout(stalls, fulfilment="delivery", address=address,
                         delivery_province=province, delivery_commune=commune, **extra)


def test_cart_shows_each_stalls_fee_for_the_province_and_the_total_with_fees(
        shop, client, lychee, sauce):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    make_zone(sauce.stall, BAC_NINH, fee=18000)
    shop.add(lychee, 2)
    shop.add(sauce, 1)
    page = client.get("/cart?province=Bắc Ninh").get_data(as_text=True)
    assert "Phí giao đến Bắc Ninh:" in page
    assert "25.000 ₫" in page and "18.000 ₫" in page
    assert "120.000 ₫" in page  # goods
    assert "163.000 ₫" in page  # goods and both fees


def test_cart_before_a_province_shows_the_lowest_fee(shop, client, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    make_zone(lychee.stall, HA_NOI, fee=40000)
    shop.add(lychee, 1)
    page = client.get("/cart").get_data(as_text=True)
    assert "Phí giao tận nơi: từ 25.000 ₫" in page


def test_cart_reads_an_old_province_name(shop, client, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    page = client.get("/cart?province=Bắc Giang").get_data(as_text=True)
    assert "Bắc Giang nay thuộc Bắc Ninh" in page
    assert "25.000 ₫" in page and "70.000 ₫" in page


def test_checkout_stores_the_fee_and_the_total_includes_it(shop, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 2)
    response = deliver(shop, [lychee.stall], commune="Xã Nam Dương")
    assert response.status_code == 303
    [order] = _orders()
    assert (order.delivery_fee, order.total, order.goods_total) == (25000, 115000, 90000)
    assert order.delivery_address == "Thôn 3, xã Nam Dương, Xã Nam Dương, Bắc Ninh"


@pytest.mark.parametrize(("free_from", "fee"), [(90001, 25000), (90000, 0), (89999, 0)])
def test_free_delivery_from_the_threshold(shop, lychee, free_from, fee):
    """Goods of 90 000: one dong under the threshold still pays; at it, delivery is free."""
    make_zone(lychee.stall, BAC_NINH, fee=25000, free_from=free_from)
    shop.add(lychee, 2)
    assert deliver(shop, [lychee.stall]).status_code == 303
    [order] = _orders()
    assert (order.delivery_fee, order.total) == (fee, 90000 + fee)


def test_each_stall_charges_its_own_fee_and_pickup_pays_none(shop, lychee, sauce):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    make_zone(sauce.stall, BAC_NINH, fee=18000)
    shop.add(lychee, 1)
    shop.add(sauce, 1)
    data = {f"fulfilment_{sauce.stall.id}": "stall_pickup"}
    response = deliver(shop, [lychee.stall, sauce.stall], **data)
    assert response.status_code == 303
    fees = {o.stall_id: (o.delivery_fee, o.total, o.delivery_address) for o in _orders()}
    assert fees[lychee.stall.id][:2] == (25000, 70000)
    assert fees[sauce.stall.id] == (0, 30000, "")


def test_a_stall_that_does_not_deliver_there_is_a_form_error(shop, lychee, sauce):
    make_zone(lychee.stall, HA_NOI, fee=25000)
    shop.add(lychee, 1)
    response = deliver(shop, [lychee.stall])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Vải Lục Ngạn không giao hàng đến Bắc Ninh." in page
    assert _orders() == []
    db.session.refresh(lychee)
    assert lychee.stock == 50


def test_a_commune_zone_needs_the_commune_and_wins_over_the_province(shop, lychee):
    from marketplace.delivery import units

    chu = int(units.find_ward(BAC_NINH, "Phường Chũ").code)
    make_zone(lychee.stall, BAC_NINH, fee=10000, wards=[chu])
    shop.add(lychee, 1)
    response = deliver(shop, [lychee.stall])
    assert response.status_code == 400
    assert "chỉ giao đến một số xã/phường của Bắc Ninh" in response.get_data(as_text=True)
    make_zone(lychee.stall, BAC_NINH, fee=35000)  # the rest of the province costs more
    assert deliver(shop, [lychee.stall], commune="phuong chu").status_code == 303
    assert _orders()[0].delivery_fee == 10000


def test_an_old_province_name_finds_the_new_zone(shop, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    assert deliver(shop, [lychee.stall], province="Bắc Giang").status_code == 303
    order = _orders()[0]
    assert order.delivery_fee == 25000
    assert order.delivery_address.endswith("Bắc Ninh")


def test_an_address_stored_under_old_names_finds_the_new_zone(shop, lychee):
    """No province chosen: the address text (written before 2025) names it."""
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    response = deliver(shop, [lychee.stall], province="",
                       address="Thôn 3, xã Nam Dương, huyện Lục Ngạn, tỉnh Bắc Giang")
    assert response.status_code == 303
    order = _orders()[0]
    assert order.delivery_fee == 25000
    assert order.delivery_address == "Thôn 3, xã Nam Dương, huyện Lục Ngạn, tỉnh Bắc Giang"


def test_delivery_without_a_province_asks_for_it(shop, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    response = deliver(shop, [lychee.stall], province="", address="Số 5 ngõ 7")
    assert response.status_code == 400
    assert "Vui lòng chọn tỉnh/thành giao hàng" in response.get_data(as_text=True)
    assert _orders() == []


def test_an_unknown_province_is_a_form_error(shop, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    response = deliver(shop, [lychee.stall], province="Xứ Sở Thần Tiên")
    assert response.status_code == 400
    assert "Không tìm thấy tỉnh/thành “Xứ Sở Thần Tiên”" in response.get_data(as_text=True)
    assert _orders() == []


def test_a_stall_without_zones_delivers_as_before_without_a_fee(shop, lychee):
    shop.add(lychee, 1)
    response = deliver(shop, [lychee.stall], province="", address="12 Hàng Bạc, Hà Nội")
    assert response.status_code == 303
    assert (_orders()[0].delivery_fee, _orders()[0].total) == (0, 45000)


def test_the_fee_button_shows_fees_without_placing_an_order(shop, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 2)
    response = deliver(shop, [lychee.stall], quote="1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Phí giao đến Bắc Ninh:" in page
    assert "115.000 ₫" in page  # the total with the fee
    assert _orders() == []


def test_checkout_page_lists_communes_once_the_province_is_known(shop, client, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    page = deliver(shop, [lychee.stall], quote="1").get_data(as_text=True)
    assert '<option value="Xã Nam Dương">' in page
    assert '<option value="Bắc Ninh">' in page


def test_track_page_shows_the_fee_line(shop, client, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    done = client.get(deliver(shop, [lychee.stall]).headers["Location"]).get_data(as_text=True)
    assert "Phí giao hàng" in done and "70.000 ₫" in done
    order = _orders()[0]
    page = client.get(f"/orders/{order.code}?t={order.access_token}").get_data(as_text=True)
    assert "Phí giao hàng" in page and "25.000 ₫" in page and "70.000 ₫" in page


def test_fees_read_in_english(shop, client, lychee):
    make_zone(lychee.stall, BAC_NINH, fee=25000)
    shop.add(lychee, 1)
    client.post("/lang/en", data={"next": "/cart"})
    page = client.get("/cart?province=Bắc Giang").get_data(as_text=True)
    assert "Delivery fee to Bắc Ninh:" in page
    assert "Bắc Giang is now part of Bắc Ninh (since 1 July 2025)." in page
    response = deliver(shop, [lychee.stall], province="Hà Nội")
    assert "Vải Lục Ngạn does not deliver to Thành phố Hà Nội." in response.get_data(as_text=True)
