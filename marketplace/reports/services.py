"""Sales figures for fairs, campaigns, date ranges and a seller's stall, computed in SQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, ColumnElement, Executable
from sqlalchemy.sql.visitors import InternalTraversal

from marketplace.catalog.models import Product, Stall
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair, FairStall
from marketplace.fairs.services import campaign_counts
from marketplace.formatting import vn_today
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order, OrderLine
from marketplace.payments.models import Payment, PaymentKind, counts_in_figures
from marketplace.provenance.models import ScanEvent
from marketplace.reports.sql import as_date, kg, local_day, local_hour, num, period_bounds, qty
from marketplace.sanitize import date_in_range

ORDER_CHANNELS = ("fair", "online", "livestream")
COUNTED_IMPORT = ("sale", "in_progress")  # imported lines that are (or will be) sales
PLATFORMS = ("shopee", "lazada", "tiktok")

# --- building blocks -------------------------------------------------------------------------

_live = Order.status != "cancelled"
# Confirmed: not cancelled and either fully paid or handed over.
_confirmed = sa.and_(_live, sa.or_(Order.paid_amount >= Order.total, Order.status == "fulfilled"))
# Weights are summed as whole grams (weights have 3 decimals): integer sums are exact on both
# backends and much cheaper than NUMERIC arithmetic on PostgreSQL.
_line_grams = sa.cast(sa.func.round(OrderLine.quantity * OrderLine.net_weight_kg * 1000),
                      sa.BigInteger)

# Quantities likewise, as whole thousandths of the selling unit (1,5 kg -> 1500): exact sums
# of weighed sales on both backends (SQLite holds NUMERIC as floating point).
_line_milli = sa.cast(sa.func.round(OrderLine.quantity * 1000), sa.BigInteger)

_imp = ImportedSaleLine
_imp_net_qty = _imp.qty - _imp.returned_qty
_imp_weight = sa.func.coalesce(_imp.net_weight_kg, Product.net_weight_kg, 0)
# The line's buyer-paid amount covers returned units too: keep the share of units kept.
_imp_net_vnd = sa.case((_imp.qty > 0, (_imp.net_amount * _imp_net_qty) // _imp.qty), else_=0)
_imp_grams = sa.cast(sa.func.round(_imp_net_qty * _imp_weight * 1000), sa.BigInteger)
_imp_counted = _imp.status_class.in_(COUNTED_IMPORT)
_imp_returned = _imp.status_class == "returned"
# Returns: a whole returned line, or the returned units of a counted line (VND and grams).
_imp_returned_vnd = sa.case((_imp_returned, _imp.net_amount),
                            (_imp_counted, _imp.net_amount - _imp_net_vnd), else_=0)
_imp_returned_grams = sa.cast(sa.func.round(sa.case(
    (_imp_returned, _imp.qty), (_imp_counted, _imp.returned_qty), else_=0,
) * _imp_weight * 1000), sa.BigInteger)
_imp_order_key = _imp.platform + ":" + _imp.external_order_id


def _sum_if(cond, value):
    return sa.func.sum(sa.case((cond, value), else_=0))


class _Unindexed(ColumnElement):
    """A column SQLite must not look up through an index ("+column"); the column elsewhere."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _compile_unindexed(element, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _compile_unindexed_sqlite(element, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


