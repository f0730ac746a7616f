"""The rows of a report's tables: sales broken down by day, stall, product…, the payment
ledger (methods, card money owed, cash per day) and label scans, as frozen dataclasses computed
over a scope's facts (reports.engine)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.extensions import db
from marketplace.fairs.models import Fair
from marketplace.orders.models import Order, OrderLine
from marketplace.provenance.models import ScanEvent
from marketplace.reports.engine import (
    LIVE,
    as_date,
    local_day,
    num,
    scope_facts,
)
from marketplace.reports.scope import Scope
from marketplace.reports.sums import (
    Grouped,
    Sales,
    group_sales,
    names_of,
    read_ledger,
)


@dataclass(frozen=True, slots=True)
class DayRow(Sales):
    """Sales on one Vietnam calendar day."""

    day: date


@dataclass(frozen=True, slots=True)
class HourRow(Sales):
    """Sales in one Vietnam hour of the day (0-23), across the scope's days."""

    hour: int


@dataclass(frozen=True, slots=True)
class StallRow(Sales):
    """One stall's sales."""

    stall_id: int
    stall: str


@dataclass(frozen=True, slots=True)
class ProductRow(Sales):
    """A product's sales (imported lines without a mapped product share one, product_id None)."""

    product_id: int | None
    product: str
    category: str
    unit: str
    code: str


@dataclass(frozen=True, slots=True)
class CategoryRow(Sales):
    """Sales of one product category (\"\" for imported lines without a product)."""

    category: str


@dataclass(frozen=True, slots=True)
class ChannelRow(Sales):
    """Sales through one channel."""

    channel: str  # fair, online, livestream, imported:<platform>


@dataclass(frozen=True, slots=True)
class FulfilmentRow(Sales):
    """Sales by how the buyer gets the goods (booth pickup, stall pickup, delivery)."""

    fulfilment: str


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """Money received per payment method, refunds apart, corrections left out."""

    method: str
    received_vnd: int
    refunded_vnd: int
    net_vnd: int
    orders: int


@dataclass(frozen=True, slots=True)
class CardOwedRow:
    """Card money the platform collected for a stall and owes it, net of refunds."""

    stall_id: int
    stall: str
    received_vnd: int
    refunded_vnd: int
    owed_vnd: int


@dataclass(frozen=True, slots=True)
class CashDayRow:
    """Cash received and handed back on one Vietnam day, to reconcile the till."""

    day: date
    received_vnd: int
    refunded_vnd: int
    net_vnd: int
    orders: int


@dataclass(frozen=True, slots=True)
class ScanDayRow:
    """Page views (each visitor once per product per 30 min) of a day; QR scans apart."""

    day: date
    scans: int
    qr_scans: int


@dataclass(frozen=True, slots=True)
class ScanProductRow:
    """Page views of one product; QR scans (labels with s=1) apart."""

    product_id: int
    product: str
    code: str
    scans: int
    qr_scans: int


@dataclass(frozen=True, slots=True)
class ConversionRow:
    """A product's views at a fair, shoppers' own orders of it, and the share that ordered."""

    product_id: int
    product: str
    code: str
    scans: int
    qr_scans: int
    orders: int
    conversion: float | None


# --- breakdowns ------------------------------------------------------------------------------


_SALES_FIELDS = tuple(f.name for f in fields(Sales))


def _sales(g: Grouped) -> dict:
    """The Sales fields of a grouped row, to build a breakdown's row from."""
    return {name: getattr(g, name) for name in _SALES_FIELDS}


def _days(rows: list[Grouped]) -> tuple[DayRow, ...]:
    return tuple(sorted((DayRow(**_sales(g), day=g.key) for g in rows), key=lambda r: r.day))


def _hours(rows: list[Grouped]) -> tuple[HourRow, ...]:
    return tuple(sorted((HourRow(**_sales(g), hour=g.key) for g in rows),
                        key=lambda r: r.hour))


def stall_rows(rows: list[Grouped]) -> tuple[StallRow, ...]:
    """Name the stalls of grouped sales, best first."""
    names = names_of(Stall, [g.key for g in rows], Stall.name)
    made = (StallRow(**_sales(g), stall_id=g.key, stall=names.get(g.key, ("",))[0])
            for g in rows)
    return tuple(sorted(made, key=lambda r: (-r.net_vnd, r.stall)))


