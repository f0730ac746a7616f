"""Sales figures for fairs, campaigns, date ranges and a seller's stall, computed in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog.models import Product, Stall
from marketplace.database import utcnow
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair, FairStall
from marketplace.formatting import to_local
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order, OrderLine
from marketplace.payments.models import Payment
from marketplace.provenance.models import ScanEvent
from marketplace.reports.sql import as_date, dec, local_day, local_hour, num, period_bounds

ORDER_CHANNELS = ("fair", "online", "livestream")
COUNTED_IMPORT = ("sale", "in_progress")  # imported lines that are (or will be) sales
PLATFORMS = ("shopee", "lazada", "tiktok")

# --- building blocks -------------------------------------------------------------------------

_cancelled = Order.status == "cancelled"
_live = Order.status != "cancelled"
# Confirmed: not cancelled and either fully paid or handed over.
_confirmed = sa.and_(_live, sa.or_(Order.paid_amount >= Order.total, Order.status == "fulfilled"))
_line_kg = OrderLine.quantity * OrderLine.net_weight_kg

_imp = ImportedSaleLine
_imp_net_qty = _imp.qty - _imp.returned_qty
# The line's buyer-paid amount covers returned units too: keep the share of units kept.
_imp_net_vnd = sa.case((_imp.qty > 0, (_imp.net_amount * _imp_net_qty) // _imp.qty), else_=0)
_imp_kg = _imp_net_qty * sa.func.coalesce(_imp.net_weight_kg, Product.net_weight_kg, 0)
_imp_counted = _imp.status_class.in_(COUNTED_IMPORT)
_imp_order_key = _imp.platform + ":" + _imp.external_order_id


def _sum_if(cond, value):
    return sa.func.sum(sa.case((cond, value), else_=0))


@dataclass
class Scope:
    """Which order lines and imported lines a report counts."""

    order_conds: list = field(default_factory=list)  # on Order
    line_conds: list = field(default_factory=list)  # on OrderLine / Product
    imported_conds: list | None = None  # on ImportedSaleLine / Product; None: no imports
    order_channels: bool = True  # False: the scope excludes every order channel

    def lines(self, *columns, with_product: bool = False) -> sa.Select:
        """SELECT columns FROM order lines in scope (joined to their order and product)."""
        stmt = (
            sa.select(*columns)
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
        )
        if self.line_conds or with_product:
            stmt = stmt.join(Product, Product.id == OrderLine.product_id)
        conds = [*self.order_conds, *self.line_conds]
        if not self.order_channels:
            conds.append(sa.false())
        return stmt.where(*conds)

    def order_ids(self) -> sa.Select:
        """SELECT the ids of orders in scope (any of their lines in scope)."""
        if not self.line_conds:
            conds = [*self.order_conds] + ([] if self.order_channels else [sa.false()])
            return sa.select(Order.id).where(*conds)
        return self.lines(OrderLine.order_id).distinct()

    def imported(self, *columns) -> sa.Select | None:
        """SELECT columns FROM imported lines in scope, or None if imports do not count."""
        if self.imported_conds is None:
            return None
        return (
            sa.select(*columns)
            .select_from(_imp)
            .outerjoin(Product, Product.id == _imp.product_id)
            .where(*self.imported_conds)
        )


def fair_scope(fair: Fair) -> Scope:
    """Orders placed through the fair (marketplace imports never belong to a fair)."""
    return Scope(order_conds=[Order.fair_id == fair.id])


def campaign_scope(campaign: Campaign) -> Scope:
    """Sales in the campaign's Vietnam days, scope (any element matches) and channels."""
    start, end = period_bounds(campaign.starts_on, campaign.ends_on)
    channels = campaign.channel_list
    categories = campaign.category_list
    stall_ids = [s.id for s in campaign.stalls]
    product_ids = [p.id for p in campaign.products]

    def matches(stall_col, product_col) -> list:
        any_of = []
        if categories:
            any_of.append(Product.category.in_(categories))
        if stall_ids:
            any_of.append(stall_col.in_(stall_ids))
        if product_ids:
            any_of.append(product_col.in_(product_ids))
        return [sa.or_(*any_of)] if any_of else []

    order_channels = [c for c in channels if c in ORDER_CHANNELS]
    scope = Scope(
        order_conds=[Order.placed_at >= start, Order.placed_at < end,
                     Order.channel.in_(order_channels)],
        line_conds=matches(Order.stall_id, OrderLine.product_id),
        order_channels=bool(order_channels),
    )
    if not scope.line_conds:
        # Product is only joined when needed; keep a harmless condition so lines() joins it
        # for the category/product breakdowns that read Product columns.
        scope.line_conds = [sa.true()]
    if "imported" in channels:
        scope.imported_conds = [
            _imp.created_at_source >= start, _imp.created_at_source < end,
            *matches(_imp.stall_id, _imp.product_id),
        ]
    return scope


