"""Delivery fixtures: a stall with zones, and the shopper's pages driven like tests/orders."""

from __future__ import annotations

import pytest

from marketplace.delivery.models import DeliveryZone
from marketplace.extensions import db
from tests.orders.conftest import Shop

BAC_NINH, HA_NOI, HCM = 24, 1, 79


def make_zone(stall, province: int = BAC_NINH, fee: int = 25000, free_from: int | None = None,
              wards=()) -> DeliveryZone:
    zone = DeliveryZone(stall_id=stall.id, province_code=province, fee=fee,
                        free_from=free_from, ward_codes=" ".join(str(w) for w in wards))
    db.session.add(zone)
    db.session.commit()
    return zone


@pytest.fixture
def shop(client):
    return Shop(client)
