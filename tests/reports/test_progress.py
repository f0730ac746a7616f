"""Campaign progress counts only sales in the campaign's period, scope and channels."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.fairs.models import CampaignStall
from marketplace.formatting import local_to_utc
from marketplace.imports.models import ImportedSaleLine
from marketplace.reports.figures import campaign_progress
from tests.factories import join_campaign, make_campaign, make_order, make_product, make_stall


def _at(day: date, hour: int = 10) -> datetime:
    return local_to_utc(datetime(day.year, day.month, day.day, hour))


def _imported(stall, product, *, status, qty, returned=0, amount=100000, when, key,
              weight=None, platform="shopee"):
    line = ImportedSaleLine(
        stall_id=stall.id, platform=platform, external_order_id=f"E{key}", line_key=f"L{key}",
        created_at_source=when, status_class=status, qty=qty, returned_qty=returned,
        net_amount=amount, product_id=product.id if product else None, net_weight_kg=weight,
    )
    db.session.add(line)
    db.session.commit()
    return line


def test_progress_splits_confirmed_and_provisional(app):
    start, end = date(2023, 6, 15), date(2023, 7, 2)
    stall = make_stall()
    lychee = make_product(stall, category="trai-cay", net_weight_kg=Decimal("2.000"), price=90000)
    rice = make_product(stall, category="gao", net_weight_kg=Decimal("5.000"), price=100000)
    campaign = make_campaign(starts_on=start, ends_on=end, goal_kg=Decimal("100"),
                             goal_vnd=1_000_000, stalls=[stall])
    paid = make_order(stall, [(lychee, 3), (rice, 1)], paid=True, placed_at=_at(start, 0))
    unpaid = make_order(stall, [(lychee, 2)], channel="livestream", placed_at=_at(end, 23))
    make_order(stall, [(lychee, 7)], status="cancelled", placed_at=_at(start))
    make_order(stall, [(lychee, 11)], paid=True, placed_at=_at(end + timedelta(days=1), 0))
    make_order(stall, [(lychee, 13)], paid=True, placed_at=_at(start - timedelta(days=1), 23))
    _imported(stall, lychee, status="sale", qty=4, returned=1, amount=400000, when=_at(start),
              key=1)
    _imported(stall, lychee, status="in_progress", qty=5, amount=50000, weight=Decimal("1.5"),
              when=_at(start), key=2)
    _imported(stall, lychee, status="cancelled", qty=9, when=_at(start), key=3)

    progress = campaign_progress(campaign)

    assert progress.vnd_confirmed == paid.lines[0].line_total + 400000 * 3 // 4
    assert progress.kg_confirmed == Decimal("6.000") + Decimal("6.000")
    assert progress.vnd_provisional == (
        progress.vnd_confirmed + unpaid.total + 50000
    )
    assert progress.kg_provisional == Decimal("12.000") + Decimal("4.000") + Decimal("7.500")
    assert progress.percent_kg == 12.0


def test_unmapped_import_counts_only_once_its_stall_joined(app):
    stall = make_stall()
    campaign = make_campaign(starts_on=date(2023, 6, 15), ends_on=date(2023, 7, 2),
                             categories="")
    _imported(stall, None, status="sale", qty=5, amount=50000, weight=Decimal("1.5"),
              when=_at(date(2023, 6, 20)), key=9)
    assert campaign_progress(campaign).kg_confirmed == Decimal("0.000")

    join_campaign(campaign, stall, status="invited")
    assert campaign_progress(campaign).kg_confirmed == Decimal("0.000")

    db.session.execute(sa.update(CampaignStall).values(status="joined"))
    db.session.commit()
    db.session.expire_all()
    assert campaign_progress(campaign).kg_confirmed == Decimal("7.500")


def test_categories_narrow_a_joined_stall_to_its_matching_products(app):
    stall = make_stall()
    lychee = make_product(stall, category="trai-cay", net_weight_kg=Decimal("2.000"))
    rice = make_product(stall, category="gao", net_weight_kg=Decimal("5.000"))
    elsewhere = make_product(make_stall(), category="trai-cay", net_weight_kg=Decimal("1.000"))
    campaign = make_campaign(starts_on=date(2023, 6, 15), ends_on=date(2023, 7, 2),
                             categories="trai-cay", stalls=[stall])
    when = _at(date(2023, 6, 20))
    make_order(stall, [(lychee, 1), (rice, 1)], paid=True, placed_at=when)
    make_order(elsewhere.stall, [(elsewhere, 9)], paid=True, placed_at=when)
    _imported(stall, None, status="sale", qty=5, weight=Decimal("1.5"), when=when, key=7)
    assert campaign_progress(campaign).kg_confirmed == Decimal("2.000")


def test_channels_outside_the_campaign_do_not_count(app):
    stall = make_stall()
    lychee = make_product(stall, category="trai-cay", net_weight_kg=Decimal("2.000"))
    campaign = make_campaign(starts_on=date(2023, 6, 15), ends_on=date(2023, 7, 2),
                             channels="online", stalls=[stall])
    online = make_order(stall, [(lychee, 1)], paid=True, placed_at=_at(date(2023, 6, 20)))
    make_order(stall, [(lychee, 5)], channel="fair", paid=True, placed_at=_at(date(2023, 6, 20)))
    _imported(stall, lychee, status="sale", qty=5, when=_at(date(2023, 6, 20)), key=8)
    progress = campaign_progress(campaign)
    assert progress.vnd_provisional == online.total
    assert progress.kg_provisional == Decimal("2.000")


def test_fulfilled_unpaid_order_is_confirmed(app):
    stall = make_stall()
    lychee = make_product(stall, category="trai-cay", net_weight_kg=Decimal("2.000"))
    campaign = make_campaign(starts_on=date(2023, 6, 15), ends_on=date(2023, 7, 2),
                             goal_kg=None, goal_vnd=None, stalls=[stall])
    order = make_order(stall, [(lychee, 2)], status="fulfilled", placed_at=_at(date(2023, 6, 20)))
    progress = campaign_progress(campaign)
    assert progress.vnd_confirmed == order.total
    assert progress.percent_kg is None
