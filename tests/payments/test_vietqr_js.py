"""The phone builds VietQR codes offline: the same payload as the server, a code that scans."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.qr import read_qr
from marketplace.vietqr import build_payload, parse_payload

pytestmark = pytest.mark.browser

JS = (Path(__file__).resolve().parents[2] / "static" / "js" / "vietqr.js").read_text()
CASES = [
    ("970436", "0011001234567", 150000, "Đơn bán Vải thiều 3kg"),
    ("970415", "123", None, None),
    ("970422", "0011001234567890123", 9_999_999_999_999, "CHO40 ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("970436", "1", 1, "đ"),
    ("970418", "AB12cd", 45000, "  nhiều   khoảng   trắng  "),
]


@pytest.fixture
def qr_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<img id="q" width="600" height="600" alt="">')
    page.add_script_tag(content=JS)
    yield page
    context.close()


@pytest.mark.parametrize("case", CASES, ids=[str(c[2]) for c in CASES])
def test_the_phone_builds_the_servers_payload_and_a_code_that_scans(qr_page, case):
    expected = build_payload(*case)
    built = qr_page.evaluate("([a, b, c, d]) => VietQR.payload(a, b, c, d)", list(case))
    assert built == expected
    uri = qr_page.evaluate("t => VietQR.svgDataUri(t)", built)
    qr_page.evaluate("""u => { const i = document.getElementById("q"); i.src = u;
                               return new Promise(r => { i.onload = r; }); }""", uri)
    png = qr_page.locator("#q").screenshot()
    assert read_qr(png) == [expected]
    assert parse_payload(read_qr(png)[0]).amount == case[2]


def test_crc_matches_the_published_check_value(qr_page):
    # CRC-16/CCITT-FALSE of "123456789" is 29B1 (the catalogue's check value).
    assert qr_page.evaluate("VietQR.crc16('123456789')") == "29B1"