def _products(rows: list[Grouped]) -> tuple[ProductRow, ...]:
    names = names_of(Product, [g.key for g in rows], Product.name, Product.category,
                     Product.unit, Product.code)
    made = []
    for g in rows:
        name, category, unit, code = names.get(g.key) or ("", "", "", "")
        made.append(ProductRow(**_sales(g), product_id=g.key, product=name, category=category,
                               unit=unit, code=code))
    return tuple(sorted(made, key=lambda r: (-r.vnd, r.product)))


def _keyed(row_type, field_name: str):
    """Finish a breakdown keyed by a plain value (category, channel…): best first."""
    def finish(rows: list[Grouped]) -> tuple:
        made = (row_type(**_sales(g), **{field_name: g.key}) for g in rows)
        return tuple(sorted(made, key=lambda r: (-r.vnd, getattr(r, field_name))))

    return finish


# Breakdown name -> the function turning its grouped sales into rows.
FINISH = {
    "days": _days,
    "hours": _hours,
    "stalls": stall_rows,
    "products": _products,
    "categories": _keyed(CategoryRow, "category"),
    "channels": _keyed(ChannelRow, "channel"),
    "fulfilment": _keyed(FulfilmentRow, "fulfilment"),
}


def breakdowns(scope: Scope, names) -> dict[str, tuple]:
    """Return several sales breakdowns of a scope, computed in one grouped statement."""
    with scope_facts(scope, hours="hours" in names, temp=False) as facts:
        raw = group_sales(facts, names)
    return {name: FINISH[name](rows) for name, rows in raw.items()}


def by_day(scope: Scope) -> tuple[DayRow, ...]:
    """Sales per Vietnam calendar day, oldest first."""
    return breakdowns(scope, ["days"])["days"]


def by_hour(scope: Scope) -> tuple[HourRow, ...]:
    """Sales per Vietnam hour of the day (0-23), across the scope's days."""
    return breakdowns(scope, ["hours"])["hours"]


def by_stall(scope: Scope) -> tuple[StallRow, ...]:
    """Sales per stall, best first."""
    return breakdowns(scope, ["stalls"])["stalls"]


def by_product(scope: Scope, limit: int | None = None) -> tuple[ProductRow, ...]:
    """Sales per product (imported lines without a mapped product share one row), best first."""
    rows = breakdowns(scope, ["products"])["products"]
    return rows[:limit] if limit else rows


def by_category(scope: Scope) -> tuple[CategoryRow, ...]:
    """Sales per product category, best first."""
    return breakdowns(scope, ["categories"])["categories"]


def by_channel(scope: Scope) -> tuple[ChannelRow, ...]:
    """Sales per channel: fair, online, livestream, and imported:<platform>."""
    return breakdowns(scope, ["channels"])["channels"]


def by_fulfilment(scope: Scope) -> tuple[FulfilmentRow, ...]:
    """Orders per fulfilment (booth pickup, stall pickup, delivery)."""
    return breakdowns(scope, ["fulfilment"])["fulfilment"]


# --- the payment ledger ----------------------------------------------------------------------


def payments_rows(ledger: dict) -> tuple[PaymentRow, ...]:
    rows = (PaymentRow(*row) for row in ledger["methods"])
    return tuple(sorted(rows, key=lambda r: (-r.net_vnd, r.method)))


def card_owed_rows(ledger: dict) -> tuple[CardOwedRow, ...]:
    parts = [(int(key), received, refunded, owed)
             for key, received, refunded, owed, _orders in ledger["card"]]
    names = names_of(Stall, [p[0] for p in parts], Stall.name)
    rows = (CardOwedRow(stall_id, names.get(stall_id, ("",))[0], received, refunded, owed)
            for stall_id, received, refunded, owed in parts)
    return tuple(sorted(rows, key=lambda r: (-r.owed_vnd, r.stall)))


def cash_days_rows(ledger: dict) -> tuple[CashDayRow, ...]:
    rows = (CashDayRow(as_date(d), *sums) for d, *sums in ledger["cash"])
    return tuple(sorted(rows, key=lambda r: r.day))