def organizer_stalls(organizer_id: int) -> sa.Select:
    """SELECT ids of stalls accepted at any fair the organizer runs."""
    return (
        sa.select(FairStall.stall_id)
        .join(Fair, Fair.id == FairStall.fair_id)
        .where(Fair.organizer_id == organizer_id, FairStall.status == "accepted")
    )


def range_scope(organizer_id: int, first: date, last: date) -> Scope:
    """Every order and import, in Vietnam days first..last, of stalls at the organizer's fairs."""
    start, end = period_bounds(first, last)
    stalls = organizer_stalls(organizer_id)
    return Scope(
        order_conds=[Order.stall_id.in_(stalls), Order.placed_at >= start, Order.placed_at < end],
        imported_conds=[_imp.stall_id.in_(stalls), _imp.created_at_source >= start,
                        _imp.created_at_source < end],
    )


def stall_scope(stall_id: int, first: date | None = None, last: date | None = None) -> Scope:
    """One stall's orders and imports, optionally within Vietnam days first..last."""
    order_conds = [Order.stall_id == stall_id]
    imported_conds = [_imp.stall_id == stall_id]
    if first and last:
        start, end = period_bounds(first, last)
        order_conds += [Order.placed_at >= start, Order.placed_at < end]
        imported_conds += [_imp.created_at_source >= start, _imp.created_at_source < end]
    return Scope(order_conds=order_conds, imported_conds=imported_conds)


# --- campaign progress -----------------------------------------------------------------------


def _percent(value, goal) -> float | None:
    if not goal:
        return None
    return round(float(value) * 100 / float(goal), 1)


def campaign_progress(campaign: Campaign) -> dict:
    """Return the campaign's confirmed and provisional kg and VND against its goals."""
    scope = campaign_scope(campaign)
    row = db.session.execute(
        scope.lines(
            _sum_if(_confirmed, OrderLine.line_total),
            _sum_if(_live, OrderLine.line_total),
            _sum_if(_confirmed, _line_kg),
            _sum_if(_live, _line_kg),
        )
    ).one()
    vnd_confirmed, vnd_provisional = num(row[0]), num(row[1])
    kg_confirmed, kg_provisional = dec(row[2]), dec(row[3])
    imported = scope.imported(
        _sum_if(_imp.status_class == "sale", _imp_net_vnd),
        _sum_if(_imp_counted, _imp_net_vnd),
        _sum_if(_imp.status_class == "sale", _imp_kg),
        _sum_if(_imp_counted, _imp_kg),
    )
    if imported is not None:
        irow = db.session.execute(imported).one()
        vnd_confirmed += num(irow[0])
        vnd_provisional += num(irow[1])
        kg_confirmed += dec(irow[2])
        kg_provisional += dec(irow[3])
    goal_kg = Decimal(campaign.goal_kg) if campaign.goal_kg is not None else None
    goal_vnd = int(campaign.goal_vnd) if campaign.goal_vnd is not None else None
    return {
        "goal_kg": goal_kg,
        "goal_vnd": goal_vnd,
        "kg_confirmed": kg_confirmed,
        "kg_provisional": kg_provisional,
        "vnd_confirmed": vnd_confirmed,
        "vnd_provisional": vnd_provisional,
        "percent_kg": _percent(kg_confirmed, goal_kg),
        "percent_vnd": _percent(vnd_confirmed, goal_vnd),
        "percent_kg_provisional": _percent(kg_provisional, goal_kg),
        "percent_vnd_provisional": _percent(vnd_provisional, goal_vnd),
    }


# --- totals and breakdowns -------------------------------------------------------------------

_paid = sa.and_(_live, Order.paid_amount >= Order.total)
_unpaid = sa.and_(_live, Order.paid_amount < Order.total)


def _count_if(cond, value):
    return sa.func.count(sa.distinct(sa.case((cond, value))))


