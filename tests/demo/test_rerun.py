"""Seeding the demo again, days later or over an older demo database, goes through the same
services: the fair open then is moved to be open now, the lychee drive is brought up to date, a
stall's blank fields are filled and a seller's own edits are kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import time_machine

from marketplace.catalog.models import Stall
from marketplace.database import utcnow
from marketplace.demo import fairs, people, provenance, stalls
from marketplace.demo import seed as seed_demo
from marketplace.extensions import db as _db
from marketplace.fairs.models import Campaign, Fair, FairStall

FIRST = datetime.fromisoformat("2026-12-04T02:15:00+00:00")  # 9:15 in Vietnam


def _count(model) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_later_seed_reopens_the_fair_and_brings_the_drive_up_to_date(app):
    with time_machine.travel(FIRST, tick=True):
        ctx = seed_demo((people, stalls, provenance, fairs))
    lychee_ids = {s.id for s in ctx["stalls"] if s.slug == "vai-thieu-luc-ngan"}
    # An older demo database: the drive counted the whole fruit category and the lychee
    # grower's invitation is missing.
    campaign = ctx["campaign"]
    campaign.categories, campaign.products = "trai-cay", []
    for invitation in list(campaign.invitations):
        _db.session.delete(invitation)
    _db.session.commit()
    counts = [_count(m) for m in (Fair, FairStall, Campaign)]

    with time_machine.travel(FIRST + timedelta(days=5), tick=True):
        ctx = seed_demo((people, stalls, provenance, fairs))
        assert ctx["open_fair"].state(utcnow()) == "open"
        assert ctx["upcoming_fair"].state(utcnow()) == "upcoming"
    assert [_count(m) for m in (Fair, FairStall, Campaign)] == counts
    campaign = _db.session.scalar(sa.select(Campaign))
    assert campaign.category_list == []
    assert sorted(p.name for p in campaign.products) == sorted(fairs.LYCHEE_SCOPE)
    assert {s.id for s in campaign.joined_stalls} == lychee_ids
    assert campaign.name == fairs.CAMPAIGN["name"] and campaign.goal_kg == 50_000


def test_a_second_seed_fills_a_stalls_blanks_and_keeps_its_sellers_edits(app):
    seed_demo((people, stalls))
    rice = _db.session.scalar(sa.select(Stall).where(Stall.slug == "gao-thom-yen-dung"))
    rice.story, rice.name = "", "Gạo nhà Dũng"
    _db.session.commit()

    seed_demo((people, stalls))
    _db.session.refresh(rice)
    assert rice.story == stalls.STALLS[0]["story"]
    assert rice.name == "Gạo nhà Dũng"
    assert _count(Stall) == len(stalls.STALLS)
