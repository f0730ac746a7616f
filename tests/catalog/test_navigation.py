"""A seller finds every part of a product, and the things done every day, from the menu."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.database import utcnow
from tests.factories import make_order, make_product, make_seller, make_stall


def test_after_adding_a_product_its_page_leads_to_all_its_parts(client, auth, db, product_form):
    seller = make_seller()
    make_stall(seller)
    auth.login(seller)
    response = client.post("/seller/products/new", data=product_form(), follow_redirects=True)
    product = db.session.scalar(sa.select(Product))
    html = response.get_data(as_text=True)
    assert response.request.path == f"/seller/products/{product.id}/edit"
    records = f"/seller/products/{product.id}/provenance"
    for link in (f"{records}#batches", f"{records}#timeline", f"{records}#certificates",
                 f"/seller/stalls/{product.stall_id}/labels", f"/p/{product.code}"):
        assert f'href="{link}"' in html, link
    assert f'href="/p/{product.code}/qr.png"' in html
    for link in (f"{records}#batches", f"/seller/stalls/{product.stall_id}/labels"):
        assert client.get(link.split("#")[0]).status_code == 200


def test_the_sellers_menu_holds_the_daily_work(client, auth):
    seller = make_seller()
    make_stall(seller)
    auth.login(seller)
    html = client.get("/me").get_data(as_text=True)
    nav = html[html.index('class="site-nav"'):html.index("</nav>", html.index('class="site-nav"'))]
    for label in ("Bán tại gian", "Đơn hàng", "Sản phẩm của tôi", "Doanh số"):
        assert label in nav, label
    assert '<a href="/seller/provenance">Nguồn gốc' in nav
    assert nav.index("Bán tại gian") < nav.index("Nhập đơn sàn")


def test_the_sellers_summary_opens_on_today(client, auth, any_hour):
    seller = make_seller()
    stall = make_stall(seller)
    rice = make_product(stall, name="Gạo thơm", price=45000)
    make_order(stall, [(rice, 1)], paid=True, placed_at=utcnow())
    make_order(stall, [(rice, 3)], paid=True, placed_at=utcnow() - timedelta(days=1))
    auth.login(seller)
    today = client.get("/seller/summary").get_data(as_text=True)
    assert "45.000 ₫" in today and "135.000 ₫" not in today
    everything = client.get("/seller/summary?all=1").get_data(as_text=True)
    assert "180.000 ₫" in everything
