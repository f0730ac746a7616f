"""Demo provenance: lot records, diaries and certificates for whatever demo products exist."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from marketplace.catalog.models import Product, Stall
from marketplace.extensions import db
from marketplace.formatting import vn_today
from marketplace.provenance import services as provenance
from marketplace.provenance.models import Batch, Certificate, TimelineStep
from marketplace.text import strip_accents

LYCHEE_AREA = "Xã Phượng Sơn, huyện Lục Ngạn, Bắc Giang"
LYCHEE_AREA_CODES = ["VN-BG-LN-PS-012", "VN-BG-LN-PS-013"]


def _fold(text: str) -> str:
    return strip_accents(text).lower()


def latest(today: date, month: int, day: int) -> date:
    """The last day/month on or before today (this year's, or last year's if still to come)."""
    this_year = date(today.year, month, day)
    return this_year if this_year <= today else date(today.year - 1, month, day)


# The Lục Ngạn lychee harvest, (month, day) to (month, day), as the product pages show it.
HARVEST_START, HARVEST_END = (6, 5), (7, 2)


def _harvest(today: date) -> tuple[date, date]:
    """The latest lychee harvest that has begun: the one under way, or last summer's."""
    start = latest(today, *HARVEST_START)
    return start, date(start.year, *HARVEST_END)


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
    """Record the product's lots through the provenance service, unless it has some."""
    if _has(Batch, product_id=product.id):
        return
    for code, produced_on, quantity, best_before, note in rows:
        provenance.add_batch(product, {"code": code, "produced_on": produced_on,
                                       "quantity": quantity, "best_before": best_before,
                                       "note": note})


def _steps(product: Product, rows: list[tuple[date, str, str]]) -> None:
    """Write the product's diary through the provenance service, unless it has one."""
    if _has(TimelineStep, product_id=product.id):
        return
    for happened_on, step, note in rows:
        provenance.add_step(product, {"happened_on": happened_on, "step": step, "note": note})


def _certificate(product: Product, kind: str, number: str, issuer: str,
                 valid_until: date | None, *, for_stall: bool = False) -> None:
    """Add a certificate of this kind to the product (or to its whole stall), unless it has one."""
    holder = {"stall_id": product.stall_id} if for_stall else {"product_id": product.id}
    if _has(Certificate, kind=kind, **holder):
        return
    provenance.add_certificate(product, {"kind": kind, "number": number, "issuer": issuer,
                                         "valid_until": valid_until}, for_stall=for_stall)


def _lychee_growing(product: Product, year: int) -> None:
    """The orchard's side of every lychee product: area, code, variety, diary, certificates."""
    if not product.growing_area:
        product.growing_area = LYCHEE_AREA
    if not product.growing_area_code:
        product.growing_area_code = ", ".join(LYCHEE_AREA_CODES)
    if not product.variety:
        product.variety = "Vải thiều (giống Thanh Hà)"
    _certificate(product, "vietgap", f"VietGAP-TT-{(year - 1) % 100:02d}-03-24-0215",
                 "Trung tâm Chứng nhận Phù hợp (QUACERT)", date(year + 1, 5, 31))
    _certificate(product, "globalgap", "GGN 4063061891224", "Control Union Việt Nam",
                 date(year - 2, 12, 31), for_stall=True)  # expired on purpose


def _orchard_diary(year: int, harvest: date) -> list[tuple[date, str, str]]:
    return [
        (date(year - 1, 8, 10), "Tỉa cành, tạo tán sau thu hoạch", ""),
        (date(year - 1, 9, 5), "Bón phân hữu cơ hoai mục", "20 kg mỗi gốc"),
        (date(year - 1, 12, 15), "Khoanh vỏ cho cây ra hoa", ""),
        (date(year, 3, 1), "Vải ra hoa, đặt đàn ong thụ phấn", ""),
        (date(year, 4, 20), "Phun chế phẩm sinh học theo quy trình VietGAP",
         "Ngừng phun 21 ngày trước khi thu hoạch"),
        (harvest, "Thu hoạch", "Hái lúc sáng sớm, giữ cả cành lá"),
    ]


def _fresh_lychee(product: Product, today: date) -> None:
    """Fresh lychee: lots of the harvest under way, or last summer's (past their best-before:
    out of season the page says so, and the fruit is not for sale until the next harvest)."""
    start, end = _harvest(today)
    year = start.year
    if not product.harvest_start:
        product.harvest_start, product.harvest_end = start, end
    _lychee_growing(product, year)
    in_season = today <= end
    if in_season:
        first = max(start, today - timedelta(days=6))
        picked = [first, max(first, today - timedelta(days=1))]
    else:
        picked = [date(year, 6, 12), date(year, 6, 18)]
    if not _has(Batch, product_id=product.id) and not in_season:
        product.stock = 0  # sold out with the season
    _batches(product, [
        (f"LN{year % 100}-{picked[0]:%m%d}-A", picked[0], 800, picked[0] + timedelta(days=10),
         "Vườn VN-BG-LN-PS-012, hái sáng sớm, sơ chế trong ngày."),
        (f"LN{year % 100}-{picked[1]:%m%d}-B", picked[1], 650, picked[1] + timedelta(days=10),
         "Vườn VN-BG-LN-PS-013."),
    ])
    _steps(product, [*_orchard_diary(year, picked[0]),
                     (picked[0], "Sơ chế, phân loại, đóng thùng", "Tại HTX, ngay trong ngày")])


