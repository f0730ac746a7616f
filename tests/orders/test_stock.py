"""One honest stock: racing buyers, cancellations returning stock once, unpaid orders expiring."""

import threading
from datetime import timedelta

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.orders.models import Checkout, Order, OrderLine, OrderStatusEvent
from tests.factories import make_order, make_product, make_stall
from tests.keys import new_key

BUYERS = 24
STOCK = 5


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _race_for_last_units(app, product_id: int, stall_id: int) -> list[str]:
    """Let BUYERS shoppers, each with their own connection, check out 1 unit at once."""
    clients = [app.test_client() for _ in range(BUYERS)]
    for c in clients:
        c.post("/cart/add", data={"product_id": product_id, "quantity": "1"})
    barrier = threading.Barrier(BUYERS)
    codes: list[str] = []
    lock = threading.Lock()

    def buy(c):
        barrier.wait()
        response = c.post("/checkout", data={
            "customer_name": "Người mua", "customer_phone": "0912345678",
            f"fulfilment_{stall_id}": "stall_pickup",
            f"payment_{stall_id}": "cash", "once_key": new_key(),
        })
        # Accepted: on to the checkout's page. Refused: 409 "Không đủ hàng" when the stock
        # went in the UPDATE, or back to the cart when it was already gone on reading it.
        where = response.headers.get("Location", "")
        outcome = ("accepted" if response.status_code == 303 and where.startswith("/checkout/")
                   else "refused" if response.status_code == 409 or where == "/cart"
                   else f"unexpected {response.status_code}")
        with lock:
            codes.append(outcome)

    threads = [threading.Thread(target=buy, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return codes


def test_racing_buyers_get_exactly_the_stock(app, backend):
    # Runs on both backends: PostgreSQL row locks and SQLite's single writer must both hold.
    product = make_product(name="Vải thiều loại 1", stock=STOCK)
    product_id, stall_id = product.id, product.stall_id
    db.session.remove()  # give the main thread's connection back to the pool
    codes = _race_for_last_units(app, product_id, stall_id)
    assert len(codes) == BUYERS
    assert codes.count("accepted") == STOCK
    assert codes.count("refused") == BUYERS - STOCK  # never a 500
    db.session.expire_all()
    assert db.session.get(Product, product_id).stock == 0
    assert _count(Checkout) == _count(Order) == _count(OrderLine) == STOCK
    assert _count(OrderStatusEvent) == STOCK
    for order in db.session.scalars(sa.select(Order)):
        assert order.checkout_id is not None
        assert [(ln.quantity, ln.product_id) for ln in order.lines] == [(1, product_id)]
        assert [e.status for e in order.events] == ["placed"]


def test_racing_cancellations_return_stock_once(app, backend):
    from marketplace.errors import Conflict
    from marketplace.orders.services import change_status

    product = make_product(stock=10)
    order = make_order(product.stall, [(product, 3)])
    product_id, order_id = product.id, order.id
    db.session.remove()
    workers = 8
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def cancel():
        with app.test_request_context():
            mine = db.session.get(Order, order_id)
            barrier.wait()
            try:
                change_status(mine, "cancelled", by_id=None, reason="Khách hủy")
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cancel) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * (workers - 1) + ["ok"]
    assert db.session.get(Product, product_id).stock == 13
    events = db.session.scalars(sa.select(OrderStatusEvent.status)).all()
    assert sorted(events) == ["cancelled", "placed"]


def _old(minutes: int = 90):
    return utcnow() - timedelta(minutes=minutes)


def _expire(app) -> str:
    result = app.test_cli_runner().invoke(args=["orders", "expire"])
    assert result.exit_code == 0, result.output
    return result.output


def test_expire_cancels_unpaid_transfer_orders_and_returns_stock(app):
    product = make_product(stock=10)
    order = make_order(product.stall, [(product, 4)], placed_at=_old(), payment_method="vietqr")
    assert "Expired 1 unpaid order(s)." in _expire(app)
    db.session.expire_all()
    fresh = db.session.get(Order, order.id)
    assert fresh.status == "cancelled"
    assert fresh.cancel_reason == "Quá hạn thanh toán, đơn tự hủy."
    assert db.session.get(Product, product.id).stock == 14


def test_expire_is_idempotent(app):
    product = make_product(stock=10)
    make_order(product.stall, [(product, 4)], placed_at=_old(), payment_method="card")
    _expire(app)
    assert "Expired 0 unpaid order(s)." in _expire(app)
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 14


def test_expire_leaves_other_orders_alone(app):
    product = make_product(stock=10)
    stall = product.stall
    keep = [
        make_order(stall, [(product, 1)], placed_at=_old(), payment_method="cash"),
        make_order(stall, [(product, 1)], placed_at=_old(10), payment_method="vietqr"),
        make_order(stall, [(product, 1)], placed_at=_old(), payment_method="vietqr",
                   paid=True, method="vietqr"),
        make_order(stall, [(product, 1)], placed_at=_old(), payment_method="vietqr",
                   channel="fair"),
        make_order(stall, [(product, 1)], placed_at=_old(), payment_method="vietqr",
                   status="confirmed"),
        make_order(stall, [(product, 1)], placed_at=_old(), payment_method="vietqr",
                   created_by_id=stall.owner_id),
    ]
    assert "Expired 0 unpaid order(s)." in _expire(app)
    db.session.expire_all()
    assert all(db.session.get(Order, o.id).status != "cancelled" for o in keep)
    assert db.session.get(Product, product.id).stock == 10


def test_expiry_time_comes_from_config(make_app):
    app = make_app(ORDER_UNPAID_TTL_MINUTES=5)
    with app.app_context():
        product = make_product(stock=1, stall=make_stall())
        make_order(product.stall, [(product, 1)], placed_at=_old(10), payment_method="vietqr")
        assert "Expired 1 unpaid order(s)." in _expire(app)
