"""Report figures equal independent Python sums of the rows, on both backends."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.formatting import VN_TZ
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from marketplace.provenance.models import ScanEvent
from marketplace.reports.figures import (
    build_report,
    campaign_progress,
    campaign_report,
    table_rows,
    totals,
)
from marketplace.reports.rows import (
    by_category,
    by_channel,
    by_day,
    by_fulfilment,
    by_hour,
    by_payment_method,
    by_product,
    by_stall,
    card_owed,
    cash_by_day,
    fair_conversion,
    scans_by_day,
)
from marketplace.reports.scope import (
    campaign_target,
    fair_scope,
    fair_target,
    range_scope,
    range_target,
    seller_target,
    stall_scope,
)
from tests.factories import make_campaign, make_order, make_scan_event
from tests.reports.conftest import vn

COUNTED = {"sale", "in_progress"}
DAY1, DAY2 = date(2024, 5, 10), date(2024, 5, 11)


def _orders(*conds) -> list[Order]:
    return list(db.session.scalars(sa.select(Order).where(*conds)))


def _imports(*conds) -> list[ImportedSaleLine]:
    return list(db.session.scalars(sa.select(ImportedSaleLine).where(*conds)))


def _payments(orders) -> list[Payment]:
    """The orders' ledger rows that count: corrections and the rows they correct left out."""
    ids = [o.id for o in orders]
    rows = list(db.session.scalars(sa.select(Payment).where(Payment.order_id.in_(ids))))
    corrected = {p.reverses_id for p in rows if p.kind == "correction"}
    return [p for p in rows if p.kind != "correction" and p.id not in corrected]


def revenue_refund(order, payments) -> int:
    """What an order's refunds take off net revenue: beyond any surplus, up to its sale."""
    if order.status == "cancelled":
        return 0
    mine = [p for p in payments if p.order_id == order.id]
    received = sum(p.amount for p in mine if p.kind == "payment")
    refunded = -sum(p.amount for p in mine if p.kind == "refund")
    return min(max(refunded - max(received - order.total, 0), 0), order.total)


def _kept_vnd(line) -> int:
    return line.net_amount * (line.qty - line.returned_qty) // line.qty


def _kg(line) -> Decimal:
    weight = line.net_weight_kg if line.net_weight_kg is not None else (
        line.product.net_weight_kg if line.product else Decimal(0))
    return (line.qty - line.returned_qty) * weight


def expected_totals(orders, imported) -> dict:
    live = [o for o in orders if o.status != "cancelled"]
    payments = _payments(orders)
    counted = [i for i in imported if i.status_class in COUNTED]
    gross = sum(o.total for o in orders) + sum(i.net_amount for i in imported)
    cancelled = sum(o.total for o in orders if o.status == "cancelled") + sum(
        i.net_amount for i in imported if i.status_class not in {*COUNTED, "returned"})
    refunded = sum(revenue_refund(o, payments) for o in orders)
    returned = sum(i.net_amount - _kept_vnd(i) for i in counted) + sum(
        i.net_amount for i in imported if i.status_class == "returned")
    return {
        "gross_vnd": gross,
        "cancelled_vnd": cancelled,
        "refunded_vnd": refunded,
        "returned_vnd": returned,
        "net_vnd": gross - cancelled - returned - refunded,
        "sales_vnd": gross - cancelled,
        "orders": len(live) + len({(i.platform, i.external_order_id) for i in counted}),
        "orders_cancelled": len(orders) - len(live),
        "quantity": sum(ln.quantity for o in live for ln in o.lines)
        + sum(i.qty - i.returned_qty for i in counted),
        "kg": sum((ln.quantity * ln.net_weight_kg for o in live for ln in o.lines), Decimal(0))
        + sum((_kg(i) for i in counted), Decimal(0)),
        "paid_vnd": sum(o.total for o in live if o.paid_amount >= o.total),
        "unpaid_vnd": sum(o.total for o in live if o.paid_amount < o.total),
        "collected_vnd": sum(p.amount for p in payments),
        "received_vnd": sum(p.amount for p in payments if p.kind == "payment"),
        "given_back_vnd": -sum(p.amount for p in payments if p.kind == "refund"),
    }


def _pick(actual, expected: dict) -> dict:
    return {k: getattr(actual, k) for k in expected}


def test_fair_totals_equal_sums_of_its_orders(world):
    orders = _orders(Order.fair_id == world.fair.id)
    actual = totals(fair_scope(world.fair))
    assert _pick(actual, expected_totals(orders, [])) == expected_totals(orders, [])