def by_payment_method(scope: Scope) -> tuple[PaymentRow, ...]:
    """Money received per method from the payment ledger, refunds apart, corrections out."""
    with scope_facts(scope, temp=False) as facts:
        return payments_rows(read_ledger(facts, ["methods"]))


def card_owed(scope: Scope) -> tuple[CardOwedRow, ...]:
    """What the platform owes each stall for card payments it collected, net of refunds."""
    with scope_facts(scope, temp=False) as facts:
        return card_owed_rows(read_ledger(facts, ["card"]))


def cash_by_day(scope: Scope) -> tuple[CashDayRow, ...]:
    """Cash received and handed back per Vietnam day, to reconcile the till."""
    with scope_facts(scope, temp=False) as facts:
        return cash_days_rows(read_ledger(facts, ["cash"]))


# --- label scans -----------------------------------------------------------------------------


def _count_where(cond) -> sa.ColumnElement:
    """Count the rows where cond holds (0, not NULL, when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def _scan_rows(conds: list, key) -> list[tuple]:
    stmt = (
        sa.select(key, sa.func.count(ScanEvent.id), _count_where(ScanEvent.qr))
        .select_from(ScanEvent)
        .join(Product, Product.id == ScanEvent.product_id)
        .where(*conds)
        .group_by(key)
    )
    return list(db.session.execute(stmt))


def scans_by_day(conds: list) -> tuple[ScanDayRow, ...]:
    """Page views (each visitor once per product per 30 min) per Vietnam day; QR scans apart."""
    rows = (ScanDayRow(as_date(d), num(n), num(q))
            for d, n, q in _scan_rows(conds, local_day(ScanEvent.scanned_at)))
    return tuple(sorted(rows, key=lambda r: r.day))


def scans_by_product(conds: list) -> tuple[ScanProductRow, ...]:
    """Page views per product, most viewed first; QR scans (labels with s=1) apart."""
    counted = _scan_rows(conds, ScanEvent.product_id)
    names = names_of(Product, [pid for pid, _n, _q in counted], Product.name, Product.code)
    rows = (ScanProductRow(pid, *(names.get(pid) or ("", "")), num(n), num(q))
            for pid, n, q in counted)
    return tuple(sorted(rows, key=lambda r: (-r.scans, r.product)))


def fair_conversion(fair: Fair) -> tuple[ConversionRow, ...]:
    """Per product: views at the fair, shoppers' own orders at it, and the share that ordered.

    Only orders a shopper placed on the site (no seller at the till: not booth sales, phone or
    livestream orders) can follow a view, and a visitor counts once per 30 minutes, so the rate
    is min(orders, views) / views: more orders than views (a shopper who came through the fair's
    page, or ordered twice) still reads 100 %, never more.
    """
    scans = (
        sa.select(
            ScanEvent.product_id.label("product_id"),
            sa.func.count(ScanEvent.id).label("scans"),
            _count_where(ScanEvent.qr).label("qr_scans"),
            sa.literal(0).label("orders"),
        )
        .where(ScanEvent.fair_id == fair.id)
        .group_by(ScanEvent.product_id)
    )
    orders = (
        sa.select(OrderLine.product_id, sa.literal(0), sa.literal(0),
                  sa.func.count(sa.distinct(Order.id)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.fair_id == fair.id, LIVE, Order.created_by_id.is_(None),
               Order.channel.in_(("fair", "online")))
        .group_by(OrderLine.product_id)
    )
    both = sa.union_all(scans, orders).subquery()
    stmt = (
        sa.select(both.c.product_id, Product.name, Product.code, sa.func.sum(both.c.scans),
                  sa.func.sum(both.c.qr_scans), sa.func.sum(both.c.orders))
        .join(Product, Product.id == both.c.product_id)
        .group_by(both.c.product_id, Product.name, Product.code)
    )
    rows = []
    for pid, name, code, views, qr_scans, ordered in db.session.execute(stmt):
        views, ordered = num(views), num(ordered)
        rate = round(min(ordered, views) * 100 / views, 1) if views else None
        rows.append(ConversionRow(pid, name, code, views, num(qr_scans), ordered, rate))
    return tuple(sorted(rows, key=lambda r: (-r.scans, -r.orders, r.product)))
