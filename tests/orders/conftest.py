"""Helpers for order tests: fill a cart and check out through the real pages."""

from __future__ import annotations

import pytest

from marketplace.database import utcnow
from tests.keys import new_key


class Shop:
    """Drive the shopper's pages with one test client."""

    def __init__(self, client):
        self.client = client

    def add(self, product, quantity="1", **extra):
        data = {"product_id": str(getattr(product, "id", product)), "quantity": str(quantity)}
        data.update(extra)
        return self.client.post("/cart/add", data=data, follow_redirects=True)

    def checkout(self, stalls=(), *, fulfilment="stall_pickup", payment="cash",
                 name="Trần Văn Khách", phone="0912 345 678", address="", **extra):
        data = {"customer_name": name, "customer_phone": phone, "delivery_address": address,
                "note": "", "once_key": new_key()}
        for stall in stalls:
            data[f"fulfilment_{stall.id}"] = fulfilment
            data[f"payment_{stall.id}"] = payment
        data.update(extra)
        return self.client.post("/checkout", data=data)

    def visit_fair(self, fair):
        with self.client.session_transaction() as sess:
            sess["fair_visit"] = {"id": fair.id, "at": utcnow().timestamp()}


@pytest.fixture
def shop(client):
    return Shop(client)
