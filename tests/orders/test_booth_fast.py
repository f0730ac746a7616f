"""The booth screen on a 390×844 phone: a one-item cash sale in three taps, search, change."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.conftest import PASSWORD
from tests.factories import make_fair, make_participation, make_product, make_seller, make_stall

pytestmark = pytest.mark.browser

NAMES = ["Gạo", "Tương", "Bánh đa", "Miến dong", "Mật ong", "Chè", "Nấm", "Măng", "Lạc", "Vừng"]


def _stall_with_sixty_products():
    seller = make_seller(phone="0912777666", email=None)
    stall = make_stall(seller)
    make_participation(make_fair(state="open"), stall, booth="5")
    for n in range(59):
        make_product(stall, name=f"{NAMES[n % 10]} loại {n}", price=10_000 + n, stock=50)
    lychee = make_product(stall, name="Vải thiều Lục Ngạn", unit="kg", price=60_000,
                          stock=Decimal("40"), quantity_step=Decimal("0.5"))
    return seller, lychee


def _log_in(page, live_server, phone):
    page.goto(f"{live_server.url}/login?next=/seller/pos")
    page.fill("input[name=login]", phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/seller/pos")


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]
            and box["x"] >= 0 and box["x"] + box["width"] <= size["width"])


def test_a_one_item_cash_sale_takes_three_taps(app, live_server, page):
    seller, lychee = _stall_with_sixty_products()
    _log_in(page, live_server, "0912777666")
    charge = page.get_by_role("button", name="Tính tiền")
    # The menu is folded away and the charge button sits at the bottom, in thumb reach,
    # though 60 products run far below the fold.
    assert not page.locator(".site-nav").is_visible()
    assert _in_viewport(page, charge)
    plus = page.get_by_role("button", name=f"+0.5 qty_{lychee.id}")
    plus.scroll_into_view_if_needed()
    assert _in_viewport(page, charge)

    taps = 0
    plus.click()
    taps += 1
    assert page.locator("[data-pos-total] .price").inner_text() == "30.000 ₫"
    charge.click()
    taps += 1
    # The quick note that covers it: sells in cash and shows the change.
    page.get_by_role("button", name="50.000 ₫").click()
    taps += 1
    assert taps == 3
    assert "Đã bán, thu tiền mặt 30.000 ₫" in page.content()
    assert "Tiền thối: 20.000 ₫" in page.content()
    page.wait_for_load_state("load")
    assert page.locator(".sold-receipt img").evaluate("img => img.naturalWidth") > 100
    db.session.expire_all()
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.total, order.cash_given, order.lines[0].quantity) == (
        30_000, 50_000, Decimal("0.500"))
    # Straight back on the booth screen, ready for the next buyer.
    assert _in_viewport(page, page.get_by_role("button", name="Tính tiền"))


def test_typing_a_few_letters_without_accents_finds_the_product(app, live_server, page):
    _seller, lychee = _stall_with_sixty_products()
    _log_in(page, live_server, "0912777666")
    rows = page.locator(".pos-row")
    assert rows.count() == 60
    page.wait_for_load_state("load")
    page.fill("[data-pos-search]", "vai thi")
    visible = page.locator(".pos-row:visible")
    assert visible.count() == 1
    assert "Vải thiều Lục Ngạn" in visible.inner_text()
    page.fill("[data-pos-search]", "mat")
    assert page.locator(".pos-row:visible").count() == 6  # "Mật ong loại …"


def test_the_typed_amount_given_shows_the_change(app, live_server, page):
    from playwright.sync_api import expect

    _seller, lychee = _stall_with_sixty_products()
    _log_in(page, live_server, "0912777666")
    page.fill(f"#qty_{lychee.id}", "1.5")
    page.get_by_role("button", name="Tính tiền").click()
    page.wait_for_load_state("load")
    page.fill("#cash_given", "100000")
    expect(page.locator("[data-change]")).to_have_text("Tiền thối: 10.000 ₫")
    page.fill("#cash_given", "80.000")
    expect(page.locator("[data-change]")).to_have_text("Còn thiếu: 10.000 ₫")
    page.get_by_role("button", name="Xác nhận đã bán").click()
    assert "Khách đưa 80.000 ₫, chưa đủ 90.000 ₫" in page.content()
    page.fill("#cash_given", "100.000")
    page.get_by_role("button", name="Xác nhận đã bán").click()
    assert "Tiền thối: 10.000 ₫" in page.content()