@dataclass
class Scope:
    """Which order lines and imported lines a report counts."""

    order_conds: list = field(default_factory=list)  # on Order
    line_conds: list = field(default_factory=list)  # on OrderLine / Product
    imported_conds: list | None = None  # on ImportedSaleLine / Product; None: no imports
    order_channels: bool = True  # False: the scope excludes every order channel
    period: tuple[datetime, datetime] | None = None  # [start, end) of Order.placed_at
    products: sa.Select | None = None  # ids of the products whose lines alone can count

    def lines(self, *columns, with_product: bool = False,
              by_product: bool = False) -> sa.Select:
        """SELECT columns FROM order lines in scope (joined to their order and product).

        by_product: read the lines through their products rather than through the orders
        of the period (SQLite only, see _read_by_product).
        """
        stmt = (
            sa.select(*columns)
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
        )
        if self.line_conds or with_product:
            stmt = stmt.join(Product, Product.id == OrderLine.product_id)
        conds = [*self.order_conds, *self.line_conds]
        if self.period is not None:
            placed = _Unindexed(Order.placed_at) if by_product else Order.placed_at
            conds += [placed >= self.period[0], placed < self.period[1]]
        if not self.order_channels:
            conds.append(sa.false())
        return stmt.where(*conds)

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
    """Sales in the campaign's Vietnam days and channels that the campaign counts.

    What counts is fairs.services.campaign_counts: the joined stalls, narrowed by the
    campaign's categories and products.
    """
    start, end = period_bounds(campaign.starts_on, campaign.ends_on)
    channels = campaign.channel_list

    def counts(stall_col, product_col) -> sa.ColumnElement[bool]:
        return campaign_counts(campaign, stall=stall_col, product=product_col,
                               category=Product.category)

    order_channels = [c for c in channels if c in ORDER_CHANNELS]
    scope = Scope(
        order_conds=[Order.channel.in_(order_channels)],
        line_conds=[counts(Order.stall_id, OrderLine.product_id)],
        order_channels=bool(order_channels),
        period=(start, end),
    )
    if campaign.category_list or campaign.products:
        # Products decide: name them in one list, so a line can be found by its product.
        scope.products = (
            sa.select(Product.id).where(counts(Product.stall_id, Product.id)).correlate(None)
        )
        scope.line_conds = [OrderLine.product_id.in_(scope.products)]
    if "imported" in channels:
        scope.imported_conds = [
            _imp.created_at_source >= start, _imp.created_at_source < end,
            counts(_imp.stall_id, _imp.product_id),
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


# --- the scope's facts, read once ------------------------------------------------------------
#
# A report reads the scope's order lines once into a temporary table (one row per line, with
# its order's day, stall, channel, status…), folds them into one row per order, reads the
# imported lines in scope likewise, and runs every total and breakdown as a grouped query over
# those small tables. Single figures (a board, one exported table) use the same queries over
# inline subqueries instead, which costs one read of the scope per statement.


class _CreateTempAs(Executable, ClauseElement):
    """CREATE TEMPORARY TABLE name AS <select> (dropped at commit on PostgreSQL)."""

    inherit_cache = False

    def __init__(self, name: str, select: sa.Select):
        self.name = name
        self.select = select


@compiles(_CreateTempAs)
def _compile_create_temp_as(element, compiler, **kw) -> str:
    on_commit = " ON COMMIT DROP" if compiler.dialect.name == "postgresql" else ""
    return (f"CREATE TEMPORARY TABLE {compiler.preparer.quote(element.name)}{on_commit} AS "
            f"{compiler.process(element.select, **kw)}")


LINE_FACTS = ("order_id", "live", "confirmed", "paid", "day", "hour", "stall_id", "channel",
              "fulfilment", "fee", "product_id", "category", "unit", "qty", "vnd", "grams")
# fee: the order's delivery fee, kept apart from its goods (vnd) in every figure.
ORDER_FACTS = ("order_id", "live", "confirmed", "paid", "day", "hour", "stall_id", "channel",
               "fulfilment", "fee", "qty", "vnd", "grams", "refunded")
IMPORTED_FACTS = ("order_key", "counted", "sale", "returned", "day", "stall_id", "channel",
                  "product_id", "category", "unit", "qty", "vnd", "grams", "amount",
                  "returned_vnd", "returned_grams")


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _flag(cond) -> sa.ColumnElement:
    return sa.case((cond, 1), else_=0)


def _read_by_product(scope: Scope) -> bool:
    """On SQLite, whether to read a campaign's lines through its products, not its period.

    SQLite (without STAT4) guesses a date range is selective and walks every order of a
    long period, then all their lines (1M lines for a year: seconds). When fewer lines hold
    the campaign's products than there are orders in the period, going product -> lines (a
    covering index) -> order is the cheaper road. Two index-only counts decide.
    """
    if scope.products is None or scope.period is None or _dialect() != "sqlite":
        return False
    start, end = scope.period
    n_lines = db.session.scalar(sa.select(sa.func.count()).select_from(OrderLine)
                                .where(OrderLine.product_id.in_(scope.products)))
    n_orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order)
                                 .where(Order.placed_at >= start, Order.placed_at < end))
    return n_lines < 2 * n_orders


def _line_facts(scope: Scope, hours: bool) -> sa.Select:
    """SELECT one row per order line in scope, with the facts of its order."""
    return scope.lines(
        OrderLine.order_id.label("order_id"),
        _flag(_live).label("live"),
        _flag(_confirmed).label("confirmed"),
        _flag(Order.paid_amount >= Order.total).label("paid"),
        local_day(Order.placed_at).label("day"),
        (local_hour(Order.placed_at) if hours else sa.null()).label("hour"),
        Order.stall_id.label("stall_id"),
        Order.channel.label("channel"),
        Order.fulfilment.label("fulfilment"),
        Order.delivery_fee.label("fee"),
        OrderLine.product_id.label("product_id"),
        Product.category.label("category"),
        OrderLine.unit.label("unit"),
        _line_milli.label("qty"),
        OrderLine.line_total.label("vnd"),
        _line_grams.label("grams"),
        with_product=True,
        by_product=_read_by_product(scope),
    )


