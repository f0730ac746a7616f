"""The figures of a report: its totals, its tables, a campaign's progress, a tally board, as
frozen dataclasses computed over a scope's facts (reports.engine) read once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from marketplace.catalog.models import Stall
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair
from marketplace.reports.engine import (
    Facts,
    kg,
    num,
    qty,
    scope_facts,
    sum_if,
)
from marketplace.reports.rows import (
    FINISH,
    CardOwedRow,
    CashDayRow,
    CategoryRow,
    ChannelRow,
    ConversionRow,
    DayRow,
    FulfilmentRow,
    HourRow,
    PaymentRow,
    ProductRow,
    ScanDayRow,
    ScanProductRow,
    StallRow,
    by_category,
    by_channel,
    by_day,
    by_fulfilment,
    by_hour,
    by_payment_method,
    by_product,
    by_stall,
    card_owed,
    card_owed_rows,
    cash_by_day,
    cash_days_rows,
    fair_conversion,
    payments_rows,
    scans_by_day,
    scans_by_product,
    stall_rows,
)
from marketplace.reports.scope import (
    Scope,
    Target,
    campaign_scope,
    campaign_target,
    fair_target,
    range_target,
    seller_target,
)
from marketplace.reports.sums import (
    Grouped,
    count_if,
    group_sales,
    read_ledger,
)

# --- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """How many of one selling unit (túi, hộp, kg…) were sold."""

    unit: str
    quantity: int | Decimal


@dataclass(frozen=True, slots=True)
class Totals:
    """A report's big numbers. net_vnd = sales_vnd - returned_vnd - refunded_vnd;
    collected_vnd = received_vnd - given_back_vnd; delivery fees are apart from sales."""

    gross_vnd: int
    cancelled_vnd: int
    sales_vnd: int
    refunded_vnd: int
    returned_vnd: int
    returned_kg: Decimal
    net_vnd: int
    orders: int
    orders_cancelled: int
    quantity: int | Decimal
    kg: Decimal
    tonnes: Decimal
    paid_vnd: int
    unpaid_vnd: int
    orders_paid: int
    orders_unpaid: int
    received_vnd: int
    given_back_vnd: int
    collected_vnd: int
    imported_orders: int
    imported_vnd: int
    delivery_fee_vnd: int
    units: tuple[Unit, ...]


@dataclass(frozen=True, slots=True)
class Tables:
    """A report's tables: those its target names, None for the others (in page order)."""

    days: tuple[DayRow, ...] | None = None
    stalls: tuple[StallRow, ...] | None = None
    products: tuple[ProductRow, ...] | None = None
    categories: tuple[CategoryRow, ...] | None = None
    channels: tuple[ChannelRow, ...] | None = None
    payments: tuple[PaymentRow, ...] | None = None
    fulfilment: tuple[FulfilmentRow, ...] | None = None
    card_owed: tuple[CardOwedRow, ...] | None = None
    hours: tuple[HourRow, ...] | None = None
    top_products: tuple[ProductRow, ...] | None = None
    cash_days: tuple[CashDayRow, ...] | None = None
    scans_days: tuple[ScanDayRow, ...] | None = None
    scans_products: tuple[ScanProductRow, ...] | None = None
    conversion: tuple[ConversionRow, ...] | None = None

    def items(self) -> Iterator[tuple[str, tuple]]:
        """(name, rows) of every table the report has."""
        for f in fields(self):
            rows = getattr(self, f.name)
            if rows is not None:
                yield f.name, rows


