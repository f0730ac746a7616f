"""The booth sale screen on a phone-sized Chromium: taps, live total, confirm, sell."""

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.conftest import PASSWORD
from tests.factories import make_product, make_seller, make_stall

pytestmark = pytest.mark.browser


def test_tap_plus_shows_a_live_total_and_sells(app, live_server, page):
    seller = make_seller(phone="0912999888", email=None)
    rice = make_product(make_stall(seller), name="Gạo thơm", price=45000, stock=9)
    page.goto(f"{live_server.url}/login?next=/seller/pos")
    page.fill("input[name=login]", "0912999888")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.get_by_role("button", name=f"+1 qty_{rice.id}").click()
    page.get_by_role("button", name=f"+1 qty_{rice.id}").click()
    assert page.locator("[data-pos-total] .price").inner_text() == "90.000 ₫"
    page.get_by_role("button", name="Tính tiền").click()
    assert "90.000 ₫" in page.locator(".big-number").inner_text()
    page.get_by_role("button", name="Xác nhận đã bán").click()
    assert "Đã bán, thu tiền mặt 90.000 ₫" in page.content()
    db.session.expire_all()
    assert db.session.scalars(sa.select(Order.total)).one() == 90000
