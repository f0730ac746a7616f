"""The public fair list and fair page: dates, venue, booths, products with search and filters."""

from __future__ import annotations

from datetime import timedelta

from marketplace.extensions import db as _db
from marketplace.formatting import vn_today
from marketplace.provenance.models import Certificate
from tests.factories import (
    make_application,
    make_fair,
    make_organizer,
    make_participation,
    make_product,
    make_stall,
)


def certify(kind: str, *, product=None, stall=None, valid_until=None) -> Certificate:
    cert = Certificate(kind=kind, number="VG-01", issuer="Sở NN&PTNT Bắc Giang",
                       product=product, stall=stall, valid_until=valid_until)
    _db.session.add(cert)
    _db.session.commit()
    return cert


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_fair_list_groups_open_upcoming_and_past_fairs(client, db):
    make_fair(state="open", name="Chợ Đang Mở")
    make_fair(state="upcoming", name="Chợ Sắp Tới")
    make_fair(state="closed", name="Chợ Đã Qua")
    html = page(client, "/fairs")
    assert html.index("Chợ Đang Mở") < html.index("Chợ Sắp Tới") < html.index("Chợ Đã Qua")


def test_drafts_are_hidden_from_the_public(client, db):
    make_fair(name="Chợ Nháp", slug="nhap", published=False)
    assert "Chợ Nháp" not in page(client, "/fairs")
    assert client.get("/fairs/nhap").status_code == 404


def test_a_draft_is_visible_to_its_organizer(client, auth, db):
    organizer = make_organizer()
    make_fair(organizer, name="Chợ Nháp", slug="nhap", published=False)
    auth.login(organizer)
    assert "Chợ Nháp" in page(client, "/fairs")
    assert "Bản nháp" in page(client, "/fairs/nhap")


def test_a_draft_is_hidden_from_another_organizer(client, auth, db):
    make_fair(name="Chợ Nháp", slug="nhap", published=False)
    auth.login(make_organizer())
    assert "Chợ Nháp" not in page(client, "/fairs")
    assert client.get("/fairs/nhap").status_code == 404


def test_unknown_fair_is_404(client, db):
    assert client.get("/fairs/khong-co").status_code == 404


def test_an_open_fair_says_it_is_open_now(client, db):
    make_fair(state="open", slug="mo")
    assert "Đang mở cửa" in page(client, "/fairs/mo")


def test_an_upcoming_fair_does_not_say_open(client, db):
    make_fair(state="upcoming", slug="sap", venue="Sân vận động huyện")
    html = page(client, "/fairs/sap")
    assert "Đang mở cửa" not in html
    assert "Sân vận động huyện" in html


def test_accepted_stalls_are_listed_by_booth_number(client, db):
    fair = make_fair(slug="mo")
    make_participation(fair, make_stall(name="Gian Mười"), booth="10")
    make_participation(fair, make_stall(name="Gian Hai"), booth="2")
    make_application(fair, make_stall(name="Gian Chờ"))
    html = page(client, "/fairs/mo")
    assert html.index("Gian Hai") < html.index("Gian Mười")
    assert "Gian Chờ" not in html


def test_fair_page_shows_active_products_of_accepted_stalls_linking_to_their_label(client, db):
    fair = make_fair(slug="mo")
    stall = make_stall()
    make_participation(fair, stall)
    product = make_product(stall, name="Gạo thơm")
    make_product(stall, name="Gạo ngừng bán", active=False)
    make_product(make_stall(), name="Gạo ngoài chợ")
    html = page(client, "/fairs/mo")
    assert "Gạo thơm" in html and f'href="/p/{product.code}"' in html
    assert "Gạo ngừng bán" not in html
    assert "Gạo ngoài chợ" not in html


