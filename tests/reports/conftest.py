"""A small world of fairs, stalls, orders, payments and imports for report tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import pytest

from marketplace.extensions import db
from marketplace.formatting import local_to_utc
from marketplace.payments.models import Payment
from marketplace.payments.services import record_return
from tests.factories import (
    make_fair,
    make_imported_line,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_stall,
)


def vn(y, m, d, hh=10, mm=0):
    """An aware UTC datetime from a Vietnam wall-clock time."""
    return local_to_utc(datetime(y, m, d, hh, mm))


@dataclass
class World:
    organizer: object = None
    other_organizer: object = None
    fair: object = None
    other_fair: object = None
    stalls: list = field(default_factory=list)
    products: dict = field(default_factory=dict)
    orders: dict = field(default_factory=dict)
    imported: dict = field(default_factory=dict)


@pytest.fixture
def world(app) -> World:
    w = World()
    w.organizer = make_organizer()
    w.other_organizer = make_organizer()
    w.fair = make_fair(organizer=w.organizer)
    w.other_fair = make_fair(organizer=w.other_organizer)
    s1, s2, s3 = make_stall(name="Vải Lục Ngạn"), make_stall(name="Tương Trí Yên"), make_stall()
    w.stalls = [s1, s2, s3]
    make_participation(w.fair, s1)
    make_participation(w.fair, s2)
    make_participation(w.other_fair, s3)
    p = w.products
    p["lychee"] = make_product(s1, name="Vải hộp 2kg", category="trai-cay", unit="hộp",
                               net_weight_kg=Decimal("2.000"), price=90000)
    p["rice"] = make_product(s1, name="Gạo thơm", category="gao", unit="túi",
                             net_weight_kg=Decimal("5.000"), price=100000)
    p["sauce"] = make_product(s2, name="Tương bần", category="gia-vi", unit="chai",
                              net_weight_kg=Decimal("0.500"), price=30000)
    p["other"] = make_product(s3, name="Bánh đa", category="banh-keo", unit="gói",
                              net_weight_kg=Decimal("0.250"), price=20000)
    o = w.orders
    day1, day2 = (2024, 5, 10), (2024, 5, 11)
    o["cash"] = make_order(s1, [(p["lychee"], 3), (p["rice"], 1)], channel="fair", fair=w.fair,
                           paid=True, method="cash", fulfilment="booth_pickup",
                           placed_at=vn(*day1, 9), customer_name="Nguyễn Bí Mật")
    o["card"] = make_order(s1, [(p["lychee"], 1)], channel="online", fair=w.fair, paid=True,
                           method="card", fulfilment="delivery", placed_at=vn(*day1, 23, 30))
    # A partial card refund on a live order (a negative ledger row).
    db.session.add(Payment(order=o["card"], method="card", amount=-20000, kind="refund",
                           provider_ref="re_test_1"))
    o["card"].paid_amount -= 20000
    o["unpaid"] = make_order(s2, [(p["sauce"], 4)], channel="fair", fair=w.fair,
                             placed_at=vn(*day2, 0, 15))
    o["cancelled"] = make_order(s2, [(p["sauce"], 2)], channel="fair", fair=w.fair, paid=True,
                                method="vietqr", status="cancelled", placed_at=vn(*day2, 14))
    # The transfer was owed back once the order was cancelled; the seller sent it back.
    record_return(o["cancelled"], "vietqr", by_id=s2.owner_id,
                  once=_once("refund", s2.owner_id))
    o["livestream"] = make_order(s2, [(p["sauce"], 3)], channel="livestream", fair=w.fair,
                                 paid=True, method="vietqr", status="fulfilled",
                                 placed_at=vn(*day2, 20))
    o["no_fair"] = make_order(s1, [(p["rice"], 2)], channel="online", paid=True, method="card",
                              placed_at=vn(*day2, 11))
    o["other_fair"] = make_order(s3, [(p["other"], 5)], channel="fair", fair=w.other_fair,
                                 paid=True, placed_at=vn(*day1, 11))
    db.session.commit()
    i = w.imported
    i["sale"] = make_imported_line(s1, p["lychee"], platform="shopee", status="sale", qty=3,
                                   returned_qty=1, net_amount=250001, created_at=vn(*day1, 8))
    i["transit"] = make_imported_line(s1, p["lychee"], platform="tiktok", status="in_progress",
                                      qty=2, net_amount=170000, created_at=vn(*day2, 8))
    i["cancelled"] = make_imported_line(s1, p["lychee"], platform="lazada", status="cancelled",
                                        qty=1, net_amount=85000, created_at=vn(*day2, 9))
    i["unmapped"] = make_imported_line(s2, None, platform="shopee", status="sale", qty=2,
                                       net_amount=60000, net_weight_kg=Decimal("1.250"),
                                       created_at=vn(*day2, 10))
    # Goods sent back: a return, neither a sale nor a cancelled order.
    i["returned"] = make_imported_line(s2, p["sauce"], platform="shopee", status="returned",
                                       qty=2, net_amount=58000, created_at=vn(*day2, 12))
    i["other"] = make_imported_line(s3, p["other"], platform="shopee", status="sale", qty=9,
                                    net_amount=180000, created_at=vn(*day1, 10))
    return w


def _once(action: str, actor_id: int):
    """A fresh one-time key, as the form would carry it."""
    import uuid

    from marketplace.once.services import once_for

    return once_for(uuid.uuid4().hex, action, actor_id=actor_id)