def _payment_sums(order_ids) -> sa.Subquery:
    """Per order: money received and refunded, corrections left out, with the order's total."""
    amount = Payment.amount
    return (
        sa.select(
            Payment.order_id.label("order_id"),
            _sum_if(Payment.kind == PaymentKind.PAYMENT.value, amount).label("received"),
            (-_sum_if(Payment.kind == PaymentKind.REFUND.value, amount)).label("refunded"),
            Order.total.label("total"),
        )
        .join(Order, Order.id == Payment.order_id)
        .where(Payment.order_id.in_(order_ids), counts_in_figures())
        .group_by(Payment.order_id, Order.total)
        .subquery("report_order_payments")
    )


def revenue_refund(live, vnd, received, refunded, total) -> sa.ColumnElement:
    """SQL: how much of an order's refunds lowers its net revenue.

    Only a live order's refunds count (a cancelled order's sale is gone already); money
    refunded out of a surplus (paid twice, a late card payment) never was revenue; and an
    order cannot lose more than its sale in scope.
    """
    surplus = sa.case((received > total, received - total), else_=0)
    beyond = refunded - surplus
    return sa.func.coalesce(sa.case(
        (sa.and_(live == 1, beyond > vnd), vnd),
        (sa.and_(live == 1, beyond > 0), beyond),
        else_=0,
    ), 0)


def _order_facts(lines) -> sa.Select:
    """SELECT one row per order from its lines in scope (order facts are the same per line),
    with the part of its refunds that lowers net revenue."""
    same = [lines.c[name] for name in ORDER_FACTS[1:-4]]
    # SQLite groups by the id alone and reads the order's facts off any of its lines (a bare
    # column: half the sorting); PostgreSQL wants them in the GROUP BY (hashing them is
    # cheaper than max() over text).
    keys = [lines.c.order_id] if _dialect() == "sqlite" else [lines.c.order_id, *same]
    # BIGINT, not the NUMERIC PostgreSQL's sum(bigint) returns: every later sum over the
    # orders adds machine integers instead of decimals.
    grouped = sa.select(
        lines.c.order_id, *same,
        *(sa.cast(sa.func.sum(lines.c[name]), sa.BigInteger).label(name)
          for name in ("qty", "vnd", "grams")),
    ).group_by(*keys).subquery("report_grouped")
    paid = _payment_sums(sa.select(lines.c.order_id))
    refunded = revenue_refund(grouped.c.live, grouped.c.vnd, paid.c.received, paid.c.refunded,
                              paid.c.total)
    return (
        sa.select(*grouped.c, sa.cast(refunded, sa.BigInteger).label("refunded"))
        .select_from(grouped)
        .outerjoin(paid, paid.c.order_id == grouped.c.order_id)
    )


def _imported_facts(scope: Scope) -> sa.Select | None:
    """SELECT one row per imported line in scope, or None if imports do not count."""
    return scope.imported(
        _imp_order_key.label("order_key"),
        _flag(_imp_counted).label("counted"),
        _flag(_imp.status_class == "sale").label("sale"),
        _flag(_imp_returned).label("returned"),
        local_day(_imp.created_at_source).label("day"),
        _imp.stall_id.label("stall_id"),
        (sa.literal("imported:") + _imp.platform).label("channel"),
        _imp.product_id.label("product_id"),
        Product.category.label("category"),
        sa.func.coalesce(Product.unit, "").label("unit"),
        (_imp_net_qty * 1000).label("qty"),
        _imp_net_vnd.label("vnd"),
        _imp_grams.label("grams"),
        _imp.net_amount.label("amount"),
        _imp_returned_vnd.label("returned_vnd"),
        _imp_returned_grams.label("returned_grams"),
    )


@dataclass
class Facts:
    """The scope's lines, orders and imported lines, as tables or subqueries to group."""

    lines: sa.FromClause
    orders: sa.FromClause
    imported: sa.FromClause | None


def _temp_table(select: sa.Select, prefix: str, columns) -> sa.TableClause:
    name = f"{prefix}_{secrets.token_hex(6)}"
    db.session.execute(_CreateTempAs(name, select))
    return sa.table(name, *[sa.column(c) for c in columns])


def _pg_report_settings() -> None:
    # Short analytic statements: JIT compilation costs more than it saves, and grouping
    # 100k+ rows wants more than the default 4 MB per sort/hash. The ANALYZE of the orders
    # table only needs its row count, so it samples 3,000 rows instead of 30,000 (80 -> 11 ms
    # for 126,000 orders). All last until the end of the transaction only (set_config(...,
    # true) is SET LOCAL).
    db.session.execute(sa.select(sa.func.set_config("jit", "off", True),
                                 sa.func.set_config("work_mem", "64MB", True),
                                 sa.func.set_config("default_statistics_target", "10", True)))


