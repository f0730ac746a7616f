"""The payments demo adds card and transfer rows once."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.payments import demo
from marketplace.payments.models import Payment
from tests.factories import make_order


def test_demo_pays_some_orders_by_card_once(db, rice):
    orders = [make_order(rice.stall, [(rice, 1)]) for _ in range(3)]
    demo.seed({})
    db.session.commit()
    demo.seed({})
    db.session.commit()
    rows = db.session.scalars(sa.select(Payment).order_by(Payment.id)).all()
    assert [(r.method, r.provider_ref) for r in rows] == [
        ("card", f"pi_demo_{o.code}:{o.code}") for o in orders]
    assert all(o.is_paid for o in orders)
