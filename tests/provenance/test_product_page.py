"""The public /p/<code> page a QR label opens."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from marketplace.formatting import vn_today
from tests.factories import (
    make_batch,
    make_certificate,
    make_fair,
    make_participation,
    make_product,
    make_stall,
    make_step,
)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_canonical_code_renders_directly(client):
    product = make_product(name="Gạo thơm Yên Dũng")
    response = client.get(f"/p/{product.code}")
    assert response.status_code == 200
    assert "Gạo thơm Yên Dũng" in html_of(response)


def test_lower_case_code_redirects_permanently_to_canonical(client):
    make_product(code="AB0C123")
    response = client.get("/p/ab0c123")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/p/AB0C123")


def test_letter_o_typed_for_zero_redirects_to_canonical(client):
    make_product(code="AB0C123")
    response = client.get("/p/abOc123")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/p/AB0C123")


def test_redirect_keeps_the_lot(client):
    make_product(code="AB0C123")
    response = client.get("/p/ab0c123?lot=L-01")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/p/AB0C123?lot=L-01")


def test_unknown_code_is_a_friendly_404_page(client):
    response = client.get("/p/ZZZZZZZ")
    assert response.status_code == 404
    html = html_of(response)
    assert "Không tìm thấy sản phẩm" in html
    assert 'name="code"' in html  # a form to type the code again


def test_malformed_code_is_a_friendly_404_page(client):
    response = client.get("/p/not-a-code!")
    assert response.status_code == 404
    assert "Không tìm thấy sản phẩm" in html_of(response)


def test_lookup_form_opens_the_page_of_a_hand_typed_code(client):
    make_product(code="AB0C123")
    response = client.get("/p?code=ab0c 123")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/p/AB0C123")


def test_deactivated_product_is_a_410_page(client):
    product = make_product(name="Tương bần", active=False)
    response = client.get(f"/p/{product.code}")
    assert response.status_code == 410
    html = html_of(response)
    assert "Sản phẩm không còn bán" in html
    assert "Tương bần" in html


def test_product_of_inactive_stall_is_a_410_page(client):
    product = make_product(stall=make_stall(active=False))
    response = client.get(f"/p/{product.code}")
    assert response.status_code == 410


def test_page_shows_price_unit_and_stall_link(client):
    stall = make_stall(name="Bánh đa Cảnh Thụy", slug="banh-da-canh-thuy")
    product = make_product(stall=stall, price=45000, unit="gói")
    html = html_of(client.get(f"/p/{product.code}"))
    assert "45.000 ₫" in html
    assert "/ gói" in html
    assert "Bánh đa Cảnh Thụy" in html
    if "catalog.stall_page" in client.application.view_functions:
        assert 'href="/s/banh-da-canh-thuy"' in html


def test_producer_and_growing_area_fall_back_to_the_stall(client):
    stall = make_stall(producer_name="HTX Vải thiều Phượng Sơn",
                       growing_area_code="VN-BG-LN-PS-012")
    product = make_product(stall=stall, variety="Thanh Hà")
    html = html_of(client.get(f"/p/{product.code}"))
    assert "HTX Vải thiều Phượng Sơn" in html
    assert "VN-BG-LN-PS-012" in html
    assert "Thanh Hà" in html


def test_product_producer_overrides_the_stall(client):
    stall = make_stall(producer_name="HTX chung")
    product = make_product(stall=stall, producer_name="Hộ ông Nguyễn Văn Dũng")
    html = html_of(client.get(f"/p/{product.code}"))
    assert "Hộ ông Nguyễn Văn Dũng" in html
    assert "HTX chung" not in html


def test_latest_batch_is_shown_without_a_lot(client):
    product = make_product()
    make_batch(product, code="CU-01", produced_on=date(2024, 6, 1))
    make_batch(product, code="MOI-02", produced_on=date(2024, 6, 20))
    html = html_of(client.get(f"/p/{product.code}"))
    assert "Lô mới nhất: MOI-02" in html
    assert "CU-01" not in html


def test_label_batch_is_shown_first(client):
    product = make_product()
    make_batch(product, code="CU-01", produced_on=date(2024, 6, 1), quantity=321)
    make_batch(product, code="MOI-02", produced_on=date(2024, 6, 20))
    html = html_of(client.get(f"/p/{product.code}?lot=CU-01"))
    assert "Lô trên tem: CU-01" in html
    assert "01/06/2024" in html
    assert "321" in html


def test_unknown_lot_says_so_and_shows_latest_batch(client):
    product = make_product()
    make_batch(product, code="MOI-02")
    response = client.get(f"/p/{product.code}?lot=KHONG-CO")
    assert response.status_code == 200
    html = html_of(response)
    assert "Không tìm thấy lô KHONG-CO" in html
    assert "Lô mới nhất: MOI-02" in html


def test_timeline_is_in_date_order(client):
    product = make_product()
    make_step(product, happened_on=date(2024, 6, 12), step="Thu hoạch")
    make_step(product, happened_on=date(2024, 3, 1), step="Ra hoa")
    html = html_of(client.get(f"/p/{product.code}"))
    assert html.index("Ra hoa") < html.index("Thu hoạch")


def test_expired_certificate_is_shown_as_expired(client, any_hour):
    product = make_product()
    make_certificate(product, kind="globalgap", number="GGN-1",
                     valid_until=vn_today() - timedelta(days=1))
    html = html_of(client.get(f"/p/{product.code}"))
    assert "GlobalGAP" in html
    assert "Hết hạn" in html


def test_valid_certificate_is_not_marked_expired(client, any_hour):
    product = make_product()
    make_certificate(product, kind="vietgap", number="VG-1",
                     valid_until=vn_today() + timedelta(days=30))
    html = html_of(client.get(f"/p/{product.code}"))
    assert "VietGAP" in html
    assert "VG-1" in html
    assert "Hết hạn" not in html


def test_stall_certificate_appears_on_its_products(client):
    stall = make_stall()
    product = make_product(stall=stall)
    make_certificate(stall=stall, kind="food_safety", number="ATTP-77")
    html = html_of(client.get(f"/p/{product.code}"))
    assert "An toàn thực phẩm" in html
    assert "ATTP-77" in html


def test_ocop_badge_shows_stars_and_year(client):
    product = make_product(ocop_stars=4, ocop_year=2023)
    html = html_of(client.get(f"/p/{product.code}"))
    assert "★★★★ OCOP 2023" in html


def test_contact_links_call_and_zalo(client):
    stall = make_stall(phone="0912 345 678", zalo="0912345678")
    product = make_product(stall=stall)
    html = html_of(client.get(f"/p/{product.code}"))
    assert 'href="tel:0912345678"' in html
    assert 'href="https://zalo.me/0912345678"' in html


def test_current_fair_and_booth_are_shown(client):
    stall = make_stall()
    fair = make_fair(name="Phiên chợ 4.0 Yên Dũng")
    make_participation(fair, stall, booth="B07")
    product = make_product(stall=stall)
    html = html_of(client.get(f"/p/{product.code}"))
    assert "Phiên chợ 4.0 Yên Dũng" in html
    assert "gian số B07" in html


def test_closed_fair_is_not_shown(client):
    stall = make_stall()
    make_participation(make_fair(name="Phiên chợ đã qua", state="closed"), stall, booth="C1")
    product = make_product(stall=stall)
    assert "Phiên chợ đã qua" not in html_of(client.get(f"/p/{product.code}"))


def test_buy_button_posts_product_and_quantity_to_the_cart(client):
    product = make_product(stock=5)
    html = html_of(client.get(f"/p/{product.code}"))
    if "orders.cart_add" in client.application.view_functions:
        from flask import url_for

        with client.application.test_request_context():
            action = url_for("orders.cart_add")
        form = re.search(rf'<form method="post" action="{action}">(.*?)</form>', html, re.S)
        assert form is not None
        assert f'name="product_id" value="{product.id}"' in form.group(1)
        assert 'name="quantity" value="1"' in form.group(1)
    else:
        assert 'name="product_id"' not in html


def test_sold_out_product_has_no_buy_button(client):
    product = make_product(stock=0)
    html = html_of(client.get(f"/p/{product.code}"))
    assert "Tạm hết hàng" in html
    assert 'name="product_id"' not in html


def test_open_graph_tags_are_absolute(client):
    product = make_product(name="Vải thiều Lục Ngạn")
    html = html_of(client.get(f"/p/{product.code}"))
    assert '<meta property="og:title" content="Vải thiều Lục Ngạn">' in html
    assert f'<meta property="og:url" content="https://cho40.test/p/{product.code}">' in html
    assert 'property="og:description"' in html


def test_og_image_is_an_absolute_photo_url(client, db):
    from marketplace.catalog.models import ProductImage
    from marketplace.storage import save_image
    from tests.provenance.helpers import jpeg_bytes

    product = make_product()
    image = save_image(jpeg_bytes())
    db.session.flush()
    db.session.add(ProductImage(product=product, image_id=image.id))
    db.session.commit()
    html = html_of(client.get(f"/p/{product.code}"))
    assert f'<meta property="og:image" content="https://cho40.test/img/{image.id}.jpg">' in html


def test_json_ld_describes_the_product(client):
    product = make_product(name="Tương Trí Yên", price=60000, stock=3, gtin="08936000000017",
                           producer_name="HTX Tương Trí Yên")
    html = html_of(client.get(f"/p/{product.code}"))
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Product"
    assert data["name"] == "Tương Trí Yên"
    assert data["sku"] == product.code
    assert data["gtin"] == "08936000000017"
    assert data["offers"]["price"] == "60000"
    assert data["offers"]["priceCurrency"] == "VND"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["manufacturer"]["name"] == "HTX Tương Trí Yên"


def test_page_is_under_30_kb_with_a_full_record(client):
    stall = make_stall(producer_name="HTX Vải thiều Phượng Sơn", growing_area_code="VN-1")
    product = make_product(stall=stall, description="Vải thiều chín cây, ngọt đậm. " * 20)
    for i in range(3):
        make_batch(product, code=f"LO-{i}")
    for i in range(40):
        make_step(product, step=f"Bước chăm sóc số {i} theo quy trình VietGAP",
                  note="Ghi chú ngắn về bước này")
    for kind in ("vietgap", "globalgap", "organic", "ocop"):
        make_certificate(product, kind=kind)
    response = client.get(f"/p/{product.code}")
    assert response.status_code == 200
    assert len(response.data) < 30 * 1024


def test_page_reads_without_javascript(client):
    product = make_product()
    html = html_of(client.get(f"/p/{product.code}"))
    assert "<script src=" not in html


def test_templates_translate_in_each_requests_language(client, app):
    # Templates' _() keeps each language's strings once: a Vietnamese visit must not leave
    # its words in an English page, not even in a macro imported by an earlier render.
    product = make_product(stall=make_stall())
    make_fair()
    other = app.test_client()
    other.post("/lang/en", data={"next": "/"})
    for _ in range(2):
        vi_page, vi_fairs = html_of(client.get(f"/p/{product.code}")), html_of(client.get("/fairs"))
        en_page, en_fairs = (html_of(other.get(f"/p/{product.code}")),
                             html_of(other.get("/fairs")))
        assert "Nguồn gốc" in vi_page and "Đang mở cửa" in vi_fairs
        assert "Origin" in en_page and "Nguồn gốc" not in en_page
        assert "Open now" in en_fairs and "Đang mở cửa" not in en_fairs
