"""The reports demo gives the lychee campaign history, once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.demo import campaign as demo
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order
from marketplace.reports.figures import campaign_progress
from tests.factories import make_campaign, make_product, make_stall


def _lychee_campaign():
    stall = make_stall(slug="vai-thieu-luc-ngan")
    make_product(stall, name="Vải thiều hộp 2 kg", category="trai-cay",
                 net_weight_kg=Decimal("2.000"), price=90000)
    make_product(stall, name="Vải thiều thùng 5 kg", category="trai-cay",
                 net_weight_kg=Decimal("5.000"), price=200000)
    return make_campaign(starts_on=date(2023, 6, 15), ends_on=date(2023, 7, 2),
                         goal_kg=Decimal("50000"), categories="trai-cay", stalls=[stall])


def test_demo_campaign_reaches_its_50_tonnes(app, db):
    campaign = _lychee_campaign()
    demo.seed({"campaign": campaign})
    db.session.commit()
    progress = campaign_progress(campaign)
    assert Decimal("50000") <= progress.kg_confirmed <= Decimal("50800")
    assert progress.kg_provisional > progress.kg_confirmed
    platforms = set(db.session.scalars(sa.select(ImportedSaleLine.platform).distinct()))
    assert platforms == {"shopee", "lazada", "tiktok"}


def test_demo_runs_twice_without_adding_rows(app, db):
    campaign = _lychee_campaign()
    demo.seed({"campaign": campaign})
    db.session.commit()
    counts = (db.session.scalar(sa.select(sa.func.count(Order.id))),
              db.session.scalar(sa.select(sa.func.count(ImportedSaleLine.id))))
    demo.seed({"campaign": campaign})
    db.session.commit()
    assert counts == (db.session.scalar(sa.select(sa.func.count(Order.id))),
                      db.session.scalar(sa.select(sa.func.count(ImportedSaleLine.id))))
