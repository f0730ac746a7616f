"""The payments demo adds card and transfer rows once."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import payments as demo
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


def test_a_demo_card_payment_is_refunded_by_the_demo_gateway_only(app, db, rice):
    """Production code knows no demo ids: with the Stripe gateway the refund goes to Stripe."""
    import uuid

    from marketplace.errors import DomainError
    from marketplace.once.services import once_for
    from marketplace.payments import services as pay

    [order] = [make_order(rice.stall, [(rice, 1)])]
    demo.seed({})
    db.session.commit()
    [row] = db.session.scalars(sa.select(Payment)).all()
    owner = rice.stall.owner_id

    def refund():
        return pay.refund_payment(order, row.id, owner, "Khách trả lại",
                                  once=once_for(uuid.uuid4().hex, "refund", actor_id=owner))

    app.config.update(CARD_GATEWAY="stripe", STRIPE_SECRET_KEY=None)
    try:
        refund()
    except DomainError as exc:
        assert "Thanh toán thẻ chưa được bật" in exc.message
    else:
        raise AssertionError("a demo id was refunded without any gateway")
    db.session.rollback()
    app.config["CARD_GATEWAY"] = "demo"
    refund()
    rows = db.session.scalars(sa.select(Payment).order_by(Payment.id)).all()
    assert [(r.kind, r.amount) for r in rows] == [("payment", order.total),
                                                  ("refund", -order.total)]
    assert rows[1].provider_ref.startswith("re_demo_")
