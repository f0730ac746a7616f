"""Identical requests fired at once (a double tap, two tabs, a retry racing the first) act once.

Each request runs on its own test client with its own database connection, all carrying the
same session cookie and the same form, released together by a barrier. The first commit is
held back a moment, so the others reach the database while it is still open: they must wait
for it and answer with its result, not write a second order, stock take or payment.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.factories import make_order
from tests.keys import page_keys
from tests.once.conftest import snapshot

REQUESTS = 6


@contextmanager
def slow_first_commit(seconds: float = 0.5):
    """Hold the first commit open so the other requests arrive while it is in flight."""
    held = threading.Event()

    def hold(session):
        if not held.is_set():
            held.set()
            time.sleep(seconds)

    sa.event.listen(sa.orm.Session, "before_commit", hold)
    try:
        yield held
    finally:
        sa.event.remove(sa.orm.Session, "before_commit", hold)


def fire(app, cookie: str, url: str, data: dict) -> list[tuple[int, str | None]]:
    """Post the same form from REQUESTS clients at once; return (status, Location) of each."""
    clients = []
    for _ in range(REQUESTS):
        c = app.test_client()
        c.set_cookie("session", cookie)
        clients.append(c)
    db.session.remove()  # the test's own connection must not hold a lock meanwhile
    barrier = threading.Barrier(REQUESTS, timeout=30)
    answers: list = [None] * REQUESTS

    def post(i: int) -> None:
        barrier.wait()
        response = clients[i].post(url, data=data)
        answers[i] = (response.status_code, response.headers.get("Location"))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(REQUESTS)]
    with slow_first_commit() as held:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert held.is_set()
    return answers


@pytest.fixture
def either_backend(backend):
    """Required on PostgreSQL; SQLite's single writer must hold too."""
    return backend


def test_identical_checkouts_at_once_make_one_order_and_take_stock_once(app, either_backend,
                                                                        rice):
    shopper = app.test_client()
    shopper.post("/cart/add", data={"product_id": rice.id, "quantity": "2"})
    [key] = page_keys(shopper.get("/checkout").get_data(as_text=True))
    answers = fire(app, shopper.get_cookie("session").value, "/checkout", {
        "customer_name": "Trần Văn Khách", "customer_phone": "0912345678",
        f"fulfilment_{rice.stall_id}": "stall_pickup", f"payment_{rice.stall_id}": "vietqr",
        "once_key": key})
    after = snapshot()
    assert (after["checkouts"], after["orders"], after["events"], after["keys"]) == (1, 1, 1, 1)
    assert after["stock"][rice.id] == 8  # one stock take of 2
    assert after["payments"] == 0  # nothing paid yet: a transfer is awaited once
    assert len(set(answers)) == 1  # every tap lands on the same checkout page
    status, where = answers[0]
    order = db.session.scalars(sa.select(Order)).one()
    assert status == 303 and where == f"/checkout/{order.checkout.code}"


def test_identical_booth_sales_at_once_sell_and_take_the_money_once(app, either_backend, auth,
                                                                    client, seller, rice):
    auth.login(seller)
    [key] = page_keys(client.post("/seller/pos/confirm", data={f"qty_{rice.id}": "3"})
                      .get_data(as_text=True))
    answers = fire(app, client.get_cookie("session").value, "/seller/pos/sell",
                   {f"qty_{rice.id}": "3", "method": "cash", "once_key": key})
    after = snapshot()
    assert (after["orders"], after["payments"], after["paid"]) == (1, 1, 135000)
    assert after["stock"][rice.id] == 7
    order = db.session.scalars(sa.select(Order)).one()
    # Every tap lands on the booth screen showing the one sale (its receipt) made.
    assert answers == [(303, f"/seller/pos?stall={rice.stall_id}&sold={order.code}")] * REQUESTS


def test_identical_cash_records_at_once_pay_once(app, either_backend, auth, client, seller, rice):
    order = make_order(rice.stall, [(rice, 2)])
    auth.login(seller)
    [key] = page_keys(client.get(f"/seller/orders/{order.code}/payments").get_data(as_text=True))
    answers = fire(app, client.get_cookie("session").value,
                   f"/seller/orders/{order.code}/payments/cash",
                   {"amount": "30.000", "once_key": key})
    after = snapshot()
    assert (after["payments"], after["paid"]) == (1, 30000)
    assert answers == [(303, f"/seller/orders/{order.code}/payments")] * REQUESTS