def test_search_by_name_ignores_accents(client, db):
    fair = make_fair(slug="mo")
    stall = make_stall()
    make_participation(fair, stall)
    make_product(stall, name="Vải thiều Lục Ngạn")
    make_product(stall, name="Tương Trí Yên")
    html = page(client, "/fairs/mo?q=vai+thieu")
    assert "Vải thiều Lục Ngạn" in html
    assert "Tương Trí Yên" not in html


def test_filter_by_category(client, db):
    fair = make_fair(slug="mo")
    stall = make_stall()
    make_participation(fair, stall)
    make_product(stall, name="Vải thiều", category="trai-cay")
    make_product(stall, name="Gạo nếp", category="gao")
    html = page(client, "/fairs/mo?category=trai-cay")
    assert "Vải thiều" in html and "Gạo nếp" not in html


def test_filter_by_ocop_stars_keeps_at_least_that_many(client, db):
    fair = make_fair(slug="mo")
    stall = make_stall()
    make_participation(fair, stall)
    make_product(stall, name="Tương bốn sao", ocop_stars=4)
    make_product(stall, name="Bánh ba sao", ocop_stars=3)
    make_product(stall, name="Rau thường")
    html = page(client, "/fairs/mo?ocop=4")
    assert "Tương bốn sao" in html
    assert "Bánh ba sao" not in html and "Rau thường" not in html


def test_filter_by_certificate_on_the_product(client, db):
    fair = make_fair(slug="mo")
    stall = make_stall()
    make_participation(fair, stall)
    certify("VietGAP", product=make_product(stall, name="Vải VietGAP"))
    make_product(stall, name="Vải thường")
    html = page(client, "/fairs/mo?certificate=VietGAP")
    assert "Vải VietGAP" in html and "Vải thường" not in html


def test_a_stall_certificate_covers_its_products(client, db):
    fair = make_fair(slug="mo")
    certified, plain = make_stall(), make_stall()
    make_participation(fair, certified)
    make_participation(fair, plain)
    certify("GlobalGAP", stall=certified)
    make_product(certified, name="Vải GlobalGAP")
    make_product(plain, name="Vải chợ")
    html = page(client, "/fairs/mo?certificate=GlobalGAP")
    assert "Vải GlobalGAP" in html and "Vải chợ" not in html


def test_an_expired_certificate_does_not_count(client, db, any_hour):
    fair = make_fair(slug="mo")
    stall = make_stall()
    make_participation(fair, stall)
    certify("VietGAP", product=make_product(stall, name="Vải hết hạn"),
            valid_until=vn_today() - timedelta(days=30))
    assert "Vải hết hạn" not in page(client, "/fairs/mo?certificate=VietGAP")


def test_filter_choices_list_certificate_kinds_present_at_the_fair(client, db):
    fair = make_fair(slug="mo")
    stall = make_stall()
    make_participation(fair, stall)
    certify("Hữu cơ", product=make_product(stall))
    assert '<option value="Hữu cơ"' in page(client, "/fairs/mo")


def test_visiting_an_open_fair_remembers_the_visit(client, db):
    fair = make_fair(state="open", slug="mo")
    client.get("/fairs/mo")
    with client.session_transaction() as sess:
        assert sess["fair_visit"]["id"] == fair.id


def test_visiting_a_closed_fair_does_not_count_as_a_fair_visit(client, db):
    make_fair(state="closed", slug="cu")
    client.get("/fairs/cu")
    with client.session_transaction() as sess:
        assert "fair_visit" not in sess


def test_home_page_shows_open_and_upcoming_fairs(client, db):
    make_fair(state="open", name="Chợ Hôm Nay")
    make_fair(state="upcoming", name="Chợ Tuần Sau")
    make_fair(state="closed", name="Chợ Năm Ngoái")
    html = page(client, "/")
    assert "Chợ Hôm Nay" in html and "Chợ Tuần Sau" in html
    assert "Chợ Năm Ngoái" not in html


def test_nav_links_to_the_fair_list(client, db):
    assert 'href="/fairs"' in page(client, "/")
