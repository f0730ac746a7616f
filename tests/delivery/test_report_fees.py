"""Reports keep delivery fees apart: goods revenue never includes them; fees have a figure."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.orders import services as orders
from marketplace.orders.models import Order
from marketplace.payments.services import record_payment
from marketplace.reports.figures import campaign_report, fair_report, seller_summary
from tests.delivery.conftest import BAC_NINH, make_zone
from tests.factories import (
    join_campaign,
    make_campaign,
    make_fair,
    make_order,
    make_organizer,
    make_participation,
    make_product,
    make_seller,
    make_stall,
)


def fee_order(stall, lines, fee, *, paid=False, **kw):
    """An order delivered for a fee (written directly, as tests/factories does)."""
    order = make_order(stall, lines, fulfilment="delivery", delivery_fee=fee, **kw)
    if paid:
        record_payment(order, "cash", order.total)
    db.session.commit()
    return order


@pytest.fixture
def fair_world(app):
    organizer = make_organizer()
    fair = make_fair(organizer, name="Phiên chợ Vải", slug="phien-vai")
    lychee_stall = make_stall(name="Vải Lục Ngạn")
    sauce_stall = make_stall(name="Tương Bần")
    for stall in (lychee_stall, sauce_stall):
        make_participation(fair, stall)
    lychee = make_product(lychee_stall, name="Vải hộp", price=90000, category="trai-cay",
                          net_weight_kg=Decimal("2.000"))
    sauce = make_product(sauce_stall, name="Tương chai", price=30000)
    fee_order(lychee_stall, [(lychee, 2)], 25000, paid=True, channel="online", fair=fair)
    fee_order(sauce_stall, [(sauce, 1)], 18000, channel="online", fair=fair)
    fee_order(sauce_stall, [(sauce, 3)], 40000, channel="online", fair=fair,
              status="cancelled")  # a cancelled order's fee is no one's
    make_order(lychee_stall, [(lychee, 1)], channel="fair", fair=fair, paid=True)
    return organizer, fair, lychee_stall, sauce_stall


def test_fair_report_keeps_fees_out_of_goods_revenue(fair_world):
    _organizer, fair, lychee_stall, sauce_stall = fair_world
    report = fair_report(fair)
    t = report.totals
    assert t.gross_vnd == 180000 + 30000 + 90000 + 90000  # goods only, cancelled included
    assert t.net_vnd == 180000 + 30000 + 90000
    assert t.delivery_fee_vnd == 25000 + 18000
    assert t.received_vnd == 205000 + 90000  # the money in does carry the paid fee
    stalls = {r.stall: r for r in report.tables.stalls}
    assert (stalls["Vải Lục Ngạn"].net_vnd, stalls["Vải Lục Ngạn"].delivery_fee_vnd) == (
        270000, 25000)
    assert (stalls["Tương Bần"].net_vnd, stalls["Tương Bần"].delivery_fee_vnd) == (
        30000, 18000)
    fulfilment = {r.fulfilment: r for r in report.tables.fulfilment}
    assert fulfilment["delivery"].delivery_fee_vnd == 43000
    assert fulfilment["delivery"].vnd == 210000


def test_fair_report_page_and_csv_show_the_fee_column(client, auth, fair_world):
    organizer, fair, *_ = fair_world
    auth.login(organizer)
    page = client.get("/organizer/reports/fairs/phien-vai").get_data(as_text=True)
    assert 'data-field="delivery-fees">43.000 ₫' in page
    assert 'data-field="net">300.000 ₫' in page
    body = client.get("/organizer/reports/fairs/phien-vai/stalls.csv").get_data()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    by_stall = {r["Gian hàng"]: r for r in rows}
    assert by_stall["Vải Lục Ngạn"]["Phí giao hàng (đ)"] == "25000"
    assert by_stall["Vải Lục Ngạn"]["Doanh số thuần (đ)"] == "270000"
    assert by_stall["Tương Bần"]["Phí giao hàng (đ)"] == "18000"


def test_campaign_progress_counts_goods_not_fees(app):
    organizer = make_organizer()
    today = vn_today()
    campaign = make_campaign(organizer, starts_on=today - timedelta(days=1), ends_on=today,
                             goal_vnd=1_000_000, channels="online")
    stall = make_stall()
    join_campaign(campaign, stall)
    rice = make_product(stall, price=100000, category="trai-cay")
    fee_order(stall, [(rice, 2)], 30000, paid=True, channel="online")
    report = campaign_report(campaign)
    assert report.progress.vnd_confirmed == 200000
    assert report.totals.net_vnd == 200000
    assert report.totals.delivery_fee_vnd == 30000


def test_seller_summary_after_a_real_checkout(shop, client, auth):
    seller = make_seller()
    stall = make_stall(seller, name="Vải Lục Ngạn")
    make_zone(stall, BAC_NINH, fee=25000)
    lychee = make_product(stall, name="Vải hộp", price=45000, stock=10)
    shop.add(lychee, 2)
    assert shop.checkout([stall], fulfilment="delivery", address="Thôn 3",
                         delivery_province="Bắc Giang").status_code == 303
    order = db.session.scalar(db.select(Order))
    orders.change_status(order, "fulfilled", by_id=seller.id)  # cash taken on delivery
    assert (order.paid_amount, order.total) == (115000, 115000)
    t = seller_summary(stall).totals
    assert (t.net_vnd, t.delivery_fee_vnd, t.received_vnd) == (90000, 25000, 115000)
    auth.login(seller)
    page = client.get("/seller/summary?all=1").get_data(as_text=True)
    assert 'data-field="net">90.000 ₫' in page
    assert 'data-field="delivery-fees">25.000 ₫' in page
