"""The provenance page cache: one page for every anonymous visitor, counted, kept current."""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.catalog.services import set_product_active
from marketplace.formatting import vn_today
from marketplace.once.services import BOOTH_SALE, once_for
from marketplace.orders.models import Order
from marketplace.orders.services import record_booth_sale
from marketplace.provenance import services as prov
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

CHECKOUT = {"customer_name": "Trần Văn Khách", "customer_phone": "0912 345 678",
            "delivery_address": "", "note": ""}


@pytest.fixture
def cached(app, make_app):
    """An app with the page cache on; data is made in the `app` fixture's context."""
    return make_app(PROVENANCE_PAGE_CACHE_SECONDS=60)


@contextmanager
def statements(served):
    """Collect the SQL the served app runs inside the block."""
    from marketplace.extensions import db

    with served.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "page_version" not in statement:  # the version check, at most every 0.5 s
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def visitor(n: int) -> dict:
    return {"User-Agent": f"Mozilla/5.0 (phone {n})"}


def scans(db) -> list[tuple]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ScanEvent).order_by(ScanEvent.id))
    return [(r.product_id, r.batch_id, r.fair_id) for r in rows]


def wait_until(check, seconds: float = 1.0) -> float:
    """Poll check() until it is true; return how long it took (fails after `seconds`)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, "not seen within the time allowed"
        time.sleep(0.05)
    return time.monotonic() - start


def test_a_hit_serves_the_same_bytes_without_sql_and_counts_each_visitor(cached, db):
    stall = make_stall(name="HTX Vải Lục Ngạn")
    fair = make_fair()
    make_participation(fair, stall, booth="B7")
    product = make_product(stall=stall, name="Vải thiều Lục Ngạn", price=65000)
    batch = make_batch(product, code="L-2024")
    make_step(product, step="Tỉa cành")
    make_certificate(product, kind="vietgap", number="VG-123")
    path = f"/p/{product.code}?lot=L-2024"

    first = cached.test_client().get(path, headers=visitor(1))
    with statements(cached) as sql:
        second = cached.test_client().get(path, headers=visitor(2))
        third = cached.test_client().get(path, headers=visitor(3))
    assert sql == []  # served from the copy
    assert first.status_code == second.status_code == third.status_code == 200
    html = second.get_data(as_text=True)
    for shown in ("Vải thiều Lục Ngạn", "65.000", "HTX Vải Lục Ngạn", "L-2024", "Tỉa cành",
                  "VG-123", "B7", "Thêm vào giỏ"):
        assert shown in html
    assert first.get_data() == second.get_data() == third.get_data()
    assert "csrf_token" not in html
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    assert second.headers["Content-Length"] == str(len(second.get_data()))
    assert flush_scans(cached) == 3
    assert scans(db) == [(product.id, batch.id, fair.id)] * 3


def test_a_visitor_with_a_cart_gets_the_same_page(cached):
    product = make_product(name="Tương Bần")
    other = make_product(name="Bánh đa Kế")
    anonymous = cached.test_client().get(f"/p/{product.code}").get_data()
    shopper = cached.test_client()
    shopper.post("/cart/add", data={"product_id": str(other.id)},
                 headers={"Origin": "http://localhost"})
    assert "Bánh đa Kế" in shopper.get("/cart").get_data(as_text=True)  # flash read
    with statements(cached) as sql:
        response = shopper.get(f"/p/{product.code}")
    assert sql == []  # through Flask, but from the same copy
    assert response.get_data() == anonymous


def test_etag_and_cache_control_let_browsers_and_proxies_revalidate(cached):
    product = make_product()
    path = f"/p/{product.code}"
    first = cached.test_client().get(path)
    etag = first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    assert "Cookie" in first.headers["Vary"]
    again = cached.test_client().get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    other = cached.test_client().get(path, headers={"If-None-Match": '"stale"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag
    # Through Flask too (a visitor with a cookie), and with the cache off.
    cookie = cached.test_client()
    cookie.get("/lang/vi?next=/")
    assert cookie.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_the_page_revalidates_with_the_cache_off_too(make_app, app):
    off = make_app(PROVENANCE_PAGE_CACHE_SECONDS=0)
    product = make_product()
    first = off.test_client().get(f"/p/{product.code}")
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = off.test_client().get(f"/p/{product.code}",
                                  headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert len(off.wsgi_app) == 0


def test_a_proxy_may_keep_the_page_briefly_when_allowed(make_app, app):
    served = make_app(PROVENANCE_PROXY_SECONDS=5)
    product = make_product()
    response = served.test_client().get(f"/p/{product.code}")
    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"


def test_add_to_cart_needs_this_sites_origin_when_csrf_is_on(make_app, app):
    served = make_app(WTF_CSRF_ENABLED=True)
    product = make_product(name="Tương Bần")
    served.test_client().get(f"/p/{product.code}")  # the copy is made here
    shopper = served.test_client()
    data = {"product_id": str(product.id), "quantity": "1"}

    refused = shopper.post("/cart/add", data=data, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 400
    assert shopper.post("/cart/add", data=data).status_code == 400  # no Origin, no Referer
    assert "Tương Bần" not in shopper.get("/cart").get_data(as_text=True)

    ok = shopper.post("/cart/add", data=data, headers={"Origin": "http://localhost"})
    assert ok.status_code in (302, 303)
    by_referer = shopper.post("/cart/add", data=data,
                              headers={"Referer": f"http://localhost/p/{product.code}"})
    assert by_referer.status_code in (302, 303)
    assert "Tương Bần" in shopper.get("/cart").get_data(as_text=True)


def test_credit_for_the_fair_comes_from_the_scanned_page_not_a_session_write(cached, db):
    stall = make_stall()
    fair = make_fair()
    make_participation(fair, stall, booth="A3")
    product = make_product(stall=stall)
    cached.test_client().get(f"/p/{product.code}")  # someone else made the copy
    shopper = cached.test_client()
    page = shopper.get(f"/p/{product.code}?s=1")
    assert "Set-Cookie" not in page.headers
    assert f'name="via_fair" value="{fair.id}"' in page.get_data(as_text=True)
    shopper.post("/cart/add", data={"product_id": str(product.id), "quantity": "1",
                                    "via_fair": str(fair.id)})
    response = shopper.post("/checkout", data={
        **CHECKOUT, "once_key": new_key(), f"fulfilment_{stall.id}": "stall_pickup",
        f"payment_{stall.id}": "cash"})
    assert response.status_code in (302, 303)
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.channel, order.fair_id) == ("fair", fair.id)
    flush_scans(cached)
    assert scans(db)[-1] == (product.id, None, fair.id)  # the scan row carries the fair


def test_a_foreign_fair_in_the_form_gives_no_credit(cached, db):
    stall = make_stall()
    elsewhere = make_fair()
    make_participation(elsewhere, make_stall())
    product = make_product(stall=stall)
    shopper = cached.test_client()
    shopper.post("/cart/add", data={"product_id": str(product.id), "via_fair": str(elsewhere.id)})
    with shopper.session_transaction() as sess:
        assert "fair_visit" not in sess


def test_english_visitor_gets_the_english_page_not_the_cached_vietnamese_one(cached):
    product = make_product()
    assert "Thêm vào giỏ" in cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    english = cached.test_client()
    english.get(f"/lang/en?next=/p/{product.code}")
    html = english.get(f"/p/{product.code}").get_data(as_text=True)
    assert '<html lang="en">' in html and "Add to cart" in html
    assert "Add to cart" in english.get(f"/p/{product.code}").get_data(as_text=True)
    vietnamese = cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    assert "Thêm vào giỏ" in vietnamese and '<html lang="vi">' in vietnamese


def test_a_flashed_message_is_shown_not_swallowed_by_the_copy(cached):
    product = make_product(name="Gạo nếp")
    cached.test_client().get(f"/p/{product.code}")
    shopper = cached.test_client()
    shopper.post("/cart/add", data={"product_id": str(product.id),
                                    "next": f"/p/{product.code}"})
    html = shopper.get(f"/p/{product.code}").get_data(as_text=True)
    assert "Đã thêm 1 × Gạo nếp vào giỏ." in html


def test_logged_in_users_bypass_the_copy_and_see_their_menu(cached):
    seller = make_seller(email="mai@example.vn")
    product = make_product(stall=make_stall(owner=seller))
    anonymous = cached.test_client().get(f"/p/{product.code}").get_data(as_text=True)
    assert "Đăng nhập" in anonymous and "Đăng xuất" not in anonymous
    client = cached.test_client()
    client.post("/login", data={"login": "mai@example.vn", "password": PASSWORD})
    with statements(cached) as sql:
        response = client.get(f"/p/{product.code}")
    assert sql  # rendered by the view
    html = response.get_data(as_text=True)
    assert "Đăng xuất" in html and "Sản phẩm của tôi" in html
    assert response.headers["Cache-Control"] == "private, no-cache"


def _sell_last_unit(product) -> None:
    seller_id = product.stall.owner_id
    record_booth_sale(product.stall, {product.id: "1"}, "cash", seller_id=seller_id,
                      once=once_for(uuid.uuid4().hex, BOOTH_SALE, actor_id=seller_id))


def test_selling_the_last_unit_stops_offering_it_at_once(client, db):
    product = make_product(stock=1)
    assert "Thêm vào giỏ" in client.get(f"/p/{product.code}").get_data(as_text=True)
    _sell_last_unit(product)  # a Core UPDATE of the stock, in another request's service
    html = client.get(f"/p/{product.code}").get_data(as_text=True)
    assert "Thêm vào giỏ" not in html and "Tạm hết hàng" in html


@pytest.mark.parametrize("shared", ["database", "redis"])
def test_a_second_instance_sees_the_sale_within_a_second(make_app, app, db, shared, request):
    extra = {"REDIS_URL": request.getfixturevalue("redis_url"),
             "RATELIMIT_KEY_PREFIX": f"cho40test{time.time_ns()}"} if shared == "redis" else {}
    seller_side = make_app(PROVENANCE_PAGE_CACHE_SECONDS=60, **extra)
    other = make_app(PROVENANCE_PAGE_CACHE_SECONDS=60, **extra)
    product = make_product(stock=1)
    path = f"/p/{product.code}"
    assert "Thêm vào giỏ" in other.test_client().get(path).get_data(as_text=True)
    with seller_side.app_context():
        _sell_last_unit(db.session.get(Product, product.id))
    took = wait_until(lambda: "Tạm hết hàng" in other.test_client().get(path).get_data(
        as_text=True))
    assert took < 1.0
    html = other.test_client().get(path).get_data(as_text=True)
    assert "Thêm vào giỏ" not in html


def test_a_cancelled_order_puts_a_sold_out_product_back_on_sale(client, db):
    from marketplace.orders.services import change_status

    product = make_product(stock=1)
    client.post("/cart/add", data={"product_id": str(product.id)})
    client.post("/checkout", data={**CHECKOUT, "once_key": new_key(),
                                   f"fulfilment_{product.stall_id}": "stall_pickup",
                                   f"payment_{product.stall_id}": "cash"})
    assert "Tạm hết hàng" in client.get(f"/p/{product.code}").get_data(as_text=True)
    order = db.session.scalars(sa.select(Order)).one()
    change_status(order, "cancelled", by_id=None, reason="Khách đổi ý")
    assert "Thêm vào giỏ" in client.get(f"/p/{product.code}").get_data(as_text=True)


def test_provenance_and_catalog_edits_show_on_another_instance(make_app, app, db):
    other = make_app(PROVENANCE_PAGE_CACHE_SECONDS=60)
    product = make_product(name="Gạo nếp cái hoa vàng")
    path = f"/p/{product.code}"
    assert "Gieo mạ" not in other.test_client().get(path).get_data(as_text=True)
    prov.add_step(product, {"happened_on": vn_today(), "step": "Gieo mạ"})
    wait_until(lambda: "Gieo mạ" in other.test_client().get(path).get_data(as_text=True))
    set_product_active(product, False)
    wait_until(lambda: other.test_client().get(path).status_code == 410)


def test_an_edit_without_a_service_still_shows_after_the_age_limit(make_app, app, db):
    served = make_app(PROVENANCE_PAGE_CACHE_SECONDS=0.5)
    product = make_product(price=40000)
    client = served.test_client()
    assert "40.000" in client.get(f"/p/{product.code}").get_data(as_text=True)
    with db.engine.begin() as conn:  # a plain UPDATE, as a script might do
        conn.execute(sa.update(Product).where(Product.id == product.id).values(price=47000))
    assert "40.000" in client.get(f"/p/{product.code}").get_data(as_text=True)
    time.sleep(0.6)
    assert "47.000" in client.get(f"/p/{product.code}").get_data(as_text=True)


def test_wrong_code_is_404_and_hand_typed_code_redirects_keeping_the_scan_flag(cached):
    make_product(code="AB0C123")
    client = cached.test_client()
    assert client.get("/p/AB0C123").status_code == 200
    assert client.get("/p/AB0C123").status_code == 200
    assert client.get("/p/ZZZZZZZ").status_code == 404
    assert client.get("/p/ZZZZZZZ").status_code == 404
    response = client.get("/p/ab0c123?s=1")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/p/AB0C123?s=1")
    assert flush_scans(cached) == 1  # one visitor, one product


def test_an_unknown_lot_and_the_product_page_are_separate_copies(cached):
    product = make_product()
    make_batch(product, code="L1")
    client = cached.test_client()
    client.get(f"/p/{product.code}")
    html = client.get(f"/p/{product.code}?lot=NOPE").get_data(as_text=True)
    assert "Không tìm thấy lô NOPE" in html
    assert "Không tìm thấy lô" not in client.get(f"/p/{product.code}").get_data(as_text=True)


def test_cache_bounded(make_app, app):
    small = make_app(PROVENANCE_PAGE_CACHE_SECONDS=30, PROVENANCE_PAGE_CACHE_SIZE=2)
    for _ in range(3):
        small.test_client().get(f"/p/{make_product().code}")
    assert len(small.wsgi_app) == 2


def test_anonymous_pages_set_no_cookie(client):
    product = make_product()
    response = client.get(f"/p/{product.code}")
    assert "Set-Cookie" not in response.headers
    assert "Thêm vào giỏ" in response.get_data(as_text=True)
    assert "Set-Cookie" not in client.get("/").headers


def test_without_the_cache_a_page_is_two_statements_with_the_booth_of_the_open_fair(app, make_app):
    # Product, stall, the shown batch, the first photo and the booth at a fair open now are one
    # row; the diary and the certificates a second statement. Booths at a fair that is not
    # open, not accepted or not published are not shown.
    stall = make_stall(name="HTX Vải Lục Ngạn")
    make_participation(make_fair(state="closed", name="Phiên đã qua"), stall, booth="C1")
    make_participation(make_fair(state="upcoming", name="Phiên sắp tới"), stall, booth="U1")
    make_participation(make_fair(name="Phiên nháp", published=False), stall, booth="D1")
    make_participation(make_fair(name="Phiên từ chối"), stall, booth="R1", status="rejected")
    product = make_product(stall=stall, name="Vải thiều Lục Ngạn")
    make_batch(product, code="L-2024")
    make_step(product, step="Tỉa cành")
    make_certificate(product, kind="vietgap", number="VG-123")
    path = f"/p/{product.code}"
    uncached = make_app(PROVENANCE_PAGE_CACHE_SECONDS=0)
    client = uncached.test_client()

    with statements(uncached) as sql:
        html = client.get(path, headers=visitor(1)).get_data(as_text=True)
    assert len([s for s in sql if s.lstrip().upper().startswith("SELECT")]) == 2
    assert "Tỉa cành" in html and "VG-123" in html and "L-2024" in html
    assert "Đang ở phiên chợ" not in html
    for booth in ("C1", "U1", "D1", "R1"):
        assert f"gian số {booth}" not in html

    make_participation(make_fair(name="Phiên chợ Bắc Giang"), stall, booth="B7")
    with statements(uncached) as sql:
        html = client.get(path, headers=visitor(2)).get_data(as_text=True)
    assert len([s for s in sql if s.lstrip().upper().startswith("SELECT")]) == 2
    assert "Phiên chợ Bắc Giang" in html and "gian số B7" in html


def test_a_page_ends_its_read_with_commit_so_postgresql_keeps_its_prepared_statements(
        app, make_app, backend):
    # psycopg 3 drops a connection's prepared statements on ROLLBACK; the page wrote nothing,
    # so it ends its transaction with COMMIT and its statements stay parsed and planned.
    from marketplace.extensions import db

    uncached = make_app(PROVENANCE_PAGE_CACHE_SECONDS=0)
    product = make_product(name="Mật ong bạc hà")
    make_step(product, step="Quay mật")
    path = f"/p/{product.code}"
    with uncached.app_context():
        engine = db.engine
    ends: list[str] = []
    sa.event.listen(engine, "commit", lambda conn: ends.append("commit"))
    sa.event.listen(engine, "rollback", lambda conn: ends.append("rollback"))
    client = uncached.test_client()
    for n in range(7):
        assert "Quay mật" in client.get(path, headers=visitor(n)).get_data(as_text=True)
    assert ends == ["commit"] * 7
    if backend == "postgresql":  # psycopg prepares a statement on its 5th execution
        with engine.connect() as conn:
            prepared = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements").scalar()
        assert prepared >= 2  # the product row and the diary + certificates


def test_without_the_cache_a_revalidation_still_gets_304(app, make_app):
    uncached = make_app(PROVENANCE_PAGE_CACHE_SECONDS=0)
    product = make_product(name="Chè Tân Cương")
    path = f"/p/{product.code}"
    first = uncached.test_client().get(path, headers=visitor(1))
    assert first.status_code == 200 and first.headers["Vary"] == "Cookie, Accept-Encoding"
    again = uncached.test_client().get(path, headers={
        **visitor(2), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    changed = uncached.test_client().get(path, headers={**visitor(3), "If-None-Match": '"x"'})
    assert changed.status_code == 200 and changed.get_data() == first.get_data()
