"""The demo tells the story whatever day and hour it is seeded: the fair open today has sold
since this morning, payments carry their order's time, the lychee drive reaches its 50 tonnes
of lychee along a daily curve, lychee pages on sale show nothing expired, and the product
pictures are drawings."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from PIL import Image

from marketplace.catalog.models import Product, ProductImage
from marketplace.demo import seed as seed_demo
from marketplace.demo.fairs import LYCHEE_SCOPE, OPEN_FAIR
from marketplace.extensions import db as _db
from marketplace.fairs.models import Campaign, Fair
from marketplace.formatting import to_local, vn_now
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from marketplace.reports.figures import campaign_progress
from marketplace.reports.rows import by_day, by_product
from marketplace.reports.scope import campaign_scope
from marketplace.storage import StoredImage

# Vietnam time: just after midnight, before the booths open, mid-morning, in the lychee season.
INSTANTS = {
    "dec-00h05": "2026-12-03T17:05:00+00:00",
    "dec-06h30": "2026-12-03T23:30:00+00:00",
    "dec-09h15": "2026-12-04T02:15:00+00:00",
    "jun-20h30": "2027-06-20T13:30:00+00:00",
}


@pytest.fixture(params=list(INSTANTS))
def seeded(request, app):
    """The demo seeded with the clock at one of INSTANTS (the clock keeps running)."""
    with time_machine.travel(datetime.fromisoformat(INSTANTS[request.param]), tick=True):
        seed_demo()
        yield request.param


def _open_fair() -> Fair:
    return _db.session.scalar(sa.select(Fair).where(Fair.slug == OPEN_FAIR["slug"]))


def _lychee_products() -> list[Product]:
    return list(_db.session.scalars(
        sa.select(Product).where(Product.name.like("Vải thiều%")).order_by(Product.id)))


def test_the_open_fair_has_sold_up_to_now_and_payments_carry_their_order_time(seeded):
    rows = _db.session.execute(
        sa.select(Payment.created_at, Order.placed_at).join(Order, Order.id == Payment.order_id)
    ).all()
    assert len(rows) > 1000
    assert all(paid == placed for paid, placed in rows)

    now = vn_now()
    fair = _open_fair()
    placed = [to_local(at) for at in _db.session.scalars(
        sa.select(Order.placed_at).where(Order.fair_id == fair.id))]
    assert placed
    assert all(time(7) <= at.time() < time(21) and at <= now for at in placed)
    today = [at for at in placed if at.date() == now.date()]
    if now.time() >= time(8):
        # This morning's sales: from the booths' opening to a moment ago.
        assert min(today).time() < time(8)
        assert now - max(today) < timedelta(hours=1)
    else:
        # Before the booths open, the latest sales are last evening's.
        assert not today
        assert max(placed).date() == now.date() - timedelta(days=1)
        assert max(placed).time() >= time(20)


def test_lychee_and_rice_cracker_pages_show_nothing_expired_but_a_certificate(seeded, client):
    on_sale = 0
    for product in _lychee_products():
        html = client.get(f"/p/{product.code}").get_data(as_text=True)
        assert "quá hạn" not in html.lower(), product.name
        on_sale += "Thêm vào giỏ" in html
        if product.name in LYCHEE_SCOPE and seeded.startswith("dec"):
            assert "Đã hết mùa" in html  # fresh lychee in December: out of season
    assert on_sale >= (5 if seeded.startswith("jun") else 2)
    # The stall's GlobalGAP certificate ran out on purpose: marked, below those in force.
    html = client.get(f"/p/{_lychee_products()[0].code}").get_data(as_text=True)
    assert html.index("VietGAP") < html.index("GlobalGAP") < html.index("Hết hạn")
    # Rice crackers keep a few months: their lots are in date at any time of year.
    crackers = _db.session.scalars(sa.select(Product).where(Product.name.like("Bánh đa%")))
    for product in crackers:
        html = client.get(f"/p/{product.code}").get_data(as_text=True)
        assert "quá hạn" not in html.lower(), product.name
        assert "Thêm vào giỏ" in html, product.name


@pytest.fixture
def seeded_today(app):
    seed_demo()


def test_the_lychee_drive_reaches_50_tonnes_of_lychee_along_a_daily_curve(seeded_today):
    campaign = _db.session.scalar(sa.select(Campaign).where(Campaign.slug
                                                             == "vai-chuan-tu-tam-2023"))
    assert campaign_progress(campaign).kg_confirmed >= 50_000
    scope = campaign_scope(campaign)
    names = {row.product for row in by_product(scope)}
    assert names and names <= set(LYCHEE_SCOPE)
    days = {row.day: row.kg for row in by_day(scope)}
    assert min(days) == date(2023, 6, 15) and max(days) == date(2023, 7, 2)
    assert sum(days.values()) >= 50_000
    peak = max(days, key=days.get)
    assert date(2023, 6, 20) <= peak <= date(2023, 6, 27)  # the middle of the 18 days
    ordered = [days[d] for d in sorted(days)]
    middle = ordered.index(days[peak])
    assert ordered[:middle + 1] == sorted(ordered[:middle + 1])  # ramps up
    assert ordered[middle:] == sorted(ordered[middle:], reverse=True)  # then tails off
    assert ordered[0] < days[peak] / 3 and ordered[-1] < days[peak] / 2
    # The drive is long over: the job that cancels unpaid orders finds none of its orders (a
    # cancellation would put 2023's lychee back on sale today).
    from marketplace.orders.services import expire_unpaid_orders

    assert expire_unpaid_orders() == 0


def test_product_pictures_are_drawings_not_letters(seeded_today):
    pictures = _db.session.execute(
        sa.select(Product.name, StoredImage.data)
        .join(ProductImage, ProductImage.product_id == Product.id)
        .join(StoredImage, StoredImage.id == ProductImage.image_id)
    ).all()
    assert len(pictures) >= 60
    for name, data in pictures:
        image = Image.open(io.BytesIO(data)).convert("RGB")
        # Areas of several colours (JPEG-stored, so colours are binned), not one tile colour
        # with white letters on it (and no text drawn at all).
        binned = Counter((r >> 5, g >> 5, b >> 5) for r, g, b in image.get_flattened_data())
        assert sum(1 for n in binned.values() if n >= 400) >= 6, name  # a letter tile: 4
