"""Public pages: browse with search and filters, and the stall page."""

from datetime import timedelta

from marketplace.formatting import vn_today
from marketplace.provenance.models import Certificate
from tests.factories import make_product, make_stall


def _html(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_search_ignores_accents_and_case(client):
    make_product(name="Vải thiều Lục Ngạn", code="VAI0001")
    make_product(name="Gạo thơm", code="GAO0001")
    html = _html(client, "/products?q=VAI+thieu")
    assert "Vải thiều Lục Ngạn" in html
    assert "Gạo thơm" not in html


def test_search_finds_products_by_stall_name(client):
    stall = make_stall(name="Tương làng Trí Yên")
    make_product(stall, name="Tương bần")
    make_product(name="Gạo nếp")
    html = _html(client, "/products?q=tri+yen")
    assert "Tương bần" in html and "Gạo nếp" not in html


def test_tiles_link_to_provenance_page(client):
    make_product(name="Mật ong", code="MAT0NG1")
    assert 'href="/p/MAT0NG1"' in _html(client, "/products")


def test_inactive_products_are_hidden(client):
    make_product(name="Đã ngừng bán", active=False)
    assert "Đã ngừng bán" not in _html(client, "/products")


def test_filter_by_category(client):
    make_product(name="Vải thiều", category="trai-cay")
    make_product(name="Gạo thơm", category="gao")
    html = _html(client, "/products?category=trai-cay")
    assert "Vải thiều" in html and "Gạo thơm" not in html


def test_filter_by_province(client):
    make_product(make_stall(province="Bắc Giang"), name="Vải thiều")
    make_product(make_stall(province="Hà Nội"), name="Bánh cốm")
    html = _html(client, "/products?province=H%C3%A0+N%E1%BB%99i")
    assert "Bánh cốm" in html and "Vải thiều" not in html


def test_filter_by_ocop_stars_minimum(client):
    make_product(name="Ba sao", ocop_stars=3, ocop_year=2021)
    make_product(name="Bốn sao", ocop_stars=4, ocop_year=2022)
    make_product(name="Không sao")
    html = _html(client, "/products?ocop=4")
    assert "Bốn sao" in html and "Ba sao" not in html and "Không sao" not in html


def test_filter_by_certificate_of_product_or_stall(client, db, any_hour):
    certified_stall = make_stall()
    by_stall = make_product(certified_stall, name="Vải của HTX")
    by_product = make_product(name="Vải của hộ")
    make_product(name="Vải thường")
    expired_holder = make_product(name="Vải hết hạn")
    future = vn_today() + timedelta(days=300)
    db.session.add_all([
        Certificate(stall=certified_stall, kind="vietgap", number="1", issuer="Sở NN",
                    valid_until=future),
        Certificate(product=by_product, kind="vietgap", number="2", issuer="Sở NN",
                    valid_until=None),
        Certificate(product=expired_holder, kind="vietgap", number="3", issuer="Sở NN",
                    valid_until=vn_today() - timedelta(days=1)),
    ])
    db.session.commit()
    html = _html(client, "/products?certificate=vietgap")
    assert by_stall.name in html and by_product.name in html
    assert "Vải thường" not in html and "Vải hết hạn" not in html


def test_browse_paginates_24_per_page(client):
    stall = make_stall()
    for n in range(30):
        make_product(stall, name=f"Sản phẩm số {n:02d}")
    first = _html(client, "/products")
    second = _html(client, "/products?page=2")
    assert first.count('class="tile"') == 24
    assert second.count('class="tile"') == 6
    assert "Trang sau" in first


def test_browse_ignores_nonsense_parameters(client):
    make_product(name="Gạo")
    assert "Gạo" in _html(client, "/products?page=abc&ocop=99&category=xyz")
    # A NUL byte is no nonsense to ignore but a broken request (issue 13 §5): 400, explained.
    response = client.get("/products?category=%00")
    assert response.status_code == 400
    assert "ký tự không hợp lệ" in response.get_data(as_text=True)


def test_stall_page_shows_contact_and_products(client):
    stall = make_stall(name="Gạo thơm Yên Dũng", slug="gao-thom", phone="0912000001",
                       zalo="0912000001", story="Ruộng nhà ở Yên Dũng.")
    make_product(stall, name="Gạo Bắc thơm", code="GA0BT01")
    make_product(stall, name="Gạo cũ", active=False)
    html = _html(client, "/s/gao-thom")
    assert 'href="tel:0912000001"' in html
    assert 'href="https://zalo.me/0912000001"' in html
    assert "Ruộng nhà ở Yên Dũng." in html
    assert 'href="/p/GA0BT01"' in html
    assert "Gạo cũ" not in html


def test_unknown_stall_page_is_404(client):
    assert client.get("/s/khong-co").status_code == 404