def _kept_lychee(product: Product, today: date, *, frozen: bool) -> None:
    """Dried or frozen lychee: made during the last harvest, sold all year, in date."""
    made = latest(today, 6, 25 if frozen else 28)
    year = made.year
    _lychee_growing(product, year)
    if not product.harvest_start:
        product.harvest_start = date(year, 6, 5)
        product.harvest_end = date(year, 7, 2)
    keeps = timedelta(days=540 if frozen else 400)  # 18 months frozen, 13 months dried
    code = "IQF" if frozen else "SK"
    _batches(product, [
        (f"LN{year % 100}-{code}-01", made - timedelta(days=6), 1200, made - timedelta(days=6)
         + keeps, "Vải hái cùng ngày, chọn quả đều."),
        (f"LN{year % 100}-{code}-02", made, 900, made + keeps, ""),
    ])
    last = ([(made, "Bóc vỏ, cấp đông nhanh IQF −35 °C", "Giữ nguyên độ ngọt, màu cùi trắng"),
             (made, "Đóng túi 1 kg, bảo quản −18 °C", "")] if frozen else
            [(made, "Sấy lò than củi 3 ngày", "Đảo đều, không dùng chất bảo quản"),
             (made + timedelta(days=3), "Phân loại, đóng túi hút chân không", "")])
    _steps(product, [*_orchard_diary(year, made - timedelta(days=1)), *last])


def _lychee_honey(product: Product, today: date) -> None:
    """Honey from the lychee blossom (March): a jar keeps two years."""
    spun = latest(today, 3, 25)
    _batches(product, [
        (f"MOV{spun:%y}-03", spun, 300, spun + timedelta(days=730),
         "Mật quay khi hoa vải nở rộ."),
    ])
    _steps(product, [
        (spun - timedelta(days=25), "Đặt đàn ong dưới tán vải đang ra hoa", ""),
        (spun, "Quay mật, lọc qua vải màn", ""),
        (spun + timedelta(days=2), "Để lắng, đóng chai", "Không pha trộn, không đun"),
    ])


def _rice_crackers(product: Product, today: date, *, ocop: bool) -> None:
    """Rice crackers: two recent bakes, each good for four months, whatever the season."""
    year = today.year
    if ocop and not product.ocop_stars:
        product.ocop_stars, product.ocop_year = 3, year - 1
    if not product.growing_area:
        product.growing_area = "Làng nghề bánh đa Kế, xã Cảnh Thụy, huyện Yên Dũng, Bắc Giang"
    older, newer = today - timedelta(days=35), today - timedelta(days=8)
    _batches(product, [
        (f"BD{older:%y%m%d}", older, 1200, older + timedelta(days=120),
         "Mẻ tráng phơi 3 nắng"),
        (f"BD{newer:%y%m%d}", newer, 1500, newer + timedelta(days=120), ""),
    ])
    _steps(product, [
        (newer - timedelta(days=3), "Ngâm gạo Khang Dân", "Gạo vụ mùa của xã"),
        (newer - timedelta(days=2), "Xay bột, trộn vừng", ""),
        (newer - timedelta(days=2), "Tráng bánh trên bếp củi", ""),
        (newer - timedelta(days=1), "Phơi nắng trên giàn tre", "2 nắng"),
        (newer, "Đóng gói, dán tem", ""),
    ])
    if ocop:
        _certificate(product, "ocop", f"OCOP-BG-{year - 1}-0143", "UBND tỉnh Bắc Giang",
                     date(year + 2, 12, 31))
    _certificate(product, "food_safety", f"ATTP-{year - 1}-1172/BG",
                 "Sở Nông nghiệp và PTNT Bắc Giang", date(year + 1, 12, 31), for_stall=True)


# How long a lot keeps (days), by words of the product's name, else by category; None: no date.
SHELF_LIFE_BY_NAME = (("bun tuoi", 2), ("ga doi", 5), ("ga u muoi", 10), ("chan ga", 10),
                      ("trung", 30), ("xoi", 2), ("banh chung", 7), ("banh gai", 10),
                      ("ruou", 1095), ("tinh dau", 1095))
SHELF_LIFE_BY_CATEGORY = {"rau-cu": 5, "trai-cay": 20, "thu-cong": None}


def _shelf_life(product: Product) -> int | None:
    name = _fold(product.name)
    for words, days in SHELF_LIFE_BY_NAME:
        if words in name:
            return days
    return SHELF_LIFE_BY_CATEGORY.get(product.category, 180)


def _generic(product: Product, today: date) -> None:
    keeps = _shelf_life(product)
    # Something that keeps a few days was made yesterday; the rest about ten days ago.
    produced = today - timedelta(days=1 if keeps is not None and keeps <= 10 else 10)
    best_before = produced + timedelta(days=keeps) if keeps is not None else None
    _batches(product, [
        (f"{product.code}-{produced:%y%m%d}", produced, 100, best_before, ""),
    ])
    _steps(product, [
        (produced - timedelta(days=2), "Chuẩn bị nguyên liệu", ""),
        (produced, "Sản xuất, đóng gói", ""),
    ])


def seed(ctx: dict) -> None:
    """Give the demo products batches, a diary and certificates (once)."""
    today = vn_today()
    found: dict[str, list[Product]] = {"lychee": [], "crackers": []}
    for product in _products(ctx):
        name = _fold(product.name)
        if name.startswith("vai"):
            found["lychee"].append(product)
            if "say" in name:
                _kept_lychee(product, today, frozen=False)
            elif "dong" in name or "iqf" in name:
                _kept_lychee(product, today, frozen=True)
            else:
                _fresh_lychee(product, today)
        elif name.startswith("mat ong hoa vai"):
            _lychee_honey(product, today)
        elif name.startswith("banh da"):
            first = not found["crackers"]
            found["crackers"].append(product)
            _rice_crackers(product, today, ocop=first)
        else:
            _generic(product, today)
    db.session.flush()
    ctx["provenance_products"] = found