def totals(scope: Scope, units: list[dict] | None = None) -> dict:
    """Return gross, cancelled, refunded and net VND, orders, items, kg and paid/unpaid."""
    o = db.session.execute(
        scope.lines(
            sa.func.sum(OrderLine.line_total),
            _sum_if(_cancelled, OrderLine.line_total),
            _count_if(_live, Order.id),
            _count_if(_cancelled, Order.id),
            _sum_if(_live, OrderLine.quantity),
            _sum_if(_live, _line_kg),
            _sum_if(_paid, OrderLine.line_total),
            _sum_if(_unpaid, OrderLine.line_total),
            _count_if(_paid, Order.id),
            _count_if(_unpaid, Order.id),
        )
    ).one()
    ledger = db.session.execute(
        sa.select(
            sa.func.sum(Payment.amount),
            -_sum_if(sa.and_(Payment.amount < 0, _live), Payment.amount),
        )
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.order_id.in_(scope.order_ids()))
    ).one()
    result = {
        "gross_vnd": num(o[0]),
        "cancelled_vnd": num(o[1]),
        "refunded_vnd": num(ledger[1]),
        "orders": num(o[2]),
        "orders_cancelled": num(o[3]),
        "quantity": num(o[4]),
        "kg": dec(o[5]),
        "paid_vnd": num(o[6]),
        "unpaid_vnd": num(o[7]),
        "orders_paid": num(o[8]),
        "orders_unpaid": num(o[9]),
        "collected_vnd": num(ledger[0]),
        "imported_orders": 0,
        "imported_vnd": 0,
    }
    imported = scope.imported(
        sa.func.sum(_imp.net_amount),
        _sum_if(~_imp_counted, _imp.net_amount),
        _sum_if(_imp_counted, _imp.net_amount - _imp_net_vnd),
        _count_if(_imp_counted, _imp_order_key),
        _sum_if(_imp_counted, _imp_net_qty),
        _sum_if(_imp_counted, _imp_kg),
        _sum_if(_imp_counted, _imp_net_vnd),
    )
    if imported is not None:
        i = db.session.execute(imported).one()
        result["gross_vnd"] += num(i[0])
        result["cancelled_vnd"] += num(i[1])
        result["refunded_vnd"] += num(i[2])
        result["imported_orders"] = num(i[3])
        result["orders"] += num(i[3])
        result["quantity"] += num(i[4])
        result["kg"] += dec(i[5])
        result["imported_vnd"] = num(i[6])
    result["sales_vnd"] = result["gross_vnd"] - result["cancelled_vnd"]
    result["net_vnd"] = result["sales_vnd"] - result["refunded_vnd"]
    result["tonnes"] = (result["kg"] / 1000).quantize(Decimal("0.001"))
    if units is None:
        units = _breakdowns(scope, ["units"])["units"]
    result["units"] = [
        {"unit": row["key"] or "", "quantity": row["quantity"]}
        for row in sorted(units, key=lambda r: -r["quantity"]) if row["quantity"]
    ]
    return result


def _int_key(value):
    return None if value is None else int(value)


def _str_key(value):
    return "" if value is None else str(value)


def _dimensions() -> dict[str, tuple]:
    """Name -> (order-line key, imported-line key or None, key parser) for each breakdown."""
    return {
        "days": (local_day(Order.placed_at), local_day(_imp.created_at_source), as_date),
        "hours": (local_hour(Order.placed_at), None, _int_key),
        # "+ 0" keeps SQLite from walking the whole (stall_id, placed_at) index just to get
        # groups in order, instead of reading only the scope's orders.
        "stalls": (Order.stall_id + sa.literal_column("0"), _imp.stall_id, _int_key),
        "products": (OrderLine.product_id, _imp.product_id, _int_key),
        "categories": (Product.category, Product.category, _str_key),
        "channels": (Order.channel, sa.literal("imported:") + _imp.platform, _str_key),
        "fulfilment": (Order.fulfilment, None, _str_key),
        "units": (OrderLine.unit, sa.func.coalesce(Product.unit, ""), _str_key),
    }


ORDER_LEVEL_DIMS = ("days", "hours", "stalls", "channels", "fulfilment")


