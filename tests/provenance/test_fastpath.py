"""The page cache in front of Flask: anonymous scans served from a copy, still counted."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.orders.models import Order
from marketplace.provenance.models import ScanEvent
from marketplace.provenance.scans import flush_scans
from tests.conftest import PASSWORD
from tests.factories import (
    make_batch,
    make_certificate,
    make_fair,
    make_participation,
    make_product,
    make_seller,
    make_stall,
    make_step,
)
from tests.keys import new_key

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def cached(app, make_app):
    """An app with the page cache on (30 s); data is made in the `app` fixture's context."""
    return make_app(PROVENANCE_PAGE_CACHE_SECONDS=30)


@contextmanager
def statements(served):
    """Collect the SQL the served app runs inside the block."""
    from marketplace.extensions import db

    with served.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def without_token(html: str) -> str:
    return TOKEN.sub('name="csrf_token" value=""', html)


def scans(db) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ScanEvent).order_by(ScanEvent.id))
    return [(r.product_id, r.batch_id, r.fair_id) for r in rows]


def test_a_hit_serves_the_views_page_without_sql_and_counts_every_scan(cached, db):
    stall = make_stall(name="HTX Vải Lục Ngạn")
    fair = make_fair()
    make_participation(fair, stall, booth="B7")
    product = make_product(stall=stall, name="Vải thiều Lục Ngạn", price=65000)
    batch = make_batch(product, code="L-2024")
    make_step(product, step="Tỉa cành")
    make_certificate(product, kind="vietgap", number="VG-123")
    path = f"/p/{product.code}?lot=L-2024"

    first = cached.test_client().get(path)
    with statements(cached) as sql:
        second = cached.test_client().get(path)
        third = cached.test_client().get(path)
    assert sql == []  # served from the copy
    assert first.status_code == second.status_code == third.status_code == 200
    html = second.get_data(as_text=True)
    for shown in (
        "Vải thiều Lục Ngạn",
        "65.000",
        "HTX Vải Lục Ngạn",
        "L-2024",
        "Tỉa cành",
        "VG-123",
        "B7",
    ):
        assert shown in html
    assert without_token(html) == without_token(first.get_data(as_text=True))
    assert second.headers["Content-Length"] == str(len(second.get_data()))
    assert flush_scans(cached) == 3
    assert scans(db) == [(product.id, batch.id, fair.id)] * 3


def test_each_visitor_gets_a_token_of_their_own(cached):
    product = make_product()
    cached.test_client().get(f"/p/{product.code}")
    one = cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    two = cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    assert "__cho40_csrf_" not in one
    assert TOKEN.search(one).group(1) != TOKEN.search(two).group(1)


def test_add_to_cart_from_a_cached_page_works_with_csrf_on(make_app, app):
    served = make_app(WTF_CSRF_ENABLED=True, PROVENANCE_PAGE_CACHE_SECONDS=30)
    product = make_product(name="Tương Bần")
    served.test_client().get(f"/p/{product.code}")  # the copy is made here
    shopper = served.test_client()
    with statements(served) as sql:
        html = shopper.get(f"/p/{product.code}").get_data(as_text=True)
    assert sql == []
    response = shopper.post(
        "/cart/add",
        data={
            "csrf_token": TOKEN.search(html).group(1),
            "product_id": str(product.id),
            "quantity": "1",
        },
    )
    assert response.status_code in (302, 303)
    cart = shopper.get("/cart").get_data(as_text=True)
    assert "Tương Bần" in cart


def test_a_cached_page_keeps_a_visitors_existing_token(make_app, app):
    served = make_app(WTF_CSRF_ENABLED=True, PROVENANCE_PAGE_CACHE_SECONDS=30)
    product = make_product(name="Bánh đa Kế")
    shopper = served.test_client()
    shopper.get(f"/p/{product.code}")  # miss: Flask creates the session and its token
    with shopper.session_transaction() as sess:
        raw = sess["csrf_token"]
    html = shopper.get(f"/p/{product.code}").get_data(as_text=True)  # hit
    with shopper.session_transaction() as sess:
        assert sess["csrf_token"] == raw
    response = shopper.post(
        "/cart/add", data={"csrf_token": TOKEN.search(html).group(1), "product_id": str(product.id)}
    )
    assert response.status_code in (302, 303)


def test_english_visitor_gets_the_english_page_not_the_cached_vietnamese_one(cached):
    product = make_product()
    assert "Thêm vào giỏ" in cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    english = cached.test_client()
    response = english.get(f"/lang/en?next=/p/{product.code}")
    assert response.headers["Location"] == f"/p/{product.code}"
    html = english.get(f"/p/{product.code}").get_data(as_text=True)
    assert '<html lang="en">' in html and "Add to cart" in html
    again = english.get(f"/p/{product.code}").get_data(as_text=True)  # now from the copy
    assert "Add to cart" in again
    vietnamese = cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    assert "Thêm vào giỏ" in vietnamese and '<html lang="vi">' in vietnamese


