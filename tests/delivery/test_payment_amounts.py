"""What the shopper pays includes the delivery fee: the VietQR amount and the card amount."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa

from marketplace import vietqr
from marketplace.extensions import db
from marketplace.orders.models import Order
from marketplace.payments.models import CardCheckout
from tests.delivery.conftest import BAC_NINH, make_zone
from tests.factories import make_product, make_seller, make_stall
from tests.payments.conftest import stripe_on  # noqa: F401  (fixture)


@pytest.fixture
def rice(app):
    stall = make_stall(make_seller(), name="Gạo thơm Yên Dũng", bank_bin="970416",
                       bank_account_number="257678859", bank_account_name="NGUYEN THI HOA")
    make_zone(stall, BAC_NINH, fee=25000, free_from=500000)
    return make_product(stall, name="Gạo thơm", price=45000, unit="túi", stock=20)


def _order() -> Order:
    db.session.expire_all()
    return db.session.scalar(sa.select(Order))


def test_vietqr_amount_includes_the_delivery_fee(shop, client, rice):
    shop.add(rice, 3)
    response = shop.checkout([rice.stall], fulfilment="delivery", payment="vietqr",
                             address="Thôn 3", delivery_province="Bắc Ninh")
    assert response.status_code == 303
    order = _order()
    assert (order.delivery_fee, order.total) == (25000, 160000)
    html = client.get(f"/pay/{order.code}/vietqr?t={order.access_token}").get_data(as_text=True)
    payload = re.search(r'data-payload="([^"]+)"', html).group(1)
    assert vietqr.parse_payload(payload).amount == 160000
    assert "160.000 ₫" in html


def test_card_amount_sent_to_stripe_includes_the_delivery_fee(shop, client, rice, stripe_on):  # noqa: F811
    shop.add(rice, 3)
    response = shop.checkout([rice.stall], fulfilment="delivery", payment="card",
                             address="Thôn 3", delivery_province="bac giang")
    assert response.status_code == 303
    order = _order()
    code = order.checkout.code
    stripe_on.expect_request("/v1/checkout/sessions", method="POST").respond_with_json({
        "id": "cs_test_fee", "object": "checkout.session", "amount_total": 160000,
        "currency": "vnd", "mode": "payment", "payment_status": "unpaid", "status": "open",
        "payment_intent": None, "url": "https://checkout.stripe.com/c/pay/cs_test_fee",
        "metadata": {}})
    paid = client.post(f"/pay/{code}/card", data={"t": order.access_token})
    assert paid.status_code == 303
    [(request, _response)] = stripe_on.log
    form = parse_qs(request.get_data(as_text=True))
    items = {}
    for key, [value] in form.items():
        match = re.fullmatch(r"line_items\[(\d+)\]\[(.+)\]", key)
        if match:
            items.setdefault(int(match.group(1)), {})[match.group(2)] = value
    charged = sum(int(i["price_data][unit_amount"]) * int(i["quantity"]) for i in items.values())
    assert charged == 160000
    fee_line = items[len(items) - 1]
    assert fee_line["price_data][unit_amount"] == "25000"
    assert fee_line["price_data][product_data][name"] == f"Phí giao hàng đơn {order.code}"
    card = db.session.scalar(sa.select(CardCheckout))
    assert card.amount == 160000
    assert json.loads(card.order_amounts) == {order.code: 160000}
