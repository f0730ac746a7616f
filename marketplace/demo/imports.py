"""Demo marketplace exports for the lychee stall, imported through the real import service."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime
from decimal import Decimal

import openpyxl
import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.demo.fairs import lychee_day
from marketplace.extensions import db
from marketplace.fairs.models import Campaign
from marketplace.imports.models import ImportedSaleLine
from marketplace.imports.services import save_import

STALL_SLUG = "vai-thieu-luc-ngan"
CAMPAIGN_SLUG = "vai-chuan-tu-tam-2023"
TARGET_KG = 10_000  # modest: the reports demo adds the rest of the campaign's history
LINES = {"shopee": 200, "tiktok": 150, "lazada": 120}
PROVINCES = ["Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Bắc Ninh", "Quảng Ninh",
             "Cần Thơ", "Nghệ An", "Thanh Hóa", "Bình Dương"]
STATUSES = {  # (sale, in progress, cancelled, unpaid)
    "shopee": ("Hoàn thành", "Đang giao", "Đã hủy", "Đã hủy"),
    "tiktok": ("Đã hoàn tất", "Đang giao", "Đã hủy", "Chờ thanh toán"),
    "lazada": ("delivered", "shipped", "canceled", "unpaid"),
}


def _status(rng: random.Random, platform: str) -> str:
    roll = rng.random()
    sale, moving, cancelled, unpaid = STATUSES[platform]
    return sale if roll < 0.84 else moving if roll < 0.92 else cancelled if roll < 0.98 else unpaid


def _when(rng: random.Random) -> datetime:
    day = lychee_day(rng)  # as many orders on a day as the drive sold that day
    return datetime(day.year, day.month, day.day, rng.randint(6, 22), rng.randrange(60))


def _xlsx(headers: list[str], rows: list[list], sheet: str) -> bytes:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _qty(rng: random.Random, weight: Decimal, per_line_kg: float) -> int:
    return max(1, round(per_line_kg * rng.uniform(0.3, 1.7) / float(weight)))


def build_exports(products: list[Product], seed: int = 2023) -> list[tuple[str, bytes]]:
    """Generate Shopee (XLSX), TikTok Shop (CSV) and Lazada (XLSX) exports in memory."""
    rng = random.Random(seed)
    per_line = TARGET_KG / (LINES["shopee"] + LINES["tiktok"])

    shopee_headers = ["Mã đơn hàng", "Ngày đặt hàng", "Trạng Thái Đơn Hàng", "SKU sản phẩm",
                      "Tên sản phẩm", "SKU phân loại hàng", "Tên phân loại hàng", "Giá gốc",
                      "Giá ưu đãi", "Số lượng", "Số lượng sản phẩm được hoàn trả",
                      "Tổng số tiền Người mua thanh toán", "Tổng giá trị đơn hàng (VND)",
                      "Thời gian đơn hàng được thanh toán", "Tỉnh/Thành phố"]
    shopee_rows = []
    for n in range(LINES["shopee"]):
        p = rng.choice(products)
        qty = _qty(rng, p.net_weight_kg, per_line)
        status = _status(rng, "shopee")
        returned = 1 if status == "Hoàn thành" and qty > 2 and rng.random() < 0.03 else 0
        at = _when(rng)
        deal = int(p.price * 0.95)
        shopee_rows.append([
            f"23{at:%m%d}{n:04d}LN", f"{at:%Y-%m-%d %H:%M}", status, "VAI-LN",
            p.name, f"VAI-{p.code}", p.unit, int(p.price), deal, qty, returned,
            deal * qty, deal * qty + 15000, f"{at:%Y-%m-%d %H:%M}", rng.choice(PROVINCES),
        ])

    tiktok_headers = ["Order ID", "Order Status", "Order Substatus", "Cancelation/Return Type",
                      "SKU ID", "Seller SKU", "Product Name", "Variation", "Quantity",
                      "Sku Quantity of return", "SKU Unit Original Price",
                      "SKU Subtotal After Discount", "Order Amount", "Created Time", "Paid Time",
                      "Province"]
    tiktok_rows = [["Platform unique order ID."] + [""] * (len(tiktok_headers) - 1)]
    for n in range(LINES["tiktok"]):
        p = rng.choice(products)
        qty = _qty(rng, p.net_weight_kg, per_line)
        status = _status(rng, "tiktok")
        at = _when(rng)
        net = int(p.price * qty * 0.9)
        tiktok_rows.append([
            f"5763{at:%m%d}{n:010d}", status, status, "", f"17290000{products.index(p):010d}",
            f"VAI-{p.code}", p.name, p.unit, qty, 0, int(p.price), net, net + 20000,
            f"{at:%d/%m/%Y %H:%M:%S}", f"{at:%d/%m/%Y %H:%M:%S}", rng.choice(PROVINCES),
        ])
    tiktok_csv = io.StringIO()
    csv.writer(tiktok_csv, lineterminator="\r\n").writerows([tiktok_headers, *tiktok_rows])

    lazada_headers = ["orderItemId", "orderNumber", "sellerSku", "createTime", "status",
                      "itemName", "variation", "unitPrice", "sellerDiscountTotal", "paidPrice",
                      "shippingAddress3", "shippingCity"]
    lazada_rows = []
    item = 0
    order = 0
    while len(lazada_rows) < LINES["lazada"]:
        order += 1
        p = rng.choice(products)
        status = _status(rng, "lazada")
        at = _when(rng)
        province = rng.choice(PROVINCES)
        for _unit in range(rng.choice((1, 1, 2, 3))):  # one row per unit
            item += 1
            lazada_rows.append([
                str(84_000_000 + item), str(31_000_000 + order), f"VAI-{p.code}",
                at.strftime("%d %b %Y %H:%M"), status, p.name, p.unit, f"{p.price:,}.00",
                "-5,000.00", f"{p.price - 5000:,}.00", province, province,
            ])
    return [
        ("Order.all.20230615_20230702.xlsx", _xlsx(shopee_headers, shopee_rows, "orders")),
        ("tiktok_order_sku_list.csv", ("\ufeff" + tiktok_csv.getvalue()).encode("utf-8")),
        ("lazada_orders_2023-07-02.xlsx", _xlsx(lazada_headers, lazada_rows, "sheet1")),
    ]


def seed(ctx: dict) -> None:
    """Import three months-old exports for the lychee stall once (skipped if it has lines)."""
    campaign = ctx.get("campaign") or db.session.scalar(
        sa.select(Campaign).where(Campaign.slug == CAMPAIGN_SLUG))
    stall = next((s for s in ctx.get("stalls", []) if s.slug == STALL_SLUG), None) or \
        db.session.scalar(sa.select(Stall).where(Stall.slug == STALL_SLUG))
    if campaign is None or stall is None:
        return
    already = db.session.scalar(
        sa.select(ImportedSaleLine.id).where(ImportedSaleLine.stall_id == stall.id).limit(1))
    if already is not None:
        return
    # What the drive sold: the products it counts, when it names them (fresh lychee, not the
    # stall's dried fruit or honey).
    query = sa.select(Product).where(Product.stall_id == stall.id, Product.net_weight_kg > 0,
                                     Product.price > 5000).order_by(Product.id)
    if campaign.products:
        query = query.where(Product.id.in_([p.id for p in campaign.products]))
    products = list(db.session.scalars(query))
    if not products:
        return
    db.session.flush()
    overrides = {(platform, f"VAI-{p.code}"): p.id
                 for p in products for platform in ("shopee", "lazada", "tiktok")}
    outcome = save_import(stall, build_exports(products), user=stall.owner, overrides=overrides)
    ctx["imported_lines"] = outcome.inserted
