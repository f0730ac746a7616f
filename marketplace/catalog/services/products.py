"""Products: validate, add, change, put on or off sale, and their photos."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.catalog.categories import CATEGORY_KEYS, UNITS
from marketplace.catalog.codes import new_code
from marketplace.catalog.gtin import validate_gtin
from marketplace.catalog.models import Product, ProductImage, Stall
from marketplace.catalog.quantities import default_step, exact, is_divisible, parse_step
from marketplace.catalog.services.fields import (
    clean_producer,
    optional_date,
    optional_int,
    optional_text,
    parse_bool,
    parse_price,
    parse_stock,
    parse_weight,
    this_year,
)
from marketplace.catalog.signals import announce_pages_changed
from marketplace.errors import Checks, Conflict, ValidationError
from marketplace.extensions import db
from marketplace.sanitize import text_field
from marketplace.storage import StoredImage, check_pixel_budget, save_image

MAX_PHOTOS = 6

PRODUCT_FIELDS = (
    "name", "category", "description", "unit", "net_weight_kg", "price", "stock", "active",
    "gtin", "producer_name", "producer_kind", "producer_address", "growing_area",
    "growing_area_code", "variety", "planting_year", "harvest_start", "harvest_end",
    "ocop_stars", "ocop_year",
)
REQUIRED_PRODUCT_FIELDS = ("name", "category", "unit", "net_weight_kg", "price")


def clean_product(data: Mapping[str, Any], product: Product | None = None) -> dict[str, Any]:
    """Validate the product fields present in data; return them typed and normalised.

    Every field is checked, so a seller sees all of their mistakes at once (ValidationErrors).
    """
    out: dict[str, Any] = {}
    checks = Checks()
    if product is None:
        # A new product needs the required fields even when a CSV leaves them out.
        data = {**dict.fromkeys(REQUIRED_PRODUCT_FIELDS), **data}
    simple = {
        "name": lambda v: text_field(v, "name", 160, required=True,
                                missing=_l("Vui lòng nhập tên sản phẩm.")),
        "category": _category,
        "description": lambda v: text_field(v, "description", 5000, multiline=True),
        "unit": _unit,
        "net_weight_kg": parse_weight,
        "price": parse_price,
        "active": parse_bool,
        "gtin": lambda v: _gtin(v, product),
        "variety": lambda v: optional_text(v, "variety", 120),
        "planting_year": lambda v: optional_int(v, "planting_year", 1900, this_year()),
        "harvest_start": lambda v: optional_date(v, "harvest_start"),
        "harvest_end": lambda v: optional_date(v, "harvest_end"),
        "ocop_stars": lambda v: optional_int(v, "ocop_stars", 3, 5),
        "ocop_year": lambda v: optional_int(v, "ocop_year", 2018, this_year()),
    }
    for name, clean in simple.items():
        if name in data:
            with checks.field():
                out[name] = clean(data[name])
    # Stock and selling step are read in the product's unit: 12,5 kg, but whole jars.
    unit = out.get("unit", product.unit if product is not None else None)
    with checks.field():
        if "stock" in data:
            out["stock"] = parse_stock(data["stock"], unit)
        elif "unit" in out and product is not None and not is_divisible(unit) and (
                exact(product.stock) != exact(product.stock).to_integral_value()):
            raise ValidationError("stock", _("Sản phẩm bán theo cái, gói… cần số lượng tồn là "
                                             "số nguyên."))
    with checks.field():
        if "quantity_step" in data:
            out["quantity_step"] = parse_step(data["quantity_step"], unit)
        elif "unit" in out and (product is None or out["unit"] != product.unit):
            out["quantity_step"] = default_step(unit)  # a CSV without the column keeps it
    with checks.field():
        clean_producer(data, out)
    if not checks.failed("harvest_start", "harvest_end"):
        start = out.get("harvest_start", product.harvest_start if product else None)
        end = out.get("harvest_end", product.harvest_end if product else None)
        with checks.field():
            if end and not start:
                raise ValidationError("harvest_start", _("Vui lòng nhập ngày bắt đầu thu hoạch."))
            if start and end and end < start:
                raise ValidationError("harvest_end", _("Ngày kết thúc phải sau ngày bắt đầu."))
    if not checks.failed("ocop_stars", "ocop_year"):
        stars = out.get("ocop_stars", product.ocop_stars if product else None)
        year = out.get("ocop_year", product.ocop_year if product else None)
        with checks.field():
            if stars and not year:
                raise ValidationError("ocop_year", _("Vui lòng nhập năm được công nhận OCOP."))
            if year and not stars:
                raise ValidationError("ocop_stars", _("Vui lòng chọn số sao OCOP."))
    checks.done()
    return out


def _category(value: Any) -> str:
    category = text_field(value, "category", 40)
    if category not in CATEGORY_KEYS:
        raise ValidationError("category", _("Vui lòng chọn một danh mục trong danh sách."))
    return category


def _unit(value: Any) -> str:
    unit = text_field(value, "unit", 16)
    if unit not in UNITS:
        raise ValidationError("unit", _("Vui lòng chọn một đơn vị tính trong danh sách."))
    return unit


def _gtin(value: Any, product: Product | None) -> str | None:
    raw = text_field(value, "gtin", 20)
    gtin = validate_gtin(raw) if raw else None
    if gtin:
        query = sa.select(Product.id).where(Product.gtin == gtin)
        if product is not None and product.id is not None:
            query = query.where(Product.id != product.id)
        if db.session.scalar(query) is not None:
            raise ValidationError("gtin", _("Mã GTIN này đã gắn với sản phẩm khác."))
    return gtin


def unused_code() -> str:
    """A fresh public product code no product has yet."""
    for _attempt in range(20):
        code = new_code()
        if db.session.scalar(sa.select(Product.id).where(Product.code == code)) is None:
            return code
    raise Conflict(_("Không tạo được mã sản phẩm, vui lòng thử lại."))


def _add_photos(product: Product, photos: Iterable[bytes]) -> None:
    photos = [raw for raw in photos if raw]
    if len(product.images) + len(photos) > MAX_PHOTOS:
        raise ValidationError("photos", _("Mỗi sản phẩm có tối đa %(n)s ảnh.", n=MAX_PHOTOS))
    try:
        check_pixel_budget(photos)
    except ValidationError as exc:
        raise ValidationError("photos", exc.reason) from None
    position = max((img.position for img in product.images), default=-1) + 1
    for raw in photos:
        try:
            image = save_image(raw)
        except ValidationError as exc:
            raise ValidationError("photos", exc.reason) from None
        db.session.flush()
        product.images.append(ProductImage(image_id=image.id, position=position))
        position += 1


def _save_product(product: Product, photos: Iterable[bytes]) -> Product:
    try:
        _add_photos(product, photos)
        db.session.commit()
    except ValidationError:
        db.session.rollback()
        raise
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError(None, _("Không lưu được sản phẩm, vui lòng thử lại.")) from None
    announce_pages_changed()
    return product


def create_product(stall: Stall, data: Mapping[str, Any], photos: Iterable[bytes] = ()) -> Product:
    """Add a product to a stall with a fresh public code and its photos."""
    values = clean_product(data)
    values.setdefault("active", True)
    product = Product(stall=stall, code=unused_code(), **values)
    db.session.add(product)
    return _save_product(product, photos)


def update_product(product: Product, data: Mapping[str, Any],
                   photos: Iterable[bytes] = ()) -> Product:
    """Change a product's details and add any new photos."""
    values = clean_product(data, product)
    for name, value in values.items():
        setattr(product, name, value)
    return _save_product(product, photos)


def set_product_active(product: Product, active: bool) -> None:
    """Put a product on sale or take it off (its label URL keeps working)."""
    product.active = active
    db.session.commit()
    announce_pages_changed()


def remove_product_photo(product: Product, photo_id: int) -> None:
    """Delete one of a product's photos."""
    photo = next((p for p in product.images if p.id == photo_id), None)
    if photo is None:
        raise ValidationError(None, _("Không tìm thấy ảnh."))
    image_id = photo.image_id
    product.images.remove(photo)
    db.session.flush()
    still_used = db.session.scalar(
        sa.select(sa.func.count()).select_from(ProductImage)
        .where(ProductImage.image_id == image_id)
    )
    if not still_used:
        db.session.execute(sa.delete(StoredImage).where(StoredImage.id == image_id))
    db.session.commit()
    announce_pages_changed()


def products_of(stall: Stall) -> list[Product]:
    """Return all of a stall's products, active first, then by name."""
    return list(db.session.scalars(
        sa.select(Product).where(Product.stall_id == stall.id)
        .order_by(Product.active.desc(), Product.name)
    ))
