"""The one order writer: whoever writes an order (a checkout, a booth sale, an order taken by
phone, the demo, the tests' factories, the benches), its total is its lines plus its delivery
fee, each line price × quantity rounded once; and no other code writes order rows."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from marketplace.catalog.quantities import line_total
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from tests.delivery.conftest import BAC_NINH, make_zone
from tests.factories import make_fair, make_order, make_participation, make_product, make_stall
from tests.keys import new_key

ROOT = Path(__file__).resolve().parents[2]


def _exact_orders() -> list[Order]:
    """Every order in the database, checked: lines rounded once, total = lines + fee, and a
    paid order's payments sum to its paid amount."""
    db.session.expire_all()
    orders = list(db.session.scalars(sa.select(Order).options(selectinload(Order.lines))
                                      .order_by(Order.id)))
    paid = dict(db.session.execute(
        sa.select(Payment.order_id, sa.func.sum(Payment.amount)).group_by(Payment.order_id)
    ).all())
    for order in orders:
        assert order.lines, order.code
        for line in order.lines:
            assert line.line_total == line_total(line.unit_price, line.quantity), order.code
        assert order.total == sum(ln.line_total for ln in order.lines) + order.delivery_fee
        assert order.paid_amount == (paid.get(order.id) or 0), order.code
        assert [e.status for e in order.events][-1] == order.status, order.code
    return orders


def test_the_demo_writes_orders_whose_totals_add_up(app):
    from tests.demo.test_story import seed_demo

    seed_demo()
    orders = _exact_orders()
    assert len(orders) > 500
    channels = {o.channel for o in orders}
    assert channels == {"fair", "online", "livestream"}
    assert any(o.status == "cancelled" and o.cancelled_at for o in orders)


def test_the_factories_write_orders_whose_totals_add_up(app):
    stall = make_stall()
    lychee = make_product(stall, name="Vải thiều", unit="kg", price=33333)
    rice = make_product(stall, name="Gạo", price=45000)
    fee = make_order(stall, [(lychee, Decimal("1.5")), (rice, 2)], fulfilment="delivery",
                     delivery_fee=25000, paid=True, method="vietqr")
    assert fee.total == 50000 + 90000 + 25000
    make_order(stall, [(lychee, Decimal("0.25"))], status="cancelled")
    seller_sale = make_order(stall, [(rice, 1)], channel="fair", fulfilment="booth_pickup",
                             created_by_id=stall.owner_id, paid=True)
    assert seller_sale.status == "fulfilled"  # a paid booth sale is handed over
    assert len(_exact_orders()) == 3


def test_the_services_write_orders_whose_totals_add_up(app, shop):
    from marketplace.once.services import once_for
    from marketplace.orders.services import (
        CustomerDetails,
        create_manual_order,
        record_booth_sale,
    )

    stall = make_stall()
    fair = make_fair()
    make_participation(fair, stall)
    lychee = make_product(stall, name="Vải thiều", unit="kg", price=33333, stock=50)
    rice = make_product(stall, name="Gạo", price=45000, stock=50)
    make_zone(stall, BAC_NINH, fee=25000)
    shop.add(lychee, "1,5")
    shop.add(rice, 1)
    answer = shop.checkout([stall], fulfilment="delivery", address="Thôn 3, xã Nam Dương",
                           delivery_province="Bắc Ninh")
    assert answer.status_code == 303
    record_booth_sale(stall, {lychee.id: "0,5", rice.id: "2"}, "cash", seller_id=stall.owner_id,
                      once=once_for(new_key(), "sale", actor_id=stall.owner_id))
    create_manual_order(stall, {rice.id: "3"}, CustomerDetails("Chị Lan", "0912345678"),
                        channel="online", fulfilment="stall_pickup", method="cash", paid=True,
                        seller_id=stall.owner_id,
                        once=once_for(new_key(), "manual", actor_id=stall.owner_id))
    checkout, booth, manual = _exact_orders()
    assert (checkout.delivery_fee, checkout.total) == (25000, 50000 + 45000 + 25000)
    assert (booth.status, booth.total, booth.paid_amount) == ("fulfilled", 16667 + 90000,
                                                              16667 + 90000)
    assert (manual.total, manual.paid_amount) == (135000, 135000)


# Writing an order row, or a line, anywhere but the writer (an ORM Order(...), an INSERT).
_WRITES = re.compile(r"\b(Order|OrderLine)\(|insert\((Order|OrderLine)\b"
                     r"|(Order|OrderLine)\.__table__|INSERT INTO \"?order(_line)?\"? *\(")


def test_only_the_writer_writes_order_rows():
    found = []
    for folder in ("marketplace", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name in ("writer.py", "models.py", "test_writer.py", "test_migrations.py"):
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _WRITES.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []
