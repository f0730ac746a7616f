"""The booth screen in Chromium with the network cut: sell, reload, come back, sync once."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.qr import read_qr
from marketplace.reports.figures import totals
from marketplace.reports.scope import fair_scope
from marketplace.vietqr import parse_payload
from tests.conftest import PASSWORD
from tests.factories import make_fair, make_participation, make_product, make_seller, make_stall

pytestmark = pytest.mark.browser

# Send again every sale the phone kept (sent ones included), as a retry after a lost answer.
RESEND = """async () => {
  const box = document.querySelector("[data-booth]");
  const token = (await (await fetch(box.dataset.dataUrl)).json()).csrf_token;
  const db = await new Promise(ok => { const r = indexedDB.open("cho40-booth", 1);
                                        r.onsuccess = () => ok(r.result); });
  const sales = await new Promise(ok => {
    const r = db.transaction("sales").objectStore("sales").getAll();
    r.onsuccess = () => ok(r.result); });
  const codes = [];
  for (const s of sales) {
    const r = await fetch(box.dataset.syncUrl, {method: "POST", headers: {
      "Content-Type": "application/json", "X-CSRFToken": token}, body: JSON.stringify(
      {id: s.id, sold_at: s.sold_at, method: s.method, lines: s.lines})});
    codes.push((await r.json()).order);
  }
  return codes;
}"""


@pytest.fixture
def stall(app):
    seller = make_seller(phone="0912999888", email=None)
    stall = make_stall(seller, name="Gian Vải", bank_bin="970436",
                       bank_account_number="0011001234567", bank_account_name="NGUYEN VAN A")
    products = [make_product(stall, name=name, price=price, stock=20)
                for name, price in (("Gạo thơm", 45000), ("Vải thiều", 60000),
                                    ("Nước mắm", 80000))]
    fair = make_fair(slug="phien-vai")
    make_participation(fair, stall)
    return {"stall": stall, "products": products, "fair": fair}


def _open_booth(context, base: str):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/login?next=/seller/pos")
    page.fill("input[name=login]", "0912999888")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/seller/pos$"))
    # The worker controls the page and the screen and its data are on the phone.
    expect(page.get_by_text("Máy đã lưu gian hàng")).to_be_visible()
    assert page.evaluate("!!navigator.serviceWorker.controller")
    return page


def _sell_offline(page, product, qty: int, method: str = "cash") -> None:
    page.fill(f"#qty_{product.id}", str(qty))
    page.get_by_role("button", name="Tính tiền").click()
    panel = page.locator("[data-offline-sale]")
    expect(panel).to_be_visible()
    assert "không nhận thanh toán thẻ" in panel.inner_text()
    if method == "vietqr":
        panel.get_by_label("Chuyển khoản VietQR").check()
        # A code with the amount in it, made on the phone with no network.
        code = read_qr(panel.locator("[data-offline-qr] img").screenshot())
        qr = parse_payload(code[0])
        assert (qr.account, qr.amount, qr.dynamic) == ("0011001234567", product.price * qty, True)
        assert "khách quét và xác nhận" in panel.inner_text()
    panel.get_by_role("button", name="Xác nhận đã bán").click()
    expect(panel).to_be_hidden()


def _pending(page) -> str:
    return page.locator("[data-pending]").inner_text()


def _orders() -> list[Order]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Order).order_by(Order.placed_at)))


def test_three_sales_offline_survive_a_reload_and_sync_once(app, live_server, browser, stall):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = _open_booth(context, live_server.url)
    rice, lychee, sauce = stall["products"]
    context.set_offline(True)
    _sell_offline(page, rice, 2)
    _sell_offline(page, lychee, 1, method="vietqr")
    page.wait_for_function("() => document.querySelector('[data-pending]').textContent === '2'")
    page.reload()  # offline: the screen comes from the phone
    assert page.get_by_role("heading", level=1).inner_text() == "Bán tại gian — Gian Vải"
    page.wait_for_function("() => document.querySelector('[data-pending]').textContent === '2'")
    _sell_offline(page, sauce, 3)
    page.wait_for_function("() => document.querySelector('[data-pending]').textContent === '3'")
    assert _orders() == []

    context.set_offline(False)  # the queue goes by itself
    page.wait_for_function("() => document.querySelector('[data-pending]').textContent === '0'")
    orders = _orders()
    assert sorted(o.total for o in orders) == [60000, 90000, 240000]
    assert [o.payment_method for o in orders] == ["cash", "vietqr", "cash"]
    codes = [o.code for o in orders]
    page.goto(f"{live_server.url}/seller/orders")
    rows = page.locator("table.cards tbody tr")
    assert rows.count() == 3
    assert all(rows.filter(has_text=code).count() == 1 for code in codes)
    figures = totals(fair_scope(stall["fair"]))
    assert figures.orders == 3 and figures.gross_vnd == 390000

    page.goto(f"{live_server.url}/seller/pos")
    page.get_by_role("button", name="Gửi ngay").click()  # a second sync changes nothing
    expect(page.locator("[data-sync-note]")).to_have_text("Không có đơn nào chờ gửi.")
    assert _pending(page) == "0"
    # The phone sends every sale it kept once more: the server answers with the same orders.
    again = page.evaluate(RESEND)
    assert sorted(again) == sorted(codes)
    assert [o.code for o in _orders()] == codes
    context.close()


def test_two_phones_of_the_stall_sell_offline_and_both_are_merged(app, live_server, browser,
                                                                 stall):
    rice, lychee, _sauce = stall["products"]
    phones = [browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
              for _n in range(2)]
    pages = [_open_booth(c, live_server.url) for c in phones]
    for context in phones:
        context.set_offline(True)
    _sell_offline(pages[0], rice, 1)
    _sell_offline(pages[0], lychee, 2)
    _sell_offline(pages[1], rice, 4)
    assert _orders() == []
    for context, page in zip(phones, pages, strict=True):
        context.set_offline(False)
        page.wait_for_function(
            "() => document.querySelector('[data-pending]').textContent === '0'")
    assert sorted(o.total for o in _orders()) == [45000, 120000, 180000]
    db.session.expire_all()
    assert db.session.get(type(rice), rice.id).stock == 15
    for context in phones:
        context.close()


def test_a_sale_kept_offline_survives_a_closed_browser(app, live_server, browser, stall,
                                                      tmp_path):
    from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

    rice = stall["products"][0]

    def launch():  # a browser with a profile on disk, like the phone's
        return browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
            viewport={"width": 390, "height": 844}, locale="vi-VN")

    context = launch()
    page = _open_booth(context, live_server.url)
    context.set_offline(True)
    _sell_offline(page, rice, 2)
    page.wait_for_function("() => document.querySelector('[data-pending]').textContent === '1'")
    context.close()  # the browser is closed with the sale still on the phone
    assert _orders() == []

    context = launch()
    page = _open_booth(context, live_server.url)  # signed in again
    page.wait_for_function("() => document.querySelector('[data-pending]').textContent === '0'")
    context.close()
    assert [(o.total, o.payment_method) for o in _orders()] == [(90000, "cash")]