def _breakdowns(scope: Scope, names) -> dict[str, list[dict]]:
    """Group the scope's lines by several keys in ONE statement: the lines are read once
    into a materialised CTE, then grouped per key (with imported lines where they count)."""
    dims = {name: spec for name, spec in _dimensions().items() if name in names}
    fact = scope.lines(
        Order.id.label("order_id"),
        sa.case((_live, 1), else_=0).label("live"),
        OrderLine.quantity.label("qty"),
        OrderLine.line_total.label("vnd"),
        _line_kg.label("kg"),
        *[okey.label(f"k_{name}") for name, (okey, _ikey, _p) in dims.items()],
        with_product=True,
    ).cte("report_fact").prefix_with("MATERIALIZED")
    live = fact.c.live == 1
    # Keys that belong to the whole order (day, stall, channel…): fold lines into orders once,
    # so orders are counted with a plain sum instead of a COUNT(DISTINCT) per key.
    order_level = [name for name in dims if name in ORDER_LEVEL_DIMS]
    parts = []
    if order_level:
        keys = [fact.c[f"k_{name}"] for name in order_level]
        orders = (
            sa.select(fact.c.live, *keys, sa.func.sum(fact.c.qty).label("qty"),
                      sa.func.sum(fact.c.vnd).label("vnd"), sa.func.sum(fact.c.kg).label("kg"))
            .group_by(fact.c.order_id, fact.c.live, *keys)
            .cte("report_orders").prefix_with("MATERIALIZED")
        )
        olive = orders.c.live == 1
        parts += [
            sa.select(
                sa.literal(name).label("dim"),
                sa.cast(orders.c[f"k_{name}"], sa.String).label("key"),
                sa.func.sum(orders.c.live).label("orders"),
                _sum_if(olive, orders.c.qty).label("n_items"),
                _sum_if(olive, orders.c.vnd).label("vnd"),
                _sum_if(olive, orders.c.kg).label("kg"),
                _sum_if(orders.c.live == 0, orders.c.vnd).label("cancelled_vnd"),
            ).group_by(orders.c[f"k_{name}"])
            for name in order_level
        ]
    parts += [
        sa.select(
            sa.literal(name).label("dim"),
            sa.cast(fact.c[f"k_{name}"], sa.String).label("key"),
            sa.func.count(sa.distinct(sa.case((live, fact.c.order_id)))).label("orders"),
            _sum_if(live, fact.c.qty).label("n_items"),
            _sum_if(live, fact.c.vnd).label("vnd"),
            _sum_if(live, fact.c.kg).label("kg"),
            _sum_if(fact.c.live == 0, fact.c.vnd).label("cancelled_vnd"),
        ).group_by(fact.c[f"k_{name}"])
        for name in dims if name not in ORDER_LEVEL_DIMS
    ]
    imported_dims = {name: spec for name, spec in dims.items() if spec[1] is not None}
    imported = scope.imported(
        _imp_order_key.label("order_key"),
        sa.case((_imp_counted, 1), else_=0).label("counted"),
        _imp_net_qty.label("qty"),
        _imp_net_vnd.label("vnd"),
        _imp_kg.label("kg"),
        _imp.net_amount.label("amount"),
        *[ikey.label(f"k_{name}") for name, (_okey, ikey, _p) in imported_dims.items()],
    ) if imported_dims else None
    if imported is not None:
        ifact = imported.cte("report_imported").prefix_with("MATERIALIZED")
        counted = ifact.c.counted == 1
        parts += [
            sa.select(
                sa.literal(name).label("dim"),
                sa.cast(ifact.c[f"k_{name}"], sa.String).label("key"),
                sa.func.count(sa.distinct(sa.case((counted, ifact.c.order_key)))),
                _sum_if(counted, ifact.c.qty),
                _sum_if(counted, ifact.c.vnd),
                _sum_if(counted, ifact.c.kg),
                _sum_if(ifact.c.counted == 0, ifact.c.amount),
            ).group_by(ifact.c[f"k_{name}"])
            for name in imported_dims
        ]
    both = sa.union_all(*parts).subquery()
    stmt = sa.select(
        both.c.dim,
        both.c.key,
        sa.func.sum(both.c.orders),
        sa.func.sum(both.c.n_items),
        sa.func.sum(both.c.vnd),
        sa.func.sum(both.c.kg),
        sa.func.sum(both.c.cancelled_vnd),
    ).group_by(both.c.dim, both.c.key)
    result: dict[str, list[dict]] = {name: [] for name in dims}
    for dim, key, orders, items, vnd, kg, cancelled in db.session.execute(stmt):
        result[dim].append({
            "key": dims[dim][2](key), "orders": num(orders), "quantity": num(items),
            "vnd": num(vnd), "kg": dec(kg), "cancelled_vnd": num(cancelled),
        })
    return result


