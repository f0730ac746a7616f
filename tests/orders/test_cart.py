"""The cart: kept in the session, grouped by stall, honest about bad input and stale lines."""

import pytest

from marketplace.extensions import db
from tests.factories import make_product, make_stall, make_user


def test_cart_groups_lines_by_stall_with_totals(shop):
    rice = make_product(name="Gạo thơm", price=45000)
    sauce = make_product(name="Tương Trí Yên", price=30000)
    shop.add(rice, 2)
    html = shop.add(sauce, 1).get_data(as_text=True)
    assert rice.stall.name in html and sauce.stall.name in html
    assert "90.000 ₫" in html  # 2 × 45.000
    assert "120.000 ₫" in html  # whole cart


def test_adding_twice_adds_up(shop):
    rice = make_product(price=10000)
    shop.add(rice, 2)
    html = shop.add(rice, 3).get_data(as_text=True)
    assert 'value="5"' in html
    assert "50.000 ₫" in html


@pytest.mark.parametrize(("raw", "message"), [
    ("0", "Số lượng phải lớn hơn 0."),
    ("-2", "Số lượng không được âm."),
    ("1.5", "số lượng phải là số nguyên"),
    ("abc", "Số lượng phải là một số."),
    ("", "Vui lòng nhập số lượng."),
    ("10001", "Số lượng tối đa là 10.000."),
    ("9" * 5000, "Số lượng tối đa là 10.000."),
])
def test_bad_quantity_is_refused_with_a_message(shop, raw, message):
    rice = make_product()
    response = shop.add(rice, raw)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert "Giỏ hàng đang trống." in html


def test_more_than_stock_names_the_product(shop):
    rice = make_product(name="Gạo nếp cái hoa vàng", stock=3)
    html = shop.add(rice, 4).get_data(as_text=True)
    assert "Không đủ hàng: Gạo nếp cái hoa vàng chỉ còn 3." in html


def test_unknown_or_malformed_product_is_refused(shop):
    assert "Sản phẩm không tồn tại." in shop.add(999999, 1).get_data(as_text=True)
    assert "Sản phẩm không hợp lệ." in shop.add("abc", 1).get_data(as_text=True)


def test_inactive_product_cannot_be_added(shop):
    rice = make_product(name="Gạo cũ", active=False)
    html = shop.add(rice, 1).get_data(as_text=True)
    assert "“Gạo cũ” hiện không còn bán." in html


def test_product_of_closed_stall_cannot_be_added(shop):
    stall = make_stall(name="Gian tạm nghỉ", active=False)
    rice = make_product(stall, name="Gạo tám")
    html = shop.add(rice, 1).get_data(as_text=True)
    assert "Gian hàng của “Gạo tám” đang tạm đóng." in html


def test_price_change_after_adding_is_shown_and_cart_refreshed(shop, client):
    rice = make_product(name="Bánh đa", price=20000)
    shop.add(rice, 2)
    rice.price = 25000
    db.session.commit()
    html = client.get("/cart").get_data(as_text=True)
    assert "Giá “Bánh đa” đã đổi từ 20.000 ₫ thành 25.000 ₫." in html
    assert "50.000 ₫" in html
    # Seen once: the cart now carries the new price.
    assert "đã đổi" not in client.get("/cart").get_data(as_text=True)


def test_product_deactivated_after_adding_is_dropped_with_a_message(shop, client):
    rice = make_product(name="Vải thiều")
    shop.add(rice, 1)
    rice.active = False
    db.session.commit()
    html = client.get("/cart").get_data(as_text=True)
    assert "“Vải thiều” hiện không còn bán. Đã bỏ khỏi giỏ." in html
    assert "Giỏ hàng đang trống." in html


def test_stock_fallen_below_cart_quantity_is_lowered(shop, client):
    rice = make_product(name="Mỳ rau củ", stock=10)
    shop.add(rice, 5)
    rice.stock = 2
    db.session.commit()
    html = client.get("/cart").get_data(as_text=True)
    assert "“Mỳ rau củ” chỉ còn 2, giỏ đã được cập nhật." in html
    assert 'value="2"' in html


def test_update_changes_quantities_and_zero_removes(shop, client):
    rice, sauce = make_product(name="Gạo A", price=1000), make_product(name="Tương B")
    shop.add(rice, 1)
    shop.add(sauce, 1)
    html = client.post("/cart/update", data={f"qty_{rice.id}": "4", f"qty_{sauce.id}": "0"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Tương B" not in html
    assert 'value="4"' in html


def test_update_with_bad_quantity_changes_nothing(shop, client):
    rice = make_product()
    shop.add(rice, 2)
    html = client.post("/cart/update", data={f"qty_{rice.id}": "1.5"},
                       follow_redirects=True).get_data(as_text=True)
    assert "số lượng phải là số nguyên" in html
    assert 'value="2"' in html


def test_remove_drops_the_line(shop, client):
    rice = make_product(name="Tinh bột nghệ")
    shop.add(rice, 1)
    html = client.post("/cart/remove", data={"product_id": rice.id},
                       follow_redirects=True).get_data(as_text=True)
    assert "Giỏ hàng đang trống." in html


def test_guest_cart_is_kept_when_logging_in(shop, client, auth):
    rice = make_product(name="Gạo thơm Yên Dũng")
    shopper = make_user()
    shop.add(rice, 3)
    auth.login(shopper)
    html = client.get("/cart").get_data(as_text=True)
    assert "Gạo thơm Yên Dũng" in html
    assert 'value="3"' in html


def test_add_returns_to_a_safe_next_page_only(shop):
    rice = make_product()
    ok = shop.client.post("/cart/add", data={"product_id": rice.id, "quantity": "1",
                                             "next": f"/p/{rice.code}"})
    assert ok.headers["Location"] == f"/p/{rice.code}"
    evil = shop.client.post("/cart/add", data={"product_id": rice.id, "quantity": "1",
                                               "next": "//evil.example/"})
    assert evil.headers["Location"] == "/cart"
