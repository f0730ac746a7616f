"""Selling by weight: decimal quantities at the booth and online, exact totals and exact kg."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from marketplace.catalog import quantities as q
from marketplace.catalog.models import Product
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderLine
from marketplace.reports.figures import Unit, campaign_progress, campaign_report
from tests.factories import (
    make_campaign,
    make_fair,
    make_participation,
    make_product,
    make_seller,
    make_stall,
)
from tests.keys import new_key


def _weighed_stall(price=80_000, stock="20", step="0.1", **kw):
    seller = make_seller()
    stall = make_stall(seller)
    make_participation(make_fair(state="open"), stall, booth="7")
    lychee = make_product(stall, name="Vải thiều Lục Ngạn", unit="kg", category="trai-cay",
                          net_weight_kg=Decimal("1.000"), price=price, stock=Decimal(stock),
                          quantity_step=Decimal(step), **kw)
    return seller, stall, lychee


def _sell(client, product, qty, **extra):
    data = {"once_key": new_key(), f"qty_{product.id}": qty, "method": "cash", **extra}
    return client.post("/seller/pos/sell", data=data, follow_redirects=True)


def _only_line() -> OrderLine:
    db.session.expire_all()
    return db.session.scalars(sa.select(OrderLine)).one()


# --- reading quantities -------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("1,5", Decimal("1.5")), ("1.5", Decimal("1.5")), (" 2 ", Decimal("2")),
    ("0,25", Decimal("0.25")), (",5", Decimal("0.5")), ("1.500", Decimal("1.5")),
    ("1,500", Decimal("1.5")), ("3.", Decimal("3")), ("10000", Decimal("10000")),
    (Decimal("1.5"), Decimal("1.5")),
])
def test_quantities_read_comma_or_dot_as_the_decimal_mark(app, raw, expected):
    # A quantity never groups thousands (unlike money): "1.500" kg is one and a half.
    assert q.parse_amount(raw) == expected


@pytest.mark.parametrize(("raw", "message"), [
    ("1,2345", "tối đa 3 chữ số thập phân"), ("1.000,5", "Số lượng phải là một số."),
    ("1,5kg", "Số lượng phải là một số."), (".", "Số lượng phải là một số."),
    ("-0,5", "Số lượng không được âm."), ("10000,001", "Số lượng tối đa là 10.000."),
    ("0,000", "Số lượng phải lớn hơn 0."), ("NaN", "Số lượng phải là một số."),
])
def test_bad_quantities_are_explained(app, raw, message):
    with pytest.raises(ValidationError) as exc:
        q.parse_amount(raw)
    assert message in exc.value.reason


def test_line_total_rounds_once_half_up_to_whole_dong():
    assert q.line_total(33_333, Decimal("1.5")) == 50_000  # 49 999,5 -> 50 000
    assert q.line_total(33_333, Decimal("0.1")) == 3_333  # 3 333,3 -> 3 333
    assert q.line_total(45_001, Decimal("0.5")) == 22_501  # 22 500,5 -> 22 501
    assert q.line_total(45_000, 3) == 135_000


def test_steps_and_pieces(app):
    q.check_quantity(Decimal("1.5"), "kg", Decimal("0.5"), "Vải", "qty")
    with pytest.raises(ValidationError, match="bán theo từng 0,5 kg"):
        q.check_quantity(Decimal("1.2"), "kg", Decimal("0.5"), "Vải", "qty")
    with pytest.raises(ValidationError, match="bán theo hộp: số lượng phải là số nguyên"):
        q.check_quantity(Decimal("1.5"), "hộp", Decimal("1"), "Bánh", "qty")
    q.check_quantity(Decimal("2"), "hộp", Decimal("1"), "Bánh", "qty")
    assert q.default_step("kg") == q.default_step("lít") == Decimal("0.1")
    assert q.default_step("túi") == 1


# --- at the booth ---------------------------------------------------------------------------


def test_booth_sells_one_and_a_half_kg(client, auth):
    seller, stall, lychee = _weighed_stall(price=80_000)
    auth.login(seller)
    html = client.post("/seller/pos/confirm",
                       data={f"qty_{lychee.id}": "1,5"}).get_data(as_text=True)
    assert "1,5 kg × Vải thiều Lục Ngạn — 120.000 ₫" in html
    assert f'name="qty_{lychee.id}" value="1.5"' in html
    html = _sell(client, lychee, "1.5").get_data(as_text=True)
    assert "Đã bán, thu tiền mặt 120.000 ₫" in html
    line = _only_line()
    assert (line.quantity, line.line_total, line.unit) == (Decimal("1.500"), 120_000, "kg")
    db.session.refresh(lychee)
    assert lychee.stock == Decimal("18.500")
    assert "còn 18,5" in client.get("/seller/pos").get_data(as_text=True)


def test_booth_rounds_the_line_once(client, auth):
    seller, stall, odd = _weighed_stall(price=33_333)
    auth.login(seller)
    _sell(client, odd, "1,5")
    line = _only_line()
    assert line.line_total == 50_000
    assert db.session.scalars(sa.select(Order.total)).one() == 50_000


def test_a_piece_product_refuses_one_and_a_half(client, auth):
    seller, stall, _lychee = _weighed_stall()
    jar = make_product(stall, name="Tương Trí Yên", unit="hũ", stock=10)
    auth.login(seller)
    response = _sell(client, jar, "1,5")
    assert response.status_code == 400
    assert "“Tương Trí Yên” bán theo hũ: số lượng phải là số nguyên." in response.get_data(
        as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    db.session.refresh(jar)
    assert jar.stock == 10


def test_a_weight_off_the_step_is_refused(client, auth):
    seller, _stall, lychee = _weighed_stall(step="0.5")
    auth.login(seller)
    response = client.post("/seller/pos/confirm", data={f"qty_{lychee.id}": "1,2"})
    assert response.status_code == 400
    assert "bán theo từng 0,5 kg (ví dụ 1,5 kg)" in response.get_data(as_text=True)


def test_more_than_the_stock_by_weight_is_refused(client, auth):
    seller, _stall, lychee = _weighed_stall(stock="1.4")
    auth.login(seller)
    response = _sell(client, lychee, "1,5")
    assert response.status_code == 409
    assert "chỉ còn 1,4" in response.get_data(as_text=True)


def test_the_booth_screen_steps_by_the_product_step(client, auth):
    seller, _stall, lychee = _weighed_stall(step="0.5", stock="12.5")
    auth.login(seller)
    html = client.get("/seller/pos").get_data(as_text=True)
    assert f'id="qty_{lychee.id}" name="qty_{lychee.id}" type="number" inputmode="decimal" ' \
           f'min="0" max="12.5" step="0.5"' in html


def test_the_sale_service_takes_decimal_quantities(app):
    # The interface other callers (the offline sync) use: quantities may be Decimals.
    from marketplace.once.services import BOOTH_SALE, once_for
    from marketplace.orders.services import record_booth_sale

    seller, stall, lychee = _weighed_stall(price=50_000, step="0.05")
    placed = record_booth_sale(stall, {lychee.id: Decimal("2.25")}, "cash", seller_id=seller.id,
                               once=once_for(new_key(), BOOTH_SALE, actor_id=seller.id))
    assert placed.total == 112_500
    assert _only_line().quantity == Decimal("2.250")


# --- online ---------------------------------------------------------------------------------


def test_online_order_of_two_and_a_half_kg(shop, client):
    _seller, stall, lychee = _weighed_stall(price=80_000)
    html = shop.add(lychee, "2,5").get_data(as_text=True)
    assert 'value="2.5"' in html
    assert "Đã thêm 2,5 × " in html  # never "2.500", which reads as two thousand five hundred
    assert "200.000 ₫" in html
    response = shop.checkout([stall])
    assert response.status_code == 303
    line = _only_line()
    assert (line.quantity, line.line_total) == (Decimal("2.500"), 200_000)
    db.session.refresh(lychee)
    assert lychee.stock == Decimal("17.500")


def test_cart_update_takes_a_weight_and_refuses_part_of_a_piece(shop, client):
    _seller, stall, lychee = _weighed_stall(price=80_000)
    jar = make_product(stall, name="Tương", unit="hũ", price=30_000, stock=5)
    shop.add(lychee, "1")
    shop.add(jar, "1")
    html = client.post("/cart/update", data={f"qty_{lychee.id}": "0,5"},
                       follow_redirects=True).get_data(as_text=True)
    assert 'value="0.5"' in html and "40.000 ₫" in html
    html = client.post("/cart/update", data={f"qty_{jar.id}": "1,5"},
                       follow_redirects=True).get_data(as_text=True)
    assert "bán theo hũ: số lượng phải là số nguyên" in html


def test_booth_and_online_weights_are_exact_in_the_campaign_report(shop, client, auth):
    seller, stall, lychee = _weighed_stall(price=80_000)
    campaign = make_campaign(stalls=[stall], categories="trai-cay")
    shop.add(lychee, "2.5")
    assert shop.checkout([stall]).status_code == 303
    auth.login(seller)
    _sell(client, lychee, "1,5")
    db.session.expire_all()
    totals = campaign_report(campaign).totals
    assert totals.kg == Decimal("4.000")
    assert totals.quantity == 4
    assert totals.gross_vnd == 120_000 + 200_000
    assert totals.units == (Unit("kg", 4),)
    assert campaign_progress(campaign).kg_provisional == Decimal("4.000")


def test_half_kilos_add_up_exactly_in_the_report(client, auth):
    seller, stall, lychee = _weighed_stall(price=10_000, step="0.1")
    campaign = make_campaign(stalls=[stall], categories="trai-cay")
    auth.login(seller)
    for qty in ("0,1", "0,2", "0,3", "1,7"):  # 0.1 + 0.2 is not 0.3 in floating point
        _sell(client, lychee, qty)
    db.session.expire_all()
    totals = campaign_report(campaign).totals
    assert totals.kg == Decimal("2.300")
    assert totals.quantity == Decimal("2.3")
    db.session.refresh(lychee)
    assert lychee.stock == Decimal("17.700")


# --- stock ----------------------------------------------------------------------------------


def test_racing_booth_sales_by_weight_take_exactly_the_stock(app, backend):
    from marketplace.once.services import BOOTH_SALE, once_for
    from marketplace.orders.services import record_booth_sale

    seller, stall, lychee = _weighed_stall(stock="2.5", step="0.5")
    ids = (seller.id, stall.id, lychee.id)
    db.session.remove()
    sellers = 8
    barrier = threading.Barrier(sellers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def sell():
        with app.app_context():
            from marketplace.catalog.models import Stall

            stall_ = db.session.get(Stall, ids[1])
            barrier.wait()
            try:
                record_booth_sale(stall_, {ids[2]: "0,5"}, "cash", seller_id=ids[0],
                                  once=once_for(new_key(), BOOTH_SALE, actor_id=ids[0]))
                outcome = "sold"
            except Exception as exc:  # noqa: BLE001 - the kind of refusal is asserted below
                outcome = type(exc).__name__
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=sell) for _ in range(sellers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes.count("sold") == 5  # 2,5 kg in 0,5 kg sales
    assert outcomes.count("OutOfStock") == sellers - 5
    db.session.expire_all()
    assert db.session.get(Product, ids[2]).stock == Decimal("0.000")
    assert db.session.scalar(sa.select(sa.func.sum(OrderLine.quantity))) == Decimal("2.5")


def test_cancelling_returns_the_weight(shop):
    from marketplace.orders.services import change_status

    seller, stall, lychee = _weighed_stall(stock="2")
    shop.add(lychee, "1,3")
    assert shop.checkout([stall]).status_code == 303
    db.session.refresh(lychee)
    assert lychee.stock == Decimal("0.700")
    order = db.session.scalars(sa.select(Order)).one()
    change_status(order, "cancelled", by_id=seller.id, reason="Cân nhầm")
    db.session.refresh(lychee)
    assert lychee.stock == Decimal("2.000")


# --- the seller's product form ---------------------------------------------------------------


def test_product_form_keeps_a_weighed_stock_and_step(client, auth):
    seller, stall, lychee = _weighed_stall(stock="12.5", step="0.5")
    auth.login(seller)
    html = client.get(f"/seller/products/{lychee.id}/edit").get_data(as_text=True)
    assert 'value="12.5"' in html and 'value="0.5"' in html
    form = {"name": lychee.name, "category": "trai-cay", "unit": "kg", "net_weight_kg": "1",
            "price": "80.000", "stock": "7,25", "quantity_step": "0,25", "active": "y"}
    response = client.post(f"/seller/products/{lychee.id}/edit", data=form)
    assert response.status_code == 302 or response.status_code == 303
    db.session.refresh(lychee)
    assert (lychee.stock, lychee.quantity_step) == (Decimal("7.250"), Decimal("0.250"))


def test_product_form_refuses_part_of_a_piece_in_stock(client, auth):
    seller, stall, _lychee = _weighed_stall()
    jar = make_product(stall, name="Tương", unit="hũ", stock=5)
    auth.login(seller)
    form = {"name": "Tương", "category": "gia-vi", "unit": "hũ", "net_weight_kg": "0,5",
            "price": "30.000", "stock": "2,5", "active": "y"}
    response = client.post(f"/seller/products/{jar.id}/edit", data=form)
    assert response.status_code == 400
    assert "Số lượng tồn phải là số nguyên." in response.get_data(as_text=True)
    # A piece product's stock of 1000 is still typed the money way.
    form["stock"] = "1.000"
    client.post(f"/seller/products/{jar.id}/edit", data=form)
    db.session.refresh(jar)
    assert jar.stock == 1000