def _finish_days(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["day"] = row.pop("key")
    return sorted(rows, key=lambda r: r["day"])


def _finish_hours(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["hour"] = row.pop("key")
    return sorted(rows, key=lambda r: r["hour"])


def _named(rows: list[dict], model, *columns) -> list[dict]:
    """Attach names to keyed rows (one small query for the ids present)."""
    ids = [r["key"] for r in rows if r["key"] is not None]
    names = {}
    if ids:
        names = {
            row[0]: row[1:]
            for row in db.session.execute(sa.select(model.id, *columns).where(model.id.in_(ids)))
        }
    for row in rows:
        row["names"] = names.get(row["key"])
    return rows


def _finish_stalls(rows: list[dict]) -> list[dict]:
    rows = _named(rows, Stall, Stall.name)
    for row in rows:
        row["stall_id"] = row.pop("key")
        row["stall"] = row.pop("names")[0] if row["names"] else ""
    return sorted(rows, key=lambda r: (-r["vnd"], r["stall"]))


def _finish_products(rows: list[dict]) -> list[dict]:
    rows = _named(rows, Product, Product.name, Product.category, Product.unit, Product.code)
    for row in rows:
        row["product_id"] = row.pop("key")
        name, category, unit, code = row.pop("names") or ("", "", "", "")
        row.update(product=name, category=category, unit=unit, code=code)
    return sorted(rows, key=lambda r: (-r["vnd"], r["product"]))


def _finish_keyed(field_name: str):
    def finish(rows: list[dict]) -> list[dict]:
        for row in rows:
            row[field_name] = row.pop("key")
        return sorted(rows, key=lambda r: (-r["vnd"], r[field_name]))

    return finish


_FINISH = {
    "days": _finish_days,
    "hours": _finish_hours,
    "stalls": _finish_stalls,
    "products": _finish_products,
    "categories": _finish_keyed("category"),
    "channels": _finish_keyed("channel"),
    "fulfilment": _finish_keyed("fulfilment"),
}


def breakdowns(scope: Scope, names) -> dict[str, list[dict]]:
    """Return several sales breakdowns of a scope, computed in one grouped statement."""
    raw = _breakdowns(scope, names)
    return {name: _FINISH[name](rows) if name in _FINISH else rows
            for name, rows in raw.items()}


def by_day(scope: Scope) -> list[dict]:
    """Sales per Vietnam calendar day, oldest first."""
    return breakdowns(scope, ["days"])["days"]


def by_hour(scope: Scope) -> list[dict]:
    """Sales per Vietnam hour of the day (0-23), across the scope's days."""
    return breakdowns(scope, ["hours"])["hours"]


def by_stall(scope: Scope) -> list[dict]:
    """Sales per stall, best first."""
    return breakdowns(scope, ["stalls"])["stalls"]


def by_product(scope: Scope, limit: int | None = None) -> list[dict]:
    """Sales per product (imported lines without a mapped product share one row), best first."""
    rows = breakdowns(scope, ["products"])["products"]
    return rows[:limit] if limit else rows


def by_category(scope: Scope) -> list[dict]:
    """Sales per product category, best first."""
    return breakdowns(scope, ["categories"])["categories"]


def by_channel(scope: Scope) -> list[dict]:
    """Sales per channel: fair, online, livestream, and imported:<platform>."""
    return breakdowns(scope, ["channels"])["channels"]


def by_fulfilment(scope: Scope) -> list[dict]:
    """Orders per fulfilment (booth pickup, stall pickup, delivery)."""
    return breakdowns(scope, ["fulfilment"])["fulfilment"]


def by_payment_method(scope: Scope) -> list[dict]:
    """Money received per method from the payment ledger, with reversals and refunds apart."""
    stmt = (
        sa.select(
            Payment.method,
            _sum_if(Payment.amount > 0, Payment.amount),
            -_sum_if(Payment.amount < 0, Payment.amount),
            sa.func.sum(Payment.amount),
            sa.func.count(sa.distinct(Payment.order_id)),
        )
        .where(Payment.order_id.in_(scope.order_ids()))
        .group_by(Payment.method)
    )
    rows = [
        {"method": method, "received_vnd": num(received), "reversed_vnd": num(reversed_),
         "net_vnd": num(net), "orders": num(orders)}
        for method, received, reversed_, net, orders in db.session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: (-r["net_vnd"], r["method"]))


def card_owed(scope: Scope) -> list[dict]:
    """What the platform owes each stall for card payments it collected, net of refunds."""
    stmt = (
        sa.select(
            Order.stall_id,
            Stall.name,
            _sum_if(Payment.amount > 0, Payment.amount),
            -_sum_if(Payment.amount < 0, Payment.amount),
            sa.func.sum(Payment.amount),
        )
        .select_from(Payment)
        .join(Order, Order.id == Payment.order_id)
        .join(Stall, Stall.id == Order.stall_id)
        .where(Payment.method == "card", Payment.order_id.in_(scope.order_ids()))
        .group_by(Order.stall_id, Stall.name)
    )
    rows = [
        {"stall_id": stall_id, "stall": name, "received_vnd": num(received),
         "refunded_vnd": num(refunded), "owed_vnd": num(owed)}
        for stall_id, name, received, refunded, owed in db.session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: (-r["owed_vnd"], r["stall"]))


def cash_by_day(scope: Scope) -> list[dict]:
    """Cash received and handed back per Vietnam day, to reconcile the till."""
    day = local_day(Payment.created_at)
    stmt = (
        sa.select(
            day,
            _sum_if(Payment.amount > 0, Payment.amount),
            -_sum_if(Payment.amount < 0, Payment.amount),
            sa.func.sum(Payment.amount),
            sa.func.count(sa.distinct(Payment.order_id)),
        )
        .where(Payment.method == "cash", Payment.order_id.in_(scope.order_ids()))
        .group_by(day)
    )
    rows = [
        {"day": as_date(d), "received_vnd": num(received), "reversed_vnd": num(reversed_),
         "net_vnd": num(net), "orders": num(orders)}
        for d, received, reversed_, net, orders in db.session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: r["day"])


# --- QR scans --------------------------------------------------------------------------------


def _scan_rows(conds: list, key) -> list[tuple]:
    stmt = (
        sa.select(key, sa.func.count(ScanEvent.id))
        .select_from(ScanEvent)
        .join(Product, Product.id == ScanEvent.product_id)
        .where(*conds)
        .group_by(key)
    )
    return list(db.session.execute(stmt))


def scans_by_day(conds: list) -> list[dict]:
    """Label scans per Vietnam day."""
    rows = _scan_rows(conds, local_day(ScanEvent.scanned_at))
    return sorted(({"day": as_date(d), "scans": num(n)} for d, n in rows), key=lambda r: r["day"])


def scans_by_product(conds: list) -> list[dict]:
    """Label scans per product, most scanned first."""
    rows = [{"key": pid, "scans": num(n)} for pid, n in _scan_rows(conds, ScanEvent.product_id)]
    rows = _named(rows, Product, Product.name, Product.code)
    for row in rows:
        row["product_id"] = row.pop("key")
        row["product"], row["code"] = row.pop("names") or ("", "")
    return sorted(rows, key=lambda r: (-r["scans"], r["product"]))


def fair_conversion(fair: Fair) -> list[dict]:
    """Per product: scans at the fair, fair orders holding it, and orders per scan."""
    scans = (
        sa.select(
            ScanEvent.product_id.label("product_id"),
            sa.func.count(ScanEvent.id).label("scans"),
            sa.literal(0).label("orders"),
        )
        .where(ScanEvent.fair_id == fair.id)
        .group_by(ScanEvent.product_id)
    )
    orders = (
        sa.select(
            OrderLine.product_id.label("product_id"),
            sa.literal(0).label("scans"),
            sa.func.count(sa.distinct(Order.id)).label("orders"),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.fair_id == fair.id, _live)
        .group_by(OrderLine.product_id)
    )
    both = sa.union_all(scans, orders).subquery()
    n_scans = sa.func.sum(both.c.scans)
    n_orders = sa.func.sum(both.c.orders)
    stmt = (
        sa.select(
            both.c.product_id, Product.name, Product.code, n_scans, n_orders,
            sa.case((n_scans > 0, sa.cast(n_orders, sa.Float) / n_scans), else_=None),
        )
        .join(Product, Product.id == both.c.product_id)
        .group_by(both.c.product_id, Product.name, Product.code)
    )
    rows = [
        {"product_id": pid, "product": name, "code": code, "scans": num(s), "orders": num(o),
         "conversion": None if rate is None else round(float(rate) * 100, 1)}
        for pid, name, code, s, o, rate in db.session.execute(stmt)
    ]
    return sorted(rows, key=lambda r: (-r["scans"], -r["orders"], r["product"]))


# --- whole reports ---------------------------------------------------------------------------

SALES_TABLES = ("days", "stalls", "products", "categories", "channels", "payments",
                "fulfilment", "card_owed")
FAIR_TABLES = (*SALES_TABLES, "hours", "scans_days", "scans_products", "conversion")
CAMPAIGN_TABLES = (*SALES_TABLES, "scans_days", "scans_products")
RANGE_TABLES = CAMPAIGN_TABLES
SELLER_TABLES = ("payments", "top_products", "cash_days", "days", "channels")
# Line-level tables: only exported (streamed), never shown whole on a page.
DETAIL_TABLES = ("lines", "imported")


@dataclass
class Target:
    """What a report is about: its scope of sales, its label scans and its tables."""

    kind: str  # fair, campaign, range, seller
    scope: Scope
    tables: tuple[str, ...]
    scan_conds: list = field(default_factory=list)
    fair: Fair | None = None
    campaign: Campaign | None = None


def fair_target(fair: Fair) -> Target:
    """Describe a fair's report."""
    return Target("fair", fair_scope(fair), FAIR_TABLES, [ScanEvent.fair_id == fair.id],
                  fair=fair)


def _campaign_scan_conds(campaign: Campaign) -> list:
    start, end = period_bounds(campaign.starts_on, campaign.ends_on)
    any_of = []
    if campaign.category_list:
        any_of.append(Product.category.in_(campaign.category_list))
    if campaign.stalls:
        any_of.append(Product.stall_id.in_([s.id for s in campaign.stalls]))
    if campaign.products:
        any_of.append(Product.id.in_([p.id for p in campaign.products]))
    return [ScanEvent.scanned_at >= start, ScanEvent.scanned_at < end,
            *([sa.or_(*any_of)] if any_of else [])]


def campaign_target(campaign: Campaign) -> Target:
    """Describe a campaign's report."""
    return Target("campaign", campaign_scope(campaign), CAMPAIGN_TABLES,
                  _campaign_scan_conds(campaign), campaign=campaign)


def range_target(organizer_id: int, first: date, last: date) -> Target:
    """Describe the report of every stall at the organizer's fairs over some days."""
    start, end = period_bounds(first, last)
    conds = [Product.stall_id.in_(organizer_stalls(organizer_id)),
             ScanEvent.scanned_at >= start, ScanEvent.scanned_at < end]
    return Target("range", range_scope(organizer_id, first, last), RANGE_TABLES, conds)


def seller_target(stall_id: int, first: date | None = None, last: date | None = None) -> Target:
    """Describe one stall's own summary."""
    return Target("seller", stall_scope(stall_id, first, last), SELLER_TABLES)


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


def table_rows(target: Target, name: str) -> list[dict]:
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


def build_report(target: Target) -> dict:
    """Return totals and every table of a report (plus progress for a campaign)."""
    grouped = [name for name in target.tables if name in _FINISH]
    sales = breakdowns(target.scope, [*grouped, "units"])
    tables = {name: sales[name] if name in sales else table_rows(target, name)
              for name in target.tables}
    report = {
        "kind": target.kind,
        "totals": totals(target.scope, units=sales["units"]),
        "tables": tables,
    }
    if target.campaign is not None:
        report["progress"] = campaign_progress(target.campaign)
    return report


def fair_report(fair: Fair) -> dict:
    """Return totals and every breakdown of a fair's orders, with its label scans."""
    return build_report(fair_target(fair))


def campaign_report(campaign: Campaign) -> dict:
    """Return a campaign's progress, totals, breakdowns and label scans."""
    return build_report(campaign_target(campaign))


def range_report(organizer_id: int, first: date, last: date) -> dict:
    """Return totals and breakdowns of every stall at the organizer's fairs over some days."""
    return build_report(range_target(organizer_id, first, last))


def seller_summary(stall: Stall, first: date | None = None, last: date | None = None) -> dict:
    """Return one stall's gross, cancellations, net, payment methods, top products and cash."""
    return build_report(seller_target(stall.id, first, last))


def board_figures(target: Target) -> dict:
    """Return the few big numbers a tally board shows (plus progress for a campaign)."""
    t = totals(target.scope)
    figures = {
        "net_vnd": t["net_vnd"], "orders": t["orders"], "quantity": t["quantity"], "kg": t["kg"],
        "stalls": by_stall(target.scope)[:8],
    }
    if target.campaign is not None:
        figures["progress"] = campaign_progress(target.campaign)
    return figures


# --- who may see what ------------------------------------------------------------------------

MAX_PERIOD_DAYS = 366


def today_local() -> date:
    """Return today's Vietnam calendar day."""
    return to_local(utcnow()).date()


def default_period() -> tuple[date, date]:
    """Return the last 30 Vietnam days, today included."""
    last = today_local()
    return last - timedelta(days=29), last


def parse_period(first_text: str | None, last_text: str | None, *,
                 allow_empty: bool = False) -> tuple[date | None, date | None] | None:
    """Read two YYYY-MM-DD days; None if both are empty and that is allowed.

    Raise ValidationError for a malformed day, a reversed or an over-long period.
    """
    first_text, last_text = (first_text or "").strip(), (last_text or "").strip()
    if not first_text and not last_text:
        return (None, None) if allow_empty else None
    try:
        first = date.fromisoformat(first_text) if first_text else None
        last = date.fromisoformat(last_text) if last_text else None
    except ValueError:
        raise ValidationError("from", _("Ngày không hợp lệ (dạng năm-tháng-ngày).")) from None
    first = first or last
    last = last or first
    if last < first:
        raise ValidationError("to", _("Ngày kết thúc phải sau ngày bắt đầu."))
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationError("to", _("Chỉ xem tối đa %(n)s ngày một lần.", n=MAX_PERIOD_DAYS))
    return first, last


def fair_by_slug(slug: str) -> Fair | None:
    """Load a fair by its slug."""
    return db.session.scalar(sa.select(Fair).where(Fair.slug == slug))


def campaign_by_slug(slug: str) -> Campaign | None:
    """Load a campaign by its slug."""
    return db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))


