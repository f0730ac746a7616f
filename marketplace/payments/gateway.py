"""Talk to Stripe (the only module that imports stripe); hand back plain dicts.

Calls made, all through `stripe.StripeClient(api_key, base_addresses={"api": STRIPE_API_BASE})`:
- `client.v1.checkout.sessions.create(params, options={"idempotency_key": ...})`
  -> POST /v1/checkout/sessions
- `client.v1.checkout.sessions.retrieve(session_id)` -> GET /v1/checkout/sessions/<id>
- `client.v1.checkout.sessions.expire(session_id, options={"idempotency_key": ...})`
  -> POST /v1/checkout/sessions/<id>/expire
- `client.v1.refunds.create(params, options={"idempotency_key": ...})` -> POST /v1/refunds
- `stripe.Webhook.construct_event(raw_body, signature_header, secret)` (default tolerance 300 s)
"""

from __future__ import annotations

import hashlib
import logging

import stripe
from flask import current_app
from flask_babel import gettext as _

from marketplace.errors import DomainError

log = logging.getLogger(__name__)

# Stripe caps an amount at 8 digits in the currency's smallest unit; VND has no minor unit.
MAX_AMOUNT = 99_999_999
# Retries are safe: every POST carries an idempotency key.
NETWORK_RETRIES = 2


class GatewayError(DomainError):
    """Stripe could not be reached or refused the request."""

    status_code = 502


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, forged or too old, or whose body is not an event."""


def _demo() -> bool:
    """The demo's stand-in gateway (CARD_GATEWAY=demo): it reaches no one and always agrees."""
    return current_app.config.get("CARD_GATEWAY") == "demo"


def is_configured() -> bool:
    """Tell whether card payments can be offered (a secret key is set)."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def _client() -> stripe.StripeClient:
    key = current_app.config.get("STRIPE_SECRET_KEY")
    if not key:
        raise GatewayError(_("Thanh toán thẻ chưa được bật."))
    return stripe.StripeClient(
        key,
        base_addresses={"api": current_app.config["STRIPE_API_BASE"]},
        max_network_retries=NETWORK_RETRIES,
    )


def _call(what: str, fn, *args, **kwargs) -> dict:
    try:
        return fn(*args, **kwargs).to_dict()
    except stripe.StripeError as exc:
        log.warning("stripe %s failed: %s", what, exc)
        raise GatewayError(
            _("Cổng thanh toán thẻ đang gặp sự cố, vui lòng thử lại sau hoặc chọn cách trả khác.")
        ) from exc


def create_checkout_session(params: dict, idempotency_key: str) -> dict:
    """Create a Checkout Session; the same key twice returns the same session."""
    client = _client()
    return _call(
        "checkout.sessions.create", client.v1.checkout.sessions.create,
        params=params, options={"idempotency_key": idempotency_key},
    )


def retrieve_checkout_session(session_id: str) -> dict:
    """Fetch a Checkout Session as Stripe sees it now."""
    client = _client()
    return _call("checkout.sessions.retrieve", client.v1.checkout.sessions.retrieve, session_id)


def expire_checkout_session(session_id: str, idempotency_key: str) -> dict:
    """Close an open Checkout Session so it can no longer be paid."""
    client = _client()
    return _call(
        "checkout.sessions.expire", client.v1.checkout.sessions.expire,
        session_id, options={"idempotency_key": idempotency_key},
    )


def refund(payment_intent: str, amount: int, idempotency_key: str, metadata: dict | None = None
           ) -> dict:
    """Refund part or all of a PaymentIntent; the same key twice refunds once."""
    if _demo():
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return {"id": f"re_demo_{digest}", "object": "refund", "amount": int(amount),
                "payment_intent": payment_intent, "status": "succeeded"}
    client = _client()
    params = {"payment_intent": payment_intent, "amount": int(amount)}
    if metadata:
        params["metadata"] = metadata
    return _call(
        "refunds.create", client.v1.refunds.create,
        params=params, options={"idempotency_key": idempotency_key},
    )


def verify_webhook(payload: bytes, signature_header: str | None) -> dict:
    """Check the signature on the raw body and return the event; raise InvalidWebhook."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise InvalidWebhook("webhook secret not configured")
    if not signature_header:
        raise InvalidWebhook("missing Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(str(exc)) from exc
    except ValueError as exc:  # not JSON, or not an event
        raise InvalidWebhook(f"bad payload: {exc}") from exc
    return event.to_dict()