@contextmanager
def scope_facts(scope: Scope, *, hours: bool = False, temp: bool = True) -> Iterator[Facts]:
    """Read the scope once into temporary tables (temp=False: inline subqueries) and yield them.

    The tables have a unique name per call and are dropped afterwards (and at commit on
    PostgreSQL), so concurrent reports and pooled connections never see each other's.
    """
    postgresql = _dialect() == "postgresql"
    if not temp:
        lines = _line_facts(scope, hours).subquery("report_lines")
        imported = _imported_facts(scope)
        yield Facts(lines, _order_facts(lines).subquery("report_orders"),
                    None if imported is None else imported.subquery("report_imported"))
        return
    if postgresql:
        _pg_report_settings()
    made: list[sa.TableClause] = []
    try:
        lines = _temp_table(_line_facts(scope, hours), "report_lines", LINE_FACTS)
        made.append(lines)
        orders = _temp_table(_order_facts(lines), "report_orders", ORDER_FACTS)
        made.append(orders)
        imported = _imported_facts(scope)
        if imported is not None:
            imported = _temp_table(imported, "report_imported", IMPORTED_FACTS)
            made.append(imported)
        if postgresql:
            # Temporary tables are never auto-analysed: without row counts the planner hashes
            # the whole payment table to join it to a fair's few orders.
            db.session.execute(sa.text(f"ANALYZE {orders.name}"))
        yield Facts(lines, orders, imported)
    finally:
        for table in made:
            # After a failed statement PostgreSQL refuses the DROP; the rollback drops them.
            with suppress(sa.exc.SQLAlchemyError):
                db.session.execute(sa.text(f"DROP TABLE IF EXISTS {table.name}"))


# --- campaign progress -----------------------------------------------------------------------


def _percent(value, goal) -> float | None:
    if not goal:
        return None
    return round(float(value) * 100 / float(goal), 1)


def _progress(campaign: Campaign, facts: Facts) -> dict:
    o = facts.orders
    # Money net of refunds, as the report's net revenue counts it.
    row = db.session.execute(sa.select(
        _sum_if(o.c.confirmed == 1, o.c.vnd - o.c.refunded),
        _sum_if(o.c.live == 1, o.c.vnd - o.c.refunded),
        _sum_if(o.c.confirmed == 1, o.c.grams),
        _sum_if(o.c.live == 1, o.c.grams),
    )).one()
    vnd_confirmed, vnd_provisional = num(row[0]), num(row[1])
    kg_confirmed, kg_provisional = kg(row[2]), kg(row[3])
    imp = facts.imported
    if imp is not None:
        irow = db.session.execute(sa.select(
            _sum_if(imp.c.sale == 1, imp.c.vnd),
            _sum_if(imp.c.counted == 1, imp.c.vnd),
            _sum_if(imp.c.sale == 1, imp.c.grams),
            _sum_if(imp.c.counted == 1, imp.c.grams),
        )).one()
        vnd_confirmed += num(irow[0])
        vnd_provisional += num(irow[1])
        kg_confirmed += kg(irow[2])
        kg_provisional += kg(irow[3])
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


def campaign_progress(campaign: Campaign) -> dict:
    """Return the campaign's confirmed and provisional kg and VND against its goals."""
    with scope_facts(campaign_scope(campaign), temp=False) as facts:
        return _progress(campaign, facts)


# --- totals and breakdowns -------------------------------------------------------------------