@dataclass(frozen=True, slots=True)
class Progress:
    """A campaign's confirmed (paid or handed over, marketplace sales completed) and
    provisional (unpaid, in transit too) kg and VND, net of refunds, against its goals."""

    goal_kg: Decimal | None
    goal_vnd: int | None
    kg_confirmed: Decimal
    kg_provisional: Decimal
    vnd_confirmed: int
    vnd_provisional: int
    percent_kg: float | None
    percent_vnd: float | None
    percent_kg_provisional: float | None
    percent_vnd_provisional: float | None


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a report page (and the API) shows; progress for a campaign only."""

    kind: str  # fair, campaign, range, seller
    totals: Totals
    tables: Tables
    progress: Progress | None = None


@dataclass(frozen=True, slots=True)
class Board:
    """The few big numbers a tally board shows (progress for a campaign only)."""

    net_vnd: int
    orders: int
    quantity: int | Decimal
    kg: Decimal
    stalls: tuple[StallRow, ...]
    progress: Progress | None = None


# --- campaign progress -----------------------------------------------------------------------


def _percent(value, goal) -> float | None:
    if not goal:
        return None
    return round(float(value) * 100 / float(goal), 1)


def _progress(campaign: Campaign, facts: Facts) -> Progress:
    o = facts.orders
    # Money net of refunds, as the report's net revenue counts it.
    row = db.session.execute(sa.select(
        sum_if(o.c.confirmed == 1, o.c.vnd - o.c.refunded),
        sum_if(o.c.live == 1, o.c.vnd - o.c.refunded),
        sum_if(o.c.confirmed == 1, o.c.grams),
        sum_if(o.c.live == 1, o.c.grams),
    )).one()
    vnd_confirmed, vnd_provisional = num(row[0]), num(row[1])
    kg_confirmed, kg_provisional = kg(row[2]), kg(row[3])
    imp = facts.imported
    if imp is not None:
        irow = db.session.execute(sa.select(
            sum_if(imp.c.sale == 1, imp.c.vnd),
            sum_if(imp.c.counted == 1, imp.c.vnd),
            sum_if(imp.c.sale == 1, imp.c.grams),
            sum_if(imp.c.counted == 1, imp.c.grams),
        )).one()
        vnd_confirmed += num(irow[0])
        vnd_provisional += num(irow[1])
        kg_confirmed += kg(irow[2])
        kg_provisional += kg(irow[3])
    goal_kg = Decimal(campaign.goal_kg) if campaign.goal_kg is not None else None
    goal_vnd = int(campaign.goal_vnd) if campaign.goal_vnd is not None else None
    return Progress(
        goal_kg=goal_kg, goal_vnd=goal_vnd,
        kg_confirmed=kg_confirmed, kg_provisional=kg_provisional,
        vnd_confirmed=vnd_confirmed, vnd_provisional=vnd_provisional,
        percent_kg=_percent(kg_confirmed, goal_kg),
        percent_vnd=_percent(vnd_confirmed, goal_vnd),
        percent_kg_provisional=_percent(kg_provisional, goal_kg),
        percent_vnd_provisional=_percent(vnd_provisional, goal_vnd),
    )


def campaign_progress(campaign: Campaign) -> Progress:
    """Return the campaign's confirmed and provisional kg and VND against its goals."""
    with scope_facts(campaign_scope(campaign), temp=False) as facts:
        return _progress(campaign, facts)


# --- totals ----------------------------------------------------------------------------------


def _totals(facts: Facts, units: list[Grouped] | None = None,
            ledger: dict | None = None) -> Totals:
    o = facts.orders
    live, paid = o.c.live == 1, o.c.paid == 1
    row = db.session.execute(sa.select(
        sa.func.sum(o.c.vnd),
        sum_if(o.c.live == 0, o.c.vnd),
        sa.func.sum(o.c.live),
        sum_if(o.c.live == 0, 1),
        sum_if(live, o.c.qty),
        sum_if(live, o.c.grams),
        sum_if(sa.and_(live, paid), o.c.vnd),
        sum_if(sa.and_(live, ~paid), o.c.vnd),
        sum_if(sa.and_(live, paid), 1),
        sum_if(sa.and_(live, ~paid), 1),
        sum_if(live, o.c.refunded),
        sum_if(live, o.c.fee),
    )).one()
    if ledger is None:
        ledger = read_ledger(facts, ["total"])
    _key, received, given_back, collected, _orders = ledger["total"][0]
    gross, cancelled, refunded = num(row[0]), num(row[1]), num(row[10])
    returned, returned_kg = 0, Decimal("0.000")
    orders, quantity, weight = num(row[2]), qty(row[4]), kg(row[5])
    imported_orders = imported_vnd = 0
    imp = facts.imported
    if imp is not None:
        counted = imp.c.counted == 1
        i = db.session.execute(sa.select(
            sa.func.sum(imp.c.amount),
            sum_if(sa.and_(~counted, imp.c.returned != 1), imp.c.amount),
            sa.func.sum(imp.c.returned_vnd),
            count_if(counted, imp.c.order_key),
            sum_if(counted, imp.c.qty),
            sum_if(counted, imp.c.grams),
            sum_if(counted, imp.c.vnd),
            sa.func.sum(imp.c.returned_grams),
        )).one()
        gross += num(i[0])
        cancelled += num(i[1])
        returned, returned_kg = num(i[2]), kg(i[7])
        imported_orders, imported_vnd = num(i[3]), num(i[6])
        orders += imported_orders
        quantity += qty(i[4])
        weight += kg(i[5])
    if units is None:
        units = group_sales(facts, ["units"])["units"]
    sales = gross - cancelled
    return Totals(
        gross_vnd=gross, cancelled_vnd=cancelled, sales_vnd=sales, refunded_vnd=refunded,
        returned_vnd=returned, returned_kg=returned_kg,
        net_vnd=sales - returned - refunded,
        orders=orders, orders_cancelled=num(row[3]), quantity=quantity, kg=weight,
        tonnes=(weight / 1000).quantize(Decimal("0.001")),
        paid_vnd=num(row[6]), unpaid_vnd=num(row[7]),
        orders_paid=num(row[8]), orders_unpaid=num(row[9]),
        received_vnd=received, given_back_vnd=given_back, collected_vnd=collected,
        imported_orders=imported_orders, imported_vnd=imported_vnd,
        # Delivery fees of orders not cancelled: money for the delivery, not goods revenue.
        delivery_fee_vnd=num(row[11]),
        units=tuple(Unit(g.key or "", g.quantity)
                    for g in sorted(units, key=lambda g: -g.quantity) if g.quantity),
    )


