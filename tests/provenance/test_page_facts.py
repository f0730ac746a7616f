"""The provenance page: net weight, photos of the diary and certificates, what has expired."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from PIL import Image

from marketplace.formatting import vn_today
from marketplace.provenance.models import Certificate, TimelineStep
from marketplace.storage import StoredImage
from tests.catalog.conftest import png_bytes
from tests.factories import (
    make_batch,
    make_certificate,
    make_product,
    make_seller,
    make_stall,
)


def _page(client, product) -> str:
    return client.get(f"/p/{product.code}").get_data(as_text=True)


def test_the_page_shows_the_net_weight(client):
    product = make_product(net_weight_kg=Decimal("2.500"), unit="hộp")
    assert "khối lượng tịnh 2,5 kg" in _page(client, product)


def _seller_with_product():
    seller = make_seller()
    product = make_product(make_stall(seller), name="Vải thiều")
    return seller, product


def test_a_diary_photo_is_resized_stored_and_shown(client, auth, db):
    seller, product = _seller_with_product()
    auth.login(seller)
    photo = png_bytes(3000, 2000)
    response = client.post(f"/seller/products/{product.id}/steps", data={
        "step-happened_on": "2026-05-01", "step-step": "Thu hoạch",
        "step-photo": (io.BytesIO(photo), "vuon.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    step = db.session.scalar(sa.select(TimelineStep))
    image = db.session.get(StoredImage, step.image_id)
    assert max(image.width, image.height) == 1200
    assert f'src="/img/{step.image_id}.jpg"' in _page(client, product)
    with Image.open(io.BytesIO(client.get(f"/img/{step.image_id}.jpg").data)) as shown:
        assert shown.size == (1200, 800)


def test_a_certificate_scan_is_stored_and_shown(client, auth, db):
    seller, product = _seller_with_product()
    auth.login(seller)
    response = client.post(f"/seller/products/{product.id}/certificates", data={
        "cert-kind": "vietgap", "cert-number": "VG-01", "cert-photo":
        (io.BytesIO(png_bytes(800, 1100)), "giay.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    cert = db.session.scalar(sa.select(Certificate))
    assert cert.image_id is not None
    assert f'src="/img/{cert.image_id}.jpg"' in _page(client, product)


def test_a_file_that_is_not_a_picture_is_a_form_error_and_nothing_is_written(client, auth, db):
    seller, product = _seller_with_product()
    auth.login(seller)
    response = client.post(f"/seller/products/{product.id}/certificates", data={
        "cert-kind": "vietgap", "cert-number": "VG-01",
        "cert-photo": (io.BytesIO(b"%PDF-1.4 not a picture"), "giay.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "không phải là ảnh" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredImage)) == 0


def test_an_expired_certificate_stays_marked_but_does_not_lead(client, any_hour):
    product = make_product()
    make_certificate(product, kind="globalgap", number="GG-OLD",
                     valid_until=vn_today() - timedelta(days=1))
    make_certificate(product, kind="vietgap", number="VG-NEW",
                     valid_until=vn_today() + timedelta(days=30))
    html = _page(client, product)
    lead = html[html.index("<h1>"):html.index('id="origin"')]
    assert "VietGAP" in lead and "GlobalGAP" not in lead
    listed = html[html.index('id="certificates"'):]
    assert listed.index("VG-NEW") < listed.index("GG-OLD")
    assert "Hết hạn" in listed


def test_a_batch_past_its_best_before_is_marked_and_not_sold(client, db, any_hour):
    product = make_product(stock=50)
    make_batch(product, code="L-CU", best_before=vn_today() - timedelta(days=1))
    html = _page(client, product)
    assert "Lô này đã quá hạn sử dụng" in html and "Thêm vào giỏ" not in html
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": "1"},
                           follow_redirects=True)
    assert "đã quá hạn sử dụng, không bán được" in response.get_data(as_text=True)
    assert not client.get("/cart").get_data(as_text=True).count(product.name + "</a>")


def test_out_of_season_the_page_shows_the_season_not_an_expired_lot(client, any_hour):
    today = vn_today()
    product = make_product(stock=0, harvest_start=today - timedelta(days=200),
                           harvest_end=today - timedelta(days=170))
    make_batch(product, code="V-CU", produced_on=today - timedelta(days=190),
               best_before=today - timedelta(days=180))
    html = _page(client, product)
    assert "Đã hết mùa, chưa có hàng" in html and "Thêm vào giỏ" not in html
    assert "Lô của vụ trước: V-CU" in html
    assert "quá hạn" not in html.lower()
    # A label naming that lot still says the lot is past its date.
    labelled = client.get(f"/p/{product.code}?lot=V-CU").get_data(as_text=True)
    assert "Lô này đã quá hạn sử dụng" in labelled


def test_a_fresh_batch_sells_again(client, any_hour):
    product = make_product(stock=50)
    make_batch(product, code="L-CU", best_before=vn_today() - timedelta(days=1),
               produced_on=vn_today() - timedelta(days=40))
    make_batch(product, code="L-MOI", best_before=vn_today(),
               produced_on=vn_today() - timedelta(days=1))
    assert "Thêm vào giỏ" in _page(client, product)
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    assert response.status_code in (302, 303)


def test_nor_at_the_booth(app, any_hour):
    import pytest

    from marketplace.errors import ValidationError
    from marketplace.orders.services import quote_sale

    product = make_product(stock=50)
    make_batch(product, code="L-CU", best_before=vn_today() - timedelta(days=1))
    with app.test_request_context(), pytest.raises(ValidationError, match="quá hạn"):
        quote_sale(product.stall, {product.id: "1"})
