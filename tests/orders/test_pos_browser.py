"""The booth sale screen on a phone-sized Chromium: taps, live total, confirm, sell."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.once.models import OnceKey
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
    # The phone made the sale's one-time key (a UUID with dashes; the server's has none).
    # The phone replaces the server's key with its own once the page's script has run.
    expect(page.locator("input[name=once_key]")).to_have_value(re.compile("-"))
    key = page.locator("input[name=once_key]").input_value()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    page.get_by_role("button", name="Xác nhận đã bán").click()
    assert "Đã bán, thu tiền mặt 90.000 ₫" in page.content()
    db.session.expire_all()
    assert db.session.scalars(sa.select(Order.total)).one() == 90000
    assert db.session.scalars(sa.select(OnceKey.key)).one() == key


def test_a_phone_without_random_uuid_still_makes_the_key(app, live_server, page):
    # Older browsers (and pages not served over HTTPS) lack crypto.randomUUID.
    page.add_init_script("delete Crypto.prototype.randomUUID;")
    seller = make_seller(phone="0912999777", email=None)
    rice = make_product(make_stall(seller), name="Gạo thơm", price=45000, stock=9)
    page.goto(f"{live_server.url}/login?next=/seller/pos")
    page.fill("input[name=login]", "0912999777")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.fill(f"#qty_{rice.id}", "1")
    page.get_by_role("button", name="Tính tiền").click()
    assert page.evaluate("typeof crypto.randomUUID") == "undefined"
    # The phone replaces the server's key with its own once the page's script has run.
    expect(page.locator("input[name=once_key]")).to_have_value(re.compile("-"))
    key = page.locator("input[name=once_key]").input_value()
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", key)
    page.get_by_role("button", name="Xác nhận đã bán").click()
    assert "Đã bán, thu tiền mặt 45.000 ₫" in page.content()
    db.session.expire_all()
    assert db.session.scalars(sa.select(OnceKey.key)).one() == key
