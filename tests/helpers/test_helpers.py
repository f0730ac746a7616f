"""A stall owner adds helpers; helpers sell at the booth and nothing more."""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.conftest import PASSWORD, AuthActions
from tests.factories import make_product, make_seller, make_stall
from tests.keys import new_key


@pytest.fixture
def stall(app):
    owner = make_seller(name="Chị Mai", phone="0912000111", email=None)
    stall = make_stall(owner, name="Gian Vải")
    make_product(stall, name="Vải thiều", price=60000, stock=10)
    return stall


def _client(app, login: str):
    client = app.test_client()
    assert AuthActions(client).login(login).status_code == 302
    return client


def _sell(client, product, qty="1"):
    return client.post("/seller/pos/sell", data={f"qty_{product.id}": qty, "method": "cash",
                                                  "once_key": new_key()})


def test_owner_adds_a_helper_who_sells_and_the_summary_splits_by_person(app, stall):
    owner = _client(app, "0912000111")
    added = owner.post("/seller/helpers", data={"name": "Em Lan", "phone": "0912000222",
                                                "password": PASSWORD})
    assert added.status_code == 303
    assert "Em Lan" in owner.get("/seller/helpers").get_data(as_text=True)
    helper = _client(app, "0912000222")
    lychee = stall.products[0]
    assert _sell(helper, lychee, "2").status_code == 303
    assert _sell(owner, lychee, "1").status_code == 303
    sellers = dict(db.session.execute(sa.select(Order.total, Order.created_by_id)).all())
    assert sellers[120000] != sellers[60000]
    today = helper.get("/seller/pos/today").get_data(as_text=True)
    assert "Em Lan" in today and "Chị Mai" in today and "180.000 ₫" in today
    summary = owner.get("/seller/summary").get_data(as_text=True)
    split = summary[summary.index("data-by-person"):]
    assert re.search(r"Em Lan.*?120\.000 ₫", split, re.S)
    assert re.search(r"Chị Mai.*?60\.000 ₫", split, re.S)


def test_a_helper_cannot_change_products_prices_bank_or_money(app, stall):
    owner = _client(app, "0912000111")
    owner.post("/seller/helpers", data={"name": "Em Lan", "phone": "0912000222",
                                        "password": PASSWORD})
    helper = _client(app, "0912000222")
    product = stall.products[0]
    for method, url in [
        ("GET", "/seller/products"), ("GET", f"/seller/products/{product.id}/edit"),
        ("POST", f"/seller/products/{product.id}/edit"), ("GET", "/seller/stall"),
        ("POST", "/seller/stall"), ("GET", f"/stalls/{stall.slug}/manage"),
        ("GET", "/seller/vietqr-sign"), ("GET", "/payments/reconcile"),
        ("GET", "/seller/summary"), ("GET", "/seller/helpers"),
        ("POST", "/seller/helpers/invite"), ("GET", "/seller/orders"),
        ("GET", "/seller/orders/new"),
    ]:
        response = helper.open(url, method=method, data={"price": "1", "name": "Bị sửa"})
        assert response.status_code in (403, 404), (method, url, response.status_code)
    db.session.expire_all()
    assert db.session.get(type(product), product.id).price == 60000
    # The booth is theirs to sell at.
    assert helper.get("/seller/pos").status_code == 200


def test_a_helper_joins_with_an_invitation_code_once(app, stall):
    owner = _client(app, "0912000111")
    page = owner.post("/seller/helpers/invite").get_data(as_text=True)
    code = re.search(r'data-testid="invite-code">([0-9A-Z]{8})<', page).group(1)
    guest = app.test_client()
    joined = guest.post("/helpers/join", data={"code": code.lower(), "name": "Anh Tư",
                                               "phone": "0912000333", "password": PASSWORD})
    assert joined.status_code == 303 and joined.location.endswith("/seller/pos")
    assert "Gian Vải" in guest.get("/seller/pos").get_data(as_text=True)
    again = app.test_client().post("/helpers/join", data={
        "code": code, "name": "Người khác", "phone": "0912000444", "password": PASSWORD})
    assert again.status_code == 400
    assert "Mã mời không đúng" in again.get_data(as_text=True)


def test_an_invitation_code_expires(app, stall):
    owner = _client(app, "0912000111")
    page = owner.post("/seller/helpers/invite").get_data(as_text=True)
    code = re.search(r'data-testid="invite-code">([0-9A-Z]{8})<', page).group(1)
    with time_machine.travel(timedelta(days=8)):
        late = app.test_client().post("/helpers/join", data={
            "code": code, "name": "Anh Tư", "phone": "0912000333", "password": PASSWORD})
    assert late.status_code == 400


def test_a_removed_helper_no_longer_sells(app, stall):
    owner = _client(app, "0912000111")
    owner.post("/seller/helpers", data={"name": "Em Lan", "phone": "0912000222",
                                        "password": PASSWORD})
    helper = _client(app, "0912000222")
    page = owner.get("/seller/helpers").get_data(as_text=True)
    helper_id = re.search(r"/seller/helpers/(\d+)/remove", page).group(1)
    assert owner.post(f"/seller/helpers/{helper_id}/remove").status_code == 303
    assert helper.get("/seller/pos").status_code == 302  # signed out everywhere
    again = app.test_client()
    AuthActions(again).login("0912000222")
    assert "Gian Vải" not in again.get("/seller/pos").get_data(as_text=True)


def test_a_helper_syncs_offline_sales_to_the_stall_they_help(app, stall):
    owner = _client(app, "0912000111")
    owner.post("/seller/helpers", data={"name": "Em Lan", "phone": "0912000222",
                                        "password": PASSWORD})
    helper = _client(app, "0912000222")
    data = helper.get("/seller/pos/data").get_json()
    assert data["stall"]["name"] == "Gian Vải"
    sale = {"id": str(uuid.uuid4()), "sold_at": int(time.time() * 1000), "method": "cash",
            "lines": [{"product_id": stall.products[0].id, "quantity": "1"}]}
    assert helper.post("/seller/pos/sync", json=sale).status_code == 200
    order = db.session.scalars(sa.select(Order)).one()
    assert order.created_by_id == data["user"]