def _totals(facts: Facts, units: list[dict] | None = None, ledger: dict | None = None) -> dict:
    o = facts.orders
    live, paid = o.c.live == 1, o.c.paid == 1
    row = db.session.execute(sa.select(
        sa.func.sum(o.c.vnd),
        _sum_if(o.c.live == 0, o.c.vnd),
        sa.func.sum(o.c.live),
        _sum_if(o.c.live == 0, 1),
        _sum_if(live, o.c.qty),
        _sum_if(live, o.c.grams),
        _sum_if(sa.and_(live, paid), o.c.vnd),
        _sum_if(sa.and_(live, ~paid), o.c.vnd),
        _sum_if(sa.and_(live, paid), 1),
        _sum_if(sa.and_(live, ~paid), 1),
        _sum_if(live, o.c.refunded),
        _sum_if(live, o.c.fee),
    )).one()
    if ledger is None:
        ledger = _ledger(facts, ["total"])
    _key, received, given_back, collected, _orders = ledger["total"][0]
    result = {
        "gross_vnd": num(row[0]),
        "cancelled_vnd": num(row[1]),
        "refunded_vnd": num(row[10]),
        "returned_vnd": 0,
        "returned_kg": Decimal("0.000"),
        "orders": num(row[2]),
        "orders_cancelled": num(row[3]),
        "quantity": qty(row[4]),
        "kg": kg(row[5]),
        "paid_vnd": num(row[6]),
        "unpaid_vnd": num(row[7]),
        "orders_paid": num(row[8]),
        "orders_unpaid": num(row[9]),
        "received_vnd": received,
        "given_back_vnd": given_back,
        "collected_vnd": collected,
        "imported_orders": 0,
        "imported_vnd": 0,
        # Delivery fees of orders not cancelled: money for the delivery, not goods revenue.
        "delivery_fee_vnd": num(row[11]),
    }
    imp = facts.imported
    if imp is not None:
        counted = imp.c.counted == 1
        returned = imp.c.returned == 1
        i = db.session.execute(sa.select(
            sa.func.sum(imp.c.amount),
            _sum_if(sa.and_(~counted, ~returned), imp.c.amount),
            sa.func.sum(imp.c.returned_vnd),
            _count_if(counted, imp.c.order_key),
            _sum_if(counted, imp.c.qty),
            _sum_if(counted, imp.c.grams),
            _sum_if(counted, imp.c.vnd),
            sa.func.sum(imp.c.returned_grams),
        )).one()
        result["gross_vnd"] += num(i[0])
        result["cancelled_vnd"] += num(i[1])
        result["returned_vnd"] = num(i[2])
        result["returned_kg"] = kg(i[7])
        result["imported_orders"] = num(i[3])
        result["orders"] += num(i[3])
        result["quantity"] += qty(i[4])
        result["kg"] += kg(i[5])
        result["imported_vnd"] = num(i[6])
    result["sales_vnd"] = result["gross_vnd"] - result["cancelled_vnd"]
    result["net_vnd"] = result["sales_vnd"] - result["returned_vnd"] - result["refunded_vnd"]
    result["tonnes"] = (result["kg"] / 1000).quantize(Decimal("0.001"))
    if units is None:
        units = _breakdowns(facts, ["units"])["units"]
    result["units"] = [
        {"unit": row["key"] or "", "quantity": row["quantity"]}
        for row in sorted(units, key=lambda r: -r["quantity"]) if row["quantity"]
    ]
    return result


def _count_if(cond, value):
    return sa.func.count(sa.distinct(sa.case((cond, value))))


def totals(scope: Scope, units: list[dict] | None = None) -> dict:
    """Return gross, cancelled, returned, refunded and net VND, orders, items, kg, paid/unpaid."""
    with scope_facts(scope, temp=False) as facts:
        return _totals(facts, units)


def _int_key(value):
    return None if value is None else int(value)


def _str_key(value):
    return "" if value is None else str(value)


# Name -> (fact column, whether imported lines have it, key parser) for each breakdown.
_DIMENSIONS = {
    "days": ("day", True, as_date),
    "hours": ("hour", False, _int_key),
    "stalls": ("stall_id", True, _int_key),
    "products": ("product_id", True, _int_key),
    "categories": ("category", True, _str_key),
    "channels": ("channel", True, _str_key),
    "fulfilment": ("fulfilment", False, _str_key),
    "units": ("unit", True, _str_key),
}
ORDER_LEVEL_DIMS = ("days", "hours", "stalls", "channels", "fulfilment")


