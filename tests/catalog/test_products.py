"""A seller adds, edits, deactivates products; bad input is a form error, never a 500."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.catalog.codes import normalize_code
from marketplace.catalog.models import Product
from tests.conftest import PASSWORD
from tests.factories import make_product, make_seller, make_stall


@pytest.fixture
def seller_stall(auth):
    seller = make_seller()
    stall = make_stall(owner=seller, producer_name="HTX Vải thiều Lục Ngạn")
    auth.login(seller)
    return stall


def _products(db):
    return db.session.scalars(sa.select(Product)).all()


def test_product_list_shows_price_stock_and_state(client, seller_stall):
    make_product(seller_stall, name="Gạo thơm", price=45000, stock=12)
    make_product(seller_stall, name="Gạo nếp", active=False)
    html = client.get("/seller/products").get_data(as_text=True)
    assert "Gạo thơm" in html and "45.000 ₫" in html and ">12<" in html
    assert 'class="badge bad">Ngừng bán' in html


def test_seller_without_stall_is_sent_to_create_it(client, auth):
    auth.login(make_seller())
    response = client.get("/seller/products")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/seller/stall")


def test_create_product_gets_code_and_typed_values(client, db, seller_stall, product_form):
    response = client.post("/seller/products/new", data=product_form(gtin="4006381333931"))
    assert response.status_code == 302
    (product,) = _products(db)
    assert normalize_code(product.code) == product.code
    assert product.price == 120000
    assert product.net_weight_kg == Decimal("2.000")
    assert product.stock == 50
    assert product.gtin == "04006381333931"
    assert product.harvest_start.isoformat() == "2024-06-01"
    assert product.search_text == "vai thieu luc ngan vai thieu thanh ha"


def test_product_falls_back_to_stall_producer(client, db, seller_stall, product_form):
    client.post("/seller/products/new", data=product_form())
    (product,) = _products(db)
    assert product.provenance("producer_name") == "HTX Vải thiều Lục Ngạn"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Vui lòng nhập tên sản phẩm."),
        ({"price": "-5000"}, "Giá không được âm."),
        ({"price": "năm mươi"}, "Giá phải là số tiền"),
        ({"price": ""}, "Vui lòng nhập giá bán."),
        ({"gtin": "4006381333932"}, "Mã GTIN sai số kiểm tra"),
        ({"stock": "99999999999999999999"}, "Số lượng tồn quá lớn"),
        ({"stock": "mười"}, "Số lượng tồn phải là số nguyên."),
        ({"stock": "-1"}, "Số lượng tồn không được âm."),
        ({"net_weight_kg": "0"}, "Khối lượng tịnh phải lớn hơn 0."),
        ({"net_weight_kg": "nặng"}, "Khối lượng phải là số kg"),
        ({"category": "vu-khi"}, "Vui lòng chọn một danh mục"),
        ({"unit": "tấn"}, "Vui lòng chọn một đơn vị tính"),
        ({"ocop_stars": "7", "ocop_year": "2023"}, "Phải nằm trong khoảng 3–5."),
        ({"ocop_stars": "3", "ocop_year": ""}, "Vui lòng nhập năm được công nhận OCOP."),
        ({"harvest_start": "2024-07-10", "harvest_end": "2024-06-01"}, "Ngày kết thúc phải sau"),
        ({"harvest_start": "hôm qua"}, "Ngày không hợp lệ"),
        ({"planting_year": "3000"}, "Phải nằm trong khoảng"),
    ],
)
def test_bad_product_input_is_a_form_error(client, db, seller_stall, product_form, overrides,
                                           message):
    response = client.post("/seller/products/new", data=product_form(**overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _products(db) == []


def test_every_mistake_is_shown_at_once_next_to_its_field(client, db, seller_stall,
                                                          product_form):
    """Three mistakes, one submit: the seller sees all three, each under its own field."""
    import re

    response = client.post("/seller/products/new", data=product_form(
        name="", price="-5000", harvest_start="hôm qua", ocop_stars="3", ocop_year=""))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field, message in [("name", "Vui lòng nhập tên sản phẩm."),
                           ("price", "Giá không được âm."),
                           ("harvest_start", "Ngày không hợp lệ"),
                           ("ocop_year", "Vui lòng nhập năm được công nhận OCOP.")]:
        block = re.search(rf'name="{field}".*?(?=name="(?!{field})|\Z)', html, re.S)
        assert block and message in block.group(0), (field, message)
    assert _products(db) == []


def test_every_stall_mistake_is_shown_at_once(client, db, auth):
    auth.login(make_seller())
    response = client.post("/seller/stall", data={
        "name": "", "phone": "12345", "growing_area_code": "mã sai!!", "bank_bin": "999999",
        "bank_account_number": "1", "bank_account_name": "A"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for message in ("Vui lòng nhập tên gian hàng.", "Mã số vùng trồng chỉ gồm",
                    "Ngân hàng không có trong danh sách."):
        assert message in html, message
    assert "Số điện thoại" in html  # the phone's own message


def test_gtin_used_by_another_product_is_refused(client, db, seller_stall, product_form):
    make_product(seller_stall, gtin="04006381333931")
    response = client.post("/seller/products/new", data=product_form(gtin="4006381333931"))
    assert response.status_code == 400
    assert "Mã GTIN này đã gắn với sản phẩm khác." in response.get_data(as_text=True)


def test_edit_product_changes_price_and_keeps_code(client, db, seller_stall, product_form):
    product = make_product(seller_stall, code="ABC1234")
    response = client.post(f"/seller/products/{product.id}/edit",
                           data=product_form(price="99000", ocop_stars="4", ocop_year="2022"))
    assert response.status_code == 302
    db.session.refresh(product)
    assert (product.code, product.price, product.ocop_stars) == ("ABC1234", 99000, 4)


def test_edit_form_shows_current_values(client, seller_stall):
    product = make_product(seller_stall, name="Mật ong rừng", net_weight_kg=Decimal("0.500"))
    html = client.get(f"/seller/products/{product.id}/edit").get_data(as_text=True)
    assert 'value="Mật ong rừng"' in html
    assert 'value="0.5"' in html


def test_deactivate_and_reactivate_product(client, db, seller_stall):
    product = make_product(seller_stall)
    client.post(f"/seller/products/{product.id}/active", data={"active": "0"})
    db.session.refresh(product)
    assert product.active is False
    client.post(f"/seller/products/{product.id}/active", data={"active": "1"})
    db.session.refresh(product)
    assert product.active is True


def test_deactivate_is_post_only(client, seller_stall):
    product = make_product(seller_stall)
    assert client.get(f"/seller/products/{product.id}/active").status_code == 405


def test_new_products_get_distinct_codes(client, db, seller_stall, product_form):
    for n in range(3):
        client.post("/seller/products/new", data=product_form(name=f"Gạo {n}"))
    codes = {p.code for p in _products(db)}
    assert len(codes) == 3


def test_product_form_works_with_csrf_on(second_client, db, product_form):
    import re

    seller = make_seller(phone="0912000077")
    make_stall(owner=seller)
    client = second_client(WTF_CSRF_ENABLED=True)
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', login_page)
    client.post("/login", data={"login": "0912000077", "password": PASSWORD,
                                "csrf_token": token.group(1)})
    page = client.get("/seller/products/new").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    response = client.post("/seller/products/new",
                           data=product_form(csrf_token=token.group(1)))
    assert response.status_code == 302
    assert len(_products(db)) == 1