def test_range_totals_include_imports_of_the_organizers_stalls_only(world):
    stall_ids = [world.stalls[0].id, world.stalls[1].id]
    orders = _orders(Order.stall_id.in_(stall_ids))
    imported = _imports(ImportedSaleLine.stall_id.in_(stall_ids))
    actual = totals(range_scope(world.organizer.id, DAY1, DAY2))
    expected = expected_totals(orders, imported)
    assert _pick(actual, expected) == expected


def test_range_excludes_days_outside_the_period(world):
    actual = totals(range_scope(world.organizer.id, DAY2, DAY2))
    stall_ids = [world.stalls[0].id, world.stalls[1].id]
    start, end = vn(2024, 5, 11, 0), vn(2024, 5, 12, 0)
    orders = _orders(Order.stall_id.in_(stall_ids), Order.placed_at >= start,
                     Order.placed_at < end)
    imported = _imports(ImportedSaleLine.stall_id.in_(stall_ids),
                        ImportedSaleLine.created_at_source >= start,
                        ImportedSaleLine.created_at_source < end)
    expected = expected_totals(orders, imported)
    assert _pick(actual, expected) == expected


def test_breakdowns_add_up_to_live_orders_and_kept_imports(world):
    stall_ids = [world.stalls[0].id, world.stalls[1].id]
    expected = sum(o.total for o in _orders(Order.stall_id.in_(stall_ids))
                   if o.status != "cancelled")
    expected += sum(_kept_vnd(i) for i in _imports(ImportedSaleLine.stall_id.in_(stall_ids))
                    if i.status_class in COUNTED)
    scope = range_scope(world.organizer.id, DAY1, DAY2)
    for rows in (by_stall(scope), by_day(scope), by_channel(scope),
                 by_product(scope), by_category(scope)):
        assert sum(r.vnd for r in rows) == expected


def test_channels_name_each_marketplace(world):
    stall_ids = [world.stalls[0].id, world.stalls[1].id]
    expected = defaultdict(int)
    for o in _orders(Order.stall_id.in_(stall_ids), Order.status != "cancelled"):
        expected[o.channel] += o.total
    for i in _imports(ImportedSaleLine.stall_id.in_(stall_ids)):
        if i.status_class in COUNTED:
            expected[f"imported:{i.platform}"] += _kept_vnd(i)
    rows = by_channel(range_scope(world.organizer.id, DAY1, DAY2))
    assert {r.channel: r.vnd for r in rows if r.vnd} == dict(expected)


def test_days_are_vietnam_calendar_days(world):
    rows = by_day(fair_scope(world.fair))
    expected = defaultdict(int)
    for o in _orders(Order.fair_id == world.fair.id, Order.status != "cancelled"):
        local = o.placed_at.astimezone(VN_TZ)
        expected[local.date()] += o.total
    assert {r.day: r.vnd for r in rows} == dict(expected)
    # 23:30 on the 10th stays on the 10th; 00:15 on the 11th is on the 11th.
    assert [r.day for r in rows] == [DAY1, DAY2]


def test_hours_are_vietnam_hours(world):
    rows = by_hour(fair_scope(world.fair))
    assert {r.hour for r in rows if r.orders} == {9, 23, 0, 20}


def test_payment_methods_are_net_of_refunds_without_corrections(world):
    orders = _orders(Order.fair_id == world.fair.id)
    expected = defaultdict(int)
    for p in _payments(orders):
        expected[p.method] += p.amount
    rows = by_payment_method(fair_scope(world.fair))
    assert {r.method: r.net_vnd for r in rows} == dict(expected)
    vietqr = next(r for r in rows if r.method == "vietqr")
    assert vietqr.refunded_vnd == world.orders["cancelled"].total


def test_card_money_owed_per_stall_is_net_of_refunds(world):
    rows = card_owed(range_scope(world.organizer.id, DAY1, DAY2))
    s1 = world.stalls[0]
    expected = sum(p.amount for p in _payments(_orders(Order.stall_id == s1.id))
                   if p.method == "card")
    assert [(r.stall_id, r.owed_vnd) for r in rows] == [(s1.id, expected)]
    assert rows[0].refunded_vnd == 20000


