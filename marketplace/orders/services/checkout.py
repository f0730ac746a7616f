"""A shopper's checkout: the cart becomes one order per stall under one checkout code."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from marketplace.delivery import services as delivery
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import FairStall
from marketplace.once import services as once_svc
from marketplace.orders import signals
from marketplace.orders.models import Channel, Fulfilment
from marketplace.orders.services.cart import CartView, StaleCart, normalize_phone, review_cart
from marketplace.orders.services.placing import Placed, replay_placed, write
from marketplace.orders.writer import NewCheckout, NewLine, NewOrder
from marketplace.sanitize import text_field


@dataclass
class CustomerDetails:
    name: str
    phone: str
    address: str = ""
    note: str = ""
    email: str = ""
    notify_zalo: bool = False
    locale: str = "vi"
    province: str = ""  # of the delivery address (old names are read too)
    commune: str = ""


def _fair_participants(fair_id: int | None, stall_ids) -> set[int]:
    if fair_id is None or not stall_ids:
        return set()
    return set(db.session.scalars(
        sa.select(FairStall.stall_id).where(
            FairStall.fair_id == fair_id, FairStall.status == "accepted",
            FairStall.stall_id.in_(stall_ids),
        )
    ))


def place_checkout(cart: dict, details: CustomerDetails, choices: dict[int, tuple[str, str]], *,
                   once: once_svc.Once, customer_id: int | None = None,
                   via_fair_id: int | None = None, view: CartView | None = None) -> Placed:
    """Turn the cart into one order per stall under one checkout code, all or nothing, once.

    choices maps a stall id to (fulfilment, payment method). via_fair_id is the open fair the
    shopper came through: orders to stalls taking part in it count for it (channel "fair").
    view is the cart as just reviewed for the same request (saves querying it twice). A repeat
    of the same form (once) gets the first checkout back, whatever the cart holds by then.
    """
    return once_svc.run_once(once, lambda: _place_checkout(
        cart, details, choices, once=once, customer_id=customer_id, via_fair_id=via_fair_id,
        view=view), replay_placed)


def _place_checkout(cart: dict, details: CustomerDetails, choices: dict[int, tuple[str, str]],
                    *, once: once_svc.Once, customer_id: int | None,
                    via_fair_id: int | None, view: CartView | None) -> Placed:
    view = view or review_cart(cart)
    if view.notices:
        raise StaleCart(view.notices, view.cart)
    if not view.groups:
        raise ValidationError(None, _("Giỏ hàng đang trống."))
    name = text_field(details.name, "customer_name", 120, required=True,
                 missing=_("Vui lòng nhập họ tên người nhận."))
    phone = normalize_phone(details.phone)
    note = text_field(details.note, "note", 400, multiline=True)
    address = text_field(details.address, "delivery_address", 400, multiline=True)
    at_fair = _fair_participants(via_fair_id, [g.stall.id for g in view.groups])
    delivering = [g.stall.id for g in view.groups
                  if choices.get(g.stall.id, ("", ""))[0] == Fulfilment.DELIVERY]
    if delivering and not address:
        raise ValidationError("delivery_address", _("Vui lòng nhập địa chỉ giao hàng."))
    fees, address = delivery.checkout_fees(view.groups, delivering, province=details.province,
                                           commune=details.commune, address=address)
    orders = []
    for group in view.groups:
        fulfilment, method = choices.get(group.stall.id, ("", ""))
        if fulfilment not in group.fulfilment_options:
            raise ValidationError(f"fulfilment_{group.stall.id}",
                                  _("Vui lòng chọn cách nhận hàng."))
        if method not in group.payment_options:
            raise ValidationError(f"payment_{group.stall.id}",
                                  _("Vui lòng chọn cách thanh toán."))
        counted = via_fair_id if group.stall.id in at_fair else None
        orders.append(NewOrder(
            stall_id=group.stall.id,
            lines=[NewLine.of(ln.product, ln.quantity) for ln in group.lines],
            channel=Channel.FAIR.value if counted else Channel.ONLINE.value,
            fair_id=counted,
            fulfilment=fulfilment,
            pickup_fair_id=group.booth.fair_id if fulfilment == Fulfilment.BOOTH_PICKUP else None,
            payment_method=method,
            customer_id=customer_id,
            customer_name=name,
            customer_phone=phone,
            delivery_address=address if fulfilment == Fulfilment.DELIVERY else "",
            delivery_fee=fees.get(group.stall.id, 0),
            note=note,
        ))
    email = _email(details.email)
    placed = write(orders, [g.stall.name for g in view.groups], once=once, checkout=NewCheckout(
        customer_id=customer_id, customer_name=name, customer_phone=phone, customer_email=email,
        notify_zalo=bool(details.notify_zalo), locale=details.locale or "vi"))
    signals.orders_placed.send(place_checkout, order_ids=[o.id for o in placed.orders])
    return placed


def _email(raw: str | None) -> str:
    """An optional email for order messages: empty, or a valid address."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError("customer_email", _("Email không hợp lệ.")) from None

