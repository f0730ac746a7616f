"""Demo history for the lychee campaign: online and livestream orders and marketplace lines."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.demo.fairs import LYCHEE_TOTAL_KG, lychee_daily_kg, lychee_day
from marketplace.extensions import db
from marketplace.fairs.models import Campaign
from marketplace.formatting import local_to_utc
from marketplace.imports.models import ImportedSaleLine, MarketplaceImport
from marketplace.orders.models import Order, OrderLine
from marketplace.orders.writer import KEEP, NewLine, NewOrder, Paid, write_orders
from marketplace.reports.figures import campaign_progress
from marketplace.reports.rows import by_day
from marketplace.reports.scope import campaign_period, campaign_rule, campaign_scope

IN_TRANSIT_KG = Decimal("900")  # still on the road when the exports were taken, on 2/7
CANCELLED_KG = Decimal("700")
EXPORTED_ON = date(2023, 7, 2)
ORDERS = 240
SOURCE_PREFIX = "demo-reports-"
PROVINCES = ["Hà Nội", "TP. Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Bắc Ninh", "Quảng Ninh",
             "Cần Thơ", "Nghệ An", "Thanh Hóa", "Bình Dương"]
NAMES = ["Nguyễn Thị Hoa", "Trần Văn Nam", "Lê Thu Trang", "Phạm Minh Đức", "Hoàng Lan",
         "Vũ Đức Anh", "Đặng Thị Mai", "Bùi Quang Huy"]
STATUS_RAW = {
    ("shopee", "sale"): "Hoàn thành", ("shopee", "in_progress"): "Đang giao",
    ("shopee", "cancelled"): "Đã hủy",
    ("lazada", "sale"): "delivered", ("lazada", "in_progress"): "shipped",
    ("lazada", "cancelled"): "canceled",
    ("tiktok", "sale"): "Đã hoàn tất", ("tiktok", "in_progress"): "Đang giao",
    ("tiktok", "cancelled"): "Đã hủy",
}


def _campaign(ctx: dict) -> Campaign | None:
    campaign = ctx.get("campaign")
    if campaign is not None:
        return campaign
    return db.session.scalar(
        sa.select(Campaign).where(Campaign.starts_on == date(2023, 6, 15)).order_by(Campaign.id)
    )


def _products(campaign: Campaign) -> list[Product]:
    """Products the campaign counts, with a net weight (fresh lychee: by the kilo and boxed)."""
    return list(db.session.scalars(
        sa.select(Product)
        .where(*campaign_rule(campaign, stall=Product.stall_id, product=Product.id),
               Product.net_weight_kg > 0)
        .order_by(Product.id)
    ))


def _moment(rng: random.Random, day: date | None = None) -> datetime:
    """A time of day on the given day of the drive, or on one drawn along its daily curve."""
    day = day or lychee_day(rng)
    return local_to_utc(datetime(day.year, day.month, day.day, rng.randint(7, 22),
                                 rng.randrange(60)))


def _has_orders(campaign: Campaign, products: list[Product]) -> bool:
    start, end = campaign_period(campaign)
    found = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Order.id)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(OrderLine.product_id.in_([p.id for p in products]),
               Order.channel.in_(("online", "livestream")),
               Order.placed_at >= start, Order.placed_at < end)
    )
    return (found or 0) >= ORDERS // 2


def _has_imports(products: list[Product]) -> bool:
    """Tell whether this demo already topped the campaign up (the imports demo may add its
    own lines too: ours are marked by their source file, so each demo adds its lines once)."""
    return db.session.scalar(
        sa.select(ImportedSaleLine.id)
        .where(ImportedSaleLine.stall_id.in_({p.stall_id for p in products}),
               ImportedSaleLine.source_file.like(f"{SOURCE_PREFIX}%"))
        .limit(1)
    ) is not None


def _seed_orders(rng: random.Random, campaign: Campaign, products: list[Product]) -> Decimal:
    """Write online/livestream orders; return the kg they confirm (paid or fulfilled)."""
    confirmed = Decimal("0")
    orders = []
    for n in range(ORDERS):
        product = rng.choice(products)
        qty = rng.randint(2, 20)
        placed_at = _moment(rng)
        roll = rng.random()
        # The drive is long over: every order was delivered or cancelled (one left unpaid by
        # transfer or card was cancelled when its hour ran out, as the app does).
        status = "fulfilled" if roll < 0.88 else "cancelled"
        channel = "livestream" if n % 3 == 0 else "online"
        method = rng.choice(["vietqr", "vietqr", "card", "cash"])
        expired = status == "cancelled" and method != "cash" and roll < 0.94
        done_at = placed_at + (timedelta(hours=1) if expired else timedelta(days=1))
        orders.append(NewOrder(
            stall_id=product.stall_id, lines=[NewLine.of(product, qty)],
            customer_name=rng.choice(NAMES), customer_phone=f"09{rng.randrange(10**8):08d}",
            delivery_address=rng.choice(PROVINCES), channel=channel, fulfilment="delivery",
            payment_method=method, statuses=["placed", status],
            status_times=[placed_at, done_at], placed_at=placed_at,
            cancel_reason=None if status != "cancelled" else
            "Quá hạn thanh toán, đơn tự hủy." if expired else "Khách đổi ý",
            # Paid as it was ordered (the ledger's time is the order's, not the seeding's).
            paid=Paid(method) if status == "fulfilled" else None,
        ))
        if status == "fulfilled":
            confirmed += product.net_weight_kg * qty
    write_orders(orders, stock=KEEP)
    return confirmed


def _line(rng, day, product, platform, status, qty, imports, n) -> ImportedSaleLine:
    created = _moment(rng, day)
    weight = Decimal(product.net_weight_kg)
    sku = f"VAI-LN-{weight.normalize():f}KG"
    order_id = {"shopee": f"2306{n:06d}RP", "lazada": f"7{n:011d}",
                "tiktok": f"5799{n:014d}"}[platform]
    returned = 1 if status == "sale" and qty > 2 and rng.random() < 0.03 else 0
    return ImportedSaleLine(
        stall_id=product.stall_id, platform=platform, external_order_id=order_id,
        line_key=f"RPT-{order_id}-1", import_id=imports[(product.stall_id, platform)].id,
        created_at_source=created, paid_at=created + timedelta(minutes=5),
        status_raw=STATUS_RAW[(platform, status)], status_class=status,
        product_name=product.name, seller_sku=sku, variation=f"Hộp {weight.normalize():f} kg",
        qty=qty, returned_qty=returned, net_amount=int(product.price * qty * 0.95),
        buyer_province=rng.choice(PROVINCES), product_id=product.id, net_weight_kg=weight,
        source_file=f"{SOURCE_PREFIX}{platform}.xlsx", source_row=n,
    )


def _days_sold(campaign: Campaign) -> dict[date, Decimal]:
    """Kg the campaign counts per day so far (orders and marketplace lines in scope)."""
    return {row.day: row.kg for row in by_day(campaign_scope(campaign))}


def _seed_imports(rng: random.Random, campaign: Campaign, products: list[Product]) -> None:
    """Top the drive up with marketplace lines, day by day along its curve, until it reaches
    its 50 tonnes (most of them on Lazada, where the real drive sold)."""
    imports = {}
    for stall_id in sorted({p.stall_id for p in products}):
        for platform in ("shopee", "lazada", "tiktok"):
            record = MarketplaceImport(stall_id=stall_id, platform=platform,
                                       filename=f"{SOURCE_PREFIX}{platform}.xlsx")
            db.session.add(record)
            imports[(stall_id, platform)] = record
    db.session.flush()
    n = 0

    def add(day: date, status: str, target: Decimal) -> None:
        nonlocal n
        kg = Decimal("0")
        while kg < target:
            n += 1
            product = rng.choice(products)
            platform = rng.choice(("lazada", "lazada", "lazada", "shopee", "tiktok"))
            weight = Decimal(product.net_weight_kg)
            qty = rng.randint(1, 12)
            # Fill the last gap exactly when the box size allows it.
            qty = max(1, min(qty, int((target - kg) / weight) or 1))
            line = _line(rng, day, product, platform, status, qty, imports, n)
            db.session.add(line)
            kg += weight * (line.qty - line.returned_qty)

    # Lines still on the road when the exports were taken count on their days (provisional).
    for day in (EXPORTED_ON - timedelta(days=1), EXPORTED_ON):
        add(day, "in_progress", IN_TRANSIT_KG / 2)
    db.session.flush()
    sold = _days_sold(campaign)
    for day, target in lychee_daily_kg().items():
        add(day, "sale", Decimal(target) - sold.get(day, Decimal("0")))
    db.session.flush()
    # Orders still unpaid and lines still on the road count as provisional, not confirmed:
    # make up for them along the curve until the confirmed kg reach the total.
    while (gap := Decimal(LYCHEE_TOTAL_KG) - campaign_progress(campaign).kg_confirmed) > 0:
        for day, target in lychee_daily_kg().items():
            add(day, "sale", gap * target / LYCHEE_TOTAL_KG)
        db.session.flush()
    for _ in range(7):
        add(lychee_day(rng), "cancelled", CANCELLED_KG / 7)
    for record in imports.values():
        record.rows_counted = n
    db.session.flush()


def seed(ctx: dict) -> None:
    """Give the lychee campaign (15/6–2/7/2023) its history: 50 tonnes along a daily curve."""
    campaign = _campaign(ctx)
    if campaign is None:
        return
    products = _products(campaign)
    if not products:
        return
    rng = random.Random(2023)
    if not _has_orders(campaign, products):
        _seed_orders(rng, campaign, products)
        db.session.flush()
    if not _has_imports(products):
        db.session.flush()
        _seed_imports(rng, campaign, products)
    ctx["campaign_progress"] = True
