"""A seller sets the stall's delivery zones; bad input is a form error; others are kept out."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.delivery.models import DeliveryZone
from marketplace.extensions import db
from tests.delivery.conftest import BAC_NINH, make_zone
from tests.factories import make_organizer, make_seller, make_stall


def _zones() -> list[DeliveryZone]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(DeliveryZone).order_by(DeliveryZone.id)))


@pytest.fixture
def stall(app):
    return make_stall(make_seller(), name="Vải thiều Lục Ngạn", slug="vai-luc-ngan")


def test_seller_adds_a_zone_and_sees_it_listed(client, auth, stall):
    auth.login(stall.owner)
    response = client.post("/stalls/vai-luc-ngan/manage/delivery", data={
        "province": str(BAC_NINH), "communes": "", "fee": "25.000", "free_from": "500.000 ₫"})
    assert response.status_code == 303
    [zone] = _zones()
    assert (zone.stall_id, zone.province_code, zone.fee, zone.free_from, zone.ward_codes) == (
        stall.id, BAC_NINH, 25000, 500000, "")
    page = client.get("/stalls/vai-luc-ngan/manage/delivery").get_data(as_text=True)
    assert "Bắc Ninh" in page and "25.000 ₫" in page and "500.000 ₫" in page


def test_seller_reaches_the_zones_from_their_pages(client, auth, stall):
    auth.login(stall.owner)
    response = client.get("/seller/delivery")
    assert response.headers["Location"].endswith("/stalls/vai-luc-ngan/manage/delivery")
    assert "/seller/delivery" in client.get("/me").get_data(as_text=True)
    assert "/stalls/vai-luc-ngan/manage/delivery" in client.get("/seller/products").get_data(
        as_text=True)


def test_a_zone_may_name_communes_of_todays_province(client, auth, stall):
    auth.login(stall.owner)
    response = client.post("/stalls/vai-luc-ngan/manage/delivery", data={
        "province": str(BAC_NINH), "communes": "xã Lục Ngạn\nPhường Chũ", "fee": "15000"})
    assert response.status_code == 303
    page = client.get("/stalls/vai-luc-ngan/manage/delivery").get_data(as_text=True)
    assert "Bắc Ninh: Xã Lục Ngạn, Phường Chũ" in page


def test_an_unknown_commune_is_a_form_error(client, auth, stall):
    auth.login(stall.owner)
    response = client.post("/stalls/vai-luc-ngan/manage/delivery", data={
        "province": str(BAC_NINH), "communes": "Xã Không Có", "fee": "15000"})
    assert response.status_code == 400
    assert "Không có xã/phường “Xã Không Có” ở Bắc Ninh" in response.get_data(as_text=True)
    assert _zones() == []


@pytest.mark.parametrize(("field", "value", "message"), [
    ("fee", "-5.000", "Số tiền không được âm."),
    ("fee", "năm nghìn", "Nhập số tiền, ví dụ 25.000."),
    ("fee", "12,5", "Nhập số tiền, ví dụ 25.000."),
    ("fee", "", "Vui lòng nhập số tiền (0 nếu miễn phí)."),
    ("fee", "99999999999999999999", "Số tiền quá lớn (tối đa 10.000.000 ₫)."),
    ("fee", "9" * 400, "Nhập số tiền, ví dụ 25.000."),
    ("free_from", "-1", "Số tiền không được âm."),
    ("free_from", "1e9", "Nhập số tiền, ví dụ 25.000."),
    ("free_from", "9" * 25, "Số tiền quá lớn"),
    ("province", "", "Vui lòng chọn tỉnh/thành."),
    ("province", "63", "Vui lòng chọn tỉnh/thành."),
    ("province", "abc", "Vui lòng chọn tỉnh/thành."),
])
def test_bad_input_is_a_form_error_not_a_500(client, auth, stall, field, value, message):
    auth.login(stall.owner)
    data = {"province": str(BAC_NINH), "fee": "25000", "free_from": "", field: value}
    response = client.post("/stalls/vai-luc-ngan/manage/delivery", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _zones() == []


def test_seller_edits_and_deletes_a_zone(client, auth, stall):
    zone = make_zone(stall, fee=30000)
    auth.login(stall.owner)
    url = f"/stalls/vai-luc-ngan/manage/delivery/{zone.id}"
    assert "30000" in client.get(url).get_data(as_text=True)
    bad = client.post(url, data={"province": str(BAC_NINH), "fee": "-1"})
    assert bad.status_code == 400
    assert _zones()[0].fee == 30000
    response = client.post(url, data={"province": "1", "fee": "40.000", "free_from": "1.000.000"})
    assert response.status_code == 303
    [changed] = _zones()
    assert (changed.province_code, changed.fee, changed.free_from) == (1, 40000, 1000000)
    assert client.post(url + "/delete").status_code == 303
    assert _zones() == []


def test_seller_b_cannot_see_or_change_seller_as_zones(client, auth, stall):
    zone = make_zone(stall, fee=30000)
    other = make_stall(make_seller(), slug="gian-b")
    auth.login(other.owner)
    a_url = f"/stalls/vai-luc-ngan/manage/delivery/{zone.id}"
    assert client.get("/stalls/vai-luc-ngan/manage/delivery").status_code == 404
    assert client.post(a_url, data={"province": "1", "fee": "1"}).status_code == 404
    assert client.post(a_url + "/delete").status_code == 404
    # Through B's own stall too, A's zone id is simply not found (no id of others leaks).
    b_url = f"/stalls/gian-b/manage/delivery/{zone.id}"
    assert client.get(b_url).status_code == 404
    assert client.post(b_url, data={"province": "1", "fee": "1"}).status_code == 404
    assert client.post(b_url + "/delete").status_code == 404
    assert client.post("/stalls/vai-luc-ngan/manage/delivery",
                       data={"province": "1", "fee": "1"}).status_code == 404
    [kept] = _zones()
    assert (kept.stall_id, kept.province_code, kept.fee) == (stall.id, BAC_NINH, 30000)


def test_an_organizer_manages_zones_of_a_stall_they_set_up(client, auth):
    organizer = make_organizer()
    make_stall(organizer, slug="gian-dung-ho")
    auth.login(organizer)
    response = client.post("/stalls/gian-dung-ho/manage/delivery",
                           data={"province": "1", "fee": "20000"})
    assert response.status_code == 303
    assert _zones()[0].fee == 20000


def test_zone_screen_reads_in_english(client, auth, stall):
    make_zone(stall, fee=30000, free_from=500000)
    auth.login(stall.owner)
    client.post("/lang/en", data={"next": "/"})
    page = client.get("/stalls/vai-luc-ngan/manage/delivery").get_data(as_text=True)
    assert "Delivery fees of Vải thiều Lục Ngạn" in page
    assert "Add a delivery zone" in page and "Free from" in page
    response = client.post("/stalls/vai-luc-ngan/manage/delivery",
                           data={"province": "1", "fee": "-1"})
    assert "The amount cannot be negative." in response.get_data(as_text=True)
