"""Venue boards at 1920×1080 and on a TV turned on its side: full width, no figure wraps."""

from __future__ import annotations

import pytest

from tests.factories import make_fair, make_order, make_participation, make_product, make_stall

pytestmark = pytest.mark.browser

SCREENS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


@pytest.fixture
def busy_fair(app):
    fair = make_fair(name="Phiên chợ nông sản Yên Dũng 2026", slug="yen-dung", public_board=True)
    for n in range(8):
        stall = make_stall(name=f"Hợp tác xã nông sản sạch số {n + 1} Lục Ngạn Bắc Giang")
        make_participation(fair, stall)
        product = make_product(stall, price=500_000, stock=100_000)
        make_order(stall, [(product, 540 - n * 7)], fair=fair, channel="fair", paid=True)
    return fair


FIGURES = ".board-big, .board-huge, .board-clock, .board-stalls .value"
FIT = """(selector) => [...document.querySelectorAll(selector)].map(el => {
    const style = getComputedStyle(el);
    const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
    const box = el.getBoundingClientRect();
    return {text: el.textContent.trim(), lines: Math.round(box.height / line),
            overflow: el.scrollWidth > el.clientWidth + 1,
            right: el.getBoundingClientRect().right};
  })"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_board_figures_fill_the_screen_and_never_wrap(browser, live_server, busy_fair, screen):
    width, height = SCREENS[screen]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/board/fairs/{busy_fair.slug}")
        revenue = page.locator("[data-field=net_vnd_text]").inner_text()
        assert revenue.endswith("tỷ ₫") and revenue.startswith("2,")
        screen_box = page.locator(".board-screen").bounding_box()
        assert screen_box["width"] >= 0.9 * width
        figures = page.evaluate(FIT, FIGURES)
        assert len(figures) >= 4 + 8
        for figure in figures:
            assert figure["lines"] == 1, figure
            assert not figure["overflow"], figure
            assert figure["right"] <= width, figure
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator(".board-stalls li").count() == 8
        assert page.locator(".board-progress progress").count() == 1
    finally:
        context.close()


def test_board_refreshes_in_place_without_reloading(browser, live_server, busy_fair):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        page.clock.install()
        page.goto(f"{live_server.url}/board/fairs/{busy_fair.slug}")
        page.evaluate("window.__same_page = true")
        stall = make_stall(name="Gian mới")
        make_participation(busy_fair, stall)
        make_order(stall, [(make_product(stall, price=900_000_000, stock=10), 1)],
                   fair=busy_fair, channel="fair", paid=True)
        with page.expect_response(lambda r: r.url.endswith("/data.json")):
            page.clock.run_for(31_000)
        page.wait_for_function("document.querySelector('.board-stalls .name').textContent"
                               " === 'Gian mới'")
        assert page.evaluate("window.__same_page") is True  # no reload, so no flicker
    finally:
        context.close()
