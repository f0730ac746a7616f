"""Every main screen of each role fits a 390×844 phone: no sideways scroll, no clipped cell."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import PASSWORD
from tests.factories import (
    make_campaign,
    make_fair,
    make_imported_line,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_seller,
    make_stall,
    make_user,
)

pytestmark = pytest.mark.browser

# Anything a person reads that must not be cut or push the page sideways. Only a container
# that says it scrolls (.table-scroll with a data-cue) may hold something wider than itself.
CHECK = """() => {
  const width = window.innerWidth, problems = [];
  const allowed = el => el.closest('.table-scroll[data-cue]') || el.closest('table.cards thead');
  const texts = 'td, th, dd, dt, li, p, .price, .stat-value, h1, h2, h3, button, a.button, '
    + 'label, input, select';
  for (const el of document.querySelectorAll(texts)) {
    const box = el.getBoundingClientRect();
    if (!box.width || allowed(el)) continue;
    if (box.right > width + 1 || box.left < -1)
      problems.push('outside: ' + el.outerHTML.slice(0, 90));
    else if (['TD', 'TH', 'DD'].includes(el.tagName) && el.scrollWidth > el.clientWidth + 1)
      problems.push('clipped: ' + el.outerHTML.slice(0, 90));
  }
  for (const el of document.querySelectorAll('.table-scroll, table, svg, pre')) {
    if (allowed(el) || el.closest('.table-scroll[data-cue]')) continue;
    if (el.scrollWidth > el.clientWidth + 1) problems.push('wide: ' + el.outerHTML.slice(0, 90));
  }
  return {scroll: document.documentElement.scrollWidth, problems};
}"""

LONG = "Hợp tác xã Nông nghiệp Dịch vụ Tổng hợp Vải thiều Thanh Hà Lục Ngạn"


@pytest.fixture
def world(app):
    organizer = make_organizer(email="btc@example.vn")
    seller = make_seller(phone="0912000111", email=None)
    shopper = make_user(email="mua@example.vn")
    stall = make_stall(seller, name=LONG, slug="htx-vai", bank_bin="970416",
                       bank_account_number="257678859", bank_account_name="NGUYEN THI HOA")
    fair = make_fair(organizer, name="Phiên chợ nông sản an toàn huyện Yên Dũng 2026",
                     slug="yen-dung", public_board=True)
    make_participation(fair, stall, booth="12")
    lychee = make_product(stall, name="Vải thiều Thanh Hà loại đặc biệt hộp quà 2 kg",
                          category="trai-cay", net_weight_kg=Decimal("2"), price=1_250_000,
                          stock=5000)
    campaign = make_campaign(organizer, slug="vai-2026", name="Vải chuẩn từ tâm 2026",
                             categories="trai-cay")
    orders = [make_order(stall, [(lychee, 12)], fair=fair, channel="fair", paid=True,
                         customer=shopper, customer_name="Nguyễn Thị Thu Hương Phương")
              for _ in range(3)]
    orders.append(make_order(stall, [(lychee, 3)], payment_method="vietqr", customer=shopper))
    make_imported_line(stall, lychee, qty=40, net_amount=48_000_000)
    return {"organizer": organizer, "seller": seller, "shopper": shopper, "stall": stall,
            "fair": fair, "campaign": campaign, "product": lychee, "orders": orders}


def _pages(world) -> dict[str, list[str]]:
    stall, fair, campaign = world["stall"], world["fair"], world["campaign"]
    order, unpaid = world["orders"][0], world["orders"][-1]
    code = world["product"].code
    return {
        "anonymous": ["/", "/fairs", f"/fairs/{fair.slug}", "/products", f"/p/{code}",
                      f"/s/{stall.slug}", f"/campaigns/{campaign.slug}", "/orders/find",
                      f"/orders/{order.code}?t={order.access_token}",
                      f"/pay/{unpaid.code}/vietqr?t={unpaid.access_token}", "/login", "/register"],
        "shopper": ["/me", "/my/orders", "/cart", "/checkout", "/me/notifications"],
        "seller": ["/me", "/seller/stall", "/seller/products", "/seller/products/new",
                   "/seller/orders", f"/seller/orders/{order.code}",
                   f"/seller/orders/{order.code}/payments", "/seller/pos", "/seller/orders/new",
                   f"/seller/orders/packing?fair={fair.id}", "/seller/summary",
                   "/seller/imports", "/seller/vietqr-sign", "/payments/reconcile"],
        "organizer": ["/me", "/organizer", f"/organizer/fairs/{fair.id}", "/organizer/fairs/new",
                      "/organizer/campaigns/new", "/organizer/reports",
                      f"/organizer/reports/fairs/{fair.slug}",
                      f"/organizer/reports/campaigns/{campaign.slug}",
                      "/organizer/reports/range", "/organizer/stalls",
                      "/organizer/api-tokens"],
    }


LOGINS = {"shopper": "mua@example.vn", "seller": "0912000111", "organizer": "btc@example.vn"}


@pytest.mark.parametrize("role", ["anonymous", "shopper", "seller", "organizer"])
def test_every_main_screen_fits_a_phone(browser, live_server, world, role):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    try:
        page = context.new_page()
        if role in LOGINS:
            page.goto(live_server.url + "/login")
            page.fill("input[name=login]", LOGINS[role])
            page.fill("input[name=password]", PASSWORD)
            page.click("main form button[type=submit]")
            page.wait_for_url("**/me")
        if role == "shopper":  # something in the cart, so the cart and checkout have rows
            page.goto(f"{live_server.url}/p/{world['product'].code}")
            page.get_by_role("button", name="Thêm vào giỏ").first.click()
        failures = []
        for path in _pages(world)[role]:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            result = page.evaluate(CHECK)
            if result["scroll"] > 390 or result["problems"]:
                failures.append((path, result["scroll"], result["problems"][:3]))
        assert failures == []
    finally:
        context.close()