def organizer_fairs(organizer_id: int) -> list[Fair]:
    """Fairs the organizer runs, newest first."""
    return list(db.session.scalars(
        sa.select(Fair).where(Fair.organizer_id == organizer_id).order_by(Fair.starts_at.desc())
    ))


def organizer_campaigns(organizer_id: int) -> list[Campaign]:
    """Campaigns the organizer runs, newest first."""
    return list(db.session.scalars(
        sa.select(Campaign)
        .where(Campaign.organizer_id == organizer_id)
        .order_by(Campaign.starts_on.desc())
    ))


def seller_stalls(owner_id: int) -> list[Stall]:
    """Stalls the seller owns."""
    return list(db.session.scalars(
        sa.select(Stall).where(Stall.owner_id == owner_id).order_by(Stall.id)
    ))


# --- line-level detail for exports (streamed, never loaded whole) ----------------------------

STREAM_BATCH = 1000


def order_lines_select(scope: Scope) -> sa.Select:
    """SELECT every order line in scope with its order's facts; no customer data."""
    paid = sa.case((Order.paid_amount >= Order.total, True), else_=False)
    stmt = scope.lines(
        Order.code, Order.placed_at, Stall.name, OrderLine.product_name, OrderLine.unit,
        OrderLine.quantity, OrderLine.net_weight_kg, OrderLine.unit_price, OrderLine.line_total,
        Order.channel, Order.fulfilment, Order.status, paid,
    )
    return stmt.join(Stall, Stall.id == Order.stall_id).order_by(Order.placed_at, OrderLine.id)


def imported_lines_select(scope: Scope) -> sa.Select | None:
    """SELECT every imported line in scope; None when the scope has no imports."""
    stmt = scope.imported(
        _imp.platform, _imp.external_order_id, _imp.created_at_source, Stall.name,
        _imp.product_name, _imp.seller_sku, _imp.qty, _imp.returned_qty,
        sa.func.coalesce(_imp.net_weight_kg, Product.net_weight_kg), _imp.net_amount,
        _imp.status_class, _imp.status_raw,
    )
    if stmt is None:
        return None
    return stmt.join(Stall, Stall.id == _imp.stall_id).order_by(_imp.created_at_source, _imp.id)


def stream_detail(target: Target, name: str) -> Iterator[dict]:
    """Yield the order lines or imported lines of a report one by one, fetched in batches."""
    from marketplace.reports.tables import IMPORTED_KEYS, LINE_KEYS

    if name == "lines":
        stmt, keys = order_lines_select(target.scope), LINE_KEYS
    else:
        stmt, keys = imported_lines_select(target.scope), IMPORTED_KEYS
        if stmt is None:
            return
    result = db.session.execute(stmt.execution_options(yield_per=STREAM_BATCH))
    for row in result:
        yield dict(zip(keys, row, strict=True))
