"""CSV export and import of a stall's products: all rows or nothing."""

import csv
import io

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from tests.factories import make_product, make_seller, make_stall

HEADER = "code,name,category,unit,net_weight_kg,price,stock,gtin,ocop_stars,ocop_year\n"


@pytest.fixture
def seller_stall(auth):
    seller = make_seller()
    stall = make_stall(owner=seller)
    auth.login(seller)
    return stall


def _upload(client, text: str, url="/seller/products/import"):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "san-pham.csv")}
    return client.post(url, data=data, content_type="multipart/form-data")


def _products(db):
    return db.session.scalars(sa.select(Product).order_by(Product.id)).all()


def test_export_is_utf8_with_bom_and_one_row_per_product(client, seller_stall):
    make_product(seller_stall, name="Bánh đa Cảnh Thụy", ocop_stars=3, ocop_year=2021,
                 growing_area_code="VN-BG-YD-0001")
    make_product(seller_stall, name="Tương Trí Yên")
    make_product(make_stall(), name="Của gian khác")
    response = client.get("/seller/products/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["Bánh đa Cảnh Thụy", "Tương Trí Yên"]
    assert rows[0]["ocop_stars"] == "3"
    assert rows[0]["growing_area_code"] == "VN-BG-YD-0001"


def test_round_trip_updates_products_in_place(client, db, seller_stall):
    product = make_product(seller_stall, name="Gạo thơm", price=45000, variety="Bắc thơm số 7")
    exported = client.get("/seller/products/export.csv").data.decode("utf-8-sig")
    edited = exported.replace("45000", "52000")
    response = _upload(client, edited)
    assert response.status_code == 302
    (same,) = _products(db)
    assert same.id == product.id and same.code == product.code
    assert same.price == 52000
    assert same.variety == "Bắc thơm số 7"


def test_import_creates_rows_without_code(client, db, seller_stall):
    response = _upload(client, HEADER + ",Miến dong,bun-mien,gói,0.5,\"35.000\",20,,,\n")
    assert response.status_code == 302
    (product,) = _products(db)
    assert (product.name, product.price, product.stall_id) == ("Miến dong", 35000, seller_stall.id)
    assert product.code


def test_bad_row_is_reported_with_line_and_nothing_saved(client, db, seller_stall):
    text = (HEADER
            + ",Miến dong,bun-mien,gói,0.5,35000,20,,,\n"
            + ",Mật ong,khac,chai,0.5,-1,5,,,\n"
            + ",Chè,do-uong,gói,0.2,60000,5,4006381333932,,\n")
    response = _upload(client, text)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Dòng 3 (price): Giá không được âm." in html
    assert "Dòng 4 (gtin)" in html
    assert _products(db) == []


def test_code_of_another_stall_is_refused(client, db, seller_stall):
    foreign = make_product(make_stall(), name="Không phải của tôi", price=1000)
    response = _upload(client, HEADER + f"{foreign.code},Cướp,gao,kg,1,1,1,,,\n")
    assert response.status_code == 400
    assert f"Mã {foreign.code} không thuộc gian hàng này." in response.get_data(as_text=True)
    db.session.refresh(foreign)
    assert foreign.name == "Không phải của tôi"


def test_missing_required_column_is_refused(client, db, seller_stall):
    response = _upload(client, "name,category\nGạo,gao\n")
    assert response.status_code == 400
    assert "Thiếu cột bắt buộc." in response.get_data(as_text=True)


def test_non_utf8_file_is_refused(client, db, seller_stall):
    data = {"file": (io.BytesIO((HEADER + ",Bánh,gao,kg,1,1,1,,,\n").encode("latin-1")),
                     "x.csv")}
    response = client.post("/seller/products/import", data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "UTF-8" in response.get_data(as_text=True)
    assert _products(db) == []


def test_semicolon_separated_file_from_excel_is_read(client, db, seller_stall):
    response = _upload(client, "name;category;unit;net_weight_kg;price\nGạo;gao;kg;1;20000\n")
    assert response.status_code == 302
    assert [p.name for p in _products(db)] == ["Gạo"]


def test_import_page_documents_the_columns(client, seller_stall):
    html = client.get("/seller/products/import").get_data(as_text=True)
    for column in ("code", "net_weight_kg", "growing_area_code", "ocop_stars"):
        assert f"<code>{column}</code>" in html


def test_formula_like_text_is_quoted_on_export_and_restored_on_import(client, db, seller_stall):
    make_product(seller_stall, name="Gạo", description="=HYPERLINK(\"x\")")
    exported = client.get("/seller/products/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in exported
    assert _upload(client, exported).status_code == 302
    assert _products(db)[0].description == '=HYPERLINK("x")'
