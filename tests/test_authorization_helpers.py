"""Helpers in the authorization matrix: A's helper gets only the booth, B's none of A's.

Every route of the matrix (tests/test_authorization_matrix.py) is called by a helper of stall A
(everything but the booth screens is refused) and by a helper of stall B (nothing of A's).
"""

from __future__ import annotations

import pytest

from tests.test_authorization_matrix import CASES, DENY, _call, _snapshot, build_world


@pytest.fixture
def world(app):
    return build_world()


# What a stall's helper may do: sell at the booth of the stall they help, and see its day.
BOOTH_ENDPOINTS = {"orders.pos", "orders.pos_confirm", "orders.pos_sell", "orders.pos_data",
                   "orders.pos_sync", "helpers.today"}


def _helper_client(app, phone: str):
    from tests.conftest import AuthActions

    client = app.test_client()
    assert AuthActions(client).login(phone).status_code == 302
    return client


def test_a_helper_of_a_is_refused_everything_but_the_booth(app, world):
    """Helpers never reach products, prices, the bank account, payouts or organizer screens."""
    helper = _helper_client(app, "0912345101")
    before = _snapshot()
    let_through = []
    for case in CASES:
        if case.endpoint in BOOTH_ENDPOINTS:
            continue
        response = _call(helper, case, world)
        if response.status_code not in (403, 404):
            let_through.append((case.id, response.status_code))
    assert not let_through
    assert _snapshot() == before


def test_a_helper_of_b_cannot_touch_what_a_owns(app, world):
    helper = _helper_client(app, "0912345102")
    before = _snapshot()
    for case in CASES:
        if case.kind != DENY:
            continue
        response = _call(helper, case, world)
        assert response.status_code in (403, 404), (case.id, response.status_code)
    assert _snapshot() == before
    # Their own booth is B's: none of A's names or codes there.
    page = helper.get("/seller/pos").get_data(as_text=True)
    assert not [m for m in world.markers + world.names if m in page]
