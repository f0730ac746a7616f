"""The demo imports the lychee stall's marketplace exports once, through the real service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.demo import imports as demo
from marketplace.extensions import db
from marketplace.imports.models import ImportedSaleLine, SkuMapping
from tests.factories import make_campaign, make_product, make_stall


def _ctx():
    stall = make_stall(slug=demo.STALL_SLUG)
    make_product(stall, name="Vải thiều hộp 2kg", net_weight_kg=Decimal("2"), price=90000)
    make_product(stall, name="Vải thiều hộp 5kg", net_weight_kg=Decimal("5"), price=200000)
    campaign = make_campaign(slug=demo.CAMPAIGN_SLUG, starts_on=date(2023, 6, 15),
                             ends_on=date(2023, 7, 2))
    return {"campaign": campaign, "stalls": [stall]}


def test_demo_imports_a_few_hundred_mapped_lines_once(app):
    ctx = _ctx()
    demo.seed(ctx)
    db.session.commit()
    count = sa.select(sa.func.count()).select_from(ImportedSaleLine)
    first = db.session.scalar(count)
    assert 300 <= first <= 600
    assert db.session.scalar(sa.select(sa.func.count()).where(
        ImportedSaleLine.product_id.is_(None))) == 0
    kg = db.session.scalar(sa.select(sa.func.sum(
        (ImportedSaleLine.qty - ImportedSaleLine.returned_qty) * ImportedSaleLine.net_weight_kg
    )).where(ImportedSaleLine.status_class == "sale"))
    assert 5000 <= float(kg) <= 14000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SkuMapping)) == 6
    demo.seed(ctx)
    db.session.commit()
    assert db.session.scalar(count) == first