def test_logged_in_users_bypass_the_copy_and_see_their_menu(cached):
    seller = make_seller(email="mai@example.vn")
    product = make_product(stall=make_stall(owner=seller))
    anonymous = cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    assert "Đăng nhập" in anonymous and "Đăng xuất" not in anonymous
    client = cached.test_client()
    client.post("/login", data={"login": "mai@example.vn", "password": PASSWORD})
    with statements(cached) as sql:
        html = client.get(f"/p/{product.code}").get_data(as_text=True)
    assert sql  # rendered by the view
    assert "Đăng xuất" in html and "Sản phẩm của tôi" in html
    assert flush_scans(cached) == 2


def test_an_edit_shows_at_once_in_this_process(cached, db):
    product = make_product(name="Gạo nếp cái hoa vàng", price=40000)
    client = cached.test_client()
    client.get(f"/p/{product.code}")
    product.name, product.price = "Gạo nếp cái hoa vàng Yên Dũng", 42000
    db.session.commit()
    html = client.get(f"/p/{product.code}").get_data(as_text=True)
    assert "Gạo nếp cái hoa vàng Yên Dũng" in html and "42.000" in html


def test_an_edit_made_elsewhere_shows_after_the_ttl(make_app, app, db):
    served = make_app(PROVENANCE_PAGE_CACHE_SECONDS=0.5)
    product = make_product(price=40000)
    client = served.test_client()
    assert "40.000" in client.get(f"/p/{product.code}").get_data(as_text=True)
    # Another worker's edit: a plain UPDATE this process's ORM does not see.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Product).where(Product.id == product.id).values(price=47000))
    assert "40.000" in client.get(f"/p/{product.code}").get_data(as_text=True)
    time.sleep(0.6)
    assert "47.000" in client.get(f"/p/{product.code}").get_data(as_text=True)


def test_a_fair_visit_through_a_cached_page_counts_the_order_for_the_fair(cached, db):
    stall = make_stall()
    fair = make_fair()
    make_participation(fair, stall, booth="A3")
    product = make_product(stall=stall)
    cached.test_client().get(f"/p/{product.code}")  # someone else made the copy
    shopper = cached.test_client()
    with statements(cached) as sql:
        shopper.get(f"/p/{product.code}")
    assert sql == []
    with shopper.session_transaction() as sess:
        assert sess["fair_visit"]["id"] == fair.id
    shopper.post("/cart/add", data={"product_id": str(product.id), "quantity": "1"})
    response = shopper.post(
        "/checkout",
        data={
            "customer_name": "Trần Văn Khách",
            "customer_phone": "0912 345 678",
            "delivery_address": "",
            "note": "",
            f"fulfilment_{stall.id}": "stall_pickup",
            f"payment_{stall.id}": "cash",
            "once_key": new_key(),
        },
    )
    assert response.status_code in (302, 303)
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.channel, order.fair_id) == ("fair", fair.id)


def test_a_closed_fair_is_not_remembered_from_a_copy(cached):
    stall = make_stall()
    make_participation(make_fair(state="closed"), stall)
    product = make_product(stall=stall)
    cached.test_client().get(f"/p/{product.code}")
    shopper = cached.test_client()
    shopper.get(f"/p/{product.code}")
    with shopper.session_transaction() as sess:
        assert "fair_visit" not in sess


def test_wrong_code_is_404_and_hand_typed_code_redirects_with_the_cache_on(cached):
    make_product(code="AB0C123")
    client = cached.test_client()
    assert client.get("/p/AB0C123").status_code == 200
    assert client.get("/p/AB0C123").status_code == 200
    assert client.get("/p/ZZZZZZZ").status_code == 404
    assert client.get("/p/ZZZZZZZ").status_code == 404
    response = client.get("/p/ab0c123")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/p/AB0C123")
    assert flush_scans(cached) == 2


def test_withdrawn_product_is_gone_at_once(cached, db):
    product = make_product()
    client = cached.test_client()
    client.get(f"/p/{product.code}")
    product.active = False
    db.session.commit()
    assert client.get(f"/p/{product.code}").status_code == 410


def test_an_unknown_lot_and_the_product_page_are_separate_copies(cached):
    product = make_product()
    make_batch(product, code="L1")
    client = cached.test_client()
    client.get(f"/p/{product.code}")
    html = client.get(f"/p/{product.code}?lot=NOPE").get_data(as_text=True)
    assert "Không tìm thấy lô NOPE" in html
    assert "Không tìm thấy lô" not in client.get(f"/p/{product.code}").get_data(as_text=True)


def test_cache_off_and_bounded(make_app, app):
    off = make_app(PROVENANCE_PAGE_CACHE_SECONDS=0)
    small = make_app(PROVENANCE_PAGE_CACHE_SECONDS=30, PROVENANCE_PAGE_CACHE_SIZE=2)
    products = [make_product() for _ in range(3)]
    for p in products:
        off.test_client().get(f"/p/{p.code}")
        small.test_client().get(f"/p/{p.code}")
    assert len(off.wsgi_app) == 0
    assert len(small.wsgi_app) == 2


def test_anonymous_pages_without_forms_set_no_cookie(client):
    product = make_product(stock=0)
    response = client.get(f"/p/{product.code}")
    assert "Set-Cookie" not in response.headers
    assert "Tạm hết hàng" in response.get_data(as_text=True)
    assert "Set-Cookie" not in client.get("/").headers


def test_language_link_refuses_unknown_language_and_foreign_next(client):
    response = client.get("/lang/fr?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)
