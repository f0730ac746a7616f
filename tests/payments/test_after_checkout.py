"""After checkout: the deadline, the order, a QR to save, the next stall, a lost link."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import time_machine
import zxingcpp
from PIL import Image

from marketplace import vietqr
from tests.factories import make_order, make_product, make_stall
from tests.orders.conftest import Shop

PLACED = datetime(2026, 6, 30, 16, 40, tzinfo=UTC)  # 23:40 in Vietnam: the deadline is tomorrow


def _vietqr_order(rice, **kw):
    return make_order(rice.stall, [(rice, 2)], payment_method="vietqr", placed_at=PLACED, **kw)


def test_page_shows_the_deadline_and_that_the_order_is_then_cancelled(client, rice):
    order = _vietqr_order(rice)
    with time_machine.travel(PLACED):
        html = client.get(f"/pay/{order.code}/vietqr?t={order.access_token}").get_data(
            as_text=True)
    assert "Hạn thanh toán: 01/07/2026 00:40." in html
    assert "đơn sẽ tự động bị hủy" in html


def test_page_links_to_the_order_and_offers_the_qr_as_a_picture(client, rice):
    order = _vietqr_order(rice)
    html = client.get(f"/pay/{order.code}/vietqr?t={order.access_token}").get_data(as_text=True)
    assert f'href="/orders/{order.code}?t={order.access_token}"' in html
    png_url = f"/pay/{order.code}/vietqr.png?t={order.access_token}"
    assert f'href="{png_url}"' in html and f'download="vietqr-{order.code}.png"' in html
    response = client.get(png_url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.data)))
    assert vietqr.parse_payload(found.text).amount == 90000


def test_the_picture_is_for_the_link_holder_only_and_not_once_paid(client, rice):
    order = _vietqr_order(rice)
    assert client.get(f"/pay/{order.code}/vietqr.png").status_code == 404
    assert client.get(f"/pay/{order.code}/vietqr.png?t=sai").status_code == 404
    assert client.get(f"/pay/{order.code}/vietqr.png?t=khóa-sai").status_code == 404
    paid = _vietqr_order(rice, paid=True)
    assert client.get(f"/pay/{paid.code}/vietqr.png?t={paid.access_token}").status_code == 404
    html = client.get(f"/pay/{paid.code}/vietqr?t={paid.access_token}").get_data(as_text=True)
    assert "Hạn thanh toán" not in html


def test_a_cash_order_has_no_deadline(client, rice):
    order = make_order(rice.stall, [(rice, 1)], payment_method="cash")
    html = client.get(f"/pay/{order.code}/vietqr?t={order.access_token}").get_data(as_text=True)
    assert "Hạn thanh toán" not in html


def test_after_one_stall_the_page_leads_to_the_next_stalls_transfer(client, rice):
    other_stall = make_stall(name="Mỳ rau củ", bank_bin="970436",
                             bank_account_number="0011001234567", bank_account_name="LE VAN MY")
    noodles = make_product(other_stall, price=30000)
    shop = Shop(client)
    shop.add(rice, 1)
    shop.add(noodles, 1)
    assert shop.checkout([rice.stall, other_stall], payment="vietqr").status_code == 303
    import sqlalchemy as sa

    from marketplace.extensions import db
    from marketplace.orders.models import Order

    first, second = db.session.scalars(sa.select(Order).order_by(Order.id)).all()
    html = client.get(f"/pay/{first.code}/vietqr?t={first.access_token}").get_data(as_text=True)
    assert f"/pay/{second.code}/vietqr?t={second.access_token}" in html
    assert "Tiếp theo: chuyển khoản đơn" in html and "Mỳ rau củ" in html


def test_a_guest_finds_the_order_by_code_and_phone(client, rice):
    order = make_order(rice.stall, [(rice, 1)], customer_phone="0912345678")
    response = client.post("/orders/find", data={"code": order.code.lower(),
                                                 "phone": "0912 345 678"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order.code}?t={order.access_token}"


def test_a_wrong_phone_or_code_finds_nothing_and_says_so(client, rice):
    order = make_order(rice.stall, [(rice, 1)], customer_phone="0912345678")
    for data in ({"code": order.code, "phone": "0987654321"},
                 {"code": "ZZZZZZZ", "phone": "0912345678"},
                 {"code": order.code, "phone": "không phải số"},
                 {"code": "", "phone": ""}):
        response = client.post("/orders/find", data=data)
        assert response.status_code == 400
        assert "Không tìm thấy đơn" in response.get_data(as_text=True)
    assert "Tìm lại đơn hàng" in client.get("/").get_data(as_text=True)
