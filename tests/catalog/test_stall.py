"""A seller opens and edits their stall; organizers set stalls up for sellers."""

import io

import sqlalchemy as sa
from PIL import Image

from marketplace.catalog.models import Stall
from marketplace.storage import StoredImage
from tests.catalog.conftest import png_bytes
from tests.factories import make_seller, make_stall


def _stalls(db):
    return db.session.scalars(sa.select(Stall)).all()


def test_seller_without_stall_sees_create_form(client, auth):
    auth.login(make_seller())
    response = client.get("/seller/stall")
    assert response.status_code == 200
    assert "Tạo gian hàng" in response.get_data(as_text=True)


def test_seller_creates_stall_with_slug_from_name(client, auth, db, stall_form):
    seller = make_seller()
    auth.login(seller)
    response = client.post("/seller/stall", data=stall_form())
    assert response.status_code == 302
    stall = db.session.scalar(sa.select(Stall))
    assert stall.owner_id == seller.id
    assert stall.slug == "tuong-lang-tri-yen"
    assert stall.phone == "0912345678"
    assert stall.bank_account_number == "123456789012"
    assert stall.bank_account_name == "TRAN THI LAN"
    assert stall.producer_kind == "household"


def test_auto_slug_gets_a_suffix_when_taken(client, auth, db, stall_form):
    make_stall(slug="tuong-lang-tri-yen")
    auth.login(make_seller())
    client.post("/seller/stall", data=stall_form())
    assert {s.slug for s in _stalls(db)} == {"tuong-lang-tri-yen", "tuong-lang-tri-yen-2"}


def test_typed_slug_that_is_taken_is_a_form_error(client, auth, db, stall_form):
    make_stall(slug="gao-thom")
    auth.login(make_seller())
    response = client.post("/seller/stall", data=stall_form(slug="Gạo thơm"))
    assert response.status_code == 400
    assert "Địa chỉ này đã có gian hàng khác dùng." in response.get_data(as_text=True)
    assert len(_stalls(db)) == 1


def test_seller_edits_own_stall_and_slug(client, auth, db, stall_form):
    seller = make_seller()
    stall = make_stall(owner=seller, slug="cu")
    auth.login(seller)
    response = client.post("/seller/stall",
                           data=stall_form(name="Tương Trí Yên", slug="tuong-tri-yen"))
    assert response.status_code == 302
    db.session.refresh(stall)
    assert (stall.name, stall.slug) == ("Tương Trí Yên", "tuong-tri-yen")


def test_stall_without_name_is_a_form_error(client, auth, stall_form):
    auth.login(make_seller())
    response = client.post("/seller/stall", data=stall_form(name=""))
    assert response.status_code == 400
    assert "Vui lòng nhập tên gian hàng." in response.get_data(as_text=True)


def test_unknown_bank_is_refused(client, auth, db, stall_form):
    auth.login(make_seller())
    response = client.post("/seller/stall", data=stall_form(bank_bin="123456"))
    assert response.status_code == 400
    assert "Ngân hàng không có trong danh sách." in response.get_data(as_text=True)
    assert _stalls(db) == []


def test_short_account_number_is_refused(client, auth, stall_form):
    auth.login(make_seller())
    response = client.post("/seller/stall", data=stall_form(bank_account_number="12345"))
    assert response.status_code == 400
    assert "Số tài khoản gồm 6 đến 19 chữ số." in response.get_data(as_text=True)


def test_account_number_with_letters_is_refused(client, auth, stall_form):
    auth.login(make_seller())
    response = client.post("/seller/stall", data=stall_form(bank_account_number="12AB5678"))
    assert response.status_code == 400


def test_bank_fields_may_all_be_left_empty(client, auth, db, stall_form):
    auth.login(make_seller())
    response = client.post("/seller/stall", data=stall_form(
        bank_bin="", bank_account_number="", bank_account_name=""))
    assert response.status_code == 302
    assert not db.session.scalar(sa.select(Stall)).has_bank_account


def test_bad_zalo_number_is_a_form_error(client, auth, stall_form):
    auth.login(make_seller())
    response = client.post("/seller/stall", data=stall_form(zalo="12"))
    assert response.status_code == 400
    assert "Số điện thoại không hợp lệ" in response.get_data(as_text=True)


def test_logo_upload_is_stored_as_jpeg(client, auth, db, stall_form):
    auth.login(make_seller())
    data = stall_form()
    data["logo"] = (io.BytesIO(png_bytes(900, 900)), "logo.png")
    client.post("/seller/stall", data=data, content_type="multipart/form-data")
    stall = db.session.scalar(sa.select(Stall))
    image = db.session.get(StoredImage, stall.logo_image_id)
    assert Image.open(io.BytesIO(image.data)).format == "JPEG"
    assert client.get(f"/img/{image.id}.jpg").status_code == 200


def test_organizer_creates_stall_they_own(client, auth, db, stall_form):
    from tests.factories import make_organizer

    organizer = make_organizer()
    auth.login(organizer)
    response = client.post("/organizer/stalls/new", data=stall_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/stalls/tuong-lang-tri-yen/manage/products")
    assert db.session.scalar(sa.select(Stall)).owner_id == organizer.id
    listing = client.get("/organizer/stalls").get_data(as_text=True)
    assert "Tương làng Trí Yên" in listing


def test_organizer_renaming_a_stall_address_lands_on_the_new_one(client, auth, db, stall_form):
    from tests.factories import make_organizer

    auth.login(make_organizer())
    client.post("/organizer/stalls/new", data=stall_form())
    response = client.post("/stalls/tuong-lang-tri-yen/manage",
                           data=stall_form(slug="tuong-tri-yen"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/stalls/tuong-tri-yen/manage")
    page = client.get("/stalls/tuong-tri-yen/manage/products").get_data(as_text=True)
    # The management links stay on the organizer's /stalls/<slug>/manage screens.
    assert 'href="/stalls/tuong-tri-yen/manage/products/new"' in page
    assert 'href="/seller/products/new"' not in page
