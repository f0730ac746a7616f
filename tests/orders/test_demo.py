"""Demo history for the past Yên Dũng fair."""

from datetime import datetime, time

import sqlalchemy as sa

from marketplace.demo import sales as demo
from marketplace.extensions import db
from marketplace.formatting import local_to_utc, to_local
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from tests.factories import make_fair, make_participation, make_product, make_stall, make_user


def _ctx():
    fair = make_fair(state="closed", starts_at=local_to_utc(datetime(2023, 3, 4, 7)),
                     ends_at=local_to_utc(datetime(2023, 3, 6, 21)))
    products = []
    for n in range(4):
        stall = make_stall()
        make_participation(fair, stall, booth=str(n + 1))
        products += [make_product(stall, price=35000 + 10000 * k, stock=50) for k in range(3)]
    return {"past_fair": fair, "products": products, "shopper": make_user(name="Thu Hà")}


def _count(*where) -> int:
    return db.session.scalar(sa.select(sa.func.count(Order.id)).where(*where))


def test_demo_spreads_fair_sales_over_its_days_and_hours(app):
    ctx = _ctx()
    demo.seed(ctx)
    db.session.commit()
    fair = ctx["past_fair"]
    booth_cash = db.session.scalar(
        sa.select(sa.func.sum(Payment.amount)).join(Order)
        .where(Order.fair_id == fair.id, Order.fulfilment == "booth_pickup",
               Order.created_by_id.is_not(None), Payment.method == "cash"))
    assert booth_cash > 200_000_000
    assert _count(Order.channel == "online") >= 300
    assert _count(Order.channel == "livestream") > 0
    assert _count(Order.status == "cancelled") > 0
    assert _count(Order.fulfilment == "delivery", Order.status == "fulfilled") > 0
    placed = db.session.scalars(sa.select(Order.placed_at).where(Order.customer_id.is_(None)))
    days = set()
    for at in placed:
        local = to_local(at)
        assert fair.starts_at <= at < fair.ends_at
        assert time(7) <= local.time() < time(21)
        days.add(local.date())
    assert len(days) == 3


def test_demo_leaves_live_stock_alone_and_runs_once(app):
    ctx = _ctx()
    demo.seed(ctx)
    db.session.commit()
    total = _count()
    demo.seed(ctx)
    db.session.commit()
    assert _count() == total
    assert {p.stock for p in ctx["products"]} == {50}


def test_demo_gives_the_shopper_a_few_orders(app, client, auth):
    ctx = _ctx()
    demo.seed(ctx)
    db.session.commit()
    assert 0 < _count(Order.customer_id == ctx["shopper"].id) < 10
    auth.login(ctx["shopper"])
    assert "Hoàn tất" in client.get("/my/orders").get_data(as_text=True)


def test_demo_without_a_past_fair_skips_it(app):
    demo.seed({"shopper": None, "products": []})
    assert _count() == 0
