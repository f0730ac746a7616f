"""An organizer sets up a stall and hands it over to a seller's account."""

import re

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.catalog.models import Stall
from tests.factories import make_organizer, make_product, make_seller, make_stall, make_user


def test_handover_to_new_phone_creates_seller_with_one_time_password(client, auth, db,
                                                                     second_client):
    organizer = make_organizer()
    stall = make_stall(owner=organizer, slug="mat-ong")
    auth.login(organizer)
    response = client.post("/stalls/mat-ong/manage/handover",
                           data={"phone": "0912 000 099", "name": "Ngô Văn Ong"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    password = re.search(r'data-testid="one-time-password">([^<]+)<', html).group(1)
    seller = db.session.scalar(sa.select(User).where(User.phone == "0912000099"))
    assert seller.role == "seller" and seller.name == "Ngô Văn Ong"
    db.session.refresh(stall)
    assert stall.owner_id == seller.id
    fresh = second_client()
    fresh.post("/login", data={"login": "0912000099", "password": password})
    assert fresh.get("/seller/stall").status_code == 200


def test_handover_to_existing_seller_moves_ownership_without_password(client, auth, db):
    organizer = make_organizer()
    seller = make_seller(phone="0912000098")
    stall = make_stall(owner=organizer, slug="che")
    auth.login(organizer)
    response = client.post("/stalls/che/manage/handover", data={"phone": "0912000098"})
    assert response.status_code == 200
    assert "one-time-password" not in response.get_data(as_text=True)
    db.session.refresh(stall)
    assert stall.owner_id == seller.id


def test_organizer_loses_access_after_handover(client, auth, db):
    organizer = make_organizer()
    make_stall(owner=organizer, slug="che")
    auth.login(organizer)
    client.post("/stalls/che/manage/handover", data={"phone": "0912000097", "name": "Chị Chè"})
    assert client.get("/stalls/che/manage").status_code == 404
    assert client.get("/stalls/che/manage/products").status_code == 404


def test_handover_to_seller_who_has_a_stall_is_refused(client, auth, db):
    organizer = make_organizer()
    seller = make_seller(phone="0912000096")
    make_stall(owner=seller)
    stall = make_stall(owner=organizer, slug="ruou")
    auth.login(organizer)
    response = client.post("/stalls/ruou/manage/handover", data={"phone": "0912000096"})
    assert response.status_code == 400
    assert "Người bán này đã có gian hàng." in response.get_data(as_text=True)
    db.session.refresh(stall)
    assert stall.owner_id == organizer.id


def test_handover_to_shopper_phone_is_refused(client, auth, db):
    organizer = make_organizer()
    make_user("shopper", phone="0987000002")
    make_stall(owner=organizer, slug="ruou")
    auth.login(organizer)
    response = client.post("/stalls/ruou/manage/handover", data={"phone": "0987000002"})
    assert response.status_code == 400


def test_handover_new_account_needs_a_name(client, auth, db):
    organizer = make_organizer()
    stall = make_stall(owner=organizer, slug="ruou")
    auth.login(organizer)
    response = client.post("/stalls/ruou/manage/handover", data={"phone": "0912000095"})
    assert response.status_code == 400
    assert "Vui lòng nhập họ tên." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.phone == "0912000095")) is None
    db.session.refresh(stall)
    assert stall.owner_id == organizer.id


def test_organizer_adds_products_through_stall_screens(client, auth, db, product_form):
    organizer = make_organizer()
    stall = make_stall(owner=organizer, slug="bun")
    auth.login(organizer)
    response = client.post("/stalls/bun/manage/products/new", data=product_form(name="Bún khô"))
    assert response.status_code == 302
    [added] = db.session.get(Stall, stall.id).products
    assert added.name == "Bún khô"
    # The new product's own page, which leads on to its provenance and labels.
    assert response.headers["Location"].endswith(f"/stalls/bun/manage/products/{added.id}/edit")
    product = make_product(stall)
    assert client.get(f"/stalls/bun/manage/products/{product.id}/edit").status_code == 200