def totals(scope: Scope, units: list[Grouped] | None = None) -> Totals:
    """Return gross, cancelled, returned, refunded and net VND, orders, items, kg, paid/unpaid."""
    with scope_facts(scope, temp=False) as facts:
        return _totals(facts, units)


# --- whole reports ---------------------------------------------------------------------------

_SCOPE_TABLES = {
    "days": by_day,
    "hours": by_hour,
    "stalls": by_stall,
    "products": by_product,
    "top_products": lambda scope: by_product(scope, limit=10),
    "categories": by_category,
    "channels": by_channel,
    "payments": by_payment_method,
    "fulfilment": by_fulfilment,
    "card_owed": card_owed,
    "cash_days": cash_by_day,
}
# Table -> (ledger part, finishing function)
_LEDGER_TABLES = {"payments": ("methods", payments_rows),
                  "card_owed": ("card", card_owed_rows), "cash_days": ("cash", cash_days_rows)}


def table_rows(target: Target, name: str) -> tuple:
    """Return the rows of one aggregated table of a report."""
    if name in _SCOPE_TABLES:
        return _SCOPE_TABLES[name](target.scope)
    if name == "scans_days":
        return scans_by_day(target.scan_conds)
    if name == "scans_products":
        return scans_by_product(target.scan_conds)
    if name == "conversion" and target.fair is not None:
        return fair_conversion(target.fair)
    raise KeyError(name)


def build_report(target: Target) -> Report:
    """Return totals and every table of a report (plus progress for a campaign).

    The scope is read once into temporary tables; every figure is a grouped query over them.
    """
    names = [name for name in target.tables if name in FINISH]
    names += ["units"] + (["products"] if "top_products" in target.tables else [])
    with scope_facts(target.scope, hours="hours" in names) as facts:
        raw = group_sales(facts, names)
        sales = {name: FINISH[name](rows) for name, rows in raw.items() if name in FINISH}
        ledger = read_ledger(facts, ["total", *(_LEDGER_TABLES[name][0] for name in target.tables
                                                if name in _LEDGER_TABLES)])
        tables = {}
        for name in target.tables:
            if name in sales:
                tables[name] = sales[name]
            elif name == "top_products":
                tables[name] = sales["products"][:10]
            elif name in _LEDGER_TABLES:
                tables[name] = _LEDGER_TABLES[name][1](ledger)
            else:  # label scans, conversion: their own small statements
                tables[name] = table_rows(target, name)
        return Report(
            kind=target.kind,
            totals=_totals(facts, units=raw["units"], ledger=ledger),
            tables=Tables(**tables),
            progress=None if target.campaign is None else _progress(target.campaign, facts),
        )


def fair_report(fair: Fair) -> Report:
    """Return totals and every breakdown of a fair's orders, with its label scans."""
    return build_report(fair_target(fair))


def campaign_report(campaign: Campaign) -> Report:
    """Return a campaign's progress, totals, breakdowns and label scans."""
    return build_report(campaign_target(campaign))


def range_report(organizer_id: int, first: date, last: date) -> Report:
    """Return totals and breakdowns of every stall at the organizer's fairs over some days."""
    return build_report(range_target(organizer_id, first, last))


def seller_summary(stall: Stall, first: date | None = None, last: date | None = None) -> Report:
    """Return one stall's gross, cancellations, net, payment methods, top products and cash."""
    return build_report(seller_target(stall.id, first, last))


def board_figures(target: Target) -> Board:
    """Return the few big numbers a tally board shows (plus progress for a campaign)."""
    with scope_facts(target.scope) as facts:
        t = _totals(facts, units=[])
        stalls = stall_rows(group_sales(facts, ["stalls"])["stalls"])[:8]
        progress = None if target.campaign is None else _progress(target.campaign, facts)
    return Board(net_vnd=t.net_vnd, orders=t.orders, quantity=t.quantity, kg=t.kg,
                 stalls=stalls, progress=progress)
