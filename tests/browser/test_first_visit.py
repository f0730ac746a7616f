"""A seller signs up, logs in again, switches language and sees their page — in Chromium."""

import re

import pytest

pytestmark = pytest.mark.browser


def test_seller_registers_logs_in_and_switches_language(live_server, page):
    page.goto(live_server.url + "/register")
    page.get_by_label("Họ tên").fill("Nguyễn Thị Mai")
    page.get_by_label("Số điện thoại").fill("0912 888 777")
    page.get_by_label("Mật khẩu").fill("matkhau-123")
    page.get_by_label("Người bán (chủ gian hàng)").check()
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_url(re.compile(r"/me$"))
    assert "Xin chào, Nguyễn Thị Mai" in page.content()

    page.get_by_role("button", name="Đăng xuất", exact=True).click()
    page.goto(live_server.url + "/login")
    page.get_by_label("Email hoặc số điện thoại").fill("+84912888777")
    page.get_by_label("Mật khẩu").fill("matkhau-123")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/me$"))

    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/me$"))
    assert page.locator("html").get_attribute("lang") == "en"
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == "Hello, Nguyễn Thị Mai"
    assert "Seller account" in page.content()
