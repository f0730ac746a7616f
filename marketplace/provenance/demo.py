"""Demo provenance: lot records, diaries and certificates for whatever demo products exist."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.catalog.text import strip_accents
from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.provenance.models import Batch, Certificate, TimelineStep

LYCHEE_AREA = "Xã Phượng Sơn, huyện Lục Ngạn, Bắc Giang"
LYCHEE_AREA_CODES = ["VN-BG-LN-PS-012", "VN-BG-LN-PS-013"]


def _fold(text: str) -> str:
    return strip_accents(text).lower()


def _season(today: date) -> int:
    """Return the year of the latest lychee harvest (June)."""
    return today.year if today >= date(today.year, 7, 1) else today.year - 1


def _products(ctx: dict) -> list[Product]:
    stall_ids = [s.id for s in ctx.get("stalls", [])]
    query = sa.select(Product).join(Stall).order_by(Product.id)
    if stall_ids:
        query = query.where(Product.stall_id.in_(stall_ids))
    return list(db.session.scalars(query))


def _has(model, **where) -> bool:
    query = sa.select(model.id)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query.limit(1)) is not None


def _batches(product: Product, rows: list[tuple]) -> None:
    if _has(Batch, product_id=product.id):
        return
    for code, produced_on, quantity, best_before, note in rows:
        db.session.add(Batch(product=product, code=code, produced_on=produced_on,
                             quantity=quantity, best_before=best_before, note=note))


def _steps(product: Product, rows: list[tuple[date, str, str]]) -> None:
    if _has(TimelineStep, product_id=product.id):
        return
    for happened_on, step, note in rows:
        db.session.add(TimelineStep(product=product, happened_on=happened_on, step=step, note=note))


def _certificate(kind: str, number: str, issuer: str, valid_until: date | None, *,
                 product: Product | None = None, stall: Stall | None = None) -> None:
    holder = {"product_id": product.id} if product is not None else {"stall_id": stall.id}
    if _has(Certificate, kind=kind, **holder):
        return
    db.session.add(Certificate(product=product, stall=stall, kind=kind, number=number,
                               issuer=issuer, valid_until=valid_until))


def _lychee(product: Product, year: int) -> None:
    if not product.growing_area:
        product.growing_area = LYCHEE_AREA
    if not product.growing_area_code:
        product.growing_area_code = ", ".join(LYCHEE_AREA_CODES)
    if not product.variety:
        product.variety = "Vải thiều (giống Thanh Hà)"
    if not product.harvest_start:
        product.harvest_start, product.harvest_end = date(year, 6, 5), date(year, 7, 2)
    _batches(product, [
        (f"LN{year % 100}-0612-A", date(year, 6, 12), 800, date(year, 6, 22),
         "Vườn VN-BG-LN-PS-012, hái sáng sớm, sơ chế trong ngày."),
        (f"LN{year % 100}-0618-B", date(year, 6, 18), 650, date(year, 6, 28),
         "Vườn VN-BG-LN-PS-013."),
    ])
    _steps(product, [
        (date(year - 1, 8, 10), "Tỉa cành, tạo tán sau thu hoạch", ""),
        (date(year - 1, 9, 5), "Bón phân hữu cơ hoai mục", "20 kg/gốc"),
        (date(year - 1, 12, 15), "Khoanh vỏ kích thích ra hoa", ""),
        (date(year, 3, 1), "Ra hoa, thả ong thụ phấn", ""),
        (date(year, 4, 20), "Phun chế phẩm sinh học theo quy trình VietGAP",
         "Ngừng phun trước thu hoạch 21 ngày"),
        (date(year, 6, 12), "Thu hoạch", "Hái sáng sớm, giữ cành lá"),
        (date(year, 6, 12), "Sơ chế, phân loại, đóng thùng", "Tại HTX, trong ngày"),
    ])
    _certificate("vietgap", f"VietGAP-TT-{year % 100 - 1:02d}-03-24-0215",
                 "Trung tâm Chứng nhận Phù hợp (QUACERT)", date(year + 1, 5, 31), product=product)
    _certificate("globalgap", "GGN 4063061891224", "Control Union Việt Nam",
                 date(year - 2, 12, 31), stall=product.stall)  # expired on purpose


def _rice_crackers(product: Product, year: int, *, ocop: bool) -> None:
    if ocop and not product.ocop_stars:
        product.ocop_stars, product.ocop_year = 3, year - 1
    if not product.growing_area:
        product.growing_area = "Làng nghề bánh đa Kế, xã Cảnh Thụy, huyện Yên Dũng, Bắc Giang"
    _batches(product, [
        (f"BD{year % 100}-0915", date(year, 9, 15), 1200, date(year, 12, 15),
         "Mẻ tráng 3 ngày nắng"),
        (f"BD{year % 100}-1002", date(year, 10, 2), 1500, date(year + 1, 1, 2), ""),
    ])
    _steps(product, [
        (date(year, 9, 12), "Ngâm gạo Khang Dân", "Gạo vụ mùa của xã"),
        (date(year, 9, 13), "Xay bột, trộn vừng", ""),
        (date(year, 9, 13), "Tráng bánh trên bếp củi", ""),
        (date(year, 9, 14), "Phơi nắng trên giàn tre", "2 nắng"),
        (date(year, 9, 15), "Đóng gói, dán tem", ""),
    ])
    if ocop:
        _certificate("ocop", f"OCOP-BG-{year - 1}-0143", "UBND tỉnh Bắc Giang",
                     date(year + 2, 12, 31), product=product)
    _certificate("food_safety", f"ATTP-{year - 1}-1172/BG", "Sở Nông nghiệp và PTNT Bắc Giang",
                 date(year + 1, 12, 31), stall=product.stall)


def _generic(product: Product, today: date) -> None:
    produced = today - timedelta(days=10)
    _batches(product, [
        (f"{product.code}-{produced:%y%m}", produced, 100, produced + timedelta(days=180), ""),
    ])
    _steps(product, [
        (produced - timedelta(days=2), "Chuẩn bị nguyên liệu", ""),
        (produced, "Sản xuất, đóng gói", ""),
    ])


def seed(ctx: dict) -> None:
    """Give the demo products batches, a diary and certificates (once)."""
    today = vn_today()
    year = _season(today)
    found: dict[str, list[Product]] = {"lychee": [], "crackers": []}
    for product in _products(ctx):
        name = _fold(product.name)
        if name.startswith("vai"):
            found["lychee"].append(product)
            _lychee(product, year)
        elif name.startswith("banh da"):
            first = not found["crackers"]
            found["crackers"].append(product)
            _rice_crackers(product, year, ocop=first)
        else:
            _generic(product, today)
    db.session.flush()
    ctx["provenance_products"] = found