def _breakdowns(facts: Facts, names) -> dict[str, list[dict]]:
    """Group the scope's facts by several keys in one statement (imported lines included
    where they count): order-level keys over the orders, line-level keys over the lines."""
    dims = {name: spec for name, spec in _DIMENSIONS.items() if name in names}
    o, ln, imp = facts.orders, facts.lines, facts.imported
    parts = []
    order_dims = [name for name in dims if name in ORDER_LEVEL_DIMS]
    grouped_at_once = _dialect() == "postgresql" and len(order_dims) > 1
    if grouped_at_once:
        # PostgreSQL groups the orders by every order-level key in one pass (GROUPING SETS)
        # instead of one scan per key: 80 -> 46 ms for 126,000 orders and four keys.
        keys = {name: o.c[dims[name][0]] for name in order_dims}
        # A row grouped by one key has GROUPING() 0 for that key and 1 for the others.
        grouped_by = {name: sa.func.grouping(key) == 0 for name, key in keys.items()}
        live = o.c.live == 1
        parts.append(sa.select(
            sa.case(*[(cond, sa.literal(name)) for name, cond in grouped_by.items()])
            .label("dim"),
            sa.case(*[(cond, sa.cast(keys[name], sa.String)) for name, cond in grouped_by.items()])
            .label("key"),
            sa.func.sum(o.c.live).label("orders"),
            _sum_if(live, o.c.qty).label("n_items"),
            _sum_if(live, o.c.vnd).label("vnd"),
            _sum_if(live, o.c.grams).label("grams"),
            _sum_if(o.c.live == 0, o.c.vnd).label("cancelled_vnd"),
            _sum_if(live, o.c.refunded).label("refunded_vnd"),
            sa.literal(0).label("returned_vnd"),
            _sum_if(live, o.c.fee).label("fee_vnd"),
        ).group_by(sa.func.grouping_sets(*[sa.tuple_(key) for key in keys.values()])))
    for name, (col, with_imported, _parse) in dims.items():
        if name in ORDER_LEVEL_DIMS and grouped_at_once:
            pass  # grouped above
        elif name in ORDER_LEVEL_DIMS:
            live = o.c.live == 1
            parts.append(sa.select(
                sa.literal(name).label("dim"),
                sa.cast(o.c[col], sa.String).label("key"),
                sa.func.sum(o.c.live).label("orders"),
                _sum_if(live, o.c.qty).label("n_items"),
                _sum_if(live, o.c.vnd).label("vnd"),
                _sum_if(live, o.c.grams).label("grams"),
                _sum_if(o.c.live == 0, o.c.vnd).label("cancelled_vnd"),
                _sum_if(live, o.c.refunded).label("refunded_vnd"),
                sa.literal(0).label("returned_vnd"),
                _sum_if(live, o.c.fee).label("fee_vnd"),
            ).group_by(o.c[col]))
        else:
            live = ln.c.live == 1
            # Units only tell quantities apart: no need to count their orders.
            orders = sa.literal(0) if name == "units" else _count_if(live, ln.c.order_id)
            parts.append(sa.select(
                sa.literal(name).label("dim"),
                sa.cast(ln.c[col], sa.String).label("key"),
                orders.label("orders"),
                _sum_if(live, ln.c.qty).label("n_items"),
                _sum_if(live, ln.c.vnd).label("vnd"),
                _sum_if(live, ln.c.grams).label("grams"),
                _sum_if(ln.c.live == 0, ln.c.vnd).label("cancelled_vnd"),
                # An order's refund is not split among its lines: line-level keys show none.
                sa.literal(0).label("refunded_vnd"),
                sa.literal(0).label("returned_vnd"),
                sa.literal(0).label("fee_vnd"),
            ).group_by(ln.c[col]))
        if imp is not None and with_imported:
            counted = imp.c.counted == 1
            parts.append(sa.select(
                sa.literal(name),
                sa.cast(imp.c[col], sa.String),
                _count_if(counted, imp.c.order_key),
                _sum_if(counted, imp.c.qty),
                _sum_if(counted, imp.c.vnd),
                _sum_if(counted, imp.c.grams),
                _sum_if(sa.and_(~counted, imp.c.returned == 0), imp.c.amount),
                sa.literal(0),
                sa.func.sum(imp.c.returned_vnd),
                sa.literal(0),
            ).group_by(imp.c[col]))
    result: dict[str, list[dict]] = {name: [] for name in dims}
    if not parts:
        return result
    both = sa.union_all(*parts).subquery()
    stmt = sa.select(
        both.c.dim,
        both.c.key,
        sa.func.sum(both.c.orders),
        sa.func.sum(both.c.n_items),
        sa.func.sum(both.c.vnd),
        sa.func.sum(both.c.grams),
        sa.func.sum(both.c.cancelled_vnd),
        sa.func.sum(both.c.refunded_vnd),
        sa.func.sum(both.c.returned_vnd),
        sa.func.sum(both.c.fee_vnd),
    ).group_by(both.c.dim, both.c.key)
    for (dim, key, orders, items, vnd, grams, cancelled, refunded, returned,
         fees) in db.session.execute(stmt):
        # vnd: live sales after returns; net_vnd: after refunds too (rows add up to the
        # report's net revenue).
        result[dim].append({
            "key": dims[dim][2](key), "orders": num(orders), "quantity": qty(items),
            "vnd": num(vnd), "kg": kg(grams), "cancelled_vnd": num(cancelled),
            "returned_vnd": num(returned), "refunded_vnd": num(refunded),
            "net_vnd": num(vnd) - num(refunded), "delivery_fee_vnd": num(fees),
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
    return sorted(rows, key=lambda r: (-r["net_vnd"], r["stall"]))


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


def _breakdowns_of(scope: Scope, names) -> dict[str, list[dict]]:
    with scope_facts(scope, hours="hours" in names, temp=False) as facts:
        return _breakdowns(facts, names)


def _finish(raw: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {name: _FINISH[name](rows) if name in _FINISH else rows
            for name, rows in raw.items()}


def breakdowns(scope: Scope, names) -> dict[str, list[dict]]:
    """Return several sales breakdowns of a scope, computed in one grouped statement."""
    return _finish(_breakdowns_of(scope, names))


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


# --- the payment ledger of the scope's orders ------------------------------------------------

LEDGER_PARTS = ("total", "methods", "card", "cash")


def _ledger(facts: Facts, parts=LEDGER_PARTS) -> dict[str, list[tuple]]:
    """Sum the payments of the scope's orders in one statement (their join read once):
    total received and refunded, per method, card money per stall, cash per Vietnam day.

    Corrections and the rows they correct are left out (counts_in_figures). Each part's rows
    are (key, received, refunded, net, orders)."""
    o = facts.orders
    pay = (
        sa.select(o.c.order_id, o.c.live, o.c.stall_id, Payment.method, Payment.amount,
                  Payment.kind, Payment.created_at)
        .select_from(o)
        .join(Payment, Payment.order_id == o.c.order_id)
        .where(counts_in_figures())
        .cte("report_payments")
        .prefix_with("MATERIALIZED")
    )
    received = _sum_if(pay.c.kind == PaymentKind.PAYMENT.value, pay.c.amount)
    refunded = -_sum_if(pay.c.kind == PaymentKind.REFUND.value, pay.c.amount)
    net = sa.func.sum(pay.c.amount)
    orders = sa.func.count(sa.distinct(pay.c.order_id))
    day = local_day(pay.c.created_at)
    uncounted = sa.literal(0)  # parts that show no order count skip counting them
    selects = {
        "total": sa.select(sa.literal("total"), sa.null(), received, refunded, net, uncounted),
        "methods": sa.select(sa.literal("methods"), sa.cast(pay.c.method, sa.String), received,
                             refunded, net, orders).group_by(pay.c.method),
        "card": sa.select(sa.literal("card"), sa.cast(pay.c.stall_id, sa.String), received,
                          refunded, net, uncounted)
        .where(pay.c.method == "card").group_by(pay.c.stall_id),
        "cash": sa.select(sa.literal("cash"), sa.cast(day, sa.String), received, refunded,
                          net, orders)
        .where(pay.c.method == "cash").group_by(day),
    }
    chosen = [selects[part] for part in parts]
    stmt = chosen[0] if len(chosen) == 1 else sa.union_all(*chosen)
    result: dict[str, list[tuple]] = {part: [] for part in parts}
    for part, key, *sums in db.session.execute(stmt):
        result[part].append((key, *(num(v) for v in sums)))
    return result


def _payments(ledger: dict) -> list[dict]:
    rows = [
        {"method": method, "received_vnd": received, "refunded_vnd": refunded,
         "net_vnd": net, "orders": orders}
        for method, received, refunded, net, orders in ledger["methods"]
    ]
    return sorted(rows, key=lambda r: (-r["net_vnd"], r["method"]))


def by_payment_method(scope: Scope) -> list[dict]:
    """Money received per method from the payment ledger, refunds apart, corrections out."""
    with scope_facts(scope, temp=False) as facts:
        return _payments(_ledger(facts, ["methods"]))


def _card_owed(ledger: dict) -> list[dict]:
    rows = [{"key": int(key), "received_vnd": received, "refunded_vnd": refunded,
             "owed_vnd": owed} for key, received, refunded, owed, _orders in ledger["card"]]
    for row in _named(rows, Stall, Stall.name):
        row["stall_id"] = row.pop("key")
        row["stall"] = row.pop("names")[0] if row["names"] else ""
    return sorted(rows, key=lambda r: (-r["owed_vnd"], r["stall"]))


def card_owed(scope: Scope) -> list[dict]:
    """What the platform owes each stall for card payments it collected, net of refunds."""
    with scope_facts(scope, temp=False) as facts:
        return _card_owed(_ledger(facts, ["card"]))


def _cash_by_day(ledger: dict) -> list[dict]:
    rows = [
        {"day": as_date(d), "received_vnd": received, "refunded_vnd": refunded,
         "net_vnd": net, "orders": orders}
        for d, received, refunded, net, orders in ledger["cash"]
    ]
    return sorted(rows, key=lambda r: r["day"])


def cash_by_day(scope: Scope) -> list[dict]:
    """Cash received and handed back per Vietnam day, to reconcile the till."""
    with scope_facts(scope, temp=False) as facts:
        return _cash_by_day(_ledger(facts, ["cash"]))


# --- QR scans --------------------------------------------------------------------------------


def _scan_rows(conds: list, key) -> list[tuple]:
    stmt = (
        sa.select(key, sa.func.count(ScanEvent.id), _qr_count(ScanEvent.qr))
        .select_from(ScanEvent)
        .join(Product, Product.id == ScanEvent.product_id)
        .where(*conds)
        .group_by(key)
    )
    return list(db.session.execute(stmt))


def _qr_count(cond) -> sa.ColumnElement:
    """Count the rows where cond holds (0, not NULL, when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


def scans_by_day(conds: list) -> list[dict]:
    """Page views (each visitor once per product per 30 min) per Vietnam day; QR scans apart."""
    rows = _scan_rows(conds, local_day(ScanEvent.scanned_at))
    return sorted(({"day": as_date(d), "scans": num(n), "qr_scans": num(q)} for d, n, q in rows),
                  key=lambda r: r["day"])


def scans_by_product(conds: list) -> list[dict]:
    """Page views per product, most viewed first; QR scans (labels with s=1) apart."""
    rows = [{"key": pid, "scans": num(n), "qr_scans": num(q)}
            for pid, n, q in _scan_rows(conds, ScanEvent.product_id)]
    rows = _named(rows, Product, Product.name, Product.code)
    for row in rows:
        row["product_id"] = row.pop("key")
        row["product"], row["code"] = row.pop("names") or ("", "")
    return sorted(rows, key=lambda r: (-r["scans"], r["product"]))


def _conversion(fair: Fair, facts: Facts) -> list[dict]:
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
            _qr_count(ScanEvent.qr).label("qr_scans"),
            sa.literal(0).label("orders"),
        )
        .where(ScanEvent.fair_id == fair.id)
        .group_by(ScanEvent.product_id)
    )
    orders = (
        sa.select(OrderLine.product_id, sa.literal(0), sa.literal(0),
                  sa.func.count(sa.distinct(Order.id)))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.fair_id == fair.id, _live, Order.created_by_id.is_(None),
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
        rows.append({"product_id": pid, "product": name, "code": code, "scans": views,
                     "qr_scans": num(qr_scans), "orders": ordered, "conversion": rate})
    return sorted(rows, key=lambda r: (-r["scans"], -r["orders"], r["product"]))


def fair_conversion(fair: Fair) -> list[dict]:
    """Per product: scans at the fair, fair orders holding it, and orders per scan."""
    with scope_facts(fair_scope(fair), temp=False) as facts:
        return _conversion(fair, facts)


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
    return [ScanEvent.scanned_at >= start, ScanEvent.scanned_at < end,
            campaign_counts(campaign, stall=Product.stall_id, product=Product.id,
                            category=Product.category)]


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
# Table -> (ledger part, finishing function)
_LEDGER_TABLES = {"payments": ("methods", _payments), "card_owed": ("card", _card_owed),
                  "cash_days": ("cash", _cash_by_day)}


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
    """Return totals and every table of a report (plus progress for a campaign).

    The scope is read once into temporary tables; every figure is a grouped query over them.
    """
    names = [name for name in target.tables if name in _FINISH]
    names += ["units"] + (["products"] if "top_products" in target.tables else [])
    with scope_facts(target.scope, hours="hours" in names) as facts:
        sales = _finish(_breakdowns(facts, names))
        ledger = _ledger(facts, ["total", *(_LEDGER_TABLES[name][0] for name in target.tables
                                            if name in _LEDGER_TABLES)])
        tables = {}
        for name in target.tables:
            if name in sales:
                tables[name] = sales[name]
            elif name == "top_products":
                tables[name] = sales["products"][:10]
            elif name in _LEDGER_TABLES:
                tables[name] = _LEDGER_TABLES[name][1](ledger)
            elif name == "conversion" and target.fair is not None:
                tables[name] = _conversion(target.fair, facts)
            else:
                tables[name] = table_rows(target, name)
        report = {
            "kind": target.kind,
            "totals": _totals(facts, units=sales["units"], ledger=ledger),
            "tables": tables,
        }
        if target.campaign is not None:
            report["progress"] = _progress(target.campaign, facts)
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
    with scope_facts(target.scope) as facts:
        t = _totals(facts, units=[])
        figures = {
            "net_vnd": t["net_vnd"], "orders": t["orders"], "quantity": t["quantity"],
            "kg": t["kg"], "stalls": _finish_stalls(_breakdowns(facts, ["stalls"])["stalls"])[:8],
        }
        if target.campaign is not None:
            figures["progress"] = _progress(target.campaign, facts)
    return figures


# --- who may see what ------------------------------------------------------------------------

MAX_PERIOD_DAYS = 366


def default_period() -> tuple[date, date]:
    """Return the last 30 Vietnam days, today included."""
    last = vn_today()
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
    if not (date_in_range(first) and date_in_range(last)):
        raise ValidationError("from", _("Ngày phải nằm trong khoảng năm 1900 đến 2100."))
    first = first or last
    last = last or first
    if last < first:
        raise ValidationError("to", _("Ngày kết thúc phải sau ngày bắt đầu."))
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationError("to", _("Chỉ xem tối đa %(n)s ngày một lần.", n=MAX_PERIOD_DAYS))
    return first, last


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
