"""A correction is not a refund: the issue's fair, seen on the report page and the board."""

from __future__ import annotations

import re

from marketplace.payments import services as pay
from tests.factories import make_fair, make_order, make_participation, make_product, make_stall


def _stat(html: str, field: str) -> str:
    return re.search(rf'data-field="{field}">([^<]+)<', html).group(1)


def test_a_corrected_duplicate_payment_is_no_refund_anywhere(app, client, auth, db):
    app.config["CARD_GATEWAY"] = "demo"  # the card refund below goes through the demo gateway
    fair = make_fair(public_board=True)
    stall = make_stall()
    make_participation(fair, stall)
    product = make_product(stall, price=1_250_000)
    order = make_order(stall, [(product, 1)], fair=fair, channel="fair", paid=True,
                       method="cash")
    # The same money recorded a second time by mistake, then corrected with a reason.
    twice = pay.record_payment(order, "vietqr", 485_000, provider_ref="FT-dup")
    db.session.commit()
    pay.correct_payment(order, twice.id, stall.owner_id, "Ghi trùng khoản chuyển khoản",
                        _once("correction", stall.owner_id))
    # A real refund on another order still lowers net revenue.
    other = make_order(stall, [(make_product(stall, price=100_000), 1)], fair=fair,
                       channel="fair")
    row = pay.record_payment(other, "card", 100_000, provider_ref="pi_demo_1")
    db.session.commit()
    pay.refund_payment(other, row.id, stall.owner_id, "Khách trả lại hàng",
                       once=_once("refund", stall.owner_id))

    auth.login(fair.organizer)
    html = client.get(f"/organizer/reports/fairs/{fair.slug}").get_data(as_text=True)
    assert _stat(html, "refunded") == "100.000 ₫"
    assert _stat(html, "net") == "1.250.000 ₫"
    board = client.get(f"/board/fairs/{fair.slug}/data.json").get_json()
    assert board["net_vnd"] == 1_250_000
    rows = client.get(f"/organizer/reports/fairs/{fair.slug}/payments.csv").get_data(
        as_text=True)
    assert "485000" not in rows  # the mistaken row and its correction are in no figure


def _once(action: str, actor_id: int):
    """A fresh one-time key, as the form would carry it."""
    import uuid

    from marketplace.once.services import once_for

    return once_for(uuid.uuid4().hex, action, actor_id=actor_id)
