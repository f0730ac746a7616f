"""What the cart and checkout pages need from delivery: the chosen province and the fees."""

from __future__ import annotations

from flask import request, session

from marketplace.delivery import units
from marketplace.delivery.services import Fees, cart_fees
from marketplace.errors import populate_errors
from marketplace.sanitize import clean_text

SESSION_KEY = "delivery_province"


def remembered_province() -> str:
    """The province chosen on the cart page (?province=), kept in the session for checkout."""
    if "province" in request.args:
        chosen = clean_text(request.args.get("province"), multiline=False)[:80]
        if chosen:
            session[SESSION_KEY] = chosen
        else:
            session.pop(SESSION_KEY, None)
        return chosen
    saved = session.get(SESSION_KEY)
    return saved if isinstance(saved, str) else ""


def form_fees(groups, form) -> Fees:
    """Fees of the stalls the checkout form sends to be delivered, at the place it names."""
    delivering = [g.stall.id for g in groups
                  if form[f"fulfilment_{g.stall.id}"].data == "delivery"]
    fees = cart_fees(groups, delivering, province=form.delivery_province.data,
                     commune=form.delivery_commune.data, address=form.delivery_address.data)
    if fees.error is not None and fees.error.reason not in form.delivery_province.errors:
        populate_errors(form, fees.error)
    return fees


def province_names() -> list[str]:
    """Names the province field suggests (the 34 of today)."""
    return [units.short_name(p) for p in units.provinces()]


def ward_names(fees: Fees) -> list[str]:
    """Communes the commune field suggests once the province is known."""
    if fees.place is None:
        return []
    return [w.name for w in units.wards(int(fees.place.province.code))]
