"""Cash at the booth (amount given, change, quick notes) and receipts without an account."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.orders import booth
from marketplace.orders.models import Order
from marketplace.qr import read_qr
from tests.factories import (
    make_fair,
    make_participation,
    make_product,
    make_seller,
    make_stall,
)
from tests.keys import new_key


def _booth(**stall_kw):
    seller = make_seller()
    stall = make_stall(seller, name="Vải Thiều Bác Tư", **stall_kw)
    make_participation(make_fair(state="open"), stall, booth="3")
    lychee = make_product(stall, name="Vải thiều", unit="kg", price=60_000,
                          stock=Decimal("30"), net_weight_kg=Decimal("1"))
    rice = make_product(stall, name="Gạo nếp cái hoa vàng", unit="túi", price=45_000, stock=9)
    return seller, stall, lychee, rice


def _sell(client, lines: dict, **extra):
    data = {"once_key": new_key(), "method": "cash", **extra}
    data.update({f"qty_{p.id}": qty for p, qty in lines.items()})
    return client.post("/seller/pos/sell", data=data)


def _order() -> Order:
    db.session.expire_all()
    return db.session.scalars(sa.select(Order)).one()


# --- change ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "given", "change"), [
    (90_000, 100_000, 10_000), (100_000, 100_000, 0), (1, 500_000, 499_999), (0, 0, 0),
])
def test_change_is_given_minus_total(total, given, change):
    assert booth.change_due(total, given) == change


def test_no_amount_given_means_no_change_shown():
    assert booth.change_due(90_000, None) is None


def test_an_amount_short_of_the_total_is_refused(app):
    with pytest.raises(ValidationError) as exc:
        booth.change_due(90_000, 89_999)
    assert exc.value.field == "cash_given"
    assert exc.value.reason == "Khách đưa 89.999 ₫, chưa đủ 90.000 ₫ (thiếu 1 ₫)."


@pytest.mark.parametrize(("raw", "amount"), [
    ("100.000", 100_000), ("100000", 100_000), ("100 000 ₫", 100_000), ("50,000", 50_000),
    ("", None), ("  ", None), (None, None), ("200.000đ", 200_000),
])
def test_amount_given_reads_money_the_vietnamese_way(app, raw, amount):
    assert booth.parse_cash_given(raw) == amount


@pytest.mark.parametrize("raw", ["1.5", "abc", "-50.000", "10.00", "1" * 30, "999999999"])
def test_a_mistyped_amount_given_is_refused(app, raw):
    with pytest.raises(ValidationError) as exc:
        booth.parse_cash_given(raw)
    assert exc.value.field == "cash_given"


def test_quick_notes_cover_the_total():
    assert booth.quick_amounts(90_000) == [(100_000, 10_000), (200_000, 110_000),
                                           (500_000, 410_000)]
    assert booth.quick_amounts(600_000) == []


def test_confirm_step_offers_quick_notes_with_their_change(client, auth):
    seller, _stall, lychee, _rice = _booth()
    auth.login(seller)
    html = client.post("/seller/pos/confirm",
                       data={f"qty_{lychee.id}": "1,5"}).get_data(as_text=True)
    assert "90.000 ₫" in html
    assert '<button type="submit" name="given" value="100000"' in html
    assert "thối 10.000 ₫" in html
    assert 'name="given" value="50000"' not in html  # less than the total
    assert 'name="cash_given"' in html


def test_a_quick_note_sells_and_shows_the_change(client, auth):
    seller, stall, lychee, _rice = _booth()
    auth.login(seller)
    response = _sell(client, {lychee: "1.5"}, given="100000")
    assert response.status_code == 303
    order = _order()
    assert (order.total, order.cash_given, order.status) == (90_000, 100_000, "fulfilled")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã bán, thu tiền mặt 90.000 ₫" in html
    assert "Khách đưa 100.000 ₫" in html and "Tiền thối: 10.000 ₫" in html
    assert f"/r/{order.receipt_token}" in html


def test_a_typed_amount_short_of_the_total_sells_nothing(client, auth):
    seller, _stall, lychee, _rice = _booth()
    auth.login(seller)
    response = _sell(client, {lychee: "1,5"}, cash_given="50.000")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Khách đưa 50.000 ₫, chưa đủ 90.000 ₫ (thiếu 40.000 ₫)." in html
    assert "Xác nhận đã bán" in html  # back on the confirm step, lines kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    db.session.refresh(lychee)
    assert lychee.stock == Decimal("30")


def test_a_transfer_sale_ignores_a_typed_amount(client, auth):
    seller, _stall, lychee, _rice = _booth(bank_bin="970436", bank_account_number="0011001234567",
                                            bank_account_name="NGUYEN VAN A")
    auth.login(seller)
    _sell(client, {lychee: "1"}, method="vietqr", cash_given="10.000")
    order = _order()
    assert (order.payment_method, order.cash_given) == ("vietqr", None)


# --- receipts -------------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 6, 20, 3, 5, tzinfo=UTC), tick=False)
def test_the_receipt_shows_stall_items_amount_paid_and_local_time(client, auth):
    seller, stall, lychee, rice = _booth()
    auth.login(seller)
    _sell(client, {lychee: "1,5", rice: "2"}, given="200000")
    order = _order()
    auth.logout()
    response = client.get(f"/r/{order.receipt_token}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Vải Thiều Bác Tư" in html
    assert "Vải thiều" in html and "1,5 kg × 60.000 ₫" in html and "90.000 ₫" in html
    assert "Gạo nếp cái hoa vàng" in html and "2 túi × 45.000 ₫" in html
    assert "Tổng cộng" in html and "180.000 ₫" in html
    assert "Đã trả" in html and "Tiền mặt" in html
    assert "Khách đưa" in html and "200.000 ₫" in html and "20.000 ₫" in html
    assert "20/06/2026 10:05" in html  # 03:05 UTC is 10:05 in Vietnam
    assert "css/receipt.css" in html


def test_the_receipt_qr_opens_the_receipt(client, auth):
    seller, _stall, lychee, _rice = _booth()
    auth.login(seller)
    _sell(client, {lychee: "1"})
    order = _order()
    response = client.get(f"/r/{order.receipt_token}/qr.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert read_qr(response.data) == [f"http://localhost/r/{order.receipt_token}"]


def test_receipt_share_links_carry_the_link(client, auth):
    seller, _stall, lychee, _rice = _booth()
    auth.login(seller)
    _sell(client, {lychee: "1"})
    order = _order()
    html = client.get(f"/r/{order.receipt_token}").get_data(as_text=True)
    link = f"http://localhost/r/{order.receipt_token}"
    sms = re.search(r'href="(sms:\?body=[^"]+)"', html).group(1)
    assert link in unquote(sms) and "60.000 ₫" in unquote(sms)
    zalo = re.search(r'href="(https://zalo\.me/share\?url=[^"]+)"', html).group(1)
    assert link in unquote(zalo)


def test_the_receipt_prints_on_58_mm_paper(client):
    css = client.get("/static/css/receipt.css").get_data(as_text=True)
    assert "@page{size:58mm auto" in css
    assert "@media print" in css


def test_receipt_tokens_are_random_and_unguessable(client, auth):
    seller, stall, lychee, _rice = _booth()
    auth.login(seller)
    _sell(client, {lychee: "1"})
    _sell(client, {lychee: "1"})
    tokens = list(db.session.scalars(sa.select(Order.receipt_token)))
    assert len(set(tokens)) == 2
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", t) for t in tokens)
    codes = set(db.session.scalars(sa.select(Order.code)))
    assert not codes & set(tokens)
    # The order code, a near miss, or nothing at all opens no receipt.
    for wrong in [*codes, tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B"), "x", "-" * 16]:
        assert client.get(f"/r/{wrong}").status_code == 404
        assert client.get(f"/r/{wrong}/qr.png").status_code == 404


def test_the_receipt_is_read_only(client, auth):
    seller, _stall, lychee, _rice = _booth()
    auth.login(seller)
    _sell(client, {lychee: "1"})
    token = _order().receipt_token
    assert client.post(f"/r/{token}").status_code == 405
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "<form" not in html.split('<main id="main"')[1].split("</main>")[0]


def test_another_stalls_sale_does_not_show_on_my_booth(app, client, auth):
    from tests.conftest import AuthActions

    seller, _stall, lychee, _rice = _booth()
    auth.login(seller)
    _sell(client, {lychee: "1"})
    theirs = _order()
    other = make_seller()
    make_product(make_stall(other, name="Gian khác"), name="Mật ong")
    intruder = app.test_client()
    AuthActions(intruder).login(other)
    response = intruder.get(f"/seller/pos?sold={theirs.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Mật ong" in html
    assert theirs.receipt_token not in html
    assert 'class="card sold"' not in html and f"Đơn {theirs.code}" not in html
