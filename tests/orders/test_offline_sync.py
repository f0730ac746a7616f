"""Sales a phone made without a network reach the server once, at their real time of sale."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderLine, StockShortfall
from marketplace.reports.rows import by_day, by_hour
from marketplace.reports.scope import fair_scope
from tests.conftest import AuthActions
from tests.factories import (
    make_fair,
    make_participation,
    make_product,
    make_seller,
    make_stall,
)

SYNC = "/seller/pos/sync"


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000)


def _sale(product, qty="1", *, at=None, method="cash", sale_id=None) -> dict:
    return {"id": sale_id or str(uuid.uuid4()), "sold_at": _ms(at or utcnow()), "method": method,
            "lines": [{"product_id": product.id, "quantity": qty}]}


@pytest.fixture
def booth(app):
    seller = make_seller(phone="0912111222", email=None)
    stall = make_stall(seller, name="Gian Vải", bank_bin="970436",
                       bank_account_number="0011001234567", bank_account_name="NGUYEN VAN A")
    lychee = make_product(stall, name="Vải thiều", price=60000, stock=5)
    fair = make_fair()
    make_participation(fair, stall)
    return {"seller": seller, "stall": stall, "lychee": lychee, "fair": fair}


@pytest.fixture
def seller_client(app, booth):
    client = app.test_client()
    assert AuthActions(client).login(booth["seller"]).status_code == 302
    return client


def test_a_resend_changes_nothing_and_returns_the_same_result(seller_client, booth):
    sale = _sale(booth["lychee"], "2")
    first = seller_client.post(SYNC, json=sale)
    again = seller_client.post(SYNC, json=sale)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert first.get_json()["total"] == 120000
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    assert db.session.get(type(booth["lychee"]), booth["lychee"].id).stock == 3


def test_the_time_of_sale_is_kept_and_counts_for_the_fair_open_then(seller_client, booth):
    sold = utcnow() - timedelta(hours=5)
    body = seller_client.post(SYNC, json=_sale(booth["lychee"], at=sold)).get_json()
    order = db.session.scalars(sa.select(Order).where(Order.code == body["order"])).one()
    assert abs((order.placed_at - sold).total_seconds()) < 0.01
    assert order.fair_id == booth["fair"].id
    assert order.channel == "fair" and order.status == "fulfilled" and order.is_paid
    assert order.created_by_id == booth["seller"].id
    scope = fair_scope(booth["fair"])
    local = sold + timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving
    assert [h.hour for h in by_hour(scope) if h.orders] == [local.hour]
    assert [d.day for d in by_day(scope) if d.orders] == [local.date()]


def test_times_in_the_future_or_absurdly_old_are_refused(seller_client, booth):
    future = seller_client.post(SYNC, json=_sale(booth["lychee"],
                                                 at=utcnow() + timedelta(hours=1)))
    old = seller_client.post(SYNC, json=_sale(booth["lychee"], at=utcnow() - timedelta(days=90)))
    assert future.status_code == old.status_code == 422
    assert "tương lai" in future.get_json()["error"]
    assert old.get_json()["rejected"] is True
    assert seller_client.post(SYNC, json={**_sale(booth["lychee"]), "sold_at": "hôm qua"}
                              ).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_a_small_clock_skew_is_accepted(seller_client, booth):
    response = seller_client.post(SYNC, json=_sale(booth["lychee"],
                                                   at=utcnow() + timedelta(minutes=2)))
    assert response.status_code == 200


def test_stock_below_zero_is_recorded_and_flagged_never_refused(seller_client, booth):
    body = seller_client.post(SYNC, json=_sale(booth["lychee"], "7")).get_json()
    assert body["short"] == [{"product_id": booth["lychee"].id, "name": "Vải thiều",
                              "quantity_short": "2"}]
    db.session.expire_all()
    assert db.session.get(type(booth["lychee"]), booth["lychee"].id).stock == 0
    line = db.session.scalars(sa.select(OrderLine)).one()
    assert line.quantity == 7 and line.line_total == 420000
    short = db.session.scalars(sa.select(StockShortfall)).one()
    assert (short.stock_before, short.quantity_short) == (5, 2)
    page = seller_client.get("/seller/pos").get_data(as_text=True)
    assert "Bán vượt tồn kho khi mất mạng" in page and "thiếu 2" in page
    inbox = seller_client.get("/seller/orders").get_data(as_text=True)
    assert "1 đơn bán khi mất mạng đã bán vượt tồn kho" in inbox
    # The seller counted the shelf again: the flag goes away.
    cleared = seller_client.post(f"/seller/shortfalls/{short.id}/clear")
    assert cleared.status_code == 303
    assert "Bán vượt tồn kho khi mất mạng" not in seller_client.get("/seller/pos").get_data(
        as_text=True)
    assert "bán vượt tồn kho" not in seller_client.get("/seller/orders").get_data(as_text=True)


def test_two_phones_of_the_stall_are_merged(app, seller_client, booth):
    other = app.test_client()
    AuthActions(other).login(booth["seller"])
    a, b = _sale(booth["lychee"], "3"), _sale(booth["lychee"], "4")
    assert seller_client.post(SYNC, json=a).status_code == 200
    assert other.post(SYNC, json=b).status_code == 200
    assert other.post(SYNC, json=a).status_code == 200  # the same sale sent from both phones
    db.session.expire_all()
    totals = sorted(db.session.scalars(sa.select(Order.total)))
    assert totals == [180000, 240000]
    assert db.session.scalar(sa.select(sa.func.sum(StockShortfall.quantity_short))) == 2


def test_card_is_refused_offline_and_vietqr_waits_for_the_transfer(seller_client, booth):
    card = seller_client.post(SYNC, json=_sale(booth["lychee"], method="card"))
    assert card.status_code == 422 and "thẻ" in card.get_json()["error"]
    qr = seller_client.post(SYNC, json=_sale(booth["lychee"], method="vietqr"))
    assert qr.status_code == 200
    order = db.session.scalars(sa.select(Order)).one()
    assert order.payment_method == "vietqr" and not order.is_paid


def test_bad_sales_get_a_clear_4xx(seller_client, booth):
    other_stall = make_product(make_stall(), name="Hàng người khác")
    cases = [
        None,
        {"id": "ngắn", "sold_at": _ms(utcnow()), "method": "cash", "lines": []},
        {**_sale(booth["lychee"]), "lines": []},
        {**_sale(booth["lychee"]), "lines": [{"product_id": "x", "quantity": "1"}]},
        _sale(other_stall),
        _sale(booth["lychee"], "-1"),
    ]
    for sale in cases:
        response = seller_client.post(SYNC, json=sale)
        assert 400 <= response.status_code < 500, sale
        assert response.get_json()["rejected"] is True
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_only_the_stalls_own_people_can_sync(app, booth):
    intruder = make_seller()
    make_stall(intruder)
    client = app.test_client()
    AuthActions(client).login(intruder)
    aimed = client.post(f"{SYNC}?stall={booth['stall'].id}", json=_sale(booth["lychee"]))
    assert aimed.status_code == 404
    own = client.post(SYNC, json=_sale(booth["lychee"]))  # their own stall: not A's product
    assert own.status_code == 422
    guest = app.test_client().post(SYNC, json=_sale(booth["lychee"]))
    assert guest.status_code in (302, 401)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


def test_the_same_id_from_another_person_is_refused(app, seller_client, booth):
    sale = _sale(booth["lychee"])
    assert seller_client.post(SYNC, json=sale).status_code == 200
    other = make_seller()
    client = app.test_client()
    AuthActions(client).login(other)
    make_stall(other, name="Gian khác")
    assert client.post(SYNC, json=sale).status_code == 409


def test_sync_needs_the_csrf_token_in_a_header(make_app, booth):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login = client.get("/login")
    assert login.status_code == 200
    data = client.get("/seller/pos/data")  # not signed in yet
    assert data.status_code in (302, 401)
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      login.get_data(as_text=True)).group(1)
    client.post("/login", data={"login": "0912111222", "password": "matkhau-123",
                                "csrf_token": token})
    booth_data = client.get("/seller/pos/data").get_json()
    assert [p["name"] for p in booth_data["products"]] == ["Vải thiều"]
    assert booth_data["vietqr"]["account_number"] == "0011001234567"
    assert booth_data["vietqr"]["bank_bin"] == "970436"
    sale = _sale(booth["lychee"])
    assert client.post(SYNC, json=sale).status_code == 400  # no token
    sent = client.post(SYNC, json=sale, headers={"X-CSRFToken": booth_data["csrf_token"]})
    assert sent.status_code == 200


def test_the_booth_installs_from_our_own_files(client, seller_client):
    worker = client.get("/booth-sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert worker.headers["Service-Worker-Allowed"] == "/seller/"
    page = seller_client.get("/seller/pos").get_data(as_text=True)
    manifest_url = re.search(r'<link rel="manifest" href="([^"]+)"', page).group(1)
    manifest = client.get(manifest_url).get_data(as_text=True)
    assert json.loads(manifest)["start_url"] == "/seller/pos"
    assert 'src="/static/js/booth-offline.js' in page and "<script>" not in page
    # Without JavaScript the offline panel stays hidden and the usual form sells online.
    assert re.search(r'<section class="card booth-offline" data-booth hidden', page)
    assert 'action="/seller/pos/confirm' in page
