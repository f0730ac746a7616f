"""QR labels: PNG, SVG and the A4 sheet decode, with a real reader, to the public URL."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from PIL import Image

from tests.factories import make_batch, make_product, make_seller, make_stall
from tests.provenance.helpers import decode_qr_texts


def follow(client, url: str):
    parts = urlsplit(url)
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""))


def test_png_decodes_to_the_absolute_public_url(client):
    product = make_product()
    response = client.get(f"/p/{product.code}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    texts = decode_qr_texts(Image.open(io.BytesIO(response.data)))
    assert texts == [f"https://cho40.test/p/{product.code}?s=1"]


def test_decoded_url_opens_the_product_page(client):
    product = make_product(name="Tinh bột nghệ Thuỳ Dương")
    png = client.get(f"/p/{product.code}/qr.png").data
    [url] = decode_qr_texts(Image.open(io.BytesIO(png)))
    response = follow(client, url)
    assert response.status_code == 200
    assert "Tinh bột nghệ Thuỳ Dương" in response.get_data(as_text=True)


def test_batch_png_carries_the_lot(client):
    product = make_product()
    make_batch(product, code="LN24-A")
    png = client.get(f"/p/{product.code}/qr.png?lot=LN24-A").data
    [url] = decode_qr_texts(Image.open(io.BytesIO(png)))
    assert url == f"https://cho40.test/p/{product.code}?lot=LN24-A&s=1"
    assert "Lô trên tem: LN24-A" in follow(client, url).get_data(as_text=True)


def test_png_is_public_and_cacheable(client):
    product = make_product()
    response = client.get(f"/p/{product.code}/qr.png")
    assert "public" in response.headers["Cache-Control"]
    again = client.get(f"/p/{product.code}/qr.png",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_png_has_a_quiet_zone_of_four_modules(client):
    product = make_product()
    image = Image.open(io.BytesIO(client.get(f"/p/{product.code}/qr.png").data)).convert("L")
    # box_size 10: the first dark pixel of the finder pattern sits 4 modules in.
    first_dark = next(x for x in range(image.width) if image.getpixel((x, image.height // 5)) < 128)
    assert first_dark >= 40


def test_svg_is_an_svg_image(client):
    product = make_product()
    response = client.get(f"/p/{product.code}/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "<svg" in response.get_data(as_text=True)


def test_qr_of_unknown_code_is_404(client):
    assert client.get("/p/ZZZZZZZ/qr.png").status_code == 404


def test_qr_of_lower_case_code_redirects_to_canonical(client):
    make_product(code="AB0C123")
    response = client.get("/p/ab0c123/qr.svg")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/p/AB0C123/qr.svg")


@pytest.fixture
def seller_stall(auth):
    seller = make_seller()
    stall = make_stall(owner=seller, name="Vải thiều Lục Ngạn")
    auth.login(seller)
    return stall


def render_page_one(pdf: bytes, dpi: int = 200) -> Image.Image:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()


def test_label_form_lists_products_and_batches(client, seller_stall):
    product = make_product(stall=seller_stall, name="Vải thiều loại 1")
    batch = make_batch(product, code="LN24-A")
    html = client.get(f"/seller/stalls/{seller_stall.id}/labels").get_data(as_text=True)
    assert "Vải thiều loại 1" in html
    assert f'name="copies-{product.id}-{batch.id}"' in html


def test_label_sheet_decodes_and_leads_to_the_page(client, seller_stall):
    product = make_product(stall=seller_stall, name="Vải thiều loại 1", price=60000, unit="kg")
    response = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                           data={f"copies-{product.id}": "3"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    texts = decode_qr_texts(render_page_one(response.data))
    assert texts and set(texts) == {f"https://cho40.test/p/{product.code}?s=1"}
    page = follow(client, texts[0])
    assert page.status_code == 200
    assert "Vải thiều loại 1" in page.get_data(as_text=True)


def test_label_sheet_prints_vietnamese_name_price_and_code(client, seller_stall):
    import pypdfium2 as pdfium

    product = make_product(stall=seller_stall, name="Bánh đa Cảnh Thụy", price=45000, unit="gói")
    pdf = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                      data={f"copies-{product.id}": "1"}).data
    document = pdfium.PdfDocument(pdf)
    try:
        text = " ".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()
    assert "Bánh đa Cảnh Thụy" in text
    assert "45.000 ₫" in text
    assert "/ gói" in text
    assert product.code in text.replace(" ", "")
    assert "Vải thiều Lục Ngạn" in text  # the stall


def test_batch_labels_encode_the_lot(client, seller_stall):
    product = make_product(stall=seller_stall)
    batch = make_batch(product, code="LN24-B")
    pdf = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                      data={f"copies-{product.id}-{batch.id}": "2"}).data
    texts = decode_qr_texts(render_page_one(pdf))
    assert texts and set(texts) == {f"https://cho40.test/p/{product.code}?lot=LN24-B&s=1"}


def test_21_labels_fill_one_page_and_22_need_two(client, seller_stall):
    import pypdfium2 as pdfium

    product = make_product(stall=seller_stall)
    pages = []
    for copies in ("21", "22"):
        pdf = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                          data={f"copies-{product.id}": copies}).data
        document = pdfium.PdfDocument(pdf)
        pages.append(len(document))
        document.close()
    assert pages == [1, 2]


def test_empty_selection_is_refused_with_a_message(client, seller_stall):
    make_product(stall=seller_stall)
    response = client.post(f"/seller/stalls/{seller_stall.id}/labels", data={})
    assert response.status_code == 400
    assert "Chọn ít nhất một tem để in." in response.get_data(as_text=True)


def test_non_numeric_copies_are_refused(client, seller_stall):
    product = make_product(stall=seller_stall)
    response = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                           data={f"copies-{product.id}": "ba"})
    assert response.status_code == 400
    assert "Số tem phải là số nguyên." in response.get_data(as_text=True)


def test_product_of_another_stall_cannot_be_printed(client, seller_stall):
    other = make_product(name="Hàng của người khác")
    response = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                           data={f"copies-{other.id}": "1"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_batch_of_another_product_cannot_be_printed(client, seller_stall):
    mine = make_product(stall=seller_stall)
    foreign_batch = make_batch(make_product())
    response = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                           data={f"copies-{mine.id}-{foreign_batch.id}": "1"})
    assert response.status_code == 400


def test_too_many_labels_are_refused(client, seller_stall):
    product = make_product(stall=seller_stall)
    response = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                           data={f"copies-{product.id}": "501"})
    assert response.status_code == 400


def _scans(db) -> list[tuple]:
    import sqlalchemy as sa

    from marketplace.provenance.models import ScanEvent
    from marketplace.provenance.scans import flush_scans

    flush_scans()
    db.session.expire_all()
    return [(r.product_id, r.batch_id, r.qr) for r in db.session.scalars(
        sa.select(ScanEvent).order_by(ScanEvent.id))]


def test_a_printed_label_counts_as_a_qr_scan_and_an_old_one_still_works(client, seller_stall,
                                                                          db):
    product = make_product(stall=seller_stall)
    pdf = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                      data={f"copies-{product.id}": "1"}).data
    [url] = set(decode_qr_texts(render_page_one(pdf)))
    client.post("/logout")  # a shopper, not the seller, scans it
    assert follow(client, url).status_code == 200
    old_label = f"/p/{product.code}"  # printed before the flag came in
    assert client.get(old_label, headers={"User-Agent": "another phone"}).status_code == 200
    assert _scans(db) == [(product.id, None, True), (product.id, None, False)]


def test_gs1_digital_link_labels_for_products_with_a_gtin(client, seller_stall, db):
    with_gtin = make_product(stall=seller_stall, gtin="8935049500018", name="Tương Bần")
    batch = make_batch(with_gtin, code="TB 24/05")
    without = make_product(stall=seller_stall, name="Bánh đa")
    form = client.get(f"/seller/stalls/{seller_stall.id}/labels").get_data(as_text=True)
    assert 'name="digital_link"' in form
    pdf = client.post(f"/seller/stalls/{seller_stall.id}/labels", data={
        f"copies-{with_gtin.id}": "1", f"copies-{with_gtin.id}-{batch.id}": "1",
        f"copies-{without.id}": "1", "digital_link": "1"}).data
    texts = set(decode_qr_texts(render_page_one(pdf)))
    assert texts == {
        "https://cho40.test/01/08935049500018?s=1",
        "https://cho40.test/01/08935049500018/10/TB%2024%2F05?s=1",
        f"https://cho40.test/p/{without.code}?s=1",  # no GTIN: the product's own link
    }
    client.post("/logout")
    batch_link = next(t for t in texts if "/10/" in t)
    redirect = follow(client, batch_link)
    assert redirect.status_code == 303
    page = follow(client, redirect.headers["Location"])
    assert page.status_code == 200 and "Lô trên tem: TB 24/05" in page.get_data(as_text=True)
    assert _scans(db) == [(with_gtin.id, batch.id, True)]


def test_without_the_setting_gtin_products_keep_their_own_link(client, seller_stall):
    product = make_product(stall=seller_stall, gtin="8935049500018")
    pdf = client.post(f"/seller/stalls/{seller_stall.id}/labels",
                      data={f"copies-{product.id}": "1"}).data
    assert set(decode_qr_texts(render_page_one(pdf))) == {
        f"https://cho40.test/p/{product.code}?s=1"}


def test_the_setting_is_not_offered_when_no_product_has_a_gtin(client, seller_stall):
    make_product(stall=seller_stall)
    form = client.get(f"/seller/stalls/{seller_stall.id}/labels").get_data(as_text=True)
    assert 'name="digital_link"' not in form
