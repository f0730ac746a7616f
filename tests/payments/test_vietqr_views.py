"""VietQR screens: who sees the order's QR, marking a transfer received, the booth sign."""

from __future__ import annotations

import base64
import io
import re

import sqlalchemy as sa
import zxingcpp
from flask import render_template_string
from PIL import Image

from marketplace import vietqr
from marketplace.payments.models import Payment
from tests.factories import make_order, make_product, make_seller, make_stall
from tests.keys import new_key


def _qr_payload(html: str) -> str:
    return re.search(r'data-payload="([^"]+)"', html).group(1)


def test_buyer_with_token_sees_qr_for_the_order_amount(client, rice):
    order = make_order(rice.stall, [(rice, 3)])
    resp = client.get(f"/pay/{order.code}/vietqr?t={order.access_token}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "135.000 ₫" in html and "257678859" in html and "NGUYEN THI HOA" in html
    assert "ACB" in html and order.code in html
    parsed = vietqr.parse_payload(_qr_payload(html))
    assert (parsed.bank_bin, parsed.account, parsed.amount, parsed.note) == (
        "970416", "257678859", 135000, order.code)


def test_qr_image_on_the_page_decodes_to_the_payload(client, rice):
    order = make_order(rice.stall, [(rice, 1)])
    html = client.get(f"/pay/{order.code}/vietqr?t={order.access_token}").get_data(as_text=True)
    svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1))
    assert svg.startswith(b"<svg") and b"<path" in svg  # rendered by marketplace.qr
    assert vietqr.parse_payload(_qr_payload(html)).amount == 45000


def test_anonymous_without_token_gets_404(client, rice):
    order = make_order(rice.stall, [(rice, 1)])
    assert client.get(f"/pay/{order.code}/vietqr").status_code == 404
    assert client.get(f"/pay/{order.code}/vietqr?t=wrong").status_code == 404


def test_stall_seller_sees_qr_and_mark_button(client, auth, rice, seller):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(seller)
    html = client.get(f"/pay/{order.code}/vietqr").get_data(as_text=True)
    assert "Đã nhận chuyển khoản" in html


def test_other_seller_cannot_see_the_qr(client, auth, rice):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(make_seller())
    assert client.get(f"/pay/{order.code}/vietqr").status_code == 404


def test_seller_marks_transfer_received_once(client, auth, db, rice, seller):
    order = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    client.post(f"/pay/{order.code}/vietqr/received", data={"once_key": new_key()})
    resp = client.post(f"/pay/{order.code}/vietqr/received",
                       data={"once_key": new_key()}, follow_redirects=True)
    assert "đã được thanh toán trước đó" in resp.get_data(as_text=True)
    rows = db.session.scalars(sa.select(Payment).where(Payment.order_id == order.id)).all()
    assert [(r.method, r.amount, r.recorded_by_id) for r in rows] == [("vietqr", 90000, seller.id)]
    db.session.refresh(order)
    assert order.is_paid


def test_other_seller_cannot_mark_received(client, auth, db, rice):
    order = make_order(rice.stall, [(rice, 1)])
    auth.login(make_seller())
    assert client.post(f"/pay/{order.code}/vietqr/received",
                       data={"once_key": new_key()}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 0


def test_buyer_cannot_mark_received(client, rice):
    order = make_order(rice.stall, [(rice, 1)])
    resp = client.post(f"/pay/{order.code}/vietqr/received?t={order.access_token}",
                       data={"once_key": new_key()})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_stall_without_bank_account_says_so(client, db):
    product = make_product(make_stall())
    order = make_order(product.stall, [(product, 1)])
    html = client.get(f"/pay/{order.code}/vietqr?t={order.access_token}").get_data(as_text=True)
    assert "chưa khai báo tài khoản ngân hàng" in html
    assert "data-payload" not in html


def test_stall_without_bank_account_cannot_mark_transfer(client, auth, db):
    seller = make_seller()
    product = make_product(make_stall(owner=seller))
    order = make_order(product.stall, [(product, 1)])
    auth.login(seller)
    resp = client.post(f"/pay/{order.code}/vietqr/received", data={"once_key": new_key()})
    assert resp.status_code == 409
    assert "chưa có tài khoản ngân hàng" in resp.get_data(as_text=True)


def test_booth_sign_is_a_static_qr(client, auth, bank_stall, seller):
    auth.login(seller)
    html = client.get("/seller/vietqr-sign").get_data(as_text=True)
    assert "In biển" in html and "NGUYEN THI HOA" in html
    assert _qr_payload(html) == vietqr.build_payload("970416", "257678859")


def test_booth_sign_png_decodes_to_static_payload(client, auth, bank_stall, seller):
    auth.login(seller)
    resp = client.get(f"/seller/vietqr-sign/{bank_stall.id}.png")
    assert resp.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(resp.data)))
    assert not vietqr.parse_payload(decoded[0].text).dynamic


def test_booth_sign_png_of_another_sellers_stall_is_404(client, auth, bank_stall):
    auth.login(make_seller())
    assert client.get(f"/seller/vietqr-sign/{bank_stall.id}.png").status_code == 404


def test_booth_sign_needs_login(client):
    resp = client.get("/seller/vietqr-sign")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_pay_options_link_vietqr_and_hide_card_without_stripe(app, rice):
    order = make_order(rice.stall, [(rice, 1)])
    with app.test_request_context("/"):
        html = render_template_string(
            '{% include "payments/_pay_options.html" ignore missing %}', orders=[order])
    assert f"/pay/{order.code}/vietqr?t={order.access_token}" in html
    assert "Trả bằng thẻ" not in html


def test_seller_account_page_links_sign_and_reconciliation(client, auth, seller):
    auth.login(seller)
    html = client.get("/me").get_data(as_text=True)
    assert "/seller/vietqr-sign" in html and "/payments/reconcile" in html
