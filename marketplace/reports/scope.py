"""What a report covers: the sales, label scans and tables of a fair, a campaign, an
organizer's days or a seller's stall, and who may see which."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog.models import Product
from marketplace.errors import ValidationError
from marketplace.extensions import db
from marketplace.fairs.models import Campaign, Fair, FairStall
from marketplace.fairs.services import campaign_counts
from marketplace.formatting import vn_today
from marketplace.imports.models import ImportedSaleLine
from marketplace.orders.models import Order, OrderLine
from marketplace.provenance.models import ScanEvent
from marketplace.reports.engine import Unindexed, period_bounds
from marketplace.sanitize import date_in_range

ORDER_CHANNELS = ("fair", "online", "livestream")
_imp = ImportedSaleLine


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
            placed = Unindexed(Order.placed_at) if by_product else Order.placed_at
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
            .select_from(ImportedSaleLine)
            .outerjoin(Product, Product.id == ImportedSaleLine.product_id)
            .where(*self.imported_conds)
        )


def fair_scope(fair: Fair) -> Scope:
    """Orders placed through the fair (marketplace imports never belong to a fair)."""
    return Scope(order_conds=[Order.fair_id == fair.id])


def campaign_period(campaign: Campaign) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the campaign's Vietnam days."""
    return period_bounds(campaign.starts_on, campaign.ends_on)


def campaign_rule(campaign: Campaign, *, at=None, stall, product,
                  category=Product.category) -> list[sa.ColumnElement[bool]]:
    """The one rule of what a campaign covers, as conditions on the given columns.

    In the campaign's Vietnam days (when at, a UTC timestamp column, is given), and counted by
    fairs.services.campaign_counts: the joined stalls, narrowed by the campaign's categories
    and products. Order lines, products, imported lines and label scans all go through this.
    """
    conds = []
    if at is not None:
        start, end = campaign_period(campaign)
        conds += [at >= start, at < end]
    return [*conds, campaign_counts(campaign, stall=stall, product=product, category=category)]


def campaign_scope(campaign: Campaign) -> Scope:
    """Sales in the campaign's Vietnam days and channels that the campaign counts."""
    channels = campaign.channel_list
    order_channels = [c for c in channels if c in ORDER_CHANNELS]
    scope = Scope(
        order_conds=[Order.channel.in_(order_channels)],
        # The period is the scope's own (Scope.period), so that lines can be read by product.
        line_conds=campaign_rule(campaign, stall=Order.stall_id, product=OrderLine.product_id),
        order_channels=bool(order_channels),
        period=campaign_period(campaign),
    )
    if campaign.category_list or campaign.products:
        # Products decide: name them in one list, so a line can be found by its product.
        scope.products = (
            sa.select(Product.id)
            .where(*campaign_rule(campaign, stall=Product.stall_id, product=Product.id))
            .correlate(None)
        )
        scope.line_conds = [OrderLine.product_id.in_(scope.products)]
    if "imported" in channels:
        scope.imported_conds = campaign_rule(campaign, at=_imp.created_at_source,
                                             stall=_imp.stall_id, product=_imp.product_id)
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


# --- whole reports: their scope, their scans and their tables --------------------------------

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


def campaign_target(campaign: Campaign) -> Target:
    """Describe a campaign's report."""
    scans = campaign_rule(campaign, at=ScanEvent.scanned_at, stall=Product.stall_id,
                          product=Product.id)
    return Target("campaign", campaign_scope(campaign), CAMPAIGN_TABLES, scans,
                  campaign=campaign)


def range_target(organizer_id: int, first: date, last: date) -> Target:
    """Describe the report of every stall at the organizer's fairs over some days."""
    start, end = period_bounds(first, last)
    conds = [Product.stall_id.in_(organizer_stalls(organizer_id)),
             ScanEvent.scanned_at >= start, ScanEvent.scanned_at < end]
    return Target("range", range_scope(organizer_id, first, last), RANGE_TABLES, conds)


def seller_target(stall_id: int, first: date | None = None, last: date | None = None) -> Target:
    """Describe one stall's own summary."""
    return Target("seller", stall_scope(stall_id, first, last), SELLER_TABLES)


# --- who may see what ------------------------------------------------------------------------

MAX_PERIOD_DAYS = 366


def board_visible(thing: Fair | Campaign, user) -> bool:
    """A tally board is public when the organizer allowed it; otherwise only theirs to see."""
    if thing.public_board and thing.published:
        return True
    return user.is_authenticated and user.id == thing.organizer_id


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