def test_products_and_categories_include_unmapped_imports(world):
    scope = range_scope(world.organizer.id, DAY1, DAY2)
    products = {r.product_id: r for r in by_product(scope)}
    unmapped = world.imported["unmapped"]
    assert products[None].kg == Decimal("2.500")
    assert products[None].vnd == unmapped.net_amount
    lychee = world.products["lychee"]
    expected_qty = sum(ln.quantity for o in _orders(Order.status != "cancelled") for ln in o.lines
                       if ln.product_id == lychee.id)
    expected_qty += sum(i.qty - i.returned_qty for i in _imports(
        ImportedSaleLine.product_id == lychee.id) if i.status_class in COUNTED)
    assert products[lychee.id].quantity == expected_qty
    categories = {r.category: r.vnd for r in by_category(scope)}
    assert categories[""] == unmapped.net_amount


def test_fulfilment_counts_live_orders(world):
    rows = {r.fulfilment: r.orders for r in by_fulfilment(fair_scope(world.fair))}
    expected = defaultdict(int)
    for o in _orders(Order.fair_id == world.fair.id, Order.status != "cancelled"):
        expected[o.fulfilment] += 1
    assert {k: v for k, v in rows.items() if v} == dict(expected)


def test_seller_cash_to_reconcile_per_day(world):
    s2 = world.stalls[1]
    scope = stall_scope(s2.id)
    expected = defaultdict(int)
    for p in _payments(_orders(Order.stall_id == s2.id)):
        if p.method == "cash":
            expected[p.created_at.astimezone(VN_TZ).date()] += p.amount
    assert {r.day: r.net_vnd for r in cash_by_day(scope)} == dict(expected)


def test_scan_to_order_conversion_at_a_fair(world):
    lychee, sauce = world.products["lychee"], world.products["sauce"]
    for _ in range(4):
        make_scan_event(lychee, fair=world.fair, scanned_at=vn(2024, 5, 10, 9))
    make_scan_event(sauce, fair=world.fair, scanned_at=vn(2024, 5, 11, 9))
    make_scan_event(sauce, fair=world.other_fair)
    rows = {r.product_id: r for r in fair_conversion(world.fair)}
    # Lychee is on two live orders shoppers placed at the fair (cash, card) for 4 views.
    assert (rows[lychee.id].scans, rows[lychee.id].orders) == (4, 2)
    assert rows[lychee.id].conversion == 50.0
    # Sauce: one shopper's order (the livestream order and the cancelled one are not theirs).
    assert (rows[sauce.id].scans, rows[sauce.id].orders) == (1, 1)
    assert rows[sauce.id].conversion == 100.0
    days = scans_by_day([ScanEvent.fair_id == world.fair.id])
    assert [(r.day, r.scans) for r in days] == [(DAY1, 4), (DAY2, 1)]


def test_conversion_never_exceeds_100_percent(world):
    sauce = world.products["sauce"]
    make_scan_event(sauce, fair=world.fair, scanned_at=vn(2024, 5, 11, 9), qr=True)
    for _ in range(3):  # three shoppers who came through the fair's page, not a label
        make_order(world.stalls[1], [(sauce, 1)], channel="fair", fair=world.fair)
    [row] = [r for r in fair_conversion(world.fair) if r.product_id == sauce.id]
    assert (row.scans, row.qr_scans, row.orders) == (1, 1, 4)
    assert row.conversion == 100.0


def test_booth_sales_are_not_conversions(world):
    lychee = world.products["lychee"]
    make_scan_event(lychee, fair=world.fair, scanned_at=vn(2024, 5, 10, 9))
    before = {r.product_id: r for r in fair_conversion(world.fair)}[lychee.id].orders
    make_order(world.stalls[0], [(lychee, 1)], channel="fair", fair=world.fair,
               created_by_id=world.stalls[0].owner_id)
    after = {r.product_id: r for r in fair_conversion(world.fair)}[lychee.id].orders
    assert after == before


def test_a_whole_report_shows_the_figures_of_each_table_alone(world):
    # A report reads its scope once into temporary tables; each table alone reads it inline.
    campaign = make_campaign(organizer=world.organizer, starts_on=DAY1, ends_on=DAY2,
                             categories="trai-cay,gia-vi", stalls=world.stalls)
    targets = [fair_target(world.fair), campaign_target(campaign),
               range_target(world.organizer.id, DAY1, DAY2),
               seller_target(world.stalls[0].id)]
    for target in targets:
        report = build_report(target)
        assert report.totals == totals(target.scope), target.kind
        for name in target.tables:
            assert getattr(report.tables, name) == table_rows(target, name), (target.kind, name)
    assert campaign_report(campaign).progress == campaign_progress(campaign)
