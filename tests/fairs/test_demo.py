"""flask seed-demo: the past Yên Dũng fair, a fair open now and the lychee campaign, once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.database import utcnow
from marketplace.demo import fairs, people, provenance, stalls
from marketplace.demo import seed as seed_demo
from marketplace.fairs.models import Campaign, Fair, FairStall


def seed(db) -> dict:
    return seed_demo((people, stalls, provenance, fairs))


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_has_the_past_yen_dung_fair_with_a_booth_per_stall(app, db):
    ctx = seed(db)
    past = ctx["past_fair"]
    assert past.state(utcnow()) == "closed"
    assert "Chùa Vĩnh Nghiêm, xã Trí Yên, huyện Yên Dũng, Bắc Giang" == past.address
    assert (past.ends_at - past.starts_at).days == 2  # three calendar days
    booths = [fs for fs in past.participations if fs.status == "accepted"]
    assert len(booths) == min(len(ctx["stalls"]), 18)


def test_demo_has_a_fair_open_now_with_most_stalls(app, db):
    ctx = seed(db)
    open_fair = ctx["open_fair"]
    assert open_fair.state(utcnow()) == "open"
    accepted = [fs for fs in open_fair.participations if fs.status == "accepted"]
    assert len(accepted) > len(ctx["stalls"]) / 2


def test_demo_has_the_lychee_campaign(app, db):
    campaign = seed(db)["campaign"]
    assert campaign.name == "Lục Ngạn - Bắc Giang: Vải chuẩn từ tâm - Nâng tầm nông sản"
    assert (campaign.starts_on, campaign.ends_on) == (date(2023, 6, 15), date(2023, 7, 2))
    assert campaign.goal_kg == Decimal("50000")
    # Lychee only: the fresh lychee products, not the whole fruit category.
    assert campaign.category_list == []
    assert campaign.products and all(p.name.startswith("Vải thiều") for p in campaign.products)
    assert campaign.channel_list == ["fair", "online", "livestream", "imported"]
    assert campaign.published and campaign.public_board
    assert any("Vải" in s.name for s in campaign.joined_stalls)


def test_seeding_twice_creates_nothing_new(app, db):
    seed(db)
    before = [count(db, m) for m in (Fair, FairStall, Campaign)]
    seed(db)
    assert [count(db, m) for m in (Fair, FairStall, Campaign)] == before


def test_demo_pages_render(client, db):
    ctx = seed(db)
    for path in ("/", "/fairs", f"/fairs/{ctx['past_fair'].slug}",
                 f"/fairs/{ctx['open_fair'].slug}", f"/campaigns/{ctx['campaign'].slug}"):
        assert client.get(path).status_code == 200, path
