"""Main pages run in Chromium under the Content-Security-Policy without a single violation."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tests.conftest import PASSWORD
from tests.factories import (
    make_batch,
    make_campaign,
    make_certificate,
    make_fair,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_seller,
    make_stall,
    make_step,
)

pytestmark = pytest.mark.browser

# Every violation is reported to the page as an event; Chromium also writes it to the console.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile
                    + ":" + e.lineNumber);
});
"""


@pytest.fixture
def fair_data(app):
    organizer = make_organizer(email="btc@example.vn")
    seller = make_seller(phone="0912999888", email=None)
    stall = make_stall(seller, bank_bin="970436", bank_account_number="0011001234567",
                       bank_account_name="NGUYEN VAN DUNG")
    product = make_product(stall, name="Vải thiều", category="trai-cay",
                           net_weight_kg=Decimal("1"))
    make_batch(product)
    make_step(product)
    make_certificate(product)
    fair = make_fair(organizer, slug="phien-cho", public_board=True)
    make_participation(fair, stall)
    campaign = make_campaign(organizer, slug="vai-thieu", public_board=True)
    order = make_order(stall, [(product, 3)])
    return {"stall": stall, "product": product, "fair": fair, "campaign": campaign,
            "order": order}


def _visit_all(page, base: str, paths: list[str]) -> dict[str, list[str]]:
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.add_init_script(WATCH)
    found = {}
    for path in paths:
        console.clear()
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        page.wait_for_load_state("load")
        events = page.evaluate("window.__csp")
        csp_console = [m for m in console if "Content Security Policy" in m]
        if events or csp_console:
            found[path] = events + csp_console
    return found


def _log_in(page, base: str, login: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/me$"))


def test_main_pages_cause_no_csp_violation(live_server, page, fair_data):
    product, order, stall = fair_data["product"], fair_data["order"], fair_data["stall"]
    base = live_server.url
    public = [
        "/", "/products", f"/p/{product.code}", f"/p/{product.code}",  # the cached copy too
        f"/s/{stall.slug}", "/fairs/phien-cho", "/campaigns/vai-thieu",
        "/board/campaigns/vai-thieu", "/board/fairs/phien-cho", "/login", "/register",
        "/password/forgot", f"/orders/{order.code}?t={order.access_token}",
        f"/pay/{order.code}/vietqr?t={order.access_token}",
    ]
    assert _visit_all(page, base, public) == {}
    # The cart and checkout with something in it.
    page.goto(f"{base}/p/{product.code}")
    page.get_by_role("button", name=re.compile("Thêm vào giỏ|Cho vào giỏ|giỏ")).first.click()
    assert _visit_all(page, base, ["/cart", "/checkout"]) == {}

    _log_in(page, base, "0912999888")
    seller_pages = [
        "/me", "/seller/pos", "/seller/orders", f"/seller/orders/{order.code}",
        "/seller/orders/packing", "/seller/summary", "/seller/vietqr-sign", "/seller/provenance",
        f"/seller/products/{product.id}/provenance", f"/seller/stalls/{stall.id}/labels",
        "/seller/orders/new", "/me/password",
    ]
    assert _visit_all(page, base, seller_pages) == {}
    page.get_by_role("button", name="Đăng xuất").first.click()

    _log_in(page, base, "btc@example.vn")
    organizer_pages = [
        "/organizer", "/organizer/reports", "/organizer/reports/fairs/phien-cho",
        "/organizer/reports/campaigns/vai-thieu", "/organizer/stalls",
        f"/organizer/fairs/{fair_data['fair'].id}", "/organizer/campaigns/new",
        "/organizer/password-codes",
    ]
    assert _visit_all(page, base, organizer_pages) == {}


def test_the_watch_does_see_a_violation(live_server, page):
    """The check is not blind: an inline script on a served page is reported."""
    page.add_init_script(WATCH)
    page.goto(live_server.url + "/")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.body.append(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__csp"))
