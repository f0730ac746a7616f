"""Shopper and seller journeys over HTTP through the real forms (for tests/deploy)."""

from __future__ import annotations

import re

from bench.browserless import Client, Response

CHECKOUT_DONE = re.compile(r"/checkout/([A-Z0-9]+)$")


def add_to_cart(client: Client, code: str, quantity: int = 1) -> Response:
    page = client.get(f"/p/{code}")
    assert page.status == 200, (page.status, code)
    return client.submit(page.form("/cart/add"), {"quantity": str(quantity)}, page=page.url)


def checkout(client: Client, name: str = "Nguyễn Văn An", phone: str = "0987654321") -> Response:
    """Fill in and send the checkout form for what is in the cart (first choices everywhere)."""
    page = client.get("/checkout")
    assert page.status == 200, page.status
    return client.submit(page.form("/checkout"), {"customer_name": name,
                                                  "customer_phone": phone}, page="/checkout")


def buy(client: Client, code: str, quantity: int = 1, **details) -> str:
    """Add a product to the cart and check out; return the checkout code."""
    added = add_to_cart(client, code, quantity)
    assert added.status in (302, 303), added.status
    done = checkout(client, **details)
    found = CHECKOUT_DONE.search(done.location)
    assert done.status == 303 and found, (done.status, done.location, done.text[:500])
    return found.group(1)
