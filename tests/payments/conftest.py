"""Payments fixtures: a stall with a bank account, Stripe pointed at a local server, signing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from tests.conftest import serving
from tests.factories import make_product, make_seller, make_stall

WEBHOOK_SECRET = "whsec_test_cho40"
SECRET_KEY = "sk_test_cho40"


@pytest.fixture
def seller(app):
    return make_seller(name="Chị Hoa")


@pytest.fixture
def bank_stall(seller):
    return make_stall(owner=seller, name="Gạo thơm Yên Dũng", bank_bin="970416",
                      bank_account_number="257678859", bank_account_name="NGUYEN THI HOA")


@pytest.fixture
def rice(bank_stall):
    return make_product(bank_stall, name="Gạo thơm", price=45000, unit="túi")


@pytest.fixture
def stripe_on(app, httpserver):
    """Turn card payments on, with Stripe's API answered by the local httpserver."""
    app.config.update(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=httpserver.url_for("").rstrip("/"),
    )
    return httpserver


def signature_header(payload: str, secret: str = WEBHOOK_SECRET, ts: int | None = None) -> str:
    """Sign a webhook body the way Stripe does: t=<ts>,v1=<hmac_sha256(secret, "ts.payload")>."""
    ts = int(time.time()) if ts is None else ts
    mac = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def session_object(card, *, payment_status="paid", status="complete",
                   payment_intent="pi_test_123", **extra) -> dict:
    """A checkout.session object shaped as Stripe's API documents it."""
    data = {
        "id": card.session_id,
        "object": "checkout.session",
        "amount_subtotal": card.amount,
        "amount_total": card.amount,
        "client_reference_id": card.code,
        "currency": "vnd",
        "livemode": False,
        "metadata": {"checkout_code": card.code, "order_codes": ",".join(
            json.loads(card.order_amounts))},
        "mode": "payment",
        "payment_intent": payment_intent,
        "payment_status": payment_status,
        "status": status,
        "url": None,
    }
    data.update(extra)
    return data


def event_body(event_id: str, event_type: str, session: dict) -> str:
    return json.dumps({
        "id": event_id,
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "data": {"object": session},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    })


def post_webhook(client, body: str, header: str | None = None):
    header = signature_header(body) if header is None else header
    return client.post("/payments/stripe/webhook", data=body,
                       headers={"Stripe-Signature": header, "Content-Type": "application/json"})


@pytest.fixture
def stripe_live(make_app, stripe_on):
    """Serve an app with Stripe on (and CSRF on, as in production) over HTTP, in a thread."""
    served = make_app(
        WTF_CSRF_ENABLED=True, STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_on.url_for("").rstrip("/"),
    )
    with serving(served) as server:
        yield server
